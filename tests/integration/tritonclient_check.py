"""NVIDIA's tritonclient against `edgeprof serve --http` (tests/integration/test_http_interop.sh).

usage: tritonclient_check.py HOST:PORT TOKEN TMPDIR [RANGE ...]
TMPDIR holds x.npy and y.npy (an mlp input and `edgeprof run`'s output for it), and
tail.onnx with tail_in.npy (the tail of mobilenet_v1 from node 20 and an input for it).
Checks health and metadata, the whole mlp in binary and JSON against `edgeprof run` bit for bit,
and the served range mobilenet_v1_from20 against ONNX Runtime running the exported tail; then each
RANGE (TMPDIR/RANGE.onnx exported beside it) the same way, every input and output.
"""
import sys

import numpy as np
import onnxruntime as ort
import tritonclient.http as http
from tritonclient.utils import InferenceServerException

url, token, tmp = sys.argv[1], sys.argv[2], sys.argv[3]
# Copied per call: tritonclient adds its own headers to the dict it is given.
auth = {"Authorization": "Bearer " + token}
c = http.InferenceServerClient(url=url)
assert not c.is_server_live(), "a request without the token was answered"
try:
    c.get_model_metadata("mlp")
    raise SystemExit("metadata without the token was answered")
except InferenceServerException as e:
    assert "Bearer" in str(e), e
assert c.is_server_live(headers=dict(auth)) and c.is_server_ready(headers=dict(auth))
assert c.is_model_ready("mlp", headers=dict(auth))
md = c.get_model_metadata("mlp", headers=dict(auth))
assert md["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [1, 784]}], md

x, y = np.load(tmp + "/x.npy"), np.load(tmp + "/y.npy")
for binary in (True, False):
    i = http.InferInput("input", [1, 784], "FP32")
    i.set_data_from_numpy(x, binary_data=binary)
    o = http.InferRequestedOutput("softmax", binary_data=binary)
    r = c.infer("mlp", [i], outputs=[o], headers=dict(auth))
    got = r.as_numpy("softmax")
    assert got.shape == (1, 10) and np.array_equal(got, y), (binary, got, y)
print("tritonclient: mlp equal to edgeprof run bit for bit (binary and JSON)")

md = c.get_model_metadata("mobilenet_v1_from20", headers=dict(auth))
tail = ort.InferenceSession(tmp + "/tail.onnx", providers=["CPUExecutionProvider"])
assert [t["name"] for t in md["inputs"]] == [t.name for t in tail.get_inputs()], md
assert [t["name"] for t in md["outputs"]] == [t.name for t in tail.get_outputs()], md
xt = np.load(tmp + "/tail_in.npy")
name = md["inputs"][0]["name"]
i = http.InferInput(name, list(xt.shape), "FP32")
i.set_data_from_numpy(xt)
got = c.infer("mobilenet_v1_from20", [i], headers=dict(auth)).as_numpy(md["outputs"][0]["name"])
want = tail.run(None, {name: xt})[0]
diff = float(np.max(np.abs(got - want)))
assert diff <= 1e-4 * float(np.max(np.abs(want))), diff
assert np.array_equal(np.argmax(got, axis=-1), np.argmax(want, axis=-1))
print(f"tritonclient: mobilenet_v1_from20 against ONNX Runtime on the exported tail: max |diff| {diff:.3g}")

# Ranges with several inputs and outputs (a DAG cut through Inception's branches, ResNet's shortcut,
# the LSTM): every output of edgeprof's served range against ONNX Runtime on the exported range.
rng = np.random.default_rng(5)
for name in sys.argv[4:]:
    md = c.get_model_metadata(name, headers=dict(auth))
    ref = ort.InferenceSession(f"{tmp}/{name}.onnx", providers=["CPUExecutionProvider"])
    assert sorted(t["name"] for t in md["inputs"]) == sorted(t.name for t in ref.get_inputs()), md
    assert sorted(t["name"] for t in md["outputs"]) == sorted(t.name for t in ref.get_outputs()), md
    feeds, inputs = {}, []
    for t in md["inputs"]:
        v = np.maximum(rng.normal(0, 1, t["shape"]), 0).astype(np.float32)
        feeds[t["name"]] = v
        i = http.InferInput(t["name"], t["shape"], "FP32")
        i.set_data_from_numpy(v)
        inputs.append(i)
    r = c.infer(name, inputs, headers=dict(auth))
    want = dict(zip([o.name for o in ref.get_outputs()], ref.run(None, feeds)))
    worst = 0.0
    for t in md["outputs"]:
        got, w = r.as_numpy(t["name"]), want[t["name"]]
        assert got.shape == w.shape, (name, t["name"], got.shape, w.shape)
        d = float(np.max(np.abs(got - w)))
        assert d <= 1e-4 * max(1.0, float(np.max(np.abs(w)))), (name, t["name"], d)
        worst = max(worst, d)
    print(f"tritonclient: {name} ({len(md['inputs'])} inputs, {len(md['outputs'])} outputs) "
          f"against ONNX Runtime on the exported range: max |diff| {worst:.3g}")

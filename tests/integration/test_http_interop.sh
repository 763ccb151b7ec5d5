#!/usr/bin/env bash
# Interop with third-party KServe v2 software from PyPI (scripts/requirements-serving.txt,
# installed once into BUILD/pyenv-serving), on loopback:
#  - NVIDIA's tritonclient calls `edgeprof serve --http`: results equal to `edgeprof run`, and
#    served node ranges (one with 4 inputs and 4 outputs through Inception's branches, ResNet's
#    shortcut, the LSTM) equal to ONNX Runtime running what `export --from/--to` wrote;
#  - Seldon's MLServer hosts that exported tail in ONNX Runtime (a ten-line custom runtime,
#    tests/integration/mlserver_ort_runtime.py) and `edgeprof offload` splits with it: results
#    equal to a local run within 1e-4 (another runtime rounds differently).
# Skips (77) when the environment cannot be installed (no PyPI).
source "$(dirname "$0")/test_cli_helpers.bash"
HERE=$(cd "$(dirname "$0")" && pwd)
# A build without libmicrohttpd/libcurl (the arm64 cross build) says so instead of serving.
if "$CLI" serve --listen off --http 127.0.0.1:0 --tls-cert /nonexistent/c --tls-key /nonexistent/k 2>&1 |
  grep -q "not in this build"; then
  echo "skip: no --http in this build" >&2
  exit 77
fi
BUILD=$(cd "$(dirname "$CLI")" && pwd)
if ! PY=$(bash "$HERE/../../scripts/python-env.sh" "$BUILD" "$HERE/../../scripts/requirements-serving.txt" pyenv-serving); then
  echo "skip: cannot install scripts/requirements-serving.txt (see $BUILD/pyenv-serving.log)" >&2
  exit 77
fi
T="timeout 120"
printf 'let-me-in\n' >"$TMP/token"
free_port() { "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# --- tritonclient -> edgeprof serve --http ---------------------------------------------------------
"$CLI" export mobilenet_v1 --from 20 -o "$TMP/tail.onnx" >/dev/null 2>&1
check "export --from 20 writes the tail" test -s "$TMP/tail.onnx"
RANGES=(inception_v1_from20_to70 resnet50_from40 lstm_from1)
"$CLI" export inception_v1 --from 20 --to 70 -o "$TMP/inception_v1_from20_to70.onnx" >/dev/null 2>&1
"$CLI" export resnet50 --from 40 -o "$TMP/resnet50_from40.onnx" >/dev/null 2>&1
"$CLI" export lstm --from 1 -o "$TMP/lstm_from1.onnx" >/dev/null 2>&1
"$PY" - "$TMP" <<'PY'
import sys, numpy as np
t = sys.argv[1]
rng = np.random.default_rng(3)
np.save(t + "/x.npy", rng.uniform(-1, 1, (1, 784)).astype(np.float32))
import onnxruntime as ort
s = ort.InferenceSession(t + "/tail.onnx", providers=["CPUExecutionProvider"])
i = s.get_inputs()[0]
np.save(t + "/tail_in.npy", np.maximum(rng.normal(0, 1, i.shape), 0).astype(np.float32))
PY
"$CLI" run mlp --input "$TMP/x.npy" --output "$TMP/y.npy" >/dev/null 2>&1
check "edgeprof run gives the reference" test -s "$TMP/y.npy"
$T "$CLI" serve --listen off --http 127.0.0.1:0 --token-file "$TMP/token" >"$TMP/serve.out" 2>"$TMP/serve.err" &
SERVER=$!
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127.0.0.1:[0-9]*' "$TMP/serve.out" 2>/dev/null)
  [[ -n "$url" ]] && break
  sleep 0.1
done
check "serve --http starts" test -n "$url"
out=$($T "$PY" "$HERE/tritonclient_check.py" "${url#http://}" let-me-in "$TMP" "${RANGES[@]}" 2>&1)
check "tritonclient reads correct results from edgeprof serve" test $? -eq 0
echo "$out"
kill -TERM "$SERVER"
wait "$SERVER"

# --- edgeprof offload -> MLServer hosting the exported tail ------------------------------------------
mkdir -p "$TMP/mls/tail"
cp "$TMP/tail.onnx" "$TMP/mls/tail/model.onnx"
cp "$HERE/mlserver_ort_runtime.py" "$TMP/mls/tail/"
cat >"$TMP/mls/tail/model-settings.json" <<'JSON'
{"name": "mobilenet_v1_from20", "implementation": "mlserver_ort_runtime.OrtRuntime",
 "parameters": {"uri": "./model.onnx"}}
JSON
http_port=$(free_port)
cat >"$TMP/mls/settings.json" <<JSON
{"host": "127.0.0.1", "http_port": $http_port, "grpc_port": $(free_port), "metrics_port": $(free_port),
 "parallel_workers": 0}
JSON
(cd "$TMP" && exec $T "$(dirname "$PY")/mlserver" start "$TMP/mls" >"$TMP/mlserver.log" 2>&1) &
MLS=$!
ready=""
for _ in $(seq 120); do
  if [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$http_port/v2/models/mobilenet_v1_from20/ready") == 200 ]]; then
    ready=yes
    break
  fi
  sleep 0.5
done
check "MLServer serves the exported tail" test -n "$ready"
[[ -n "$ready" ]] || tail -20 "$TMP/mlserver.log"
# MLServer's REST API has no binary tensor extension: tensors go as JSON numbers.
out=$($T "$CLI" offload mobilenet_v1 --server "http://127.0.0.1:$http_port" --remote-model mobilenet_v1_from20 \
  --split 20 --v2-json --runs 3 --verify --tolerance 1e-4 2>&1)
check "offload to MLServer succeeds" test $? -eq 0
check "offload to MLServer: 3 split, 3 equal within 1e-4" grep -q "3 split with the server.*3 of 3 equal to the local run within" <<<"$out"
echo "$out" | tail -5
kill -TERM "$MLS" 2>/dev/null
wait "$MLS" 2>/dev/null
finish

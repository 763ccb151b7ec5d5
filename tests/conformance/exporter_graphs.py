"""Exporter-style graphs, built with the onnx wheel's helper API and numpy (no PyTorch), run by
`edgeprof run` and by ONNX Runtime on the same input (tests/conformance/test_exporter_graphs.sh).

The graphs are the shape computations torch.onnx.export writes although every input shape is
static, node for node as PyTorch 1.13 writes them at opset 13 and 14:
- lstm_*, gru_*: nn.LSTM / nn.GRU's initial state, Shape -> Gather -> Unsqueeze -> Concat ->
  Expand of a zeros constant, then the RNN and the Squeeze of its direction axis;
- shufflenet_shuffle: ShuffleNet V2's channel shuffle with shapes computed from Shape/Gather/Div
  (what the export writes without constant folding), Reshape -> Transpose -> Reshape;
- attention: a transformer block's head split and merge (Reshape targets from Shape/Gather/
  Concat, 0 and -1 dims), the 1/sqrt(d) scale from Shape -> Slice(-1, INT64_MAX) -> Cast -> Sqrt,
  and a causal mask from Range -> Unsqueeze -> Less -> Where;
- vit_class_token: ViT's class token, Expand to Where(Equal(shape, -1), ones, shape), Concat
  before the patch embeddings;
- swin_shifted_mask: Swin's shifted-window attention mask, written region by region with
  ScatterND into a zeros constant, cut into windows and added to the scores before Softmax;
then a model of 300 unsupported nodes, whose one error must count, group and name them (or say
how many it left out); then every ONNX node test (onnx.backend.test, as node_tests.py writes them) of the operators folded at load whose output
holds at least one element, turned into a graph edgeprof can run: the node's inputs become
initializers, each output is cast to float, flattened and concatenated, and a float input x [1]
is added; edgeprof's result (fed x = 0) must equal the test's expected output.

Exporter graphs pass when max |diff| <= 1e-4 * max |y| against ONNX Runtime; node cases when
every element is within 1e-6 * |expected| (integers exactly, up to float32's rounding of both).

    exporter_graphs.py EDGEPROF_CLI NODE_TESTS_DIR TMP_DIR [NAME_FILTER]

NODE_TESTS_DIR is the folder tests/conformance/node_tests.py writes (BUILD/onnx-node-tests).

Exit status 0 when every case passes, 1 otherwise, 2 on bad use.
"""
import concurrent.futures
import fnmatch
import os
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INT64_MAX = np.iinfo(np.int64).max
RNG = np.random.default_rng(2018)

# Operators folded at load (src/onnx/shape_fold.c): their node tests are checked as folds.
FOLDED = {
    "Shape", "Size", "Gather", "Slice", "Concat", "Squeeze", "Unsqueeze", "Expand", "Reshape",
    "Range", "ConstantOfShape", "Equal", "Where", "Cast", "Not", "Add", "Sub", "Mul", "Div", "Mod",
    "Identity", "Constant", "Min", "Max", "Less", "LessOrEqual", "Greater", "GreaterOrEqual",
    "And", "Or", "Xor", "Neg", "Abs", "Sqrt", "Reciprocal", "Floor", "Ceil", "Transpose",
    "Flatten", "Sign", "Round", "Exp", "Log", "Pow", "Sum", "Mean", "ScatterND",
}

# Node tests of those operators that do not pass, and why (fnmatch patterns). An entry that no
# longer matches a failing test fails the run, so the list stays exactly what edgeprof does.
NOT_PASSING = {
    "test_cast*_FLOAT8E5M2*": "float8 types: edgeprof refuses them at load",
    "test_mod_mixed_sign_float64": "float64 data is computed in float32",
}

# Exporter graphs that still need an operator at run time that edgeprof does not have: each must
# be refused at load, naming the node and the reason. When one starts to load, it fails: move it
# to the checked cases.
REFUSED = {}  # shufflenet_split's run-time Slice runs since the int64/bool runtime ops


def const(name, value, dtype=None):
    arr = np.array(value, dtype=dtype)
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(arr, name))


def model(nodes, inputs, outputs, inits=(), opset=13):
    graph = helper.make_graph(nodes, "g", inputs, outputs, initializer=list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def floats(*shape):
    return RNG.uniform(-0.5, 0.5, size=shape).astype(np.float32)


def init(name, arr):
    return numpy_helper.from_array(arr, name)


def vinfo(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape))


# --- exporter graphs --------------------------------------------------------------------------


def initial_state(prefix, tag, hidden):
    """torch's zeros initial state of one layer: Expand(zeros, [1, Gather(Shape(x), 1), H])."""
    return [
        helper.make_node("Shape", ["x"], [f"{prefix}/Shape{tag}"]),
        const(f"{prefix}/one{tag}", 1, np.int64),
        helper.make_node("Gather", [f"{prefix}/Shape{tag}", f"{prefix}/one{tag}"], [f"{prefix}/Gather{tag}"]),
        const(f"{prefix}/axes{tag}", [0], np.int64),
        helper.make_node("Unsqueeze", [f"{prefix}/Gather{tag}", f"{prefix}/axes{tag}"], [f"{prefix}/batch{tag}"]),
        const(f"{prefix}/hidden{tag}", [hidden], np.int64),
        const(f"{prefix}/dirs{tag}", [1], np.int64),
        helper.make_node("Concat", [f"{prefix}/dirs{tag}", f"{prefix}/batch{tag}", f"{prefix}/hidden{tag}"],
                         [f"{prefix}/Concat{tag}"], axis=0),
        helper.make_node("Expand", [f"{prefix}/zeros", f"{prefix}/Concat{tag}"], [f"{prefix}/Expand{tag}"]),
    ]


def rnn(kind, opset, state=None):
    """state: the initial state's value (None: zeros, as torch writes it; a nonzero one must not
    be taken for the zeros the zoo LSTM starts from)."""
    seq, batch, inp, hidden = 5, 2, 32, 64
    gates = 4 if kind == "LSTM" else 3
    p = "/rnn"
    value = np.zeros((1, batch, hidden), np.float32) if state is None else state
    nodes = [const(f"{p}/zeros", value)]
    nodes += initial_state(p, "", hidden)
    ins = ["x", "W", "R", "B", "", f"{p}/Expand"]
    attrs = {"hidden_size": hidden}
    if kind == "LSTM":
        nodes += initial_state(p, "_1", hidden)
        ins.append(f"{p}/Expand_1")
        outs = [f"{p}/Y", f"{p}/Y_h", f"{p}/Y_c"]
    else:
        attrs["linear_before_reset"] = 1
        outs = [f"{p}/Y", f"{p}/Y_h"]
    nodes.append(helper.make_node(kind, ins, outs, **attrs))
    nodes += [const(f"{p}/sq", [1], np.int64), helper.make_node("Squeeze", [f"{p}/Y", f"{p}/sq"], ["y"])]
    inits = [init("W", floats(1, gates * hidden, inp)), init("R", floats(1, gates * hidden, hidden)),
             init("B", floats(1, 2 * gates * hidden))]
    return model(nodes, [vinfo("x", (seq, batch, inp))], [vinfo("y", (seq, batch, hidden))], inits, opset)


def dims_of(src, prefix, indices):
    """Shape(src) -> Gather(i) -> Unsqueeze for each index: the int64[1] dims, as torch writes."""
    nodes, names = [helper.make_node("Shape", [src], [f"{prefix}/Shape"])], []
    for i in indices:
        nodes += [const(f"{prefix}/i{i}", i, np.int64),
                  helper.make_node("Gather", [f"{prefix}/Shape", f"{prefix}/i{i}"], [f"{prefix}/d{i}"], axis=0),
                  const(f"{prefix}/ax{i}", [0], np.int64),
                  helper.make_node("Unsqueeze", [f"{prefix}/d{i}", f"{prefix}/ax{i}"], [f"{prefix}/u{i}"])]
        names.append(f"{prefix}/u{i}")
    return nodes, names


def shufflenet_shuffle(n=1):
    """n: the batch, a number or a symbolic dim (bound to 1 at load, as `edgeprof run` does)."""
    c, h, w, groups = 16, 8, 8, 2
    nodes = [helper.make_node("Conv", ["x", "conv.w"], ["feat"], kernel_shape=[1, 1])]
    d, (nb, nc, nh, nw) = dims_of("feat", "/shuffle", [0, 1, 2, 3])
    nodes += d
    nodes += [const("/shuffle/groups", [groups], np.int64),
              helper.make_node("Div", [nc, "/shuffle/groups"], ["/shuffle/per_group"]),
              helper.make_node("Concat", [nb, "/shuffle/groups", "/shuffle/per_group", nh, nw], ["/shuffle/view"], axis=0),
              helper.make_node("Reshape", ["feat", "/shuffle/view"], ["/shuffle/grouped"]),
              helper.make_node("Transpose", ["/shuffle/grouped"], ["/shuffle/t"], perm=[0, 2, 1, 3, 4]),
              const("/shuffle/minus1", [-1], np.int64),
              helper.make_node("Concat", [nb, "/shuffle/minus1", nh, nw], ["/shuffle/flat"], axis=0),
              helper.make_node("Reshape", ["/shuffle/t", "/shuffle/flat"], ["shuffled"]),
              helper.make_node("Relu", ["shuffled"], ["y"])]
    return model(nodes, [vinfo("x", (n, 3, h, w))], [vinfo("y", (n, c, h, w))], [init("conv.w", floats(c, 3, 1, 1))])


def shufflenet_split():
    """The channel split, x.chunk(2, dim=1) as torch writes it: Slice of a computed tensor, with
    starts and ends computed from its shape."""
    nodes = [helper.make_node("Conv", ["x", "conv.w"], ["feat"], kernel_shape=[1, 1])]
    p = "/stage2/stage2.1"
    nodes += [helper.make_node("Shape", ["feat"], [f"{p}/Shape"]),
              const(f"{p}/axis", [1], np.int64),
              helper.make_node("Gather", [f"{p}/Shape", f"{p}/axis"], [f"{p}/C"], axis=0),
              const(f"{p}/zero", [0], np.int64), const(f"{p}/one", [1], np.int64),
              helper.make_node("Add", [f"{p}/C", f"{p}/one"], [f"{p}/C1"]),
              const(f"{p}/two", [2], np.int64),
              helper.make_node("Div", [f"{p}/C1", f"{p}/two"], [f"{p}/half"]),
              helper.make_node("Mul", [f"{p}/half", f"{p}/one"], [f"{p}/end0"]),
              helper.make_node("Slice", ["feat", f"{p}/zero", f"{p}/end0", f"{p}/axis"], ["a"], name=f"{p}/Slice"),
              helper.make_node("Mul", [f"{p}/half", f"{p}/two"], [f"{p}/end1"]),
              helper.make_node("Slice", ["feat", f"{p}/end0", f"{p}/end1", f"{p}/axis"], ["b"], name=f"{p}/Slice_1"),
              helper.make_node("Relu", ["b"], ["rb"]),
              helper.make_node("Concat", ["a", "rb"], ["y"], axis=1)]
    return model(nodes, [vinfo("x", (1, 3, 8, 8))], [vinfo("y", (1, 16, 8, 8))], [init("conv.w", floats(16, 3, 1, 1))])


def attention():
    b, s, d, heads = 2, 16, 64, 4
    hd = d // heads
    nodes, inits = [], []
    d_nodes, (nb, ns) = dims_of("x", "/attn/in", [0, 1])
    nodes += d_nodes
    nodes += [const("/attn/heads", [heads], np.int64), const("/attn/hd", [hd], np.int64),
              helper.make_node("Concat", [nb, ns, "/attn/heads", "/attn/hd"], ["/attn/split"], axis=0)]
    for t, perm in (("q", [0, 2, 1, 3]), ("k", [0, 2, 3, 1]), ("v", [0, 2, 1, 3])):
        inits += [init(f"w{t}", floats(d, d)), init(f"b{t}", floats(d))]
        nodes += [helper.make_node("MatMul", ["x", f"w{t}"], [f"/attn/{t}mm"]),
                  helper.make_node("Add", [f"/attn/{t}mm", f"b{t}"], [f"/attn/{t}"]),
                  helper.make_node("Reshape", [f"/attn/{t}", "/attn/split"], [f"/attn/{t}h"]),
                  helper.make_node("Transpose", [f"/attn/{t}h"], [f"/attn/{t}t"], perm=perm)]
    # scale = 1 / sqrt(q.shape[-1]), as torch's scaled_dot_product_attention export writes it.
    nodes += [helper.make_node("Shape", ["/attn/qt"], ["/attn/qshape"]),
              const("/attn/m1", [-1], np.int64), const("/attn/max", [INT64_MAX], np.int64),
              helper.make_node("Slice", ["/attn/qshape", "/attn/m1", "/attn/max"], ["/attn/dk"]),
              helper.make_node("Cast", ["/attn/dk"], ["/attn/dkf"], to=TensorProto.FLOAT),
              helper.make_node("Sqrt", ["/attn/dkf"], ["/attn/sqrt"]),
              const("/attn/onef", [1.0], np.float32),
              helper.make_node("Div", ["/attn/onef", "/attn/sqrt"], ["/attn/scale"]),
              helper.make_node("Mul", ["/attn/qt", "/attn/scale"], ["/attn/qs"]),
              helper.make_node("MatMul", ["/attn/qs", "/attn/kt"], ["/attn/scores"])]
    # Causal mask: Range over the sequence, j > i masked with a large negative number.
    nodes += [helper.make_node("Squeeze", [ns, "/attn/in/ax1"], ["/attn/len"]),
              const("/attn/zero", 0, np.int64), const("/attn/step", 1, np.int64),
              helper.make_node("Range", ["/attn/zero", "/attn/len", "/attn/step"], ["/attn/pos"]),
              const("/attn/ax_row", [1], np.int64),
              helper.make_node("Unsqueeze", ["/attn/pos", "/attn/ax_row"], ["/attn/rows"]),
              helper.make_node("Less", ["/attn/rows", "/attn/pos"], ["/attn/future"]),
              const("/attn/neg", np.float32(-1e4)), const("/attn/zf", np.float32(0.0)),
              helper.make_node("Where", ["/attn/future", "/attn/neg", "/attn/zf"], ["/attn/mask"]),
              helper.make_node("Add", ["/attn/scores", "/attn/mask"], ["/attn/masked"]),
              helper.make_node("Softmax", ["/attn/masked"], ["/attn/p"], axis=-1),
              helper.make_node("MatMul", ["/attn/p", "/attn/vt"], ["/attn/ctx"]),
              helper.make_node("Transpose", ["/attn/ctx"], ["/attn/ctxt"], perm=[0, 2, 1, 3]),
              const("/attn/keep", [0, 0, -1], np.int64),
              helper.make_node("Reshape", ["/attn/ctxt", "/attn/keep"], ["/attn/merged"]),
              helper.make_node("Add", ["x", "/attn/merged"], ["y"])]
    return model(nodes, [vinfo("x", (b, s, d))], [vinfo("y", (b, s, d))], inits)


def vit_class_token():
    hidden, patches = 64, 16
    nodes = [helper.make_node("Conv", ["x", "conv_proj.weight", "conv_proj.bias"], ["/conv_proj/Conv"],
                              kernel_shape=[8, 8], strides=[8, 8]),
             const("/c1", [1, hidden, patches], np.int64),
             helper.make_node("Reshape", ["/conv_proj/Conv", "/c1"], ["/Reshape"]),
             helper.make_node("Transpose", ["/Reshape"], ["/Transpose"], perm=[0, 2, 1]),
             const("/c2", [1, -1, -1], np.int64),
             const("/c3", [3], np.int64),
             helper.make_node("ConstantOfShape", ["/c3"], ["/ConstantOfShape"],
                              value=numpy_helper.from_array(np.array([1], np.int64))),
             const("/c4", -1, np.int64),
             helper.make_node("Mul", ["/ConstantOfShape", "/c4"], ["/Mul"]),
             helper.make_node("Equal", ["/c2", "/Mul"], ["/Equal"]),
             helper.make_node("Where", ["/Equal", "/ConstantOfShape", "/c2"], ["/Where"]),
             helper.make_node("Expand", ["class_token", "/Where"], ["/Expand"]),
             helper.make_node("Concat", ["/Expand", "/Transpose"], ["/Concat"], axis=1),
             helper.make_node("Add", ["/Concat", "encoder.pos_embedding"], ["y"])]
    inits = [init("conv_proj.weight", floats(hidden, 3, 8, 8)), init("conv_proj.bias", floats(hidden)),
             init("class_token", floats(1, 1, hidden)), init("encoder.pos_embedding", floats(1, patches + 1, hidden))]
    return model(nodes, [vinfo("x", (1, 3, 32, 32))], [vinfo("y", (1, patches + 1, hidden))], inits)


def swin_shifted_mask():
    """Swin's shifted-window attention mask (torchvision's shifted_window_attention): a zeros
    [H, W] into which attn_mask[h0:h1, w0:w1] = k is written for the 3 x 3 regions, each as
    torch.onnx.export writes it (indices from Range, Unsqueeze, Expand, Concat; ScatterND), then
    cut into windows, compared pairwise and turned into 0 / -100, added to the scores x of the
    windows before Softmax. All of the mask folds at load."""
    size, ws, shift, heads = 8, 4, 2, 2
    nw, n = (size // ws) ** 2, ws * ws
    cuts = [(0, size - ws), (size - ws, size - shift), (size - shift, size)]
    nodes = [const("/mask/shape", [size, size], np.int64),
             helper.make_node("ConstantOfShape", ["/mask/shape"], ["/mask/m0"],
                              value=numpy_helper.from_array(np.array([0], np.float32)))]
    k = 0
    for h0, h1 in cuts:
        for w0, w1 in cuts:
            p = f"/mask/s{k}"
            hn, wn = h1 - h0, w1 - w0
            nodes += [const(f"{p}/h0", h0, np.int64), const(f"{p}/h1", h1, np.int64),
                      const(f"{p}/w0", w0, np.int64), const(f"{p}/w1", w1, np.int64),
                      const(f"{p}/one", 1, np.int64),
                      helper.make_node("Range", [f"{p}/h0", f"{p}/h1", f"{p}/one"], [f"{p}/hr"]),
                      helper.make_node("Range", [f"{p}/w0", f"{p}/w1", f"{p}/one"], [f"{p}/wr"]),
                      const(f"{p}/hshape", [hn, 1], np.int64),
                      helper.make_node("Reshape", [f"{p}/hr", f"{p}/hshape"], [f"{p}/hc"]),
                      const(f"{p}/grid", [hn, wn], np.int64),
                      helper.make_node("Expand", [f"{p}/hc", f"{p}/grid"], [f"{p}/he"]),
                      helper.make_node("Expand", [f"{p}/wr", f"{p}/grid"], [f"{p}/we"]),
                      const(f"{p}/last", [-1], np.int64),
                      helper.make_node("Unsqueeze", [f"{p}/he", f"{p}/last"], [f"{p}/hu"]),
                      helper.make_node("Unsqueeze", [f"{p}/we", f"{p}/last"], [f"{p}/wu"]),
                      helper.make_node("Concat", [f"{p}/hu", f"{p}/wu"], [f"{p}/idx"], axis=-1),
                      const(f"{p}/val", np.full((hn, wn), k, np.float32)),
                      helper.make_node("ScatterND", [f"/mask/m{k}", f"{p}/idx", f"{p}/val"],
                                       [f"/mask/m{k + 1}"])]
            k += 1
    nodes += [const("/mask/win", [size // ws, ws, size // ws, ws], np.int64),
              helper.make_node("Reshape", [f"/mask/m{k}", "/mask/win"], ["/mask/w"]),
              helper.make_node("Transpose", ["/mask/w"], ["/mask/wt"], perm=[0, 2, 1, 3]),
              const("/mask/flat", [nw, n], np.int64),
              helper.make_node("Reshape", ["/mask/wt", "/mask/flat"], ["/mask/f"]),
              const("/mask/a1", [1], np.int64), const("/mask/a2", [2], np.int64),
              helper.make_node("Unsqueeze", ["/mask/f", "/mask/a1"], ["/mask/u1"]),
              helper.make_node("Unsqueeze", ["/mask/f", "/mask/a2"], ["/mask/u2"]),
              helper.make_node("Sub", ["/mask/u1", "/mask/u2"], ["/mask/d"]),
              const("/mask/zero", 0.0, np.float32), const("/mask/neg", -100.0, np.float32),
              helper.make_node("Equal", ["/mask/d", "/mask/zero"], ["/mask/eq"]),
              helper.make_node("Where", ["/mask/eq", "/mask/zero", "/mask/neg"], ["/mask/v"]),
              const("/mask/heads", [1], np.int64),
              helper.make_node("Unsqueeze", ["/mask/v", "/mask/heads"], ["/mask/vh"]),
              helper.make_node("Add", ["x", "/mask/vh"], ["/attn/Add"]),
              helper.make_node("Softmax", ["/attn/Add"], ["y"], axis=-1)]
    return model(nodes, [vinfo("x", (nw, heads, n, n))], [vinfo("y", (nw, heads, n, n))])


EXPORTER = {
    "lstm_opset13": lambda: rnn("LSTM", 13),
    "lstm_opset14": lambda: rnn("LSTM", 14),
    "lstm_nonzero_state": lambda: rnn("LSTM", 13, np.full((1, 1, 64), 0.5, np.float32)),
    "gru_opset13": lambda: rnn("GRU", 13),
    "gru_opset14": lambda: rnn("GRU", 14),
    "shufflenet_shuffle": shufflenet_shuffle,
    "shufflenet_shuffle_symbolic_batch": lambda: shufflenet_shuffle("N"),
    "attention": attention,
    "vit_class_token": vit_class_token,
    "shufflenet_split": shufflenet_split,
    "swin_shifted_mask": swin_shifted_mask,
}


def refusal_list():
    """A model that cannot run for 300 reasons of three kinds: one error must count them all,
    group alike nodes under one reason, name each node at most once, and say how many it left
    out when the list does not fit."""
    nodes = []
    prev = "x"
    for i in range(150):  # unknown ops, long names
        name = f"/encoder/layers.{i}/block/with/a/long/exporter/path/FooBar_{i}"
        nodes.append(helper.make_node("FooBar", [prev], [f"foo{i}"], name=name))
        prev = f"foo{i}"
    for i in range(150):  # NonZero (its output's shape depends on data): read x, not the chain
        nodes.append(helper.make_node("NonZero", ["x"], [f"g{i}"], name=f"/head.{i}/NonZero"))
    nodes.append(helper.make_node("Relu", [prev], ["y"]))
    outputs = [vinfo("y", (2, 3))] + [vinfo(f"g{i}", (3,)) for i in range(150)]
    graph = helper.make_graph(nodes, "g", [vinfo("x", (2, 3))], outputs)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def check_refusals(cli, tmp):
    path = os.path.join(tmp, "refusals.onnx")
    onnx.save(refusal_list(), path)
    got = run_cli(cli, ["info", path])
    msg = got.stderr.strip()
    problems = []
    if got.returncode != 2:
        problems.append(f"exit {got.returncode}")
    if "300 unsupported nodes: /encoder/layers.0/block" not in msg:
        problems.append("no count of 300 or not in order")
    if msg.count("(FooBar, ai.onnx, opset 13): unknown op") != 1:
        problems.append("the FooBar nodes are not one group")
    names = [f"/encoder/layers.{i}/block/with/a/long/exporter/path/FooBar_{i}" for i in range(150)]
    names += [f"/head.{i}/NonZero" for i in range(150)]
    listed = sum(1 for n in names if n + "," in msg or n + " (" in msg)
    if any(msg.count(n + ",") + msg.count(n + " (") > 1 for n in names):
        problems.append("a node is named twice")
    if listed < 300 and not msg.endswith(f" ... and {300 - listed} more"):
        problems.append(f"{listed} named without saying how many more")
    if listed < 40:
        problems.append(f"only {listed} named")
    return not problems, ("; ".join(problems) or f"{listed} of 300 named, grouped") + f" [{msg[-160:]}]"


def run_cli(cli, args):
    return subprocess.run([cli] + args, capture_output=True, text=True)


def check_exporter(cli, tmp, name, build):
    path = os.path.join(tmp, name + ".onnx")
    onnx.save(build(), path)
    x_shape = [d.dim_value or 1 for d in onnx.load(path).graph.input[0].type.tensor_type.shape.dim]
    x = RNG.uniform(-1, 1, size=x_shape).astype(np.float32)
    np.save(os.path.join(tmp, name + ".x.npy"), x)
    got = run_cli(cli, ["run", path, "--input", os.path.join(tmp, name + ".x.npy"),
                        "--output", os.path.join(tmp, name + ".ep.npy")])
    if name in REFUSED:
        node, why = REFUSED[name]
        msg = got.stderr.strip()
        if got.returncode == 2 and node in msg and why in msg:
            return True, f"refused as expected: {msg[:200]}"
        if got.returncode == 0:
            return False, "now loads and runs: check it against ONNX Runtime instead (remove it from REFUSED)"
        return False, f"exit {got.returncode}, not the expected refusal: {msg[:300]}"
    if got.returncode != 0:
        return False, f"edgeprof run: exit {got.returncode}: {got.stderr.strip()[:600]}"
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    ref = session.run(None, {"x": x})[0]
    ep = np.load(os.path.join(tmp, name + ".ep.npy"))
    if ep.shape != ref.shape:
        return False, f"shape {ep.shape}, ONNX Runtime {ref.shape}"
    diff = float(np.abs(ep.astype(np.float64) - ref).max())
    peak = float(np.abs(ref).max())
    ok = diff <= 1e-4 * peak
    return ok, f"max|diff| {diff:.3e}, max|y| {peak:.3e}"


# --- node tests as folds ----------------------------------------------------------------------


def as_fold_model(case, inputs, outputs):
    """The node test's graph with its inputs as initializers and its outputs cast to float,
    flattened, concatenated and added to a float input x [1]; None when it does not fit."""
    g = case.model.graph
    inits = list(g.initializer)
    names = {i.name for i in inits}
    graph_inputs = [i for i in g.input if i.name not in names]
    if len(graph_inputs) != len(inputs):
        return None
    for info, value in zip(graph_inputs, inputs):
        inits.append(numpy_helper.from_array(value, info.name))
    nodes = list(g.node)
    pieces = []
    for k, out in enumerate(g.output):
        nodes += [helper.make_node("Cast", [out.name], [f"__f{k}"], to=TensorProto.FLOAT),
                  helper.make_node("Reshape", [f"__f{k}", "__flat"], [f"__r{k}"])]
        pieces.append(f"__r{k}")
    nodes += [helper.make_node("Concat", pieces, ["__all"], axis=0),
              helper.make_node("Add", ["__all", "__x"], ["__y"])]
    inits.append(numpy_helper.from_array(np.array([-1], np.int64), "__flat"))
    n = int(sum(np.asarray(o).size for o in outputs))
    graph = helper.make_graph(nodes, "fold", [vinfo("__x", [1])], [vinfo("__y", [n])], initializer=inits)
    m = helper.make_model(graph, opset_imports=case.model.opset_import)
    m.ir_version = case.model.ir_version
    return m


class NodeCase:
    """One node test as tests/conformance/node_tests.py writes it: model.onnx and the first data
    set's input_<i>.pb / output_<i>.pb."""

    def __init__(self, folder):
        self.name = os.path.basename(folder)
        self.model = onnx.load(os.path.join(folder, "model.onnx"))
        self.folder = folder

    def data_set(self):
        """(inputs, outputs) as TensorProto, or None when one is not a tensor."""
        sets = []
        g = self.model.graph
        inits = {i.name for i in g.initializer}
        for prefix, infos in (("input", [i for i in g.input if i.name not in inits]), ("output", g.output)):
            values = []
            for i, info in enumerate(infos):
                path = os.path.join(self.folder, "test_data_set_0", f"{prefix}_{i}.pb")
                if info.type.WhichOneof("value") != "tensor_type" or not os.path.isfile(path):
                    return None
                t = TensorProto()
                with open(path, "rb") as f:
                    t.ParseFromString(f.read())
                values.append(t)
            sets.append(values)
        return sets


def node_cases(folder, name_filter):
    for name in sorted(os.listdir(folder)):
        if not name.startswith("test_") or (name_filter and name_filter not in name):
            continue
        path = os.path.join(folder, name)
        if not os.path.isdir(os.path.join(path, "test_data_set_0")):
            continue
        case = NodeCase(path)
        if {n.op_type for n in case.model.graph.node} <= FOLDED:
            yield case


def numeric(values):
    """The arrays of a data set (TensorProto values converted), or None when one is not a
    numeric tensor numpy holds (sequences, strings, float8, 4-bit and 2-bit types)."""
    out = []
    for v in values:
        if isinstance(v, TensorProto):
            try:
                v = numpy_helper.to_array(v)
            except Exception:  # types numpy cannot hold
                return None
        if not isinstance(v, np.ndarray) or v.dtype.kind not in "fiub":
            return None
        out.append(v)
    return out


def check_node(cli, tmp, case):
    if min(o.version for o in case.model.opset_import if o.domain in ("", "ai.onnx")) < 7:
        return None, "opset below 7 (edgeprof reads opsets 7 to 28)"
    data = case.data_set()
    if data is None:
        return None, "inputs or outputs are not tensors (sequences, optionals)"
    inputs, outputs = (numeric(v) for v in data)
    if inputs is None or outputs is None:
        return None, "inputs or outputs are not numeric tensors (sequences, strings, 8-bit floats)"
    if sum(o.size for o in outputs) == 0:
        return None, "empty output (edgeprof's tensors have at least one element)"
    m = as_fold_model(case, inputs, outputs)
    if m is None:
        return None, "inputs that are not graph inputs"
    path = os.path.join(tmp, case.name + ".onnx")
    onnx.save(m, path)
    got = run_cli(cli, ["run", path, "--input", os.path.join(tmp, "zero.npy"),
                        "--output", os.path.join(tmp, case.name + ".npy")])
    if got.returncode != 0:
        return False, got.stderr.strip()[:400]
    y = np.load(os.path.join(tmp, case.name + ".npy")).astype(np.float64)
    want = np.concatenate([np.asarray(o).astype(np.float32).reshape(-1) for o in outputs]).astype(np.float64)
    if y.shape != want.shape:
        return False, f"{y.size} values, expected {want.size}"
    with np.errstate(invalid="ignore"):  # inf - inf: equal infinities pass through y == want
        same = (y == want) | (np.abs(y - want) <= 1e-6 * np.abs(want)) | (np.isnan(y) & np.isnan(want))
    if not same.all():
        i = int(np.argmin(same))
        return False, f"value {i} is {y[i]!r}, expected {want[i]!r}"
    return True, ""


def main(argv):
    if len(argv) not in (4, 5):
        print("usage: exporter_graphs.py EDGEPROF_CLI NODE_TESTS_DIR TMP_DIR [NAME_FILTER]", file=sys.stderr)
        return 2
    cli, node_dir, tmp = argv[1], argv[2], argv[3]
    name_filter = argv[4] if len(argv) == 5 else None

    failed = passed = known = skipped = 0
    for name, build in EXPORTER.items():
        if name_filter and name_filter not in name:
            continue
        ok, detail = check_exporter(cli, tmp, name, build)
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
        passed += ok
        failed += not ok
    if not name_filter or name_filter in "refusal_list":
        ok, detail = check_refusals(cli, tmp)
        print(f"{'ok  ' if ok else 'FAIL'} refusal_list: {detail}")
        passed += ok
        failed += not ok
    hits = {p: 0 for p in NOT_PASSING}
    np.save(os.path.join(tmp, "zero.npy"), np.zeros([1], np.float32))
    cases = list(node_cases(node_dir, name_filter))
    # Two at a time: most of the time is the CLI's start.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda case: check_node(cli, tmp, case), cases))
    for case, (ok, detail) in zip(cases, results):
        if ok is None:
            skipped += 1
            if os.environ.get("EP_VERBOSE"):
                print(f"skip {case.name}: {detail}")
            continue
        reason = next((p for p in NOT_PASSING if fnmatch.fnmatch(case.name, p)), None)
        if ok:
            passed += 1
        elif reason is not None:
            hits[reason] += 1
            known += 1
            if os.environ.get("EP_VERBOSE"):
                print(f"known {case.name}: {NOT_PASSING[reason]} [{detail}]")
        else:
            failed += 1
            print(f"FAIL {case.name}: {detail}")
    for p, count in hits.items():
        if count == 0 and not name_filter:
            failed += 1
            print(f"FAIL stale entry {p} ({NOT_PASSING[p]}): every test it names passes or is gone")
    print(f"{passed} passed, {failed} failed, {known} do not pass for a listed reason, "
          f"{skipped} node tests do not apply (EP_VERBOSE=1 lists them)")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

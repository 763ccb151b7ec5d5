"""Transformer graphs as torch.onnx.export writes them (opset 13, HuggingFace BERT and ViT
modules), built with the onnx helper API and numpy so that no test needs PyTorch; run by ONNX
Runtime for the cross-check (tests/conformance/test_ort_transformer.sh) and used by
bench/transformer_fusions.sh.

    transformer_graphs.py write KIND DIR [--hidden N] [--heads N] [--seq N] [--ffn N] [--seed N]
        writes DIR/model.onnx, the inputs DIR/input_0.npy ... and ONNX Runtime's output
        (CPU, 1 thread) DIR/expected.npy
    transformer_graphs.py compare EXPECTED.npy GOT.npy ... [--onnx MODEL.onnx DIR]
        for each GOT: max |diff| <= 1e-4 * max |expected|, one line each; --onnx also runs
        MODEL.onnx in ONNX Runtime on DIR/input_*.npy (the model's inputs in order) and
        compares its output the same way

KIND:
    attention  BERT self-attention with its padding mask: q, k, v projections, heads split by
               Reshape + Transpose, k^T by a second Transpose, MatMul, Div by sqrt(d), Add of the
               extended mask ((1 - mask) * -10000, from a [B, S] float mask), Softmax, MatMul,
               heads merged, output projection
    bert       one BERT encoder layer (post-norm): attention as above, residual, LayerNorm written
               out (ReduceMean, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul gamma, Add beta),
               FFN with GELU written out with Erf (x * 0.5 * (1 + erf(x / sqrt 2))), residual,
               LayerNorm
    mlp        two transformer MLPs in a row (Linear, GELU, Linear): the first with GELU
               written out with Erf (x * 0.5 * (1 + erf(x / sqrt 2))), the second with its tanh
               form (0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3))))
    vit        one ViT block (pre-norm, no mask): LayerNorm with Mul x x for the square, attention,
               residual, LayerNorm, MLP with the tanh form of GELU, residual; sequence 197

Exit status 0 on success, 1 on a failed comparison, 2 on bad use.
"""
import argparse
import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Builder:
    def __init__(self, seed):
        self.nodes = []
        self.inits = []
        self.rng = np.random.default_rng(seed)
        self.count = 0

    def const(self, name, value):
        value = np.asarray(value)
        if value.dtype == np.float64:
            value = value.astype(np.float32)
        self.inits.append(numpy_helper.from_array(value, name))
        return name

    def weight(self, name, shape, scale):
        return self.const(name, self.rng.uniform(-scale, scale, shape).astype(np.float32))

    def node(self, op, name, inputs, **attrs):
        out = name + "_output_0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    def linear(self, prefix, x, n_in, n_out):
        w = self.weight(prefix + ".weight", (n_in, n_out), 1.0 / math.sqrt(n_in))
        b = self.weight(prefix + ".bias", (n_out,), 0.1)
        y = self.node("MatMul", "/" + prefix + "/MatMul", [x, w])
        return self.node("Add", "/" + prefix + "/Add", [b, y])

    def layer_norm(self, prefix, x, hidden, square_by_mul=False):
        """torch.nn.LayerNorm as exported before opset 17: every step a node."""
        p = "/" + prefix
        mean = self.node("ReduceMean", p + "/ReduceMean", [x], axes=[-1], keepdims=1)
        d = self.node("Sub", p + "/Sub", [x, mean])
        if square_by_mul:
            sq = self.node("Mul", p + "/Mul_sq", [d, d])
        else:
            sq = self.node("Pow", p + "/Pow", [d, self.const(prefix + ".two", np.float32(2.0))])
        var = self.node("ReduceMean", p + "/ReduceMean_1", [sq], axes=[-1], keepdims=1)
        eps = self.const(prefix + ".eps", np.float32(1e-12 if not square_by_mul else 1e-6))
        v = self.node("Add", p + "/Add", [var, eps])
        s = self.node("Sqrt", p + "/Sqrt", [v])
        n = self.node("Div", p + "/Div", [d, s])
        g = self.const(prefix + ".weight", self.rng.uniform(0.5, 1.5, (hidden,)).astype(np.float32))
        b = self.weight(prefix + ".bias", (hidden,), 0.1)
        y = self.node("Mul", p + "/Mul", [n, g])
        return self.node("Add", p + "/Add_1", [y, b])

    def gelu_erf(self, prefix, x):
        p = "/" + prefix
        t = self.node("Div", p + "/Div", [x, self.const(prefix + ".sqrt2", np.float32(math.sqrt(2.0)))])
        t = self.node("Erf", p + "/Erf", [t])
        t = self.node("Add", p + "/Add", [t, self.const(prefix + ".one", np.float32(1.0))])
        t = self.node("Mul", p + "/Mul", [x, t])
        return self.node("Mul", p + "/Mul_1", [t, self.const(prefix + ".half", np.float32(0.5))])

    def gelu_tanh(self, prefix, x):
        p = "/" + prefix
        x3 = self.node("Pow", p + "/Pow", [x, self.const(prefix + ".three", np.float32(3.0))])
        t = self.node("Mul", p + "/Mul", [x3, self.const(prefix + ".c", np.float32(0.044715))])
        t = self.node("Add", p + "/Add", [x, t])
        t = self.node("Mul", p + "/Mul_1",
                      [t, self.const(prefix + ".k", np.float32(math.sqrt(2.0 / math.pi)))])
        t = self.node("Tanh", p + "/Tanh", [t])
        t = self.node("Add", p + "/Add_1", [t, self.const(prefix + ".one", np.float32(1.0))])
        h = self.node("Mul", p + "/Mul_2", [x, self.const(prefix + ".half", np.float32(0.5))])
        return self.node("Mul", p + "/Mul_3", [h, t])

    def attention(self, prefix, x, a, mask):
        """HuggingFace BertSelfAttention / ViTSelfAttention + the output projection."""
        s, hidden, heads = a.seq, a.hidden, a.heads
        d = hidden // heads
        p = "/" + prefix
        split = self.const(prefix + ".split_shape", np.array([1, s, heads, d], np.int64))
        parts = []
        for name in ("query", "key", "value"):
            y = self.linear(prefix + "." + name, x, hidden, hidden)
            y = self.node("Reshape", p + "/" + name + "/Reshape", [y, split])
            parts.append(self.node("Transpose", p + "/" + name + "/Transpose", [y], perm=[0, 2, 1, 3]))
        q, k, v = parts
        kt = self.node("Transpose", p + "/Transpose", [k], perm=[0, 1, 3, 2])
        scores = self.node("MatMul", p + "/MatMul", [q, kt])
        scores = self.node("Div", p + "/Div", [scores, self.const(prefix + ".scale", np.float32(math.sqrt(d)))])
        if mask is not None:
            scores = self.node("Add", p + "/Add", [scores, mask])
        probs = self.node("Softmax", p + "/Softmax", [scores], axis=-1)
        ctx = self.node("MatMul", p + "/MatMul_1", [probs, v])
        ctx = self.node("Transpose", p + "/Transpose_1", [ctx], perm=[0, 2, 1, 3])
        merge = self.const(prefix + ".merge_shape", np.array([1, s, hidden], np.int64))
        ctx = self.node("Reshape", p + "/Reshape", [ctx, merge])
        return self.linear(prefix + ".output.dense", ctx, hidden, hidden)

    def extended_mask(self, mask):
        """BertModel.get_extended_attention_mask: mask[:, None, None, :], (1 - m) * -10000."""
        m = self.node("Unsqueeze", "/Unsqueeze", [mask, self.const("mask.axes1", np.array([1], np.int64))])
        m = self.node("Unsqueeze", "/Unsqueeze_1", [m, self.const("mask.axes2", np.array([2], np.int64))])
        m = self.node("Sub", "/Sub", [self.const("mask.one", np.float32(1.0)), m])
        return self.node("Mul", "/Mul", [m, self.const("mask.min", np.float32(-10000.0))])


def build(kind, a):
    b = Builder(a.seed)
    x_info = helper.make_tensor_value_info("hidden_states", TensorProto.FLOAT, [1, a.seq, a.hidden])
    inputs = [x_info]
    feeds = [b.rng.uniform(-1, 1, (1, a.seq, a.hidden)).astype(np.float32)]
    x = "hidden_states"
    if kind in ("attention", "bert"):
        inputs.append(helper.make_tensor_value_info("attention_mask", TensorProto.FLOAT, [1, a.seq]))
        keep = np.ones((1, a.seq), np.float32)
        keep[0, a.seq - a.seq // 4:] = 0.0  # padding at the end
        feeds.append(keep)
        mask = b.extended_mask("attention_mask")
    if kind == "attention":
        y = b.attention("attention.self", x, a, mask)
    elif kind == "bert":
        h = b.attention("attention.self", x, a, mask)
        h = b.node("Add", "/attention/output/Add", [h, x])
        h = b.layer_norm("attention.output.LayerNorm", h, a.hidden)
        f = b.linear("intermediate.dense", h, a.hidden, a.ffn)
        f = b.gelu_erf("intermediate.intermediate_act_fn", f)
        f = b.linear("output.dense", f, a.ffn, a.hidden)
        f = b.node("Add", "/output/Add", [f, h])
        y = b.layer_norm("output.LayerNorm", f, a.hidden)
    elif kind == "mlp":
        f = b.linear("mlp1.fc1", x, a.hidden, a.ffn)
        f = b.gelu_erf("mlp1.act", f)
        h = b.linear("mlp1.fc2", f, a.ffn, a.hidden)
        f = b.linear("mlp2.fc1", h, a.hidden, a.ffn)
        f = b.gelu_tanh("mlp2.act", f)
        y = b.linear("mlp2.fc2", f, a.ffn, a.hidden)
    elif kind == "vit":
        h = b.layer_norm("layernorm_before", x, a.hidden, square_by_mul=True)
        h = b.attention("attention.attention", h, a, None)
        h = b.node("Add", "/Add", [h, x])
        f = b.layer_norm("layernorm_after", h, a.hidden, square_by_mul=True)
        f = b.linear("intermediate.dense", f, a.hidden, a.ffn)
        f = b.gelu_tanh("intermediate.intermediate_act_fn", f)
        f = b.linear("output.dense", f, a.ffn, a.hidden)
        y = b.node("Add", "/Add_1", [f, h])
    else:
        raise ValueError(kind)
    b.nodes[-1].output[0] = "output"
    out = helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, a.seq, a.hidden])
    graph = helper.make_graph(b.nodes, kind, inputs, [out], b.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="transformer_graphs.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model, feeds


def write(kind, out_dir, a):
    import onnxruntime as ort

    os.makedirs(out_dir, exist_ok=True)
    model, feeds = build(kind, a)
    path = os.path.join(out_dir, "model.onnx")
    onnx.save(model, path)
    names = []
    for i, value in enumerate(feeds):
        np.save(os.path.join(out_dir, "input_%d.npy" % i), value)
        names.append(model.graph.input[i].name)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    (y,) = session.run(None, dict(zip(names, feeds)))
    np.save(os.path.join(out_dir, "expected.npy"), y.astype(np.float32))


def compare_one(ref, got, label):
    if ref.shape != got.shape:
        print("%s: shape %s, expected %s" % (label, got.shape, ref.shape))
        return 1
    scale = float(np.max(np.abs(ref)))
    diff = float(np.max(np.abs(ref.astype(np.float64) - got)))
    ok = np.all(np.isfinite(got)) and diff <= 1e-4 * scale
    print("%s: max |diff| %.3g (%.2g x max |y| %.3g)%s" % (
        label, diff, diff / scale if scale else 0, scale, "" if ok else ": above 1e-4 x max |y|"))
    return 0 if ok else 1


def compare(ref_path, got_paths, onnx_model=None, input_dir=None):
    ref = np.load(ref_path)
    failed = 0
    for path in got_paths:
        failed |= compare_one(ref, np.load(path), path)
    if onnx_model is not None:
        import onnxruntime as ort

        session = ort.InferenceSession(onnx_model, providers=["CPUExecutionProvider"])
        feeds = {i.name: np.load(os.path.join(input_dir, "input_%d.npy" % k))
                 for k, i in enumerate(session.get_inputs())}
        failed |= compare_one(ref, session.run(None, feeds)[0], onnx_model + " in ONNX Runtime")
    return failed


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("kind", choices=["attention", "mlp", "bert", "vit"])
    w.add_argument("dir")
    w.add_argument("--hidden", type=int, default=256)
    w.add_argument("--heads", type=int, default=4)
    w.add_argument("--seq", type=int, default=0, help="default: 128 (bert, attention), 197 (vit)")
    w.add_argument("--ffn", type=int, default=0, help="default: 4 x hidden")
    w.add_argument("--seed", type=int, default=2018)
    c = sub.add_parser("compare")
    c.add_argument("expected")
    c.add_argument("got", nargs="+")
    c.add_argument("--onnx", nargs=2, metavar=("MODEL", "DIR"))
    a = parser.parse_args(argv[1:])
    if a.command == "compare":
        return compare(a.expected, a.got, *(a.onnx or (None, None)))
    if a.seq == 0:
        a.seq = 197 if a.kind == "vit" else 128
    if a.ffn == 0:
        a.ffn = 4 * a.hidden
    if a.hidden % a.heads:
        parser.error("--hidden must be a multiple of --heads")
    write(a.kind, a.dir, a)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

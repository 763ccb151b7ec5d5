"""Exporter-style ONNX graphs with int64 and bool tensors computed at run time, for the
cross-check against ONNX Runtime (tests/conformance/test_exporter_graphs_dtype.sh): written with
the onnx helper API and numpy, random weights from a fixed seed, IR version 8 (ORT 1.31 reads up
to 13).

    dtype_graphs.py OUT_DIR      writes OUT_DIR/<name>.onnx and prints one "<name>" line each

- bert_embedding (opset 13): int64 input_ids [1, 16] -> Gather on a word table [64, 32], plus the
  position embedding (a constant position_ids buffer Sliced to the sequence, Gather), plus the
  token-type embedding (Gather of zeros); one attention head over it whose scores get the
  additive mask as BERT exports write it: int64 attention_mask [1, 16] -> Unsqueeze -> Unsqueeze
  -> Cast(float) -> Sub(1, m) -> Mul(-10000) -> Add; Softmax, MatMul.
- mask_where (opset 13): a bool key_padding_mask [1, 16] input and an int64 attention_mask: the
  masks nn.TransformerEncoder and ViT exports build with Equal, Not, And, Or, Xor, Where(-inf,
  0), a causal mask from Range, Unsqueeze and LessOrEqual, then Softmax.
- int_arith (opset 13): int64 arithmetic at run time (Add, Sub, Mul, Div with broadcasting,
  negative values), Concat, Reshape, Flatten, Squeeze, Expand, Slice with steps, Gather along
  axis 1 with negative indices, Greater, Less, GreaterOrEqual, Cast to bool and to float.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(15)
SEQ, HIDDEN, VOCAB = 16, 32, 64


class Builder:
    def __init__(self):
        self.nodes, self.inits, self.k = [], [], 0

    def fresh(self, base):
        self.k += 1
        return f"{base}_{self.k}"

    def const(self, base, array, dtype=np.float32):
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def op(self, op_type, inputs, **attrs):
        out = self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out

    def model(self, name, inputs, output, out_shape):
        graph = helper.make_graph(
            self.nodes, name, inputs,
            [helper.make_tensor_value_info(output, TensorProto.FLOAT, out_shape)], self.inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model


def i64(b, base, values):
    return b.const(base, values, np.int64)


def attention(b, x, mask_add):
    """One head: softmax(q k^T / sqrt(d) + mask_add) v, q k v from x [1, SEQ, HIDDEN]."""
    q = b.op("MatMul", [x, b.const("wq", rng.standard_normal((HIDDEN, HIDDEN)) * 0.2)])
    k = b.op("MatMul", [x, b.const("wk", rng.standard_normal((HIDDEN, HIDDEN)) * 0.2)])
    v = b.op("MatMul", [x, b.const("wv", rng.standard_normal((HIDDEN, HIDDEN)) * 0.2)])
    kt = b.op("Transpose", [k], perm=[0, 2, 1])
    s = b.op("Div", [b.op("MatMul", [q, kt]), b.const("scale", np.sqrt(HIDDEN))])
    p = b.op("Softmax", [b.op("Add", [s, mask_add])], axis=-1)
    return b.op("MatMul", [p, v])


def bert_embedding():
    b = Builder()
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, SEQ])
    mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [1, SEQ])
    words = b.op("Gather", [b.const("word_embeddings", rng.standard_normal((VOCAB, HIDDEN))),
                            "input_ids"])
    pos_ids = b.op("Slice", [i64(b, "position_ids", np.arange(128)[None, :]), i64(b, "st", [0]),
                             i64(b, "en", [SEQ]), i64(b, "ax", [1])])
    pos = b.op("Gather", [b.const("position_embeddings", rng.standard_normal((128, HIDDEN))),
                          pos_ids])
    types = b.op("Gather", [b.const("token_type_embeddings", rng.standard_normal((2, HIDDEN))),
                            i64(b, "token_type_ids", np.zeros((1, SEQ)))])
    x = b.op("Add", [b.op("Add", [words, pos]), types])
    m = b.op("Unsqueeze", [b.op("Unsqueeze", ["attention_mask", i64(b, "a1", [1])]),
                           i64(b, "a2", [2])])
    m = b.op("Cast", [m], to=TensorProto.FLOAT)
    m = b.op("Mul", [b.op("Sub", [b.const("one", 1.0), m]), b.const("neg", -10000.0)])
    y = attention(b, x, b.op("Squeeze", [m, i64(b, "sq", [1])]))
    return b.model("bert_embedding", [ids, mask], y, [1, SEQ, HIDDEN])


def mask_where():
    b = Builder()
    x_in = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, SEQ, HIDDEN])
    pad = helper.make_tensor_value_info("key_padding_mask", TensorProto.BOOL, [1, SEQ])
    am = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [1, SEQ])
    keep = b.op("Not", ["key_padding_mask"])
    ones = b.op("Equal", ["attention_mask", i64(b, "one", 1)])
    both = b.op("And", [keep, ones])
    either = b.op("Xor", [b.op("Or", [keep, ones]), both])  # exactly one of them
    pos = b.op("Range", [i64(b, "r0", 0), i64(b, "r1", SEQ), i64(b, "r2", 1)])
    causal = b.op("LessOrEqual", [b.op("Unsqueeze", [pos, i64(b, "u0", [0])]),
                                  b.op("Unsqueeze", [pos, i64(b, "u1", [1])])])  # [SEQ, SEQ]
    allowed = b.op("And", [causal, b.op("Unsqueeze", [both, i64(b, "u2", [1])])])
    allowed = b.op("Or", [allowed, b.op("Unsqueeze", [either, i64(b, "u3", [1])])])
    ninf = b.const("ninf", -1e9)
    add = b.op("Where", [allowed, b.const("zero", 0.0), ninf])
    y = attention(b, "x", add)
    return b.model("mask_where", [x_in, pad, am], y, [1, SEQ, HIDDEN])


def int_arith():
    b = Builder()
    ids = helper.make_tensor_value_info("ids", TensorProto.INT64, [2, 8])
    a = b.op("Sub", ["ids", i64(b, "c", [[3], [1]])])            # negative values
    a = b.op("Mul", [a, i64(b, "m", [1, -2, 3, -4, 5, -6, 7, -8])])
    a = b.op("Div", [a, i64(b, "d", 3)])                          # truncates toward zero
    a = b.op("Add", [a, "ids"])
    cat = b.op("Concat", [a, "ids"], axis=1)                      # [2, 16]
    r = b.op("Reshape", [cat, i64(b, "s", [4, 8])])
    f = b.op("Flatten", [b.op("Unsqueeze", [r, i64(b, "u", [0])])], axis=2)   # [4, 8]
    e = b.op("Expand", [b.op("Unsqueeze", [f, i64(b, "u2", [0])]), i64(b, "es", [3, 4, 8])])
    s = b.op("Slice", [e, i64(b, "s0", [2, 7]), i64(b, "s1", [-100, 0]), i64(b, "s2", [0, 2]),
                       i64(b, "s3", [-1, -2])])               # [3, 4, 4] reversed
    g = b.op("Gather", [s, i64(b, "gi", [[-1, 0], [1, -2]])], axis=1)   # [3, 2, 2, 4]
    sq = b.op("Squeeze", [b.op("Unsqueeze", [g, i64(b, "u3", [4])]), i64(b, "u4", [4])])
    gt = b.op("Cast", [b.op("Greater", [sq, i64(b, "t", 0)])], to=TensorProto.FLOAT)
    lt = b.op("Cast", [b.op("Less", [sq, i64(b, "t2", -2)])], to=TensorProto.FLOAT)
    ge = b.op("Cast", [b.op("GreaterOrEqual", [sq, i64(b, "t3", 4)])], to=TensorProto.FLOAT)
    nz = b.op("Cast", [b.op("Cast", [sq], to=TensorProto.BOOL)], to=TensorProto.FLOAT)
    v = b.op("Cast", [sq], to=TensorProto.FLOAT)
    y = b.op("Concat", [v, gt, lt, ge, nz], axis=3)             # [3, 2, 2, 20]
    return b.model("int_arith", [ids], y, [3, 2, 2, 20])


def main(out_dir):
    for make in (bert_embedding, mask_where, int_arith):
        model = make()
        onnx.save(model, os.path.join(out_dir, model.graph.name + ".onnx"))
        print(model.graph.name)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: dtype_graphs.py OUT_DIR", file=sys.stderr)
        sys.exit(2)
    main(sys.argv[1])

"""Small ONNX graphs of the element-wise ops of modern networks as exporters write them, for the
cross-check against ONNX Runtime (tests/conformance/test_ort_crosscheck_math.sh): written with the
onnx helper API, random weights from a fixed seed.

    math_graphs.py OUT_DIR      writes OUT_DIR/<name>.onnx and prints "<name> <input shape>" lines

- mobilenetv3_block (opset 14): stem Conv+BN+HardSwish, an inverted residual (1x1 expansion with
  HardSwish, 3x3 depthwise with HardSwish, squeeze-and-excitation with Relu and HardSigmoid(1/6,
  1/2), 1x1 projection, residual Add), a head Conv+HardSwish, pooling, Gemm+HardSwish, Gemm: the
  activations fuse into the convolutions and the Gemm.
- convnext_block (opset 13): a 7x7 depthwise conv, LayerNorm over channels written out with
  element-wise ops only (Sub of a 1x1-conv mean, Pow 2, a 1x1-conv variance, Add eps, Sqrt, Div),
  GELU written out (Div by sqrt 2, Erf, Add 1, Mul, Mul 0.5), and a layer scale.
- math_chain (opset 20): Gelu both ways, Mish, Softplus, HardSigmoid(0.2, 0.5), Neg, Exp, Abs,
  Log, Reciprocal, Sqrt, Pow by constants (2, 0.5, 3, -1, 1, 1.5 and a per-channel exponent),
  Pow of two computed tensors, variadic Min and Max with broadcasting.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(20)


class Builder:
    def __init__(self, name):
        self.name = name
        self.nodes, self.inits, self.k = [], [], 0

    def fresh(self, base):
        self.k += 1
        return f"{base}_{self.k}"

    def const(self, base, array):
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    def node(self, op, inputs, **attrs):
        out = self.fresh(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out + "_node", **attrs))
        return out

    def conv(self, x, cin, cout, k, stride=1, group=1, bias=True, w=None, pad=None):
        fan = cin // group * k * k
        if w is None:
            w = rng.normal(0, (2.0 / fan) ** 0.5, (cout, cin // group, k, k))
        ins = [x, self.const("w", w)]
        if bias:
            ins.append(self.const("b", rng.uniform(-0.1, 0.1, cout)))
        return self.node("Conv", ins, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[k // 2 if pad is None else pad] * 4, group=group)

    def bn(self, x, c):
        return self.node("BatchNormalization",
                         [x, self.const("g", rng.uniform(0.5, 1.5, c)),
                          self.const("beta", rng.uniform(-0.2, 0.2, c)),
                          self.const("mean", rng.uniform(-0.2, 0.2, c)),
                          self.const("var", rng.uniform(0.5, 1.5, c))], epsilon=1e-5)

    def gemm(self, x, k, m):
        w = self.const("fc_w", rng.normal(0, (1.0 / k) ** 0.5, (m, k)))
        return self.node("Gemm", [x, w, self.const("fc_b", rng.uniform(-0.1, 0.1, m))], transB=1)

    def model(self, shape, y, y_shape, opset):
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
            [helper.make_tensor_value_info(y, TensorProto.FLOAT, y_shape)], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 9
        onnx.checker.check_model(m, full_check=True)
        return m


def mobilenetv3_block():
    b = Builder("mobilenetv3_block")
    hs = lambda x: b.node("HardSwish", [x])
    hsig = lambda x: b.node("HardSigmoid", [x], alpha=1.0 / 6.0, beta=0.5)
    x = hs(b.bn(b.conv("input", 3, 16, 3, 2, bias=False), 16))             # 16 x 24 x 24
    e = hs(b.bn(b.conv(x, 16, 64, 1, bias=False), 64))
    d = hs(b.bn(b.conv(e, 64, 64, 3, 1, group=64, bias=False), 64))
    s = b.node("GlobalAveragePool", [d])
    s = b.node("Relu", [b.conv(s, 64, 16, 1)])
    s = hsig(b.conv(s, 16, 64, 1))
    d = b.node("Mul", [d, s])
    p = b.bn(b.conv(d, 64, 16, 1, bias=False), 16)
    y = b.node("Add", [p, x])
    h = hs(b.bn(b.conv(y, 16, 96, 1, bias=False), 96))
    f = b.node("Flatten", [b.node("GlobalAveragePool", [h])], axis=1)
    f = hs(b.gemm(f, 96, 40))
    return b.model([1, 3, 48, 48], b.gemm(f, 40, 10), [1, 10], 14), "1x3x48x48"


def convnext_block():
    b = Builder("convnext_block")
    c = 32
    x = b.conv("input", 3, c, 4, 4, pad=0)                                   # 32 x 8 x 8 (4x4/4)
    d = b.conv(x, c, c, 7, 1, group=c)
    # LayerNorm over channels with 1x1 convolutions of 1/C as the means (no ReduceMean).
    avg = np.full((c, c, 1, 1), 1.0 / c)
    mean = b.conv(d, c, c, 1, bias=False, w=avg)
    centered = b.node("Sub", [d, mean])
    sq = b.node("Pow", [centered, b.const("two", 2.0)])
    var = b.conv(sq, c, c, 1, bias=False, w=avg)
    std = b.node("Sqrt", [b.node("Add", [var, b.const("eps", 1e-6)])])
    n = b.node("Div", [centered, std])
    n = b.node("Add", [b.node("Mul", [n, b.const("gamma", rng.uniform(0.5, 1.5, (c, 1, 1)))]),
                       b.const("beta", rng.uniform(-0.1, 0.1, (c, 1, 1)))])
    h = b.conv(n, c, 4 * c, 1)
    # GELU as PyTorch writes it at opset 13.
    e = b.node("Erf", [b.node("Div", [h, b.const("sqrt2", np.sqrt(2.0))])])
    g = b.node("Mul", [b.node("Mul", [h, b.node("Add", [e, b.const("one", 1.0)])]),
                       b.const("half", 0.5)])
    o = b.conv(g, 4 * c, c, 1)
    o = b.node("Mul", [o, b.const("scale", rng.uniform(0.1, 1.0, (c, 1, 1)))])
    y = b.node("Add", [x, o])
    return b.model([1, 3, 32, 32], y, [1, c, 8, 8], 13), "1x3x32x32"


def math_chain():
    b = Builder("math_chain")
    x = b.conv("input", 4, 8, 3)                                             # 8 x 12 x 12
    a = b.node("Gelu", [x])
    t = b.node("Gelu", [x], approximate="tanh")
    m = b.node("Mish", [b.node("Mul", [x, b.const("three", 3.0)])])
    sp = b.node("Softplus", [x])
    hs = b.node("HardSigmoid", [x], alpha=0.2, beta=0.5)
    ex = b.node("Exp", [b.node("Neg", [b.node("Abs", [x])])])
    lg = b.node("Log", [b.node("Add", [b.node("Abs", [x]), b.const("tiny", 0.25)])])
    rc = b.node("Reciprocal", [b.node("Add", [sp, b.const("half", 0.5)])])
    sq = b.node("Sqrt", [sp])
    p2 = b.node("Pow", [x, b.const("e2", 2.0)])
    ph = b.node("Pow", [sp, b.const("eh", 0.5)])
    p3 = b.node("Pow", [x, b.const("e3", [3.0])])
    pm = b.node("Pow", [rc, b.const("em1", -1.0)])
    p1 = b.node("Pow", [x, b.const("e1", 1.0)])
    pf = b.node("Pow", [sp, b.const("e15", 1.5)])
    pc = b.node("Pow", [sp, b.const("ec", rng.uniform(0.5, 2.5, (8, 1, 1)))])
    pt = b.node("Pow", [ph, hs])                                             # computed exponent
    mx = b.node("Max", [a, t, b.const("row", rng.uniform(-0.5, 0.5, (1, 12)))])
    mn = b.node("Min", [b.const("col", rng.uniform(-0.2, 1.0, (8, 1, 1))), m, ex, lg])
    mn1 = b.node("Min", [mn])
    terms = [mx, mn1, rc, sq, p2, p3, pm, p1, pf, pc, pt]
    y = terms[0]
    for term in terms[1:]:
        y = b.node("Add", [y, term])
    return b.model([1, 4, 12, 12], b.conv(y, 8, 6, 3), [1, 6, 12, 12], 20), "1x4x12x12"


def main():
    if len(sys.argv) != 2:
        print("usage: math_graphs.py OUT_DIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for make in (mobilenetv3_block, convnext_block, math_chain):
        model, shape = make()
        onnx.save(model, os.path.join(out, model.graph.name + ".onnx"))
        print(model.graph.name, shape)
    return 0


if __name__ == "__main__":
    sys.exit(main())

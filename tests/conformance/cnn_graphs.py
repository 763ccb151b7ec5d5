"""Small ONNX graphs shaped as PyTorch exports modern CNN blocks, for the fusion cross-check
(tests/conformance/test_ort_crosscheck_fusion.sh): written with the onnx helper API, random
weights from a fixed seed, opset 13.

    cnn_graphs.py OUT_DIR      writes OUT_DIR/<name>.onnx and prints "<name> <input shape>" lines

- efficientnet_block: stem Conv+BN+SiLU (Sigmoid, Mul), MBConv with a 1x1 expansion, a 5x5
  stride-2 depthwise conv, squeeze-and-excitation (GlobalAveragePool, Conv 1x1, SiLU, Conv 1x1,
  Sigmoid, Mul), a 1x1 projection, a second MBConv (3x3 depthwise, SE, residual Add), a head
  Conv+SiLU, pooling, Flatten, Gemm with SiLU on its output, Gemm.
- regnet_block: a RegNetY block: grouped 3x3 conv, SE with ReLU, residual Add then ReLU.
- densenet_block: four dense layers (Concat of every earlier output, BN, ReLU, Conv 1x1, BN,
  ReLU, Conv 3x3), the block's Concat, a transition (BN, ReLU, Conv 1x1, AveragePool).
- inception_block: four branches (1x1; 1x1 then 3x3; 1x1 then 5x5; MaxPool then 1x1)
  concatenated, twice, the second reading the first.
- concat_shared: a Concat input also read by another node and one that is a graph input; a Concat
  along the height.
- mobilenet_v3_block: torchvision's MobileNetV3 as torch.onnx writes it at opset 13: HardSwish as
  HardSigmoid(alpha 1/6, beta 1/2) then Mul(x, gate) (both operand orders) after Conv+BN and after
  Gemm, SE blocks gated by that HardSigmoid alone, 3x3 stride-2 and 5x5 stride-1 depthwise
  convolutions, a residual Add, the Flatten/Gemm head; and HardSigmoid with ONNX's default
  constants (alpha 0.2) times x, which is no HardSwish and must stay two ops.
- mobilenet_v2_block: ReLU6 as Clip with min 0 and max 6 from Constant nodes (torch.onnx's form),
  a 3x3 stride-2 and a stride-1 depthwise conv on a 7x7 map, residual Adds, ReduceMean head (as
  MnasNet's export writes its pooling).
- shufflenet_c<C>_<split>: ShuffleNet v2 units as torchvision exports them: a stride-2 unit (two
  branches, Concat, channel shuffle: Reshape [1, 2, C/2, H, W], Transpose (0, 2, 1, 3, 4),
  Reshape [1, C, H, W]) then two basic units (the channels split in halves by two Slices or one
  Split, the second half through 1x1, 3x3 depthwise, 1x1, Concat with the first, shuffle), at C
  of 24, 48 and 58 (halves of 12, 24 and 29 channels: blocked and not).
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(16)


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

    def conv(self, x, cin, cout, k, stride=1, group=1, bias=True):
        fan = cin // group * k * k
        w = self.const("w", rng.normal(0, (2.0 / fan) ** 0.5, (cout, cin // group, k, k)))
        ins = [x, w] + ([self.const("b", rng.uniform(-0.1, 0.1, cout))] if bias else [])
        return self.node("Conv", ins, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[k // 2] * 4, group=group)

    def ints(self, base, values):
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.asarray(values, dtype=np.int64), name))
        return name

    def bn(self, x, c):
        return self.node("BatchNormalization",
                         [x, self.const("g", rng.uniform(0.5, 1.5, c)),
                          self.const("beta", rng.uniform(-0.2, 0.2, c)),
                          self.const("mean", rng.uniform(-0.2, 0.2, c)),
                          self.const("var", rng.uniform(0.5, 1.5, c))], epsilon=1e-5)

    def silu(self, x):
        return self.node("Mul", [x, self.node("Sigmoid", [x])])

    def relu(self, x):
        return self.node("Relu", [x])

    def hardswish(self, x, gate_first=False):
        g = self.node("HardSigmoid", [x], alpha=1.0 / 6, beta=0.5)
        return self.node("Mul", [g, x] if gate_first else [x, g])

    def relu6(self, x):
        lo = self.node("Constant", [], value=numpy_helper.from_array(np.float32(0.0)))
        hi = self.node("Constant", [], value=numpy_helper.from_array(np.float32(6.0)))
        return self.node("Clip", [x, lo, hi])

    def se(self, x, c, squeeze, act, gate="Sigmoid"):
        s = self.node("GlobalAveragePool", [x])
        s = act(self.conv(s, c, squeeze, 1))
        attrs = {"alpha": 1.0 / 6, "beta": 0.5} if gate == "HardSigmoid" else {}
        s = self.node(gate, [self.conv(s, squeeze, c, 1)], **attrs)
        return self.node("Mul", [x, s])

    def gemm(self, x, k, m):
        w = self.const("fc_w", rng.normal(0, (1.0 / k) ** 0.5, (m, k)))
        return self.node("Gemm", [x, w, self.const("fc_b", rng.uniform(-0.1, 0.1, m))], transB=1)

    def model(self, shape, y, y_shape):
        graph = helper.make_graph(
            self.nodes, self.name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, shape)],
            [helper.make_tensor_value_info(y, TensorProto.FLOAT, y_shape)], self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        onnx.checker.check_model(m, full_check=True)
        return m


def efficientnet_block():
    b = Builder("efficientnet_block")
    x = b.silu(b.bn(b.conv("input", 3, 16, 3, 2, bias=False), 16))          # 16 x 32 x 32
    e = b.silu(b.bn(b.conv(x, 16, 64, 1, bias=False), 64))
    d = b.silu(b.bn(b.conv(e, 64, 64, 5, 2, group=64, bias=False), 64))      # 64 x 16 x 16
    d = b.se(d, 64, 4, b.silu)
    p = b.bn(b.conv(d, 64, 24, 1, bias=False), 24)
    e = b.silu(b.bn(b.conv(p, 24, 144, 1, bias=False), 144))
    d = b.silu(b.bn(b.conv(e, 144, 144, 3, 1, group=144, bias=False), 144))
    d = b.se(d, 144, 6, b.silu)
    q = b.bn(b.conv(d, 144, 24, 1, bias=False), 24)
    y = b.node("Add", [q, p])
    h = b.silu(b.bn(b.conv(y, 24, 96, 1, bias=False), 96))
    f = b.node("Flatten", [b.node("GlobalAveragePool", [h])], axis=1)
    f = b.silu(b.gemm(f, 96, 40))
    return b.model([1, 3, 64, 64], b.gemm(f, 40, 10), [1, 10]), "1x3x64x64"


def regnet_block():
    b = Builder("regnet_block")
    x = b.relu(b.conv("input", 3, 32, 3, 2))                                # 32 x 28 x 28
    a = b.relu(b.conv(x, 32, 48, 1))
    a = b.relu(b.conv(a, 48, 48, 3, 2, group=3))                            # 48 x 14 x 14
    a = b.se(a, 48, 8, b.relu)
    a = b.conv(a, 48, 48, 1)
    s = b.conv(x, 32, 48, 1, 2)
    y = b.relu(b.node("Add", [s, a]))
    return b.model([1, 3, 56, 56], y, [1, 48, 14, 14]), "1x3x56x56"


def densenet_block():
    b = Builder("densenet_block")
    feats = [b.node("MaxPool", [b.relu(b.bn(b.conv("input", 3, 16, 3, 2, bias=False), 16))],
                    kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])]  # 16 x 12 x 12
    c = 16
    for _ in range(4):
        x = b.node("Concat", feats, axis=1) if len(feats) > 1 else feats[0]
        x = b.relu(b.bn(b.conv(b.relu(b.bn(x, c)), c, 32, 1, bias=False), 32))
        feats.append(b.conv(x, 32, 8, 3, bias=False))
        c += 8
    x = b.node("Concat", feats, axis=1)
    x = b.conv(b.relu(b.bn(x, c)), c, 24, 1, bias=False)
    y = b.node("AveragePool", [x], kernel_shape=[2, 2], strides=[2, 2])
    return b.model([1, 3, 48, 48], y, [1, 24, 6, 6]), "1x3x48x48"


def inception_block():
    b = Builder("inception_block")
    x = b.relu(b.conv("input", 3, 24, 3, 2))                                # 24 x 16 x 16

    def module(x, cin):
        b1 = b.relu(b.conv(x, cin, 16, 1))
        b2 = b.relu(b.conv(b.relu(b.conv(x, cin, 12, 1)), 12, 24, 3))
        b3 = b.relu(b.conv(b.relu(b.conv(x, cin, 4, 1)), 4, 8, 5))
        b4 = b.node("MaxPool", [x], kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1])
        b4 = b.relu(b.conv(b4, cin, 8, 1))
        return b.node("Concat", [b1, b2, b3, b4], axis=1)                   # 56 channels

    y = module(module(x, 24), 56)
    return b.model([1, 3, 32, 32], b.conv(y, 56, 16, 1), [1, 16, 16, 16]), "1x3x32x32"


def concat_shared():
    b = Builder("concat_shared")
    a = b.relu(b.conv("input", 4, 8, 3))
    c = b.conv(a, 8, 8, 3)
    y = b.node("Concat", [a, c, "input"], axis=1)                            # a also read by conv
    z = b.node("Concat", [y, b.node("Sigmoid", [y])], axis=2)                # along the height
    return b.model([1, 4, 10, 10], b.conv(z, 20, 6, 3), [1, 6, 20, 10]), "1x4x10x10"


def mobilenet_v3_block():
    b = Builder("mobilenet_v3_block")
    x = b.hardswish(b.bn(b.conv("input", 3, 16, 3, 2, bias=False), 16))     # 16 x 32 x 32
    e = b.relu(b.bn(b.conv(x, 16, 64, 1, bias=False), 64))
    d = b.relu(b.bn(b.conv(e, 64, 64, 3, 2, group=64, bias=False), 64))      # 64 x 16 x 16
    d = b.se(d, 64, 16, b.relu, gate="HardSigmoid")
    p = b.bn(b.conv(d, 64, 24, 1, bias=False), 24)
    e = b.hardswish(b.bn(b.conv(p, 24, 96, 1, bias=False), 96), gate_first=True)
    d = b.hardswish(b.bn(b.conv(e, 96, 96, 5, 1, group=96, bias=False), 96))
    d = b.se(d, 96, 24, b.relu, gate="HardSigmoid")
    q = b.bn(b.conv(d, 96, 24, 1, bias=False), 24)
    y = b.node("Add", [q, p])
    h = b.bn(b.conv(y, 24, 96, 1, bias=False), 96)
    h = b.node("Mul", [h, b.node("HardSigmoid", [h])])                       # alpha 0.2: no HardSwish
    f = b.node("Flatten", [b.node("GlobalAveragePool", [h])], axis=1)
    f = b.hardswish(b.gemm(f, 96, 64))
    return b.model([1, 3, 64, 64], b.gemm(f, 64, 10), [1, 10]), "1x3x64x64"


def mobilenet_v2_block():
    b = Builder("mobilenet_v2_block")
    x = b.relu6(b.bn(b.conv("input", 3, 32, 3, 2, bias=False), 32))         # 32 x 14 x 14
    e = b.relu6(b.bn(b.conv(x, 32, 96, 1, bias=False), 96))
    d = b.relu6(b.bn(b.conv(e, 96, 96, 3, 2, group=96, bias=False), 96))    # 96 x 7 x 7
    p = b.bn(b.conv(d, 96, 32, 1, bias=False), 32)
    for _ in range(2):
        e = b.relu6(b.bn(b.conv(p, 32, 192, 1, bias=False), 192))
        d = b.relu6(b.bn(b.conv(e, 192, 192, 3, 1, group=192, bias=False), 192))
        p = b.node("Add", [p, b.bn(b.conv(d, 192, 32, 1, bias=False), 32)])
    h = b.relu6(b.bn(b.conv(p, 32, 64, 1, bias=False), 64))
    f = b.node("ReduceMean", [h], axes=[2, 3], keepdims=0)
    return b.model([1, 3, 28, 28], b.gemm(f, 64, 10), [1, 10]), "1x3x28x28"


def shufflenet_block(c, split):
    """A stride-2 ShuffleNet v2 unit then two basic units at C channels (C/2 per branch)."""
    b = Builder(f"shufflenet_c{c}_{split}")
    h = c // 2
    x = b.node("MaxPool", [b.relu(b.bn(b.conv("input", 3, 16, 3, 2, bias=False), 16))],
               kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])       # 16 x 16 x 16

    def shuffle(y, size):
        y = b.node("Reshape", [y, b.ints("shape", [1, 2, h, size, size])])
        y = b.node("Transpose", [y], perm=[0, 2, 1, 3, 4])
        return b.node("Reshape", [y, b.ints("shape", [1, c, size, size])])

    def branch2(y, cin, stride):
        y = b.relu(b.bn(b.conv(y, cin, h, 1, bias=False), h))
        y = b.bn(b.conv(y, h, h, 3, stride, group=h, bias=False), h)
        return b.relu(b.bn(b.conv(y, h, h, 1, bias=False), h))

    b1 = b.bn(b.conv(x, 16, 16, 3, 2, group=16, bias=False), 16)
    b1 = b.relu(b.bn(b.conv(b1, 16, h, 1, bias=False), h))
    y = shuffle(b.node("Concat", [b1, branch2(x, 16, 2)], axis=1), 8)       # C x 8 x 8
    for _ in range(2):
        if split == "slice":
            ax = b.ints("axes", [1])
            x1 = b.node("Slice", [y, b.ints("starts", [0]), b.ints("ends", [h]), ax])
            x2 = b.node("Slice", [y, b.ints("starts", [h]), b.ints("ends", [c]), ax])
        else:
            outs = [b.fresh("split"), b.fresh("split")]
            b.nodes.append(helper.make_node("Split", [y, b.ints("sizes", [h, h])], outs,
                                            name=outs[0] + "_node", axis=1))
            x1, x2 = outs
        y = shuffle(b.node("Concat", [x1, branch2(x2, h, 1)], axis=1), 8)
    return b.model([1, 3, 64, 64], y, [1, c, 8, 8]), "1x3x64x64"


def main():
    if len(sys.argv) != 2:
        print("usage: cnn_graphs.py OUT_DIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    makers = [efficientnet_block, regnet_block, densenet_block, inception_block, concat_shared,
              mobilenet_v3_block, mobilenet_v2_block]
    makers += [lambda c=c, split=split: shufflenet_block(c, split)
               for c in (24, 48, 58) for split in ("slice", "split")]
    for make in makers:
        model, shape = make()
        onnx.save(model, os.path.join(out, model.graph.name + ".onnx"))
        print(model.graph.name, shape)
    return 0


if __name__ == "__main__":
    sys.exit(main())

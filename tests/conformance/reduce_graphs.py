"""Exporter-style graphs of the reductions, LayerNormalization (opset 17 and written out as
PyTorch writes it), Split (ShuffleNet's channel split), Tile, Einsum (attention's patterns),
batched and broadcast MatMul and Softmax on inner axes, built with the onnx helper API and run
by ONNX Runtime (tests/conformance/test_ort_crosscheck_reduce.sh compares edgeprof with it).

    reduce_graphs.py write DIR          DIR/<case>.onnx, <case>.x.npy (input), <case>.ort.npy
    reduce_graphs.py compare DIR        every DIR/<case>.<run>.ep.npy against <case>.ort.npy:
                                        max |diff| <= 1e-4 * max |ref|, as many values

Every graph has one float32 input; second operands of products are computed from it (so both are
run-time tensors, as in attention) or are initializers.
"""
import os
import sys

import numpy as np


def build_cases():
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(2026)
    cases = {}

    def const(name, value):
        return numpy_helper.from_array(np.asarray(value), name)

    def i64(name, values):
        return const(name, np.array(values, dtype=np.int64))

    def model(name, shape, nodes, inits, opset=13, out="y"):
        g = helper.make_graph(
            nodes, name,
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(shape))],
            [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        cases[name] = (m, rng.uniform(-2, 2, size=shape).astype(np.float32))

    # Transformer LayerNorm written out as PyTorch exports it before opset 17: ReduceMean over the
    # channels, Sub, Pow 2, ReduceMean, Add eps, Sqrt, Div, Mul by the weight, Add the bias. The
    # shell test runs it fused and with --no-fuse: the reductions alone must get it right.
    d = 64
    w = rng.uniform(0.5, 1.5, d).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, d).astype(np.float32)
    model("layernorm_written_out", (2, 10, d), [
        helper.make_node("ReduceMean", ["x"], ["mu"], axes=[-1]),
        helper.make_node("Sub", ["x", "mu"], ["xc"]),
        helper.make_node("Pow", ["xc", "two"], ["sq"]),
        helper.make_node("ReduceMean", ["sq"], ["var"], axes=[-1]),
        helper.make_node("Add", ["var", "eps"], ["ve"]),
        helper.make_node("Sqrt", ["ve"], ["sd"]),
        helper.make_node("Div", ["xc", "sd"], ["n"]),
        helper.make_node("Mul", ["n", "w"], ["nw"]),
        helper.make_node("Add", ["nw", "b"], ["y"]),
    ], [const("two", np.float32(2.0)), const("eps", np.float32(1e-5)), const("w", w),
        const("b", b)])
    model("layernorm_op17", (2, 10, d), [
        helper.make_node("LayerNormalization", ["x", "w", "b"], ["y"], axis=-1, epsilon=1e-5),
    ], [const("w", w), const("b", b)], opset=17)
    model("layernorm_op17_two_axes", (2, 6, 5, 8), [
        helper.make_node("LayerNormalization", ["x", "w"], ["y"], axis=-2),
    ], [const("w", rng.uniform(0.5, 1.5, (5, 8)).astype(np.float32))], opset=17)
    # MNASNet / EfficientNet: ReduceMean over H, W (a global average pool), keepdims 0 and 1.
    model("reducemean_spatial", (1, 24, 7, 7), [
        helper.make_node("ReduceMean", ["x"], ["y"], axes=[2, 3], keepdims=0)], [])
    model("reducemean_channels_18", (2, 16, 5, 5), [
        helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=1)], [i64("axes", [1])],
        opset=18)
    model("reducesum_middle_13", (3, 9, 20), [
        helper.make_node("ReduceSum", ["x", "axes"], ["y"], keepdims=0)], [i64("axes", [1])])
    model("reducemax_first_last", (4, 6, 11), [
        helper.make_node("ReduceMax", ["x"], ["y"], axes=[0, 2], keepdims=1)], [])
    model("reducel2_all", (5, 7), [helper.make_node("ReduceL2", ["x"], ["y"], keepdims=1)], [])
    # ShuffleNet V2's channel split, opset 13 (split as an input), then a Concat back.
    model("split_channels", (1, 16, 6, 6), [
        helper.make_node("Split", ["x", "split"], ["a", "c"], axis=1),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("Concat", ["r", "a"], ["y"], axis=1),
    ], [i64("split", [8, 8])])
    model("split_num_outputs_18", (2, 7, 3), [
        helper.make_node("Split", ["x"], ["a", "c", "e"], axis=1, num_outputs=3),
        helper.make_node("Concat", ["e", "a", "c"], ["y"], axis=1),
    ], [], opset=18)
    model("tile", (2, 3, 4), [helper.make_node("Tile", ["x", "r"], ["y"])], [i64("r", [2, 1, 3])])
    # Attention: q = x, k = x * 0.5 + 1 (both computed at run time), scores, softmax, context.
    bh = (2, 4, 16, 8)
    model("einsum_attention", bh, [
        helper.make_node("Mul", ["x", "half"], ["xh"]),
        helper.make_node("Add", ["xh", "one"], ["k"]),
        helper.make_node("Einsum", ["x", "k"], ["s"], equation="bhid,bhjd->bhij"),
        helper.make_node("Softmax", ["s"], ["p"], axis=-1),
        helper.make_node("Einsum", ["p", "k"], ["y"], equation="bhij,bhjd->bhid"),
    ], [const("half", np.float32(0.5)), const("one", np.float32(1.0))])
    model("einsum_bid_bjd", (3, 5, 8), [
        helper.make_node("Mul", ["x", "x"], ["k"]),
        helper.make_node("Einsum", ["x", "k"], ["y"], equation="bid,bjd->bij")], [])
    model("einsum_ij_jk", (6, 8), [
        helper.make_node("Einsum", ["x", "w"], ["y"], equation="ij,jk->ik")],
        [const("w", rng.uniform(-1, 1, (8, 5)).astype(np.float32))])
    model("einsum_transposed_out", (2, 6, 8), [
        helper.make_node("Einsum", ["x", "x"], ["y"], equation="bik,bjk->bji")], [])
    model("einsum_ellipsis_implicit", (2, 3, 4, 5), [
        helper.make_node("Einsum", ["x", "w"], ["y"], equation="...ij,jk")],
        [const("w", rng.uniform(-1, 1, (5, 6)).astype(np.float32))])
    model("einsum_one_operand_sum", (3, 4, 5), [
        helper.make_node("Einsum", ["x"], ["y"], equation="abc->ca")], [])
    # MatMul with batch dims and broadcasting: [B, H, S, D] x [B, H, D, S], [S, D] x [B, D, E].
    model("matmul_batch", (2, 3, 16, 8), [
        helper.make_node("Transpose", ["x"], ["xt"], perm=[0, 1, 3, 2]),
        helper.make_node("MatMul", ["x", "xt"], ["y"])], [])
    model("matmul_broadcast", (3, 8, 5), [
        helper.make_node("MatMul", ["a", "x"], ["y"])],
        [const("a", rng.uniform(-1, 1, (6, 8)).astype(np.float32))])
    model("softmax_axis1", (2, 7, 5, 3), [helper.make_node("Softmax", ["x"], ["y"], axis=1)], [])
    model("logsoftmax_axis2", (2, 7, 5, 3), [helper.make_node("LogSoftmax", ["x"], ["y"], axis=2)], [])
    return cases


def refused_cases():
    """Einsum equations edgeprof refuses: each must fail to load with the equation named."""
    from onnx import TensorProto, helper

    out = {}
    for name, eq, shapes in (("diagonal", "ii->i", [(4, 4)]),
                             ("one_side_sum", "ij,jk->k", [(3, 4), (4, 5)]),
                             ("three_operands", "ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)])):
        ins = [f"x{i}" for i in range(len(shapes))]
        g = helper.make_graph(
            [helper.make_node("Einsum", ins, ["y"], equation=eq)], name,
            [helper.make_tensor_value_info(n, TensorProto.FLOAT, list(s)) for n, s in zip(ins, shapes)],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        out["refused_einsum_" + name] = (m, eq)
    return out


def write(folder):
    import onnxruntime as ort

    os.makedirs(folder, exist_ok=True)
    for name, (m, x) in build_cases().items():
        path = os.path.join(folder, name + ".onnx")
        with open(path, "wb") as f:
            f.write(m.SerializeToString())
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 1
        sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
        y = sess.run(None, {"x": x})[0]
        np.save(os.path.join(folder, name + ".x.npy"), x)
        np.save(os.path.join(folder, name + ".ort.npy"), np.asarray(y, dtype=np.float32))
        print(name)
    for name, (m, eq) in refused_cases().items():
        with open(os.path.join(folder, name + ".onnx"), "wb") as f:
            f.write(m.SerializeToString())
        with open(os.path.join(folder, name + ".equation"), "w") as f:
            f.write(eq)


def compare(folder):
    """One line per edgeprof output; exit status 1 when any disagrees or a case has none. An
    exported model (<case>.exported.onnx) is run by ONNX Runtime first, as one more output."""
    import onnxruntime as ort

    failed = 0
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".exported.onnx"):
            continue
        name = f[:-len(".exported.onnx")]
        sess = ort.InferenceSession(os.path.join(folder, f), providers=["CPUExecutionProvider"])
        x = np.load(os.path.join(folder, name + ".x.npy"))
        y = sess.run(None, {sess.get_inputs()[0].name: x})[0]
        np.save(os.path.join(folder, name + ".exported.ep.npy"), np.asarray(y, dtype=np.float32))
    names = sorted(f[:-len(".ort.npy")] for f in os.listdir(folder) if f.endswith(".ort.npy"))
    for name in names:
        ref = np.load(os.path.join(folder, name + ".ort.npy")).astype(np.float64).reshape(-1)
        runs = sorted(f for f in os.listdir(folder) if f.startswith(name + ".") and f.endswith(".ep.npy"))
        if not runs:
            print(f"FAIL {name}: no edgeprof output")
            failed += 1
        scale = float(np.max(np.abs(ref)))
        for run in runs:
            got = np.load(os.path.join(folder, run)).astype(np.float64).reshape(-1)
            if got.size != ref.size:
                print(f"FAIL {run}: {got.size} values, ONNX Runtime {ref.size}")
                failed += 1
                continue
            diff = float(np.max(np.abs(ref - got)))
            ok = diff <= 1e-4 * max(scale, 1e-30)
            failed += 0 if ok else 1
            print(f"{'ok  ' if ok else 'FAIL'} {run}: max |diff| {diff:.3g}, max |ref| {scale:.3g}")
    return 1 if failed else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "write":
        write(sys.argv[2])
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "compare":
        return compare(sys.argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())

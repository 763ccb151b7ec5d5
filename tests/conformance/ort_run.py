"""ONNX Runtime side of the cross-check (tests/conformance/test_ort_crosscheck.sh), run with the
tests' virtual environment (scripts/python-env.sh).

    ort_run.py random SEED DxDx... OUT.npy   seeded uniform [-1, 1) float32 input, the same
                                             stream as `edgeprof run` without --input
    ort_run.py run MODEL.onnx IN.npy OUT.npy one inference with onnxruntime (CPU, 1 thread):
                                             first input, first output
    ort_run.py compare REF.npy GOT.npy [TOL] max |diff| <= TOL * max |ref| (TOL 1e-4 by default)
                                             and the same argmax in every row (last axis)
    ort_run.py seeded MODEL.onnx SEED OUT.npy [INT_RANGE] [INPUT_PREFIX]
                                             every input seeded as `edgeprof run --seed SEED
                                             [--int-range N]` fills them (floats in [-1, 1),
                                             int64 in [0, N) or [0, the gathered axis) for a
                                             Gather's indices, bools 0 / 1), byte for byte; one
                                             inference; the first output (any dtype); the inputs
                                             to INPUT_PREFIX0.npy, ... when given

Exit status 0 on success, 1 on a failed comparison or run, 2 on bad use or files.
"""
import sys

import numpy as np

MASK = (1 << 64) - 1


def fail(code, message):
    print(message, file=sys.stderr)
    sys.exit(code)


def random_input(seed, shape):
    """splitmix64, the top 24 bits of each draw scaled to [-1, 1): edgeprof's input stream
    (uint64 arithmetic wraps as the C code's does)."""
    n = int(np.prod(shape))
    with np.errstate(over="ignore"):
        z = np.uint64(seed & MASK) + np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    out = (z >> np.uint64(40)).astype(np.float64) / 16777216.0 * 2.0 - 1.0
    return out.astype(np.float32).reshape(shape)


def draws(seed, offset, n):
    """The top 24 bits of splitmix64 draws offset+1 .. offset+n from `seed`."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed & MASK) + np.arange(offset + 1, offset + n + 1, dtype=np.uint64) * \
            np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z ^= z >> np.uint64(31)
    return z >> np.uint64(40)


def index_bound(model, name):
    """The smallest axis a Gather reading `name` as indices gathers from (0: none), as
    ep_graph_index_bound."""
    import onnx

    inferred = onnx.shape_inference.infer_shapes(model)
    dims = {t.name: list(t.dims) for t in model.graph.initializer}
    for v in list(inferred.graph.value_info) + list(inferred.graph.input):
        if v.name not in dims and v.type.tensor_type.HasField("shape"):
            dims[v.name] = [d.dim_value for d in v.type.tensor_type.shape.dim]
    bound = 0
    for node in model.graph.node:
        if node.op_type != "Gather" or len(node.input) < 2 or node.input[1] != name:
            continue
        shape = dims.get(node.input[0])
        if not shape:
            continue
        axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
        axis = axis + len(shape) if axis < 0 else axis
        if 0 <= axis < len(shape) and shape[axis] > 0 and (bound == 0 or shape[axis] < bound):
            bound = shape[axis]
    return bound


def seeded_inputs(model_path, seed, int_range):
    """The inputs `edgeprof run --seed` makes, in graph order, one splitmix64 stream."""
    import onnx

    model = onnx.load(model_path)
    inits = {t.name for t in model.graph.initializer}
    feeds, offset = [], 0
    for v in model.graph.input:
        if v.name in inits:
            continue
        tt = v.type.tensor_type
        shape = [d.dim_value if d.dim_value > 0 else 1 for d in tt.shape.dim]
        n = int(np.prod(shape)) if shape else 1
        u = draws(seed, offset, n)
        offset += n
        if tt.elem_type == onnx.TensorProto.FLOAT:
            x = (u.astype(np.float64) / 16777216.0 * 2.0 - 1.0).astype(np.float32)
        elif tt.elem_type in (onnx.TensorProto.INT64, onnx.TensorProto.INT32):
            bound = index_bound(model, v.name) or int_range
            x = ((u * np.uint64(bound)) >> np.uint64(24)).astype(np.int64)
            if tt.elem_type == onnx.TensorProto.INT32:
                x = x.astype(np.int32)
        elif tt.elem_type == onnx.TensorProto.BOOL:
            x = ((u * np.uint64(2)) >> np.uint64(24)).astype(np.bool_)
        else:
            fail(2, f"{model_path}: input {v.name} has ONNX type {tt.elem_type}")
        feeds.append((v.name, x.reshape(shape)))
    return feeds


def run_seeded(model, seed, output_path, int_range, prefix):
    import onnxruntime as ort

    feeds = seeded_inputs(model, seed, int_range)
    if prefix:
        for i, (_, x) in enumerate(feeds):
            np.save(f"{prefix}{i}.npy", x)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        y = session.run([session.get_outputs()[0].name], dict(feeds))[0]
    except Exception as e:  # onnxruntime raises its own exception types
        fail(1, f"onnxruntime: {e}")
    np.save(output_path, np.ascontiguousarray(y))


def read_npy(path):
    try:
        a = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as e:
        fail(2, f"{path}: {e}")
    if a.dtype != np.float32:
        fail(2, f"{path}: not float32 ({a.dtype})")
    return a


def run(model, input_path, output_path):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        x = read_npy(input_path)
        y = session.run([session.get_outputs()[0].name], {session.get_inputs()[0].name: x})[0]
    except Exception as e:  # onnxruntime raises its own exception types
        fail(1, f"onnxruntime: {e}")
    np.save(output_path, np.ascontiguousarray(y, dtype=np.float32))


def compare(ref_path, got_path, tol=1e-4):
    ref, got = read_npy(ref_path), read_npy(got_path)
    if ref.shape != got.shape:
        fail(1, f"shapes differ: {'x'.join(map(str, ref.shape))} (ONNX Runtime) vs "
                f"{'x'.join(map(str, got.shape))}")
    diff = np.abs(ref.astype(np.float64) - got.astype(np.float64))
    max_diff = float("inf") if np.isnan(diff).any() else float(diff.max(initial=0.0))
    max_ref = float(np.abs(ref).max(initial=0.0))
    cols = ref.shape[-1] if ref.ndim else 1
    rows_ref, rows_got = ref.reshape(-1, cols), got.reshape(-1, cols)
    top_differ = int((rows_ref.argmax(axis=1) != rows_got.argmax(axis=1)).sum())
    ok = max_diff <= tol * max_ref and top_differ == 0
    print(f"max|diff| {max_diff:.3e}, max|y| {max_ref:.3e}, ratio {max_diff / (max_ref or 1):.3e}, "
          f"top-1 differs in {top_differ}/{rows_ref.shape[0]} rows")
    sys.exit(0 if ok else 1)


def main(argv):
    if len(argv) == 4 and argv[0] == "random":
        try:
            shape = [int(d) for d in argv[2].split("x")]
        except ValueError:
            fail(2, f"bad shape '{argv[2]}' (want DxDx...)")
        np.save(argv[3], random_input(int(argv[1]), shape))
    elif len(argv) == 4 and argv[0] == "run":
        run(argv[1], argv[2], argv[3])
    elif len(argv) in (3, 4) and argv[0] == "compare":
        try:
            tol = float(argv[3]) if len(argv) == 4 else 1e-4
        except ValueError:
            fail(2, f"bad tolerance '{argv[3]}'")
        compare(argv[1], argv[2], tol)
    elif 4 <= len(argv) <= 6 and argv[0] == "seeded":
        run_seeded(argv[1], int(argv[2]), argv[3], int(argv[4]) if len(argv) > 4 else 2,
                   argv[5] if len(argv) > 5 else None)
    else:
        fail(2, "usage: ort_run.py random SEED DxD OUT.npy | run MODEL IN OUT | compare REF GOT "
                "[TOL] | seeded MODEL SEED OUT [INT_RANGE [PREFIX]]")


if __name__ == "__main__":
    main(sys.argv[1:])

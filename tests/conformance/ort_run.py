"""ONNX Runtime side of the cross-check (tests/conformance/test_ort_crosscheck.sh), run with the
tests' virtual environment (scripts/python-env.sh).

    ort_run.py random SEED DxDx... OUT.npy   seeded uniform [-1, 1) float32 input, the same
                                             stream as `edgeprof run` without --input
    ort_run.py run MODEL.onnx IN.npy OUT.npy one inference with onnxruntime (CPU, 1 thread):
                                             first input, first output
    ort_run.py compare REF.npy GOT.npy [TOL] max |diff| <= TOL * max |ref| (TOL 1e-4 by default)
                                             and the same argmax in every row (last axis)

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
    else:
        fail(2, "usage: ort_run.py random SEED DxD OUT.npy | run MODEL IN OUT | compare REF GOT [TOL]")


if __name__ == "__main__":
    main(sys.argv[1:])

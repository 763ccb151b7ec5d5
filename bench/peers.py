"""The peer runtimes of the benchmarks (bench/peer_bench.py, bench/ort_profile.py): how each one is
set up, reproducible inputs, the median. Runs in the virtual environment of
scripts/python-env.sh (onnxruntime, openvino, numpy).

Set-ups, each the runtime's best CPU configuration for one request at a time on T threads:
- ONNX Runtime: intra_op_num_threads T, inter_op_num_threads 1, sequential execution, every
  graph optimisation (ORT_ENABLE_ALL), the CPU execution provider.
- OpenVINO on CPU: performance hint LATENCY, one stream (NUM_STREAMS 1), INFERENCE_NUM_THREADS T,
  and INFERENCE_PRECISION_HINT f32: without it OpenVINO computes in bf16 on hosts with
  AVX-512-BF16 or AMX, which would compare a lower precision against edgeprof's FP32.
Input dims the file leaves symbolic are 1 unless a shape is given (NAME=DxD..., NAME=scalar).
"""

import re
import sys
import statistics

RUNTIMES = ("ort", "openvino")


class PeerError(Exception):
    """A failure to report in one line (bad shape, unsupported input type)."""


def parse_shape(text):
    """'NAME=1x3x224x224' or 'NAME=scalar' -> (NAME, [dims])."""
    name, sep, dims = text.partition("=")
    if not name or not sep or not dims:
        raise PeerError(f"--shape wants NAME=DxD... or NAME=scalar, got '{text}'")
    if dims == "scalar":
        return name, []
    try:
        out = [int(d) for d in dims.split("x")]
    except ValueError:
        out = []
    if not out or any(d < 1 for d in out):
        raise PeerError(f"--shape {text}: dims must be whole numbers of at least 1")
    return name, out


def parse_shapes(texts):
    return dict(parse_shape(t) for t in texts or [])


def median(xs):
    return statistics.median(xs)


def version(runtime):
    if runtime == "ort":
        import onnxruntime
        return onnxruntime.__version__
    import openvino
    return openvino.get_version().split("-")[0]


def _fill(dims, dtype, seed):
    import numpy as np
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=dims).astype(dtype)


def _check_shapes(shapes, names):
    for name in shapes:
        if name not in names:
            raise PeerError(f"--shape names '{name}', not an input of the model "
                            f"(inputs: {', '.join(names)})")


_ORT_FLOATS = {"tensor(float)": "float32", "tensor(double)": "float64",
               "tensor(float16)": "float16"}


def ort_session(path, threads, profile_prefix=None):
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3  # errors only: its warnings would interleave with the tables
    if profile_prefix:
        so.enable_profiling = True
        so.profile_file_prefix = profile_prefix
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def ort_feeds(session, shapes):
    """One tensor per graph input, uniform in [-1, 1), seeded by the input's position."""
    inputs = session.get_inputs()
    _check_shapes(shapes, [i.name for i in inputs])
    feeds = {}
    for k, inp in enumerate(inputs):
        if inp.type not in _ORT_FLOATS:
            raise PeerError(f"input {inp.name} is {inp.type}; only float inputs are generated")
        dims = shapes.get(inp.name)
        if dims is None:
            dims = [d if isinstance(d, int) and d > 0 else 1 for d in inp.shape]
        feeds[inp.name] = _fill(dims, _ORT_FLOATS[inp.type], 1234 + k)
    return feeds


class OrtRunner:
    def __init__(self, path, threads, shapes):
        self.session = ort_session(path, threads)
        self.feeds = ort_feeds(self.session, shapes)

    def run(self):
        self.session.run(None, self.feeds)


class OpenVinoRunner:
    def __init__(self, path, threads, shapes, profile=False):
        import openvino as ov
        core = ov.Core()
        model = core.read_model(path)
        names = [i.get_any_name() for i in model.inputs]
        _check_shapes(shapes, names)
        # Static shapes, as edgeprof and the ORT feeds have: symbolic dims become 1.
        new = {}
        for inp, name in zip(model.inputs, names):
            if name in shapes:
                new[name] = ov.PartialShape(shapes[name])
            elif inp.get_partial_shape().is_dynamic:
                new[name] = ov.PartialShape(
                    [d.get_length() if d.is_static else 1 for d in inp.get_partial_shape()])
        if new:
            model.reshape(new)
        config = {
            "PERFORMANCE_HINT": "LATENCY",
            "NUM_STREAMS": "1",
            "INFERENCE_NUM_THREADS": str(threads),
            "INFERENCE_PRECISION_HINT": "f32",
        }
        if profile:  # per-layer counters (benchmark_app -pc), read by bench/ov_profile.py
            config["PERF_COUNT"] = "YES"
        compiled = core.compile_model(model, "CPU", config)
        self.request = compiled.create_infer_request()
        for k, inp in enumerate(compiled.inputs):
            dtype = inp.get_element_type().to_dtype()
            if dtype.kind != "f":
                raise PeerError(f"input {inp.get_any_name()} is {dtype}; "
                                "only float inputs are generated")
            data = _fill(list(inp.get_shape()), dtype, 1234 + k)
            self.request.set_input_tensor(k, ov.Tensor(data))

    def run(self):
        self.request.infer()


def runner(runtime, path, threads, shapes):
    """A prepared session of RUNTIME ('ort' or 'openvino') with inputs set; .run() times one."""
    if runtime == "ort":
        return OrtRunner(path, threads, shapes)
    if runtime == "openvino":
        return OpenVinoRunner(path, threads, shapes)
    raise PeerError(f"unknown runtime '{runtime}' (known: {', '.join(RUNTIMES)})")


def one_line(err):
    """An exception as one line, less the runtimes' source locations: OpenVINO's messages span
    several lines with the location first, ORT's carry its file, line and C++ signature."""
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", str(err))
    text = re.sub(r"\s*/onnxruntime_src/\S+:\d+ [\w:~<>]+\([^)]*\)\s*", " ", text)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("Exception from", "Check '"))] or lines
    text = " ".join(lines) or type(err).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def profile_args(tool, description):
    """The command line both per-layer profilers take (bench/ort_profile.py, ov_profile.py):
    MODEL THREADS RUNS OUT [--shape NAME=DxD ...]; a bad one is one line "TOOL: ..." and exit 2.
    Returns (args, shapes)."""
    import argparse

    class Parser(argparse.ArgumentParser):
        def error(self, message):
            print(f"{tool}: {message}", file=sys.stderr)
            sys.exit(2)

    p = Parser(description=description)
    p.add_argument("model")
    p.add_argument("threads", type=int)
    p.add_argument("runs", type=int)
    p.add_argument("out")
    p.add_argument("--shape", action="append", default=[], metavar="NAME=DxD")
    a = p.parse_args()
    if a.threads < 1 or a.runs < 5:
        p.error("THREADS must be at least 1 and RUNS at least 5")
    try:
        return a, parse_shapes(a.shape)
    except PeerError as e:
        p.error(str(e))

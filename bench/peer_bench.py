"""A peer runtime's latency on one model at batch 1, for bench/compare.sh.

  python peer_bench.py RUNTIME MODEL.onnx THREADS RUNS [--warmup N] [--shape NAME=DxD ...]

RUNTIME is ort (ONNX Runtime) or openvino, set up as bench/peers.py says. Inputs are uniform in
[-1, 1) with a fixed seed (the timing does not depend on them); symbolic dims are 1 unless
--shape gives the input's shape. --warmup untimed runs (default 5), then RUNS timed ones, each
timed with time.perf_counter_ns. Prints one JSON line:
  {"runtime", "version", "model", "threads", "runs", "warmup", "median_ms", "min_ms", "mean_ms",
   "cpu_ms_per_run", "init_ms", "peak_rss_bytes", "base_rss_bytes"}
where cpu_ms_per_run is the process CPU time (user + system, all threads) per timed run, init_ms
the session creation (load, graph optimisation, weight packing, inputs set: edgeprof's init_ms
total), peak_rss_bytes the process's peak resident memory at the end (getrusage's ru_maxrss, as
`edgeprof bench` reports its own) and base_rss_bytes that peak before the runtime loaded the model
(the interpreter, numpy and the runtime's library).
Exit 1 with one line on stderr when the runtime fails on the model, 2 on bad arguments.
"""

import argparse
import json
import resource
import sys
import time

import peers


class Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"peer_bench: {message}", file=sys.stderr)
        sys.exit(2)


def main():
    p = Parser(description="A peer runtime's latency on one model (bench/compare.sh).")
    p.add_argument("runtime", choices=peers.RUNTIMES)
    p.add_argument("model")
    p.add_argument("threads", type=int)
    p.add_argument("runs", type=int)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--shape", action="append", default=[], metavar="NAME=DxD")
    a = p.parse_args()
    if a.threads < 1 or a.runs < 1 or a.warmup < 0:
        p.error("THREADS and RUNS must be at least 1, --warmup at least 0")
    try:
        shapes = peers.parse_shapes(a.shape)
    except peers.PeerError as e:
        p.error(str(e))

    # The runtime's module is imported before the baseline, so that it counts as the base.
    try:
        peers.version(a.runtime)
    except Exception as e:
        print(f"peer_bench: {a.runtime}: {peers.one_line(e)}", file=sys.stderr)
        return 1
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    try:
        t_init = time.perf_counter_ns()
        r = peers.runner(a.runtime, a.model, a.threads, shapes)
        init_ms = (time.perf_counter_ns() - t_init) / 1e6
        for _ in range(a.warmup):
            r.run()
        times = []
        cpu0 = time.process_time_ns()
        for _ in range(a.runs):
            t0 = time.perf_counter_ns()
            r.run()
            times.append((time.perf_counter_ns() - t0) / 1e6)
        cpu = (time.process_time_ns() - cpu0) / 1e6
    except Exception as e:  # any failure of the runtime: one line, and the caller shows "-"
        print(f"peer_bench: {a.runtime}: {peers.one_line(e)}", file=sys.stderr)
        return 1
    print(json.dumps({
        "runtime": a.runtime,
        "version": peers.version(a.runtime),
        "model": a.model,
        "threads": a.threads,
        "runs": a.runs,
        "warmup": a.warmup,
        "median_ms": peers.median(times),
        "min_ms": min(times),
        "mean_ms": sum(times) / len(times),
        "cpu_ms_per_run": cpu / a.runs,
        "init_ms": init_ms,
        "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "base_rss_bytes": base_rss,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""ONNX Runtime's time per node on one model, for bench/compare-layers.sh.

  python ort_profile.py MODEL.onnx THREADS RUNS OUT.json [--shape NAME=DxD ...]

The session and inputs of bench/peer_bench.py (bench/peers.py) with ORT's profiler on
(SessionOptions.enable_profiling). Runs the model RUNS times; the first fifth are warm-up and
left out. From the trace's "Node" events ("NAME_kernel_time", dur in microseconds), writes
  {"threads", "runs", "nodes": [{"name", "op", "median_ms"}, ...]}
in run order, where a name is ORT's node name after its graph fusions ("conv1/Relu_nchwc").
"""

import json
import os
import shutil
import sys
import tempfile

import peers

SUFFIX = "_kernel_time"


def node_times(events, skip):
    """{name: (op, median ms)} in first-seen order, leaving out each node's first SKIP runs."""
    times, ops = {}, {}
    for e in events:
        if e.get("cat") != "Node" or not e.get("name", "").endswith(SUFFIX):
            continue
        name = e["name"][:-len(SUFFIX)]
        times.setdefault(name, []).append(e["dur"] / 1000.0)
        ops[name] = (e.get("args") or {}).get("op_name", "")
    return [{"name": n, "op": ops[n], "median_ms": peers.median(t[skip:] if len(t) > skip else t)}
            for n, t in times.items()]


def main():
    a, shapes = peers.profile_args(
        "ort_profile", "ONNX Runtime's time per node (bench/compare-layers.sh).")

    tmp = tempfile.mkdtemp(prefix="ort-profile-")
    try:
        session = peers.ort_session(a.model, a.threads, profile_prefix=os.path.join(tmp, "profile"))
        feeds = peers.ort_feeds(session, shapes)
        for _ in range(a.runs):
            session.run(None, feeds)
        trace = session.end_profiling()
        with open(trace) as f:
            events = json.load(f)
    except Exception as e:
        print(f"ort_profile: {peers.one_line(e)}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    nodes = node_times(events, a.runs // 5)
    if not nodes:
        print("ort_profile: ONNX Runtime's trace has no node events", file=sys.stderr)
        return 1
    with open(a.out, "w") as f:
        json.dump({"runtime": "ONNX Runtime", "threads": a.threads, "runs": a.runs, "nodes": nodes}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""OpenVINO's time per layer on one model, for bench/compare-layers.sh --peer openvino.

  python ov_profile.py MODEL.onnx THREADS RUNS OUT.json [--shape NAME=DxD ...]

The compiled model and inputs of bench/peer_bench.py (bench/peers.py: CPU, hint LATENCY, one
stream, f32) with PERF_COUNT on, the counters benchmark_app -pc prints. OpenVINO reports the last
inference only, so the counters are read after every run; the first fifth of the runs are warm-up
and left out. Writes
  {"runtime": "OpenVINO", "threads", "runs", "nodes": [{"name", "op", "exec", "median_ms"}, ...]}
in execution order, one entry per layer that ran: "op" is OpenVINO's layer type after its graph
transformations (Convolution with its fused activation, FullyConnected, ...), "exec" the primitive
that ran it (brgconv_avx512_1x1, jit_avx512_dw, ...): which kernel family OpenVINO picked is most
of why a layer is faster there.
"""

import json
import sys

import peers


def main():
    a, shapes = peers.profile_args(
        "ov_profile", "OpenVINO's time per layer (bench/compare-layers.sh --peer openvino).")
    try:
        runner = peers.OpenVinoRunner(a.model, a.threads, shapes, profile=True)
        order, kinds, times = [], {}, {}
        for run in range(a.runs):
            runner.run()
            if run < a.runs // 5:
                continue
            for info in runner.request.get_profiling_info():
                if info.status.name != "EXECUTED":
                    continue
                if info.node_name not in times:
                    order.append(info.node_name)
                    kinds[info.node_name] = (info.node_type, info.exec_type)
                    times[info.node_name] = []
                times[info.node_name].append(info.real_time.total_seconds() * 1000.0)
    except Exception as e:
        print(f"ov_profile: {peers.one_line(e)}", file=sys.stderr)
        return 1
    if not order:
        print("ov_profile: OpenVINO reported no executed layers", file=sys.stderr)
        return 1
    nodes = [{"name": n, "op": kinds[n][0], "exec": kinds[n][1],
              "median_ms": peers.median(times[n])} for n in order]
    with open(a.out, "w") as f:
        json.dump({"runtime": "OpenVINO", "threads": a.threads, "runs": a.runs, "nodes": nodes}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())

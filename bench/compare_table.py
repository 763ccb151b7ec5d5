"""The table of bench/compare.sh, from the measurements it left in its work folder.

  python compare_table.py WORK --models "a b" --threads "1 2" --rounds R --runs N
                          --edgeprof-version V [--cpus LIST] [--markdown FILE]

Reads WORK/platform.json (`edgeprof platform --json`), WORK/MODEL.info.json (`edgeprof info
--json`) and WORK/runs/MODEL.T.R.RUNTIME.json, one file per model, thread count, round and
runtime (ort, openvino: bench/peer_bench.py; edgeprof: `edgeprof bench --json`); a missing file
is a failed run. A cell is the median over the rounds of the runtime's per-round medians, "-"
where the runtime failed in every round. A ratio edgeprof / peer below 1: edgeprof is faster.
edgeprof % of peak = FLOPs / time / (one-core FP32 peak of the active ISA level x threads).
A second table gives, per model and thread count, each runtime's peak resident memory (MiB, the
process's: each runtime runs in a process of its own; the peers' include the Python interpreter,
whose share before loading the model is given as "base") and its session creation time (load,
optimisation and weight packing, ms), each the median over the rounds.
"""

import argparse
import json
import os
import statistics

import peers

PEERS = (("ort", "ONNX Runtime", "ORT"), ("openvino", "OpenVINO", "OpenVINO"))


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def latency(j, runtime):
    return j["latency_ms"]["median"] if runtime.startswith("edgeprof") else j["median_ms"]


def peak_rss_mib(j, runtime):
    b = j["memory_bytes"]["peak_rss"] if runtime.startswith("edgeprof") else j.get("peak_rss_bytes")
    return b / 2**20 if b else None


def base_rss_mib(j, runtime):
    b = None if runtime.startswith("edgeprof") else j.get("base_rss_bytes")
    return b / 2**20 if b else None


def init_ms(j, runtime):
    return j["init_ms"]["total"] if runtime.startswith("edgeprof") else j.get("init_ms")


def median_of_rounds(work, model, threads, rounds, runtime, field=latency):
    meds = []
    for r in range(1, rounds + 1):
        j = load(os.path.join(work, "runs", f"{model}.{threads}.{r}.{runtime}.json"))
        if j is None or field(j, runtime) is None:
            continue
        meds.append(field(j, runtime))
    return statistics.median(meds) if meds else None


def peer_version(work, runtime):
    runs = os.path.join(work, "runs")
    for name in sorted(os.listdir(runs)) if os.path.isdir(runs) else []:
        if name.endswith(f".{runtime}.json"):
            j = load(os.path.join(runs, name))
            if j and j.get("version"):
                return j["version"]
    try:
        return peers.version(runtime)
    except Exception:
        return "?"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("work")
    p.add_argument("--models", required=True)
    p.add_argument("--threads", required=True)
    p.add_argument("--rounds", type=int, required=True)
    p.add_argument("--runs", type=int, required=True)
    p.add_argument("--edgeprof-version", required=True)
    p.add_argument("--cpus", default="")
    p.add_argument("--markdown", default="")
    p.add_argument("--variants", default="", help="edgeprof variants: backend=X isa=Y layout=Z")
    a = p.parse_args()

    platform = load(os.path.join(a.work, "platform.json"))
    peak = platform["peak_gflops"]["active"]
    cpu = platform["cpu"]
    versions = ", ".join([a.edgeprof_version] +
                         [f"{long} {peer_version(a.work, rt)}" for rt, long, _ in PEERS])
    head = [
        f"runtimes: {versions}",
        f"machine: {cpu['model']} (family {cpu['family']} model {cpu['model_id']}), "
        f"{cpu['cpus_allowed']} CPUs, ISA {platform['isa']['active']}, one-core FP32 peak "
        f"{peak:.1f} GFLOP/s, read bandwidth {platform['read_bandwidth_gbps']:.1f} GB/s, "
        + (f"pinned to CPUs {a.cpus}" if a.cpus else "not pinned"),
        f"median of {a.rounds} round(s) of each runtime's median of {a.runs} runs, interleaved",
    ]
    cols = ["model", "threads", "ORT ms", "OpenVINO ms", "edgeprof ms", "edgeprof / ORT",
            "edgeprof / OpenVINO", "edgeprof % of peak"]
    variants = a.variants.split()
    for v in variants:
        cols += [f"{v} ms", f"{v} / edgeprof"]
    table = []
    for m in a.models.split():
        info = load(os.path.join(a.work, f"{m}.info.json"))
        flops = info["totals"]["flops"] if info else None
        for t in map(int, a.threads.split()):
            ort, ov, ep = (median_of_rounds(a.work, m, t, a.rounds, rt)
                           for rt in ("ort", "openvino", "edgeprof"))
            cell = lambda x: f"{x:.2f}" if x is not None else "-"
            ratio = lambda peer: f"{ep / peer:.2f}" if ep and peer else "-"
            pct = (f"{100.0 * flops / (ep * 1e-3) / (peak * 1e9 * t):.0f}%"
                   if ep and flops else "-")
            row = [m, str(t), cell(ort), cell(ov), cell(ep), ratio(ort), ratio(ov), pct]
            for v in variants:
                x = median_of_rounds(a.work, m, t, a.rounds, f"edgeprof:{v}")
                row += [cell(x), f"{x / ep:.2f}" if x and ep else "-"]
            table.append(row)

    mem_cols = ["model", "threads", "ORT MiB", "OpenVINO MiB", "edgeprof MiB", "edgeprof / ORT",
                "ORT init ms", "OpenVINO init ms", "edgeprof init ms"]
    mem_table = []
    for m in a.models.split():
        for t in map(int, a.threads.split()):
            row = [m, str(t)]
            rss = {}
            for rt in ("ort", "openvino", "edgeprof"):
                peak = median_of_rounds(a.work, m, t, a.rounds, rt, peak_rss_mib)
                base = median_of_rounds(a.work, m, t, a.rounds, rt, base_rss_mib)
                rss[rt] = peak
                row.append("-" if peak is None else
                           f"{peak:.0f}" + (f" (base {base:.0f})" if base is not None else ""))
            row.append(f"{rss['edgeprof'] / rss['ort']:.2f}" if rss["edgeprof"] and rss["ort"]
                       else "-")
            for rt in ("ort", "openvino", "edgeprof"):
                x = median_of_rounds(a.work, m, t, a.rounds, rt, init_ms)
                row.append("-" if x is None else f"{x:.0f}")
            mem_table.append(row)

    def show(columns, rows):
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
        print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
        for r in rows:
            print("  ".join(v.rjust(w) if i else v.ljust(w)
                            for i, (v, w) in enumerate(zip(r, widths))))

    def markdown(f, columns, rows):
        f.write("| " + " | ".join(columns) + " |\n")
        f.write("|" + "|".join(["---"] + ["---:"] * (len(columns) - 1)) + "|\n")
        for r in rows:
            f.write("| " + " | ".join(r) + " |\n")

    print("\n".join(head))
    show(cols, table)
    print("\npeak resident memory (MiB; peers: base = the interpreter and library before the "
          "model) and session creation (load + optimise + pack, ms)")
    show(mem_cols, mem_table)
    if a.markdown:
        with open(a.markdown, "w") as f:
            f.write("\n".join(head).replace("\n", "  \n") + "\n\n")
            markdown(f, cols, table)
            f.write("\nPeak resident memory of each runtime's process (MiB; the peers' base: the "
                    "Python interpreter, numpy and the runtime's library before the model) and "
                    "session creation (load, optimisation, weight packing; ms), medians over the "
                    "rounds:\n\n")
            markdown(f, mem_cols, mem_table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

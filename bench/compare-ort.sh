#!/usr/bin/env bash
# edgeprof against ONNX Runtime on the zoo, at batch 1 (a benchmark, not a test).
#
#   bench/compare-ort.sh [BUILD_DIR] [--models "a b"] [--threads "1 2"] [--rounds R] [--runs N]
#                        [--cpus LIST] [--markdown FILE]
#
# Installs onnxruntime-node into BUILD_DIR/ort (bench/ort-setup.sh), exports every model with
# `edgeprof export` (the same graph and weights for both runtimes), measures one-core FP32 peak with `edgeprof platform`, then for
# each model and thread count runs ONNX Runtime (bench/ort_bench.js: intraOpNumThreads = T,
# graphOptimizationLevel 'all') and `edgeprof bench --threads T` alternately, R rounds of N
# timed runs each, so that both see the same machine state. Prints one table row per model and
# thread count: the median over all rounds of each runtime's per-round medians, the ratio
# edgeprof / ORT (below 1: edgeprof is faster), and edgeprof's share of the machine's peak,
# FLOPs / time / (one-core peak x threads). --markdown also writes the table as Markdown.
# --cpus LIST (e.g. 2,4 or 0-3) pins both runtimes to the first T CPUs of LIST at T threads:
# edgeprof's workers one per CPU (`bench --cpus`), ONNX Runtime's process with taskset.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=$ROOT/build
MODELS="inception_v1 resnet50 mobilenet_v1 lstm mlp"
THREADS="1 2"
ROUNDS=3
RUNS=10
MARKDOWN=
CPUS=
ORT_VERSION=${EP_ORT_VERSION:-1.30.0}

while [[ $# -gt 0 ]]; do
  case $1 in
    --models) MODELS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --markdown) MARKDOWN=$2; shift 2 ;;
    --cpus) CPUS=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "compare-ort: unknown option $1" >&2; exit 2 ;;
    *) BUILD=$(cd "$1" && pwd); shift ;;
  esac
done

NAME=compare-ort
source "$HERE/ort-setup.sh"

# The first T CPUs of --cpus as a comma list ("" without --cpus); fails if LIST has fewer.
first_cpus() {
  [[ -z $CPUS ]] && return 0
  python3 - "$CPUS" "$1" <<'PY'
import sys
cpus = []
for part in sys.argv[1].split(","):
    lo, _, hi = part.partition("-")
    if not lo.isdigit() or (hi and not hi.isdigit()):
        sys.exit(f"compare-ort: --cpus: '{part}' is not a CPU number or range")
    cpus += range(int(lo), int(hi or lo) + 1)
t = int(sys.argv[2])
if len(cpus) < t:
    sys.exit(f"compare-ort: --cpus {sys.argv[1]} has fewer than {t} CPUs")
print(",".join(map(str, cpus[:t])))
PY
}
for t in $THREADS; do first_cpus "$t" >/dev/null || exit 2; done
"$CLI" platform --json "$WORK/platform.json" >/dev/null
for m in $MODELS; do
  [[ -f $WORK/$m.onnx ]] || "$CLI" export "$m" -o "$WORK/$m.onnx" >&2
  "$CLI" info "$m" --json "$WORK/$m.info.json" >/dev/null
done

RESULTS=$WORK/results.tsv
: >"$RESULTS"
for m in $MODELS; do
  for t in $THREADS; do
    for r in $(seq "$ROUNDS"); do
      echo "[compare-ort] $m, $t thread(s), round $r/$ROUNDS" >&2
      pin=$(first_cpus "$t")
      ort=$(${pin:+taskset -c "$pin"} node "$HERE/ort_bench.js" "$ORT" "$WORK/$m.onnx" "$t" "$RUNS" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["median_ms"])')
      "$CLI" bench "$m" --threads "$t" ${pin:+--cpus "$pin"} --runs "$RUNS" --min-time 0 --warmup 3 \
        --json "$WORK/bench.json" >/dev/null
      ep=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["latency_ms"]["median"])' \
        "$WORK/bench.json")
      printf '%s\t%s\t%s\t%s\n' "$m" "$t" "$ort" "$ep" >>"$RESULTS"
    done
  done
done

python3 - "$RESULTS" "$WORK" "$MARKDOWN" "$CPUS" <<'PY'
import json, statistics, sys
results, work, markdown, cpus = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
platform = json.load(open(f"{work}/platform.json"))
peak = platform["peak_gflops"]["active"]
rows = {}
for line in open(results):
    m, t, ort, ep = line.split("\t")
    rows.setdefault((m, int(t)), []).append((float(ort), float(ep)))
cpu = platform["cpu"]
head = (f"machine: {cpu['model']}, {cpu['cpus_allowed']} CPUs, ISA {platform['isa']['active']}, "
        f"one-core FP32 peak {peak:.1f} GFLOP/s, read bandwidth "
        f"{platform['read_bandwidth_gbps']:.1f} GB/s"
        + (f", pinned to CPUs {cpus}" if cpus else ", not pinned"))
cols = ["model", "threads", "ORT median ms", "edgeprof median ms", "edgeprof / ORT",
        "edgeprof % of peak"]
table = []
for (m, t), pairs in rows.items():
    info = json.load(open(f"{work}/{m}.info.json"))
    flops = info["totals"]["flops"]
    ort = statistics.median(p[0] for p in pairs)
    ep = statistics.median(p[1] for p in pairs)
    pct = 100.0 * flops / (ep * 1e-3) / (peak * 1e9 * t)
    table.append([m, str(t), f"{ort:.2f}", f"{ep:.2f}", f"{ep / ort:.2f}", f"{pct:.0f}%"])
print(head)
widths = [max(len(c), *(len(r[i]) for r in table)) for i, c in enumerate(cols)]
print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
for r in table:
    print("  ".join(v.rjust(w) if i else v.ljust(w) for i, (v, w) in enumerate(zip(r, widths))))
if markdown:
    with open(markdown, "w") as f:
        f.write(head + "\n\n")
        f.write("| " + " | ".join(cols) + " |\n")
        f.write("|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|\n")
        for r in table:
            f.write("| " + " | ".join(r) + " |\n")
PY

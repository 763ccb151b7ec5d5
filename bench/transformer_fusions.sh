#!/usr/bin/env bash
# What the transformer fusions gain (a benchmark, not a test): BERT-base-sized graphs as
# exporters write them (tests/conformance/transformer_graphs.py: hidden 768, 12 heads, FFN 3072;
# sequence 128, ViT's 197) measured with `edgeprof bench`, fused (the default) against
# `--no-fuse`, interleaved over R rounds so that both see the same machine state. One row per
# graph and thread count: the median over the rounds of each side's median latency and
# fused / unfused (below 1: the fusions help), then the same for the CPU time per inference
# (user time of N + 1 runs less that of 1 run, over N, summed over threads): on a shared machine
# the latency swings with the load, the CPU time much less.
#
#   bench/transformer_fusions.sh [BUILD_DIR] [--graphs "attention bert vit"] [--threads "1 2"]
#                                [--rounds R] [--runs N]
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$HERE/../build
if [[ $# -gt 0 && $1 != --* ]]; then BUILD=$1; shift; fi
GRAPHS="attention bert vit"
THREADS="1 2"
ROUNDS=3
RUNS=20
while [[ $# -gt 0 ]]; do
  case $1 in
    --graphs) GRAPHS=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    *) echo "usage: $0 [BUILD_DIR] [--graphs LIST] [--threads LIST] [--rounds R] [--runs N]" >&2; exit 2 ;;
  esac
done
CLI=$BUILD/edgeprof
PY=$(bash "$HERE/../scripts/python-env.sh" "$BUILD")
TMP=$(mktemp -d "${TMPDIR:-/tmp}/edgeprof-fusions.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

median() { "$PY" -c 'import statistics, sys; print("%.3f" % statistics.median(float(v) for v in sys.argv[1:]))' "$@"; }
bench_ms() {
  "$CLI" bench "$@" --runs "$RUNS" --min-time 0 --json - 2>/dev/null |
    "$PY" -c 'import json, sys; print(json.load(sys.stdin)["latency_ms"]["median"])'
}
user_s() {
  /usr/bin/time -o "$TMP/time" -f %U "$CLI" bench "$@" --min-time 0 --warmup 0 >/dev/null 2>&1
  tail -n 1 "$TMP/time"
}
cpu_ms() {
  local one many
  one=$(user_s "$@" --runs 1)
  many=$(user_s "$@" --runs $((RUNS + 1)))
  "$PY" -c "print('%.2f' % (($many - $one) * 1000 / $RUNS))"
}
ratio() { "$PY" -c "print('%.2f' % ($1 / $2))"; }

echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
printf '%-10s %7s %10s %10s %6s %10s %10s %6s\n' graph threads "fused ms" "unfused" ratio \
  "fused cpu" "unfused" ratio
for g in $GRAPHS; do
  "$PY" "$HERE/../tests/conformance/transformer_graphs.py" write "$g" "$TMP/$g" --hidden 768 --heads 12
  for t in $THREADS; do
    fused=()
    unfused=()
    fused_cpu=()
    unfused_cpu=()
    for ((r = 0; r < ROUNDS; r++)); do
      fused+=("$(bench_ms "$TMP/$g/model.onnx" --threads "$t")")
      unfused+=("$(bench_ms "$TMP/$g/model.onnx" --threads "$t" --no-fuse)")
      fused_cpu+=("$(cpu_ms "$TMP/$g/model.onnx" --threads "$t")")
      unfused_cpu+=("$(cpu_ms "$TMP/$g/model.onnx" --threads "$t" --no-fuse)")
    done
    f=$(median "${fused[@]}")
    u=$(median "${unfused[@]}")
    fc=$(median "${fused_cpu[@]}")
    uc=$(median "${unfused_cpu[@]}")
    printf '%-10s %7s %10s %10s %6s %10s %10s %6s\n' "$g" "$t" "$f" "$u" "$(ratio "$f" "$u")" \
      "$fc" "$uc" "$(ratio "$fc" "$uc")"
  done
done

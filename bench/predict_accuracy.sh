#!/usr/bin/env bash
# The latency predictor's accuracy the nn-Meter way (docs/predict.md): for every network NOT used
# to fit the device (the zoo, and torchvision's classification networks as
# bench/export_torchvision.py writes them), the predicted latency beside the measured one, per
# thread count, and the share of networks predicted within +-10% (and +-5%, +-20%).
#
# Usage: bench/predict_accuracy.sh [BUILD_DIR] --device FILE [--models-dir DIR] [--threads 1,2]
#            [--runs N] [--only a,b] [--markdown] [--csv FILE]
#   --device FILE      a device file of `edgeprof predict-fit`, fitted on this machine with the
#                      same --threads (and the --cpus this script uses: CPUs 0..T-1)
#   --models-dir DIR   ONNX files to include (default: none; the zoo always is)
#   --runs N           whole-network runs measured per network and thread count (default 10)
# Measured = the fastest of N runs of `edgeprof bench` pinned to CPUs 0..T-1 (other processes
# only add time: on a shared machine the least disturbed run is the network's own latency); the
# median is printed beside it. A network that edgeprof cannot load is listed with the reason.
set -uo pipefail
BUILD=build
if [[ $# -gt 0 && $1 != --* ]]; then BUILD=$1; shift; fi
DEVICE="" MODELS_DIR="" THREADS=1,2 RUNS=10 ONLY="" MARKDOWN=0 CSV=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --device) DEVICE=$2; shift 2 ;;
    --models-dir) MODELS_DIR=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --markdown) MARKDOWN=1; shift ;;
    --csv) CSV=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "predict_accuracy.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
CLI=$BUILD/edgeprof
[[ -x $CLI ]] || { echo "predict_accuracy.sh: $CLI not found (build first)" >&2; exit 2; }
[[ -f $DEVICE ]] || { echo "predict_accuracy.sh: --device FILE is required (edgeprof predict-fit)" >&2; exit 2; }
PY=/usr/bin/python3
TMP=$(mktemp -d "${TMPDIR:-/tmp}/predict-accuracy.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

MODELS=(mlp lstm mobilenet_v1 inception_v1 resnet50)
if [[ -n $MODELS_DIR ]]; then
  for f in "$MODELS_DIR"/*.onnx; do [[ -f $f ]] && MODELS+=("$f"); done
fi
if [[ -n $ONLY ]]; then
  keep=()
  for m in "${MODELS[@]}"; do
    name=$(basename "$m" .onnx)
    [[ ",$ONLY," == *",$name,"* ]] && keep+=("$m")
  done
  MODELS=("${keep[@]}")
fi
IFS=, read -r -a TLIST <<<"$THREADS"
ROWS=$TMP/rows.tsv
: >"$ROWS"
for m in "${MODELS[@]}"; do
  name=$(basename "$m") # a file keeps .onnx: torchvision's resnet50.onnx is not the zoo's resnet50
  for t in "${TLIST[@]}"; do
    cpus="0-$((t - 1))"
    [[ $t -eq 1 ]] && cpus=0
    if ! "$CLI" predict "$m" --device "$DEVICE" --threads "$t" --json "$TMP/p.json" \
        >/dev/null 2>"$TMP/err"; then
      printf '%s\t%s\tskip\t%s\n' "$name" "$t" "$(head -c 160 "$TMP/err" | tr '\t\n' '  ')" >>"$ROWS"
      echo "$name ($t thr): skipped: $(head -c 160 "$TMP/err")" >&2
      continue
    fi
    if ! "$CLI" bench "$m" --threads "$t" --cpus "$cpus" --runs "$RUNS" --min-time 0 \
        --json "$TMP/b.json" >/dev/null 2>"$TMP/err"; then
      printf '%s\t%s\tskip\t%s\n' "$name" "$t" "$(head -c 160 "$TMP/err" | tr '\t\n' '  ')" >>"$ROWS"
      continue
    fi
    $PY - "$TMP/p.json" "$TMP/b.json" "$name" "$t" >>"$ROWS" <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
pred = p["total_ms"]; lo = b["latency_ms"]["min"]; med = b["latency_ms"]["median"]
print("%s\t%s\tok\t%.4f\t%.4f\t%.4f\t%+.4f" % (sys.argv[3], sys.argv[4], pred, lo, med, pred / lo - 1))
PYEOF
    echo "$(tail -n 1 "$ROWS")" >&2
  done
done
[[ -n $CSV ]] && cp "$ROWS" "$CSV"
$PY - "$ROWS" "$MARKDOWN" "$THREADS" <<'PYEOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
md = sys.argv[2] == "1"
threads = sys.argv[3].split(",")
ok = [r for r in rows if r[2] == "ok"]
skipped = sorted({(r[0], r[3]) for r in rows if r[2] == "skip"})
if md:
    print("| network | threads | predicted ms | measured ms (fastest) | median ms | error |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    for r in ok:
        print("| %s | %s | %.2f | %.2f | %.2f | %+.1f%% |" % (r[0], r[1], float(r[3]), float(r[4]),
                                                         float(r[5]), 100 * float(r[6])))
else:
    print("%-22s %3s %12s %12s %12s %8s" % ("network", "thr", "predicted", "fastest", "median", "error"))
    for r in ok:
        print("%-22s %3s %12.2f %12.2f %12.2f %+7.1f%%" % (r[0], r[1], float(r[3]), float(r[4]),
                                                         float(r[5]), 100 * float(r[6])))
print()
if md:
    print("| threads | networks | within +-5% | within +-10% | within +-20% | median abs error |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
for t in threads:
    errs = sorted(abs(float(r[6])) for r in ok if r[1] == t)
    if not errs:
        continue
    n = len(errs)
    share = lambda x: 100.0 * sum(e <= x for e in errs) / n
    med = errs[n // 2] if n % 2 else 0.5 * (errs[n // 2 - 1] + errs[n // 2])
    if md:
        print("| %s | %d | %.0f%% | %.0f%% | %.0f%% | %.1f%% |" % (t, n, share(.05), share(.10),
                                                           share(.20), 100 * med))
    else:
        print("%s thread(s): %d networks, %.0f%% within +-10%% (%.0f%% within +-5%%, %.0f%% within "
              "+-20%%), median |error| %.1f%%" % (t, n, share(.10), share(.05), share(.20), 100 * med))
if skipped:
    print()
    print("Not measured (edgeprof cannot load or predict them):")
    for name, why in skipped:
        print("  %s: %s" % (name, why.replace("edgeprof: ", "")))
PYEOF

#!/usr/bin/env bash
# Where edgeprof and ONNX Runtime differ, layer by layer (a benchmark, not a test).
#
#   bench/compare-ort-layers.sh [BUILD_DIR] MODEL [--threads N] [--runs N]
#
# Runs `edgeprof profile MODEL` and ONNX Runtime's profiler (bench/ort_profile.js) on the model
# as `edgeprof export` writes it, one after the other, and prints edgeprof's nodes in run order
# with ORT's time for the matching node: ORT renames the nodes it fuses (conv1/Conv2D + its
# Relu become "conv1/Relu_nchwc", fc1/MatMul + its bias "fused fc1/MatMul"), so a node matches
# the first unused ORT node whose name (less "fused ") starts with the same scope (the name up
# to its last '/') or with the whole name. ORT nodes
# left unmatched are listed after, and both totals at the end. Per-node times carry the timers'
# overhead and this machine's noise: read the large differences, and rerun before trusting one.
# Installs onnxruntime-node into BUILD_DIR/ort as bench/compare-ort.sh does (bench/ort-setup.sh).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=$ROOT/build
MODEL=
THREADS=1
RUNS=40
ORT_VERSION=${EP_ORT_VERSION:-1.30.0}

while [[ $# -gt 0 ]]; do
  case $1 in
    --threads) THREADS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "compare-ort-layers: unknown option $1" >&2; exit 2 ;;
    *)
      if [[ -d $1 && -z $MODEL && -x $1/edgeprof ]]; then BUILD=$(cd "$1" && pwd); else MODEL=$1; fi
      shift ;;
  esac
done
if [[ -z $MODEL ]]; then
  echo "compare-ort-layers: name a model (try --help)" >&2
  exit 2
fi
NAME=compare-ort-layers
source "$HERE/ort-setup.sh"
ONNX=$WORK/$MODEL.onnx
if [[ -f $MODEL ]]; then ONNX=$MODEL; elif [[ ! -f $ONNX ]]; then "$CLI" export "$MODEL" -o "$ONNX" >&2; fi
node "$HERE/ort_profile.js" "$ORT" "$ONNX" "$THREADS" "$RUNS" "$WORK/ort-layers.json"
"$CLI" profile "$MODEL" --threads "$THREADS" --runs "$RUNS" --min-time 0 \
  --json "$WORK/edgeprof-layers.json" >/dev/null

python3 - "$WORK/edgeprof-layers.json" "$WORK/ort-layers.json" <<'PY'
import json, sys
ep = json.load(open(sys.argv[1]))
ort = json.load(open(sys.argv[2]))
left = [n for n in ort["nodes"]]
used = set()

def match(name):
    scope = name.rsplit("/", 1)[0] + "/" if "/" in name else name
    for i, n in enumerate(left):
        theirs = n["name"].removeprefix("fused ")  # ORT's name for a fused MatMul + Add
        if i not in used and (theirs.startswith(scope) or theirs.startswith(name)):
            used.add(i)
            return n
    return None

print(f"{ep['model']}, {ep['threads']} thread(s): median ms per node")
print(f"{'node':48s} {'edgeprof op':18s} {'edgeprof':>9s} {'ORT':>9s}  ORT node")
ep_total = ort_matched = 0.0
for n in ep["nodes"]:
    o = match(n["name"])
    ep_total += n["avg_ms"]
    ort_ms = f"{o['median_ms']:9.3f}" if o else f"{'-':>9s}"
    if o:
        ort_matched += o["median_ms"]
    print(f"{n['name'][:48]:48s} {n['op'][:18]:18s} {n['avg_ms']:9.3f} {ort_ms}  {o['name'] if o else ''}")
rest = [n for i, n in enumerate(left) if i not in used]
for n in rest:
    print(f"{'(ORT only)':48s} {n['op'][:18]:18s} {'-':>9s} {n['median_ms']:9.3f}  {n['name']}")
ort_total = sum(n["median_ms"] for n in ort["nodes"])
print(f"sum of node times: edgeprof {ep_total:.3f} ms, ORT {ort_total:.3f} ms "
      f"(matched nodes {ort_matched:.3f} ms)")
PY

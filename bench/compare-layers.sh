#!/usr/bin/env bash
# Where edgeprof and ONNX Runtime (or OpenVINO) differ, layer by layer (a benchmark, not a test).
#
#   bench/compare-layers.sh [BUILD_DIR] MODEL [--threads N] [--runs N] [--shape NAME=DxD ...]
#                           [--peer ort|openvino]
#
# MODEL is a zoo name (run by ONNX Runtime as `edgeprof export` writes it) or an .onnx file
# (--shape: an input's shape, as for `edgeprof profile`). Runs `edgeprof profile MODEL` and ONNX
# Runtime's profiler (bench/ort_profile.py: the session of bench/compare.sh with
# SessionOptions.enable_profiling, the first fifth of the runs left out as warm-up), one after
# the other, and prints edgeprof's nodes in run order with ORT's time for the matching node
# (bench/compare_layers.py): ORT renames the nodes it fuses (conv1/Conv2D + its Relu become
# "conv1/Relu_nchwc", named after the tensor they write; fc1/MatMul + its bias "fused
# fc1/MatMul"), so each ORT node is traced through the model's graph (the node or the tensor it
# names, then up through the producers) to the edgeprof node that does its work, and what does not
# trace matches by the name's scope. ORT nodes left unmatched are listed after, and both totals at the
# end, then the time by op type of each side. --peer openvino profiles OpenVINO instead
# (bench/ov_profile.py: its per-layer counters, as benchmark_app -pc prints them), with the
# primitive that ran each layer and the time by primitive. Per-node times carry the timers' overhead and this machine's noise: read the large
# differences, and rerun before trusting one. ONNX Runtime runs in the Python environment of
# scripts/python-env.sh (BUILD_DIR/pyenv, made on first use).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=$ROOT/build
MODEL=
THREADS=1
RUNS=40
SHAPES=()
PEER=ort

die() { echo "compare-layers: $*" >&2; exit 2; }
need() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (try --help)"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --threads) need "$@"; THREADS=$2; shift 2 ;;
    --runs) need "$@"; RUNS=$2; shift 2 ;;
    --shape) need "$@"; SHAPES+=(--shape "$2"); shift 2 ;;
    --peer) need "$@"; PEER=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (try --help)" ;;
    *)
      if [[ -d $1 && -z $MODEL && -x $1/edgeprof ]]; then BUILD=$(cd "$1" && pwd)
      elif [[ -z $MODEL ]]; then MODEL=$1
      else die "one model only, got $MODEL and $1"; fi
      shift ;;
  esac
done
[[ -n $MODEL ]] || die "name a model (try --help)"
[[ $PEER == ort || $PEER == openvino ]] || die "--peer takes ort or openvino, got '$PEER'"
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "--threads takes a whole number from 1, got '$THREADS'"
[[ $RUNS =~ ^[1-9][0-9]*$ && $RUNS -ge 5 ]] || die "--runs takes a whole number from 5, got '$RUNS'"
CLI=$BUILD/edgeprof
[[ -x $CLI ]] || die "no edgeprof in $BUILD (build it first: cmake --build $BUILD)"
PY=$("$ROOT/scripts/python-env.sh" "$BUILD") || exit 1
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ left in bench/

# WORK keeps the zoo's exports between runs; RUN holds this run's two profiles (kept, and named on
# stderr at the end), so that two runs at once do not overwrite each other's.
WORK=$BUILD/compare
mkdir -p "$WORK"
RUN=$(mktemp -d "$WORK/layers.XXXXXX")
if [[ -f $MODEL || $MODEL == *.onnx ]]; then
  [[ -f $MODEL ]] || die "no model file $MODEL"
  ONNX=$MODEL
else
  [[ ${#SHAPES[@]} -eq 0 ]] || die "--shape applies to model files, not to zoo model '$MODEL'"
  ONNX=$WORK/$MODEL.onnx
  # Exported again when the edgeprof binary is newer: its zoo may have changed.
  [[ $ONNX -nt $CLI ]] || "$CLI" export "$MODEL" -o "$ONNX" >/dev/null || exit 2
fi
PROFILER=$HERE/ort_profile.py
[[ $PEER == openvino ]] && PROFILER=$HERE/ov_profile.py
"$PY" "$PROFILER" "$ONNX" "$THREADS" "$RUNS" "$RUN/$PEER-layers.json" "${SHAPES[@]}"
"$CLI" profile "$MODEL" "${SHAPES[@]}" --threads "$THREADS" --runs "$RUNS" --min-time 0 \
  --json "$RUN/edgeprof-layers.json" >/dev/null
"$PY" "$HERE/compare_layers.py" "$RUN/edgeprof-layers.json" "$RUN/$PEER-layers.json" "$ONNX"
echo "compare-layers: the two profiles are in $RUN" >&2

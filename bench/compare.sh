#!/usr/bin/env bash
# edgeprof against ONNX Runtime and OpenVINO at batch 1 (a benchmark, not a test).
#
#   bench/compare.sh [BUILD_DIR] [--models "a b"] [--threads "1 2"] [--rounds R] [--runs N]
#                    [--cpus LIST] [--shape NAME=DxD ...] [--variants "K=V ..."] [--markdown FILE]
#
# --models takes zoo names (exported with `edgeprof export`: the same graph and weights for every
# runtime) and .onnx files; --shape gives an input's shape in the files (repeatable; dims the file
# leaves symbolic are otherwise 1 for the peers, and edgeprof takes only a symbolic first dim as 1).
# Measures one-core FP32 peak with `edgeprof platform`, then for each model and thread count T
# runs, in turn, R rounds of: ONNX Runtime, OpenVINO (bench/peer_bench.py) and `edgeprof bench
# --threads T`, N timed runs each, so that all three see the same machine state. ONNX Runtime:
# intra_op_num_threads T, inter_op 1, sequential, ORT_ENABLE_ALL; OpenVINO on CPU: hint LATENCY,
# NUM_STREAMS 1, INFERENCE_NUM_THREADS T, INFERENCE_PRECISION_HINT f32 (else it runs bf16 on
# AVX-512-BF16 or AMX hosts) (bench/peers.py). One row per model and thread count: each
# runtime's median over the rounds of its per-round medians, edgeprof / ORT and edgeprof /
# OpenVINO (below 1: edgeprof is faster), and edgeprof's share of the machine's peak, FLOPs /
# time / (one-core peak x T). A second table: each runtime's peak resident memory (every runtime
# runs in a process of its own: `edgeprof bench`'s peak RSS, the peers' getrusage peak, with the
# Python interpreter's and library's share before the model as "base") and its session creation
# time (load + optimisation + weight packing), medians over the rounds. A runtime that fails on a
# model shows "-" (the reason: one line on stderr). --markdown also writes the tables as Markdown.
# Each run keeps its measurements (JSON) in a folder of its own, BUILD_DIR/compare/run.XXXXXX, so
# that two runs at once do not mix. --cpus LIST (e.g. 2,4 or 0-3) pins every
# runtime to the first T CPUs of LIST at T threads: edgeprof's workers one per CPU (`bench
# --cpus`), the peers' processes with taskset. The peers run in the Python environment of
# scripts/python-env.sh (BUILD_DIR/pyenv, made on first use).
# --variants adds edgeprof configurations beside its default, each measured in the same rounds
# and shown as its median and its ratio to the default: backend=NAME (`--backend`: onednn,
# xnnpack), isa=LEVEL (EDGEPROF_ISA: scalar, avx2, avx512, neon), layout=nchw (EDGEPROF_LAYOUT).
# E.g. --variants "isa=avx2 backend=onednn": is the default level at or below a forced lower one,
# and how does oneDNN compare.
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
SHAPES=()
VARIANTS=

die() { echo "compare: $*" >&2; exit 2; }
need() { [[ $# -ge 2 && -n $2 ]] || die "$1 needs a value (try --help)"; }
while [[ $# -gt 0 ]]; do
  case $1 in
    --models) need "$@"; MODELS=$2; shift 2 ;;
    --threads) need "$@"; THREADS=$2; shift 2 ;;
    --rounds) need "$@"; ROUNDS=$2; shift 2 ;;
    --runs) need "$@"; RUNS=$2; shift 2 ;;
    --markdown) need "$@"; MARKDOWN=$2; shift 2 ;;
    --cpus) need "$@"; CPUS=$2; shift 2 ;;
    --shape) need "$@"; SHAPES+=(--shape "$2"); shift 2 ;;
    --variants) need "$@"; VARIANTS=$2; shift 2 ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) die "unknown option $1 (try --help)" ;;
    *) [[ -d $1 ]] || die "$1 is not a build folder (try --help)"; BUILD=$(cd "$1" && pwd); shift ;;
  esac
done
for n in $ROUNDS $RUNS $THREADS; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "--rounds, --runs and --threads take whole numbers from 1, got '$n'"
done
[[ -n $MODELS && -n $THREADS ]] || die "--models and --threads need at least one value"
for v in $VARIANTS; do
  [[ $v =~ ^(backend|isa|layout)=[a-z0-9_]+$ ]] || die "--variants: '$v' is not backend=NAME, isa=LEVEL or layout=NAME"
done
if [[ -n $MARKDOWN ]]; then
  [[ -d $(dirname "$MARKDOWN") ]] || die "--markdown $MARKDOWN: no folder $(dirname "$MARKDOWN")"
  MARKDOWN=$(cd "$(dirname "$MARKDOWN")" && pwd)/$(basename "$MARKDOWN")
fi
CLI=$BUILD/edgeprof
[[ -x $CLI ]] || die "no edgeprof in $BUILD (build it first: cmake --build $BUILD)"
PY=$("$ROOT/scripts/python-env.sh" "$BUILD") || exit 1
export PYTHONDONTWRITEBYTECODE=1  # no __pycache__ left in bench/
if [[ -n $CPUS ]]; then
  for t in $THREADS; do "$PY" "$HERE/cpu_list.py" "$CPUS" "$t" >/dev/null || exit 2; done
fi

# WORK keeps the zoo's exports between runs; RUN is this run's own folder (the platform, each
# model's info and every measurement), so that two runs at once do not overwrite each other.
WORK=$BUILD/compare
mkdir -p "$WORK"
RUN=$(mktemp -d "$WORK/run.XXXXXX")
mkdir "$RUN/runs"
"$CLI" platform --json "$RUN/platform.json" >/dev/null

# Each model's label (the zoo name, or the file's name less .onnx), the ONNX file the peers run,
# what edgeprof is given (the zoo name or the file) and whether --shape applies (files only: a
# zoo model's export has no symbolic dims, and edgeprof refuses --shape for a zoo name).
declare -A ONNX EPMODEL ISFILE
LABELS=()
for m in $MODELS; do
  if [[ -f $m || $m == *.onnx ]]; then
    [[ -f $m ]] || die "no model file $m"
    label=$(basename "$m" .onnx)
    ONNX[$label]=$(cd "$(dirname "$m")" && pwd)/$(basename "$m")
    ISFILE[$label]=1
  else
    label=$m
    ONNX[$label]=$WORK/$m.onnx
    # Exported again when the edgeprof binary is newer: its zoo may have changed.
    if [[ ! $WORK/$m.onnx -nt $CLI ]]; then
      "$CLI" export "$m" -o "$WORK/$m.onnx" >/dev/null || exit 2
    fi
  fi
  [[ -z ${EPMODEL[$label]+x} ]] || die "two models named $label"
  EPMODEL[$label]=$m
  LABELS+=("$label")
done
shapes_for() {  # LABEL: sets SARGS to the --shape options for the model
  SARGS=()
  [[ -z ${ISFILE[$1]:-} ]] || SARGS=("${SHAPES[@]}")
}
for label in "${LABELS[@]}"; do
  shapes_for "$label"
  if ! err=$("$CLI" info "${EPMODEL[$label]}" "${SARGS[@]}" --json "$RUN/$label.info.json" \
      2>&1 >/dev/null); then
    rm -f "$RUN/$label.info.json"
    err=${err##*$'\n'}
    echo "compare: edgeprof cannot load $label: ${err#edgeprof: info: }" >&2
  fi
done

# Runs one runtime once; on failure prints the reason and marks the runtime failed on the model.
declare -A FAILED
measure() {  # RUNTIME LABEL THREADS ROUND PIN
  local rt=$1 label=$2 t=$3 r=$4 pin=$5 out=$RUN/runs/$2.$3.$4.$1.json err
  [[ -z ${FAILED[$rt.$label]+x} ]] || return 0
  shapes_for "$label"
  if [[ $rt == edgeprof* ]]; then
    # A variant: edgeprof:backend=onednn, edgeprof:isa=avx2, edgeprof:layout=nchw.
    local env=() opts=() v=${rt#edgeprof}
    v=${v#:}
    case $v in
      backend=*) opts=(--backend "${v#backend=}") ;;
      isa=*) env=(EDGEPROF_ISA="${v#isa=}") ;;
      layout=*) env=(EDGEPROF_LAYOUT="${v#layout=}") ;;
    esac
    err=$(env "${env[@]}" "$CLI" bench "${EPMODEL[$label]}" "${SARGS[@]}" "${opts[@]}" \
      --threads "$t" ${pin:+--cpus "$pin"} --runs "$RUNS" --min-time 0 --warmup 3 --json "$out" \
      2>&1 >/dev/null) && return 0
  else
    err=$(${pin:+taskset -c "$pin"} "$PY" "$HERE/peer_bench.py" "$rt" "${ONNX[$label]}" "$t" "$RUNS" \
      "${SARGS[@]}" 2>&1 >"$out") && return 0
  fi
  rm -f "$out"
  FAILED[$rt.$label]=1
  err=${err##*$'\n'}
  err=${err#peer_bench: "$rt": }
  echo "compare: $rt failed on $label at $t thread(s): ${err#edgeprof: bench: }" >&2
}

for label in "${LABELS[@]}"; do
  [[ -f $RUN/$label.info.json ]] || FAILED[edgeprof.$label]=1
  for t in $THREADS; do
    pin=
    [[ -z $CPUS ]] || pin=$("$PY" "$HERE/cpu_list.py" "$CPUS" "$t")
    for r in $(seq "$ROUNDS"); do
      echo "[compare] $label, $t thread(s), round $r/$ROUNDS" >&2
      for rt in ort openvino edgeprof; do measure "$rt" "$label" "$t" "$r" "$pin"; done
      for v in $VARIANTS; do measure "edgeprof:$v" "$label" "$t" "$r" "$pin"; done
    done
  done
done

"$PY" "$HERE/compare_table.py" "$RUN" --models "${LABELS[*]}" --threads "$THREADS" \
  --rounds "$ROUNDS" --runs "$RUNS" --edgeprof-version "$("$CLI" --version)" --cpus "$CPUS" \
  --markdown "$MARKDOWN" --variants "$VARIANTS"

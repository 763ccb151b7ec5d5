#!/usr/bin/env bash
# The fusions of modern CNN blocks against ONNX Runtime: tests/conformance/cnn_graphs.py writes
# small graphs as PyTorch exports them (SiLU as Sigmoid and Mul, squeeze-and-excitation, DenseNet
# and Inception concatenations); each runs in ONNX Runtime and in `edgeprof run` (which fuses
# them) on the same seeded input, at the default layout and ISA level, with every tensor NCHW
# (EDGEPROF_LAYOUT=nchw), at every other ISA level the host has, and without fusions (--no-fuse),
# and the outputs must agree as in test_ort_crosscheck.sh (max |diff| <= 1e-4 * max |output|, the
# same top-1). `edgeprof info` must show the fusions fired where FUSED names them (op column
# counts), and none of those fused ops with --no-fuse.
# Usage: test_ort_crosscheck_fusion.sh PATH_TO_EDGEPROF
source "$(dirname "$0")/conformance_setup.bash" "$@"
if ! "$PY" "$HERE/cnn_graphs.py" "$TMP" >"$TMP/list"; then
  echo "FAIL: cnn_graphs.py did not write the graphs"
  exit 1
fi
PASSED=0
FAILED=0
# ISA levels other than the default one: from `edgeprof platform`'s "available:" list.
LEVELS=$("$CLI" platform 2>/dev/null | sed -n 's/^ISA levels *available: \(.*\); in use: \(.*\)$/\1 -\2/p' |
         awk '{for (i = 1; i < NF; i++) if ("-" $i != $NF) print "EDGEPROF_ISA=" $i}')
if [[ -z $LEVELS ]]; then
  echo "FAIL: edgeprof platform lists no other ISA level (not even scalar)"
  exit 1
fi
# Op types as run (the column after the name in `info`'s node rows) with their expected counts:
# torch.onnx's HardSwish (HardSigmoid then Mul) fused into the Conv / Gemm before it; the
# HardSigmoid with alpha 0.2 times x is no HardSwish and stays two nodes.
declare -A FUSED=(
  [mobilenet_v3_block]="Conv+HardSwish 3 FullyConnected+HardSwish 1 HardSigmoid 1"
  [mobilenet_v2_block]="Conv+Relu6 8 Conv+Add 2"
)
count() { awk -v op="$2" '$1 ~ /^[0-9]+$/ && $3 == op { n++ } END { print n + 0 }' "$1"; }
while read -r model shape; do
  f=$TMP/$model
  if ! "$PY" "$HERE/ort_run.py" random 2016 "$shape" "$f.x.npy" ||
     ! "$PY" "$HERE/ort_run.py" run "$f.onnx" "$f.x.npy" "$f.ort.npy"; then
    echo "FAIL $model: ONNX Runtime did not run it"
    FAILED=$((FAILED + 1))
    continue
  fi
  for config in default EDGEPROF_LAYOUT=nchw $LEVELS no-fuse; do
    env=()
    opts=()
    case $config in
      default) ;;
      no-fuse) opts=(--no-fuse) ;;
      *) env=("$config") ;;
    esac
    if ! env "${env[@]}" "$CLI" run "$f.onnx" --input "$f.x.npy" --output "$f.ep.npy" \
        "${opts[@]}" >/dev/null; then
      echo "FAIL $model ($config): edgeprof run"
      FAILED=$((FAILED + 1))
      continue
    fi
    if result=$("$PY" "$HERE/ort_run.py" compare "$f.ort.npy" "$f.ep.npy"); then
      echo "ok   $model ($config): $result"
      PASSED=$((PASSED + 1))
    else
      echo "FAIL $model ($config): $result"
      FAILED=$((FAILED + 1))
    fi
  done
  [[ -n ${FUSED[$model]:-} ]] || continue
  "$CLI" info "$f.onnx" >"$f.info" 2>&1
  "$CLI" info "$f.onnx" --no-fuse >"$f.info-unfused" 2>&1
  set -- ${FUSED[$model]}
  while [[ $# -ge 2 ]]; do
    got=$(count "$f.info" "$1")
    if [[ $got == "$2" ]]; then
      echo "ok   $model: info shows $got $1 node(s)"
      PASSED=$((PASSED + 1))
    else
      echo "FAIL $model: info shows $got $1 node(s), expected $2"
      FAILED=$((FAILED + 1))
    fi
    if [[ $1 == *+* ]] && got=$(count "$f.info-unfused" "$1") && [[ $got != 0 ]]; then
      echo "FAIL $model --no-fuse: $got $1 node(s)"
      FAILED=$((FAILED + 1))
    fi
    shift 2
  done
done <"$TMP/list"
echo "$PASSED passed, $FAILED failed"
[[ $PASSED -gt 0 && $FAILED -eq 0 ]]

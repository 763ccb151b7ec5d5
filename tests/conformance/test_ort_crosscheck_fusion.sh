#!/usr/bin/env bash
# The fusions of modern CNN blocks against ONNX Runtime: tests/conformance/cnn_graphs.py writes
# small graphs as PyTorch exports them (SiLU as Sigmoid and Mul, squeeze-and-excitation, DenseNet
# and Inception concatenations); each runs in ONNX Runtime and in `edgeprof run` (which fuses
# them) on the same seeded input, at the default layout and ISA level, with every tensor NCHW
# (EDGEPROF_LAYOUT=nchw) and at the scalar level, and the outputs must agree as in
# test_ort_crosscheck.sh (max |diff| <= 1e-4 * max |output|, the same top-1).
# Usage: test_ort_crosscheck_fusion.sh PATH_TO_EDGEPROF
source "$(dirname "$0")/conformance_setup.bash" "$@"
if ! "$PY" "$HERE/cnn_graphs.py" "$TMP" >"$TMP/list"; then
  echo "FAIL: cnn_graphs.py did not write the graphs"
  exit 1
fi
PASSED=0
FAILED=0
while read -r model shape; do
  f=$TMP/$model
  if ! "$PY" "$HERE/ort_run.py" random 2016 "$shape" "$f.x.npy" ||
     ! "$PY" "$HERE/ort_run.py" run "$f.onnx" "$f.x.npy" "$f.ort.npy"; then
    echo "FAIL $model: ONNX Runtime did not run it"
    FAILED=$((FAILED + 1))
    continue
  fi
  for config in default EDGEPROF_LAYOUT=nchw EDGEPROF_ISA=scalar; do
    env=()
    [[ $config == default ]] || env=("$config")
    if ! env "${env[@]}" "$CLI" run "$f.onnx" --input "$f.x.npy" --output "$f.ep.npy" >/dev/null; then
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
done <"$TMP/list"
echo "$PASSED passed, $FAILED failed"
[[ $PASSED -gt 0 && $FAILED -eq 0 ]]

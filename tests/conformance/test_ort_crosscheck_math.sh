#!/usr/bin/env bash
# The element-wise ops of modern networks against ONNX Runtime: tests/conformance/math_graphs.py
# writes small graphs as exporters write them (a MobileNetV3 block with HardSwish and
# HardSigmoid, which fuse into its convolutions; a ConvNeXt block with LayerNorm and GELU written
# out through Pow, Sqrt and Erf; a chain of every op: Gelu both ways, Mish, Softplus, Exp, Log,
# Pow's fast paths and general path, variadic Min / Max with broadcasting); each runs in ONNX
# Runtime and in `edgeprof run` on the same seeded input, at the default layout and ISA level,
# with every tensor NCHW (EDGEPROF_LAYOUT=nchw) and at the scalar level, and the outputs must
# agree as in test_ort_crosscheck.sh (max |diff| <= 1e-4 * max |output|, the same top-1); so
# must ONNX Runtime's answer on edgeprof's export of each (as defined, and optimized: the fused
# activations and Gelu, Mish and HardSwish written out in opset-13 ops).
# Usage: test_ort_crosscheck_math.sh PATH_TO_EDGEPROF
source "$(dirname "$0")/conformance_setup.bash" "$@"
if ! "$PY" "$HERE/math_graphs.py" "$TMP" >"$TMP/list"; then
  echo "FAIL: math_graphs.py did not write the graphs"
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
  # edgeprof's export (the graph as defined, and the optimized one with fused activations,
  # through --from 0) must give ONNX Runtime the same answer as the original.
  for range in whole optimized; do
    args=(-o "$f.$range.onnx")
    [[ $range == whole ]] || args+=(--from 0)
    if ! "$CLI" export "$f.onnx" "${args[@]}" >/dev/null ||
       ! "$PY" "$HERE/ort_run.py" run "$f.$range.onnx" "$f.x.npy" "$f.$range.npy"; then
      echo "FAIL $model (export, $range): not written or not run by ONNX Runtime"
      FAILED=$((FAILED + 1))
    elif result=$("$PY" "$HERE/ort_run.py" compare "$f.ort.npy" "$f.$range.npy"); then
      echo "ok   $model (export, $range): $result"
      PASSED=$((PASSED + 1))
    else
      echo "FAIL $model (export, $range): $result"
      FAILED=$((FAILED + 1))
    fi
  done
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

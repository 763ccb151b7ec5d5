#!/usr/bin/env bash
# Cross-check with ONNX Runtime: every zoo model is exported to ONNX, run by the onnxruntime wheel
# (tests/conformance/ort_run.py, in the tests' virtual environment) and by `edgeprof run` on the
# same seeded input; the outputs must agree: max |diff| <= 1e-4 * max |output| (1e-3 for the
# 12-layer transformer stacks, bert_base and vit_b16, as issue 15 allows) and the same top-1 in
# every row.
#
# The virtual environment is made once into the build folder (scripts/python-env.sh; CTest's
# "python" fixture makes it before this test). Fails when it cannot be made: make test installs it.
# Usage: test_ort_crosscheck.sh PATH_TO_EDGEPROF (EP_ORT_MODELS="a b" picks the models)
source "$(dirname "$0")/conformance_setup.bash" "$@"
echo "ONNX Runtime $("$PY" -c 'import onnxruntime; print(onnxruntime.__version__)')"
PASSED=0
FAILED=0
# The CNNs take longest: test_ort_crosscheck_cnn.sh runs inception_v1 and resnet50.
MODELS=${EP_ORT_MODELS:-"mlp lstm mobilenet_v1"}
for model in $MODELS; do
  # The input shape: first column of "input -> output" in `edgeprof models`.
  shape=$("$CLI" models | awk -v m="$model" '$1 == m { print $2 }')
  if [[ -z "$shape" ]]; then
    echo "FAIL $model: no input shape from 'edgeprof models'"
    FAILED=$((FAILED + 1))
    continue
  fi
  f=$TMP/$model
  if ! "$CLI" export "$model" -o "$f.onnx" >/dev/null; then
    echo "FAIL $model: export"
    FAILED=$((FAILED + 1))
    continue
  fi
  if ! "$PY" "$HERE/ort_run.py" random 2018 "$shape" "$f.x.npy" ||
     ! "$PY" "$HERE/ort_run.py" run "$f.onnx" "$f.x.npy" "$f.ort.npy"; then
    echo "FAIL $model: ONNX Runtime did not run the exported model"
    FAILED=$((FAILED + 1))
    continue
  fi
  if ! "$CLI" run "$f.onnx" --input "$f.x.npy" --output "$f.ep.npy" >/dev/null; then
    echo "FAIL $model: edgeprof run"
    FAILED=$((FAILED + 1))
    continue
  fi
  tol=1e-4
  case $model in bert_base | vit_b16) tol=1e-3 ;; esac
  if result=$("$PY" "$HERE/ort_run.py" compare "$f.ort.npy" "$f.ep.npy" "$tol"); then
    echo "ok   $model ($shape): $result"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL $model ($shape): $result"
    FAILED=$((FAILED + 1))
  fi
  rm -f "$f".*
done
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]

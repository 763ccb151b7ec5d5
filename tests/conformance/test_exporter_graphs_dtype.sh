#!/usr/bin/env bash
# int64 and bool tensors at run time against ONNX Runtime: tests/conformance/dtype_graphs.py
# writes exporter-style graphs (a BERT-like embedding with int64 input_ids and attention_mask,
# masks built with Equal / Not / And / Or / Xor / Where / Range / LessOrEqual from bool and int64
# inputs, int64 arithmetic and views); each runs in ONNX Runtime and in `edgeprof run` on the same
# seeded inputs (ort_run.py seeded makes them as `edgeprof run --seed` does), at the default ISA
# level, at the scalar level and on 2 threads; the outputs must agree as in
# test_ort_crosscheck.sh (max |diff| <= 1e-4 * max |output|, the same top-1). Then:
# - the inputs ort_run.py wrote, given to `edgeprof run --input`, give the seeded run's output
#   byte for byte (the two input generators agree);
# - each graph exported by edgeprof (dtypes written) runs in ONNX Runtime with the same result.
# Usage: test_exporter_graphs_dtype.sh PATH_TO_EDGEPROF
source "$(dirname "$0")/conformance_setup.bash" "$@"
if ! "$PY" "$HERE/dtype_graphs.py" "$TMP" >"$TMP/list"; then
  echo "FAIL: dtype_graphs.py did not write the graphs"
  exit 1
fi
PASSED=0
FAILED=0
check() { # what, reference, got
  if result=$("$PY" "$HERE/ort_run.py" compare "$2" "$3"); then
    echo "ok   $1: $result"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL $1: $result"
    FAILED=$((FAILED + 1))
  fi
}
SEED=2015
RANGE=10 # int64 inputs that no Gather reads take [0, 10): attention_mask values 1 and others
while read -r model; do
  f=$TMP/$model
  if ! "$PY" "$HERE/ort_run.py" seeded "$f.onnx" $SEED "$f.ort.npy" $RANGE "$f.in"; then
    echo "FAIL $model: ONNX Runtime did not run it"
    FAILED=$((FAILED + 1))
    continue
  fi
  for config in default EDGEPROF_ISA=scalar threads=2; do
    env=()
    args=(--seed $SEED --int-range $RANGE)
    case $config in
      default) ;;
      threads=2) args+=(--threads 2) ;;
      *) env=("$config") ;;
    esac
    if ! env "${env[@]}" "$CLI" run "$f.onnx" "${args[@]}" --output "$f.ep.npy" >/dev/null; then
      echo "FAIL $model ($config): edgeprof run"
      FAILED=$((FAILED + 1))
      continue
    fi
    check "$model ($config)" "$f.ort.npy" "$f.ep.npy"
  done
  "$CLI" run "$f.onnx" --seed $SEED --int-range $RANGE --output "$f.seeded.npy" >/dev/null
  inputs=()
  for x in "$f".in*.npy; do inputs+=(--input "$x"); done
  if "$CLI" run "$f.onnx" "${inputs[@]}" --output "$f.given.npy" >/dev/null &&
     cmp -s "$f.seeded.npy" "$f.given.npy"; then
    echo "ok   $model: ort_run.py's inputs give the seeded run's output byte for byte"
    PASSED=$((PASSED + 1))
  else
    echo "FAIL $model: ort_run.py's seeded inputs differ from edgeprof's"
    FAILED=$((FAILED + 1))
  fi
  if "$CLI" export "$f.onnx" -o "$f.re.onnx" >/dev/null &&
     "$PY" "$HERE/ort_run.py" seeded "$f.re.onnx" $SEED "$f.re.ort.npy" $RANGE; then
    check "$model (exported by edgeprof, run by ONNX Runtime)" "$f.ort.npy" "$f.re.ort.npy"
  else
    echo "FAIL $model: edgeprof's export did not run in ONNX Runtime"
    FAILED=$((FAILED + 1))
  fi
done <"$TMP/list"
echo "$PASSED passed, $FAILED failed"
[[ $PASSED -gt 0 && $FAILED -eq 0 ]]

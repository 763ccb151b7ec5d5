#!/usr/bin/env bash
# Cross-check with ONNX Runtime on exporter-style graphs of reductions, LayerNormalization (the
# op and written out), Split, Tile, Einsum, batched MatMul and Softmax on inner axes
# (tests/conformance/reduce_graphs.py builds them and runs ORT): `edgeprof run` on the same input
# must agree to max |diff| <= 1e-4 * max |output|, and so must ONNX Runtime on edgeprof's export.
# Usage: test_ort_crosscheck_reduce.sh PATH_TO_EDGEPROF
source "$(dirname "$0")/conformance_setup.bash" "$@"
if ! CASES=$("$PY" "$HERE/reduce_graphs.py" write "$TMP"); then
  echo "FAIL: the graphs could not be built or run by ONNX Runtime"
  exit 1
fi
FAILED=0
# The default level on 1 and 2 threads, the scalar level (each level's kernels are covered
# against the references in tests/kernels/test_reduce.c), and the graph without fusions (a
# written-out LayerNorm must be right from its reductions alone).
for c in $CASES; do
  f=$TMP/$c
  for run in default.1 default.2 scalar.1 nofuse.1; do
    isa=${run%.*}
    fuse=()
    [[ $isa == nofuse ]] && fuse=(--no-fuse)
    [[ $isa == default || $isa == nofuse ]] && isa=${EDGEPROF_ISA:-}
    if ! EDGEPROF_ISA=$isa "$CLI" run "$f.onnx" --input "$f.x.npy" --output "$f.$run.ep.npy" \
        --threads "${run#*.}" "${fuse[@]}" >"$f.log" 2>&1; then
      echo "FAIL $c ($run): edgeprof run: $(tail -n 1 "$f.log")"
      FAILED=$((FAILED + 1))
    fi
  done
  # And edgeprof's export of the graph, run by ONNX Runtime (compared below).
  if ! "$CLI" export "$f.onnx" -o "$f.exported.onnx" >"$f.log" 2>&1; then
    echo "FAIL $c: export: $(tail -n 1 "$f.log")"
    FAILED=$((FAILED + 1))
  fi
done
# Einsum equations outside the lowered patterns: refused (exit status 2) with the equation named.
for f in "$TMP"/refused_einsum_*.onnx; do
  eq=$(cat "${f%.onnx}.equation")
  "$CLI" run "$f" >"$TMP/refused.log" 2>&1
  rc=$?
  if [[ $rc -ne 2 ]] || ! grep -qF "'$eq'" "$TMP/refused.log"; then
    echo "FAIL $(basename "$f"): exit $rc, expected 2 and the equation '$eq': $(tail -n 1 "$TMP/refused.log")"
    FAILED=$((FAILED + 1))
  else
    echo "ok   $(basename "$f"): $(tail -n 1 "$TMP/refused.log")"
  fi
done
"$PY" "$HERE/reduce_graphs.py" compare "$TMP" || FAILED=$((FAILED + 1))
[[ $FAILED -eq 0 ]]

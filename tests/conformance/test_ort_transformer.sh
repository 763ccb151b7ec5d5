#!/usr/bin/env bash
# Transformer graphs as exporters write them, against ONNX Runtime: tests/conformance/
# transformer_graphs.py builds each (onnx helper API + numpy, no PyTorch) and runs it with ONNX
# Runtime; `edgeprof run` must agree (max |diff| <= 1e-4 x max |y|) with its fusions on (1 and 2
# threads) and off (--no-fuse), and `edgeprof info` must show that the fusions fired: the op
# types each graph must run as (one Attention node per attention block, ...) and none of them
# with --no-fuse. The fused graph exported back (`export --from 0`, as a split's server half is)
# writes the fused nodes as ONNX chains that ONNX Runtime runs to the same output.
# Usage: test_ort_transformer.sh PATH_TO_EDGEPROF (EP_TRANSFORMER_GRAPHS="a b" picks the graphs)
source "$(dirname "$0")/conformance_setup.bash" "$@"
PASSED=0
FAILED=0
ok() { echo "ok   $*"; PASSED=$((PASSED + 1)); }
bad() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }

# graph -> "op count ..." that `info` must show (node counts by op type of the graph as run). Each
# GELU chain (erf or tanh form) becomes a Gelu and then goes into the epilogue of the MatMul that
# feeds it: "MatMul+Gelu" / "MatMul+GeluTanh", and no Gelu node is left.
declare -A FUSED=(
  [attention]="Attention 1 Softmax 0"
  [mlp]="MatMul+Gelu 1 MatMul+GeluTanh 1 Gelu 0 Erf 0 Tanh 0 Pow 0"
  [bert]="Attention 1 LayerNormalization 2 MatMul+Gelu 1 Gelu 0 Softmax 0 ReduceMean 0 Erf 0"
  [vit]="Attention 1 LayerNormalization 2 MatMul+GeluTanh 1 Gelu 0 Softmax 0 ReduceMean 0 Tanh 0"
)
GRAPHS=${EP_TRANSFORMER_GRAPHS:-"attention mlp bert vit"}
count() { awk -v op="$2" '$1 ~ /^[0-9]+$/ && $3 == op { n++ } END { print n + 0 }' "$1"; }
for g in $GRAPHS; do
  d=$TMP/$g
  if ! "$PY" "$HERE/transformer_graphs.py" write "$g" "$d"; then
    bad "$g: transformer_graphs.py did not write or ONNX Runtime did not run the graph"
    continue
  fi
  inputs=()
  for f in "$d"/input_*.npy; do inputs+=(--input "$f"); done
  outputs=()
  for mode in "threads-1" "threads-2" "no-fuse"; do
    case $mode in
      threads-*) opts=(--threads "${mode#threads-}") ;;
      no-fuse) opts=(--no-fuse) ;;
    esac
    if "$CLI" run "$d/model.onnx" "${inputs[@]}" --output "$d/$mode.npy" "${opts[@]}" >"$d/run.log" 2>&1; then
      outputs+=("$d/$mode.npy")
    else
      bad "$g ($mode): edgeprof run: $(tail -n 3 "$d/run.log")"
    fi
  done
  onnx=()
  if "$CLI" export "$d/model.onnx" --from 0 -o "$d/range.onnx" >/dev/null 2>"$d/export.log"; then
    onnx=(--onnx "$d/range.onnx" "$d")
  else
    bad "$g: export --from 0: $(tail -n 2 "$d/export.log")"
  fi
  # One line per output: "<file>: max |diff| ..."; a failed one ends in ": above 1e-4 x max |y|".
  "$PY" "$HERE/transformer_graphs.py" compare "$d/expected.npy" "${outputs[@]}" "${onnx[@]}" >"$d/compare.txt" 2>&1
  while IFS= read -r line; do
    line=${line//$d\//}
    if [[ $line == *"max |diff|"* && $line != *"above 1e-4"* ]]; then ok "$g $line"; else bad "$g $line"; fi
  done <"$d/compare.txt"
  want=$(( ${#outputs[@]} + (${#onnx[@]} > 0 ? 1 : 0) ))
  lines=$(grep -c "max |diff|" "$d/compare.txt")
  [[ $lines -eq $want ]] || bad "$g: $lines comparisons, expected $want"
  # Op types as run: the column after the name in `info`'s node rows.
  "$CLI" info "$d/model.onnx" >"$d/info.txt" 2>&1
  "$CLI" info "$d/model.onnx" --no-fuse >"$d/info-unfused.txt" 2>&1
  set -- ${FUSED[$g]}
  while [[ $# -ge 2 ]]; do
    got=$(count "$d/info.txt" "$1")
    [[ "$got" == "$2" ]] && ok "$g: info shows $got $1 node(s)" || bad "$g: info shows $got $1 node(s), expected $2"
    if [[ "$2" != 0 ]]; then
      got=$(count "$d/info-unfused.txt" "$1")
      [[ "$got" == 0 ]] && ok "$g --no-fuse: no $1 node" || bad "$g --no-fuse: $got $1 node(s)"
    fi
    shift 2
  done
done
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 && $PASSED -gt 0 ]]

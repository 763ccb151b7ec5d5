#!/usr/bin/env bash
# Transformer graphs as exporters write them, against ONNX Runtime: tests/conformance/
# transformer_graphs.py builds each (onnx helper API + numpy, no PyTorch) and runs it with ONNX
# Runtime; `edgeprof run` must agree (max |diff| <= 1e-4 x max |y|) with its fusions on (1 and 2
# threads) and off (--no-fuse), and `edgeprof info` must show that the fusions fired: the op
# types each graph must run as (one Attention node per attention block, ...) and none of them
# with --no-fuse. The graph range export (`export --from 0`) writes the fused nodes back as ONNX
# chains that ONNX Runtime runs to the same output.
# Usage: test_ort_transformer.sh PATH_TO_EDGEPROF (EP_TRANSFORMER_GRAPHS="a b" picks the graphs)
set -uo pipefail
CLI=${1:-}
if [[ -z "$CLI" || ! -x "$CLI" ]]; then
  echo "usage: $0 PATH_TO_EDGEPROF" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$(dirname "$CLI")" && pwd)
if ! PY=$(bash "$HERE/../../scripts/python-env.sh" "$BUILD"); then
  echo "FAIL: no Python environment with onnxruntime (scripts/python-env.sh)"
  exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/edgeprof-transformer.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PASSED=0
FAILED=0
ok() { echo "ok   $*"; PASSED=$((PASSED + 1)); }
bad() { echo "FAIL $*"; FAILED=$((FAILED + 1)); }

# graph -> "op count ..." that `info` must show (node counts by op type of the graph as run).
declare -A FUSED=(
  [attention]="Attention 1 Softmax 0"
  [mlp]="Gelu 2 Erf 0 Tanh 0 Pow 0"
)
GRAPHS=${EP_TRANSFORMER_GRAPHS:-"attention mlp"}
for g in $GRAPHS; do
  d=$TMP/$g
  if ! "$PY" "$HERE/transformer_graphs.py" write "$g" "$d"; then
    bad "$g: transformer_graphs.py did not write or ONNX Runtime did not run the graph"
    continue
  fi
  inputs=()
  for f in "$d"/input_*.npy; do inputs+=(--input "$f"); done
  for mode in "--threads 1" "--threads 2" "--no-fuse"; do
    # shellcheck disable=SC2086
    if ! "$CLI" run "$d/model.onnx" "${inputs[@]}" --output "$d/got.npy" $mode >"$d/run.log" 2>&1; then
      bad "$g ($mode): edgeprof run: $(tail -n 3 "$d/run.log")"
      continue
    fi
    if result=$("$PY" "$HERE/transformer_graphs.py" compare "$d/expected.npy" "$d/got.npy"); then
      ok "$g ($mode): $result"
    else
      bad "$g ($mode): $result"
    fi
  done
  # Op types as run: the column after the name in `info`'s node rows.
  "$CLI" info "$d/model.onnx" >"$d/info.txt" 2>&1
  "$CLI" info "$d/model.onnx" --no-fuse >"$d/info-unfused.txt" 2>&1
  count() { awk -v op="$2" '$1 ~ /^[0-9]+$/ && $3 == op { n++ } END { print n + 0 }' "$1"; }
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
  # The fused graph exported back (a split's server half is exported this way) runs in ORT.
  if "$CLI" export "$d/model.onnx" --from 0 -o "$d/range.onnx" >/dev/null 2>"$d/export.log" &&
     "$PY" - "$d" <<'PYEOF'
import glob, os, sys
import numpy as np
import onnxruntime as ort
d = sys.argv[1]
s = ort.InferenceSession(os.path.join(d, "range.onnx"), providers=["CPUExecutionProvider"])
feeds = {i.name: np.load(os.path.join(d, "input_%d.npy" % k)) for k, i in enumerate(s.get_inputs())}
np.save(os.path.join(d, "range.npy"), s.run(None, feeds)[0])
PYEOF
  then
    if result=$("$PY" "$HERE/transformer_graphs.py" compare "$d/expected.npy" "$d/range.npy"); then
      ok "$g: exported fused graph in ONNX Runtime: $result"
    else
      bad "$g: exported fused graph in ONNX Runtime: $result"
    fi
  else
    bad "$g: export --from 0 or ONNX Runtime on it: $(tail -n 2 "$d/export.log")"
  fi
done
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]

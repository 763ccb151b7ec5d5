#!/usr/bin/env bash
# Runs every ONNX file of a folder with `edgeprof run` and with ONNX Runtime on the same seeded
# input (tests/conformance/ort_run.py: max |diff| <= 1e-4 * max |y|, same top-1) and prints one
# line per model: agrees, differs (the numbers), or refused / failed (edgeprof's reason). For the
# exports of bench/export_torch_modules.py and bench/export_torchvision.py. Not a test: PyTorch
# exports are not built in CI.
#
#   bench/check_onnx_exports.sh BUILD_DIR MODEL_DIR
set -uo pipefail
if [[ $# -ne 2 || ! -x $1/edgeprof || ! -d $2 ]]; then
  echo "usage: $0 BUILD_DIR MODEL_DIR" >&2
  exit 2
fi
CLI=$1/edgeprof
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=$(bash "$ROOT/scripts/python-env.sh" "$1") || exit 1
ORT="$ROOT/tests/conformance/ort_run.py"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/edgeprof-exports.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
agree=0
other=0
for model in "$2"/*.onnx; do
  name=$(basename "$model" .onnx)
  shape=$("$PY" -c 'import onnx, sys
g = onnx.load(sys.argv[1], load_external_data=False).graph
init = {i.name for i in g.initializer}
x = [i for i in g.input if i.name not in init][0]
print("x".join(str(d.dim_value or 1) for d in x.type.tensor_type.shape.dim))' "$model")
  "$PY" "$ORT" random 2018 "$shape" "$TMP/x.npy" || exit 1
  if ! "$PY" "$ORT" run "$model" "$TMP/x.npy" "$TMP/ort.npy" 2>"$TMP/err"; then
    printf '%-28s ONNX Runtime failed: %s\n' "$name" "$(head -c 200 "$TMP/err")"
    other=$((other + 1))
    continue
  fi
  if ! "$CLI" run "$model" --input "$TMP/x.npy" --output "$TMP/ep.npy" >/dev/null 2>"$TMP/err"; then
    printf '%-28s refused: %s\n' "$name" "$(head -c 400 "$TMP/err")"
    other=$((other + 1))
    continue
  fi
  if result=$("$PY" "$ORT" compare "$TMP/ort.npy" "$TMP/ep.npy"); then
    printf '%-28s agrees: %s\n' "$name" "$result"
    agree=$((agree + 1))
  else
    printf '%-28s DIFFERS: %s\n' "$name" "$result"
    other=$((other + 1))
  fi
done
echo "$agree agree with ONNX Runtime, $other do not or do not run"

#!/usr/bin/env bash
# Cross-check with ONNX Runtime: every zoo model is exported to ONNX, run by onnxruntime-node (its
# CPU library ships inside the npm package) and by `edgeprof run` on the same seeded input; the
# outputs must agree: max |diff| <= 1e-4 * max |output| and the same top-1 in every row.
#
# onnxruntime-node is installed once into the build folder (npm install --ignore-scripts: no
# download at install time besides the package itself). Skips (77) only where node is missing.
# Usage: test_ort_crosscheck.sh PATH_TO_EDGEPROF (EP_ORT_MODELS="a b" picks the models)
set -uo pipefail
CLI=${1:-}
if [[ -z "$CLI" || ! -x "$CLI" ]]; then
  echo "usage: $0 PATH_TO_EDGEPROF" >&2
  exit 2
fi
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (make deps installs nodejs and npm)"
  exit 77
fi
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$(dirname "$CLI")" && pwd)
ORT_DIR=$BUILD/onnxruntime-node
ORT_VERSION=${EP_ORT_VERSION:-1.30.0}
ORT=$ORT_DIR/node_modules/onnxruntime-node
case "$(uname -m)" in
  x86_64) ARCH=x64 ;;
  aarch64) ARCH=arm64 ;;
  *) echo "FAIL: no onnxruntime-node CPU library for $(uname -m)"; exit 1 ;;
esac
LIB=$ORT/bin/napi-v6/linux/$ARCH/libonnxruntime.so.1
mkdir -p "$ORT_DIR"
exec 9>"$ORT_DIR/.install.lock"
flock 9 # the two cross-check tests may start together: one installs, the other waits
if [[ ! -f "$LIB" ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "FAIL: node is here but npm is not (make deps installs it)"
    exit 1
  fi
  echo "installing onnxruntime-node@$ORT_VERSION into $ORT_DIR"
  if ! npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$ORT_DIR" \
      "onnxruntime-node@$ORT_VERSION" >"$ORT_DIR/npm.log" 2>&1; then
    echo "FAIL: npm install onnxruntime-node@$ORT_VERSION failed:"
    tail -20 "$ORT_DIR/npm.log"
    exit 1
  fi
  if [[ ! -f "$LIB" ]]; then
    echo "FAIL: $LIB is not in the package"
    exit 1
  fi
fi
flock -u 9

TMP=$(mktemp -d "${TMPDIR:-/tmp}/edgeprof-ort.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
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
  node "$HERE/ort_run.js" random 2018 "$shape" "$f.x.npy" &&
    node "$HERE/ort_run.js" run "$ORT" "$f.onnx" "$f.x.npy" "$f.ort.npy"
  if [[ $? -ne 0 ]]; then
    echo "FAIL $model: ONNX Runtime did not run the exported model"
    FAILED=$((FAILED + 1))
    continue
  fi
  if ! "$CLI" run "$f.onnx" --input "$f.x.npy" --output "$f.ep.npy" >/dev/null; then
    echo "FAIL $model: edgeprof run"
    FAILED=$((FAILED + 1))
    continue
  fi
  if result=$(node "$HERE/ort_run.js" compare "$f.ort.npy" "$f.ep.npy"); then
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

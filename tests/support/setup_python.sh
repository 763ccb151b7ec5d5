#!/usr/bin/env bash
# CTest fixture "python" (tests/CMakeLists.txt): the virtual environment of the tests
# (scripts/python-env.sh: onnxruntime, onnx, openvino, numpy) and the ONNX node tests of the onnx
# wheel written out (tests/conformance/node_tests.py). Both are made once into the build folder and
# reused. Fails (and with it the tests that need them) when they cannot be installed.
#   setup_python.sh BUILD_DIR
set -euo pipefail
BUILD=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PY=$(bash "$ROOT/scripts/python-env.sh" "$BUILD")
exec 9>"$BUILD/.node-tests.lock"
flock 9
"$PY" "$ROOT/tests/conformance/node_tests.py" "$BUILD/onnx-node-tests"
echo "python: $PY ($("$PY" -c 'import onnx, onnxruntime; print("onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__)'))"

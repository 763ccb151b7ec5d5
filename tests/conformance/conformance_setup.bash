# Sourced by the conformance scripts that run edgeprof beside ONNX Runtime:
#   source "$(dirname "$0")/conformance_setup.bash" "$@"
# Checks the first argument is the edgeprof binary (usage line: CONFORMANCE_USAGE, default
# "PATH_TO_EDGEPROF"), then sets CLI, HERE (this folder), BUILD (the binary's folder), PY (the
# Python of the tests' virtual environment, scripts/python-env.sh; a FAIL when it cannot be made)
# and TMP (a temporary folder removed on exit, named after the script).
set -uo pipefail
CLI=${1:-}
if [[ -z "$CLI" || ! -x "$CLI" ]]; then
  echo "usage: $0 ${CONFORMANCE_USAGE:-PATH_TO_EDGEPROF}" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "$(dirname "$CLI")" && pwd)
if ! PY=$(bash "$HERE/../../scripts/python-env.sh" "$BUILD"); then
  echo "FAIL: no Python environment with onnx and onnxruntime (scripts/python-env.sh)"
  exit 1
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/edgeprof-$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$TMP"' EXIT

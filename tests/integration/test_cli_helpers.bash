# Shared by tests/integration/test_cli*.sh (sourced; not a test itself).
# Each test prints what failed, then "N passed, N failed"; exit 0 pass, 1 fail, 77 skip.

CLI=${1:-}
if [[ -z "$CLI" || ! -x "$CLI" ]]; then
  echo "usage: $0 PATH_TO_EDGEPROF (got '${CLI}')" >&2
  exit 77
fi
PASSED=0
FAILED=0
# How much slower than native this run may be (make test-arm64 sets 5 for qemu): waits and time
# budgets of the tests are multiplied by it.
TIME_SCALE=${EP_TEST_TIME_SCALE:-1}
[[ $TIME_SCALE =~ ^[1-9][0-9]*$ ]] || TIME_SCALE=1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/edgeprof-cli-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

pass() { PASSED=$((PASSED + 1)); }
fail() { FAILED=$((FAILED + 1)); echo "FAIL: $*" >&2; }
check() { # check DESCRIPTION COMMAND...: passes when the command succeeds
  local what=$1; shift
  if "$@"; then pass; else fail "$what"; fi
}
finish() {
  echo "$PASSED passed, $FAILED failed"
  [[ $FAILED -eq 0 ]]
  exit $?
}
have_python() { command -v python3 >/dev/null 2>&1; }
# json_check FILE PYTHON_EXPRESSIONS: runs the statements with `d` bound to the parsed file;
# any failed assert fails the check.
json_check() {
  local file=$1 code=$2
  python3 - "$file" <<PY
import json, sys
d = json.load(open(sys.argv[1]))
$code
PY
}

#!/usr/bin/env bash
# Makes BUILD/pyenv, the virtual environment of the tests and benchmarks, with the pinned wheels of
# scripts/requirements.txt, and prints its python. Installed once: it is reused while the
# requirements file is unchanged (a copy of it in the environment is the stamp) and rebuilt when it
# changes. Safe to run from tests started together (flock). Needs Debian's python3-venv
# (make deps) and PyPI.
#   scripts/python-env.sh BUILD_DIR        prints BUILD_DIR/pyenv/bin/python on success
#   scripts/python-env.sh BUILD_DIR REQUIREMENTS NAME
#                                          the same for another pinned set, in BUILD_DIR/NAME
#                                          (the serving interop tests: scripts/requirements-serving.txt)
# Exit 0 with the path; 1 with one line on stderr when it cannot be made.
set -euo pipefail
if [[ $# -ne 1 && $# -ne 3 ]]; then
  echo "usage: $0 BUILD_DIR [REQUIREMENTS NAME]" >&2
  exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
REQ=${2:-$HERE/requirements.txt}
NAME=${3:-pyenv}
mkdir -p "$1"
ENV_DIR=$(cd "$1" && pwd)/$NAME
PY=$ENV_DIR/bin/python
STAMP=$ENV_DIR/requirements.installed
exec 9>"$1/.$NAME.lock"
flock 9
if [[ -x $PY ]] && cmp -s "$REQ" "$STAMP"; then
  echo "$PY"
  exit 0
fi
# Debian's python3 (python3-venv) first: another python3 on the PATH may lack venv or ensurepip.
BASE=/usr/bin/python3
[[ -x $BASE ]] || BASE=$(command -v python3 || true)
if [[ -z $BASE ]]; then
  echo "python-env: no python3 (make deps installs python3-venv)" >&2
  exit 1
fi
rm -rf "$ENV_DIR"
start=$(date +%s)
echo "python-env: making $ENV_DIR ($(grep -v '^#' "$REQ" | tr '\n' ' ')from PyPI)" >&2
if ! "$BASE" -m venv "$ENV_DIR" >"$1/$NAME.log" 2>&1; then
  echo "python-env: '$BASE -m venv' failed (make deps installs python3-venv): $(tail -1 "$1/$NAME.log")" >&2
  exit 1
fi
if ! "$PY" -m pip install --disable-pip-version-check --no-input -q -r "$REQ" >>"$1/$NAME.log" 2>&1; then
  echo "python-env: pip install -r $REQ failed (see $1/$NAME.log): $(tail -1 "$1/$NAME.log")" >&2
  rm -rf "$ENV_DIR"
  exit 1
fi
cp "$REQ" "$STAMP"
echo "python-env: ready in $(( $(date +%s) - start )) s" >&2
echo "$PY"

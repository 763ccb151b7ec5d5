#!/usr/bin/env bash
# Times two configurations of one model run for run in one process (a benchmark, not a test):
# builds bench/ab_sessions.c against a build folder's library and runs it with the arguments.
#
#   bench/ab_sessions.sh [BUILD_DIR] MODEL [--threads N] [--threads-b N] [--runs N] [--nodes]
#                        [--a NAME=VALUE]... [--b NAME=VALUE]...
#
# Example: does the blocked layout pay on ResNet-50 at two threads?
#   bench/ab_sessions.sh build resnet50 --threads 2 --a EDGEPROF_LAYOUT=nchw
# How each node of MobileNet scales from one thread to two:
#   bench/ab_sessions.sh build mobilenet_v1 --threads-b 2 --nodes
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
if [[ $# -gt 0 && -d $1 ]]; then BUILD=$(cd "$1" && pwd); shift; fi
if [[ $# -eq 0 || $1 == -h || $1 == --help ]]; then sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
source "$ROOT/bench/link_libs.sh"
edgeprof_link_args "$BUILD" || { echo "ab_sessions: cannot link against $BUILD" >&2; exit 2; }
BIN=$BUILD/ab_sessions
cc -O2 -std=gnu11 -pthread -I"$ROOT/include" -I"$ROOT/src" -I"$BUILD" "$ROOT/bench/ab_sessions.c" \
  "${EDGEPROF_LINK[@]}" -o "$BIN"
exec "$BIN" "$@"

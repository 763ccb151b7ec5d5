#!/usr/bin/env bash
# Times one convolution layer on edgeprof's kernels (a benchmark, not a test): builds
# bench/conv_layer.c against a build folder's library and runs it with the given arguments.
#
#   bench/conv_layer.sh [BUILD_DIR] CIN COUT SIZE KERNEL STRIDE [THREADS] [--groups G] [--kernel-w KW] [--cold]
#                       [--blocked | --versus-blocked] [--residual] [--runs N] [--cpu-time]
#
# Example: MobileNet's 512 -> 512 pointwise layer on 14x14, hot and cold, one thread:
#   bench/conv_layer.sh build 512 512 14 1 1 && bench/conv_layer.sh build 512 512 14 1 1 --cold
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
if [[ $# -gt 0 && -d $1 ]]; then BUILD=$(cd "$1" && pwd); shift; fi
if [[ $# -eq 0 || $1 == -h || $1 == --help ]]; then sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0; fi
source "$ROOT/bench/link_libs.sh"
edgeprof_link_args "$BUILD" || { echo "conv_layer: cannot link against $BUILD" >&2; exit 2; }
BIN=$BUILD/conv_layer
cc -O2 -std=gnu11 -pthread -I"$ROOT/include" -I"$ROOT/src" -I"$BUILD" "$ROOT/bench/conv_layer.c" \
  "${EDGEPROF_LINK[@]}" -o "$BIN"
exec "$BIN" "$@"

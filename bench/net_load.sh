#!/usr/bin/env bash
# Load benchmark of `edgeprof serve` (not a test): builds bench/net_load.c against a build folder's
# libraries and runs it for 1, 4, 16 and 64 clients on loopback through both protocols, the
# native one and KServe v2 over HTTP (binary tensors), printing requests/s and p50/p90/p99
# latency of each.
# Usage: bench/net_load.sh [BUILD_DIR] [MODEL] [REQUESTS] [SPLIT] (default: build mlp 200 2)
#        CLIENTS="1 4" PROTOCOLS=http bench/net_load.sh ...   picks a subset
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$ROOT/build}" && pwd)
MODEL=${2:-mlp}
REQUESTS=${3:-200}
SPLIT=${4:-2}
BIN=$BUILD/net_load
source "$ROOT/bench/link_libs.sh"
edgeprof_link_args "$BUILD" || exit 2
cc -O2 -std=gnu11 -pthread -I"$ROOT/include" "$ROOT/bench/net_load.c" "${EDGEPROF_LINK[@]}" -o "$BIN"
for protocol in ${PROTOCOLS:-native http}; do
  for clients in ${CLIENTS:-1 4 16 64}; do
    "$BIN" --clients "$clients" --requests "$REQUESTS" --model "$MODEL" --split "$SPLIT" \
      --protocol "$protocol"
    echo
  done
done

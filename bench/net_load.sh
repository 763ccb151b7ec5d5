#!/usr/bin/env bash
# Load benchmark of `edgeprof serve` (not a test): builds bench/net_load.c against a build folder
# and runs it for 1, 4 and 16 clients on loopback, printing throughput and p50/p90/p99 latency.
# Usage: bench/net_load.sh [BUILD_DIR] [MODEL] [REQUESTS] (default: build mlp 200)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
MODEL=${2:-mlp}
REQUESTS=${3:-200}
BIN=$BUILD/net_load
cc -O2 -pthread -I"$ROOT/include" "$ROOT/bench/net_load.c" "$BUILD/libedgeprof.a" -lcjson -lprotobuf-c -lm \
  -o "$BIN"
for clients in 1 4 16; do
  "$BIN" --clients "$clients" --requests "$REQUESTS" --model "$MODEL"
  echo
done

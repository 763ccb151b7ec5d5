#!/usr/bin/env bash
# Runs the frame parser's libFuzzer target for a bounded time (make fuzz; make test calls it).
# Usage: run_fuzz_frame.sh FUZZ_BUILD_DIR [SECONDS]. Exit status: the fuzzer's (0: nothing found).
# Seeds (frame-seeds/): HELLOs of versions 1 and 2 with the fuzzer's token "fuzz-token", so that
# the pre-authentication path is explored past the token check from the start.
set -euo pipefail
BUILD=$1
SECONDS_MAX=${2:-30}
CORPUS=$BUILD/fuzz-frame-corpus
mkdir -p "$CORPUS"
echo "fuzzing the frame parser for ${SECONDS_MAX}s (corpus $CORPUS)"
ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$BUILD/tests/fuzz/fuzz_frame" -max_total_time="$SECONDS_MAX" -max_len=4096 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-frame-crash-" "$CORPUS" "$(dirname "$0")/frame-seeds" 2>&1 | tail -12
exit "${PIPESTATUS[0]}"

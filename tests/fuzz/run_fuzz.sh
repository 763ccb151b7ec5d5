#!/usr/bin/env bash
# Runs the ONNX loader's libFuzzer target for a bounded time (make fuzz; make test calls it).
# Usage: run_fuzz.sh FUZZ_BUILD_DIR [SECONDS] [EDGEPROF_CLI] (the CLI writes the exported seeds). The seed corpus is made here: small models that
# edgeprof exports (node-test models loaded and written back) and node-test models of the
# issue's operators, from the node tests the CTest fixture writes into the CLI's build folder
# (BUILD/onnx-node-tests, tests/support/setup_python.sh; EP_NODE_TESTS names another). Exit
# status: the fuzzer's (0: nothing found).
set -euo pipefail
BUILD=$1
SECONDS_MAX=${2:-60}
FUZZ=$BUILD/tests/fuzz/fuzz_onnx_load
CLI=${3:-}
DATA=${EP_NODE_TESTS:-${CLI:+$(dirname "$CLI")/onnx-node-tests}}
SEEDS=$BUILD/fuzz-seeds
CORPUS=$BUILD/fuzz-corpus
mkdir -p "$SEEDS" "$CORPUS"
if [[ -n "$DATA" && -d "$DATA" && -z "$(ls -A "$SEEDS")" ]]; then
  for t in conv_with_strides_padding gemm_default_vector_bias lstm_defaults gru_defaults \
           maxpool_2d_pads averagepool_2d_pads batchnorm_example softmax_axis_1 reshape_negative_dim \
           unsqueeze_axis_0 squeeze concat_2d_axis_0 transpose_all_permutations_0 constant_pad \
           lrn clip leakyrelu matmul_2d add_bcast flatten_axis1 globalaveragepool; do
    if [[ -f "$DATA/test_$t/model.onnx" ]]; then
      cp "$DATA/test_$t/model.onnx" "$SEEDS/node_$t.onnx"
      # The same model as edgeprof writes it (when it loads without bound inputs).
      [[ -x "$CLI" ]] && "$CLI" export "$DATA/test_$t/model.onnx" -o "$SEEDS/export_$t.onnx" >/dev/null 2>&1 || true
    fi
  done
fi
# Inputs that once failed (tests/fuzz/onnx-seeds) run first, every time.
cp "$(dirname "$0")"/onnx-seeds/* "$SEEDS"/
echo "fuzzing the ONNX loader for ${SECONDS_MAX}s ($(ls "$SEEDS" | wc -l) seeds, corpus $CORPUS)"
ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  "$FUZZ" -max_total_time="$SECONDS_MAX" -max_len=65536 -rss_limit_mb=2048 -timeout=10 \
  -print_final_stats=1 -artifact_prefix="$BUILD/fuzz-crash-" "$CORPUS" "$SEEDS" 2>&1 | tail -25
exit "${PIPESTATUS[0]}"

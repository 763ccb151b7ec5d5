#!/usr/bin/env bash
# Exporter-style graphs (the shape computations torch.onnx.export writes: the LSTM/GRU initial
# state, ShuffleNet's channel shuffle and split, a transformer block's head reshapes, scale and
# causal mask, ViT's class token) and the ONNX node tests of every operator folded at load, built
# by tests/conformance/exporter_graphs.py with the onnx wheel and numpy (no PyTorch), run by
# `edgeprof run` and checked against ONNX Runtime and the node tests' expected outputs.
#
# The virtual environment and the node tests are made once into the build folder by CTest's
# "python" fixture (tests/support/setup_python.sh). Fails when they cannot be made.
# Usage: test_exporter_graphs.sh PATH_TO_EDGEPROF [NAME_FILTER]
CONFORMANCE_USAGE="PATH_TO_EDGEPROF [NAME_FILTER]"
source "$(dirname "$0")/conformance_setup.bash" "$@"
NODE_TESTS=${EP_NODE_TESTS:-$BUILD/onnx-node-tests}
if [[ ! -d $NODE_TESTS ]]; then
  echo "FAIL: $NODE_TESTS not found (tests/support/setup_python.sh writes it)"
  exit 1
fi
"$PY" "$HERE/exporter_graphs.py" "$CLI" "$NODE_TESTS" "$TMP" ${2:+"$2"}

#!/usr/bin/env bash
# The ONNX Runtime cross-check (test_ort_crosscheck.sh) of the two largest zoo models, as a test
# of its own so that each stays well under a minute.
EP_ORT_MODELS=${EP_ORT_MODELS:-"inception_v1 resnet50"} exec bash "$(dirname "$0")/test_ort_crosscheck.sh" "$@"

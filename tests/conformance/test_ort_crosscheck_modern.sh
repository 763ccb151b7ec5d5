#!/usr/bin/env bash
# The ONNX Runtime cross-check (test_ort_crosscheck.sh) of the modern zoo set: MobileNetV3-Large,
# BERT-base and ViT-B/16, one run each (the two transformers export about 340 MB of weights each).
EP_ORT_MODELS=${EP_ORT_MODELS:-"mobilenet_v3 bert_base vit_b16"} exec bash "$(dirname "$0")/test_ort_crosscheck.sh" "$@"

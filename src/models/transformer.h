/* The transformer encoder layer of the modern zoo (BERT-base, ViT-B/16), written as PyTorch's
 * exporter writes it: linear layers as MatMul + Add, multi-head attention as Reshape ->
 * Transpose -> MatMul -> Div by sqrt(head dim) -> Softmax -> MatMul -> Transpose -> Reshape,
 * so that a runtime's fusions (attention, LayerNorm, GELU) meet the patterns they meet in
 * imported models. */
#ifndef EDGEPROF_MODELS_TRANSFORMER_H
#define EDGEPROF_MODELS_TRANSFORMER_H

#include "models/builder.h"

typedef struct mb_encoder {
  int heads;     /* attention heads (the hidden size a multiple of it) */
  int ffn;       /* the feed-forward (MLP) layer's width */
  float epsilon; /* of the LayerNorms */
  /* Where the LayerNorms sit: false, after each residual add (BERT: post-norm); true, before
   * each block (ViT: pre-norm). */
  bool pre_norm;
} mb_encoder;

/* One encoder layer in the current scope: x [1, S, D] -> [1, S, D]. */
int ep_mb_encoder_layer(mb* b, const mb_encoder* e, int x);

#endif /* EDGEPROF_MODELS_TRANSFORMER_H */

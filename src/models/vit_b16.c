/* ViT-B/16 (Dosovitskiy et al. 2021) as torchvision's vit_b_16, 224x224, 1000 classes: a 16x16
 * stride-16 convolution cuts the image into 196 patches of 768 values, a class token is put in
 * front and a position embedding added ([1, 197, 768]), then 12 pre-norm encoder layers (12
 * heads, 3072-wide GELU MLP, LayerNorm epsilon 1e-6), a last LayerNorm, the class token alone
 * (a Split: torchvision's x[:, 0]) and the 768 -> 1000 head, then softmax. */
#include <stdio.h>

#include "models/models.h"
#include "models/transformer.h"

enum { VIT_PATCH = 16, VIT_HIDDEN = 768, VIT_LAYERS = 12, VIT_TOKENS = 14 * 14 + 1 };

ep_status ep_model_vit_b16(uint64_t seed, ep_graph** graph_out) {
  const mb_encoder e = {.heads = 12, .ffn = 3072, .epsilon = 1e-6f, .pre_norm = true};
  static const int to_tokens[3] = {0, 2, 1}; /* [1, 768, 196] -> [1, 196, 768] */
  mb b;
  ep_mb_init(&b, "vit_b16", seed);
  int x = ep_mb_input(&b, "input", 4, (int64_t[]){1, 3, 224, 224});
  x = ep_mb_conv(&b, "conv_proj", x, VIT_HIDDEN, VIT_PATCH, VIT_PATCH, VIT_PATCH, 0, 1, true);
  x = ep_mb_reshape(&b, "patches/Reshape", x, 3, (int64_t[]){1, VIT_HIDDEN, VIT_TOKENS - 1});
  x = ep_mb_transpose(&b, "patches/Transpose", x, 3, to_tokens);
  int cls = ep_mb_uniform(&b, "class_token", ep_shape_make(3, (int64_t[]){1, 1, VIT_HIDDEN}), -0.1f,
                          0.1f);
  int tokens[2] = {cls, x};
  x = ep_mb_concat(&b, "tokens/Concat", tokens, 2, 1);
  int pos = ep_mb_uniform(&b, "encoder/pos_embedding",
                          ep_shape_make(3, (int64_t[]){1, VIT_TOKENS, VIT_HIDDEN}), -0.1f, 0.1f);
  x = ep_mb_add(&b, "encoder/pos_embedding/Add", x, pos);
  for (int i = 0; i < VIT_LAYERS; i++) {
    char scope[64];
    snprintf(scope, sizeof scope, "encoder/layers/encoder_layer_%d", i);
    ep_mb_push(&b, scope);
    x = ep_mb_encoder_layer(&b, &e, x);
    ep_mb_pop(&b);
  }
  x = ep_mb_layer_norm(&b, "encoder/ln", x, e.epsilon);
  x = ep_mb_split_first(&b, "class_token/Split", x, 1, 1);
  x = ep_mb_reshape(&b, "class_token/Reshape", x, 2, (int64_t[]){1, VIT_HIDDEN});
  x = ep_mb_fully_connected(&b, "heads/head", x, 1000, 0.0f);
  x = ep_mb_softmax(&b, "predictions", x);
  return ep_mb_finish(&b, x, graph_out);
}

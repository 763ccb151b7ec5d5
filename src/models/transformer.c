/* The transformer encoder layer of BERT-base and ViT-B/16. */
#include "models/transformer.h"

#include <math.h>

/* Multi-head self-attention: x [1, S, D] -> [1, S, D]. */
static int attention(mb* b, const mb_encoder* e, int x) {
  ep_shape s = ep_mb_shape(b, x);
  if (s.rank != 3) return -1;
  const int64_t seq = s.dims[1], dim = s.dims[2], head_dim = dim / e->heads;
  const int64_t heads[4] = {1, seq, e->heads, head_dim};
  static const int to_heads[4] = {0, 2, 1, 3};   /* [1, S, H, d] -> [1, H, S, d] */
  static const int to_heads_t[4] = {0, 2, 3, 1}; /* [1, S, H, d] -> [1, H, d, S]: k transposed */
  int q = ep_mb_linear(b, "query", x, (int)dim);
  q = ep_mb_reshape(b, "query/Reshape", q, 4, heads);
  q = ep_mb_transpose(b, "query/Transpose", q, 4, to_heads);
  int k = ep_mb_linear(b, "key", x, (int)dim);
  k = ep_mb_reshape(b, "key/Reshape", k, 4, heads);
  k = ep_mb_transpose(b, "key/Transpose", k, 4, to_heads_t);
  int v = ep_mb_linear(b, "value", x, (int)dim);
  v = ep_mb_reshape(b, "value/Reshape", v, 4, heads);
  v = ep_mb_transpose(b, "value/Transpose", v, 4, to_heads);
  int scores = ep_mb_matmul(b, "scores/MatMul", q, k);
  int scale = ep_mb_scalar(b, "scores/sqrt_head_dim", (float)sqrt((double)head_dim));
  scores = ep_mb_binary(b, EP_OP_DIV, "scores/Div", scores, scale);
  int p = ep_mb_softmax(b, "probs/Softmax", scores);
  int ctx = ep_mb_matmul(b, "context/MatMul", p, v);
  ctx = ep_mb_transpose(b, "context/Transpose", ctx, 4, to_heads);
  ctx = ep_mb_reshape(b, "context/Reshape", ctx, 3, (int64_t[]){1, seq, dim});
  return ep_mb_linear(b, "output", ctx, (int)dim);
}

/* Linear -> GELU -> linear: x [1, S, D] -> [1, S, D]. */
static int feed_forward(mb* b, const mb_encoder* e, int x) {
  ep_shape s = ep_mb_shape(b, x);
  if (s.rank != 3) return -1;
  int h = ep_mb_linear(b, "fc1", x, e->ffn);
  h = ep_mb_gelu(b, "fc1", h);
  return ep_mb_linear(b, "fc2", h, (int)s.dims[2]);
}

int ep_mb_encoder_layer(mb* b, const mb_encoder* e, int x) {
  if (e->pre_norm) {
    ep_mb_push(b, "attention");
    int a = attention(b, e, ep_mb_layer_norm(b, "LayerNorm", x, e->epsilon));
    x = ep_mb_add(b, "residual", x, a);
    ep_mb_pop(b);
    ep_mb_push(b, "mlp");
    int f = feed_forward(b, e, ep_mb_layer_norm(b, "LayerNorm", x, e->epsilon));
    x = ep_mb_add(b, "residual", x, f);
    ep_mb_pop(b);
    return x;
  }
  ep_mb_push(b, "attention");
  x = ep_mb_add(b, "residual", x, attention(b, e, x));
  x = ep_mb_layer_norm(b, "LayerNorm", x, e->epsilon);
  ep_mb_pop(b);
  ep_mb_push(b, "ffn");
  x = ep_mb_add(b, "residual", x, feed_forward(b, e, x));
  x = ep_mb_layer_norm(b, "LayerNorm", x, e->epsilon);
  ep_mb_pop(b);
  return x;
}

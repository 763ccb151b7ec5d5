/* BERT-base's encoder (Devlin et al. 2019) at sequence length 128, batch 1: the embeddings'
 * LayerNorm, then 12 post-norm encoder layers of hidden size 768, 12 heads and a 3072-wide GELU
 * feed-forward layer; LayerNorm epsilon 1e-12 as in the released models. Names follow Hugging
 * Face's BertModel.
 *
 * Input: the summed token, position and segment embeddings as floats, [1, 128, 768] (the lookup
 * of token ids in the 30522 x 768 table is left out: it is a gather, no arithmetic, and its 23.8 M
 * parameters are no part of the encoder). No attention mask: one full sequence. Output: the last
 * hidden state, [1, 128, 768]. */
#include <stdio.h>

#include "models/models.h"
#include "models/transformer.h"

enum { BERT_SEQ = 128, BERT_HIDDEN = 768, BERT_LAYERS = 12 };

ep_status ep_model_bert_base(uint64_t seed, ep_graph** graph_out) {
  const mb_encoder e = {.heads = 12, .ffn = 3072, .epsilon = 1e-12f, .pre_norm = false};
  mb b;
  ep_mb_init(&b, "bert_base", seed);
  int x = ep_mb_input(&b, "input", 3, (int64_t[]){1, BERT_SEQ, BERT_HIDDEN});
  x = ep_mb_layer_norm(&b, "embeddings/LayerNorm", x, e.epsilon);
  for (int i = 0; i < BERT_LAYERS; i++) {
    char scope[64];
    snprintf(scope, sizeof scope, "encoder/layer_%d", i);
    ep_mb_push(&b, scope);
    x = ep_mb_encoder_layer(&b, &e, x);
    ep_mb_pop(&b);
  }
  return ep_mb_finish(&b, x, graph_out);
}

/* Attention (EP_OP_ATTENTION, fused by EP_PASS_FUSE_ATTENTION): the node's shapes as strides for
 * the row-blocked kernel (kernels/attention). Nothing is packed at prepare: k and v are
 * activations, packed per head at run time inside the kernel. */
#include <stdlib.h>

#include "backends/cpu/ops.h"
#include "kernels/attention/attention.h"

typedef struct attention_state {
  ep_attention_desc desc;
  const ep_f32_gemm_config* config;
  bool has_mask;
} attention_state;

/* Row-major strides of `s` (rank r) aligned at the right to `rank` dims; 0 for a dim of 1 (a
 * broadcast) or one that `s` lacks. */
static void broadcast_strides(const ep_shape* s, int rank, size_t* strides) {
  size_t stride = 1;
  for (int i = rank - 1; i >= 0; i--) {
    const int si = i - (rank - s->rank);
    if (si < 0 || s->dims[si] == 1) {
      strides[i] = 0;
    } else {
      strides[i] = stride;
      stride *= (size_t)s->dims[si];
    }
  }
}

static void plain_batch_strides(const ep_shape* s, size_t* batch) {
  size_t stride = (size_t)s->dims[s->rank - 1] * (size_t)s->dims[s->rank - 2];
  for (int t = s->rank - 3; t >= 0; t--) {
    batch[t] = stride;
    stride *= (size_t)s->dims[t];
  }
}

static ep_status attention_prepare(const ep_graph* g, const ep_node* node,
                                   const ep_layout* layouts, ep_node_prepared* p) {
  (void)layouts;
  const ep_shape* q = ep_node_input_shape(g, node, 0);
  const ep_shape* k = ep_node_input_shape(g, node, 1);
  const ep_shape* v = ep_node_input_shape(g, node, 2);
  const int r = q->rank;
  if (r - 2 > EP_ATTENTION_MAX_BATCH) {
    return ep_error(EP_ERR_UNSUPPORTED, "node %s: attention over more than %d batch dims",
                    node->name, EP_ATTENTION_MAX_BATCH);
  }
  attention_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  ep_attention_desc* a = &s->desc;
  const bool trans_b = node->attrs.trans_b;
  a->sq = (size_t)q->dims[r - 2];
  a->d = (size_t)q->dims[r - 1];
  a->sk = (size_t)k->dims[trans_b ? r - 2 : r - 1];
  a->dv = (size_t)v->dims[r - 1];
  a->scale = node->attrs.alpha;
  a->batch_rank = r - 2;
  for (int t = 0; t < r - 2; t++) a->batch[t] = (size_t)q->dims[t];
  a->q_row = a->d;
  a->k_depth = trans_b ? 1 : a->sk;
  a->k_seq = trans_b ? a->d : 1;
  a->v_row = a->dv;
  a->y_row = a->dv;
  plain_batch_strides(q, a->q_batch);
  plain_batch_strides(k, a->k_batch);
  plain_batch_strides(v, a->v_batch);
  plain_batch_strides(ep_node_output_shape(g, node, 0), a->y_batch);
  s->has_mask = node->n_inputs > 3 && node->inputs[3] >= 0;
  if (s->has_mask) {
    size_t strides[EP_MAX_RANK];
    broadcast_strides(ep_node_input_shape(g, node, 3), r, strides);
    for (int t = 0; t < r - 2; t++) a->mask_batch[t] = strides[t];
    a->mask_row = strides[r - 2];
    a->mask_col = strides[r - 1];
  }
  s->config = ep_f32_gemm_config_get();
  p->workspace_floats = ep_attention_workspace_floats(s->config, a);
  p->state = s;
  return EP_OK;
}

static void attention_run(const void* state, const ep_node* node, const ep_graph* g,
                          const ep_node_io* io) {
  (void)node;
  (void)g;
  const attention_state* s = state;
  ep_attention_run(s->config, &s->desc, io->in[0], io->in[1], io->in[2],
                   s->has_mask ? io->in[3] : NULL, io->out[0], io->workspace,
                   io->workspace_stride, io->pool);
}

const op_kernel ep_op_attention = {attention_prepare, attention_run, NULL, 0};

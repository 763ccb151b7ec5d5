/* Global average pooling, batch norm, activations, concat and views. (Pooling: op_pool.c; Add:
 * op_binary.c; Softmax: op_norm.c.) */
#include <math.h>
#include <stdlib.h>

#include "kernels/f32-nchwc/nchwc.h"
#include "kernels/kernels.h"
#include "kernels/index/index_ops.h"
#include "backends/cpu/ops.h"

/* For the ops that need nothing prepared: activations and views. */
static ep_status no_state(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                          ep_node_prepared* p) {
  (void)g;
  (void)node;
  (void)layouts;
  p->state = NULL;
  return EP_OK;
}

/* --- global average pooling ---------------------------------------------------------------- */

typedef struct global_avg_pool_state {
  bool blocked; /* x is NCHW8c (the output of a blocked convolution); y is always NCHW */
} global_avg_pool_state;

static ep_status global_avg_pool_prepare(const ep_graph* g, const ep_node* node,
                                         const ep_layout* layouts, ep_node_prepared* p) {
  (void)g;
  global_avg_pool_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->blocked = layouts != NULL && layouts[node->inputs[0]] == EP_LAYOUT_NCHW8C;
  p->state = s;
  return EP_OK;
}

static void global_avg_pool_run(const void* state, const ep_node* node, const ep_graph* g,
                                const ep_node_io* io) {
  const global_avg_pool_state* s = state;
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  int64_t hw = 1;
  for (int i = 2; i < x->rank; i++) hw *= x->dims[i];
  if (s->blocked) {
    ep_nchwc_global_avg_pool_run((int)x->dims[0], (int)x->dims[1], (size_t)hw, io->in[0],
                                 io->out[0], io->pool);
    return;
  }
  ep_global_avg_pool_run((int)x->dims[0], (int)x->dims[1], (int)hw, io->in[0], io->out[0],
                         io->pool);
}

/* --- batch norm that was not folded: precomputed per-channel scale and shift ------------------ */

typedef struct batch_norm_state {
  int batch, channels;
  size_t inner;
  float* scale_shift; /* [2 * channels] */
} batch_norm_state;

static ep_status batch_norm_prepare(const ep_graph* g, const ep_node* node,
                                    const ep_layout* layouts, ep_node_prepared* p) {
  (void)layouts;
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  batch_norm_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->batch = (int)x->dims[0];
  s->channels = x->rank > 1 ? (int)x->dims[1] : 1;
  s->inner = 1;
  for (int i = 2; i < x->rank; i++) s->inner *= (size_t)x->dims[i];
  s->scale_shift = malloc(2 * (size_t)s->channels * sizeof(float));
  if (s->scale_shift == NULL) {
    free(s);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  }
  const float* gamma = ep_graph_tensor(g, node->inputs[1])->data;
  const float* beta = ep_graph_tensor(g, node->inputs[2])->data;
  const float* mean = ep_graph_tensor(g, node->inputs[3])->data;
  const float* var = ep_graph_tensor(g, node->inputs[4])->data;
  double eps = node->attrs.epsilon > 0 ? node->attrs.epsilon : 1e-5;
  for (int c = 0; c < s->channels; c++) {
    double a = gamma[c] / sqrt((double)var[c] + eps);
    s->scale_shift[c] = (float)a;
    s->scale_shift[s->channels + c] = (float)(beta[c] - a * mean[c]);
  }
  p->state = s;
  p->packed_bytes = 2 * (size_t)s->channels * sizeof(float);
  return EP_OK;
}

typedef struct bn_job {
  const batch_norm_state* s;
  const float* x;
  float* y;
} bn_job;

static void bn_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const bn_job* j = ctx;
  const batch_norm_state* s = j->s;
  for (size_t row = begin; row < end; row++) {
    size_t c = row % (size_t)s->channels;
    float a = s->scale_shift[c], b = s->scale_shift[s->channels + c];
    const float* x = j->x + row * s->inner;
    float* y = j->y + row * s->inner;
    for (size_t i = 0; i < s->inner; i++) y[i] = a * x[i] + b;
  }
}

static void batch_norm_run(const void* state, const ep_node* node, const ep_graph* g,
                           const ep_node_io* io) {
  (void)node;
  (void)g;
  const batch_norm_state* s = state;
  bn_job job = {s, io->in[0], io->out[0]};
  ep_threadpool_parallel_for(io->pool, (size_t)s->batch * (size_t)s->channels, 1, bn_rows, &job);
}

static void batch_norm_destroy(void* state) {
  batch_norm_state* s = state;
  if (s != NULL) free(s->scale_shift);
  free(s);
}

/* --- elementwise -------------------------------------------------------------------------- */

static ep_activation activation_of(ep_op op) {
  switch (op) {
    case EP_OP_RELU: return EP_ACT_RELU;
    case EP_OP_RELU6: return EP_ACT_RELU6;
    case EP_OP_SIGMOID: return EP_ACT_SIGMOID;
    case EP_OP_TANH: return EP_ACT_TANH;
    default: return EP_ACT_NONE;
  }
}

static void activation_run(const void* state, const ep_node* node, const ep_graph* g,
                           const ep_node_io* io) {
  (void)state;
  size_t n = (size_t)ep_shape_numel(ep_node_output_shape(g, node, 0));
  ep_activation_run(activation_of(node->op), n, io->in[0], io->out[0], io->pool);
}

/* --- concat --------------------------------------------------------------------------------- */

enum { MAX_CONCAT_INPUTS = 64 };

static ep_status concat_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                                ep_node_prepared* p) {
  (void)layouts;
  (void)g;
  if (node->n_inputs > MAX_CONCAT_INPUTS) {
    return ep_error(EP_ERR_UNSUPPORTED, "node %s: concat of more than %d inputs", node->name,
                    MAX_CONCAT_INPUTS);
  }
  p->state = NULL;
  return EP_OK;
}

static void concat_run(const void* state, const ep_node* node, const ep_graph* g,
                       const ep_node_io* io) {
  (void)state;
  const ep_shape* y = ep_node_output_shape(g, node, 0);
  int axis = node->attrs.axis < 0 ? node->attrs.axis + y->rank : node->attrs.axis;
  size_t outer = 1;
  for (int i = 0; i < axis; i++) outer *= (size_t)y->dims[i];
  size_t inner[MAX_CONCAT_INPUTS];
  for (int k = 0; k < node->n_inputs; k++) {
    const ep_shape* x = ep_node_input_shape(g, node, k);
    inner[k] = 1;
    for (int i = axis; i < x->rank; i++) inner[k] *= (size_t)x->dims[i];
  }
  ep_dtype dtype = ep_graph_tensor(g, node->outputs[0])->dtype;
  if (dtype != EP_DTYPE_FLOAT32) {
    ep_concat_bytes_run(ep_dtype_size(dtype), outer, node->n_inputs,
                        (const void* const*)io->in, inner, io->out[0]);
    return;
  }
  ep_concat_run(outer, node->n_inputs, io->in, inner, io->out[0], io->pool);
}

const op_kernel ep_op_global_avg_pool = {global_avg_pool_prepare, global_avg_pool_run, NULL, 0};
const op_kernel ep_op_batch_norm = {batch_norm_prepare, batch_norm_run, batch_norm_destroy, 0};
const op_kernel ep_op_activation = {no_state, activation_run, NULL, 0};
const op_kernel ep_op_concat = {concat_prepare, concat_run, NULL, 0};
const op_kernel ep_op_view = {no_state, NULL, NULL, 1};

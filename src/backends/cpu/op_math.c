/* Element-wise math of modern networks: the one-input ops (kernels/unary/unary-math.h), Pow with
 * its constant-exponent fast paths, and variadic Min / Max with broadcasting. */
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/ops.h"
#include "kernels/tensor_ops.h"

static ep_unary_op unary_op_of(const ep_node* node) {
  switch (node->op) {
    case EP_OP_SQRT:
      return EP_UNARY_SQRT;
    case EP_OP_RECIPROCAL:
      return EP_UNARY_RECIPROCAL;
    case EP_OP_ERF:
      return EP_UNARY_ERF;
    case EP_OP_GELU:
      return node->attrs.gelu_tanh ? EP_UNARY_GELU_TANH : EP_UNARY_GELU;
    case EP_OP_HARD_SIGMOID:
      return EP_UNARY_HARD_SIGMOID;
    case EP_OP_HARD_SWISH:
      return EP_UNARY_HARD_SWISH;
    case EP_OP_MISH:
      return EP_UNARY_MISH;
    case EP_OP_EXP:
      return EP_UNARY_EXP;
    case EP_OP_LOG:
      return EP_UNARY_LOG;
    case EP_OP_NEG:
      return EP_UNARY_NEG;
    case EP_OP_ABS:
      return EP_UNARY_ABS;
    default:
      return EP_UNARY_SOFTPLUS;
  }
}

static ep_status math_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                              ep_node_prepared* p) {
  (void)g;
  (void)node;
  (void)layouts;
  p->state = NULL;
  return EP_OK;
}

static void math_run(const void* state, const ep_node* node, const ep_graph* g,
                     const ep_node_io* io) {
  (void)state;
  const size_t n = (size_t)ep_shape_numel(ep_node_output_shape(g, node, 0));
  const ep_unary_params params = {node->attrs.alpha, node->attrs.beta};
  ep_unary_run(unary_op_of(node), &params, n, io->in[0], io->out[0], io->pool);
}

const op_kernel ep_op_math = {math_prepare, math_run, NULL, 0};

/* --- Pow ----------------------------------------------------------------------------------- */

enum { POW_GENERAL, POW_UNARY, POW_COPY };

typedef struct pow_state {
  int path;
  ep_unary_op unary; /* POW_UNARY */
  ep_broadcast_desc desc;
} pow_state;

/* A constant exponent of one value whose output has the base's shape: x^2, x^0.5, x^3, x^-1
 * (exact as the general path within an ulp, and with powf's values at 0, inf and NaN) or x^1. */
static void pow_fast_path(const ep_graph* g, const ep_node* node, pow_state* s) {
  const ep_tensor* e = ep_graph_tensor(g, node->inputs[1]);
  if (e->kind != EP_TENSOR_CONSTANT || e->data == NULL) return;
  if (!ep_shape_equal(ep_node_input_shape(g, node, 0), ep_node_output_shape(g, node, 0))) return;
  const int64_t count = ep_shape_numel(&e->shape);
  const float v = e->data[0];
  for (int64_t i = 1; i < count; i++) {
    if (e->data[i] != v) return;
  }
  if (v == 1.0f) {
    s->path = POW_COPY;
  } else if (v == 2.0f || v == 0.5f || v == 3.0f || v == -1.0f) {
    s->path = POW_UNARY;
    s->unary = v == 2.0f   ? EP_UNARY_SQUARE
               : v == 0.5f ? EP_UNARY_POW_HALF
               : v == 3.0f ? EP_UNARY_CUBE
                           : EP_UNARY_RECIPROCAL;
  }
}

static ep_status pow_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                             ep_node_prepared* p) {
  (void)layouts;
  pow_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->path = POW_GENERAL;
  pow_fast_path(g, node, s);
  ep_broadcast_desc_init(&s->desc, ep_node_input_shape(g, node, 0),
                         ep_node_input_shape(g, node, 1));
  p->state = s;
  return EP_OK;
}

static void pow_run(const void* state, const ep_node* node, const ep_graph* g,
                    const ep_node_io* io) {
  const pow_state* s = state;
  const size_t n = (size_t)ep_shape_numel(ep_node_output_shape(g, node, 0));
  switch (s->path) {
    case POW_COPY:
      if (io->out[0] != io->in[0]) memcpy(io->out[0], io->in[0], n * sizeof(float));
      break;
    case POW_UNARY:
      ep_unary_run(s->unary, NULL, n, io->in[0], io->out[0], io->pool);
      break;
    default:
      ep_binary_run(EP_BINARY_POW, &s->desc, io->in[0], io->in[1], EP_ACT_NONE, io->out[0],
                    io->pool);
      break;
  }
}

const op_kernel ep_op_pow = {pow_prepare, pow_run, NULL, 0};

/* --- Min, Max ------------------------------------------------------------------------------ */

/* y = op(x0, x1) when their broadcast is y's shape, else y = x0 broadcast; then y = op(y, xi)
 * in place for the rest: every step is a broadcasting binary kernel over y. */
typedef struct minmax_state {
  ep_binary_op op;
  int n_inputs;
  int first_pair; /* steps[0] reads x0 and x1 */
  ep_broadcast_desc steps[];
} minmax_state;

static ep_status minmax_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                                ep_node_prepared* p) {
  (void)layouts;
  const int k = node->n_inputs;
  minmax_state* s = calloc(1, sizeof *s + (size_t)k * sizeof s->steps[0]);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->op = node->op == EP_OP_MIN ? EP_BINARY_MIN : EP_BINARY_MAX;
  s->n_inputs = k;
  const ep_shape* y = ep_node_output_shape(g, node, 0);
  const ep_shape* x0 = ep_node_input_shape(g, node, 0);
  if (k >= 2) {
    const ep_shape* x1 = ep_node_input_shape(g, node, 1);
    ep_broadcast_desc_init(&s->steps[0], x0, x1);
    int64_t pair = 1;
    for (int i = 0; i < s->steps[0].rank; i++) pair *= s->steps[0].dims[i];
    const int rank = x0->rank > x1->rank ? x0->rank : x1->rank;
    s->first_pair = pair == ep_shape_numel(y) && rank == y->rank;
  }
  if (!s->first_pair) ep_broadcast_desc_init(&s->steps[0], x0, y);
  for (int i = s->first_pair ? 2 : 1; i < k; i++) {
    ep_broadcast_desc_init(&s->steps[i], y, ep_node_input_shape(g, node, i));
  }
  p->state = s;
  return EP_OK;
}

static void minmax_run(const void* state, const ep_node* node, const ep_graph* g,
                       const ep_node_io* io) {
  (void)node;
  (void)g;
  const minmax_state* s = state;
  float* y = io->out[0];
  if (s->first_pair) {
    ep_binary_run(s->op, &s->steps[0], io->in[0], io->in[1], EP_ACT_NONE, y, io->pool);
  } else {
    ep_binary_run(EP_BINARY_FIRST, &s->steps[0], io->in[0], y, EP_ACT_NONE, y, io->pool);
  }
  for (int i = s->first_pair ? 2 : 1; i < s->n_inputs; i++) {
    ep_binary_run(s->op, &s->steps[i], y, io->in[i], EP_ACT_NONE, y, io->pool);
  }
}

const op_kernel ep_op_min_max = {minmax_prepare, minmax_run, NULL, 0};

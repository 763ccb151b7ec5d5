/* Softmax and LogSoftmax along one axis (opset >= 13) or over the coerced 2-D rows (opset < 13),
 * and LRN. */
#include <stdlib.h>

#include "kernels/tensor_ops.h"
#include "backends/cpu/ops.h"

typedef struct softmax_state {
  size_t outer, n, inner;
} softmax_state;

static ep_status softmax_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                                 ep_node_prepared* p) {
  (void)layouts;
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  softmax_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  int axis = node->attrs.axis < 0 ? node->attrs.axis + x->rank : node->attrs.axis;
  s->outer = s->n = s->inner = 1;
  for (int i = 0; i < x->rank; i++) {
    size_t d = (size_t)x->dims[i];
    if (i < axis) {
      s->outer *= d;
    } else if (i == axis || node->attrs.softmax_2d) {
      s->n *= d;
    } else {
      s->inner *= d;
    }
  }
  p->state = s;
  return EP_OK;
}

static void softmax_run(const void* state, const ep_node* node, const ep_graph* g,
                        const ep_node_io* io) {
  (void)g;
  const softmax_state* s = state;
  ep_softmax_axis_run(s->outer, s->n, s->inner, node->op == EP_OP_LOG_SOFTMAX, io->in[0],
                      io->out[0], io->pool);
}

static ep_status lrn_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                             ep_node_prepared* p) {
  (void)layouts;
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  ep_lrn_desc* d = calloc(1, sizeof *d);
  if (d == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  d->batch = (int)x->dims[0];
  d->channels = (int)x->dims[1];
  d->inner = 1;
  for (int i = 2; i < x->rank; i++) d->inner *= (size_t)x->dims[i];
  d->size = node->attrs.size;
  d->alpha = node->attrs.alpha;
  d->beta = node->attrs.beta;
  d->bias = node->attrs.lrn_bias;
  p->state = d;
  return EP_OK;
}

static void lrn_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  (void)node;
  (void)g;
  ep_lrn_run(state, io->in[0], io->out[0], io->pool);
}

const op_kernel ep_op_softmax_axis = {softmax_prepare, softmax_run, NULL, 0};
const op_kernel ep_op_lrn = {lrn_prepare, lrn_run, NULL, 0};

/* Add, Sub, Mul and Div with numpy broadcasting and an optional fused activation. Same-shape Add
 * (the zoo's residual connections) keeps the dedicated kernel, and so does the channel scale of
 * squeeze-and-excitation (Mul by [N, C, 1, 1]), which also runs on NCHW8c. */
#include <stdlib.h>

#include "kernels/kernels.h"
#include "kernels/tensor_ops.h"
#include "backends/cpu/ops.h"
#include "kernels/index/index_ops.h"

typedef struct binary_state {
  ep_binary_op op;
  bool same_shape;
  int scale_x;      /* a channel scale: the input that is x (0 or 1), else -1 */
  bool blocked;     /* that scale's x and y are NCHW8c */
  ep_broadcast_desc desc;
  bool int64;        /* int64 operands: the index kernels' loop */
  ep_index_map map;
} binary_state;

int ep_op_channel_scale_input(const ep_graph* g, const ep_node* node) {
  if (node->op != EP_OP_MUL || node->n_inputs != 2 || node->inputs[0] < 0 || node->inputs[1] < 0) {
    return -1;
  }
  if (ep_graph_tensor(g, node->outputs[0])->dtype != EP_DTYPE_FLOAT32) return -1;
  const ep_shape* y = ep_node_output_shape(g, node, 0);
  for (int k = 0; k < 2; k++) {
    const ep_shape* x = ep_node_input_shape(g, node, k);
    const ep_shape* s = ep_node_input_shape(g, node, 1 - k);
    if (x->rank == 4 && s->rank == 4 && ep_shape_equal(x, y) && s->dims[0] == x->dims[0] &&
        s->dims[1] == x->dims[1] && s->dims[2] == 1 && s->dims[3] == 1 &&
        x->dims[2] * x->dims[3] > 1) {
      return k;
    }
  }
  return -1;
}

static ep_status binary_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                                ep_node_prepared* p) {
  binary_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  const ep_shape* a = ep_node_input_shape(g, node, 0);
  const ep_shape* b = ep_node_input_shape(g, node, 1);
  switch (node->op) {
    case EP_OP_SUB:
      s->op = EP_BINARY_SUB;
      break;
    case EP_OP_MUL:
      s->op = EP_BINARY_MUL;
      break;
    case EP_OP_DIV:
      s->op = EP_BINARY_DIV;
      break;
    default:
      s->op = EP_BINARY_ADD;
      break;
  }
  s->same_shape = ep_shape_equal(a, b);
  s->scale_x = ep_op_channel_scale_input(g, node);
  /* The plan blocks a scale's x and y together (never its [N, C, 1, 1] s: the same memory). */
  s->blocked = s->scale_x >= 0 && layouts != NULL &&
               layouts[node->inputs[s->scale_x]] == EP_LAYOUT_NCHW8C;
  ep_broadcast_desc_init(&s->desc, a, b);
  s->int64 = ep_graph_tensor(g, node->inputs[0])->dtype == EP_DTYPE_INT64;
  const ep_shape* in[2] = {a, b};
  if (s->int64) ep_index_map_init(&s->map, ep_node_output_shape(g, node, 0), in, 2);
  p->state = s;
  return EP_OK;
}

static void binary_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  const binary_state* s = state;
  if (s->int64) {
    static const ep_i64_op ops[] = {[EP_BINARY_ADD] = EP_I64_ADD, [EP_BINARY_SUB] = EP_I64_SUB,
                                    [EP_BINARY_MUL] = EP_I64_MUL, [EP_BINARY_DIV] = EP_I64_DIV};
    ep_i64_binary_run(ops[s->op], &s->map, (const int64_t*)io->in[0],
                      (const int64_t*)io->in[1], (int64_t*)io->out[0]);
    return;
  }
  if (s->scale_x >= 0) {
    const ep_shape* y = ep_node_output_shape(g, node, 0);
    ep_channel_scale_run((size_t)y->dims[0], (size_t)y->dims[1], (size_t)(y->dims[2] * y->dims[3]),
                         s->blocked, io->in[s->scale_x], io->in[1 - s->scale_x], node->attrs.act,
                         io->out[0], io->pool);
    return;
  }
  if (s->op == EP_BINARY_ADD && s->same_shape) {
    size_t n = (size_t)ep_shape_numel(ep_node_output_shape(g, node, 0));
    ep_add_run(n, io->in[0], io->in[1], node->attrs.act, io->out[0], io->pool);
    return;
  }
  ep_binary_run(s->op, &s->desc, io->in[0], io->in[1], node->attrs.act, io->out[0], io->pool);
}

const op_kernel ep_op_binary = {binary_prepare, binary_run, NULL, 0};

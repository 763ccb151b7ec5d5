/* Add, Sub, Mul and Div with numpy broadcasting and an optional fused activation. Same-shape Add
 * (the zoo's residual connections) keeps the dedicated kernel. */
#include <stdlib.h>

#include "kernels/kernels.h"
#include "kernels/tensor_ops.h"
#include "backends/cpu/ops.h"
#include "kernels/index/index_ops.h"

typedef struct binary_state {
  ep_binary_op op;
  bool same_shape;
  ep_broadcast_desc desc;
  bool int64;        /* int64 operands: the index kernels' loop */
  ep_index_map map;
} binary_state;

static ep_status binary_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                                ep_node_prepared* p) {
  (void)layouts;
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
  if (s->op == EP_BINARY_ADD && s->same_shape) {
    size_t n = (size_t)ep_shape_numel(ep_node_output_shape(g, node, 0));
    ep_add_run(n, io->in[0], io->in[1], node->attrs.act, io->out[0], io->pool);
    return;
  }
  ep_binary_run(s->op, &s->desc, io->in[0], io->in[1], node->attrs.act, io->out[0], io->pool);
}

const op_kernel ep_op_binary = {binary_prepare, binary_run, NULL, 0};

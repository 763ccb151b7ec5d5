/* The int64 and bool ops (Gather, Cast, comparisons, logic, Where, Shape, Size, Slice, Expand,
 * ConstantOfShape, Range) on the kernels of kernels/index/. */
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/ops.h"
#include "kernels/index/index_ops.h"

typedef struct index_state {
  ep_index_map map;               /* broadcasting ops, Expand */
  int64_t outer, dim, inner;      /* Gather */
  int64_t starts[EP_MAX_RANK];    /* Slice */
  int64_t steps[EP_MAX_RANK];
  int64_t count;                  /* Range: values; Shape: rank */
} index_state;

static const ep_tensor* in_t(const ep_graph* g, const ep_node* node, int i) {
  return ep_graph_tensor(g, node->inputs[i]);
}

static ep_status index_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                               ep_node_prepared* p) {
  (void)layouts;
  index_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  const ep_shape* y = ep_node_output_shape(g, node, 0);
  const ep_shape* in[3] = {NULL, NULL, NULL};
  for (int i = 0; i < node->n_inputs && i < 3; i++) {
    if (node->inputs[i] >= 0) in[i] = ep_node_input_shape(g, node, i);
  }
  ep_status st = EP_OK;
  switch (node->op) {
    case EP_OP_GATHER: {
      const ep_shape* x = in[0];
      int axis = node->attrs.axis;
      s->outer = s->inner = 1;
      for (int d = 0; d < axis; d++) s->outer *= x->dims[d];
      for (int d = axis + 1; d < x->rank; d++) s->inner *= x->dims[d];
      s->dim = x->dims[axis];
      s->count = ep_shape_numel(in[1]);
      break;
    }
    case EP_OP_WHERE:
      ep_index_map_init(&s->map, y, in, 3);
      break;
    case EP_OP_EXPAND:
      ep_index_map_init(&s->map, y, in, 1);
      break;
    case EP_OP_SLICE: {
      ep_shape out;
      st = ep_graph_slice_params(g, node, s->starts, s->steps, &out);
      break;
    }
    case EP_OP_RANGE:
      s->count = ep_graph_range_length(g, node);
      break;
    default: /* comparisons and logic: two broadcast inputs */
      if (node->n_inputs == 2) ep_index_map_init(&s->map, y, in, 2);
      break;
  }
  if (st != EP_OK) {
    free(s);
    return st;
  }
  p->state = s;
  return EP_OK;
}

static ep_compare_op compare_of(ep_op op) {
  switch (op) {
    case EP_OP_LESS: return EP_COMPARE_LESS;
    case EP_OP_GREATER: return EP_COMPARE_GREATER;
    case EP_OP_LESS_OR_EQUAL: return EP_COMPARE_LESS_OR_EQUAL;
    case EP_OP_GREATER_OR_EQUAL: return EP_COMPARE_GREATER_OR_EQUAL;
    default: return EP_COMPARE_EQUAL;
  }
}

static void index_run(const void* state, const ep_node* node, const ep_graph* g,
                      const ep_node_io* io) {
  const index_state* s = state;
  const ep_tensor* y = ep_graph_tensor(g, node->outputs[0]);
  int64_t n = ep_shape_numel(&y->shape);
  size_t esize = ep_dtype_size(y->dtype);
  void* out = io->out[0];
  switch (node->op) {
    case EP_OP_GATHER:
      ep_gather_run(esize, s->outer, s->dim, s->inner, (const int64_t*)io->in[1], s->count,
                    io->in[0], out, io->pool);
      break;
    case EP_OP_CAST:
      ep_cast_run(in_t(g, node, 0)->dtype, y->dtype, n, io->in[0], out);
      break;
    case EP_OP_EQUAL:
    case EP_OP_LESS:
    case EP_OP_GREATER:
    case EP_OP_LESS_OR_EQUAL:
    case EP_OP_GREATER_OR_EQUAL:
      ep_compare_run(compare_of(node->op), in_t(g, node, 0)->dtype, &s->map, io->in[0],
                     io->in[1], out);
      break;
    case EP_OP_AND:
    case EP_OP_OR:
    case EP_OP_XOR:
      ep_logic_run(node->op == EP_OP_AND  ? EP_LOGIC_AND
                   : node->op == EP_OP_OR ? EP_LOGIC_OR
                                          : EP_LOGIC_XOR,
                   &s->map, (const uint8_t*)io->in[0], (const uint8_t*)io->in[1], out);
      break;
    case EP_OP_NOT:
      ep_not_run(n, (const uint8_t*)io->in[0], out);
      break;
    case EP_OP_WHERE:
      ep_where_run(esize, &s->map, (const uint8_t*)io->in[0], io->in[1], io->in[2], out,
                   io->pool);
      break;
    case EP_OP_SHAPE: {
      const ep_shape* x = &in_t(g, node, 0)->shape;
      for (int d = 0; d < x->rank; d++) ((int64_t*)out)[d] = x->dims[d];
      break;
    }
    case EP_OP_SIZE:
      *(int64_t*)out = ep_shape_numel(&in_t(g, node, 0)->shape);
      break;
    case EP_OP_SLICE:
      ep_slice_run(esize, &in_t(g, node, 0)->shape, &y->shape, s->starts, s->steps, io->in[0],
                   out);
      break;
    case EP_OP_EXPAND:
      ep_expand_run(esize, &s->map, io->in[0], out, io->pool);
      break;
    case EP_OP_CONSTANT_OF_SHAPE: {
      static const uint8_t zero[8] = {0};
      ep_fill_run(esize, n, io->in[1] != NULL ? (const void*)io->in[1] : zero, out);
      break;
    }
    case EP_OP_RANGE:
      ep_range_run(y->dtype, s->count, io->in[0], io->in[2], out);
      break;
    default:
      break;
  }
}

const op_kernel ep_op_index = {index_prepare, index_run, NULL, 0};

/* The layout-free ops on XNNPACK, run on the NCHW tensors as they are: activations (Relu, Relu6
 * and Clip as its clamp, Sigmoid, LeakyRelu) over the whole tensor, Add / Sub / Mul / Div with
 * numpy broadcasting (XNNPACK's nd operators take both sides' shapes), Softmax over rows, and
 * Concat along any axis as one strided row copy per input.
 *
 * This XNNPACK snapshot has no f32 Tanh and no LogSoftmax: those stay on the CPU backend, and
 * so does whatever XNNPACK's create declines (Clip with min >= max, say): supports asks it. */
#include <math.h>
#include <stdlib.h>

#include "backends/xnnpack/xnnpack_internal.h"

/* --- activations --------------------------------------------------------------------------- */

static enum xnn_status create_unary(const ep_node* node, size_t count, xnn_operator_t* op_out,
                                    xnnpack_rows_setup* setup_out) {
  const ep_attrs* a = &node->attrs;
  switch (node->op) {
    case EP_OP_RELU:
      *setup_out = xnn_setup_clamp_nc_f32;
      return xnn_create_clamp_nc_f32(count, count, count, 0.0f, INFINITY, 0, op_out);
    case EP_OP_RELU6:
      *setup_out = xnn_setup_clamp_nc_f32;
      return xnn_create_clamp_nc_f32(count, count, count, 0.0f, 6.0f, 0, op_out);
    case EP_OP_CLIP:
      *setup_out = xnn_setup_clamp_nc_f32;
      return xnn_create_clamp_nc_f32(count, count, count, a->clip_min, a->clip_max, 0, op_out);
    case EP_OP_SIGMOID:
      *setup_out = xnn_setup_sigmoid_nc_f32;
      return xnn_create_sigmoid_nc_f32(count, count, count, 0, op_out);
    case EP_OP_LEAKY_RELU:
      *setup_out = xnn_setup_leaky_relu_nc_f32;
      return xnn_create_leaky_relu_nc_f32(count, count, count, a->alpha, 0, op_out);
    default:
      return xnn_status_unsupported_parameter;
  }
}

bool ep_xnnpack_unary_supports(const ep_graph* g, const ep_node* node) {
  if (node->n_outputs != 1) return false;
  /* Clip's bounds must be ordered for XNNPACK (min >= max, or NaN, stays on the CPU). */
  if (node->op == EP_OP_CLIP && !(node->attrs.clip_min < node->attrs.clip_max)) return false;
  xnn_operator_t op = NULL;
  xnnpack_rows_setup setup;
  size_t count = (size_t)ep_shape_numel(xnnpack_out_shape(g, node, 0));
  enum xnn_status st = create_unary(node, count, &op, &setup);
  xnn_delete_operator(op);
  return st == xnn_status_success;
}

ep_status ep_xnnpack_unary_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n) {
  size_t count = (size_t)ep_shape_numel(xnnpack_out_shape(g, node, 0));
  xnnpack_step* s = ep_xnnpack_add_step(n, STEP_ROWS);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  enum xnn_status st = create_unary(node, count, &s->op, &s->rows_setup);
  if (st != xnn_status_success) return ep_xnnpack_fail(node, "unary create", st);
  s->batch = 1;
  s->y = xnnpack_ref_of(REF_OUTPUT, 0);
  return ep_xnnpack_input_ref(n, g, node, 0, &s->x);
}

/* --- binary ---------------------------------------------------------------------------------- */

static enum xnn_status create_binary(ep_op op, float lo, float hi, xnn_operator_t* op_out,
                                     xnnpack_binary_setup* setup_out) {
  switch (op) {
    case EP_OP_ADD:
      *setup_out = xnn_setup_add_nd_f32;
      return xnn_create_add_nd_f32(lo, hi, 0, op_out);
    case EP_OP_SUB:
      *setup_out = xnn_setup_subtract_nd_f32;
      return xnn_create_subtract_nd_f32(lo, hi, 0, op_out);
    case EP_OP_MUL:
      *setup_out = xnn_setup_multiply_nd_f32;
      return xnn_create_multiply_nd_f32(lo, hi, 0, op_out);
    case EP_OP_DIV:
      *setup_out = xnn_setup_divide_nd_f32;
      return xnn_create_divide_nd_f32(lo, hi, 0, op_out);
    default:
      return xnn_status_unsupported_parameter;
  }
}

bool ep_xnnpack_binary_supports(const ep_graph* g, const ep_node* node) {
  if (node->n_outputs != 1 || node->n_inputs != 2) return false;
  if (xnnpack_in_shape(g, node, 0)->rank > XNN_MAX_TENSOR_DIMS ||
      xnnpack_in_shape(g, node, 1)->rank > XNN_MAX_TENSOR_DIMS) {
    return false;
  }
  float lo, hi;
  return xnnpack_act_ok(node->attrs.act) && ep_xnnpack_act_range(node->attrs.act, &lo, &hi);
}

/* A rank-0 operand is a [1] (XNNPACK broadcasts it the same). */
static void nd_shape(const ep_shape* s, size_t* rank, size_t* dims) {
  *rank = s->rank > 0 ? (size_t)s->rank : 1;
  dims[0] = 1;
  for (int i = 0; i < s->rank; i++) dims[i] = (size_t)s->dims[i];
}

ep_status ep_xnnpack_binary_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n) {
  float lo, hi;
  ep_xnnpack_act_range(node->attrs.act, &lo, &hi);
  xnnpack_step* s = ep_xnnpack_add_step(n, STEP_BINARY);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  enum xnn_status st = create_binary(node->op, lo, hi, &s->op, &s->binary_setup);
  if (st != xnn_status_success) return ep_xnnpack_fail(node, "binary create", st);
  nd_shape(xnnpack_in_shape(g, node, 0), &s->rank_a, s->shape_a);
  nd_shape(xnnpack_in_shape(g, node, 1), &s->rank_b, s->shape_b);
  s->y = xnnpack_ref_of(REF_OUTPUT, 0);
  ep_status status = ep_xnnpack_input_ref(n, g, node, 0, &s->x);
  if (status == EP_OK) status = ep_xnnpack_input_ref(n, g, node, 1, &s->x2);
  if (status != EP_OK) return status;
  size_t count = (size_t)ep_shape_numel(xnnpack_out_shape(g, node, 0));
  return ep_xnnpack_add_sigmoid(n, node, node->attrs.act, count);
}

/* --- softmax ------------------------------------------------------------------------------- */

/* Rows and row length of the softmax: the 2-D coercion (opset < 13), or the axis alone where
 * every dim after it is 1 (else the CPU backend runs it). */
static bool softmax_rows(const ep_graph* g, const ep_node* node, size_t* rows, size_t* cols) {
  const ep_shape* x = xnnpack_in_shape(g, node, 0);
  if (x->rank < 1) return false;
  int axis = node->attrs.axis < 0 ? node->attrs.axis + x->rank : node->attrs.axis;
  if (axis < 0 || axis >= x->rank) return false;
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < axis; i++) outer *= x->dims[i];
  for (int i = axis + 1; i < x->rank; i++) inner *= x->dims[i];
  if (!node->attrs.softmax_2d && inner != 1) return false;
  *rows = (size_t)outer;
  *cols = (size_t)(x->dims[axis] * inner);
  return *rows > 0 && *cols > 0;
}

bool ep_xnnpack_softmax_supports(const ep_graph* g, const ep_node* node) {
  size_t rows, cols;
  if (node->n_outputs != 1 || !softmax_rows(g, node, &rows, &cols)) return false;
  xnn_operator_t op = NULL;
  enum xnn_status st = xnn_create_softmax_nc_f32(cols, cols, cols, 0, &op);
  xnn_delete_operator(op);
  return st == xnn_status_success;
}

ep_status ep_xnnpack_softmax_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n) {
  size_t rows = 0, cols = 0;
  softmax_rows(g, node, &rows, &cols);
  xnnpack_step* s = ep_xnnpack_add_step(n, STEP_ROWS);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  enum xnn_status st = xnn_create_softmax_nc_f32(cols, cols, cols, 0, &s->op);
  if (st != xnn_status_success) return ep_xnnpack_fail(node, "create_softmax_nc_f32", st);
  s->rows_setup = xnn_setup_softmax_nc_f32;
  s->batch = rows;
  s->y = xnnpack_ref_of(REF_OUTPUT, 0);
  return ep_xnnpack_input_ref(n, g, node, 0, &s->x);
}

/* --- concat -------------------------------------------------------------------------------- */

bool ep_xnnpack_concat_supports(const ep_graph* g, const ep_node* node) {
  const ep_shape* y = xnnpack_out_shape(g, node, 0);
  int axis = node->attrs.axis < 0 ? node->attrs.axis + y->rank : node->attrs.axis;
  if (node->n_outputs != 1 || node->n_inputs < 1 || axis < 0 || axis >= y->rank) return false;
  int constants = 0;
  for (int i = 0; i < node->n_inputs; i++) {
    if (!xnnpack_has_input(node, i) || xnnpack_in_shape(g, node, i)->rank != y->rank) return false;
    constants += xnnpack_is_constant(g, node, i);
  }
  return constants <= XNNPACK_MAX_OWNED;
}

ep_status ep_xnnpack_concat_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n) {
  const ep_shape* y = xnnpack_out_shape(g, node, 0);
  int axis = node->attrs.axis < 0 ? node->attrs.axis + y->rank : node->attrs.axis;
  size_t outer = 1, row = 1;
  for (int i = 0; i < axis; i++) outer *= (size_t)y->dims[i];
  for (int i = axis; i < y->rank; i++) row *= (size_t)y->dims[i];
  size_t offset = 0;
  for (int i = 0; i < node->n_inputs; i++) {
    /* Input i is [outer][its row], at `offset` in each of y's rows. */
    size_t part = (size_t)ep_shape_numel(xnnpack_in_shape(g, node, i)) / (outer ? outer : 1);
    if (part == 0) continue;
    xnnpack_step* s = ep_xnnpack_add_step(n, STEP_COPY);
    if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
    enum xnn_status st = xnn_create_copy_nc_x32(part, part, row, 0, &s->op);
    if (st != xnn_status_success) return ep_xnnpack_fail(node, "create_copy_nc_x32", st);
    ep_status status = ep_xnnpack_input_ref(n, g, node, i, &s->x);
    if (status != EP_OK) return status;
    s->y = (xnnpack_ref){REF_OUTPUT, 0, offset, NULL};
    s->batch = outer;
    offset += part;
  }
  return EP_OK;
}

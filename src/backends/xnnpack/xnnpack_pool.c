/* MaxPool, AveragePool (2-D, and 1-D as a pool of height 1) and GlobalAveragePool on XNNPACK's
 * NHWC operators, the input transposed from NCHW into scratch and the output back.
 *
 * Exactness: the graph's output size is kept by giving XNNPACK the end padding that reaches it
 * (ceil mode). XNNPACK's average pool divides by the taps inside the input (count_include_pad
 * 0), so count_include_pad 1 runs here only without padding; its max pool reads an edge pixel
 * where a tap falls in the padding (one of the window's own without dilation), so a dilated max
 * pool runs here only without padding. A window with no tap in the input stays on the CPU. */
#include <math.h>
#include <stdlib.h>

#include "backends/xnnpack/xnnpack_internal.h"

typedef struct pool_geometry {
  size_t batch, channels, in_h, in_w, out_h, out_w;
  uint32_t kernel[2], stride[2], dilation[2];
  uint32_t pad[4]; /* top, left, bottom, right as XNNPACK gets them */
} pool_geometry;

/* The end padding that makes XNNPACK's output size `out`: the graph's when its formula gives
 * `out`, else what the last window needs (ceil mode). False if none fits or a window has no tap
 * inside the input. */
static bool fit_axis(int64_t in, int64_t out, int64_t k, int64_t s, int64_t d, int64_t begin,
                     int64_t end, uint32_t* end_out) {
  const int64_t eff = (k - 1) * d + 1;
  if (begin < 0 || end < 0 || in < 1 || out < 1) return false;
  if (in + begin + end < eff || (in + begin + end - eff) / s + 1 != out) {
    end = (out - 1) * s + eff - in - begin;
    if (end < 0 || (in + begin + end - eff) / s + 1 != out) return false;
  }
  for (int64_t o = 0; o < out; o++) {
    const int64_t start = o * s - begin;
    bool any = false;
    for (int64_t j = 0; j < k && !any; j++) any = start + j * d >= 0 && start + j * d < in;
    if (!any) return false;
  }
  *end_out = (uint32_t)end;
  return true;
}

static bool geometry(const ep_graph* g, const ep_node* node, pool_geometry* p) {
  const ep_shape* x = xnnpack_in_shape(g, node, 0);
  const ep_shape* y = xnnpack_out_shape(g, node, 0);
  const ep_attrs* a = &node->attrs;
  if ((x->rank != 4 && x->rank != 3) || y->rank != x->rank) return false;
  const bool two_d = x->rank == 4;
  if (!two_d && (a->kernel[0] != 1 || xnnpack_or_one(a->stride[0]) != 1 || a->pad[0] != 0 ||
                 a->pad[2] != 0)) {
    return false;
  }
  *p = (pool_geometry){
      .batch = (size_t)x->dims[0],
      .channels = (size_t)x->dims[1],
      .in_h = two_d ? (size_t)x->dims[2] : 1,
      .in_w = (size_t)x->dims[x->rank - 1],
      .out_h = two_d ? (size_t)y->dims[2] : 1,
      .out_w = (size_t)y->dims[y->rank - 1],
      .kernel = {(uint32_t)a->kernel[0], (uint32_t)a->kernel[1]},
      .stride = {(uint32_t)xnnpack_or_one(a->stride[0]), (uint32_t)xnnpack_or_one(a->stride[1])},
      .dilation = {(uint32_t)xnnpack_or_one(a->dilation[0]),
                   (uint32_t)xnnpack_or_one(a->dilation[1])},
      .pad = {(uint32_t)a->pad[0], (uint32_t)a->pad[1], 0, 0},
  };
  if (a->kernel[0] < 1 || a->kernel[1] < 1 || a->pad[0] < 0 || a->pad[1] < 0) return false;
  if (!two_d) p->dilation[0] = 1;
  if (!fit_axis((int64_t)p->in_h, (int64_t)p->out_h, p->kernel[0], p->stride[0], p->dilation[0],
                a->pad[0], a->pad[2], &p->pad[2]) ||
      !fit_axis((int64_t)p->in_w, (int64_t)p->out_w, p->kernel[1], p->stride[1], p->dilation[1],
                a->pad[1], a->pad[3], &p->pad[3])) {
    return false;
  }
  const bool padded = (p->pad[0] | p->pad[1] | p->pad[2] | p->pad[3]) != 0;
  const bool dilated = p->dilation[0] != 1 || p->dilation[1] != 1;
  if (node->op == EP_OP_AVG_POOL) return !dilated && !(a->count_include_pad && padded);
  return !(dilated && padded);
}

static enum xnn_status create_pool(const ep_node* node, const pool_geometry* p,
                                   xnn_operator_t* op_out) {
  if (node->op == EP_OP_MAX_POOL) {
    return xnn_create_max_pooling2d_nhwc_f32(
        p->pad[0], p->pad[3], p->pad[2], p->pad[1], p->kernel[0], p->kernel[1], p->stride[0],
        p->stride[1], p->dilation[0], p->dilation[1], p->channels, p->channels, p->channels,
        -INFINITY, INFINITY, 0, op_out);
  }
  return xnn_create_average_pooling2d_nhwc_f32(
      p->pad[0], p->pad[3], p->pad[2], p->pad[1], p->kernel[0], p->kernel[1], p->stride[0],
      p->stride[1], p->channels, p->channels, p->channels, -INFINITY, INFINITY, 0, op_out);
}

static bool global_geometry(const ep_graph* g, const ep_node* node, size_t* batch, size_t* c,
                            size_t* hw) {
  const ep_shape* x = xnnpack_in_shape(g, node, 0);
  if (x->rank < 3) return false;
  *batch = (size_t)x->dims[0];
  *c = (size_t)x->dims[1];
  *hw = (size_t)(ep_shape_numel(x) / (x->dims[0] * x->dims[1]));
  return *hw > 0;
}

bool ep_xnnpack_pool_supports(const ep_graph* g, const ep_node* node) {
  if (node->n_outputs != 1) return false;
  xnn_operator_t op = NULL;
  enum xnn_status st;
  if (node->op == EP_OP_GLOBAL_AVG_POOL) {
    size_t batch, c, hw;
    if (!global_geometry(g, node, &batch, &c, &hw)) return false;
    st = xnn_create_global_average_pooling_nwc_f32(c, c, c, -INFINITY, INFINITY, 0, &op);
  } else {
    pool_geometry p;
    if (!geometry(g, node, &p)) return false;
    /* XNNPACK declines some windows (1x1): ask it. */
    st = create_pool(node, &p, &op);
  }
  xnn_delete_operator(op);
  return st == xnn_status_success;
}

ep_status ep_xnnpack_pool_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n) {
  size_t batch = 0, c = 0, in_hw = 0, out_hw = 1;
  pool_geometry p = {0};
  const bool global = node->op == EP_OP_GLOBAL_AVG_POOL;
  if (global) {
    global_geometry(g, node, &batch, &c, &in_hw);
  } else {
    geometry(g, node, &p);
    batch = p.batch, c = p.channels, in_hw = p.in_h * p.in_w, out_hw = p.out_h * p.out_w;
  }
  xnnpack_ref src = xnnpack_ref_of(REF_INPUT, 0), dst = xnnpack_ref_of(REF_OUTPUT, 0);
  ep_status status = EP_OK;
  if (c != 1 && in_hw != 1) {
    xnnpack_step* t = ep_xnnpack_add_step(n, STEP_TO_NHWC);
    if (t == NULL) goto oom;
    src = xnnpack_ref_of(REF_SCRATCH, ep_xnnpack_scratch(n, batch * c * in_hw));
    ep_xnnpack_set_transpose(t, true, xnnpack_ref_of(REF_INPUT, 0), src, batch, c, in_hw);
  } else {
    status = ep_xnnpack_input_ref(n, g, node, 0, &src);
    if (status != EP_OK) return status;
  }
  const bool out_nhwc = c != 1 && out_hw != 1;
  if (out_nhwc) dst = xnnpack_ref_of(REF_SCRATCH, ep_xnnpack_scratch(n, batch * c * out_hw));
  xnnpack_step* s = ep_xnnpack_add_step(n, global                       ? STEP_GLOBAL_AVG
                                           : node->op == EP_OP_MAX_POOL ? STEP_MAX_POOL
                                                                        : STEP_AVG_POOL);
  if (s == NULL) goto oom;
  enum xnn_status st =
      global ? xnn_create_global_average_pooling_nwc_f32(c, c, c, -INFINITY, INFINITY, 0, &s->op)
             : create_pool(node, &p, &s->op);
  if (st != xnn_status_success) return ep_xnnpack_fail(node, "pooling create", st);
  s->x = src;
  s->y = dst;
  s->batch = batch;
  s->h = p.in_h;
  s->w = global ? in_hw : p.in_w;
  if (out_nhwc) {
    xnnpack_step* t = ep_xnnpack_add_step(n, STEP_TO_NCHW);
    if (t == NULL) goto oom;
    ep_xnnpack_set_transpose(t, false, dst, xnnpack_ref_of(REF_OUTPUT, 0), batch, c, out_hw);
  }
  return EP_OK;

oom:
  return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
}

/* Convolution (grouped, depthwise, dilated, asymmetric pads; bias and a Relu / Relu6 clamp fused,
 * a residual added and a Sigmoid applied as steps after it) and fully connected on XNNPACK.
 *
 * XNNPACK's convolution is NHWC with weights [groups][Cout/g][KH][KW][Cin/g], packed by XNNPACK
 * at create from a copy of ours ([Cout][Cin/g][KH][KW]) reordered so. Its input is transposed
 * from NCHW into scratch and its output back (not where C or H * W is 1: the orders agree).
 * Fully connected takes our [M, K] weights as they are, on [N, K] rows of the NCHW tensor. */
#include <math.h>
#include <stdlib.h>

#include "backends/xnnpack/xnnpack_internal.h"

/* XNNPACK's output size for an input of `in` with these pads (its formula; 0 if none). */
static int64_t out_size(int64_t in, int64_t pad_begin, int64_t pad_end, int64_t kernel,
                        int64_t stride, int64_t dilation) {
  int64_t padded = in + pad_begin + pad_end, effective = (kernel - 1) * dilation + 1;
  return padded < effective ? 0 : (padded - effective) / stride + 1;
}

bool ep_xnnpack_conv_supports(const ep_graph* g, const ep_node* node) {
  if (node->n_outputs != 1 || !xnnpack_is_constant(g, node, 1)) return false;
  if (node->n_inputs > 4) return false; /* a fused pre-activation: the cpu backend's */
  const ep_shape* x = xnnpack_in_shape(g, node, 0);
  const ep_shape* w = xnnpack_in_shape(g, node, 1);
  const ep_shape* y = xnnpack_out_shape(g, node, 0);
  const ep_attrs* a = &node->attrs;
  if (x->rank != 4 || w->rank != 4 || y->rank != 4) return false;
  if (a->kernel[0] != w->dims[2] || a->kernel[1] != w->dims[3]) return false;
  for (int i = 0; i < 4; i++) {
    if (a->pad[i] < 0) return false;
  }
  const int64_t groups = xnnpack_or_one(a->group);
  if (x->dims[1] % groups != 0 || y->dims[1] % groups != 0 || w->dims[1] != x->dims[1] / groups ||
      w->dims[0] != y->dims[1]) {
    return false;
  }
  if (xnnpack_has_input(node, 2) && !xnnpack_is_constant(g, node, 2)) return false;
  float lo, hi;
  if (!xnnpack_act_ok(a->act) || !ep_xnnpack_act_range(a->act, &lo, &hi)) return false;
  /* The graph's pads must give the graph's output size by XNNPACK's formula. */
  return out_size(x->dims[2], a->pad[0], a->pad[2], a->kernel[0], xnnpack_or_one(a->stride[0]),
                  xnnpack_or_one(a->dilation[0])) == y->dims[2] &&
         out_size(x->dims[3], a->pad[1], a->pad[3], a->kernel[1], xnnpack_or_one(a->stride[1]),
                  xnnpack_or_one(a->dilation[1])) == y->dims[3];
}

/* Whether NCHW and NHWC lie alike in memory for [n, c, hw]. */
static bool same_order(int64_t c, int64_t hw) { return c == 1 || hw == 1; }

ep_status ep_xnnpack_conv_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n) {
  const ep_shape* x = xnnpack_in_shape(g, node, 0);
  const ep_shape* y = xnnpack_out_shape(g, node, 0);
  const ep_attrs* a = &node->attrs;
  const size_t groups = (size_t)xnnpack_or_one(a->group);
  const size_t batch = (size_t)x->dims[0], ic = (size_t)x->dims[1], oc = (size_t)y->dims[1];
  const size_t gic = ic / groups, goc = oc / groups, kh = (size_t)a->kernel[0],
               kw = (size_t)a->kernel[1];
  const size_t in_hw = (size_t)(x->dims[2] * x->dims[3]),
               out_hw = (size_t)(y->dims[2] * y->dims[3]);
  const bool has_residual = xnnpack_has_input(node, 3);
  float lo, hi;
  ep_xnnpack_act_range(a->act, &lo, &hi);
  const float conv_lo = has_residual ? -INFINITY : lo, conv_hi = has_residual ? INFINITY : hi;

  /* [g][o][i][h][w] -> [g][o][h][w][i] */
  const float* w = ep_graph_tensor(g, node->inputs[1])->data;
  float* packed = malloc(oc * gic * kh * kw * sizeof *packed + 1);
  if (packed == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  for (size_t o = 0; o < oc; o++) {
    for (size_t i = 0; i < gic; i++) {
      for (size_t k = 0; k < kh * kw; k++) {
        packed[(o * kh * kw + k) * gic + i] = w[(o * gic + i) * kh * kw + k];
      }
    }
  }
  const float* bias = xnnpack_has_input(node, 2) ? ep_graph_tensor(g, node->inputs[2])->data : NULL;
  xnnpack_step* conv = NULL;
  ep_status status = EP_OK;
  xnnpack_ref src = xnnpack_ref_of(REF_INPUT, 0), dst = xnnpack_ref_of(REF_OUTPUT, 0);
  if (!same_order((int64_t)ic, (int64_t)in_hw)) {
    xnnpack_step* t = ep_xnnpack_add_step(n, STEP_TO_NHWC);
    if (t == NULL) goto oom;
    src = xnnpack_ref_of(REF_SCRATCH, ep_xnnpack_scratch(n, batch * ic * in_hw));
    ep_xnnpack_set_transpose(t, true, xnnpack_ref_of(REF_INPUT, 0), src, batch, ic, in_hw);
  } else if (xnnpack_is_constant(g, node, 0)) {
    status = ep_xnnpack_input_ref(n, g, node, 0, &src);
    if (status != EP_OK) goto cleanup;
  }
  const bool out_nhwc = !same_order((int64_t)oc, (int64_t)out_hw);
  if (out_nhwc) dst = xnnpack_ref_of(REF_SCRATCH, ep_xnnpack_scratch(n, batch * oc * out_hw));
  conv = ep_xnnpack_add_step(n, STEP_CONV);
  if (conv == NULL) goto oom;
  enum xnn_status st = xnn_create_convolution2d_nhwc_f32(
      (uint32_t)a->pad[0], (uint32_t)a->pad[3], (uint32_t)a->pad[2], (uint32_t)a->pad[1],
      (uint32_t)kh, (uint32_t)kw, (uint32_t)xnnpack_or_one(a->stride[0]),
      (uint32_t)xnnpack_or_one(a->stride[1]), (uint32_t)xnnpack_or_one(a->dilation[0]),
      (uint32_t)xnnpack_or_one(a->dilation[1]), (uint32_t)groups, gic, goc, ic, oc, packed, bias,
      conv_lo, conv_hi, 0, &conv->op);
  if (st != xnn_status_success) {
    status = ep_xnnpack_fail(node, "create_convolution2d_nhwc_f32", st);
    goto cleanup;
  }
  n->packed_bytes += (oc * gic * kh * kw + (bias != NULL ? oc : 0)) * sizeof(float);
  conv->x = src;
  conv->y = dst;
  conv->batch = batch;
  conv->h = (size_t)x->dims[2];
  conv->w = (size_t)x->dims[3];
  if (out_nhwc) {
    xnnpack_step* t = ep_xnnpack_add_step(n, STEP_TO_NCHW);
    if (t == NULL) goto oom;
    ep_xnnpack_set_transpose(t, false, dst, xnnpack_ref_of(REF_OUTPUT, 0), batch, oc, out_hw);
  }
  const size_t count = batch * oc * out_hw;
  if (has_residual) {
    /* y = clamp(y + residual) in place (the residual never shares y's memory: session.c). */
    xnnpack_step* add = ep_xnnpack_add_step(n, STEP_BINARY);
    if (add == NULL) goto oom;
    st = xnn_create_add_nd_f32(lo, hi, 0, &add->op);
    if (st != xnn_status_success) {
      status = ep_xnnpack_fail(node, "create_add_nd_f32", st);
      goto cleanup;
    }
    add->binary_setup = xnn_setup_add_nd_f32;
    add->x = xnnpack_ref_of(REF_OUTPUT, 0);
    status = ep_xnnpack_input_ref(n, g, node, 3, &add->x2);
    if (status != EP_OK) goto cleanup;
    add->y = xnnpack_ref_of(REF_OUTPUT, 0);
    add->rank_a = add->rank_b = 1;
    add->shape_a[0] = add->shape_b[0] = count;
  }
  status = ep_xnnpack_add_sigmoid(n, node, a->act, count);
  goto cleanup;

oom:
  status = ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
cleanup:
  free(packed);
  return status;
}

bool ep_xnnpack_fc_supports(const ep_graph* g, const ep_node* node) {
  if (node->n_outputs != 1 || !xnnpack_is_constant(g, node, 1)) return false;
  const ep_shape* x = xnnpack_in_shape(g, node, 0);
  const ep_shape* w = xnnpack_in_shape(g, node, 1);
  if (w->rank != 2 || x->rank < 1 || x->dims[x->rank - 1] != w->dims[1]) return false;
  if (node->n_inputs > 2 && !xnnpack_is_constant(g, node, 2)) return false;
  float lo, hi;
  return xnnpack_act_ok(node->attrs.act) && ep_xnnpack_act_range(node->attrs.act, &lo, &hi);
}

ep_status ep_xnnpack_fc_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n) {
  const ep_shape* x = xnnpack_in_shape(g, node, 0);
  const ep_shape* w = xnnpack_in_shape(g, node, 1);
  const size_t k = (size_t)w->dims[1], m = (size_t)w->dims[0];
  const size_t rows = (size_t)ep_shape_numel(x) / k;
  const float* bias = node->n_inputs > 2 ? ep_graph_tensor(g, node->inputs[2])->data : NULL;
  float lo, hi;
  ep_xnnpack_act_range(node->attrs.act, &lo, &hi);
  xnnpack_step* s = ep_xnnpack_add_step(n, STEP_ROWS);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  enum xnn_status st = xnn_create_fully_connected_nc_f32(
      k, m, k, m, ep_graph_tensor(g, node->inputs[1])->data, bias, lo, hi, 0, &s->op);
  if (st != xnn_status_success) return ep_xnnpack_fail(node, "create_fully_connected_nc_f32", st);
  n->packed_bytes += (m * k + (bias != NULL ? m : 0)) * sizeof(float);
  s->rows_setup = xnn_setup_fully_connected_nc_f32;
  ep_status status = ep_xnnpack_input_ref(n, g, node, 0, &s->x);
  if (status != EP_OK) return status;
  s->y = xnnpack_ref_of(REF_OUTPUT, 0);
  s->batch = rows;
  return ep_xnnpack_add_sigmoid(n, node, node->attrs.act, rows * m);
}

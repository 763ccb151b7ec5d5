/* Convolution (grouped, depthwise, dilated, asymmetric pads; bias, residual and activation fused
 * as post-ops) and fully connected (inner product) on oneDNN. Weights are reordered once into
 * the format oneDNN chooses (format_tag any).
 *
 * src and dst: letting oneDNN choose (any: nChw8c on AVX2) beats handing it plain NCHW, for
 * which it has only GEMM-based and reference kernels: one AVX2 core, median of 30 runs,
 * ResNet-50 104 ms against 171-179 ms, MobileNet v1 15 ms against 59-63 ms (the depthwise
 * layers), even with a reorder in and out of scratch per convolution (ResNet-50 ~8 ms a run).
 * The tensors between oneDNN nodes are kept in nChw8c (onednn_layout.c), so a reorder is left
 * only where the chosen format is not the tensor's layout: a plain tensor, or a host whose
 * kernels want another one. EDGEPROF_ONEDNN_LAYOUT=nchw gives the plain way back. */
#include <string.h>

#include "backends/onednn/onednn_internal.h"

bool ep_onednn_conv_supports(const ep_graph* g, const ep_node* node) {
  const ep_shape* x = onednn_in_shape(g, node, 0);
  if (x->rank != 4 || !onednn_is_constant(g, node, 1)) return false;
  if (onednn_has_input(node, 4)) return false; /* a fused pre-activation: the cpu backend's */
  const ep_shape* w = onednn_in_shape(g, node, 1);
  const ep_attrs* a = &node->attrs;
  if (w->rank != 4 || a->kernel[0] != w->dims[2] || a->kernel[1] != w->dims[3]) return false;
  if (a->pad[0] < 0 || a->pad[1] < 0 || a->pad[2] < 0 || a->pad[3] < 0) return false;
  if (onednn_has_input(node, 2) && !onednn_is_constant(g, node, 2)) return false;
  return node->n_outputs == 1;
}

ep_status ep_onednn_conv_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                 const ep_layout* layouts, onednn_node* n) {
  ep_status status = EP_OK;
  dnnl_status_t s = dnnl_success;
  const char* what = "convolution";
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t post_ops = NULL;
  dnnl_primitive_desc_t pd = NULL;

  const ep_shape* x = onednn_in_shape(g, node, 0);
  const ep_shape* y = onednn_out_shape(g, node, 0);
  const ep_attrs* a = &node->attrs;
  const int64_t groups = onednn_or_one(a->group);
  const int64_t oc = y->dims[1], ic = x->dims[1], kh = a->kernel[0], kw = a->kernel[1];
  const dnnl_dims_t stride = {onednn_or_one(a->stride[0]), onednn_or_one(a->stride[1])};
  const int64_t dil[2] = {onednn_or_one(a->dilation[0]), onednn_or_one(a->dilation[1])};
  const dnnl_dims_t pad_l = {a->pad[0], a->pad[1]};
  /* The graph's output size decides the bottom and right padding, as in the CPU kernels: the
   * padding that exactly reaches the last output (oneDNN checks that it is consistent; it may be
   * negative when the last rows of x are never read). */
  const dnnl_dims_t pad_r = {
      (y->dims[2] - 1) * stride[0] + (kh - 1) * dil[0] + 1 - x->dims[2] - pad_l[0],
      (y->dims[3] - 1) * stride[1] + (kw - 1) * dil[1] + 1 - x->dims[3] - pad_l[1]};
  const dnnl_dims_t dnnl_dil = {dil[0] - 1, dil[1] - 1}; /* oneDNN counts dilation from 0 */
  const bool has_bias = onednn_has_input(node, 2);
  const bool has_residual = onednn_has_input(node, 3);

  /* src_user, dst_user: the session's tensors in their layouts. */
  dnnl_memory_desc_t src_user, dst_user, w_plain, w_any, b_md, src_want, dst_want;
  int64_t w_dims[5] = {groups, oc / groups, ic / groups, kh, kw};
  s = ep_onednn_tensor_md(&src_user, layouts, node->inputs[0], 4, x->dims);
  if (s == dnnl_success) s = ep_onednn_tensor_md(&dst_user, layouts, node->outputs[0], 4, y->dims);
  if (s == dnnl_success) {
    /* [Cout, Cin/g, KH, KW] is [g, Cout/g, Cin/g, KH, KW] as it lies in memory. */
    s = groups > 1 ? ep_onednn_plain_md(&w_plain, 5, w_dims)
                   : ep_onednn_plain_md(&w_plain, 4, w_dims + 1);
  }
  if (s == dnnl_success) {
    s = ep_onednn_any_md(&w_any, w_plain.ndims, w_plain.dims);
  }
  if (s == dnnl_success && has_bias) s = ep_onednn_plain_md(&b_md, 1, &oc);
  if (s == dnnl_success && ctx->any_layout) {
    s = ep_onednn_any_md(&src_want, 4, x->dims);
    if (s == dnnl_success) {
      s = ep_onednn_any_md(&dst_want, 4, y->dims);
    }
  } else {
    src_want = src_user;
    dst_want = dst_user;
  }
  dnnl_convolution_desc_t cd;
  if (s == dnnl_success) {
    s = dnnl_dilated_convolution_forward_desc_init(
        &cd, dnnl_forward_inference, dnnl_convolution_direct, &src_want, &w_any,
        has_bias ? &b_md : NULL, &dst_want, stride, dnnl_dil, pad_l, pad_r);
  }
  /* y = act(conv + bias + residual): the residual is in y when the convolution starts (a sum
   * post-op adds what y holds), the activation comes after it. */
  if (s == dnnl_success) {
    what = "post-ops";
    s = dnnl_post_ops_create(&post_ops);
  }
  if (s == dnnl_success && has_residual) s = dnnl_post_ops_append_sum(post_ops, 1.0f);
  if (s == dnnl_success) s = ep_onednn_append_activation(post_ops, a->act);
  if (s == dnnl_success) s = dnnl_primitive_attr_create(&attr);
  if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, post_ops);
  if (s == dnnl_success) {
    what = "convolution primitive_desc_create";
    s = dnnl_primitive_desc_create(&pd, &cd, attr, ctx->engine, NULL);
  }
  if (s != dnnl_success) {
    status = ep_onednn_fail(node, what, s);
    goto cleanup;
  }

  dnnl_memory_t w_mem = NULL, b_mem = NULL, src_bound, src_mem, dst_bound, dst_mem;
  status =
      ep_onednn_pack_constant(n, ctx, node, &w_plain, ep_graph_tensor(g, node->inputs[1])->data,
                              dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), &w_mem);
  if (status == EP_OK && has_bias) {
    status =
        ep_onednn_pack_constant(n, ctx, node, &b_md, ep_graph_tensor(g, node->inputs[2])->data,
                                dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1), &b_mem);
  }
  if (status == EP_OK) {
    status = ep_onednn_tensor_memory(n, ctx, node, &src_user,
                                     dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), false,
                                     0, &src_bound, &src_mem);
  }
  if (status == EP_OK) {
    status = ep_onednn_tensor_memory(n, ctx, node, &dst_user,
                                     dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), true,
                                     0, &dst_bound, &dst_mem);
  }
  if (status != EP_OK) goto cleanup;
  if (src_mem != src_bound) status = ep_onednn_add_reorder(n, ctx, node, src_bound, src_mem);
  if (status == EP_OK && has_residual) {
    const int r = node->inputs[3];
    if (dst_mem == dst_bound && layouts[r] == layouts[node->outputs[0]]) {
      /* The residual never shares memory with y (session.c's arena gives tensors live at the
       * same step disjoint ranges): copy it into y, laid out alike. */
      n->copy_bytes = (size_t)ep_shape_numel(y) * sizeof(float);
      n->copy_input = 3;
    } else {
      dnnl_memory_desc_t r_md;
      dnnl_memory_t residual = NULL;
      s = ep_onednn_tensor_md(&r_md, layouts, r, 4, y->dims);
      status = s == dnnl_success ? ep_onednn_bind_tensor(n, ctx, node, &r_md, false, 3, &residual)
                                 : ep_onednn_fail(node, "residual memory_desc_init", s);
      if (status == EP_OK) status = ep_onednn_add_reorder(n, ctx, node, residual, dst_mem);
    }
  }
  onednn_step* step = NULL;
  if (status == EP_OK) status = ep_onednn_add_step(n, node, pd, &step);
  if (status != EP_OK) goto cleanup;
  ep_onednn_arg(step, DNNL_ARG_SRC, src_mem);
  ep_onednn_arg(step, DNNL_ARG_WEIGHTS, w_mem);
  if (has_bias) ep_onednn_arg(step, DNNL_ARG_BIAS, b_mem);
  ep_onednn_arg(step, DNNL_ARG_DST, dst_mem);
  if (dst_mem != dst_bound) status = ep_onednn_add_reorder(n, ctx, node, dst_mem, dst_bound);

cleanup:
  dnnl_primitive_desc_destroy(pd);
  dnnl_primitive_attr_destroy(attr);
  dnnl_post_ops_destroy(post_ops);
  return status;
}

bool ep_onednn_fc_supports(const ep_graph* g, const ep_node* node) {
  if (!onednn_is_constant(g, node, 1) || node->n_outputs != 1) return false;
  const ep_shape* x = onednn_in_shape(g, node, 0);
  const ep_shape* w = onednn_in_shape(g, node, 1);
  if (w->rank != 2 || x->rank < 1 || x->dims[x->rank - 1] != w->dims[1]) return false;
  return !onednn_has_input(node, 2) || onednn_is_constant(g, node, 2);
}

ep_status ep_onednn_fc_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                               const ep_layout* layouts, onednn_node* n) {
  (void)layouts; /* all plain (onednn_backend.c checks) */
  ep_status status = EP_OK;
  dnnl_status_t s = dnnl_success;
  const char* what = "inner product";
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t post_ops = NULL;
  dnnl_primitive_desc_t pd = NULL;

  const ep_shape* x = onednn_in_shape(g, node, 0);
  const ep_shape* w = onednn_in_shape(g, node, 1);
  const int64_t k = w->dims[1], m = w->dims[0];
  const int64_t src_dims[2] = {ep_shape_numel(x) / k, k}, dst_dims[2] = {src_dims[0], m};
  const bool has_bias = onednn_has_input(node, 2);
  dnnl_memory_desc_t src_md, dst_md, w_plain, w_any, b_md;
  s = ep_onednn_plain_md(&src_md, 2, src_dims);
  if (s == dnnl_success) s = ep_onednn_plain_md(&dst_md, 2, dst_dims);
  if (s == dnnl_success) s = ep_onednn_plain_md(&w_plain, 2, w->dims);
  if (s == dnnl_success) {
    s = ep_onednn_any_md(&w_any, 2, w->dims);
  }
  if (s == dnnl_success && has_bias) s = ep_onednn_plain_md(&b_md, 1, &m);
  dnnl_inner_product_desc_t d;
  if (s == dnnl_success) {
    s = dnnl_inner_product_forward_desc_init(&d, dnnl_forward_inference, &src_md, &w_any,
                                             has_bias ? &b_md : NULL, &dst_md);
  }
  if (s == dnnl_success) s = dnnl_post_ops_create(&post_ops);
  if (s == dnnl_success) s = ep_onednn_append_activation(post_ops, node->attrs.act);
  if (s == dnnl_success) s = dnnl_primitive_attr_create(&attr);
  if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, post_ops);
  if (s == dnnl_success) {
    what = "inner product primitive_desc_create";
    s = dnnl_primitive_desc_create(&pd, &d, attr, ctx->engine, NULL);
  }
  if (s != dnnl_success) {
    status = ep_onednn_fail(node, what, s);
    goto cleanup;
  }
  dnnl_memory_t w_mem = NULL, b_mem = NULL, src_mem = NULL, dst_mem = NULL;
  status =
      ep_onednn_pack_constant(n, ctx, node, &w_plain, ep_graph_tensor(g, node->inputs[1])->data,
                              dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), &w_mem);
  if (status == EP_OK && has_bias) {
    status =
        ep_onednn_pack_constant(n, ctx, node, &b_md, ep_graph_tensor(g, node->inputs[2])->data,
                                dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1), &b_mem);
  }
  if (status == EP_OK) status = ep_onednn_bind_tensor(n, ctx, node, &src_md, false, 0, &src_mem);
  if (status == EP_OK) status = ep_onednn_bind_tensor(n, ctx, node, &dst_md, true, 0, &dst_mem);
  onednn_step* step = NULL;
  if (status == EP_OK) status = ep_onednn_add_step(n, node, pd, &step);
  if (status != EP_OK) goto cleanup;
  ep_onednn_arg(step, DNNL_ARG_SRC, src_mem);
  ep_onednn_arg(step, DNNL_ARG_WEIGHTS, w_mem);
  if (has_bias) ep_onednn_arg(step, DNNL_ARG_BIAS, b_mem);
  ep_onednn_arg(step, DNNL_ARG_DST, dst_mem);

cleanup:
  dnnl_primitive_desc_destroy(pd);
  dnnl_primitive_attr_destroy(attr);
  dnnl_post_ops_destroy(post_ops);
  return status;
}

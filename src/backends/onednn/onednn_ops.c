/* Pooling (max, average, global), eltwise (Relu, Relu6, Sigmoid, Tanh, LeakyRelu, Clip),
 * softmax and log-softmax, LRN, concat and binary ops (Add, Sub, Mul, Div with numpy
 * broadcasting where oneDNN's binary can express it) on oneDNN, each on the session's tensors in
 * their layouts (plain, or nChw8c between oneDNN nodes: onednn_layout.c; softmax reads plain
 * only). Every `supports` accepts exactly the cases where oneDNN computes what the IR (and the
 * CPU backend's reference kernels) define; the rest stays on the CPU backend. */
#include <math.h>
#include <string.h>

#include "backends/onednn/onednn_internal.h"

/* One primitive over tensors bound to the node's inputs and outputs: `args` pairs each
 * DNNL_ARG_* with a session tensor (input index, or output 0 when `output`). */
typedef struct arg_tensor {
  int arg;
  const dnnl_memory_desc_t* md;
  bool output;
  int index;
} arg_tensor;

static ep_status one_primitive(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                               const void* op_desc, const_dnnl_primitive_attr_t attr,
                               const arg_tensor* args, int n_args) {
  dnnl_primitive_desc_t pd = NULL;
  dnnl_status_t s = dnnl_primitive_desc_create(&pd, op_desc, attr, ctx->engine, NULL);
  if (s != dnnl_success) return ep_onednn_fail(node, "primitive_desc_create", s);
  onednn_step* step = NULL;
  ep_status status = ep_onednn_add_step(n, node, pd, &step);
  dnnl_primitive_desc_destroy(pd);
  for (int i = 0; i < n_args && status == EP_OK; i++) {
    dnnl_memory_t m = NULL;
    status = ep_onednn_bind_tensor(n, ctx, node, args[i].md, args[i].output, args[i].index, &m);
    if (status == EP_OK) ep_onednn_arg(step, args[i].arg, m);
  }
  return status;
}

/* --- pooling --------------------------------------------------------------------------------- */

typedef struct pool_geometry {
  dnnl_dims_t kernel, stride, dilation, pad_l, pad_r; /* h, w */
  dnnl_alg_kind_t alg;
} pool_geometry;

/* Whether every window of one dim has a tap inside the input (oneDNN and the IR then agree: an
 * empty window has no defined maximum, and an average over no taps divides by zero). */
static bool windows_hit_input(int64_t in, int64_t out, int64_t k, int64_t s, int64_t d,
                              int64_t pad) {
  for (int64_t o = 0; o < out; o++) {
    bool hit = false;
    for (int64_t j = 0; j < k && !hit; j++) {
      int64_t at = o * s - pad + j * d;
      hit = at >= 0 && at < in;
    }
    if (!hit) return false;
  }
  return true;
}

/* Fills geo from a rank-4 node; false where oneDNN would not match the IR. */
static bool pool_geometry_of(const ep_graph* g, const ep_node* node, pool_geometry* geo) {
  const ep_shape* x = onednn_in_shape(g, node, 0);
  const ep_shape* y = onednn_out_shape(g, node, 0);
  if (x->rank != 4 || y->rank != 4 || node->n_outputs != 1) return false;
  const ep_attrs* a = &node->attrs;
  const bool global = node->op == EP_OP_GLOBAL_AVG_POOL || node->op == EP_OP_GLOBAL_MAX_POOL;
  const bool max = node->op == EP_OP_MAX_POOL || node->op == EP_OP_GLOBAL_MAX_POOL;
  for (int i = 0; i < 2; i++) {
    int64_t in = x->dims[2 + i], out = y->dims[2 + i];
    geo->kernel[i] = global ? in : a->kernel[i];
    geo->stride[i] = global ? 1 : onednn_or_one(a->stride[i]);
    geo->dilation[i] = global ? 1 : onednn_or_one(a->dilation[i]);
    geo->pad_l[i] = global ? 0 : a->pad[i];
    int64_t pad_end = global ? 0 : a->pad[2 + i];
    if (geo->kernel[i] < 1 || geo->pad_l[i] < 0 || pad_end < 0 || out < 1) return false;
    int64_t range = (geo->kernel[i] - 1) * geo->dilation[i] + 1;
    /* The end padding that the last window reaches (ceil_mode may take it past the node's end
     * padding); where the last rows are never read, none. */
    int64_t reach = (out - 1) * geo->stride[i] + range - in - geo->pad_l[i];
    geo->pad_r[i] = reach > 0 ? reach : 0;
    if (!windows_hit_input(in, out, geo->kernel[i], geo->stride[i], geo->dilation[i],
                           geo->pad_l[i])) {
      return false;
    }
    if (!max && geo->dilation[i] != 1) return false;
    /* Counting the padding divides by the whole window in oneDNN, by the taps inside the
     * padded input in the IR: the same only when every window lies inside the padding. */
    if (!max && !global && a->count_include_pad && reach > pad_end) return false;
  }
  geo->alg = max                                 ? dnnl_pooling_max
             : (!global && a->count_include_pad) ? dnnl_pooling_avg_include_padding
                                                 : dnnl_pooling_avg_exclude_padding;
  return true;
}

bool ep_onednn_pool_supports(const ep_graph* g, const ep_node* node) {
  pool_geometry geo;
  return pool_geometry_of(g, node, &geo);
}

static bool is_reference(const_dnnl_primitive_desc_t pd) {
  const char* impl = NULL;
  if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl) != dnnl_success ||
      impl == NULL) {
    return false;
  }
  return strncmp(impl, "ref", 3) == 0 || strncmp(impl, "simple_nchw", 11) == 0;
}

/* On plain NCHW, oneDNN 2.6 pools with "simple_nchw", a loop over windows that took 8.9 ms for
 * ResNet-50's 3x3/2 max pool (the CPU backend: 0.24 ms) and 65 ms for Inception's 14 pools on
 * one AVX2 core; on its blocked layout it has JIT kernels. So where the plain one is a reference
 * implementation, the pool runs blocked, with a reorder either side. dst is the format oneDNN
 * picks for src (any), reordered where that is not y's layout (a global pool's blocked input and
 * plain [N, C, 1, 1] output). */
ep_status ep_onednn_pool_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                 const ep_layout* layouts, onednn_node* n) {
  pool_geometry geo;
  if (!pool_geometry_of(g, node, &geo)) {
    return ep_error(EP_ERR_UNSUPPORTED, "node %s: oneDNN cannot run this pool", node->name);
  }
  const int64_t* x_dims = onednn_in_shape(g, node, 0)->dims;
  const int64_t* y_dims = onednn_out_shape(g, node, 0)->dims;
  const dnnl_dims_t dil = {geo.dilation[0] - 1, geo.dilation[1] - 1};
  ep_status status = EP_OK;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_memory_desc_t src, dst, src_blocked, dst_any;
  dnnl_pooling_v2_desc_t d;
  dnnl_status_t s = ep_onednn_tensor_md(&src, layouts, node->inputs[0], 4, x_dims);
  if (s == dnnl_success) s = ep_onednn_tensor_md(&dst, layouts, node->outputs[0], 4, y_dims);
  if (s == dnnl_success) s = ep_onednn_any_md(&dst_any, 4, y_dims);
  if (s == dnnl_success) {
    s = dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_inference, geo.alg, &src, &dst_any,
                                          geo.stride, geo.kernel, dil, geo.pad_l, geo.pad_r);
  }
  if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &d, NULL, ctx->engine, NULL);
  if (s == dnnl_success && ctx->any_layout && is_reference(pd) &&
      layouts[node->inputs[0]] == EP_LAYOUT_NCHW) {
    dnnl_primitive_desc_destroy(pd);
    pd = NULL;
    dnnl_dims_t dims;
    memcpy(dims, x_dims, 4 * sizeof *dims);
    s = dnnl_memory_desc_init_by_tag(&src_blocked, 4, dims, dnnl_f32, ctx->blocked_tag);
    if (s == dnnl_success) {
      s = dnnl_pooling_v2_forward_desc_init(&d, dnnl_forward_inference, geo.alg, &src_blocked,
                                            &dst_any, geo.stride, geo.kernel, dil, geo.pad_l,
                                            geo.pad_r);
    }
    if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &d, NULL, ctx->engine, NULL);
  }
  if (s != dnnl_success) {
    status = ep_onednn_fail(node, "pooling primitive_desc_create", s);
    goto cleanup;
  }
  dnnl_memory_t src_user, src_mem, dst_user, dst_mem;
  status = ep_onednn_tensor_memory(n, ctx, node, &src,
                                   dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0), false, 0,
                                   &src_user, &src_mem);
  if (status == EP_OK) {
    status = ep_onednn_tensor_memory(n, ctx, node, &dst,
                                     dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0), true,
                                     0, &dst_user, &dst_mem);
  }
  if (status == EP_OK && src_mem != src_user) {
    status = ep_onednn_add_reorder(n, ctx, node, src_user, src_mem);
  }
  onednn_step* step = NULL;
  if (status == EP_OK) status = ep_onednn_add_step(n, node, pd, &step);
  if (status != EP_OK) goto cleanup;
  ep_onednn_arg(step, DNNL_ARG_SRC, src_mem);
  ep_onednn_arg(step, DNNL_ARG_DST, dst_mem);
  if (dst_mem != dst_user) status = ep_onednn_add_reorder(n, ctx, node, dst_mem, dst_user);

cleanup:
  dnnl_primitive_desc_destroy(pd);
  return status;
}

/* --- eltwise --------------------------------------------------------------------------------- */

bool ep_onednn_eltwise_supports(const ep_graph* g, const ep_node* node) {
  (void)g;
  if (node->n_outputs != 1) return false;
  if (node->op == EP_OP_CLIP) {
    /* oneDNN's clip gives alpha for x <= alpha even when alpha > beta; the IR's
     * min(max(x, lo), hi) gives hi. */
    const float lo = node->attrs.clip_min, hi = node->attrs.clip_max;
    return !isnan(lo) && !isnan(hi) && lo <= hi;
  }
  return true;
}

ep_status ep_onednn_eltwise_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                    const ep_layout* layouts, onednn_node* n) {
  if (layouts[node->inputs[0]] != layouts[node->outputs[0]]) {
    return ep_error(EP_ERR_UNSUPPORTED, "node %s: x and y laid out differently", node->name);
  }
  dnnl_alg_kind_t alg = dnnl_eltwise_relu;
  float alpha = 0.0f, beta = 0.0f;
  switch (node->op) {
    case EP_OP_RELU:
      break;
    case EP_OP_RELU6:
      alg = dnnl_eltwise_clip, beta = 6.0f;
      break;
    case EP_OP_SIGMOID:
      alg = dnnl_eltwise_logistic;
      break;
    case EP_OP_TANH:
      alg = dnnl_eltwise_tanh;
      break;
    case EP_OP_LEAKY_RELU:
      alpha = node->attrs.alpha;
      break; /* relu's alpha: the slope below 0 */
    case EP_OP_CLIP:
      alg = dnnl_eltwise_clip, alpha = node->attrs.clip_min, beta = node->attrs.clip_max;
      break;
    default:
      return ep_error(EP_ERR_UNSUPPORTED, "node %s: not an eltwise op", node->name);
  }
  /* Elementwise: the tensor as one flat vector, whatever its layout (x and y share it, and a
   * blocked tensor has no padding: C % 8 == 0). */
  const int64_t numel = ep_shape_numel(onednn_in_shape(g, node, 0));
  dnnl_memory_desc_t md;
  dnnl_eltwise_desc_t d;
  dnnl_status_t s = ep_onednn_plain_md(&md, 1, &numel);
  if (s == dnnl_success) {
    s = dnnl_eltwise_forward_desc_init(&d, dnnl_forward_inference, alg, &md, alpha, beta);
  }
  if (s != dnnl_success) return ep_onednn_fail(node, "eltwise_forward_desc_init", s);
  const arg_tensor args[] = {{DNNL_ARG_SRC, &md, false, 0}, {DNNL_ARG_DST, &md, true, 0}};
  return one_primitive(n, ctx, node, &d, NULL, args, 2);
}

/* --- softmax and log-softmax --------------------------------------------------------------- */

bool ep_onednn_softmax_supports(const ep_graph* g, const ep_node* node) {
  const ep_shape* x = onednn_in_shape(g, node, 0);
  int axis = node->attrs.axis < 0 ? node->attrs.axis + x->rank : node->attrs.axis;
  return node->n_outputs == 1 && x->rank >= 1 && axis >= 0 && axis < x->rank &&
         ep_shape_numel(x) > 0;
}

ep_status ep_onednn_softmax_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                    const ep_layout* layouts, onednn_node* n) {
  (void)layouts; /* all plain (onednn_backend.c checks) */
  const ep_shape* x = onednn_in_shape(g, node, 0);
  int axis = node->attrs.axis < 0 ? node->attrs.axis + x->rank : node->attrs.axis;
  dnnl_memory_desc_t md;
  dnnl_status_t s;
  if (node->attrs.softmax_2d) {
    /* opset < 13: rows of the 2-D coercion at `axis`. */
    int64_t dims[2] = {1, 1};
    for (int i = 0; i < x->rank; i++) dims[i < axis ? 0 : 1] *= x->dims[i];
    s = ep_onednn_plain_md(&md, 2, dims);
    axis = 1;
  } else {
    s = ep_onednn_plain_md(&md, x->rank, x->dims);
  }
  const dnnl_alg_kind_t alg =
      node->op == EP_OP_LOG_SOFTMAX ? dnnl_softmax_log : dnnl_softmax_accurate;
  dnnl_softmax_v2_desc_t d;
  if (s == dnnl_success) {
    s = dnnl_softmax_v2_forward_desc_init(&d, dnnl_forward_inference, alg, &md, &md, axis);
  }
  if (s != dnnl_success) return ep_onednn_fail(node, "softmax_v2_forward_desc_init", s);
  const arg_tensor args[] = {{DNNL_ARG_SRC, &md, false, 0}, {DNNL_ARG_DST, &md, true, 0}};
  return one_primitive(n, ctx, node, &d, NULL, args, 2);
}

/* --- LRN ------------------------------------------------------------------------------------ */

bool ep_onednn_lrn_supports(const ep_graph* g, const ep_node* node) {
  const ep_shape* x = onednn_in_shape(g, node, 0);
  /* oneDNN's window is symmetric (size - 1) / 2 on each side: the IR's for odd sizes only. */
  return node->n_outputs == 1 && x->rank >= 3 && node->attrs.size >= 1 &&
         node->attrs.size % 2 == 1 && ep_shape_numel(x) > 0;
}

ep_status ep_onednn_lrn_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                const ep_layout* layouts, onednn_node* n) {
  const ep_shape* x = onednn_in_shape(g, node, 0);
  if (layouts[node->inputs[0]] != layouts[node->outputs[0]]) {
    return ep_error(EP_ERR_UNSUPPORTED, "node %s: x and y laid out differently", node->name);
  }
  /* Across channels only the channel dim matters: any rank as [N, C, inner, 1] (a blocked x is
   * 4-D: as it is). */
  const bool blocked = layouts[node->inputs[0]] == EP_LAYOUT_NCHW8C;
  int64_t dims[4] = {x->dims[0], x->dims[1], ep_shape_numel(x) / (x->dims[0] * x->dims[1]), 1};
  const ep_attrs* a = &node->attrs;
  dnnl_memory_desc_t md;
  dnnl_lrn_desc_t d;
  dnnl_status_t s =
      ep_onednn_tensor_md(&md, layouts, node->inputs[0], 4, blocked ? x->dims : dims);
  if (s == dnnl_success) {
    s = dnnl_lrn_forward_desc_init(&d, dnnl_forward_inference, dnnl_lrn_across_channels, &md,
                                   a->size, a->alpha, a->beta, a->lrn_bias);
  }
  if (s != dnnl_success) return ep_onednn_fail(node, "lrn_forward_desc_init", s);
  const arg_tensor args[] = {{DNNL_ARG_SRC, &md, false, 0}, {DNNL_ARG_DST, &md, true, 0}};
  return one_primitive(n, ctx, node, &d, NULL, args, 2);
}

/* --- concat ---------------------------------------------------------------------------------- */

bool ep_onednn_concat_supports(const ep_graph* g, const ep_node* node) {
  if (node->n_inputs < 1 || node->n_inputs > ONEDNN_MAX_INPUTS || node->n_outputs != 1) {
    return false;
  }
  const ep_shape* y = onednn_out_shape(g, node, 0);
  if (y->rank < 1) return false;
  for (int i = 0; i < node->n_inputs; i++) {
    if (ep_shape_numel(onednn_in_shape(g, node, i)) == 0) return false;
  }
  return true;
}

ep_status ep_onednn_concat_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                   const ep_layout* layouts, onednn_node* n) {
  const ep_shape* y = onednn_out_shape(g, node, 0);
  const int axis = node->attrs.axis < 0 ? node->attrs.axis + y->rank : node->attrs.axis;
  dnnl_memory_desc_t src[ONEDNN_MAX_INPUTS], dst;
  dnnl_status_t s = ep_onednn_tensor_md(&dst, layouts, node->outputs[0], y->rank, y->dims);
  for (int i = 0; i < node->n_inputs && s == dnnl_success; i++) {
    s = ep_onednn_tensor_md(&src[i], layouts, node->inputs[i], y->rank,
                            onednn_in_shape(g, node, i)->dims);
  }
  dnnl_primitive_desc_t pd = NULL;
  if (s == dnnl_success) {
    s = dnnl_concat_primitive_desc_create(&pd, &dst, node->n_inputs, axis, src, NULL, ctx->engine);
  }
  if (s != dnnl_success) return ep_onednn_fail(node, "concat_primitive_desc_create", s);
  onednn_step* step = NULL;
  ep_status status = ep_onednn_add_step(n, node, pd, &step);
  dnnl_primitive_desc_destroy(pd);
  for (int i = 0; i < node->n_inputs && status == EP_OK; i++) {
    dnnl_memory_t m = NULL;
    status = ep_onednn_bind_tensor(n, ctx, node, &src[i], false, i, &m);
    if (status == EP_OK) ep_onednn_arg(step, DNNL_ARG_MULTIPLE_SRC + i, m);
  }
  dnnl_memory_t m = NULL;
  if (status == EP_OK) status = ep_onednn_bind_tensor(n, ctx, node, &dst, true, 0, &m);
  if (status == EP_OK) ep_onednn_arg(step, DNNL_ARG_DST, m);
  return status;
}

/* --- binary ---------------------------------------------------------------------------------- */

/* x's dims aligned at the right to y's rank (numpy), 1 where x has none. */
static void aligned_dims(const ep_shape* x, int rank, int64_t* dims) {
  for (int i = 0; i < rank; i++) {
    int k = i - (rank - x->rank);
    dims[i] = k >= 0 ? x->dims[k] : 1;
  }
}

static bool same_dims(const int64_t* a, const int64_t* b, int rank) {
  for (int i = 0; i < rank; i++) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

/* Which input is oneDNN's src0 (which must have the output's shape; only src1 broadcasts), or
 * -1 where neither can be. */
static int binary_src0(const ep_graph* g, const ep_node* node) {
  const ep_shape* y = onednn_out_shape(g, node, 0);
  const int rank = y->rank > 0 ? y->rank : 1;
  int64_t ydims[EP_MAX_RANK], dims[EP_MAX_RANK];
  aligned_dims(y, rank, ydims);
  aligned_dims(onednn_in_shape(g, node, 0), rank, dims);
  if (same_dims(dims, ydims, rank)) return 0;
  const bool commutes = node->op == EP_OP_ADD || node->op == EP_OP_MUL;
  aligned_dims(onednn_in_shape(g, node, 1), rank, dims);
  return commutes && same_dims(dims, ydims, rank) ? 1 : -1;
}

bool ep_onednn_binary_supports(const ep_graph* g, const ep_node* node) {
  if (node->n_inputs != 2 || node->n_outputs != 1) return false;
  if (ep_shape_numel(onednn_out_shape(g, node, 0)) == 0) return false;
  return binary_src0(g, node) >= 0;
}

ep_status ep_onednn_binary_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                   const ep_layout* layouts, onednn_node* n) {
  const int first = binary_src0(g, node);
  if (first < 0)
    return ep_error(EP_ERR_UNSUPPORTED, "node %s: oneDNN cannot broadcast", node->name);
  const ep_shape* y = onednn_out_shape(g, node, 0);
  const int rank = y->rank > 0 ? y->rank : 1;
  int64_t ydims[EP_MAX_RANK], dims1[EP_MAX_RANK];
  aligned_dims(y, rank, ydims);
  aligned_dims(onednn_in_shape(g, node, 1 - first), rank, dims1);
  dnnl_alg_kind_t alg = node->op == EP_OP_ADD   ? dnnl_binary_add
                        : node->op == EP_OP_SUB ? dnnl_binary_sub
                        : node->op == EP_OP_MUL ? dnnl_binary_mul
                                                : dnnl_binary_div;
  ep_status status = EP_OK;
  dnnl_primitive_attr_t attr = NULL;
  dnnl_post_ops_t post_ops = NULL;
  /* Each tensor in its layout: a blocked one is 4-D with y's dims (the plan blocks only binary
   * ops without broadcasting, and all their tensors then). */
  dnnl_memory_desc_t md0, md1, dst;
  dnnl_binary_desc_t d;
  dnnl_status_t s = ep_onednn_tensor_md(&md0, layouts, node->inputs[first], rank, ydims);
  if (s == dnnl_success) {
    s = ep_onednn_tensor_md(&md1, layouts, node->inputs[1 - first], rank, dims1);
  }
  if (s == dnnl_success) s = ep_onednn_tensor_md(&dst, layouts, node->outputs[0], rank, ydims);
  if (s == dnnl_success) s = dnnl_binary_desc_init(&d, alg, &md0, &md1, &dst);
  if (s == dnnl_success) s = dnnl_post_ops_create(&post_ops);
  if (s == dnnl_success) s = ep_onednn_append_activation(post_ops, node->attrs.act);
  if (s == dnnl_success) s = dnnl_primitive_attr_create(&attr);
  if (s == dnnl_success) s = dnnl_primitive_attr_set_post_ops(attr, post_ops);
  if (s != dnnl_success) {
    status = ep_onednn_fail(node, "binary_desc_init", s);
    goto cleanup;
  }
  const arg_tensor args[] = {{DNNL_ARG_SRC_0, &md0, false, first},
                             {DNNL_ARG_SRC_1, &md1, false, 1 - first},
                             {DNNL_ARG_DST, &dst, true, 0}};
  status = one_primitive(n, ctx, node, &d, attr, args, 3);

cleanup:
  dnnl_primitive_attr_destroy(attr);
  dnnl_post_ops_destroy(post_ops);
  return status;
}

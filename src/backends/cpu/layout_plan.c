/* Per-tensor layouts: block the chains of convolutions that the NCHW8c kernels run end to end. */
#include "backends/cpu/layout_plan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/config/kernel-config.h"
#include "kernels/f32-nchwc/nchwc.h"
#include "backends/cpu/ops.h"

static bool is_depthwise(const ep_graph* g, const ep_node* node) {
  if (node->op != EP_OP_CONV || node->attrs.group <= 1) return false;
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  const ep_shape* y = ep_node_output_shape(g, node, 0);
  return node->attrs.group == x->dims[1] && y->dims[1] == x->dims[1];
}

typedef enum layout_mode { MODE_AUTO, MODE_NCHW, MODE_BLOCKED } layout_mode;

static layout_mode mode_from_env(void) {
  const char* env = getenv("EDGEPROF_LAYOUT");
  if (env == NULL) return ep_kernel_config_get()->blocked_by_default ? MODE_AUTO : MODE_NCHW;
  if (strcmp(env, "nchw") == 0) return MODE_NCHW;
  if (strcmp(env, "blocked") == 0) return MODE_BLOCKED;
  return MODE_AUTO; /* unknown values mean auto */
}

/* The input a node reads in the layout of its output 0 when blocked: input 0 of a convolution
 * or of a pool the NCHW8c kernel runs, x of a channel-scale Mul (squeeze-and-excitation's x * s);
 * -1 for any other node. */
static int chain_input(const ep_graph* g, const ep_node* node) {
  if (node->op == EP_OP_CONV || ep_op_pool_blockable(g, node)) return node->inputs[0];
  int k = ep_op_channel_scale_input(g, node);
  return k >= 0 ? node->inputs[k] : -1;
}

static bool chain_node(const ep_graph* g, const ep_node* node) {
  return chain_input(g, node) >= 0;
}

/* A concatenation of float 4-D tensors along channels, every input's channel count a multiple
 * of EP_NCHWC_BLOCK: then each input's blocks are one run of each image's blocks in the output,
 * at the offset of its channels, exactly where its NCHW planes lie, so the concatenation (a copy
 * per image and input, or nothing where the producers write into the output: runtime/session.c)
 * is the same bytes in either layout. The plan gives its inputs and output one layout. */
static bool concat_blockable(const ep_graph* g, const ep_node* node) {
  if (node->op != EP_OP_CONCAT || node->n_inputs < 1) return false;
  const ep_tensor* y = ep_graph_tensor(g, node->outputs[0]);
  if (y->dtype != EP_DTYPE_FLOAT32 || y->shape.rank != 4) return false;
  const int axis = node->attrs.axis < 0 ? node->attrs.axis + 4 : node->attrs.axis;
  if (axis != 1) return false;
  for (int k = 0; k < node->n_inputs; k++) {
    if (node->inputs[k] < 0) return false;
    const ep_shape* x = &ep_graph_tensor(g, node->inputs[k])->shape;
    if (x->rank != 4 || x->dims[1] % EP_NCHWC_BLOCK != 0) return false;
  }
  return true;
}

/* Which readers a blocked tensor serves: input 0 of a convolution, of a pool that the NCHW8c
 * kernel runs or of a global average pool, the residual (input 3) of a convolution, and x of a
 * channel-scale Mul (its [N, C, 1, 1] scale is the same memory in either layout). Any other
 * read, views included (a view's readers would see the blocked data as NCHW), needs NCHW.
 *
 * A tensor pays for blocking where it is produced or read by a depthwise convolution (whose NCHW
 * kernel works a plane at a time, with row tails), read by a global average pool or as a
 * residual, and along the chains of convolutions and pools through such a tensor, downstream
 * and upstream. Residual networks are thus blocked whole, from the stem's output on: there the
 * NCHW8c 1x1 kernels beat the GEMM by 4-20% (blocked in and out, every ResNet-50 shape), Winograd
 * reads and writes blocks at no extra cost, and blocking upstream of the first residual spares
 * the 1x1 layers there a plain NCHW input, which costs them up to twice the time. A concatenation
 * that concat_blockable links its inputs and its output the same way (if one pays, all do), so
 * Inception's blocks (branches of 1x1, 1xK, Kx1, 3x3 stride-2 and pool layers ending in a
 * concatenation, the last one read by the global average pool) are blocked whole, every branch
 * layer on the NCHW8c kernels. Chains of convolutions without any of these keep NCHW: a 1x1
 * layer reading NCHW into a blocked output is slower than the GEMM. */
static void mark_readers(const ep_graph* g, const bool* owned, bool* nchw_read, bool* pays) {
  const int n_nodes = ep_graph_node_count(g);
  for (int i = 0; i < n_nodes; i++) {
    const ep_node* node = ep_graph_node(g, i);
    if (owned != NULL && !owned[i]) {
      /* Another backend's node reads plain NCHW. */
      for (int k = 0; k < node->n_inputs; k++) {
        if (node->inputs[k] >= 0) nchw_read[node->inputs[k]] = true;
      }
      continue;
    }
    const bool conv = node->op == EP_OP_CONV, gap = node->op == EP_OP_GLOBAL_AVG_POOL;
    const bool pool = ep_op_pool_blockable(g, node), concat = concat_blockable(g, node);
    const int scale_x = ep_op_channel_scale_input(g, node);
    for (int k = 0; k < node->n_inputs; k++) {
      int t = node->inputs[k];
      if (t < 0) continue;
      if (!((conv && (k == 0 || k == 3)) || ((gap || pool) && k == 0) || k == scale_x ||
            concat)) {
        nchw_read[t] = true;
      }
      if (k == 0 && (gap || is_depthwise(g, node))) pays[t] = true;
      if (conv && k == 3) pays[t] = true; /* a residual: ResNet's chain of blocks */
    }
    if (is_depthwise(g, node)) pays[node->outputs[0]] = true;
    if (concat) pays[node->outputs[0]] = true; /* Inception's blocks */
  }
  /* Along the chains: a chain node's output pays if its input does (MobileNet v2's project conv,
   * whose output is the next block's input and residual), and its input if its output does; a
   * blockable concatenation's output if any input does, and every input if its output does.
   * Forward then backward passes in run order until nothing changes. */
  for (bool changed = true; changed;) {
    changed = false;
    for (int i = 0; i < n_nodes; i++) {
      const ep_node* node = ep_graph_node(g, i);
      const int y = node->outputs[0];
      if (concat_blockable(g, node) && (owned == NULL || owned[i])) {
        for (int k = 0; k < node->n_inputs && !pays[y]; k++) {
          if (pays[node->inputs[k]]) pays[y] = changed = true;
        }
        continue;
      }
      const int x = chain_input(g, node);
      if (x < 0) continue;
      if (pays[x] && !pays[y]) pays[y] = changed = true;
    }
    for (int i = n_nodes - 1; i >= 0; i--) {
      const ep_node* node = ep_graph_node(g, i);
      const int y = node->outputs[0];
      if (concat_blockable(g, node) && (owned == NULL || owned[i])) {
        for (int k = 0; k < node->n_inputs && pays[y]; k++) {
          if (!pays[node->inputs[k]]) pays[node->inputs[k]] = changed = true;
        }
        continue;
      }
      const int x = chain_input(g, node);
      if (x < 0) continue;
      if (pays[y] && !pays[x]) pays[x] = changed = true;
    }
  }
}

static bool candidate(const ep_graph* g, const bool* owned, int t, const bool* nchw_read,
                      const bool* pays) {
  const ep_tensor* tensor = ep_graph_tensor(g, t);
  if (tensor->kind != EP_TENSOR_ACTIVATION || tensor->is_output || nchw_read[t] || !pays[t]) {
    return false;
  }
  if (tensor->shape.rank != 4 || tensor->shape.dims[1] % EP_NCHWC_BLOCK != 0) return false;
  if (owned != NULL && !owned[tensor->producer]) return false; /* written NCHW by another backend */
  const ep_node* producer = ep_graph_node(g, tensor->producer);
  return (chain_node(g, producer) || concat_blockable(g, producer)) && producer->outputs[0] == t;
}

static bool unblock(ep_layout* layout, int t) {
  if (t < 0 || layout[t] != EP_LAYOUT_NCHW8C) return false;
  layout[t] = EP_LAYOUT_NCHW;
  return true;
}

/* Unblocks the tensors of each convolution the blocked kernels cannot run as laid out, of each
 * whose residual is laid out unlike its output, of each pool whose input and output differ, and
 * of each concatenation whose inputs and output are not all laid out alike; true if anything
 * changed. */
static bool unblock_unsupported(const ep_graph* g, const bool* owned, ep_layout* layout) {
  bool changed = false;
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    const ep_node* node = ep_graph_node(g, i);
    if (owned != NULL && !owned[i]) continue; /* its tensors are its backend's */
    if (concat_blockable(g, node)) {
      const ep_layout y_layout = layout[node->outputs[0]];
      bool alike = true;
      for (int k = 0; k < node->n_inputs; k++) alike = alike && layout[node->inputs[k]] == y_layout;
      if (!alike) {
        changed |= unblock(layout, node->outputs[0]);
        for (int k = 0; k < node->n_inputs; k++) changed |= unblock(layout, node->inputs[k]);
      }
      continue;
    }
    const int scale_x = ep_op_channel_scale_input(g, node);
    const int same = ep_op_pool_blockable(g, node) ? node->inputs[0]
                     : scale_x >= 0                ? node->inputs[scale_x]
                                                   : -1;
    if (same >= 0 && layout[same] != layout[node->outputs[0]]) {
      /* A pool or a channel scale reads and writes one layout. */
      changed |= unblock(layout, same);
      changed |= unblock(layout, node->outputs[0]);
    }
    if (node->op != EP_OP_CONV) continue;
    int x = node->inputs[0], y = node->outputs[0];
    int r = node->n_inputs > 3 ? node->inputs[3] : EP_TENSOR_ABSENT;
    if (r >= 0 && layout[r] != layout[y]) {
      changed |= unblock(layout, r);
      changed |= unblock(layout, y);
    }
    if (layout[x] == EP_LAYOUT_NCHW && layout[y] == EP_LAYOUT_NCHW) continue;
    ep_conv_desc desc = ep_op_conv_desc(g, node, layout);
    if (ep_conv2d_layouts_supported(&desc)) continue;
    changed |= unblock(layout, x);
    changed |= unblock(layout, y);
  }
  return changed;
}

/* Unblocks the output of each pointwise convolution that reads NCHW where only global average
 * pools read that output. The blocked cell then reads its input a channel row apart, and the
 * pool gains less than that loses: squeezenet's classifier (512 -> 1000 channels on 13x13, read
 * from the last Fire module's concatenation) took 1.72 ms NCHW -> NCHW8c and 1.61 ms all NCHW
 * through the GEMM, min of 200 runs, at the avx2 and avx512 levels alike; its NCHW pool costs
 * 0.02 ms. Where the output feeds a depthwise convolution or a residual (the chain carries on
 * blocked), it stays blocked. */
static void unblock_pointwise_into_pools(const ep_graph* g, const bool* owned, ep_layout* layout,
                                         bool* other_read) {
  const int n_nodes = ep_graph_node_count(g);
  for (int i = 0; i < n_nodes; i++) {
    const ep_node* node = ep_graph_node(g, i);
    if (node->op == EP_OP_GLOBAL_AVG_POOL) continue;
    for (int k = 0; k < node->n_inputs; k++) {
      if (node->inputs[k] >= 0) other_read[node->inputs[k]] = true;
    }
  }
  for (int i = 0; i < n_nodes; i++) {
    const ep_node* node = ep_graph_node(g, i);
    if (node->op != EP_OP_CONV || (owned != NULL && !owned[i])) continue;
    const int x = node->inputs[0], y = node->outputs[0];
    if (layout[x] != EP_LAYOUT_NCHW || layout[y] != EP_LAYOUT_NCHW8C || other_read[y]) continue;
    const ep_conv_desc d = ep_op_conv_desc(g, node, layout);
    const bool pointwise = d.kernel_h == 1 && d.kernel_w == 1 && d.stride_h == 1 &&
                           d.stride_w == 1 && d.pad_top == 0 && d.pad_left == 0 &&
                           d.groups == 1 && d.out_h == d.in_h && d.out_w == d.in_w;
    if (pointwise) layout[y] = EP_LAYOUT_NCHW;
  }
}

const char* ep_session_blocked_layout(void) {
  return mode_from_env() != MODE_NCHW ? ep_kernel_config_get()->blocked_layout : NULL;
}

ep_status ep_layout_plan(const ep_graph* g, const bool* owned, ep_layout* layout) {
  int n_tensors = ep_graph_tensor_count(g);
  /* Alone (owned NULL) the plan starts from all NCHW; in a session it leaves the tensors of
   * other backends' nodes as their plans set them (it never blocks one of those). */
  if (owned == NULL) {
    for (int t = 0; t < n_tensors; t++) layout[t] = EP_LAYOUT_NCHW;
  }
  const layout_mode mode = mode_from_env();
  if (!ep_nchwc_available() || mode == MODE_NCHW) return EP_OK;
  bool* nchw_read = calloc((size_t)n_tensors + 1, sizeof *nchw_read);
  bool* pays = calloc((size_t)n_tensors + 1, sizeof *pays);
  if (nchw_read == NULL || pays == NULL) {
    free(nchw_read);
    free(pays);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory planning tensor layouts");
  }
  mark_readers(g, owned, nchw_read, pays);
  if (mode == MODE_BLOCKED) memset(pays, 1, ((size_t)n_tensors + 1) * sizeof *pays);
  for (int t = 0; t < n_tensors; t++) {
    if (candidate(g, owned, t, nchw_read, pays)) layout[t] = EP_LAYOUT_NCHW8C;
  }
  free(pays);
  /* Only ever unblocking: at most one pass per blocked tensor, plus the last. */
  while (unblock_unsupported(g, owned, layout)) {
  }
  if (mode == MODE_AUTO) {
    /* nchw_read's memory, cleared, marks the tensors read by other nodes than global pools. */
    memset(nchw_read, 0, ((size_t)n_tensors + 1) * sizeof *nchw_read);
    unblock_pointwise_into_pools(g, owned, layout, nchw_read);
  }
  free(nchw_read);
  return EP_OK;
}

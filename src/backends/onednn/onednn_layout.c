/* The oneDNN backend's layout plan (backend.h's plan_layouts): which tensors between its own
 * nodes stay in oneDNN's blocked activation format instead of plain NCHW.
 *
 * A oneDNN convolution on this AVX2 host picks nChw8c for its src and dst (format_tag any):
 * with every tensor plain, each convolution and pool reordered its input into scratch and its
 * output back, ResNet-50 ~8 ms of its ~95 ms a run, Inception v1 ~3 ms. EP_LAYOUT_NCHW8C is
 * nChw8c's memory order, so a tensor that only oneDNN nodes write and read can stay blocked and
 * each node binds it as nChw8c: no reorder where the primitive's format is the tensor's (the
 * node programs still reorder where it is not, e.g. nChw16c on AVX-512 hosts).
 *
 * Each op's part:
 * - converting: a convolution (input 0 and output 0 in any layouts, its residual, input 3, in
 *   its output's) and a 4-D pool (input 0 and output 0 in any layouts; a global pool's
 *   [N, C, 1, 1] output reorders for next to nothing);
 * - uniform: eltwise, LRN, concat and a binary op without broadcasting, which read and write one
 *   layout: a node whose tensors differ unblocks them all (a constant or graph input among its
 *   inputs, plain, thus keeps it plain);
 * - everything else (inner product, softmax, LSTM, broadcasting binary ops, the CPU backend's
 *   nodes, views among them) reads plain NCHW.
 * Blocking never costs a reorder that plain tensors would not: the regions start and end at
 * converting nodes, which reorder (or not) either way. EDGEPROF_ONEDNN_LAYOUT=nchw blocks
 * nothing (and the convolutions then run on plain NCHW too). */
#include <stdlib.h>

#include "backends/onednn/onednn_internal.h"
#include "kernels/f32-nchwc/nchwc.h"

typedef enum node_role { ROLE_PLAIN, ROLE_CONVERTS, ROLE_UNIFORM } node_role;

static bool broadcasts(const ep_graph* g, const ep_node* node) {
  const ep_shape* y = onednn_out_shape(g, node, 0);
  for (int k = 0; k < node->n_inputs; k++) {
    if (!onednn_has_input(node, k) || !ep_shape_equal(onednn_in_shape(g, node, k), y)) {
      return true;
    }
  }
  return false;
}

static node_role role_of(const ep_graph* g, const ep_node* node) {
  switch (node->op) {
    case EP_OP_CONV:
      return ROLE_CONVERTS;
    case EP_OP_MAX_POOL:
    case EP_OP_AVG_POOL:
    case EP_OP_GLOBAL_AVG_POOL:
    case EP_OP_GLOBAL_MAX_POOL:
      return onednn_in_shape(g, node, 0)->rank == 4 ? ROLE_CONVERTS : ROLE_PLAIN;
    case EP_OP_RELU:
    case EP_OP_RELU6:
    case EP_OP_SIGMOID:
    case EP_OP_TANH:
    case EP_OP_LEAKY_RELU:
    case EP_OP_CLIP:
    case EP_OP_LRN:
    case EP_OP_CONCAT:
      return ROLE_UNIFORM;
    case EP_OP_ADD:
    case EP_OP_SUB:
    case EP_OP_MUL:
    case EP_OP_DIV:
      return broadcasts(g, node) ? ROLE_PLAIN : ROLE_UNIFORM;
    default:
      return ROLE_PLAIN;
  }
}

/* Whether the node may read its input k blocked. */
static bool reads_blocked(node_role role, const ep_node* node, int k) {
  if (role == ROLE_UNIFORM) return true;
  if (role == ROLE_CONVERTS) return k == 0 || (node->op == EP_OP_CONV && k == 3);
  return false;
}

static bool unblock(ep_layout* layouts, int t) {
  if (t < 0 || layouts[t] != EP_LAYOUT_NCHW8C) return false;
  layouts[t] = EP_LAYOUT_NCHW;
  return true;
}

/* One pass of the rules that tie layouts together; true if it unblocked anything. */
static bool unblock_mismatches(const ep_graph* g, const bool* owned, ep_layout* layouts) {
  bool changed = false;
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    if (!owned[i]) continue;
    const ep_node* node = ep_graph_node(g, i);
    const int y = node->outputs[0];
    const node_role role = role_of(g, node);
    if (role == ROLE_CONVERTS && node->op == EP_OP_CONV && onednn_has_input(node, 3) &&
        layouts[node->inputs[3]] != layouts[y]) {
      changed |= unblock(layouts, node->inputs[3]);
      changed |= unblock(layouts, y);
    }
    if (role != ROLE_UNIFORM) continue;
    bool same = true;
    for (int k = 0; k < node->n_inputs && same; k++) {
      same = node->inputs[k] < 0 || layouts[node->inputs[k]] == layouts[y];
    }
    if (same) continue;
    for (int k = 0; k < node->n_inputs; k++) changed |= unblock(layouts, node->inputs[k]);
    changed |= unblock(layouts, y);
  }
  return changed;
}

ep_status ep_onednn_plan_layouts(void* ctx_, const ep_graph* g, const bool* owned,
                                 ep_layout* layouts) {
  const onednn_ctx* ctx = ctx_;
  if (!ctx->any_layout) return EP_OK;
  const int n_tensors = ep_graph_tensor_count(g), n_nodes = ep_graph_node_count(g);
  bool* plain_read = calloc((size_t)n_tensors + 1, sizeof *plain_read);
  if (plain_read == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory planning layouts");
  for (int i = 0; i < n_nodes; i++) {
    const ep_node* node = ep_graph_node(g, i);
    const node_role role = owned[i] ? role_of(g, node) : ROLE_PLAIN;
    for (int k = 0; k < node->n_inputs; k++) {
      if (node->inputs[k] >= 0 && !reads_blocked(role, node, k)) plain_read[node->inputs[k]] = true;
    }
  }
  for (int t = 0; t < n_tensors; t++) {
    const ep_tensor* tensor = ep_graph_tensor(g, t);
    if (tensor->kind != EP_TENSOR_ACTIVATION || tensor->is_output || plain_read[t]) continue;
    if (tensor->shape.rank != 4 || tensor->shape.dims[1] % EP_NCHWC_BLOCK != 0) continue;
    if (!owned[tensor->producer]) continue;
    const ep_node* producer = ep_graph_node(g, tensor->producer);
    if (role_of(g, producer) == ROLE_PLAIN || producer->outputs[0] != t) continue;
    layouts[t] = EP_LAYOUT_NCHW8C;
  }
  free(plain_read);
  /* Only ever unblocking: at most one pass per blocked tensor, plus the last. */
  while (unblock_mismatches(g, owned, layouts)) {
  }
  return EP_OK;
}

dnnl_status_t ep_onednn_tensor_md(dnnl_memory_desc_t* md, const ep_layout* layouts, int tensor,
                                  int rank, const int64_t* dims) {
  if (tensor < 0 || layouts[tensor] != EP_LAYOUT_NCHW8C) return ep_onednn_plain_md(md, rank, dims);
  if (rank != 4 || dims[1] % EP_NCHWC_BLOCK != 0) return dnnl_invalid_arguments;
  dnnl_dims_t d;
  for (int i = 0; i < 4; i++) d[i] = dims[i];
  return dnnl_memory_desc_init_by_tag(md, 4, d, dnnl_f32, dnnl_nChw8c);
}

/* Per-tensor layouts: block the chains of convolutions that the NCHW8c kernels run end to end. */
#include "runtime/layout_plan.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/f32-nchwc/nchwc.h"
#include "runtime/ops.h"

/* A fused residual is read as NCHW by the kernel's epilogue: such convolutions stay NCHW. */
static bool conv_without_residual(const ep_node* node) {
  return node->op == EP_OP_CONV && node->n_inputs <= 3;
}

static bool layout_auto(void) {
  const char* env = getenv("EDGEPROF_LAYOUT");
  return env == NULL || strcmp(env, "nchw") != 0; /* unknown values mean auto */
}

/* Marks the tensors that some node reads in a way only NCHW serves: as an input other than the
 * first, or as the input of any op but a convolution without residual or a global average pool
 * (views included: a view's readers would see the blocked data as NCHW). */
static void mark_nchw_readers(const ep_graph* g, bool* nchw_read) {
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    const ep_node* node = ep_graph_node(g, i);
    bool reads_blocked = conv_without_residual(node) || node->op == EP_OP_GLOBAL_AVG_POOL;
    for (int k = 0; k < node->n_inputs; k++) {
      int t = node->inputs[k];
      if (t >= 0 && (k != 0 || !reads_blocked)) nchw_read[t] = true;
    }
  }
}

static bool candidate(const ep_graph* g, int t, const bool* nchw_read) {
  const ep_tensor* tensor = ep_graph_tensor(g, t);
  if (tensor->kind != EP_TENSOR_ACTIVATION || tensor->is_output || nchw_read[t]) return false;
  if (tensor->shape.rank != 4 || tensor->shape.dims[1] % EP_NCHWC_BLOCK != 0) return false;
  const ep_node* producer = ep_graph_node(g, tensor->producer);
  return conv_without_residual(producer) && producer->outputs[0] == t;
}

/* Unblocks one tensor around each convolution the blocked kernels cannot run; true if any. */
static bool unblock_unsupported(const ep_graph* g, ep_layout* layout) {
  bool changed = false;
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    const ep_node* node = ep_graph_node(g, i);
    if (node->op != EP_OP_CONV) continue;
    int x = node->inputs[0], y = node->outputs[0];
    bool x_blocked = layout[x] == EP_LAYOUT_NCHW8C, y_blocked = layout[y] == EP_LAYOUT_NCHW8C;
    if (!x_blocked && !y_blocked) continue;
    ep_conv_desc desc = ep_op_conv_desc(g, node, layout);
    if (conv_without_residual(node) && ep_nchwc_conv_supports(&desc)) continue;
    layout[y_blocked && !x_blocked ? y : x] = EP_LAYOUT_NCHW;
    changed = true;
  }
  return changed;
}

ep_status ep_layout_plan(const ep_graph* g, ep_layout* layout) {
  int n_tensors = ep_graph_tensor_count(g);
  for (int t = 0; t < n_tensors; t++) layout[t] = EP_LAYOUT_NCHW;
  if (!ep_nchwc_available() || !layout_auto()) return EP_OK;
  bool* nchw_read = calloc((size_t)n_tensors + 1, sizeof *nchw_read);
  if (nchw_read == NULL) {
    return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory planning tensor layouts");
  }
  mark_nchw_readers(g, nchw_read);
  for (int t = 0; t < n_tensors; t++) {
    if (candidate(g, t, nchw_read)) layout[t] = EP_LAYOUT_NCHW8C;
  }
  free(nchw_read);
  /* Only ever unblocking: at most one pass per blocked tensor, plus the last. */
  while (unblock_unsupported(g, layout)) {
  }
  return EP_OK;
}

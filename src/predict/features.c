/* The features a node is predicted from, and its op class. Shapes are read from the finalized
 * graph; whether a tensor is blocked (NCHW8c) comes from the CPU backend's layout plan, the same
 * function sessions call, so that a layer is described as it will run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backends/cpu/layout_plan.h"
#include "predict/predict_internal.h"

static const char* const feature_names[EP_PF_COUNT] = {
    "op",          "log2_macs",    "log2_in_bytes", "log2_out_bytes", "log2_weight_bytes",
    "in_channels", "out_channels", "log2_in_plane", "log2_out_plane", "kernel_h",
    "kernel_w",    "stride",       "log2_groups",   "channels_per_group", "activation",
    "residual",    "in_blocked",   "out_blocked",   "dilation",       "log2_broadcast",
    "cold"};

const char* ep_pf_name(int feature) {
  return feature >= 0 && feature < EP_PF_COUNT ? feature_names[feature] : NULL;
}

static const char* const class_names[EP_PREDICT_CLASS_COUNT] = {
    "conv", "dwconv", "gconv", "fc", "matmul", "pool", "gpool", "eltwise", "softmax", "memory",
    "rnn",  "view"};

const char* ep_predict_class_name(ep_predict_class c) {
  return (int)c >= 0 && c < EP_PREDICT_CLASS_COUNT ? class_names[c] : "unknown";
}

static bool is_constant(const ep_graph* g, int t) {
  return t >= 0 && ep_graph_tensor(g, t)->kind == EP_TENSOR_CONSTANT;
}

ep_predict_class ep_predict_node_class(const ep_graph* graph, const ep_node* n) {
  switch (n->op) {
    case EP_OP_CONV: {
      const ep_shape* w = &ep_graph_tensor(graph, n->inputs[1])->shape;
      int group = n->attrs.group > 1 ? n->attrs.group : 1;
      if (group == 1) return EP_PREDICT_CONV;
      return w->dims[1] == 1 ? EP_PREDICT_DWCONV : EP_PREDICT_GCONV;
    }
    case EP_OP_FULLY_CONNECTED:
      return EP_PREDICT_FC;
    case EP_OP_GEMM:
    case EP_OP_MATMUL:
      return n->n_inputs > 1 && is_constant(graph, n->inputs[1]) ? EP_PREDICT_FC
                                                                 : EP_PREDICT_MATMUL;
    case EP_OP_ATTENTION:
      return EP_PREDICT_MATMUL;
    case EP_OP_MAX_POOL:
    case EP_OP_AVG_POOL:
      return EP_PREDICT_POOL;
    case EP_OP_GLOBAL_AVG_POOL:
    case EP_OP_GLOBAL_MAX_POOL:
      return EP_PREDICT_GPOOL;
    case EP_OP_SOFTMAX:
    case EP_OP_LOG_SOFTMAX:
      return EP_PREDICT_SOFTMAX;
    case EP_OP_CONCAT:
    case EP_OP_TRANSPOSE:
    case EP_OP_PAD:
    case EP_OP_LRN:
      return EP_PREDICT_MEMORY;
    case EP_OP_LSTM:
    case EP_OP_GRU:
      return EP_PREDICT_RNN;
    case EP_OP_FLATTEN:
    case EP_OP_RESHAPE:
      return EP_PREDICT_VIEW;
    default:
      return EP_PREDICT_ELTWISE;
  }
}

static double lg(double v) { return log2(v + 1.0); }

void ep_pf_work(const ep_graph* g, const ep_node* n, double* macs, double* bytes) {
  double b = (double)n->cost.output_bytes + (double)n->cost.weight_bytes;
  for (int i = 0; i < n->n_inputs; i++) {
    int t = n->inputs[i];
    if (t < 0 || is_constant(g, t)) continue;
    b += 4.0 * (double)ep_shape_numel(&ep_graph_tensor(g, t)->shape);
  }
  *macs = (double)n->cost.macs;
  *bytes = b;
}

/* The product of dims [from, rank). */
static double plane(const ep_shape* s, int from) {
  double p = 1.0;
  for (int i = from; i < s->rank; i++) p *= (double)s->dims[i];
  return p;
}

void ep_pf_compute(const ep_graph* g, int index, const bool* blocked, float* f) {
  const ep_node* n = ep_graph_node(g, index);
  memset(f, 0, EP_PF_COUNT * sizeof *f);
  const ep_shape* x = n->n_inputs > 0 && n->inputs[0] >= 0
                          ? &ep_graph_tensor(g, n->inputs[0])->shape
                          : NULL;
  const ep_shape* y = &ep_graph_tensor(g, n->outputs[0])->shape;
  double in_bytes = 0.0, in_max = 0.0, in_min = 0.0;
  int in_count = 0;
  for (int i = 0; i < n->n_inputs; i++) {
    int t = n->inputs[i];
    if (t < 0 || is_constant(g, t)) continue;
    double numel = (double)ep_shape_numel(&ep_graph_tensor(g, t)->shape);
    in_bytes += 4.0 * numel;
    if (in_count == 0 || numel > in_max) in_max = numel;
    if (in_count == 0 || numel < in_min) in_min = numel;
    in_count++;
  }
  f[0] = (float)n->op;
  f[1] = (float)lg((double)n->cost.macs);
  f[2] = (float)lg(in_bytes);
  f[3] = (float)lg((double)n->cost.output_bytes);
  f[4] = (float)lg((double)n->cost.weight_bytes);
  switch (n->op) {
    case EP_OP_FULLY_CONNECTED:
    case EP_OP_GEMM:
    case EP_OP_MATMUL:
    case EP_OP_ATTENTION:
      /* K, N and the rows M (batch and stacked matrices); attention: D, Dv and the query rows. */
      if (x != NULL && x->rank >= 1) f[5] = (float)x->dims[x->rank - 1];
      if (y->rank >= 1) f[6] = (float)y->dims[y->rank - 1];
      f[7] = (float)lg(y->rank >= 1 ? plane(y, 0) / (double)y->dims[y->rank - 1] : 1.0);
      f[8] = f[7];
      break;
    case EP_OP_LSTM:
    case EP_OP_GRU:
      /* I, H, steps and batch. */
      if (x != NULL && x->rank == 3) {
        f[5] = (float)x->dims[2];
        f[7] = (float)lg((double)x->dims[0]);
        f[8] = (float)lg((double)x->dims[1]);
      }
      f[6] = (float)n->attrs.hidden_size;
      break;
    default:
      if (x != NULL && x->rank >= 2) {
        f[5] = (float)x->dims[1];
        f[7] = (float)lg(plane(x, 2));
      }
      if (y->rank >= 2) {
        f[6] = (float)y->dims[1];
        f[8] = (float)lg(plane(y, 2));
      } else {
        f[8] = (float)lg(plane(y, 0));
      }
      break;
  }
  bool windowed = n->op == EP_OP_CONV || n->op == EP_OP_MAX_POOL || n->op == EP_OP_AVG_POOL;
  if (windowed) {
    f[9] = (float)n->attrs.kernel[0];
    f[10] = (float)n->attrs.kernel[1];
    f[11] = (float)(n->attrs.stride[0] > 0 ? n->attrs.stride[0] : 1);
    f[18] = (float)(n->attrs.dilation[0] > 0 ? n->attrs.dilation[0] : 1);
  }
  if (n->op == EP_OP_CONV) {
    int group = n->attrs.group > 1 ? n->attrs.group : 1;
    f[12] = (float)log2((double)group);
    f[13] = (float)ep_graph_tensor(g, n->inputs[1])->shape.dims[1];
    f[15] = n->n_inputs > 3 && n->inputs[3] >= 0 ? 1.0f : 0.0f;
  }
  f[14] = (float)n->attrs.act;
  if (blocked != NULL) {
    if (n->n_inputs > 0 && n->inputs[0] >= 0) f[16] = blocked[n->inputs[0]] ? 1.0f : 0.0f;
    f[17] = blocked[n->outputs[0]] ? 1.0f : 0.0f;
  }
  f[19] = in_count > 1 && in_min > 0 ? (float)log2(in_max / in_min) : 0.0f;
  if (n->op == EP_OP_CONCAT) f[19] = (float)in_count;
}

bool* ep_pf_blocked_tensors(const ep_graph* graph) {
  int n = ep_graph_tensor_count(graph);
  bool* blocked = calloc((size_t)n + 1, sizeof *blocked);
  ep_layout* layout = calloc((size_t)n + 1, sizeof *layout);
  if (blocked == NULL || layout == NULL) {
    free(blocked);
    free(layout);
    return NULL;
  }
  /* On failure (no memory) the plan leaves everything NCHW: a slightly worse prediction. */
  (void)ep_layout_plan(graph, NULL, layout);
  for (int t = 0; t < n; t++) blocked[t] = layout[t] == EP_LAYOUT_NCHW8C;
  free(layout);
  return blocked;
}

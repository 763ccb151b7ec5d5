/* The cost model: per-node parameters, multiply-accumulates and bytes; graph totals, depth and
 * the tensors crossing a cut. */
#include <stdlib.h>
#include <string.h>

#include "graph/graph_internal.h"

static int64_t input_numel(const ep_graph* g, const ep_node* n, int i) {
  if (i >= n->n_inputs || n->inputs[i] < 0) return 0;
  return ep_shape_numel(&g->tensors[n->inputs[i]].shape);
}

void ep_graph_compute_node_cost(ep_graph* graph, int index) {
  ep_node* n = &graph->nodes[index];
  ep_node_cost cost;
  memset(&cost, 0, sizeof cost);
  const ep_shape* x = n->n_inputs > 0 ? &graph->tensors[n->inputs[0]].shape : NULL;
  const ep_shape* y = &graph->tensors[n->outputs[0]].shape;

  switch (n->op) {
    case EP_OP_CONV: {
      const ep_shape* w = &graph->tensors[n->inputs[1]].shape;
      cost.params = input_numel(graph, n, 1) + input_numel(graph, n, 2);
      /* Each output element reads Cin/group x KH x KW inputs. */
      cost.macs = ep_shape_numel(y) * w->dims[1] * w->dims[2] * w->dims[3];
      break;
    }
    case EP_OP_FULLY_CONNECTED: {
      cost.params = input_numel(graph, n, 1) + input_numel(graph, n, 2);
      cost.macs = x->dims[0] * x->dims[1] * y->dims[1];
      break;
    }
    case EP_OP_LSTM:
    case EP_OP_GRU: {
      /* Zoo LSTM: the bias is the summed input and recurrent bias, 4H, counted once. ONNX
       * layout: W, R, B (both biases, as stored) and peepholes, per direction. */
      const ep_shape* w = &graph->tensors[n->inputs[1]].shape;
      cost.params = input_numel(graph, n, 1) + input_numel(graph, n, 2) + input_numel(graph, n, 3);
      if (n->op == EP_OP_LSTM) cost.params += input_numel(graph, n, 7);
      int64_t h = n->attrs.hidden_size, gates = n->op == EP_OP_LSTM ? 4 : 3;
      int64_t dirs = w->rank == 3 ? w->dims[0] : 1;
      cost.macs = dirs * x->dims[0] * x->dims[1] * gates * h * (x->dims[2] + h);
      break;
    }
    case EP_OP_GEMM:
    case EP_OP_MATMUL: {
      /* Weights are the constant operands; each output element is a K-long dot product. */
      for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] >= 0 && graph->tensors[n->inputs[i]].kind == EP_TENSOR_CONSTANT) {
          cost.params += input_numel(graph, n, i);
        }
      }
      const ep_shape* a = x;
      int64_t k = n->op == EP_OP_GEMM && n->attrs.trans_a ? a->dims[0] : a->dims[a->rank - 1];
      cost.macs = ep_shape_numel(y) * k;
      break;
    }
    case EP_OP_ATTENTION: {
      /* The two products it replaces: q k' (D per score) and the scores times v (Sk per
       * output). */
      const ep_shape* k = &graph->tensors[n->inputs[1]].shape;
      int64_t scores = ep_shape_numel(x) / x->dims[x->rank - 1] *
                       k->dims[n->attrs.trans_b ? k->rank - 2 : k->rank - 1];
      cost.macs = scores * x->dims[x->rank - 1] + scores * y->dims[y->rank - 1];
      break;
    }
    case EP_OP_LAYER_NORM:
      /* Scale and bias, when they are weights. */
      for (int i = 1; i < n->n_inputs; i++) {
        if (n->inputs[i] >= 0 && graph->tensors[n->inputs[i]].kind == EP_TENSOR_CONSTANT) {
          cost.params += input_numel(graph, n, i);
        }
      }
      break;
    case EP_OP_BATCH_NORM:
      /* Scale and bias are trained; mean and variance are statistics. */
      cost.params = input_numel(graph, n, 1) + input_numel(graph, n, 2);
      break;
    case EP_OP_ADD:
    case EP_OP_SUB:
    case EP_OP_MUL:
    case EP_OP_DIV:
    case EP_OP_CONCAT:
      /* A constant tensor here is trained: the bias of a MatMul layer as exporters write it, a
       * position embedding, a class token. A single value is a constant of the formula (the
       * 1 / sqrt(d) of attention), not a parameter. */
      for (int i = 0; i < n->n_inputs; i++) {
        if (n->inputs[i] < 0 || graph->tensors[n->inputs[i]].kind != EP_TENSOR_CONSTANT) continue;
        int64_t numel = input_numel(graph, n, i);
        if (numel > 1) cost.params += numel;
      }
      break;
    default:
      /* Pools, element-wise ops and data movement: no multiply-accumulates counted. */
      break;
  }
  for (int i = 0; i < n->n_inputs; i++) {
    if (n->inputs[i] < 0) continue;
    const ep_tensor* t = &graph->tensors[n->inputs[i]];
    if (t->kind == EP_TENSOR_CONSTANT) {
      cost.weight_bytes += (int64_t)ep_dtype_size(t->dtype) * ep_shape_numel(&t->shape);
    }
  }
  for (int i = 0; i < n->n_outputs; i++) {
    cost.output_bytes += (int64_t)ep_dtype_size(graph->tensors[n->outputs[i]].dtype) *
                         ep_shape_numel(&graph->tensors[n->outputs[i]].shape);
  }
  n->cost = cost;
}

void ep_graph_totals_compute(const ep_graph* graph, ep_graph_totals* totals_out) {
  if (!totals_out) return;
  memset(totals_out, 0, sizeof *totals_out);
  if (!graph) return;
  ep_graph_totals t;
  memset(&t, 0, sizeof t);
  t.nodes = graph->n_nodes;

  /* Depth: weight layers on the longest path, by dynamic programming in topological order. */
  int* depth = calloc((size_t)(graph->n_tensors ? graph->n_tensors : 1), sizeof *depth);
  for (int i = 0; i < graph->n_nodes; i++) {
    const ep_node* n = &graph->nodes[i];
    t.params += n->cost.params;
    t.macs += n->cost.macs;
    t.weight_bytes += n->cost.weight_bytes;
    t.activation_bytes += n->cost.output_bytes;
    if (!depth) continue;
    int d = 0;
    for (int k = 0; k < n->n_inputs; k++) {
      if (n->inputs[k] >= 0 && depth[n->inputs[k]] > d) d = depth[n->inputs[k]];
    }
    if (ep_op_is_weight_layer(n->op)) d++;
    for (int k = 0; k < n->n_outputs; k++) depth[n->outputs[k]] = d;
    if (d > t.layers) t.layers = d;
  }
  free(depth);
  t.flops = 2 * t.macs;
  *totals_out = t;
}

int ep_graph_cut_tensors(const ep_graph* graph, int k, int* ids, int max) {
  if (!graph) return 0;
  int count = 0;
  for (int id = 0; id < graph->n_tensors; id++) {
    const ep_tensor* t = &graph->tensors[id];
    if (t->kind == EP_TENSOR_CONSTANT) continue;
    bool before = t->kind == EP_TENSOR_INPUT || t->producer < k;
    bool read_after = t->last_consumer >= k;
    if (before && (read_after || t->is_output)) {
      if (ids && count < max) ids[count] = id;
      count++;
    }
  }
  return count;
}

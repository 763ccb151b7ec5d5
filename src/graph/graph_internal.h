/* Inside the graph IR: the storage behind ep_graph and the steps of ep_graph_finalize that live
 * in their own files (shape inference, cost). Not part of the public API. */
#ifndef EDGEPROF_GRAPH_INTERNAL_H
#define EDGEPROF_GRAPH_INTERNAL_H

#include "edgeprof/graph.h"

struct ep_graph {
  char* name;
  bool finalized;

  ep_tensor* tensors;
  int n_tensors, cap_tensors;
  ep_node* nodes;
  int n_nodes, cap_nodes;
  int* inputs;
  int n_inputs, cap_inputs;
  int* outputs;
  int n_outputs, cap_outputs;

  /* Open-addressing table of tensor names: slot -> tensor id, -1 when empty. */
  int* name_slots;
  int n_name_slots; /* a power of two, at least twice n_tensors */
};

/* Checks node `index` against its inputs' shapes, writes its outputs' shapes and normalises its
 * attributes (stride/dilation/group 0 -> 1, kernel from the weights, epsilon 0 -> 1e-5,
 * negative axes made positive). Messages start with "node <name>: ". */
ep_status ep_graph_infer_node(ep_graph* graph, int index);

/* True when input i of an op may be EP_TENSOR_ABSENT: the optional inputs of Conv (b), Gemm (C),
 * LSTM and GRU (from B on). */
bool ep_op_input_optional(ep_op op, int i);

/* Fills graph->nodes[index].cost; shapes must be inferred. */
void ep_graph_compute_node_cost(ep_graph* graph, int index);

/* True for the ops that carry trainable weights (conv, fully connected, lstm, gru, gemm, matmul). */
bool ep_op_is_weight_layer(ep_op op);

#endif /* EDGEPROF_GRAPH_INTERNAL_H */

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

/* --- pattern fusions (fusions.c), planned by ep_graph_optimize (passes.c) ---------------- */

enum { EP_FUSION_MAX_INPUTS = 4 };

/* A chain of nodes rewritten as one node of op `op`: emitted at the position of node `last`
 * (the chain's end: every input is ready by then), producing last's output, and named after
 * node `first`. Inputs are tensor ids of the source graph. */
typedef struct ep_fusion {
  ep_op op;
  ep_attrs attrs;
  int n_inputs;
  int inputs[EP_FUSION_MAX_INPUTS];
  int first, last;
  int n_nodes;                 /* the nodes it replaces, `last` included */
  int nodes[16];
} ep_fusion;

/* Fusion matchers. Each looks for its pattern ending at node `i`, where every intermediate
 * tensor is read by the pattern alone (`consumers`: node inputs reading each tensor) and is no
 * graph output, no node is in `taken` (already part of another fusion), and constants hold the
 * values the pattern needs. True and *out filled on a match. */
bool ep_fusion_match_attention(const ep_graph* g, const int* consumers, const bool* taken, int i,
                               ep_fusion* out);
bool ep_fusion_match_gelu(const ep_graph* g, const int* consumers, const bool* taken, int i,
                          ep_fusion* out);
bool ep_fusion_match_layer_norm(const ep_graph* g, const int* consumers, const bool* taken, int i,
                                ep_fusion* out);

#endif /* EDGEPROF_GRAPH_INTERNAL_H */

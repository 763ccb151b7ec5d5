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

/* EP_PASS_PRUNE_ROWS (row_prune.c): a new finalized graph in which the nodes whose output rows
 * are partly read compute only those rows, or NULL in *pruned_out when no node narrows. */
ep_status ep_graph_prune_rows(const ep_graph* graph, ep_graph** pruned_out);

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

/* A channel Slice of ShuffleNet's channel shuffle (Reshape [N, G, C/G, H, W] -> Transpose
 * (0, 2, 1, 3, 4) -> Reshape [N, C, H, W] of source x): the Slice takes shuffled channels
 * [first, first + count), which a Gather of x along axis 1 reads directly (channel_shuffle.c). */
typedef struct ep_shuffle_slice {
  int source;   /* x, the tensor shuffled */
  int nodes[3]; /* the Reshape, the Transpose and the Reshape of the shuffle */
  int64_t groups, first, count;
} ep_shuffle_slice;

/* Whether node i is such a Slice; the Reshape and Transpose before the last Reshape must be read
 * by the chain alone (`consumers`: node inputs reading each tensor); the last Reshape's output
 * may have other readers, which the caller checks. */
bool ep_channel_shuffle_slice_match(const ep_graph* g, const int* consumers, int i,
                                    ep_shuffle_slice* out);
/* The source channels of the match's count output channels, in order. */
void ep_channel_shuffle_indices(const ep_graph* g, const ep_shuffle_slice* m, int64_t* idx);

#endif /* EDGEPROF_GRAPH_INTERNAL_H */

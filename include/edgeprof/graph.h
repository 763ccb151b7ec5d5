/* The graph IR: tensors, nodes in topological order, shapes and a cost model per node.
 *
 * Lifecycle: ep_graph_create -> ep_graph_add_* (nodes in topological order: every input of a
 * node must already exist) -> ep_graph_finalize (shape inference, cost, checks) -> read-only use
 * -> ep_graph_destroy. A finalized graph is immutable and may be read from many threads at once.
 * Passes (ep_graph_optimize) build a new finalized graph and leave their input untouched.
 *
 * Layout conventions: activations are NCHW float32; convolution weights [Cout, Cin/group, KH, KW];
 * fully connected weights [M, K] (y = x W^T + b); LSTM weights follow ONNX: W [4H, I], R [4H, H],
 * B [4H] (input and recurrent biases summed), gate order i, o, f, c. */
#ifndef EDGEPROF_GRAPH_H
#define EDGEPROF_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_MAX_RANK 6

typedef struct ep_shape {
  int rank;
  int64_t dims[EP_MAX_RANK];
} ep_shape;

/* Number of elements (1 for rank 0). */
int64_t ep_shape_numel(const ep_shape* shape);
/* Builds a shape from `rank` dims: ep_shape_make(4, (int64_t[]){1, 3, 224, 224}). */
ep_shape ep_shape_make(int rank, const int64_t* dims);
/* Writes "1x3x224x224" (or "scalar") into buf; returns buf. */
char* ep_shape_format(const ep_shape* shape, char* buf, size_t size);
bool ep_shape_equal(const ep_shape* a, const ep_shape* b);

typedef enum ep_op {
  EP_OP_CONV,            /* x, w[, b] -> y; attrs: kernel, stride, pad, dilation, group, act */
  EP_OP_FULLY_CONNECTED, /* x [N, K], w [M, K][, b [M]] -> y [N, M]; attrs: act */
  EP_OP_LSTM,            /* x [T, N, I], W, R[, B] -> y [T, N, H]; attrs: hidden_size */
  EP_OP_MAX_POOL,        /* x -> y; attrs: kernel, stride, pad, ceil_mode */
  EP_OP_AVG_POOL,        /* x -> y; attrs: kernel, stride, pad, ceil_mode, count_include_pad */
  EP_OP_GLOBAL_AVG_POOL, /* x [N, C, H, W] -> y [N, C, 1, 1] */
  EP_OP_BATCH_NORM,      /* x, scale, bias, mean, var -> y; attrs: epsilon */
  EP_OP_CONCAT,          /* x0, x1, ... -> y; attrs: axis */
  EP_OP_ADD,             /* a, b (same shape) -> y; attrs: act */
  EP_OP_RELU,
  EP_OP_RELU6,
  EP_OP_SIGMOID,
  EP_OP_TANH,
  EP_OP_SOFTMAX,         /* attrs: axis (negative counts from the end) */
  EP_OP_FLATTEN,         /* attrs: axis: [d0..d(axis-1)] x [rest] */
  EP_OP_RESHAPE,         /* attrs: shape (0 copies the input dim, -1 is inferred) */
  EP_OP_COUNT
} ep_op;

/* "Conv", "FullyConnected", ... : the op type names used in profiles and reports. */
const char* ep_op_name(ep_op op);

/* Activation fused into a producer (conv, fully connected, add) by ep_graph_optimize. */
typedef enum ep_activation {
  EP_ACT_NONE,
  EP_ACT_RELU,
  EP_ACT_RELU6,
  EP_ACT_SIGMOID,
  EP_ACT_TANH,
} ep_activation;

const char* ep_activation_name(ep_activation act); /* "", "Relu", "Relu6", ... */

/* One flat attribute record; each op reads the fields its comment above names. */
typedef struct ep_attrs {
  int kernel[2];   /* h, w */
  int stride[2];   /* h, w; 0 means 1 */
  int pad[4];      /* top, left, bottom, right */
  int dilation[2]; /* h, w; 0 means 1 */
  int group;       /* 0 means 1 */
  bool ceil_mode;
  bool count_include_pad;
  int axis;
  ep_shape shape;  /* reshape target */
  int hidden_size; /* LSTM */
  float epsilon;   /* batch norm; 0 means 1e-5 */
  ep_activation act;
} ep_attrs;

typedef enum ep_tensor_kind {
  EP_TENSOR_INPUT,      /* fed by the caller */
  EP_TENSOR_CONSTANT,   /* weights: data owned by the graph */
  EP_TENSOR_ACTIVATION, /* produced by a node */
} ep_tensor_kind;

typedef struct ep_tensor {
  char* name;
  ep_shape shape;
  ep_tensor_kind kind;
  float* data;       /* constants only */
  int producer;      /* node index, -1 for inputs and constants */
  int last_consumer; /* last node index reading it, -1 if none */
  bool is_output;    /* a graph output */
} ep_tensor;

/* Cost of one node, computed by ep_graph_finalize. FLOPs = 2 x MACs. */
typedef struct ep_node_cost {
  int64_t params;       /* trainable parameters (batch norm: scale and bias; not statistics) */
  int64_t macs;         /* multiply-accumulates */
  int64_t weight_bytes; /* bytes of the constant inputs */
  int64_t output_bytes; /* bytes of the outputs */
} ep_node_cost;

typedef struct ep_node {
  char* name;
  ep_op op;
  ep_attrs attrs;
  int n_inputs;
  int* inputs; /* tensor ids */
  int n_outputs;
  int* outputs; /* tensor ids */
  ep_node_cost cost;
} ep_node;

typedef struct ep_graph ep_graph;

/* --- building --------------------------------------------------------------------------- */

ep_status ep_graph_create(const char* name, ep_graph** graph_out);
/* Frees the graph and everything it owns. NULL is a no-op. */
void ep_graph_destroy(ep_graph* graph);

ep_status ep_graph_add_input(ep_graph* graph, const char* name, ep_shape shape, int* tensor_out);
/* Adds a constant; `data` (numel floats) is copied, NULL gives zeros to fill through
 * ep_graph_constant_data before finalizing. */
ep_status ep_graph_add_constant(ep_graph* graph, const char* name, ep_shape shape,
                                const float* data, int* tensor_out);
/* Writable data of a constant of an unfinalized graph (NULL otherwise). */
float* ep_graph_constant_data(ep_graph* graph, int tensor);
/* Adds a node reading `inputs` and creating `n_outputs` new tensors, named after the node
 * ("name" for one output, "name:i" for several) unless `output_names` is given. Output shapes
 * are inferred at finalize. `outputs_out` (may be NULL) receives the new tensor ids. */
ep_status ep_graph_add_node(ep_graph* graph, ep_op op, const char* name, const ep_attrs* attrs,
                            const int* inputs, int n_inputs, int n_outputs,
                            const char* const* output_names, int* outputs_out);
ep_status ep_graph_mark_output(ep_graph* graph, int tensor);
/* Infers shapes, checks every node, computes costs and tensor lifetimes; freezes the graph.
 * On failure the message names the node and the reason. */
ep_status ep_graph_finalize(ep_graph* graph);

/* --- passes ----------------------------------------------------------------------------- */

enum {
  EP_PASS_FOLD_BATCH_NORM = 1u << 0,  /* conv followed only by batch norm: fold into the conv */
  EP_PASS_FUSE_ACTIVATIONS = 1u << 1, /* relu/relu6/sigmoid/tanh after conv, fc or add */
  EP_PASS_ALL = 0xffffffffu,
};

/* Builds a new finalized graph with the passes applied. `graph` must be finalized. */
ep_status ep_graph_optimize(const ep_graph* graph, unsigned passes, ep_graph** optimized_out);

/* --- reading (finalized graphs) --------------------------------------------------------- */

const char* ep_graph_name(const ep_graph* graph);
bool ep_graph_is_finalized(const ep_graph* graph);
int ep_graph_node_count(const ep_graph* graph);
const ep_node* ep_graph_node(const ep_graph* graph, int index);
int ep_graph_tensor_count(const ep_graph* graph);
const ep_tensor* ep_graph_tensor(const ep_graph* graph, int id);
/* Tensor id by name, -1 if none. */
int ep_graph_find_tensor(const ep_graph* graph, const char* name);
int ep_graph_input_count(const ep_graph* graph);
int ep_graph_input(const ep_graph* graph, int index);   /* tensor id */
int ep_graph_output_count(const ep_graph* graph);
int ep_graph_output(const ep_graph* graph, int index);  /* tensor id */

typedef struct ep_graph_totals {
  int64_t params, macs, flops, weight_bytes, activation_bytes;
  int nodes;
  int layers; /* weight layers (conv, fc, lstm) on the longest path: the usual "depth" */
} ep_graph_totals;

void ep_graph_totals_compute(const ep_graph* graph, ep_graph_totals* totals_out);

/* Tensors crossing a cut before node `k`: produced before k (or graph inputs) and read at or
 * after k, or graph outputs produced before k. Writes up to `max` ids, returns the count. */
int ep_graph_cut_tensors(const ep_graph* graph, int k, int* ids, int max);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_GRAPH_H */

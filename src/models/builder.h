/* A small layer-level builder over the graph API for the zoo networks.
 *
 * Errors are sticky: the first failure is kept in b->status, and every later call returns -1
 * without doing anything, so a network file reads as a plain list of layers and checks once, in
 * ep_mb_finish. Tensor ids are ints; -1 stands for "no tensor" (after an error).
 *
 * Names follow TF-slim: a layer "Conv2d_1a_7x7" in scope "Mixed_3b/Branch_1" gets nodes
 * "Mixed_3b/Branch_1/Conv2d_1a_7x7/Conv2D", ".../BatchNorm", ".../Relu" and constants
 * ".../weights", ".../BatchNorm/beta", ...
 *
 * Weights are seeded: each constant draws from its own splitmix64 stream, keyed by the seed and
 * the constant's name, so values depend only on the seed (and the name), not on build order.
 * Output shapes are inferred as each node is added, so that layers can compute TF 'SAME'
 * padding from their input size and a wrong layer fails at the line that adds it. */
#ifndef EDGEPROF_MODELS_BUILDER_H
#define EDGEPROF_MODELS_BUILDER_H

#include <stdint.h>

#include "edgeprof/graph.h"

/* Padding of conv and pool layers: MB_SAME is TensorFlow's 'SAME' (out = ceil(in / stride),
 * the odd pixel of padding at the bottom / right); values >= 0 pad every side by that much
 * (0 is 'VALID'). */
enum { MB_SAME = -1 };

/* How a batch norm's scale (gamma) is made. */
typedef enum mb_bn_scale {
  MB_BN_SCALE_RANDOM, /* trained scale: about 1 */
  MB_BN_SCALE_SMALL,  /* about 0.25: the last norm of a residual branch (keeps sums in range) */
  MB_BN_SCALE_ONE,    /* no trained scale (TF-slim's scale=False): exactly 1 */
} mb_bn_scale;

typedef struct mb {
  ep_graph* g;
  ep_status status; /* first failure, EP_OK while all went well */
  uint64_t seed;
  char scope[256];
  size_t marks[16]; /* scope length before each push */
  int depth;
} mb;

/* Starts a graph named `name`. */
void ep_mb_init(mb* b, const char* name, uint64_t seed);
/* Enters / leaves a name scope ("Mixed_3b", then "Branch_1" gives "Mixed_3b/Branch_1"); a
 * pushed "a/b" is one scope, left by one pop. */
void ep_mb_push(mb* b, const char* scope);
void ep_mb_pop(mb* b);

/* Shape of a tensor (rank 0 after an error). */
ep_shape ep_mb_shape(const mb* b, int x);

int ep_mb_input(mb* b, const char* name, int rank, const int64_t* dims);
/* A constant with values uniform in [lo, hi). */
int ep_mb_uniform(mb* b, const char* name, ep_shape shape, float lo, float hi);

/* Convolution: weights He-uniform (+-sqrt(6 / fan_in)), bias (when `bias`) small uniform.
 * `group` = cin gives a depthwise convolution. Returns the conv output. */
int ep_mb_conv(mb* b, const char* name, int x, int cout, int kh, int kw, int stride, int pad,
            int group, bool bias);
int ep_mb_batch_norm(mb* b, const char* name, int x, mb_bn_scale scale);
int ep_mb_activation(mb* b, const char* name, ep_op op, int x);
/* conv (no bias) + batch norm + activation (op EP_OP_COUNT for none), the slim conv2d layer. */
int ep_mb_conv_bn(mb* b, const char* name, int x, int cout, int k, int stride, int pad, int group,
               mb_bn_scale scale, ep_op act);
int ep_mb_max_pool(mb* b, const char* name, int x, int k, int stride, int pad);
int ep_mb_avg_pool(mb* b, const char* name, int x, int k, int stride, int pad);
int ep_mb_global_avg_pool(mb* b, const char* name, int x);
int ep_mb_concat(mb* b, const char* name, const int* xs, int n, int axis);
int ep_mb_add(mb* b, const char* name, int x, int y);
int ep_mb_flatten(mb* b, const char* name, int x);
int ep_mb_reshape(mb* b, const char* name, int x, int rank, const int64_t* dims);
int ep_mb_softmax(mb* b, const char* name, int x);
/* Fully connected with bias; weights uniform +-limit (a limit <= 0 picks LeCun,
 * +-sqrt(3 / fan_in)). */
int ep_mb_fully_connected(mb* b, const char* name, int x, int m, float limit);
/* LSTM with hidden size h, all weights uniform +-limit. */
int ep_mb_lstm(mb* b, const char* name, int x, int h, float limit);

/* --- layers of the modern set (transformers, MobileNetV3) --- */

/* A constant [1] holding `value` (a scale of a formula, not a parameter). */
int ep_mb_scalar(mb* b, const char* name, float value);
/* An element-wise op of two tensors (EP_OP_ADD, _SUB, _MUL, _DIV; numpy broadcasting). */
int ep_mb_binary(mb* b, ep_op op, const char* name, int x, int y);
/* MatMul of two tensors (numpy matmul: stacks of matrices). */
int ep_mb_matmul(mb* b, const char* name, int x, int y);
/* A linear layer as exporters write it: MatMul by weights [K, n] (LeCun uniform, +-sqrt(3 / K))
 * and Add of a bias [n] (small uniform): x [..., K] -> [..., n]. */
int ep_mb_linear(mb* b, const char* name, int x, int n);
/* Transpose: output dim i is input dim perm[i]. */
int ep_mb_transpose(mb* b, const char* name, int x, int rank, const int* perm);
/* LayerNormalization over the last dim, scale about 1 and bias about 0. */
int ep_mb_layer_norm(mb* b, const char* name, int x, float epsilon);
/* GELU with the exact (erf) form, as BERT and ViT define it. */
int ep_mb_gelu(mb* b, const char* name, int x);
/* PyTorch's Hardsigmoid: ONNX HardSigmoid with alpha 1/6, beta 1/2. */
int ep_mb_hard_sigmoid(mb* b, const char* name, int x);
/* The first `first` entries of x along `axis` (a Split in two whose second part is unused). */
int ep_mb_split_first(mb* b, const char* name, int x, int axis, int first);

/* Marks `output`, finalizes and hands the graph over; on any failure (now or earlier) frees it
 * and returns the first error. */
ep_status ep_mb_finish(mb* b, int output, ep_graph** graph_out);

#endif /* EDGEPROF_MODELS_BUILDER_H */

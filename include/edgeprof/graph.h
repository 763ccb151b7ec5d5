/* The graph IR: tensors, nodes in topological order, shapes and a cost model per node.
 *
 * Lifecycle: ep_graph_create -> ep_graph_add_* (nodes in topological order: every input of a
 * node must already exist) -> ep_graph_finalize (shape inference, cost, checks) -> read-only use
 * -> ep_graph_destroy. A finalized graph is immutable and may be read from many threads at once.
 * Passes (ep_graph_optimize) build a new finalized graph and leave their input untouched.
 *
 * Element types: every tensor has a dtype (ep_dtype): float32 for activations and weights, int64
 * and bool for the index and mask computations exporters write (token ids, attention masks,
 * shapes). Ops check their inputs' dtypes at finalize and give their outputs one (see ep_op).
 *
 * Layout conventions: activations are NCHW float32; convolution weights [Cout, Cin/group, KH, KW];
 * fully connected weights [M, K] (y = x W^T + b); zoo LSTM weights follow ONNX for one direction:
 * W [4H, I], R [4H, H], B [4H] (input and recurrent biases summed), gate order i, o, f, c; LSTM and
 * GRU nodes imported from ONNX keep ONNX's own layout (see EP_OP_LSTM). */
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
/* Most outputs of one Split node. */
#define EP_MAX_SPLIT 32

/* Element types. Storage: float32 as float, int64 as int64_t, bool as one byte (0 or 1). */
typedef enum ep_dtype {
  EP_DTYPE_FLOAT32,
  EP_DTYPE_INT64,
  EP_DTYPE_BOOL,
} ep_dtype;

/* Bytes per element (4, 8, 1); 0 for an unknown value. */
size_t ep_dtype_size(ep_dtype dtype);
/* "float32", "int64", "bool" ("unknown" otherwise). */
const char* ep_dtype_name(ep_dtype dtype);

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

/* Operators. Names (ep_op_name) are the ONNX op types. Unless a comment says otherwise an op has
 * one output, float32 tensors and ONNX semantics for the listed inputs and attrs. Add, Sub, Mul
 * and Div also take two int64 tensors (y int64; Div truncates toward zero, a division by zero
 * gives 0, overflow wraps); Concat, Reshape and Flatten take tensors of any one dtype.
 *
 * Optional inputs: an absent optional input in the middle of the list is passed to
 * ep_graph_add_node as tensor id -1 (EP_TENSOR_ABSENT); trailing absent inputs may simply be left
 * out. Only the inputs marked [optional] below may be absent.
 *
 * Float attributes of the ONNX ops (alpha, beta, lrn_bias, clip_min/clip_max, pad_value,
 * rnn_clip) have no "0 means default": start from ep_attrs_default(op), which holds the ONNX
 * defaults, and override what the node sets.
 *
 * Broadcasting: "numpy" is ONNX multidirectional broadcasting (shapes aligned at the right, a dim
 * of 1 stretches); "unidirectional" means only the second operand may stretch to the first. */
typedef enum ep_op {
  /* x, w[, b][, residual] -> y = act(conv(x, w) + b + residual); attrs: kernel, stride, pad,
   * dilation, group, act. [optional] b [Cout]; residual has y's exact shape (a fused Add: see
   * EP_PASS_FUSE_RESIDUAL). With a residual and no bias, input 2 is EP_TENSOR_ABSENT.
   * A pre-activation (DenseNet's BatchNorm -> ReLU before a 1x1 conv, fused by
   * EP_PASS_FOLD_BATCH_NORM with EP_PASS_FUSE_ACTIVATIONS): inputs 4 and 5, in_scale and
   * in_shift [Cin, 1, 1], and attrs.in_act: the conv reads in_act(in_scale * x + in_shift)
   * (inputs 2 and 3 absent where unused). */
  EP_OP_CONV,
  EP_OP_FULLY_CONNECTED, /* x [N, K], w [M, K][, b [M]] -> y [N, M]; attrs: act */
  /* Two layouts, chosen by the rank of W:
   * - zoo (W rank 2): x [T, N, I], W [4H, I], R [4H, H][, B [4H] (Wb + Rb summed)]
   *   -> y [T, N, H]; forward, zero initial state; exactly one output.
   * - ONNX (W rank 3): X [T, N, I], W [D, 4H, I], R [D, 4H, H], [optional] B [D, 8H] (Wb then
   *   Rb), [optional] sequence_lens [N] (float holding whole numbers in 1..T; the importer
   *   converts ONNX int32), [optional] initial_h [D, N, H], [optional] initial_c [D, N, H],
   *   [optional] P [D, 3H] (peepholes i, o, f)
   *   -> Y [T, D, N, H][, Y_h [D, N, H][, Y_c [D, N, H]]]: 1 to 3 outputs, always in that order
   *   (ask for all three when only Y_c is used). D = 2 when direction is bidirectional (forward
   *   is direction 0 of each weight), else 1. Gates i, o, f, c; default activations only
   *   (sigmoid, tanh, tanh); input_forget 0. Steps past a sequence's length give zeros in Y.
   *   rnn_layout 1 (ONNX layout = 1, batch first): X [N, T, I], Y [N, T, D, H], initial and
   *   final states [N, D, H].
   * attrs: hidden_size (0: from R), direction (EP_RNN_*), rnn_clip (0: none), rnn_layout. */
  EP_OP_LSTM,
  /* x [N, C, H, W] -> y; attrs: kernel, stride, pad (top, left, bottom, right), dilation,
   * ceil_mode; count_include_pad (AveragePool only). A rank-3 x [N, C, W] is a 1-D pool: set
   * kernel[0] = 1, stride[0] = 1, pad top and bottom 0 and the W values in index 1 / left, right.
   * A rank-5 x [N, C, D, H, W] is a 3-D pool: the depth window is in kernel_d, stride_d,
   * dilation_d, pad_front, pad_back (H and W as for 2-D). y has x's rank. Only the first output
   * of ONNX MaxPool (no Indices). */
  EP_OP_MAX_POOL,
  EP_OP_AVG_POOL,
  EP_OP_GLOBAL_AVG_POOL, /* x [N, C, d1, ...] (rank >= 3) -> y [N, C, 1, ...] */
  EP_OP_BATCH_NORM,      /* x, scale, bias, mean, var -> y; attrs: epsilon */
  EP_OP_CONCAT,          /* x0, x1, ... -> y; attrs: axis (any axis, negative from the end) */
  EP_OP_ADD,             /* a, b (numpy broadcasting) -> y; attrs: act (fused activation) */
  EP_OP_RELU,
  EP_OP_RELU6,
  EP_OP_SIGMOID,
  EP_OP_TANH,
  /* x -> y; attrs: axis (negative from the end), softmax_2d. softmax_2d false (opset >= 13):
   * softmax along `axis` alone, any position. softmax_2d true (opset < 13): x is coerced to 2-D
   * [d0 * ... * d(axis-1), d(axis) * ... * d(n-1)] and each row is normalized. */
  EP_OP_SOFTMAX,
  EP_OP_FLATTEN, /* attrs: axis: [d0..d(axis-1)] x [rest] */
  EP_OP_RESHAPE, /* attrs: shape (0 copies the input dim, -1 is inferred); also for
                  * Squeeze / Unsqueeze */
  /* --- added for ONNX import (appended: existing values keep their numbers) --- */
  /* A, B[, C] -> Y [M, N] = alpha * A' B' + beta * C; A' = transA ? A^T : A ([M, K]),
   * B' = transB ? B^T : B ([K, N]); A and B rank 2; [optional] C unidirectionally broadcastable
   * to [M, N] (scalar, [N], [1, N], [M, 1], [M, N]). attrs: alpha, beta, trans_a, trans_b. */
  EP_OP_GEMM,
  /* a, b -> y: numpy matmul. Rank >= 2 operands are stacks of matrices whose batch dims
   * broadcast; a 1-D a is [1, K] with the 1 removed from y, a 1-D b is [K, 1] likewise.
   * With constant weights b [K, N], what ep_graph_optimize fused into it: a, b, bias [N] (or
   * EP_TENSOR_ABSENT)[, residual shaped like y] -> y = act(a b + bias + residual); attrs: act
   * (EP_PASS_FUSE_ACTIVATIONS: the bias Add, then the activation, GELU included;
   * EP_PASS_FUSE_RESIDUAL: a residual Add). */
  EP_OP_MATMUL,
  EP_OP_SUB,        /* a, b (numpy broadcasting) -> y = a - b; attrs: act */
  EP_OP_MUL,        /* a, b (numpy broadcasting) -> y = a * b; attrs: act */
  EP_OP_DIV,        /* a, b (numpy broadcasting) -> y = a / b; attrs: act */
  EP_OP_LEAKY_RELU, /* x -> y = x >= 0 ? x : alpha * x; attrs: alpha (ONNX default 0.01) */
  /* x -> y = min(max(x, clip_min), clip_max); attrs: clip_min, clip_max (-inf / +inf when the
   * ONNX input is absent; the importer turns constant min/max inputs into these attrs). */
  EP_OP_CLIP,
  EP_OP_LOG_SOFTMAX,     /* x -> y = log(softmax(x)); attrs: axis, softmax_2d as for Softmax */
  EP_OP_GLOBAL_MAX_POOL, /* x [N, C, d1, ...] (rank >= 3) -> y [N, C, 1, ...] */
  /* x [N, C, ...] -> y; across channels: y = x / (lrn_bias + alpha / size * sum x^2)^beta, the
   * sum over channels c - floor((size-1)/2) .. c + ceil((size-1)/2). attrs: size, alpha, beta,
   * lrn_bias. */
  EP_OP_LRN,
  /* x -> y; attrs: perm (y dim i is x dim perm[i]; all zeros means reversed dims). */
  EP_OP_TRANSPOSE,
  /* x -> y; attrs: pads (x rank r: pads[0..r) are the begins of dims 0..r-1, pads[r..2r) the
   * ends; negative pads crop), pad_mode (EP_PAD_*), pad_value (constant mode). The importer
   * expands ONNX `axes` into a full list. */
  EP_OP_PAD,
  /* X [T, N, I], W [D, 3H, I], R [D, 3H, H], [optional] B [D, 6H] (Wb then Rb), [optional]
   * sequence_lens [N] (as for LSTM), [optional] initial_h [D, N, H]
   * -> Y [T, D, N, H][, Y_h [D, N, H]]. Gates z, r, h; default activations (sigmoid, tanh).
   * attrs: hidden_size (0: from R), direction (EP_RNN_*), linear_before_reset, rnn_clip
   * (0: none), rnn_layout (as for LSTM). */
  EP_OP_GRU,
  /* Scaled dot-product attention, made by EP_PASS_FUSE_ATTENTION (never imported):
   * q [..., Sq, D], k, v [..., Sk, Dv][, mask] -> y [..., Sq, Dv] = softmax(alpha * q k' + mask) v,
   * softmax along the last axis, where k' = k^T for k [..., Sk, D] when trans_b, else k is k'
   * itself, [..., D, Sk]. q, k and v have the same rank (2 to 6) and the same batch dims (the
   * dims before the last two); [optional] mask broadcasts (numpy) to [..., Sq, Sk] and no
   * further. attrs: alpha (the scale, 1 when the graph had none), trans_b. */
  EP_OP_ATTENTION,
  /* --- element-wise ops of modern networks (issue 15) --- */
  /* a, b (numpy broadcasting) -> y = a^b (C's powf: pow(x, 0) = 1, a negative base with a
   * non-integer exponent gives NaN). A constant exponent of one value 2, 0.5, 3, -1 or 1 runs as
   * x*x, sqrt, x*x*x, 1/x or a copy. */
  EP_OP_POW,
  EP_OP_SQRT,       /* x -> y = sqrt(x) (NaN below 0) */
  EP_OP_RECIPROCAL, /* x -> y = 1 / x */
  EP_OP_ERF,        /* x -> y = erf(x) */
  /* x -> y = x * Phi(x) (gelu_tanh false, ONNX approximate "none": Phi the normal CDF
   * 0.5 erfc(-x / sqrt 2)) or 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) (gelu_tanh true,
   * approximate "tanh"). attrs: gelu_tanh. */
  EP_OP_GELU,
  /* x -> y = max(0, min(1, alpha x + beta)); attrs: alpha (ONNX default 0.2), beta (0.5). */
  EP_OP_HARD_SIGMOID,
  EP_OP_HARD_SWISH, /* x -> y = x max(0, min(1, x / 6 + 1 / 2)) */
  EP_OP_MISH,       /* x -> y = x tanh(softplus(x)) */
  EP_OP_EXP,        /* x -> y = exp(x) (inf above 88.72, subnormal and then 0 below -87.3) */
  EP_OP_LOG,        /* x -> y = log(x) (-inf at 0, NaN below) */
  EP_OP_NEG,        /* x -> y = -x */
  EP_OP_ABS,        /* x -> y = |x| */
  EP_OP_SOFTPLUS,   /* x -> y = log(1 + exp(x)) */
  /* x0, x1, ... (one or more, numpy broadcasting over all) -> y = element-wise min / max; a NaN
   * in any input gives NaN (as numpy's minimum / maximum). */
  EP_OP_MIN,
  EP_OP_MAX,
  /* --- int64 and bool tensors (appended). Unless said otherwise inputs may be of any dtype. --- */
  /* data, indices (int64) -> y: ONNX Gather along attrs.axis (negative from the end); y's shape
   * is data's with dim axis replaced by indices' shape; y has data's dtype. A negative index
   * counts from the end; an index still outside [0, dim) gives zeros for its slice (run cannot
   * fail; ONNX Runtime refuses such an index). */
  EP_OP_GATHER,
  /* x -> y of dtype attrs.cast_to: float -> int64 truncates toward zero (NaN and out of range
   * give INT64_MIN), to bool is x != 0, from bool gives 0 / 1. */
  EP_OP_CAST,
  /* a, b (numpy broadcasting, the same dtype: float32 or int64; Equal also bool) -> y bool. */
  EP_OP_EQUAL,
  EP_OP_LESS,
  EP_OP_GREATER,
  EP_OP_LESS_OR_EQUAL,
  EP_OP_GREATER_OR_EQUAL,
  EP_OP_AND, /* a, b bool (numpy broadcasting) -> y bool */
  EP_OP_OR,
  EP_OP_XOR,
  EP_OP_NOT, /* x bool -> y bool */
  /* cond bool, x, y (the same dtype) -> out, all three broadcast (numpy) together. */
  EP_OP_WHERE,
  EP_OP_SHAPE, /* x -> y int64 [rank]: x's dims */
  EP_OP_SIZE,  /* x -> y int64 scalar: x's element count */
  /* data, starts, ends[, axes[, steps]] -> y: ONNX Slice. starts .. steps are int64 vectors that
   * must be graph constants (y's shape depends on them); data is any tensor. */
  EP_OP_SLICE,
  /* x, shape (int64 vector, a graph constant) -> y: x broadcast (numpy) with `shape`. */
  EP_OP_EXPAND,
  /* shape (int64 vector, a graph constant)[, value (a one-element graph constant)] -> y of the
   * shape filled with value (float32 0 when absent), of value's dtype. */
  EP_OP_CONSTANT_OF_SHAPE,
  /* start, limit, delta (scalars of one dtype, float32 or int64, graph constants: y's length
   * depends on them) -> y [max(ceil((limit - start) / delta), 0)] = start + i * delta. */
  EP_OP_RANGE,
  /* Reductions: x -> y over the dims in reduce_axes (bit d: dim d; 0: every dim), kept as dims of
   * 1 with keepdims, else removed (all of them: a scalar). ReduceMean is the sum over the count,
   * ReduceL1 sum |x|, ReduceL2 sqrt(sum x^2), ReduceSumSquare sum x^2, ReduceLogSum log(sum x),
   * ReduceLogSumExp log(sum exp x) (computed stably). The importer turns ONNX's axes (attribute
   * or constant input) into the set; noop_with_empty_axes with no axes is a view. */
  EP_OP_REDUCE_MEAN,
  EP_OP_REDUCE_SUM,
  EP_OP_REDUCE_MAX,
  EP_OP_REDUCE_MIN,
  EP_OP_REDUCE_PROD,
  EP_OP_REDUCE_L1,
  EP_OP_REDUCE_L2,
  EP_OP_REDUCE_SUM_SQUARE,
  EP_OP_REDUCE_LOG_SUM,
  EP_OP_REDUCE_LOG_SUM_EXP,
  /* x, scale[, bias] -> Y[, Mean[, InvStdDev]]: each row of the dims from `axis` on (negative
   * from the end) normalized, y = (x - mean) / sqrt(var + epsilon) * scale + bias. scale and
   * bias have the shape of those dims (leading 1s or missing leading dims allowed); Mean and
   * InvStdDev have x's shape with the normalized dims set to 1. attrs: axis (-1), epsilon (1e-5). */
  EP_OP_LAYER_NORM,
  /* x -> y0, y1, ...: consecutive slices along `axis` of sizes split[0..n_outputs). */
  EP_OP_SPLIT,
  /* x -> y: dim d repeated repeats[d] times (y dim d = x dim d * repeats[d]). */
  EP_OP_TILE,
  EP_OP_COUNT
} ep_op;

/* "Conv", "FullyConnected", ... : the op type names used in profiles and reports. */
const char* ep_op_name(ep_op op);

/* The tensor id that marks an absent optional input in ep_graph_add_node. */
#define EP_TENSOR_ABSENT (-1)

/* LSTM and GRU direction attribute. */
enum { EP_RNN_FORWARD = 0, EP_RNN_REVERSE = 1, EP_RNN_BIDIRECTIONAL = 2 };

/* Pad modes (ONNX "constant", "reflect", "edge", "wrap"). */
enum { EP_PAD_CONSTANT = 0, EP_PAD_REFLECT = 1, EP_PAD_EDGE = 2, EP_PAD_WRAP = 3 };

/* Activation fused into a producer (conv, fully connected, add) by ep_graph_optimize. */
typedef enum ep_activation {
  EP_ACT_NONE,
  EP_ACT_RELU,
  EP_ACT_RELU6,
  EP_ACT_SIGMOID,
  EP_ACT_TANH,
  EP_ACT_SILU, /* x * sigmoid(x) (SiLU, Swish): exporters' Sigmoid(x) then Mul(x, that) */
  /* x max(0, min(1, x / 6 + 1 / 2)): ONNX HardSwish. */
  EP_ACT_HARD_SWISH,
  /* max(0, min(1, x / 6 + 1 / 2)): ONNX HardSigmoid with alpha 1/6, beta 1/2 (as PyTorch's
   * Hardsigmoid exports); other alphas and betas stay a node of their own. */
  EP_ACT_HARD_SIGMOID,
  /* x Phi(x), Phi the normal CDF: GELU's exact (erf) form, as BERT, ViT and PyTorch's nn.GELU
   * export it (Div by sqrt 2, Erf, Add 1, two Muls; or an ONNX Gelu). Fused into MatMul and fully
   * connected layers only. */
  EP_ACT_GELU,
  /* 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))): GELU's tanh form (approximate "tanh"). */
  EP_ACT_GELU_TANH,
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
  /* Appended for the ONNX ops; see the op comments above for who reads what. */
  float alpha;                /* Gemm (1), LeakyRelu (0.01), LRN (1e-4), HardSigmoid (0.2) */
  float beta;                 /* Gemm (1), LRN (0.75), HardSigmoid (0.5) */
  float lrn_bias;             /* LRN (1) */
  int size;                   /* LRN: channels in the window */
  bool trans_a, trans_b;      /* Gemm */
  float clip_min, clip_max;   /* Clip (-inf, +inf) */
  bool softmax_2d;            /* Softmax, LogSoftmax: opset < 13 semantics */
  int perm[EP_MAX_RANK];      /* Transpose */
  int pads[2 * EP_MAX_RANK];  /* Pad: begins then ends, one per input dim */
  int pad_mode;               /* Pad: EP_PAD_* */
  float pad_value;            /* Pad, constant mode (0) */
  int direction;              /* LSTM, GRU: EP_RNN_* */
  bool linear_before_reset;   /* GRU */
  float rnn_clip;             /* LSTM, GRU: cell clip threshold; 0 means none */
  int rnn_layout;             /* LSTM, GRU: ONNX layout, 0 or 1 */
  /* MaxPool, AveragePool of a rank-5 input: the depth (first spatial dim) window; for the
   * others 0 and ignored. stride_d and dilation_d: 0 means 1. */
  int kernel_d, stride_d, dilation_d, pad_front, pad_back;
  bool gelu_tanh; /* Gelu: ONNX approximate "tanh" (else "none") */
  ep_dtype cast_to; /* Cast: the output dtype */
  unsigned reduce_axes; /* Reduce*: bit d set when dim d is reduced; 0: every dim */
  bool keepdims;        /* Reduce* (ONNX default 1) */
  int split[EP_MAX_SPLIT]; /* Split: the size of each output along axis */
  int repeats[EP_MAX_RANK]; /* Tile: per dim, >= 1 */
  ep_activation in_act; /* Conv with a pre-activation (inputs 4, 5): applied to x first */
} ep_attrs;

/* The attrs of an ONNX node with every attribute at its ONNX default (zeros for the fields the
 * op does not read): start from this and set what the node gives. */
ep_attrs ep_attrs_default(ep_op op);

typedef enum ep_tensor_kind {
  EP_TENSOR_INPUT,      /* fed by the caller */
  EP_TENSOR_CONSTANT,   /* weights: data owned by the graph */
  EP_TENSOR_ACTIVATION, /* produced by a node */
} ep_tensor_kind;

typedef struct ep_tensor {
  char* name;
  ep_shape shape;
  ep_tensor_kind kind;
  union {              /* constants only: numel elements of `dtype` */
    float* data;       /* EP_DTYPE_FLOAT32 */
    int64_t* data_i64; /* EP_DTYPE_INT64 */
    uint8_t* data_bool; /* EP_DTYPE_BOOL: 0 or 1 */
    void* raw;         /* any dtype */
  };
  int producer;      /* node index, -1 for inputs and constants */
  int last_consumer; /* last node index reading it, -1 if none */
  bool is_output;    /* a graph output */
  ep_dtype dtype;    /* inputs and constants: as added; activations: inferred at finalize */
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
  int* inputs; /* tensor ids; EP_TENSOR_ABSENT (-1) for an absent optional input */
  int n_outputs;
  int* outputs; /* tensor ids */
  ep_node_cost cost;
} ep_node;

typedef struct ep_graph ep_graph;

/* --- building --------------------------------------------------------------------------- */

ep_status ep_graph_create(const char* name, ep_graph** graph_out);
/* Frees the graph and everything it owns. NULL is a no-op. */
void ep_graph_destroy(ep_graph* graph);

/* A float32 graph input (ep_graph_add_input_typed for other element types). */
ep_status ep_graph_add_input(ep_graph* graph, const char* name, ep_shape shape, int* tensor_out);
ep_status ep_graph_add_input_typed(ep_graph* graph, const char* name, ep_dtype dtype,
                                   ep_shape shape, int* tensor_out);
/* Adds a float32 constant; `data` (numel floats) is copied, NULL gives zeros to fill through
 * ep_graph_constant_data before finalizing. */
ep_status ep_graph_add_constant(ep_graph* graph, const char* name, ep_shape shape,
                                const float* data, int* tensor_out);
/* The same for any dtype: `data` holds numel elements of `dtype` (bool: bytes 0 or 1; other
 * nonzero bytes are stored as 1), or NULL for zeros. */
ep_status ep_graph_add_constant_typed(ep_graph* graph, const char* name, ep_dtype dtype,
                                      ep_shape shape, const void* data, int* tensor_out);
/* Constants' data lives in reference-counted storage, so that graphs made from one another
 * (ep_graph_optimize, partitions) and the ONNX importer's load-time values share weights
 * instead of copying them. ep_graph_storage_alloc: `bytes` (at least 8) of zeroed, 64-byte
 * aligned storage holding one reference, NULL when out of memory. retain adds a reference,
 * release drops one (the last frees the storage; NULL is a no-op); thread-safe. */
void* ep_graph_storage_alloc(size_t bytes);
void ep_graph_storage_retain(const void* storage);
void ep_graph_storage_release(const void* storage);
/* ep_graph_add_constant_typed without the copy: `storage` (from ep_graph_storage_alloc, or
 * another graph's constant data) holds numel elements of `dtype`; the graph takes a reference
 * of its own. The data must not change once shared (bool constants are copied, to be 0 or 1). */
ep_status ep_graph_add_constant_shared(ep_graph* graph, const char* name, ep_dtype dtype,
                                       ep_shape shape, const void* storage, int* tensor_out);
/* Drops the graph's reference to constant `tensor`'s data, which becomes NULL (freed unless
 * another graph shares it): for a session that packed it and is the graph's last user (see
 * ep_session_create_consuming). Nothing may read that constant's data afterwards. */
void ep_graph_release_constant(ep_graph* graph, int tensor);
/* Writable data of a constant of an unfinalized graph (NULL otherwise): floats for a float32
 * constant; for other dtypes cast ep_graph_tensor(...)->raw instead. */
float* ep_graph_constant_data(ep_graph* graph, int tensor);
/* Adds a node reading `inputs` and creating `n_outputs` new tensors, named after the node
 * ("name" for one output, "name:i" for several) unless `output_names` is given. Output shapes
 * are inferred at finalize. `outputs_out` (may be NULL) receives the new tensor ids. An input
 * may be EP_TENSOR_ABSENT only where the op marks it [optional] (see ep_op). */
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
  /* relu/relu6/sigmoid/tanh/SiLU/hard swish/hard sigmoid (alpha 1/6, beta 1/2) after conv,
   * fc or add; a MatMul on constant weights [K, N] takes the Add of a constant bias [N] after it,
   * then any of those or a GELU (a fused Gelu node, either form; also into fc) */
  EP_PASS_FUSE_ACTIVATIONS = 1u << 1,
  /* An add of two same-shaped tensors, one the output of a conv read by nothing else: the conv
   * takes the other as its residual input (and the add's activation with it). */
  EP_PASS_FUSE_RESIDUAL = 1u << 2,
  /* MatMul(q, k') [-> Mul or Div by a constant scalar] [-> Add of a mask] -> Softmax (last axis)
   * -> MatMul(., v), as exporters write attention, when no intermediate has another reader:
   * one EP_OP_ATTENTION node, named after the first MatMul. A Transpose that swaps k's last two
   * dims for this MatMul alone is absorbed too (trans_b). */
  EP_PASS_FUSE_ATTENTION = 1u << 3,
  /* GELU written out, x * 0.5 * (1 + Erf(x / sqrt 2)) (or x * (1 / sqrt 2)) or the tanh form
   * 0.5 x (1 + Tanh(sqrt(2 / pi) (x + 0.044715 Pow(x, 3)))), the products grouped any way: one
   * Gelu node (gelu_tanh for the second), named after the chain's first node. */
  EP_PASS_FUSE_GELU = 1u << 4,
  /* LayerNorm written out: ReduceMean -> Sub -> Pow 2 (or Mul d d) -> ReduceMean -> Add eps ->
   * Sqrt -> Div -> Mul gamma [-> Add beta], both means over the same trailing dims (keepdims),
   * gamma and beta shaped like those dims: one LayerNormalization node (axis and epsilon from
   * the graph), named after the first ReduceMean. */
  EP_PASS_FUSE_LAYER_NORM = 1u << 5,
  /* A Transpose that moves only dims of size 1 (the other dims keep their order: PyTorch's
   * MultiheadAttention turning [1, S, D] into [S, 1, D] and back) is a Reshape: a view of its
   * input, no copy. */
  EP_PASS_TRANSPOSE_VIEWS = 1u << 6,
  /* A constant Pad of zeros on H and W alone (rank 4), read by an AveragePool alone (no ceil
   * mode; its own padding none or counted): the pool takes the Pad's amounts and counts its
   * padding (count_include_pad), which is the same average. torch.onnx writes
   * avg_pool2d(3, 1, 1) that way (every Inception v3 block's pool branch). */
  EP_PASS_FUSE_PAD = 1u << 7,
  /* ShuffleNet's channel shuffle, Reshape [N, G, C/G, H, W] -> Transpose (0, 2, 1, 3, 4) ->
   * Reshape [N, C, H, W], read by channel Slices alone (the next unit's halves): each Slice
   * becomes a Gather of the shuffle's input along channels (constant indices), and the shuffle
   * goes. Every channel plane is copied once instead of twice. */
  EP_PASS_CHANNEL_SHUFFLE = 1u << 8,
  /* Dead rows: where only some rows along one axis of a tensor are read (a ViT's class token,
   * x[:, 0] after the last block), the row-wise nodes before it (element-wise ops, MatMul /
   * Gemm rows, LayerNorm, Softmax, Transpose, Reshape) compute those rows alone; runs before
   * the other passes (see row_prune.c). */
  EP_PASS_PRUNE_ROWS = 1u << 9,
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

/* A Slice node (finalized, or checked by shape inference): for every dim of its data input the
 * first index read and the step (0 and 1 for dims not sliced), and the output shape. */
ep_status ep_graph_slice_params(const ep_graph* graph, const ep_node* node, int64_t* starts,
                                int64_t* steps, ep_shape* out);
/* A Range node's output length from its constant inputs (-1: delta 0 or not finite). */
int64_t ep_graph_range_length(const ep_graph* graph, const ep_node* node);
/* The values an int64 graph input may take where it indexes: the smallest size of an axis that
 * a Gather reading it as indices gathers from (0 when no Gather reads it so). */
int64_t ep_graph_index_bound(const ep_graph* graph, int tensor);

/* The first tensor that is neither a constant nor float32 (an int64 or bool input or
 * activation), -1 when there is none. The float-only paths refuse such a graph: the split wire
 * protocol, the KServe v2 server and client, the cut-error measure. */
int ep_graph_first_non_float(const ep_graph* graph);

/* Tensors crossing a cut before node `k`: produced before k (or graph inputs) and read at or
 * after k, or graph outputs produced before k. Writes up to `max` ids, returns the count. */
int ep_graph_cut_tensors(const ep_graph* graph, int k, int* ids, int max);

/* The nodes [first, end) as a model of their own (0 <= first <= end <= n). Its inputs: tensors
 * produced before `first` (or graph inputs) that a node of the range reads. Its outputs: tensors
 * the range produces that are graph outputs or are read at or after `end`. Both in ascending id
 * (for end == n they are ep_plan_upload_tensors and ep_plan_download_tensors). Write up to
 * `max` ids, return the count. */
int ep_graph_range_inputs(const ep_graph* graph, int first, int end, int* ids, int max);
int ep_graph_range_outputs(const ep_graph* graph, int first, int end, int* ids, int max);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_GRAPH_H */

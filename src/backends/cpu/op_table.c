/* The CPU backend's op table and helpers shared by the op bindings. */
#include <stdlib.h>

#include "backends/cpu/ops.h"

extern const op_kernel ep_op_conv, ep_op_fully_connected, ep_op_global_avg_pool,
    ep_op_batch_norm, ep_op_activation, ep_op_concat, ep_op_view;
extern const op_kernel ep_op_rnn, ep_op_window_pool, ep_op_global_max_pool, ep_op_binary,
    ep_op_gemm, ep_op_matmul, ep_op_leaky_relu, ep_op_clip, ep_op_softmax_axis, ep_op_lrn,
    ep_op_transpose, ep_op_pad, ep_op_attention;
extern const op_kernel ep_op_math, ep_op_pow, ep_op_min_max;
extern const op_kernel ep_op_index;
extern const op_kernel ep_op_reduce, ep_op_layer_norm, ep_op_split, ep_op_tile;

static const op_kernel* const table[EP_OP_COUNT] = {
    [EP_OP_CONV] = &ep_op_conv,
    [EP_OP_FULLY_CONNECTED] = &ep_op_fully_connected,
    [EP_OP_LSTM] = &ep_op_rnn,
    [EP_OP_MAX_POOL] = &ep_op_window_pool,
    [EP_OP_AVG_POOL] = &ep_op_window_pool,
    [EP_OP_GLOBAL_AVG_POOL] = &ep_op_global_avg_pool,
    [EP_OP_BATCH_NORM] = &ep_op_batch_norm,
    [EP_OP_CONCAT] = &ep_op_concat,
    [EP_OP_ADD] = &ep_op_binary,
    [EP_OP_RELU] = &ep_op_activation,
    [EP_OP_RELU6] = &ep_op_activation,
    [EP_OP_SIGMOID] = &ep_op_activation,
    [EP_OP_TANH] = &ep_op_activation,
    [EP_OP_SOFTMAX] = &ep_op_softmax_axis,
    [EP_OP_FLATTEN] = &ep_op_view,
    [EP_OP_RESHAPE] = &ep_op_view,
    [EP_OP_GEMM] = &ep_op_gemm,
    [EP_OP_MATMUL] = &ep_op_matmul,
    [EP_OP_SUB] = &ep_op_binary,
    [EP_OP_MUL] = &ep_op_binary,
    [EP_OP_DIV] = &ep_op_binary,
    [EP_OP_LEAKY_RELU] = &ep_op_leaky_relu,
    [EP_OP_CLIP] = &ep_op_clip,
    [EP_OP_LOG_SOFTMAX] = &ep_op_softmax_axis,
    [EP_OP_GLOBAL_MAX_POOL] = &ep_op_global_max_pool,
    [EP_OP_LRN] = &ep_op_lrn,
    [EP_OP_TRANSPOSE] = &ep_op_transpose,
    [EP_OP_PAD] = &ep_op_pad,
    [EP_OP_GRU] = &ep_op_rnn,
    [EP_OP_ATTENTION] = &ep_op_attention,
    [EP_OP_POW] = &ep_op_pow,
    [EP_OP_SQRT] = &ep_op_math,
    [EP_OP_RECIPROCAL] = &ep_op_math,
    [EP_OP_ERF] = &ep_op_math,
    [EP_OP_GELU] = &ep_op_math,
    [EP_OP_HARD_SIGMOID] = &ep_op_math,
    [EP_OP_HARD_SWISH] = &ep_op_math,
    [EP_OP_MISH] = &ep_op_math,
    [EP_OP_EXP] = &ep_op_math,
    [EP_OP_LOG] = &ep_op_math,
    [EP_OP_NEG] = &ep_op_math,
    [EP_OP_ABS] = &ep_op_math,
    [EP_OP_SOFTPLUS] = &ep_op_math,
    [EP_OP_MIN] = &ep_op_min_max,
    [EP_OP_MAX] = &ep_op_min_max,
    [EP_OP_GATHER] = &ep_op_index,
    [EP_OP_CAST] = &ep_op_index,
    [EP_OP_EQUAL] = &ep_op_index,
    [EP_OP_LESS] = &ep_op_index,
    [EP_OP_GREATER] = &ep_op_index,
    [EP_OP_LESS_OR_EQUAL] = &ep_op_index,
    [EP_OP_GREATER_OR_EQUAL] = &ep_op_index,
    [EP_OP_AND] = &ep_op_index,
    [EP_OP_OR] = &ep_op_index,
    [EP_OP_XOR] = &ep_op_index,
    [EP_OP_NOT] = &ep_op_index,
    [EP_OP_WHERE] = &ep_op_index,
    [EP_OP_SHAPE] = &ep_op_index,
    [EP_OP_SIZE] = &ep_op_index,
    [EP_OP_SLICE] = &ep_op_index,
    [EP_OP_EXPAND] = &ep_op_index,
    [EP_OP_CONSTANT_OF_SHAPE] = &ep_op_index,
    [EP_OP_RANGE] = &ep_op_index,
    [EP_OP_REDUCE_MEAN] = &ep_op_reduce,
    [EP_OP_REDUCE_SUM] = &ep_op_reduce,
    [EP_OP_REDUCE_MAX] = &ep_op_reduce,
    [EP_OP_REDUCE_MIN] = &ep_op_reduce,
    [EP_OP_REDUCE_PROD] = &ep_op_reduce,
    [EP_OP_REDUCE_L1] = &ep_op_reduce,
    [EP_OP_REDUCE_L2] = &ep_op_reduce,
    [EP_OP_REDUCE_SUM_SQUARE] = &ep_op_reduce,
    [EP_OP_REDUCE_LOG_SUM] = &ep_op_reduce,
    [EP_OP_REDUCE_LOG_SUM_EXP] = &ep_op_reduce,
    [EP_OP_LAYER_NORM] = &ep_op_layer_norm,
    [EP_OP_SPLIT] = &ep_op_split,
    [EP_OP_TILE] = &ep_op_tile,
};

const op_kernel* ep_op_kernel(ep_op op) {
  if ((unsigned)op >= EP_OP_COUNT) return NULL;
  return table[op];
}

const ep_shape* ep_node_input_shape(const ep_graph* graph, const ep_node* node, int i) {
  return &ep_graph_tensor(graph, node->inputs[i])->shape;
}

const ep_shape* ep_node_output_shape(const ep_graph* graph, const ep_node* node, int i) {
  return &ep_graph_tensor(graph, node->outputs[i])->shape;
}

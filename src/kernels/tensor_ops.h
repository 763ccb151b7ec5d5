/* Kernels of the operators added for ONNX import (internal): broadcasting binary ops, Gemm and
 * MatMul, LeakyRelu and Clip, element-wise math (unary/unary-math.h), softmax along any axis
 * and log-softmax, ONNX pooling (dilations, ceil mode, count_include_pad), global max pooling,
 * LRN, Transpose, Pad, and ONNX LSTM / GRU.
 *
 * As in kernels.h: every family has a naive reference (ep_ref_*, in reference/, for tests) and a
 * run function that splits its work over the session's thread pool, never allocates and never
 * fails. Shapes are checked by the graph before they get here. */
#ifndef EDGEPROF_KERNELS_TENSOR_OPS_H
#define EDGEPROF_KERNELS_TENSOR_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/graph.h"
#include "core/threadpool.h"
#include "kernels/unary/unary-math.h"

/* --- binary ops with numpy broadcasting ------------------------------------------------------ */

typedef enum ep_binary_op {
  EP_BINARY_ADD,
  EP_BINARY_SUB,
  EP_BINARY_MUL,
  EP_BINARY_DIV,
  EP_BINARY_POW, /* powf */
  EP_BINARY_MIN, /* NaN in either gives NaN (numpy's minimum) */
  EP_BINARY_MAX,
  /* y = a broadcast to the output: b is read at the output's positions and ignored (pass y's
   * own buffer: the first step of a variadic Min / Max whose first input is smaller than y). */
  EP_BINARY_FIRST
} ep_binary_op;

/* The broadcast of a and b with adjacent dims merged where both operands allow it: y is
 * [dims[0], ..., dims[rank-1]] and element (i0, ...) reads a[sum i_d * a_stride[d]] and b
 * likewise (stride 0 along a broadcast dim). rank >= 1. */
typedef struct ep_broadcast_desc {
  int rank;
  int64_t dims[EP_MAX_RANK];
  int64_t a_stride[EP_MAX_RANK];
  int64_t b_stride[EP_MAX_RANK];
} ep_broadcast_desc;

/* a and b must broadcast (the graph checks it). */
void ep_broadcast_desc_init(ep_broadcast_desc* d, const ep_shape* a, const ep_shape* b);

/* y = act(a op b) over the broadcast shape. */
void ep_ref_binary(ep_binary_op op, const ep_broadcast_desc* d, const float* a, const float* b,
                   ep_activation act, float* y);
void ep_binary_run(ep_binary_op op, const ep_broadcast_desc* d, const float* a, const float* b,
                   ep_activation act, float* y, ep_threadpool* pool);
/* y[n, c, p] = act(x[n, c, p] * s[n, c]) for x, y [n, c, hw] (NCHW) or, when blocked,
 * [n, c / 8, hw, 8] (NCHW8c, c a multiple of 8), s [n, c]: squeeze-and-excitation's scale. y may
 * alias x. */
void ep_channel_scale_run(size_t n, size_t c, size_t hw, bool blocked, const float* x,
                          const float* s, ep_activation act, float* y, ep_threadpool* pool);

/* --- Gemm and MatMul -------------------------------------------------------------------------- */

/* y [m, n] = alpha * A' B' + beta * C: A' [m, k] is a [m, k] or, with trans_a, the transpose of
 * a [k, m]; B' [k, n] likewise from b. c may be NULL; otherwise c_shape (rank <= 2)
 * broadcasts to [m, n]. */
void ep_ref_gemm(int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, float alpha,
                 float beta, const float* a, const float* b, const float* c,
                 const ep_shape* c_shape, float* y);

/* numpy matmul of a [..., m, k] (or [k]) and b [..., k, n] (or [k]); y as the graph infers. */
void ep_ref_matmul(const ep_shape* a_shape, const float* a, const ep_shape* b_shape, const float* b,
                   float* y);

/* --- unary -------------------------------------------------------------------------------- */

void ep_ref_leaky_relu(size_t n, float alpha, const float* x, float* y);
void ep_leaky_relu_run(size_t n, float alpha, const float* x, float* y, ep_threadpool* pool);
void ep_ref_clip(size_t n, float lo, float hi, const float* x, float* y);
void ep_clip_run(size_t n, float lo, float hi, const float* x, float* y, ep_threadpool* pool);

/* --- softmax and log-softmax along the middle dim of x viewed as [outer, n, inner] ------------ */

void ep_ref_softmax_axis(size_t outer, size_t n, size_t inner, bool log, const float* x, float* y);
void ep_softmax_axis_run(size_t outer, size_t n, size_t inner, bool log, const float* x, float* y,
                         ep_threadpool* pool);

/* --- pooling with ONNX semantics ------------------------------------------------------------ */

/* 3-D windows; a 2-D pool has depth 1 (in_d = out_d = kernel_d = stride_d = dilation_d = 1,
 * no depth padding). */
typedef struct ep_window_pool_desc {
  int batch, channels, in_d, in_h, in_w, out_d, out_h, out_w;
  int kernel_d, kernel_h, kernel_w, stride_d, stride_h, stride_w;
  int dilation_d, dilation_h, dilation_w;
  int pad_front, pad_top, pad_left, pad_back, pad_bottom, pad_right;
  bool count_include_pad;
} ep_window_pool_desc;

/* Max: over the taps inside the input. Average: the sum of the taps inside the input divided by
 * their count, or with count_include_pad by the count of taps inside the padded input
 * [-pad_begin, in + pad_end) (as ONNX Runtime; windows that ceil_mode lets run past the end
 * padding are cut there). */
void ep_ref_window_pool(const ep_window_pool_desc* d, bool max, const float* x, float* y);
void ep_window_pool_run(const ep_window_pool_desc* d, bool max, const float* x, float* y,
                        ep_threadpool* pool);
/* x [batch * channels, hw] -> y [batch * channels] */
void ep_ref_global_max_pool(size_t planes, size_t hw, const float* x, float* y);
void ep_global_max_pool_run(size_t planes, size_t hw, const float* x, float* y,
                            ep_threadpool* pool);

/* --- LRN across channels of x viewed as [batch, channels, inner] --------------------------- */

typedef struct ep_lrn_desc {
  int batch, channels;
  size_t inner;
  int size;
  float alpha, beta, bias;
} ep_lrn_desc;

void ep_ref_lrn(const ep_lrn_desc* d, const float* x, float* y);
void ep_lrn_run(const ep_lrn_desc* d, const float* x, float* y, ep_threadpool* pool);

/* --- data movement ------------------------------------------------------------------------ */

/* y dim i is x dim perm[i]. */
void ep_ref_transpose(const ep_shape* x_shape, const int* perm, const float* x, float* y);
void ep_transpose_run(const ep_shape* x_shape, const int* perm, const float* x, float* y,
                      ep_threadpool* pool);

/* pads: begins for each dim of x then ends (negative crops); mode EP_PAD_*. */
void ep_ref_pad(const ep_shape* x_shape, const int* pads, int mode, float value, const float* x,
                float* y);
void ep_pad_run(const ep_shape* x_shape, const int* pads, int mode, float value, const float* x,
                float* y, ep_threadpool* pool);

/* --- ONNX LSTM and GRU -------------------------------------------------------------------- */

typedef struct ep_rnn_desc {
  bool lstm; /* else GRU */
  int seq_len, batch, input_size, hidden_size;
  int directions;           /* 1 or 2 (bidirectional: direction 0 forward, 1 reverse) */
  bool reverse;             /* one direction, run backwards */
  int layout;               /* ONNX layout: 0 [T, N, .], 1 [N, T, .] */
  bool linear_before_reset; /* GRU */
  float clip;               /* > 0: gate pre-activations clipped to [-clip, clip] */
  bool has_bias, has_peepholes;
} ep_rnn_desc;

/* Tensors as in graph.h (EP_OP_LSTM, ONNX layout, and EP_OP_GRU); every optional pointer may be
 * NULL: bias, seq_lens (float lengths), h0, c0, p and the outputs y, y_h, y_c. */
void ep_ref_rnn(const ep_rnn_desc* d, const float* x, const float* w, const float* r,
                const float* bias, const float* seq_lens, const float* h0, const float* c0,
                const float* p, float* y, float* y_h, float* y_c);

/* The fast version: weights packed as GEMM B panels once (or per run when they are not
 * constants), the input projection of all steps as one GEMM, then per step the fused LSTM / GRU
 * cells (LSTM without peepholes, GRU with linear_before_reset 1, both without clip) or one
 * recurrent GEMM (GEMV at batch 1) and the gate passes. The workspace is used by the calling
 * thread only (the pool's threads share its state rows where a step is split). */
size_t ep_rnn_packed_size(const ep_rnn_desc* d);
void ep_rnn_pack(const ep_rnn_desc* d, const float* w, const float* r, const float* bias,
                 const float* p, float* packed);
size_t ep_rnn_workspace_size(const ep_rnn_desc* d);
void ep_rnn_run(const ep_rnn_desc* d, const float* packed, const float* x, const float* seq_lens,
                const float* h0, const float* c0, float* y, float* y_h, float* y_c,
                float* workspace, ep_threadpool* pool);

#endif /* EDGEPROF_KERNELS_TENSOR_OPS_H */

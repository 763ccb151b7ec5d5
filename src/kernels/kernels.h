/* The kernel library: the contract between the runtime and the compute kernels.
 *
 * Every op family has
 *   - a naive reference version (ep_ref_*, in reference/) kept for tests: obviously correct,
 *     single-threaded, unpacked weights;
 *   - a fast version: weights packed once at session creation (pack), a per-thread scratch size
 *     (workspace), and a run function that splits its work over the session's thread pool.
 * All tensors are float32, dense, NCHW for images; [T, N, C] for sequences. Convolutions may
 * instead read or write the blocked layout NCHW8c (ep_layout, f32-nchwc/nchwc.h) where the
 * session chose it for a tensor.
 * Kernels never allocate on the run path and never fail: descriptors are validated by the
 * graph before they get here. */
#ifndef EDGEPROF_KERNELS_H
#define EDGEPROF_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#include "edgeprof/graph.h"
#include "core/threadpool.h"

/* Applies a fused activation to n values in place. */
void ep_activation_apply(ep_activation act, float* y, size_t n);

/* Whether the GEMM microkernels and the blocked-layout kernels apply `act` in registers (all but
 * tanh: simd/vec-act.h); tanh, rare after a convolution, is applied by ep_activation_apply over
 * the values just stored. GELU (EP_ACT_GELU, _TANH) is in registers in the GEMM and GEMV
 * microkernels only: ep_graph_optimize fuses it into MatMul and fully connected layers, never
 * into a convolution, so the blocked-layout kernels do not see it. */
static inline bool ep_activation_in_register(ep_activation act) { return act != EP_ACT_TANH; }

/* --- convolution (grouped, depthwise, dilated, asymmetric pads) ---------------------------- */

/* Storage of an image tensor [N, C, H, W]: plain NCHW, or NCHW8c ([N, C/8, H, W, 8], C a
 * multiple of 8; see f32-nchwc/nchwc.h). */
typedef enum ep_layout { EP_LAYOUT_NCHW = 0, EP_LAYOUT_NCHW8C = 1 } ep_layout;

typedef struct ep_conv_desc {
  int batch;
  int in_channels, in_h, in_w;
  int out_channels, out_h, out_w;
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int dilation_h, dilation_w;
  int pad_top, pad_left; /* bottom and right padding follow from out_h / out_w */
  int groups;            /* in_channels and out_channels are multiples of groups */
  bool has_bias;
  ep_activation act;
  ep_layout in_layout, out_layout; /* x and y; NCHW (0) unless the session blocked them */
  /* A pre-activation: the conv reads in_act(scale[c] * x + shift[c]) for x's channel c, the
   * scale and shift given to ep_conv2d_pack_input. Pointwise convs (1x1, stride 1, no padding,
   * one group) on NCHW only; in_act is EP_ACT_NONE or EP_ACT_RELU. */
  bool has_input_affine;
  ep_activation in_act;
} ep_conv_desc;

/* x [batch, in_channels, in_h, in_w], w [out_channels, in_channels/groups, kh, kw],
 * bias [out_channels] or NULL, y [batch, out_channels, out_h, out_w]. */
void ep_ref_conv2d(const ep_conv_desc* d, const float* x, const float* w, const float* bias,
                   float* y);

size_t ep_conv2d_packed_size(const ep_conv_desc* d); /* floats */
void ep_conv2d_pack(const ep_conv_desc* d, const float* w, const float* bias, float* packed);
/* With has_input_affine, after ep_conv2d_pack: stores scale and shift [in_channels] in packed. */
void ep_conv2d_pack_input(const ep_conv_desc* d, const float* scale, const float* shift,
                          float* packed);
size_t ep_conv2d_workspace_size(const ep_conv_desc* d); /* floats per thread */
/* Whether ep_conv2d_run has a kernel for d's in_layout and out_layout (plain NCHW always). */
bool ep_conv2d_layouts_supported(const ep_conv_desc* d);
/* y = act(conv(x) + bias + residual); residual is NULL or shaped like y, and must not overlap
 * it (y holds partial sums while residual is still to be read). Worker i's scratch starts at
 * workspace + i * workspace_stride. */
void ep_conv2d_run(const ep_conv_desc* d, const float* packed, const float* x,
                   const float* residual, float* y, float* workspace, size_t workspace_stride,
                   ep_threadpool* pool);

/* --- fully connected: y [n, m] = act(x [n, k] * w^T + bias), w [m, k] ------------------ */

typedef struct ep_fc_desc {
  int n, k, m;
  bool has_bias;
  ep_activation act;
} ep_fc_desc;

void ep_ref_fully_connected(const ep_fc_desc* d, const float* x, const float* w, const float* bias,
                            float* y);
size_t ep_fc_packed_size(const ep_fc_desc* d);
void ep_fc_pack(const ep_fc_desc* d, const float* w, const float* bias, float* packed);
size_t ep_fc_workspace_size(const ep_fc_desc* d);
void ep_fc_run(const ep_fc_desc* d, const float* packed, const float* x, float* y, float* workspace,
               size_t workspace_stride, ep_threadpool* pool);

/* --- LSTM, one direction, zero initial state --------------------------------------------- */

typedef struct ep_lstm_desc {
  int seq_len, batch, input_size, hidden_size;
  bool has_bias;
} ep_lstm_desc;

/* x [T, N, I], w [4H, I], r [4H, H], bias [4H] or NULL; gates i, o, f, c (ONNX order);
 * y [T, N, H]. */
void ep_ref_lstm(const ep_lstm_desc* d, const float* x, const float* w, const float* r,
                 const float* bias, float* y);
size_t ep_lstm_packed_size(const ep_lstm_desc* d);
void ep_lstm_pack(const ep_lstm_desc* d, const float* w, const float* r, const float* bias,
                  float* packed);
size_t ep_lstm_workspace_size(const ep_lstm_desc* d); /* needed by worker 0 only */
void ep_lstm_run(const ep_lstm_desc* d, const float* packed, const float* x, float* y,
                 float* workspace, size_t workspace_stride, ep_threadpool* pool);

/* --- pooling ------------------------------------------------------------------------------ */

typedef struct ep_pool_desc {
  int batch, channels, in_h, in_w, out_h, out_w;
  int kernel_h, kernel_w, stride_h, stride_w;
  int pad_top, pad_left;  /* bottom and right padding follow from out_h / out_w */
  bool count_include_pad; /* average only: divide by the full window, padding included */
} ep_pool_desc;

/* Windows that lie partly outside the input use only the inside values (max), or divide by the
 * inside count (average, unless count_include_pad). */
void ep_ref_max_pool(const ep_pool_desc* d, const float* x, float* y);
void ep_ref_avg_pool(const ep_pool_desc* d, const float* x, float* y);
void ep_max_pool_run(const ep_pool_desc* d, const float* x, float* y, ep_threadpool* pool);
void ep_avg_pool_run(const ep_pool_desc* d, const float* x, float* y, ep_threadpool* pool);
/* x [batch, channels, hw] -> y [batch, channels] */
void ep_ref_global_avg_pool(int batch, int channels, int hw, const float* x, float* y);
void ep_global_avg_pool_run(int batch, int channels, int hw, const float* x, float* y,
                            ep_threadpool* pool);

/* --- elementwise and the rest --------------------------------------------------------------- */

/* y = act(a + b), n elements; y may alias a or b. */
void ep_ref_add(size_t n, const float* a, const float* b, ep_activation act, float* y);
void ep_add_run(size_t n, const float* a, const float* b, ep_activation act, float* y,
                ep_threadpool* pool);

/* y = act(x); y may alias x. */
void ep_ref_activation(ep_activation act, size_t n, const float* x, float* y);
void ep_activation_run(ep_activation act, size_t n, const float* x, float* y, ep_threadpool* pool);

/* Softmax over the inner dimension of x viewed as [outer, inner]. */
void ep_ref_softmax(size_t outer, size_t inner, const float* x, float* y);
void ep_softmax_run(size_t outer, size_t inner, const float* x, float* y, ep_threadpool* pool);

/* Batch norm (inference): y = scale * (x - mean) / sqrt(var + eps) + bias per channel,
 * x viewed as [batch, channels, inner]. */
void ep_ref_batch_norm(int batch, int channels, size_t inner, const float* x, const float* scale,
                       const float* bias, const float* mean, const float* var, float epsilon,
                       float* y);

/* Concatenation: x viewed as [outer, inner_i] for each input, y as [outer, sum inner_i]. */
void ep_ref_concat(size_t outer, int n_inputs, const float* const* x, const size_t* inner,
                   float* y);
void ep_concat_run(size_t outer, int n_inputs, const float* const* x, const size_t* inner, float* y,
                   ep_threadpool* pool);

#endif /* EDGEPROF_KERNELS_H */

/* Convolution in the blocked channel layout NCHW8c (internal; reached through ep_conv2d_*).
 *
 * A tensor [N, C, H, W] in NCHW8c is stored as [N, C/8, H, W, 8]: the 8 channels of one pixel
 * are one AVX2 vector. Between two convolutions this layout needs no packing at all: a 1x1
 * convolution broadcasts input values straight from the tensor and stores whole vectors of 8
 * output channels, and a depthwise convolution works on 8 channels per vector with no row tails.
 * The session decides per tensor which layout it uses (backends/cpu/layout_plan.h); only tensors
 * whose channel count is a multiple of EP_NCHWC_BLOCK are ever blocked, so a blocked tensor takes
 * exactly the bytes of its NCHW form.
 *
 * The convolutions this module runs (ep_nchwc_conv_supports):
 *   pointwise  1x1, no padding, groups 1, any stride: any layouts, one of them NCHW8c (a blocked
 *              chain can start or end at one); a stride-2 one over NCHW8c with output rows
 *              of 14 pixels or more reads its input in place, any other strided one first
 *              copies the pixels it keeps into the workspace (shared: the first worker's
 *              share holds them)
 *   depthwise  groups == in == out channels, any kernel (up to 16 rows), stride, padding,
 *              dilation:
 *                                                    NCHW8c -> NCHW8c
 *   direct     groups 1, at most EP_NCHWC_DIRECT_MAX_CIN input channels (a network's first
 *              convolution on an image), any kernel, stride, padding, dilation:
 *                                                    NCHW   -> NCHW8c
 *              (a padded image is first copied with its zeros into the workspace, shared)
 *   window     grouped (groups > 1, not depthwise) where each output block reads the same
 *              number of input blocks, at most twice its groups' channels; any kernel, stride,
 *              padding, dilation:                  NCHW8c -> NCHW8c or NCHW
 *              (the input is first copied with its zeros into the workspace, shared)
 *              and dense (groups 1, any input channels a multiple of 8, not pointwise) the
 *              same way: every output block reads every input block
 *                                                  NCHW8c -> NCHW8c or NCHW
 * with a bias, any fused activation, and a residual input laid out as the output. Dense 3x3
 * stride-1 convolutions on NCHW8c run as Winograd (f32-conv/winograd.h), and max and average
 * pools as ep_nchwc_pool_run below. */
#ifndef EDGEPROF_KERNELS_F32_NCHWC_H
#define EDGEPROF_KERNELS_F32_NCHWC_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/kernels.h"
#include "core/threadpool.h"

#define EP_NCHWC_BLOCK 8
#define EP_NCHWC_DIRECT_MAX_CIN 8

/* Whether the active ISA level's kernel configuration has a blocked layout (kernel-config.c:
 * avx2 and avx512 today, with the AVX2 kernels). */
bool ep_nchwc_available(void);

/* True when the descriptor's convolution with its in_layout / out_layout is one of the above. */
bool ep_nchwc_conv_supports(const ep_conv_desc* d);
/* True when it is one of the above as a dense window (groups 1, not pointwise): a 3x3 stride-1
 * one runs faster as Winograd where that is suitable (f32-conv/conv2d.c picks). */
bool ep_nchwc_conv_dense(const ep_conv_desc* d);

size_t ep_nchwc_conv_packed_size(const ep_conv_desc* d); /* floats */
void ep_nchwc_conv_pack(const ep_conv_desc* d, const float* w, const float* bias, float* packed);
size_t ep_nchwc_conv_workspace_size(const ep_conv_desc* d); /* floats per worker */
/* y = act(conv(x) + bias + residual); residual is NULL or laid out as y. */
void ep_nchwc_conv_run(const ep_conv_desc* d, const float* packed, const float* x,
                       const float* residual, float* y, float* workspace, size_t workspace_stride,
                       ep_threadpool* pool);

/* Global average pooling of a blocked x [batch, channels/8, hw, 8] into y [batch, channels]
 * (the NCHW [batch, channels, 1, 1] output). */
/* Max or average pooling (ep_pool_desc: 2-D, no dilation) from NCHW8c to NCHW8c, channels a
 * multiple of EP_NCHWC_BLOCK: every 8 channels of a pixel are one vector. */
void ep_nchwc_pool_run(const ep_pool_desc* d, bool max, const float* x, float* y,
                       ep_threadpool* pool);
void ep_nchwc_global_avg_pool_run(int batch, int channels, size_t hw, const float* x, float* y,
                                  ep_threadpool* pool);

/* Layout conversions of x [batch, channels, hw] (channels a multiple of 8); y must not overlap
 * x. Used where a blocked tensor crosses a session's run range, and by tests. */
void ep_nchwc_from_nchw(int batch, int channels, size_t hw, const float* x, float* y);
void ep_nchwc_to_nchw(int batch, int channels, size_t hw, const float* x, float* y);

#endif /* EDGEPROF_KERNELS_F32_NCHWC_H */

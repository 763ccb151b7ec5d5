/* Direct depthwise convolution (internal): groups == in_channels, any channel multiplier.
 * Reached through ep_conv2d_*, which dispatches here. */
#ifndef EDGEPROF_KERNELS_F32_DWCONV_H
#define EDGEPROF_KERNELS_F32_DWCONV_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/kernels.h"
#include "core/threadpool.h"

/* True for the descriptors this kernel handles. */
bool ep_f32_dwconv_supports(const ep_conv_desc* d);
/* Packed: the kernel_h x kernel_w taps of each output channel, then one bias per channel (zeros
 * without bias). */
size_t ep_f32_dwconv_packed_size(const ep_conv_desc* d);
void ep_f32_dwconv_pack(const ep_conv_desc* d, const float* w, const float* bias, float* packed);
/* Per-thread scratch (floats): one zero-padded input plane for the vector variants. */
size_t ep_f32_dwconv_workspace_size(const ep_conv_desc* d);
/* Uses the variant of the active ISA level. */
void ep_f32_dwconv_run(const ep_conv_desc* d, const float* packed, const float* x, float* y,
                       float* workspace, size_t workspace_stride, ep_threadpool* pool);

/* --- vector variants (dwconv-impl.h) ------------------------------------------------------ */

/* One output plane computed from a zero-padded copy of its input plane: output pixel (oy, ox)
 * tap (ky, kx) reads xp[(oy * stride_h + ky * dilation_h) * padded_w + ox * stride_w +
 * kx * dilation_w]. The copy is padded_rows x padded_w floats followed by EP_F32_DWCONV_SLACK
 * readable floats. */
typedef struct ep_f32_dwconv_plane {
  int in_h, in_w, pad_top, pad_left;
  int out_h, out_w;
  int kernel_h, kernel_w;
  int stride_h, stride_w; /* stride_w 1 or 2 */
  int dilation_h, dilation_w;
  size_t padded_rows, padded_w;
  ep_activation act;
} ep_f32_dwconv_plane;

/* Vector loads may run this far past the last padded row (their extra lanes are discarded). */
#define EP_F32_DWCONV_SLACK 128

/* Computes output plane y from input plane x with weights w and bias, through xp. x NULL: xp
 * already holds the padded input (the previous call's, for channel multipliers above 1).
 * zero: xp is fresh scratch whose padding must be zeroed first; otherwise only its interior is
 * rewritten (the padding is still zero from an earlier call). */
typedef void (*ep_f32_dwconv_plane_fn)(const ep_f32_dwconv_plane* plane, const float* x, float* xp,
                                       bool zero, const float* w, float bias, float* y);

#endif /* EDGEPROF_KERNELS_F32_DWCONV_H */

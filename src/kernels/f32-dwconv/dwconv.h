/* Direct depthwise convolution (internal): groups == in_channels, any channel multiplier.
 * Reached through ep_conv2d_*, which dispatches here. */
#ifndef EDGEPROF_KERNELS_F32_DWCONV_H
#define EDGEPROF_KERNELS_F32_DWCONV_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/kernels.h"
#include "runtime/threadpool.h"

/* True for the descriptors this kernel handles. */
bool ep_f32_dwconv_supports(const ep_conv_desc* d);
/* Packed: the kernel_h x kernel_w taps of each output channel, then one bias per channel (zeros
 * without bias). */
size_t ep_f32_dwconv_packed_size(const ep_conv_desc* d);
void ep_f32_dwconv_pack(const ep_conv_desc* d, const float* w, const float* bias, float* packed);
/* Needs no workspace. */
void ep_f32_dwconv_run(const ep_conv_desc* d, const float* packed, const float* x, float* y,
                       ep_threadpool* pool);

#endif /* EDGEPROF_KERNELS_F32_DWCONV_H */

/* im2col packing for convolutions (internal): writes a block of the unrolled input directly as
 * packed GEMM B panels, so the convolution needs no second copy. */
#ifndef EDGEPROF_KERNELS_F32_CONV_IM2COL_H
#define EDGEPROF_KERNELS_F32_CONV_IM2COL_H

#include <stddef.h>

#include "kernels/kernels.h"

/* B [k, p] with k = (channel, ky, kx) of one group and p an output pixel: packs rows
 * [k0, k0 + kc) and pixels [p0, p0 + np) into ceil(np / nr) panels of kc x nr
 * (nr <= EP_F32_GEMM_MAX_NR; zero-padded; taps outside the input are zero). x points at the group's
 * first input channel of one image. */
void ep_f32_im2col_pack(const ep_conv_desc* d, const float* x, size_t k0, size_t kc, size_t p0,
                        size_t np, size_t nr, float* out);

/* The vector variants (im2col-impl.h) take blocks of at most this many pixels. */
#define EP_IM2COL_MAX_PIXELS 1024

#endif /* EDGEPROF_KERNELS_F32_CONV_IM2COL_H */

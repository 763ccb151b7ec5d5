/* A 2-D transpose kernel (internal): y [r, n] (row stride ldy) = the transpose of x [n, r] (row
 * stride ldx), y (i, c) = x (c, i). The vector variants move VF_LANES x VF_LANES blocks through
 * registers (transpose-2d-impl.h); the driver (transpose.c) hands each a strip of output rows. */
#ifndef EDGEPROF_KERNELS_LAYOUT_TRANSPOSE_2D_H
#define EDGEPROF_KERNELS_LAYOUT_TRANSPOSE_2D_H

#include <stddef.h>

typedef void (*ep_f32_transpose_2d_fn)(size_t r, size_t n, const float* x, size_t ldx, float* y,
                                       size_t ldy);

#endif /* EDGEPROF_KERNELS_LAYOUT_TRANSPOSE_2D_H */

/* The 2-D transpose, AVX2 (8 x 8 blocks). */
#include "kernels/simd/vec-avx2.h"

#define EP_TRANSPOSE_2D_NAME ep_f32_transpose_2d__avx2
#include "kernels/layout/transpose-2d-impl.h"

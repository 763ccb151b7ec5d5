/* The 2-D transpose, AVX-512 (16 x 16 blocks). */
#include "kernels/simd/vec-avx512f.h"

#define EP_TRANSPOSE_2D_NAME ep_f32_transpose_2d__avx512f
#include "kernels/layout/transpose-2d-impl.h"

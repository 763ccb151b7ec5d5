/* The 2-D transpose, NEON (4 x 4 blocks). */
#include "kernels/simd/vec-neon.h"

#define EP_TRANSPOSE_2D_NAME ep_f32_transpose_2d__neon
#include "kernels/layout/transpose-2d-impl.h"

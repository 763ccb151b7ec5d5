/* Vector im2col, AVX-512F. */
#include "kernels/simd/vec-avx512f.h"

#define EP_IM2COL_NAME ep_f32_im2col_pack__avx512f
#include "kernels/f32-conv/im2col-impl.h"

/* Vector im2col, AVX2. */
#include "kernels/simd/vec-avx2.h"

#define EP_IM2COL_NAME ep_f32_im2col_pack__avx2
#include "kernels/f32-conv/im2col-impl.h"

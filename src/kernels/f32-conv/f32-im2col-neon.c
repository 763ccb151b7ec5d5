/* Vector im2col, AArch64 NEON. */
#include "kernels/simd/vec-neon.h"

#define EP_IM2COL_NAME ep_f32_im2col_pack__neon
#include "kernels/f32-conv/im2col-impl.h"

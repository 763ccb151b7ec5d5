/* One-row GEMM against a 16-wide packed B panel, AVX2 + FMA (pairs with the 6x16 GEMM). */
#include "kernels/simd/vec-avx2.h"

#define EP_GV_NV 2
#define EP_GV_NAME ep_f32_gemv_ukernel_1x16__avx2
#include "kernels/f32-gemm/gemv-ukernel-impl.h"

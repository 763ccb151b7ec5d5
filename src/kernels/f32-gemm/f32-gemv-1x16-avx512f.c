/* One-row GEMM against a 16-wide packed B panel, AVX-512F (pairs with the 16x16 GEMM). */
#include "kernels/simd/vec-avx512f.h"

#define EP_GV_NV 1
#define EP_GV_NAME ep_f32_gemv_ukernel_1x16__avx512f
#include "kernels/f32-gemm/gemv-ukernel-impl.h"

/* One-row GEMM against an 8-wide packed B panel, AArch64 NEON (pairs with the 8x8 GEMM). */
#include "kernels/simd/vec-neon.h"

#define EP_GV_NV 2
#define EP_GV_NAME ep_f32_gemv_ukernel_1x8__neon
#include "kernels/f32-gemm/gemv-ukernel-impl.h"

/* 6 x 16 GEMM microkernel, AVX2 + FMA: 12 accumulators, 2 B vectors and a broadcast fill 15 of
 * the 16 YMM registers (the BLIS Haswell shape). */
#include "kernels/simd/vec-avx2.h"

#define EP_UK_MR 6
#define EP_UK_NV 2
#define EP_UK_NAME ep_f32_gemm_ukernel_6x16__avx2
#define EP_UK_STRIDED_NAME ep_f32_gemm_strided_ukernel_6x16__avx2
#include "kernels/f32-gemm/gemm-ukernel-impl.h"

/* 8 x 32 GEMM microkernel, AVX-512F: 16 accumulators in ZMM registers; 2 B loads and 8
 * broadcasts feed 16 FMAs per k step. mr = 8 divides the usual channel counts. */
#include "kernels/simd/vec-avx512f.h"

#define EP_UK_MR 8
#define EP_UK_NV 2
#define EP_UK_NAME ep_f32_gemm_ukernel_8x32__avx512f
#define EP_UK_STRIDED_NAME ep_f32_gemm_strided_ukernel_8x32__avx512f
#include "kernels/f32-gemm/gemm-ukernel-impl.h"

/* 16 x 16 GEMM microkernel, AVX-512F: 16 accumulators, one B vector per k step and each A value
 * broadcast straight from memory inside its FMA ({1to16}), so no shuffle-port broadcasts compete
 * with the FMAs. On a Xeon (Emerald Rapids) this ran at 156 GFLOP/s of a 189 peak, against 135
 * for 8x32, whose A values, used twice, get a separate broadcast each. nr = 16 also keeps the
 * pixel tails of small images as short as with AVX2. */
#include "kernels/simd/vec-avx512f.h"

#define EP_UK_MR 16
#define EP_UK_NV 1
#define EP_UK_NAME ep_f32_gemm_ukernel_16x16__avx512f
#define EP_UK_STRIDED_NAME ep_f32_gemm_strided_ukernel_16x16__avx512f
#include "kernels/f32-gemm/gemm-ukernel-impl.h"

#define EP_PACK_A_NAME ep_f32_gemm_pack_a_16__avx512f
#include "kernels/f32-gemm/pack-a-impl.h"

/* 8 x 8 GEMM microkernel, AArch64 NEON: 16 accumulators, 2 B vectors and 2 vectors of A (8 rows
 * of the packed panel, each row's value taken as a lane inside its FMA) hold 20 of the 32
 * registers. Per k step 4 loads feed 16 FMAs, so the FMA pipe, not the single load pipe of a
 * Cortex-A72/A53, is the limit; 16 independent chains cover the FMA latency (A72: 7 cycles,
 * 3 from accumulator to accumulator). mr = 8 divides the channel counts of the zoo, and nr = 8
 * keeps the pixel tails of 7x7 and 14x14 planes short. (XNNPACK's aarch64 neonfma kernels are
 * 6x8 and 4x8 on A72; 12x8 would also fit the registers, 29 of 32: to measure on a board.) */
#include "kernels/simd/vec-neon.h"

#define EP_UK_MR 8
#define EP_UK_NV 2
#define EP_UK_NAME ep_f32_gemm_ukernel_8x8__neon
#define EP_UK_STRIDED_NAME ep_f32_gemm_strided_ukernel_8x8__neon
#include "kernels/f32-gemm/gemm-ukernel-impl.h"

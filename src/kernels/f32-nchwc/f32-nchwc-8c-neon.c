/* The NCHW8c cells, AArch64 NEON: the 8 channels of a pixel are two 4-lane registers
 * (simd/vec8-neon.h), so every vector operation of the cells is two NEON instructions.
 *
 * GCC's scheduling before register allocation interleaves the unrolled input channels of the
 * pointwise tile and runs out of the 32 registers: the 6-pixel, 2-block tile's loop (192 fmla
 * per input block) took 365 instructions with 65 stack accesses and 35 register moves, and 269
 * with none and 6 without that pass (aarch64-linux-gnu-gcc 12 -O3, objdump). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns")
#endif

#include "kernels/simd/vec8-neon.h"

#define EP_NCHWC_NAME(name) ep_nchwc_##name##__neon
#include "kernels/f32-nchwc/f32-nchwc-impl.h"

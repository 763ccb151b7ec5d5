/* FMA throughput loop, AArch64 NEON: 16 independent 4-wide chains, enough to cover the FMA
 * latency times the FMA pipes of current Arm cores (Cortex-A72: 7 cycles, one 128-bit FMA per
 * cycle; Neoverse N1/A76: 4 cycles, two). */
#include <arm_neon.h>

#include "platform/cpu_internal.h"

enum { CHAINS = 16 };

double ep_cpu_fma_loop__neon(size_t iterations, float* sink) {
  float32x4_t acc[CHAINS];
  for (int i = 0; i < CHAINS; i++) acc[i] = vdupq_n_f32((float)i * 0.001f);
  const float32x4_t m = vdupq_n_f32(0.99999994f);
  const float32x4_t a = vdupq_n_f32(1e-7f);
  for (size_t it = 0; it < iterations; it++) {
    _Pragma("GCC unroll 16") for (int i = 0; i < CHAINS; i++) acc[i] = vfmaq_f32(a, acc[i], m);
  }
  float32x4_t s = acc[0];
  for (int i = 1; i < CHAINS; i++) s = vaddq_f32(s, acc[i]);
  *sink = vgetq_lane_f32(s, 0);
  return (double)iterations * CHAINS * 4 * 2;
}

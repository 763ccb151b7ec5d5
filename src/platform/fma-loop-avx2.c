/* FMA throughput loop, AVX2 + FMA: 12 independent 8-wide chains, enough to cover the FMA latency
 * times the FMA ports of current cores (4 x 2 on Zen 3 and Skylake). */
#include <immintrin.h>

#include "platform/cpu_internal.h"

enum { CHAINS = 12 };

double ep_cpu_fma_loop__avx2(size_t iterations, float* sink) {
  __m256 acc[CHAINS];
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm256_set1_ps((float)i * 0.001f);
  const __m256 m = _mm256_set1_ps(0.99999994f);
  const __m256 a = _mm256_set1_ps(1e-7f);
  for (size_t it = 0; it < iterations; it++) {
    _Pragma("GCC unroll 12") for (int i = 0; i < CHAINS; i++) {
      acc[i] = _mm256_fmadd_ps(acc[i], m, a);
    }
  }
  __m256 s = acc[0];
  for (int i = 1; i < CHAINS; i++) s = _mm256_add_ps(s, acc[i]);
  *sink = _mm256_cvtss_f32(s);
  return (double)iterations * CHAINS * 8 * 2;
}

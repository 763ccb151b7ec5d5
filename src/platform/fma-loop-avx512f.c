/* FMA throughput loop, AVX-512F: 16 independent 16-wide chains (latency 4 x 2 FMA ports, with
 * room to spare). */
#include <immintrin.h>

#include "platform/cpu_internal.h"

enum { CHAINS = 16 };

double ep_cpu_fma_loop__avx512f(size_t iterations, float* sink) {
  __m512 acc[CHAINS];
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i * 0.001f);
  const __m512 m = _mm512_set1_ps(0.99999994f);
  const __m512 a = _mm512_set1_ps(1e-7f);
  for (size_t it = 0; it < iterations; it++) {
    _Pragma("GCC unroll 16") for (int i = 0; i < CHAINS; i++) {
      acc[i] = _mm512_fmadd_ps(acc[i], m, a);
    }
  }
  __m512 s = acc[0];
  for (int i = 1; i < CHAINS; i++) s = _mm512_add_ps(s, acc[i]);
  *sink = _mm512_reduce_add_ps(s);
  return (double)iterations * CHAINS * 16 * 2;
}

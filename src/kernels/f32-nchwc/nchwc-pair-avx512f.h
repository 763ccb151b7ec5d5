/* A block pair as one AVX-512 vector (internal, for the f32-nchwc *-avx512f.c files only): a
 * pixel's 16 channels of two output blocks, whose 8-lane halves lie in the two blocks' planes,
 * plane floats apart; and the shared tile epilogue (nchwc-epilogue.h) over such vectors, with
 * sigmoid and SiLU in registers (16 lanes: cheaper there than a pass over the stored output). */
#ifndef EDGEPROF_KERNELS_F32_NCHWC_PAIR_AVX512F_H
#define EDGEPROF_KERNELS_F32_NCHWC_PAIR_AVX512F_H

#include <stddef.h>

#include "kernels/simd/vec-avx512f.h"

static inline __attribute__((always_inline)) vf load_pair(const float* p, size_t plane) {
  const __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + plane);
  return _mm512_castpd_ps(
      _mm512_insertf64x4(_mm512_castps_pd(_mm512_castps256_ps512(lo)), _mm256_castps_pd(hi), 1));
}

static inline __attribute__((always_inline)) void store_pair(float* p, size_t plane, vf v) {
  _mm256_storeu_ps(p, _mm512_castps512_ps256(v));
  _mm256_storeu_ps(p + plane, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}

#define NCHWC_LOGISTIC_IN_REGISTER 1
#define NCHWC_OUT_LOAD(p, plane) load_pair((p), (plane))
#define NCHWC_OUT_STORE(p, plane, v) store_pair((p), (plane), (v))
#include "kernels/f32-nchwc/nchwc-epilogue.h"

#endif /* EDGEPROF_KERNELS_F32_NCHWC_PAIR_AVX512F_H */

/* Winograd's blocked sides, AVX2: the 8 channels of an NCHW8c block to and from 8 plain planes,
 * 8 pixels at a time through an 8x8 transpose in registers (winograd.c calls these for layers
 * whose input or output is NCHW8c; f32-wg-layout-neon.c is the neon level's). */
#include <immintrin.h>
#include <stddef.h>

#include "kernels/f32-conv/winograd.h"

/* r[i] = column i of the 8x8 matrix whose rows were r[0..7]. */
static inline void transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 s0 = _mm256_shuffle_ps(t0, t2, 0x44), s1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 s2 = _mm256_shuffle_ps(t1, t3, 0x44), s3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 s4 = _mm256_shuffle_ps(t4, t6, 0x44), s5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 s6 = _mm256_shuffle_ps(t5, t7, 0x44), s7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  r[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  r[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  r[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  r[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  r[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  r[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  r[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

void ep_wg_unblock_row__avx2(const float* src, size_t n, float* const dst[8]) {
  size_t p = 0;
  for (; p + 8 <= n; p += 8) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + (p + (size_t)i) * 8);
    transpose8x8(r);
    for (int c = 0; c < 8; c++) _mm256_storeu_ps(dst[c] + p, r[c]);
  }
  for (; p < n; p++) {
    for (int c = 0; c < 8; c++) dst[c][p] = src[p * 8 + (size_t)c];
  }
}

void ep_wg_block_row__avx2(const float* const src[8], size_t n, float* dst) {
  size_t p = 0;
  for (; p + 8 <= n; p += 8) {
    __m256 r[8];
    for (int c = 0; c < 8; c++) r[c] = _mm256_loadu_ps(src[c] + p);
    transpose8x8(r);
    for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + (p + (size_t)i) * 8, r[i]);
  }
  for (; p < n; p++) {
    for (int c = 0; c < 8; c++) dst[p * 8 + (size_t)c] = src[c][p];
  }
}

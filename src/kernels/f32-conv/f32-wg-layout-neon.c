/* Winograd's blocked sides, AArch64 NEON: the 8 channels of an NCHW8c block to and from 8 plain
 * planes, 4 pixels at a time through two 4x4 transposes in registers (f32-wg-layout-avx2.c does
 * 8 pixels through one 8x8 transpose). */
#include <arm_neon.h>
#include <stddef.h>

#include "kernels/f32-conv/winograd.h"

/* r[i] = column i of the 4x4 matrix whose rows were r[0..3]. */
static inline void transpose4x4(float32x4_t r[4]) {
  const float32x4_t t0 = vtrn1q_f32(r[0], r[1]), t1 = vtrn2q_f32(r[0], r[1]);
  const float32x4_t t2 = vtrn1q_f32(r[2], r[3]), t3 = vtrn2q_f32(r[2], r[3]);
  const float64x2_t d0 = vreinterpretq_f64_f32(t0), d1 = vreinterpretq_f64_f32(t1);
  const float64x2_t d2 = vreinterpretq_f64_f32(t2), d3 = vreinterpretq_f64_f32(t3);
  r[0] = vreinterpretq_f32_f64(vtrn1q_f64(d0, d2));
  r[1] = vreinterpretq_f32_f64(vtrn1q_f64(d1, d3));
  r[2] = vreinterpretq_f32_f64(vtrn2q_f64(d0, d2));
  r[3] = vreinterpretq_f32_f64(vtrn2q_f64(d1, d3));
}

void ep_wg_unblock_row__neon(const float* src, size_t n, float* const dst[8]) {
  size_t p = 0;
  for (; p + 4 <= n; p += 4) {
    for (int h = 0; h < 8; h += 4) {
      float32x4_t r[4];
      for (int i = 0; i < 4; i++) r[i] = vld1q_f32(src + (p + (size_t)i) * 8 + (size_t)h);
      transpose4x4(r);
      for (int c = 0; c < 4; c++) vst1q_f32(dst[h + c] + p, r[c]);
    }
  }
  for (; p < n; p++) {
    for (int c = 0; c < 8; c++) dst[c][p] = src[p * 8 + (size_t)c];
  }
}

void ep_wg_block_row__neon(const float* const src[8], size_t n, float* dst) {
  size_t p = 0;
  for (; p + 4 <= n; p += 4) {
    for (int h = 0; h < 8; h += 4) {
      float32x4_t r[4];
      for (int c = 0; c < 4; c++) r[c] = vld1q_f32(src[h + c] + p);
      transpose4x4(r);
      for (int i = 0; i < 4; i++) vst1q_f32(dst + (p + (size_t)i) * 8 + (size_t)h, r[i]);
    }
  }
  for (; p < n; p++) {
    for (int c = 0; c < 8; c++) dst[p * 8 + (size_t)c] = src[c][p];
  }
}

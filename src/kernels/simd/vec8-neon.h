/* An 8-lane vector shim for AArch64 NEON (internal): one `vf` is two float32x4_t, low lanes 0-3
 * and high lanes 4-7, behind the names of vec-avx2.h (see there), so that templates written over
 * 8 lanes (the NCHW8c cells, f32-nchwc-impl.h, whose vector is the 8 channels of one pixel) run
 * at the neon level unchanged. Included only by *-neon.c files, instead of vec-neon.h (whose `vf`
 * is one register): every operation here is two NEON instructions, a broadcast one ld1r.
 *
 * The cells' tiles were sized for x86's 16 YMM registers; as pairs they take 32 NEON registers
 * at most (the pointwise tile: 6 pixels x 2 blocks of accumulators, 2 weight vectors and a
 * broadcast: 24 + 4 + 1 = 29), which AArch64 has. Semantics follow vec-avx2.h lane for lane,
 * NaN rules included (vec-neon.h's max / min). */
#ifndef EDGEPROF_KERNELS_SIMD_VEC8_NEON_H
#define EDGEPROF_KERNELS_SIMD_VEC8_NEON_H

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "vec8-neon.h is for AArch64 (name the file *-neon.c)"
#endif

#include <arm_neon.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct vf {
  float32x4_t lo, hi;
} vf;
#define VF_LANES 8

#define VEC8_INLINE static inline __attribute__((always_inline))

VEC8_INLINE vf vf_pair(float32x4_t lo, float32x4_t hi) {
  vf r;
  r.lo = lo;
  r.hi = hi;
  return r;
}

VEC8_INLINE vf vf_zero(void) { return vf_pair(vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)); }
VEC8_INLINE vf vf_set1(float x) {
  const float32x4_t v = vdupq_n_f32(x);
  return vf_pair(v, v);
}
VEC8_INLINE vf vf_load(const float* p) { return vf_pair(vld1q_f32(p), vld1q_f32(p + 4)); }
VEC8_INLINE void vf_store(float* p, vf v) {
  vst1q_f32(p, v.lo);
  vst1q_f32(p + 4, v.hi);
}
/* One ld1r; both halves are the same register. */
VEC8_INLINE vf vf_bcast(const float* p) {
  const float32x4_t v = vld1q_dup_f32(p);
  return vf_pair(v, v);
}
/* a * b + c, fused (two fmla). */
VEC8_INLINE vf vf_fmadd(vf a, vf b, vf c) {
  return vf_pair(vfmaq_f32(c.lo, a.lo, b.lo), vfmaq_f32(c.hi, a.hi, b.hi));
}
VEC8_INLINE vf vf_add(vf a, vf b) { return vf_pair(vaddq_f32(a.lo, b.lo), vaddq_f32(a.hi, b.hi)); }
VEC8_INLINE vf vf_sub(vf a, vf b) { return vf_pair(vsubq_f32(a.lo, b.lo), vsubq_f32(a.hi, b.hi)); }
VEC8_INLINE vf vf_mul(vf a, vf b) { return vf_pair(vmulq_f32(a.lo, b.lo), vmulq_f32(a.hi, b.hi)); }
VEC8_INLINE vf vf_div(vf a, vf b) { return vf_pair(vdivq_f32(a.lo, b.lo), vdivq_f32(a.hi, b.hi)); }
/* As vec-avx2.h's: a NaN in either operand gives the second (a compare and a select). */
VEC8_INLINE vf vf_max(vf a, vf b) {
  return vf_pair(vbslq_f32(vcgtq_f32(a.lo, b.lo), a.lo, b.lo),
                 vbslq_f32(vcgtq_f32(a.hi, b.hi), a.hi, b.hi));
}
VEC8_INLINE vf vf_min(vf a, vf b) {
  return vf_pair(vbslq_f32(vcltq_f32(a.lo, b.lo), a.lo, b.lo),
                 vbslq_f32(vcltq_f32(a.hi, b.hi), a.hi, b.hi));
}
VEC8_INLINE vf vf_abs(vf a) { return vf_pair(vabsq_f32(a.lo), vabsq_f32(a.hi)); }
/* The sign of `sign` on the magnitude of `mag`. */
VEC8_INLINE vf vf_copysign(vf mag, vf sign) {
  const uint32x4_t s = vdupq_n_u32(0x80000000u);
  return vf_pair(vbslq_f32(s, sign.lo, mag.lo), vbslq_f32(s, sign.hi, mag.hi));
}
/* x where x is NaN, else y. */
VEC8_INLINE vf vf_keep_nan(vf x, vf y) {
  return vf_pair(vbslq_f32(vceqq_f32(x.lo, x.lo), y.lo, x.lo),
                 vbslq_f32(vceqq_f32(x.hi, x.hi), y.hi, x.hi));
}
/* 2^n for integral n in [-126, 127], n given as a float. */
VEC8_INLINE vf vf_pow2_int(vf n) {
  const int32x4_t bias = vdupq_n_s32(127);
  return vf_pair(vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n.lo), bias), 23)),
                 vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(vcvtnq_s32_f32(n.hi), bias), 23)));
}
/* The bits of v shifted left by 23, as a float (vec-avx2.h). */
VEC8_INLINE vf vf_shl23(vf v) {
  return vf_pair(vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(v.lo), 23)),
                 vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(v.hi), 23)));
}
VEC8_INLINE float vf_hsum(vf v) { return vaddvq_f32(vaddq_f32(v.lo, v.hi)); }
VEC8_INLINE float vf_hmax(vf v) { return vmaxvq_f32(vmaxq_f32(v.lo, v.hi)); }

/* Comparisons (false where either is NaN) give a lane mask for vf_select (m ? a : b). */
typedef struct vmask {
  uint32x4_t lo, hi;
} vmask;
VEC8_INLINE vmask vf_lt(vf a, vf b) {
  vmask m;
  m.lo = vcltq_f32(a.lo, b.lo);
  m.hi = vcltq_f32(a.hi, b.hi);
  return m;
}
VEC8_INLINE vmask vf_gt(vf a, vf b) {
  vmask m;
  m.lo = vcgtq_f32(a.lo, b.lo);
  m.hi = vcgtq_f32(a.hi, b.hi);
  return m;
}
VEC8_INLINE vf vf_select(vmask m, vf a, vf b) {
  return vf_pair(vbslq_f32(m.lo, a.lo, b.lo), vbslq_f32(m.hi, a.hi, b.hi));
}
VEC8_INLINE bool vf_any(vmask m) { return vmaxvq_u32(vorrq_u32(m.lo, m.hi)) != 0; }
VEC8_INLINE vf vf_sqrt(vf a) { return vf_pair(vsqrtq_f32(a.lo), vsqrtq_f32(a.hi)); }
/* a * b - p exactly, for p = a * b rounded: the low part of the product. */
VEC8_INLINE vf vf_mul_err(vf a, vf b, vf p) {
  return vf_pair(vfmaq_f32(vnegq_f32(p.lo), a.lo, b.lo), vfmaq_f32(vnegq_f32(p.hi), a.hi, b.hi));
}
/* Lane j (a constant, 0-3) of each half of v broadcast over that half: two groups of 4 channels
 * per vector (f32-nchwc's window kernel); a multiply-add by it folds into fmla by element. */
VEC8_INLINE vf vf_splat_half_lane(vf v, int j) {
  switch (j) {
    case 0:
      return vf_pair(vdupq_laneq_f32(v.lo, 0), vdupq_laneq_f32(v.hi, 0));
    case 1:
      return vf_pair(vdupq_laneq_f32(v.lo, 1), vdupq_laneq_f32(v.hi, 1));
    case 2:
      return vf_pair(vdupq_laneq_f32(v.lo, 2), vdupq_laneq_f32(v.hi, 2));
    default:
      return vf_pair(vdupq_laneq_f32(v.lo, 3), vdupq_laneq_f32(v.hi, 3));
  }
}

#undef VEC8_INLINE

#endif /* EDGEPROF_KERNELS_SIMD_VEC8_NEON_H */

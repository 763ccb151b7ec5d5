/* The vector shim for AArch64 NEON (Advanced SIMD, internal): 4 floats per vector, the same names
 * as vec-avx2.h (see there). Included only by *-neon.c files, which the build compiles on
 * aarch64 alone; NEON with FMA and the float division are part of the base AArch64 ISA, so no
 * flags are needed and every AArch64 CPU runs them.
 *
 * AArch64 has 32 vector registers (x86 has 16 YMM), so the microkernels keep larger tiles in
 * registers, and FMA can take one operand as a lane of another register (fmla v.4s, v.4s,
 * v.s[i]): vf_fmadd_lane lets the GEMM template load 4 values of a packed A panel with one load
 * instead of broadcasting each (VF_HAS_FMADD_LANE). */
#ifndef EDGEPROF_KERNELS_SIMD_VEC_NEON_H
#define EDGEPROF_KERNELS_SIMD_VEC_NEON_H

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#error "vec-neon.h is for AArch64 (name the file *-neon.c)"
#endif

#include <arm_neon.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef float32x4_t vf;
#define VF_LANES 4
#define VF_HAS_FMADD_LANE 1

static inline vf vf_zero(void) { return vdupq_n_f32(0.0f); }
static inline vf vf_set1(float x) { return vdupq_n_f32(x); }
static inline vf vf_load(const float* p) { return vld1q_f32(p); }
static inline void vf_store(float* p, vf v) { vst1q_f32(p, v); }
static inline vf vf_bcast(const float* p) { return vld1q_dup_f32(p); }
/* a * b + c, fused (fmla). */
static inline vf vf_fmadd(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
/* a[lane] * b + c for lane in [0, VF_LANES): the lane operand of fmla must be a constant, and
 * the switch folds away where the caller's lane is one after unrolling. */
static inline __attribute__((always_inline)) vf vf_fmadd_lane(vf a, int lane, vf b, vf c) {
  switch (lane & 3) {
    case 0:
      return vfmaq_laneq_f32(c, b, a, 0);
    case 1:
      return vfmaq_laneq_f32(c, b, a, 1);
    case 2:
      return vfmaq_laneq_f32(c, b, a, 2);
    default:
      return vfmaq_laneq_f32(c, b, a, 3);
  }
}
static inline vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vf_sub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vf_div(vf a, vf b) { return vdivq_f32(a, b); }
/* As in vec-avx2.h, a NaN in either operand gives the second: fmax/fmin propagate NaN and
 * fmaxnm/fminnm drop it, neither is x86's maxps, so a compare and a select (a > b ? a : b). */
static inline vf vf_max(vf a, vf b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
static inline vf vf_min(vf a, vf b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
static inline vf vf_abs(vf a) { return vabsq_f32(a); }
/* The sign of `sign` on the magnitude of `mag`. */
static inline vf vf_copysign(vf mag, vf sign) {
  return vbslq_f32(vdupq_n_u32(0x80000000u), sign, mag);
}
/* x where x is NaN, else y. */
static inline vf vf_keep_nan(vf x, vf y) { return vbslq_f32(vceqq_f32(x, x), y, x); }
/* 2^n for integral n in [-126, 127], n given as a float. */
static inline vf vf_pow2_int(vf n) {
  const int32x4_t e = vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127));
  return vreinterpretq_f32_s32(vshlq_n_s32(e, 23));
}
/* The bits of v shifted left by 23, as a float (vec-avx2.h). */
static inline vf vf_shl23(vf v) {
  return vreinterpretq_f32_u32(vshlq_n_u32(vreinterpretq_u32_f32(v), 23));
}
static inline float vf_hsum(vf v) { return vaddvq_f32(v); }
static inline float vf_hmax(vf v) { return vmaxvq_f32(v); }

/* Loads and stores of the first n lanes (0 < n < VF_LANES); the other lanes are neither read
 * nor written. Loaded lanes past n are zero. */
static inline vf vf_load_tail(const float* p, size_t n) {
  if (n >= VF_LANES) return vld1q_f32(p);
  vf v = vdupq_n_f32(0.0f);
  if (n & 2) {
    v = vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f));
    if (n & 1) v = vld1q_lane_f32(p + 2, v, 2);
  } else if (n & 1) {
    v = vld1q_lane_f32(p, v, 0);
  }
  return v;
}
static inline void vf_store_tail(float* p, size_t n, vf v) {
  if (n >= VF_LANES) {
    vst1q_f32(p, v);
    return;
  }
  if (n & 2) {
    vst1_f32(p, vget_low_f32(v));
    if (n & 1) vst1q_lane_f32(p + 2, v, 2);
  } else if (n & 1) {
    vst1q_lane_f32(p, v, 0);
  }
}

/* Even and odd elements of the 2 * VF_LANES floats in lo, hi (lo first). */
static inline void vf_deinterleave2(vf lo, vf hi, vf* even, vf* odd) {
  *even = vuzp1q_f32(lo, hi);
  *odd = vuzp2q_f32(lo, hi);
}

/* The inverse: lo = a0 b0 a1 b1, hi = a2 b2 a3 b3. */
static inline void vf_interleave2(vf a, vf b, vf* lo, vf* hi) {
  *lo = vzip1q_f32(a, b);
  *hi = vzip2q_f32(a, b);
}

/* Even and odd elements of the 2 * VF_LANES floats at p: stride-2 access (ld2). */
static inline void vf_load_deinterleave(const float* p, vf* even, vf* odd) {
  const float32x4x2_t v = vld2q_f32(p);
  *even = v.val[0];
  *odd = v.val[1];
}

/* As in vec-avx2.h. */
typedef uint32x4_t vmask;
static inline vmask vf_lt(vf a, vf b) { return vcltq_f32(a, b); }
static inline vmask vf_gt(vf a, vf b) { return vcgtq_f32(a, b); }
static inline vf vf_select(vmask m, vf a, vf b) { return vbslq_f32(m, a, b); }
static inline vf vf_sqrt(vf a) { return vsqrtq_f32(a); }
static inline vf vf_mul_err(vf a, vf b, vf p) { return vfmaq_f32(vnegq_f32(p), a, b); }
static inline vf vf_split_exp(vf x, vf* m) {
  const uint32x4_t bits = vreinterpretq_u32_f32(x);
  *m = vreinterpretq_f32_u32(
      vorrq_u32(vandq_u32(bits, vdupq_n_u32(0x007fffff)), vdupq_n_u32(0x3f800000)));
  return vcvtq_f32_s32(
      vsubq_s32(vreinterpretq_s32_u32(vshrq_n_u32(bits, 23)), vdupq_n_s32(127)));
}
static inline bool vf_any(vmask m) { return vmaxvq_u32(m) != 0; }

#endif /* EDGEPROF_KERNELS_SIMD_VEC_NEON_H */

/* The vector shim for AVX2 + FMA (internal): 8 floats per vector. Included only by *-avx2.c
 * files, which the build compiles with -mavx2 -mfma.
 *
 * The shims (vec-avx2.h, vec-avx512f.h) define the same names over their own vector width, and
 * kernel templates (*-impl.h) are written once against them: each ISA variant is then a file
 * that includes its shim and the template, and the AVX-512 variants, which cannot be run on
 * every machine, share their logic with the AVX2 ones that can. Every function is static inline
 * so that each ISA's translation unit has its own copy, compiled with its own flags. */
#ifndef EDGEPROF_KERNELS_SIMD_VEC_AVX2_H
#define EDGEPROF_KERNELS_SIMD_VEC_AVX2_H

#if !defined(__AVX2__) || !defined(__FMA__)
#error "vec-avx2.h needs -mavx2 -mfma (name the file *-avx2.c)"
#endif

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef __m256 vf;
#define VF_LANES 8

static inline vf vf_zero(void) { return _mm256_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm256_set1_ps(x); }
static inline vf vf_load(const float* p) { return _mm256_loadu_ps(p); }
static inline void vf_store(float* p, vf v) { _mm256_storeu_ps(p, v); }
static inline vf vf_bcast(const float* p) { return _mm256_broadcast_ss(p); }
static inline vf vf_fmadd(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf vf_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm256_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm256_div_ps(a, b); }
/* max/min return the second operand when either is NaN: with the data first and a bound second,
 * a NaN becomes the bound, as the scalar `x > 0 ? x : 0` does. */
static inline vf vf_max(vf a, vf b) { return _mm256_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm256_min_ps(a, b); }
static inline vf vf_abs(vf a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
/* The sign of `sign` on the magnitude of `mag`. */
static inline vf vf_copysign(vf mag, vf sign) {
  const vf s = _mm256_set1_ps(-0.0f);
  return _mm256_or_ps(_mm256_andnot_ps(s, mag), _mm256_and_ps(s, sign));
}
/* x where x is NaN, else y. */
static inline vf vf_keep_nan(vf x, vf y) {
  return _mm256_blendv_ps(y, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
}
/* 2^n for integral n in [-126, 127], n given as a float. */
static inline vf vf_pow2_int(vf n) {
  const __m256i e = _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127));
  return _mm256_castsi256_ps(_mm256_slli_epi32(e, 23));
}
/* The bits of v shifted left by 23, as a float: with v = 0x1.8000FEp23 + n (n integral, the
 * magic's low bits holding n + 127), 2^n for n in [-126, 127] (vec-act.h's exp). */
static inline vf vf_shl23(vf v) {
  return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(v), 23));
}
static inline float vf_hsum(vf v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float vf_hmax(vf v) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

/* Loads and stores of the first n lanes (0 < n < VF_LANES); the other lanes are neither read
 * (no fault past the end of an array) nor written. Loaded lanes past n are zero. */
static inline __m256i vf_tail_mask(size_t n) {
  static const int32_t table[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
  return _mm256_loadu_si256((const __m256i*)(table + 8 - n));
}
static inline vf vf_load_tail(const float* p, size_t n) {
  return _mm256_maskload_ps(p, vf_tail_mask(n));
}
/* Plain 4-, 2- and 1-float stores rather than vmaskmovps, whose store form costs about 25 cycles
 * on AMD Zen 3 (against 6 for this; masked loads are cheap there). */
static inline void vf_store_tail(float* p, size_t n, vf v) {
  if (n >= VF_LANES) {
    _mm256_storeu_ps(p, v);
    return;
  }
  __m128 part = _mm256_castps256_ps128(v);
  if (n & 4) {
    _mm_storeu_ps(p, part);
    part = _mm256_extractf128_ps(v, 1);
    p += 4;
  }
  if (n & 2) {
    _mm_storel_pi((__m64*)(void*)p, part);
    part = _mm_movehl_ps(part, part);
    p += 2;
  }
  if (n & 1) _mm_store_ss(p, part);
}

/* Even and odd elements of the 2 * VF_LANES floats in lo, hi (lo first). */
static inline void vf_deinterleave2(vf lo, vf hi, vf* even, vf* odd) {
  /* [a0 a2 b0 b2 | a4 a6 b4 b6] with a = lo, b = hi, then the 64-bit lanes put in order. */
  const vf e = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
  const vf o = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
  *even = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0)));
  *odd = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0)));
}

/* The inverse: lo = a0 b0 a1 b1 ..., hi = the second half of the same sequence. */
static inline void vf_interleave2(vf a, vf b, vf* lo, vf* hi) {
  const vf l = _mm256_unpacklo_ps(a, b); /* a0 b0 a1 b1 | a4 b4 a5 b5 */
  const vf h = _mm256_unpackhi_ps(a, b); /* a2 b2 a3 b3 | a6 b6 a7 b7 */
  *lo = _mm256_permute2f128_ps(l, h, 0x20);
  *hi = _mm256_permute2f128_ps(l, h, 0x31);
}

/* Even and odd elements of the 2 * VF_LANES floats at p: stride-2 access. */
static inline void vf_load_deinterleave(const float* p, vf* even, vf* odd) {
  vf_deinterleave2(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8), even, odd);
}

/* Comparisons (false where either is NaN) give a lane mask for vf_select (m ? a : b). */
typedef __m256 vmask;
static inline vmask vf_lt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
static inline vmask vf_gt(vf a, vf b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
static inline vf vf_select(vmask m, vf a, vf b) { return _mm256_blendv_ps(b, a, m); }
static inline vf vf_sqrt(vf a) { return _mm256_sqrt_ps(a); }
/* Lane j (a constant, 0-3) of each half of v broadcast over that half: two groups of 4 channels
 * per vector, each channel of a group against the group's outputs (f32-nchwc's window kernel).
 * AVX2 only: the blocked kernels are. */
static inline vf vf_splat_half_lane(vf v, int j) {
  switch (j) {
    case 0:
      return _mm256_permute_ps(v, 0x00);
    case 1:
      return _mm256_permute_ps(v, 0x55);
    case 2:
      return _mm256_permute_ps(v, 0xAA);
    default:
      return _mm256_permute_ps(v, 0xFF);
  }
}
/* a * b - p exactly, for p = a * b rounded: the low part of the product. */
static inline vf vf_mul_err(vf a, vf b, vf p) { return _mm256_fmsub_ps(a, b, p); }
/* x = m 2^e for positive normal x: returns e, m in [1, 2) in *m. */
static inline vf vf_split_exp(vf x, vf* m) {
  const __m256i bits = _mm256_castps_si256(x);
  *m = _mm256_castsi256_ps(_mm256_or_si256(_mm256_and_si256(bits, _mm256_set1_epi32(0x007fffff)),
                                           _mm256_set1_epi32(0x3f800000)));
  return _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_srli_epi32(bits, 23), _mm256_set1_epi32(127)));
}
/* Whether any lane of m is set. */
static inline bool vf_any(vmask m) { return _mm256_movemask_ps(m) != 0; }

#endif /* EDGEPROF_KERNELS_SIMD_VEC_AVX2_H */

/* The vector shim for AVX-512F (internal): 16 floats per vector, the same names as vec-avx2.h
 * (see there). Included only by *-avx512f.c files, compiled with -mavx512f -mfma. Only AVX-512F
 * instructions: no DQ (float and/or go through the integer forms), no VL, no BW. */
#ifndef EDGEPROF_KERNELS_SIMD_VEC_AVX512F_H
#define EDGEPROF_KERNELS_SIMD_VEC_AVX512F_H

#if !defined(__AVX512F__) || !defined(__FMA__)
#error "vec-avx512f.h needs -mavx512f -mfma (name the file *-avx512f.c)"
#endif

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef __m512 vf;
#define VF_LANES 16

static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_set1(float x) { return _mm512_set1_ps(x); }
static inline vf vf_load(const float* p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float* p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vf_bcast(const float* p) { return _mm512_set1_ps(*p); }
static inline vf vf_fmadd(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
/* As in vec-avx2.h: a NaN in the first operand gives the second. */
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vf_abs(vf a) {
  return _mm512_castsi512_ps(
      _mm512_and_epi32(_mm512_castps_si512(a), _mm512_set1_epi32(0x7fffffff)));
}
static inline vf vf_copysign(vf mag, vf sign) {
  const __m512i s = _mm512_set1_epi32((int)0x80000000u);
  return _mm512_castsi512_ps(_mm512_or_epi32(_mm512_andnot_epi32(s, _mm512_castps_si512(mag)),
                                             _mm512_and_epi32(s, _mm512_castps_si512(sign))));
}
static inline vf vf_keep_nan(vf x, vf y) {
  return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), y, x);
}
static inline vf vf_pow2_int(vf n) {
  const __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
  return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}
/* The bits of v shifted left by 23, as a float (vec-avx2.h). */
static inline vf vf_shl23(vf v) {
  return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(v), 23));
}
static inline float vf_hsum(vf v) { return _mm512_reduce_add_ps(v); }
static inline float vf_hmax(vf v) { return _mm512_reduce_max_ps(v); }

static inline __mmask16 vf_tail_mask(size_t n) { return (__mmask16)((1u << n) - 1u); }
static inline vf vf_load_tail(const float* p, size_t n) {
  return _mm512_maskz_loadu_ps(vf_tail_mask(n), p);
}
static inline void vf_store_tail(float* p, size_t n, vf v) {
  _mm512_mask_storeu_ps(p, vf_tail_mask(n), v);
}

static inline void vf_deinterleave2(vf lo, vf hi, vf* even, vf* odd) {
  const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  *even = _mm512_permutex2var_ps(lo, ie, hi);
  *odd = _mm512_permutex2var_ps(lo, io, hi);
}

static inline void vf_interleave2(vf a, vf b, vf* lo, vf* hi) {
  const __m512i il = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i ih =
      _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  *lo = _mm512_permutex2var_ps(a, il, b);
  *hi = _mm512_permutex2var_ps(a, ih, b);
}

static inline void vf_load_deinterleave(const float* p, vf* even, vf* odd) {
  vf_deinterleave2(_mm512_loadu_ps(p), _mm512_loadu_ps(p + 16), even, odd);
}

/* As in vec-avx2.h. */
typedef __mmask16 vmask;
static inline vmask vf_lt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
static inline vmask vf_gt(vf a, vf b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
static inline vf vf_select(vmask m, vf a, vf b) { return _mm512_mask_blend_ps(m, b, a); }
static inline vf vf_sqrt(vf a) { return _mm512_sqrt_ps(a); }
static inline vf vf_mul_err(vf a, vf b, vf p) { return _mm512_fmsub_ps(a, b, p); }
static inline vf vf_split_exp(vf x, vf* m) {
  const __m512i bits = _mm512_castps_si512(x);
  *m = _mm512_castsi512_ps(_mm512_or_epi32(_mm512_and_epi32(bits, _mm512_set1_epi32(0x007fffff)),
                                           _mm512_set1_epi32(0x3f800000)));
  return _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_srli_epi32(bits, 23), _mm512_set1_epi32(127)));
}
static inline bool vf_any(vmask m) { return m != 0; }

#endif /* EDGEPROF_KERNELS_SIMD_VEC_AVX512F_H */

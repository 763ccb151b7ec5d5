/* The vector shim of the scalar level (internal): one float per "vector", so that a template
 * written for the vector shims also builds the scalar variant of its family from the same
 * logic (the element-wise math of kernels/unary). Portable C: no intrinsics, any architecture.
 *
 * The operations keep the vector shims' semantics where they differ from plain C: vf_max and
 * vf_min give the second operand when either is NaN (x86's maxps), vf_mul_err is exact (fmaf). */
#ifndef EDGEPROF_KERNELS_SIMD_VEC_SCALAR_H
#define EDGEPROF_KERNELS_SIMD_VEC_SCALAR_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef float vf;
#define VF_LANES 1

static inline vf vf_zero(void) { return 0.0f; }
static inline vf vf_set1(float x) { return x; }
static inline vf vf_load(const float* p) { return *p; }
static inline void vf_store(float* p, vf v) { *p = v; }
static inline vf vf_bcast(const float* p) { return *p; }
/* Not fused: the scalar level is compiled without FMA, where fmaf is a library call. */
static inline vf vf_fmadd(vf a, vf b, vf c) { return a * b + c; }
static inline vf vf_add(vf a, vf b) { return a + b; }
static inline vf vf_sub(vf a, vf b) { return a - b; }
static inline vf vf_mul(vf a, vf b) { return a * b; }
static inline vf vf_div(vf a, vf b) { return a / b; }
static inline vf vf_max(vf a, vf b) { return a > b ? a : b; }
static inline vf vf_min(vf a, vf b) { return a < b ? a : b; }
static inline vf vf_abs(vf a) { return fabsf(a); }
static inline vf vf_copysign(vf mag, vf sign) { return copysignf(mag, sign); }
static inline vf vf_keep_nan(vf x, vf y) { return x != x ? x : y; }
static inline vf vf_pow2_int(vf n) {
  const uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}
/* The bits of v shifted left by 23, as a float (vec-avx2.h). */
static inline vf vf_shl23(vf v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  bits <<= 23;
  memcpy(&v, &bits, sizeof v);
  return v;
}
static inline float vf_hsum(vf v) { return v; }
static inline float vf_hmax(vf v) { return v; }
/* Never called with one lane (a tail is 0 < n < VF_LANES); here for the templates' loops. */
static inline vf vf_load_tail(const float* p, size_t n) { return n > 0 ? *p : 0.0f; }
static inline void vf_store_tail(float* p, size_t n, vf v) {
  if (n > 0) *p = v;
}

typedef int vmask;
static inline vmask vf_lt(vf a, vf b) { return a < b; }
static inline vmask vf_gt(vf a, vf b) { return a > b; }
static inline vf vf_select(vmask m, vf a, vf b) { return m ? a : b; }
static inline vf vf_sqrt(vf a) { return sqrtf(a); }
static inline vf vf_mul_err(vf a, vf b, vf p) { return fmaf(a, b, -p); }
static inline vf vf_split_exp(vf x, vf* m) {
  uint32_t bits;
  memcpy(&bits, &x, sizeof bits);
  const uint32_t mb = (bits & 0x007fffffu) | 0x3f800000u;
  memcpy(m, &mb, sizeof mb);
  return (float)((int32_t)(bits >> 23) - 127);
}
static inline bool vf_any(vmask m) { return m != 0; }

#endif /* EDGEPROF_KERNELS_SIMD_VEC_SCALAR_H */

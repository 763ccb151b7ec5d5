/* GELU over whichever vector shim (simd/vec-*.h) the including file put before it (internal):
 * the exact (erf) form x Phi(x) and the tanh form, written once for the element-wise Gelu op
 * (unary/unary-impl.h) and the GEMM epilogues (simd/vec-act.h), so that a GELU fused into a
 * MatMul gives the same floats as the Gelu node it replaces. The exp and erfc they build on are
 * unary-impl.h's (its header comment has their derivation and accuracy):
 * erfc(z), z >= 0: t exp(-z^2 + P(t)), t = 1 / (1 + z/2), P of degree 9 (Numerical Recipes'
 * erfcc, relative error 1.05e-7), the exp argument carried as two floats where the result must
 * stay relative to 1e-6 into the tail. Gelu: x Phi(x) with Phi(x) = 1 - erfc(|x| / sqrt 2) / 2 for
 * x >= 0, erfc(|x| / sqrt 2) / 2 below: no cancellation in the negative tail. Gelu tanh:
 * 0.5 x (1 + tanh u) = x sigmoid(2u). */
#ifndef EDGEPROF_KERNELS_SIMD_VEC_GELU_H
#define EDGEPROF_KERNELS_SIMD_VEC_GELU_H

#include <stdbool.h>

#define EP_VG_INLINE static inline __attribute__((always_inline))

/* exp(x + lo) for |lo| below an ulp of x (with_lo; else exp(x)): lo joins the reduced argument,
 * so that a sum carried as two floats goes in whole. full: over the whole float range (inf,
 * subnormals); else x is clamped to [-87.34, 88], results from 1.2e-38 to 1.65e38, with one
 * scaling multiply fewer. NaN gives a number: callers put NaN back. */
EP_VG_INLINE vf vf_exp_core(vf x, vf lo, bool with_lo, bool full) {
  const vf t = full ? vf_max(vf_min(x, vf_set1(89.0f)), vf_set1(-105.0f))
                    : vf_max(vf_min(x, vf_set1(88.0f)), vf_set1(-87.33654f));
  const vf magic = vf_set1(12582912.0f);
  const vf n = vf_sub(vf_fmadd(t, vf_set1(1.44269504088896341f), magic), magic);
  vf r = vf_fmadd(n, vf_set1(-0.693359375f), t);
  r = vf_fmadd(n, vf_set1(2.12194440e-4f), r);
  if (with_lo) r = vf_add(r, lo);
  vf p = vf_set1(1.9875691500e-4f);
  p = vf_fmadd(p, r, vf_set1(1.3981999507e-3f));
  p = vf_fmadd(p, r, vf_set1(8.3334519073e-3f));
  p = vf_fmadd(p, r, vf_set1(4.1665795894e-2f));
  p = vf_fmadd(p, r, vf_set1(1.6666665459e-1f));
  p = vf_fmadd(p, r, vf_set1(5.0000001201e-1f));
  p = vf_add(vf_fmadd(p, vf_mul(r, r), r), vf_set1(1.0f));
  if (!full) return vf_mul(p, vf_pow2_int(n));
  /* n in [-152, 129]: n1 = round(n / 2) and n - n1 are both in [-76, 65]. */
  const vf n1 = vf_sub(vf_fmadd(n, vf_set1(0.5f), magic), magic);
  return vf_mul(vf_mul(p, vf_pow2_int(n1)), vf_pow2_int(vf_sub(n, n1)));
}

/* erfc(z) for z >= 0 (not NaN) given z^2 = z2 + z2_lo exactly: in relative precision down to
 * the subnormals (precise), or (for 1 - erfc, z <= 4) within an ulp of 1, z2_lo unused. */
EP_VG_INLINE vf vf_erfc_pos(vf z, vf z2, vf z2_lo, bool precise) {
  const vf t = vf_div(vf_set1(1.0f), vf_fmadd(z, vf_set1(0.5f), vf_set1(1.0f)));
  vf p = vf_set1(0.17087277f);
  p = vf_fmadd(p, t, vf_set1(-0.82215223f));
  p = vf_fmadd(p, t, vf_set1(1.48851587f));
  p = vf_fmadd(p, t, vf_set1(-1.13520398f));
  p = vf_fmadd(p, t, vf_set1(0.27886807f));
  p = vf_fmadd(p, t, vf_set1(-0.18628806f));
  p = vf_fmadd(p, t, vf_set1(0.09678418f));
  p = vf_fmadd(p, t, vf_set1(0.37409196f));
  p = vf_fmadd(p, t, vf_set1(1.00002368f));
  p = vf_fmadd(p, t, vf_set1(-1.26551223f));
  if (!precise) return vf_mul(t, vf_exp_core(vf_sub(p, z2), vf_zero(), false, false));
  /* exp(-z^2 + P) with -z2 + (P - z2_lo) summed as two floats (Knuth's TwoSum): the rounding of
   * a sum up to 105 in magnitude would cost |sum| ulps of relative error otherwise. */
  const vf a = vf_sub(vf_zero(), z2), b = vf_sub(p, z2_lo);
  const vf s = vf_add(a, b);
  const vf bb = vf_sub(s, a);
  const vf err = vf_add(vf_sub(a, vf_sub(s, bb)), vf_sub(b, bb));
  return vf_mul(t, vf_exp_core(s, err, true, true));
}

/* Phi(x) = 1 - erfc(z) / 2 for x >= 0 and erfc(z) / 2 below, z = |x| / sqrt 2: erfc in relative
 * precision only where a lane has x < -2.8 (z^2 > 4, where the exp argument's rounding would
 * pass 2.4e-7), about 4% of 16-lane vectors of normally distributed activations. |x| is capped
 * at 28.3, where erfc is 0 in float anyway. */
EP_VG_INLINE vf vf_gelu(vf x) {
  const vf ax = vf_min(vf_abs(x), vf_set1(28.3f));
  const vf z = vf_mul(ax, vf_set1(0.70710678118654752f));
  const vf x2 = vf_mul(ax, ax);
  vf erfc;
  if (vf_any(vf_lt(x, vf_set1(-2.8f)))) {
    erfc = vf_erfc_pos(z, vf_mul(x2, vf_set1(0.5f)), vf_mul(vf_mul_err(ax, ax, x2), vf_set1(0.5f)),
                      true);
  } else {
    erfc = vf_erfc_pos(z, vf_mul(x2, vf_set1(0.5f)), vf_zero(), false);
  }
  const vf half_erfc = vf_mul(vf_set1(0.5f), erfc);
  const vf phi = vf_select(vf_lt(x, vf_zero()), half_erfc, vf_sub(vf_set1(1.0f), half_erfc));
  return vf_keep_nan(x, vf_mul(x, phi));
}

/* x sigmoid(2u), 2u = 2 sqrt(2 / pi) (x + 0.044715 x^3). */
EP_VG_INLINE vf vf_gelu_tanh(vf x) {
  const vf x2 = vf_mul(x, x);
  const vf v = vf_mul(x, vf_fmadd(x2, vf_set1(0.0713548162726f), vf_set1(1.5957691216057f)));
  /* sigmoid(v) = 1 / (1 + e) or e / (1 + e) with e = exp(-|v|) <= 1: no overflow. */
  const vf e = vf_exp_core(vf_sub(vf_zero(), vf_abs(v)), vf_zero(), false, true);
  const vf s = vf_div(vf_select(vf_lt(v, vf_zero()), e, vf_set1(1.0f)), vf_add(vf_set1(1.0f), e));
  return vf_keep_nan(x, vf_mul(x, s));
}

#undef EP_VG_INLINE

#endif /* EDGEPROF_KERNELS_SIMD_VEC_GELU_H */

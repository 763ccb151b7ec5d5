/* Element-wise math template (internal): the ops of unary-math.h over one vector shim, a vector
 * at a time with a masked tail. Included once per ISA level after a shim and EP_UN_NAME(name);
 * defines EP_UN_NAME(kernels), an ep_unary_kernels.
 *
 * exp: Cephes' expf (x = n ln2 + r, ln2 in two parts, a degree-6 polynomial for exp(r)) as in
 *   vmath, but over the whole float range: 2^n is applied as two factors 2^(n/2), so that
 *   results overflow to inf above 88.72 and go subnormal below -87.34 as libm's do.
 * log: Cephes' logf (x = m 2^e with m in [sqrt(1/2), sqrt(2)), a degree-8 polynomial of m - 1);
 *   subnormal x are scaled by 2^23 first.
 * erfc(z), z >= 0: t exp(-z^2 + P(t)), t = 1 / (1 + z/2), P of degree 9 (Numerical Recipes'
 *   erfcc: relative error 1.05e-7 for every z, measured in double against libm's erfc). z^2 is
 *   carried as a rounded value and its exact error (vf_mul_err), and the exp argument, up to
 *   -105, as a two-float sum whose low part joins exp's reduced argument: erfc stays within 1e-6
 *   relative down to its subnormal results, with one exp.
 * erf(x): x P(x^2) (its Taylor series to x^15) below |x| = 0.5, else +-(1 - erfc(|x|)).
 * Gelu: x Phi(x) with Phi(x) = 1 - erfc(|x| / sqrt 2) / 2 for x >= 0, erfc(|x| / sqrt 2) / 2
 *   below: no cancellation in the negative tail. Gelu tanh: 0.5 x (1 + tanh u) = x sigmoid(2u).
 * Mish: tanh(log(1 + e)) = n / (n + 2) with n = e (e + 2), e = exp(min(x, 20)).
 * Softplus: max(x, 0) + log1p(exp(-|x|)), log1p(u) = log(w) u / (w - 1) with w = 1 + u (exact
 *   to a few ulp for small u, as in Goldberg's note). */
#include <stdbool.h>
#include <stddef.h>

#include "kernels/simd/vec-gelu.h"
#include "kernels/unary/unary-math.h"

#define EP_UN_INLINE static inline __attribute__((always_inline))


EP_UN_INLINE vf u_exp(vf x) { return vf_keep_nan(x, vf_exp_core(x, vf_zero(), false, true)); }

EP_UN_INLINE vf u_log(vf x) {
  const vf one = vf_set1(1.0f);
  /* Subnormal x: scaled into the normal range, the exponent corrected below. */
  const vmask tiny = vf_lt(x, vf_set1(1.17549435e-38f));
  const vf xs = vf_select(tiny, vf_mul(x, vf_set1(8388608.0f)), x);
  vf m;
  vf e = vf_split_exp(xs, &m);
  e = vf_select(tiny, vf_sub(e, vf_set1(23.0f)), e);
  /* m in [1, 2) -> [sqrt(1/2), sqrt(2)). */
  const vmask big = vf_gt(m, vf_set1(1.41421356f));
  m = vf_select(big, vf_mul(m, vf_set1(0.5f)), m);
  e = vf_select(big, vf_add(e, one), e);
  const vf f = vf_sub(m, one);
  const vf z = vf_mul(f, f);
  vf p = vf_set1(7.0376836292e-2f);
  p = vf_fmadd(p, f, vf_set1(-1.1514610310e-1f));
  p = vf_fmadd(p, f, vf_set1(1.1676998740e-1f));
  p = vf_fmadd(p, f, vf_set1(-1.2420140846e-1f));
  p = vf_fmadd(p, f, vf_set1(1.4249322787e-1f));
  p = vf_fmadd(p, f, vf_set1(-1.6668057665e-1f));
  p = vf_fmadd(p, f, vf_set1(2.0000714765e-1f));
  p = vf_fmadd(p, f, vf_set1(-2.4999993993e-1f));
  p = vf_fmadd(p, f, vf_set1(3.3333331174e-1f));
  vf y = vf_mul(vf_mul(p, z), f);
  y = vf_fmadd(e, vf_set1(-2.12194440e-4f), y);
  y = vf_fmadd(z, vf_set1(-0.5f), y);
  y = vf_add(f, y);
  y = vf_fmadd(e, vf_set1(0.693359375f), y);
  /* 0 -> -inf, below 0 -> NaN, +inf -> +inf; NaN stays. */
  const vf inf = vf_set1(__builtin_inff());
  y = vf_select(vf_lt(x, vf_set1(1.4e-45f)), vf_set1(-__builtin_inff()), y);
  y = vf_select(vf_lt(x, vf_zero()), vf_set1(__builtin_nanf("")), y);
  y = vf_select(vf_gt(x, vf_set1(3.40282347e38f)), inf, y);
  return vf_keep_nan(x, y);
}



EP_UN_INLINE vf u_erf(vf x) {
  const vf one = vf_set1(1.0f);
  const vf x2 = vf_mul(x, x);
  vf p = vf_set1(-1.492565035840625e-05f);
  p = vf_fmadd(p, x2, vf_set1(0.00012055332981789664f));
  p = vf_fmadd(p, x2, vf_set1(-0.0008548327023450852f));
  p = vf_fmadd(p, x2, vf_set1(0.005223977625442188f));
  p = vf_fmadd(p, x2, vf_set1(-0.026866170645131252f));
  p = vf_fmadd(p, x2, vf_set1(0.11283791670955126f));
  p = vf_fmadd(p, x2, vf_set1(-0.37612638903183754f));
  p = vf_fmadd(p, x2, vf_set1(1.1283791670955126f));
  const vf small = vf_mul(x, p);
  /* 1 - erfc needs erfc within an ulp of 1 only; erfc(4) = 1.5e-8 rounds away. */
  const vf ax = vf_min(vf_abs(x), vf_set1(4.0f));
  const vf erfc = vf_erfc_pos(ax, vf_mul(ax, ax), vf_zero(), false);
  const vf big = vf_copysign(vf_sub(one, erfc), x);
  return vf_keep_nan(x, vf_select(vf_lt(vf_abs(x), vf_set1(0.5f)), small, big));
}



EP_UN_INLINE vf u_mish(vf x) {
  const vf e = u_exp(vf_min(x, vf_set1(20.0f)));
  const vf n = vf_mul(e, vf_add(e, vf_set1(2.0f)));
  return vf_keep_nan(x, vf_mul(x, vf_div(n, vf_add(n, vf_set1(2.0f)))));
}

EP_UN_INLINE vf u_softplus(vf x) {
  const vf one = vf_set1(1.0f);
  const vf u = u_exp(vf_sub(vf_zero(), vf_abs(x)));
  const vf w = vf_add(one, u);
  const vf d = vf_sub(w, one);
  /* d == 0 where u is below half an ulp of 1: log1p(u) = u. */
  const vf ratio = vf_div(u, vf_select(vf_gt(d, vf_zero()), d, one));
  const vf l = vf_select(vf_gt(d, vf_zero()), vf_mul(u_log(w), ratio), u);
  return vf_keep_nan(x, vf_add(vf_max(x, vf_zero()), l));
}

EP_UN_INLINE vf u_hard_sigmoid(vf x, vf alpha, vf beta) {
  return vf_keep_nan(x, vf_min(vf_max(vf_fmadd(x, alpha, beta), vf_zero()), vf_set1(1.0f)));
}

EP_UN_INLINE vf u_hard_swish(vf x) {
  const vf g =
      vf_min(vf_max(vf_fmadd(x, vf_set1(1.0f / 6.0f), vf_set1(0.5f)), vf_zero()), vf_set1(1.0f));
  return vf_keep_nan(x, vf_mul(x, g));
}

EP_UN_INLINE vf u_sqrt(vf x) { return vf_sqrt(x); }
EP_UN_INLINE vf u_reciprocal(vf x) { return vf_div(vf_set1(1.0f), x); }
EP_UN_INLINE vf u_neg(vf x) { return vf_mul(x, vf_set1(-1.0f)); }
EP_UN_INLINE vf u_abs(vf x) { return vf_abs(x); }
EP_UN_INLINE vf u_square(vf x) { return vf_mul(x, x); }
EP_UN_INLINE vf u_cube(vf x) { return vf_mul(vf_mul(x, x), x); }
/* pow(x, 0.5): sqrt, but +0 for -0 (-0 + 0 is +0) and +inf for -inf. */
EP_UN_INLINE vf u_pow_half(vf x) {
  const vf y = vf_add(vf_sqrt(x), vf_zero());
  return vf_select(vf_lt(x, vf_set1(-3.40282347e38f)), vf_set1(__builtin_inff()), y);
}

/* y[i] = f(x[i]): whole vectors, then a masked tail. */
#define EP_UN_MAP(name, expr)                                                                  \
  static void EP_UN_NAME(name)(size_t n, const float* x, float* y, const ep_unary_params* p) { \
    (void)p;                                                                                   \
    size_t i = 0;                                                                              \
    for (; i + VF_LANES <= n; i += VF_LANES) {                                                 \
      const vf v = vf_load(x + i);                                                             \
      vf_store(y + i, expr);                                                                   \
    }                                                                                          \
    if (i < n) {                                                                               \
      const vf v = vf_load_tail(x + i, n - i);                                                 \
      vf_store_tail(y + i, n - i, expr);                                                       \
    }                                                                                          \
  }

EP_UN_MAP(sqrt, u_sqrt(v))
EP_UN_MAP(reciprocal, u_reciprocal(v))
EP_UN_MAP(erf, u_erf(v))
EP_UN_MAP(gelu, vf_gelu(v))
EP_UN_MAP(gelu_tanh, vf_gelu_tanh(v))
EP_UN_MAP(hard_sigmoid, u_hard_sigmoid(v, vf_set1(p->alpha), vf_set1(p->beta)))
EP_UN_MAP(hard_swish, u_hard_swish(v))
EP_UN_MAP(mish, u_mish(v))
EP_UN_MAP(exp, u_exp(v))
EP_UN_MAP(log, u_log(v))
EP_UN_MAP(neg, u_neg(v))
EP_UN_MAP(abs, u_abs(v))
EP_UN_MAP(softplus, u_softplus(v))
EP_UN_MAP(square, u_square(v))
EP_UN_MAP(cube, u_cube(v))
EP_UN_MAP(pow_half, u_pow_half(v))

const ep_unary_kernels EP_UN_NAME(kernels) = {{
    [EP_UNARY_SQRT] = EP_UN_NAME(sqrt),
    [EP_UNARY_RECIPROCAL] = EP_UN_NAME(reciprocal),
    [EP_UNARY_ERF] = EP_UN_NAME(erf),
    [EP_UNARY_GELU] = EP_UN_NAME(gelu),
    [EP_UNARY_GELU_TANH] = EP_UN_NAME(gelu_tanh),
    [EP_UNARY_HARD_SIGMOID] = EP_UN_NAME(hard_sigmoid),
    [EP_UNARY_HARD_SWISH] = EP_UN_NAME(hard_swish),
    [EP_UNARY_MISH] = EP_UN_NAME(mish),
    [EP_UNARY_EXP] = EP_UN_NAME(exp),
    [EP_UNARY_LOG] = EP_UN_NAME(log),
    [EP_UNARY_NEG] = EP_UN_NAME(neg),
    [EP_UNARY_ABS] = EP_UN_NAME(abs),
    [EP_UNARY_SOFTPLUS] = EP_UN_NAME(softplus),
    [EP_UNARY_SQUARE] = EP_UN_NAME(square),
    [EP_UNARY_CUBE] = EP_UN_NAME(cube),
    [EP_UNARY_POW_HALF] = EP_UN_NAME(pow_half),
}};

#undef EP_UN_MAP
#undef EP_UN_INLINE

/* exp and tanh over whichever vector shim (simd/vec-*.h) the including file put before it
 * (internal): the element-wise passes (vmath) and the kernels that apply them in registers (the
 * LSTM cell) compute the same values.
 *
 * exp is simd/vec-gelu.h's vf_exp_core in its clamped form, the Cephes expf of activation.c
 * (x = n ln2 + r, a degree-6 polynomial for exp(r), 2^n built in the exponent bits, arguments
 * clamped to [-87.34, 88] so that 2^n stays a normal float), with FMAs: results agree with the
 * scalar loops to about 1 ulp. NaN inputs give NaN. */
#ifndef EDGEPROF_KERNELS_SIMD_VEC_EXP_H
#define EDGEPROF_KERNELS_SIMD_VEC_EXP_H

#include "kernels/simd/vec-gelu.h"

static inline __attribute__((always_inline)) vf vf_exp(vf x) {
  return vf_keep_nan(x, vf_exp_core(x, vf_zero(), false, false));
}

/* tanh|x| = (1 - e) / (1 + e) with e = exp(-2|x|) <= 1: nothing overflows. */
static inline __attribute__((always_inline)) vf vf_tanh(vf x) {
  const vf one = vf_set1(1.0f);
  const vf e = vf_exp(vf_mul(vf_set1(-2.0f), vf_abs(x)));
  return vf_keep_nan(x, vf_copysign(vf_div(vf_sub(one, e), vf_add(one, e)), x));
}

#endif /* EDGEPROF_KERNELS_SIMD_VEC_EXP_H */

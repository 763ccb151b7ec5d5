/* Activations that the convolution and GEMM epilogues apply in registers, over whichever vector
 * shim (simd/vec-*.h) the including file put before it (internal). ReLU and ReLU6 stay the
 * epilogues' own clamps; this adds hard swish and hard sigmoid (PyTorch's 1/6 and 1/2), which
 * cost an FMA, two clamps and a multiply: applied to each stored tile afterwards they cost more
 * than the 1x1 convolution itself (0.42 against 0.19 ms for Relu, 32 -> 96 channels at 56x56,
 * one Zen 4 core), mostly in the calls per tile row. Sigmoid and SiLU (EfficientNet's every
 * convolution) are here for the same reason: applied afterwards, per tile, they took 0.65 ms on
 * top of the 0.40 ms of a 16 -> 96 channel 1x1 convolution at 112x112 (one Zen 4 core), more
 * than a separate pass over the whole output (0.45 ms). */
#ifndef EDGEPROF_KERNELS_SIMD_VEC_ACT_H
#define EDGEPROF_KERNELS_SIMD_VEC_ACT_H

#include <stdbool.h>

#include "edgeprof/graph.h"
#include "kernels/simd/vec-gelu.h"

static inline bool vf_act_is_hard(ep_activation act) {
  return act == EP_ACT_HARD_SWISH || act == EP_ACT_HARD_SIGMOID;
}

/* max(0, min(1, x / 6 + 1 / 2)), times x for hard swish; NaN stays NaN. */
static inline __attribute__((always_inline)) vf vf_hard_act(vf x, bool swish) {
  vf g = vf_fmadd(x, vf_set1(1.0f / 6.0f), vf_set1(0.5f));
  g = vf_keep_nan(x, vf_min(vf_max(g, vf_zero()), vf_set1(1.0f)));
  return swish ? vf_mul(x, g) : g;
}

static inline bool vf_act_is_logistic(ep_activation act) {
  return act == EP_ACT_SIGMOID || act == EP_ACT_SILU;
}

/* 1 / (1 + exp(-x)), as XNNPACK's rr2-p5-div: with z = -|x| <= 0, e = exp(z) is 2^n exp(t) for
 * n = round(z / ln2) (2^n built from the rounding's magic number, vf_shl23), t = z - n ln2 in
 * two parts and a degree-5 polynomial; then e / (1 + e), which nothing can overflow, and 1 - that
 * for x > 0. Below z = -87.34 exp(z) would be denormal and the result is 0 (the true value is
 * under 1.2e-38). Relative error at most 2.7e-7 (3.5 ulp) against double-precision libm over
 * every float (a sweep of [-120, 120] by bits, AVX2); the Cephes exp behind it before had 7 FMAs
 * more and two NaN blends. sigmoid(+-inf) = 1 / 0, NaN stays NaN. */
static inline __attribute__((always_inline)) vf vf_sigmoid(vf x) {
  const vf one = vf_set1(1.0f), zero = vf_zero();
  const vf z = vf_sub(zero, vf_abs(x));
  const vf magic = vf_set1(0x1.8000FEp23f);
  vf n = vf_fmadd(z, vf_set1(0x1.715476p0f), magic);
  const vf s = vf_shl23(n);
  n = vf_sub(n, magic);
  vf t = vf_fmadd(n, vf_set1(-0x1.62E400p-1f), z);
  t = vf_fmadd(n, vf_set1(-0x1.7F7D1Cp-20f), t);
  vf p = vf_fmadd(vf_set1(0x1.0F9F9Cp-7f), t, vf_set1(0x1.573A1Ap-5f));
  p = vf_fmadd(p, t, vf_set1(0x1.555A80p-3f));
  p = vf_fmadd(p, t, vf_set1(0x1.FFFDC6p-2f));
  p = vf_fmadd(p, t, vf_set1(0x1.FFFFF6p-1f));
  t = vf_mul(t, s);
  const vf e = vf_fmadd(t, p, s);
  vf f = vf_div(e, vf_add(e, one));
  f = vf_select(vf_lt(z, vf_set1(-0x1.5D589Ep+6f)), zero, f);
  return vf_select(vf_gt(x, zero), vf_sub(one, f), f);
}

/* sigmoid(x), or x sigmoid(x) (SiLU) with silu. */
static inline __attribute__((always_inline)) vf vf_logistic_act(vf x, bool silu) {
  const vf s = vf_sigmoid(x);
  return silu ? vf_mul(x, s) : s;
}

static inline bool vf_act_is_gelu(ep_activation act) {
  return act == EP_ACT_GELU || act == EP_ACT_GELU_TANH;
}

/* GELU, the exact form or (tanh_form) the tanh one: vec-gelu.h's, as the Gelu op computes it.
 * A transformer's MLP (MatMul, bias, GELU) applied it per stored tile before, as a node of its
 * own: 1.2% of ViT-B/16's time, plus a pass over the 197 x 3072 activations. */
static inline __attribute__((always_inline)) vf vf_gelu_act(vf x, bool tanh_form) {
  return tanh_form ? vf_gelu_tanh(x) : vf_gelu(x);
}

#endif /* EDGEPROF_KERNELS_SIMD_VEC_ACT_H */

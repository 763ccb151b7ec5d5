/* Fused activations and the vector math behind them.
 *
 * exp is Cephes' expf (x = n ln2 + r, |r| <= ln2 / 2, a degree-6 polynomial for exp(r) and 2^n
 * built in the exponent bits), written so that GCC vectorizes it without -ffast-math. Under the
 * default -ftrapping-math GCC will not if-convert a comparison feeding arithmetic, so the clamps
 * live in their own loops (pure selects, which it does vectorize) over a small stack block.
 * These loops are the scalar ISA level; the AVX2 and AVX-512 levels run kernels/vmath. */
#include "kernels/activation.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/unary/unary-math.h"
#include "kernels/vmath/vmath.h"

enum { BLOCK = 64 };

/* The upper bound keeps 2^n finite (n <= 127); the lower one keeps it normal (n >= -126). */
#define EXP_HI 88.0f
#define EXP_LO (-87.33654f)

static void clamp_exp_arg(size_t n, float* t) {
  for (size_t i = 0; i < n; i++) {
    float v = t[i] < EXP_HI ? t[i] : EXP_HI;
    t[i] = v > EXP_LO ? v : EXP_LO;
  }
}

/* x must already be clamped to [EXP_LO, EXP_HI]. */
static inline float exp_core(float x) {
  /* Adding and subtracting 1.5 * 2^23 rounds to the nearest integer (|x log2 e| < 2^22). */
  const float magic = 12582912.0f;
  float n = (x * 1.44269504088896341f + magic) - magic;
  /* ln2 split in two so that n * ln2_hi is exact. */
  float r = x - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

/* The clamps turn NaN into a number; put it back so that bad inputs stay visible. */
static void keep_nan(size_t n, const float* restrict x, float* restrict y) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] != x[i] ? x[i] : y[i];
}

void ep_f32_vexp(size_t n, const float* x, float* y) {
  const ep_vmath* vm = ep_vmath_get();
  if (vm != NULL) {
    vm->exp(n, x, y);
    return;
  }
  float t[BLOCK];
  for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
    size_t m = n - i0 < BLOCK ? n - i0 : BLOCK;
    memcpy(t, x + i0, m * sizeof *t);
    clamp_exp_arg(m, t);
    for (size_t i = 0; i < m; i++) t[i] = exp_core(t[i]);
    keep_nan(m, x + i0, t);
    memcpy(y + i0, t, m * sizeof *y);
  }
}

void ep_f32_vsigmoid(size_t n, const float* x, float* y) {
  const ep_vmath* vm = ep_vmath_get();
  if (vm != NULL) {
    vm->sigmoid(n, x, y);
    return;
  }
  float t[BLOCK];
  for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
    size_t m = n - i0 < BLOCK ? n - i0 : BLOCK;
    for (size_t i = 0; i < m; i++) t[i] = -x[i0 + i];
    clamp_exp_arg(m, t);
    for (size_t i = 0; i < m; i++) t[i] = 1.0f / (1.0f + exp_core(t[i]));
    keep_nan(m, x + i0, t);
    memcpy(y + i0, t, m * sizeof *y);
  }
}

/* tanh|x| = (1 - e) / (1 + e) with e = exp(-2|x|): e <= 1, so nothing overflows. */
void ep_f32_vtanh(size_t n, const float* x, float* y) {
  const ep_vmath* vm = ep_vmath_get();
  if (vm != NULL) {
    vm->tanh(n, x, y);
    return;
  }
  float t[BLOCK];
  for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
    size_t m = n - i0 < BLOCK ? n - i0 : BLOCK;
    for (size_t i = 0; i < m; i++) t[i] = -2.0f * fabsf(x[i0 + i]);
    clamp_exp_arg(m, t);
    for (size_t i = 0; i < m; i++) {
      float e = exp_core(t[i]);
      t[i] = copysignf((1.0f - e) / (1.0f + e), x[i0 + i]);
    }
    keep_nan(m, x + i0, t);
    memcpy(y + i0, t, m * sizeof *y);
  }
}

void ep_activation_apply(ep_activation act, float* y, size_t n) {
  if (act == EP_ACT_NONE) return;
  const ep_vmath* vm = ep_vmath_get();
  if (vm != NULL) {
    vm->activation(act, y, n);
    return;
  }
  switch (act) {
    case EP_ACT_NONE:
      break;
    case EP_ACT_RELU:
      for (size_t i = 0; i < n; i++) y[i] = y[i] > 0.0f ? y[i] : 0.0f;
      break;
    case EP_ACT_RELU6:
      for (size_t i = 0; i < n; i++) {
        float v = y[i] > 0.0f ? y[i] : 0.0f;
        y[i] = v < 6.0f ? v : 6.0f;
      }
      break;
    case EP_ACT_SIGMOID:
      ep_f32_vsigmoid(n, y, y);
      break;
    case EP_ACT_TANH:
      ep_f32_vtanh(n, y, y);
      break;
    case EP_ACT_SILU:
      for (size_t i0 = 0; i0 < n; i0 += BLOCK) {
        size_t m = n - i0 < BLOCK ? n - i0 : BLOCK;
        float s[BLOCK];
        ep_f32_vsigmoid(m, y + i0, s);
        for (size_t i = 0; i < m; i++) y[i0 + i] *= s[i];
      }
      break;
    case EP_ACT_HARD_SWISH:
    case EP_ACT_HARD_SIGMOID:
      for (size_t i = 0; i < n; i++) {
        const float v = y[i];
        float g = v * (1.0f / 6.0f) + 0.5f;
        g = g > 0.0f ? g : 0.0f;
        g = g < 1.0f ? g : 1.0f;
        g = v != v ? v : g;
        y[i] = act == EP_ACT_HARD_SWISH ? v * g : g;
      }
      break;
    case EP_ACT_GELU:
    case EP_ACT_GELU_TANH: {
      /* The Gelu op's kernels: a fused GELU gives the floats of the node it replaced. */
      const ep_unary_params none = {0.0f, 0.0f};
      ep_unary_run(act == EP_ACT_GELU ? EP_UNARY_GELU : EP_UNARY_GELU_TANH, &none, n, y, y, NULL);
      break;
    }
  }
}

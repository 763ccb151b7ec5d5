/* Vector math template (internal): exp, sigmoid, tanh, fused activations (hard swish and hard
 * sigmoid with PyTorch's 1/6 and 1/2 included), add, softmax rows and
 * sums over arrays, a vector at a time with masked tails.
 *
 * sigmoid and SiLU are simd/vec-act.h's, as the convolution epilogues apply them; exp and tanh
 * (through it) are simd/vec-exp.h's: vec-gelu.h's vf_exp_core in its clamped form, the same
 * Cephes expf as activation.c, with FMAs (about 1 ulp from the scalar loops; NaN gives NaN), as
 * the LSTM cell applies them.
 *
 * Included once per ISA variant after a vector shim and EP_VM_NAME(name), which makes the
 * variant's function names; defines EP_VM_NAME(table), an ep_vmath. */
#include <stddef.h>

#include "kernels/simd/vec-act.h"
#include "kernels/simd/vec-exp.h"
#include "kernels/vmath/vmath.h"

#define EP_VM_INLINE static inline __attribute__((always_inline))

/* simd/vec-exp.h (vec-gelu.h's exp core in its clamped form: one polynomial for every vector
 * exp). */
EP_VM_INLINE vf v_exp(vf x) { return vf_exp(x); }

/* The epilogues' sigmoid (simd/vec-act.h): a fused activation and a separate pass agree. */
EP_VM_INLINE vf v_sigmoid(vf x) { return vf_sigmoid(x); }

EP_VM_INLINE vf v_tanh(vf x) { return vf_tanh(x); }

/* x * sigmoid(x); NaN stays NaN through both factors. */
EP_VM_INLINE vf v_silu(vf x) { return vf_mul(x, v_sigmoid(x)); }
/* max(0, min(1, x / 6 + 1 / 2)); NaN stays NaN. */
EP_VM_INLINE vf v_hard_sigmoid(vf x) {
  const vf g = vf_fmadd(x, vf_set1(1.0f / 6.0f), vf_set1(0.5f));
  return vf_keep_nan(x, vf_min(vf_max(g, vf_zero()), vf_set1(1.0f)));
}

EP_VM_INLINE vf v_hard_swish(vf x) { return vf_mul(x, v_hard_sigmoid(x)); }

EP_VM_INLINE vf v_act(ep_activation act, vf x) {
  switch (act) {
    case EP_ACT_RELU:
      return vf_max(x, vf_zero());
    case EP_ACT_RELU6:
      return vf_min(vf_max(x, vf_zero()), vf_set1(6.0f));
    case EP_ACT_SIGMOID:
      return v_sigmoid(x);
    case EP_ACT_TANH:
      return v_tanh(x);
    case EP_ACT_SILU:
      return v_silu(x);
    case EP_ACT_HARD_SWISH:
      return v_hard_swish(x);
    case EP_ACT_HARD_SIGMOID:
      return v_hard_sigmoid(x);
    case EP_ACT_GELU:
      return vf_gelu(x);
    case EP_ACT_GELU_TANH:
      return vf_gelu_tanh(x);
    case EP_ACT_NONE:
      break;
  }
  return x;
}

/* y[i] = f(x[i]) for a vector function f, whole vectors then a masked tail. */
#define EP_VM_MAP(n, x, y, f)                                                              \
  do {                                                                                     \
    size_t i_ = 0;                                                                         \
    for (; i_ + VF_LANES <= (n); i_ += VF_LANES) vf_store((y) + i_, f(vf_load((x) + i_))); \
    if (i_ < (n)) {                                                                        \
      const size_t t_ = (n)-i_;                                                            \
      vf_store_tail((y) + i_, t_, f(vf_load_tail((x) + i_, t_)));                          \
    }                                                                                      \
  } while (0)

static void EP_VM_NAME(exp)(size_t n, const float* x, float* y) { EP_VM_MAP(n, x, y, v_exp); }
static void EP_VM_NAME(sigmoid)(size_t n, const float* x, float* y) {
  EP_VM_MAP(n, x, y, v_sigmoid);
}
static void EP_VM_NAME(tanh)(size_t n, const float* x, float* y) { EP_VM_MAP(n, x, y, v_tanh); }

EP_VM_INLINE vf v_gelu(vf x) { return vf_gelu(x); }
EP_VM_INLINE vf v_gelu_tanh(vf x) { return vf_gelu_tanh(x); }

EP_VM_INLINE vf v_relu(vf x) { return vf_max(x, vf_zero()); }
EP_VM_INLINE vf v_relu6(vf x) { return vf_min(vf_max(x, vf_zero()), vf_set1(6.0f)); }

static void EP_VM_NAME(activation)(ep_activation act, float* y, size_t n) {
  switch (act) {
    case EP_ACT_RELU:
      EP_VM_MAP(n, y, y, v_relu);
      break;
    case EP_ACT_RELU6:
      EP_VM_MAP(n, y, y, v_relu6);
      break;
    case EP_ACT_SIGMOID:
      EP_VM_MAP(n, y, y, v_sigmoid);
      break;
    case EP_ACT_TANH:
      EP_VM_MAP(n, y, y, v_tanh);
      break;
    case EP_ACT_SILU:
      EP_VM_MAP(n, y, y, v_silu);
      break;
    case EP_ACT_HARD_SWISH:
      EP_VM_MAP(n, y, y, v_hard_swish);
      break;
    case EP_ACT_HARD_SIGMOID:
      EP_VM_MAP(n, y, y, v_hard_sigmoid);
      break;
    case EP_ACT_GELU:
      EP_VM_MAP(n, y, y, v_gelu);
      break;
    case EP_ACT_GELU_TANH:
      EP_VM_MAP(n, y, y, v_gelu_tanh);
      break;
    case EP_ACT_NONE:
      break;
  }
}

EP_VM_INLINE void add_act(size_t n, const float* a, const float* b, float* y, ep_activation act) {
  size_t i = 0;
  for (; i + VF_LANES <= n; i += VF_LANES) {
    vf_store(y + i, v_act(act, vf_add(vf_load(a + i), vf_load(b + i))));
  }
  if (i < n) {
    const size_t t = n - i;
    vf_store_tail(y + i, t, v_act(act, vf_add(vf_load_tail(a + i, t), vf_load_tail(b + i, t))));
  }
}

static void EP_VM_NAME(add)(size_t n, const float* a, const float* b, ep_activation act, float* y) {
  /* One copy of the loop per activation, so that the switch is not in it. */
  switch (act) {
    case EP_ACT_RELU:
      add_act(n, a, b, y, EP_ACT_RELU);
      break;
    case EP_ACT_RELU6:
      add_act(n, a, b, y, EP_ACT_RELU6);
      break;
    case EP_ACT_SIGMOID:
      add_act(n, a, b, y, EP_ACT_SIGMOID);
      break;
    case EP_ACT_TANH:
      add_act(n, a, b, y, EP_ACT_TANH);
      break;
    case EP_ACT_SILU:
      add_act(n, a, b, y, EP_ACT_SILU);
      break;
    case EP_ACT_HARD_SWISH:
      add_act(n, a, b, y, EP_ACT_HARD_SWISH);
      break;
    case EP_ACT_HARD_SIGMOID:
      add_act(n, a, b, y, EP_ACT_HARD_SIGMOID);
      break;
    case EP_ACT_GELU:
      add_act(n, a, b, y, EP_ACT_GELU);
      break;
    case EP_ACT_GELU_TANH:
      add_act(n, a, b, y, EP_ACT_GELU_TANH);
      break;
    case EP_ACT_NONE:
      add_act(n, a, b, y, EP_ACT_NONE);
      break;
  }
}

static float EP_VM_NAME(sum)(size_t n, const float* x) {
  vf s0 = vf_zero(), s1 = vf_zero(), s2 = vf_zero(), s3 = vf_zero();
  size_t i = 0;
  for (; i + 4 * VF_LANES <= n; i += 4 * VF_LANES) {
    s0 = vf_add(s0, vf_load(x + i));
    s1 = vf_add(s1, vf_load(x + i + VF_LANES));
    s2 = vf_add(s2, vf_load(x + i + 2 * VF_LANES));
    s3 = vf_add(s3, vf_load(x + i + 3 * VF_LANES));
  }
  for (; i + VF_LANES <= n; i += VF_LANES) s0 = vf_add(s0, vf_load(x + i));
  if (i < n) s1 = vf_add(s1, vf_load_tail(x + i, n - i));
  return vf_hsum(vf_add(vf_add(s0, s1), vf_add(s2, s3)));
}

/* Stable softmax: max, then exp(x - max) and its sum in one pass, then one scaling pass. */
static void EP_VM_NAME(softmax_row)(size_t n, const float* x, float* y) {
  vf m = vf_set1(-__builtin_inff());
  size_t i = 0;
  for (; i + VF_LANES <= n; i += VF_LANES) m = vf_max(vf_load(x + i), m);
  float max = vf_hmax(m);
  for (; i < n; i++) max = x[i] > max ? x[i] : max;
  const vf vmax = vf_set1(max);
  vf s = vf_zero();
  for (i = 0; i + VF_LANES <= n; i += VF_LANES) {
    const vf e = v_exp(vf_sub(vf_load(x + i), vmax));
    vf_store(y + i, e);
    s = vf_add(s, e);
  }
  if (i < n) {
    const size_t t = n - i;
    /* Masked-off lanes load 0, whose exp is not 0: keep them out of the sum. */
    const vf e = v_exp(vf_sub(vf_load_tail(x + i, t), vmax));
    vf_store_tail(y + i, t, e);
    s = vf_add(s, vf_load_tail(y + i, t));
  }
  const vf scale = vf_set1(1.0f / vf_hsum(s));
  for (i = 0; i + VF_LANES <= n; i += VF_LANES) vf_store(y + i, vf_mul(vf_load(y + i), scale));
  if (i < n) vf_store_tail(y + i, n - i, vf_mul(vf_load_tail(y + i, n - i), scale));
}

/* The scales repeat every `period` floats (1 or 8); a tile of VF_LANES x 8 / gcd floats holds
 * whole periods in whole vectors: one vector at 8 and 16 lanes, two at 4. */
enum { SCALE_TILE = VF_LANES >= 8 ? VF_LANES : 8, SCALE_VECS = SCALE_TILE / VF_LANES };

static void EP_VM_NAME(scale)(size_t n, const float* x, const float* s, size_t period, float* y) {
  float tile[SCALE_TILE];
  for (size_t i = 0; i < SCALE_TILE; i++) tile[i] = s[i % period];
  vf sv[SCALE_VECS];
  for (size_t v = 0; v < SCALE_VECS; v++) sv[v] = vf_load(tile + v * VF_LANES);
  size_t i = 0;
  for (; i + SCALE_TILE <= n; i += SCALE_TILE) {
    for (size_t v = 0; v < SCALE_VECS; v++) {
      const size_t at = i + v * VF_LANES;
      vf_store(y + at, vf_mul(vf_load(x + at), sv[v]));
    }
  }
  for (size_t v = 0; i < n; v++, i += VF_LANES) {
    const size_t t = n - i < VF_LANES ? n - i : VF_LANES;
    vf_store_tail(y + i, t, vf_mul(vf_load_tail(x + i, t), sv[v]));
  }
}

/* Four independent sums of SCALE_TILE floats (whole periods of 8) per step, folded to 8 lanes
 * at the end: one chain of adds per lane, as the portable loop had, waits on the add latency
 * (about 3 floats per cycle on Zen 4 where loads from L2 allow 16). */
static void EP_VM_NAME(block_sum)(size_t pixels, const float* x, float scale, float* y) {
  const size_t n = pixels * 8;
  vf acc[4][SCALE_VECS];
  for (int a = 0; a < 4; a++) {
    for (size_t v = 0; v < SCALE_VECS; v++) acc[a][v] = vf_zero();
  }
  size_t i = 0;
  for (; i + 4 * SCALE_TILE <= n; i += 4 * SCALE_TILE) {
    for (int a = 0; a < 4; a++) {
      for (size_t v = 0; v < SCALE_VECS; v++) {
        acc[a][v] = vf_add(acc[a][v], vf_load(x + i + (size_t)a * SCALE_TILE + v * VF_LANES));
      }
    }
  }
  for (; i + SCALE_TILE <= n; i += SCALE_TILE) {
    for (size_t v = 0; v < SCALE_VECS; v++) {
      acc[0][v] = vf_add(acc[0][v], vf_load(x + i + v * VF_LANES));
    }
  }
  float tile[SCALE_TILE];
  for (size_t v = 0; v < SCALE_VECS; v++) {
    vf_store(tile + v * VF_LANES,
             vf_add(vf_add(acc[0][v], acc[1][v]), vf_add(acc[2][v], acc[3][v])));
  }
  float sum[8] = {0};
  for (size_t k = 0; k < SCALE_TILE; k++) sum[k % 8] += tile[k];
  for (; i < n; i++) sum[i % 8] += x[i];
  for (int j = 0; j < 8; j++) y[j] = sum[j] * scale;
}

const ep_vmath EP_VM_NAME(table) = {
    .exp = EP_VM_NAME(exp),
    .sigmoid = EP_VM_NAME(sigmoid),
    .tanh = EP_VM_NAME(tanh),
    .activation = EP_VM_NAME(activation),
    .add = EP_VM_NAME(add),
    .softmax_row = EP_VM_NAME(softmax_row),
    .sum = EP_VM_NAME(sum),
    .scale = EP_VM_NAME(scale),
    .block_sum = EP_VM_NAME(block_sum),
};

#undef EP_VM_MAP
#undef EP_VM_INLINE

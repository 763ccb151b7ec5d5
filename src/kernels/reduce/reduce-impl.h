/* Reduction and LayerNormalization template (internal): included once per ISA variant after a
 * vector shim and EP_RD_NAME(name), which makes the variant's names; defines
 * EP_RD_NAME(ukernels), an ep_reduce_ukernels.
 *
 * Rows keep four accumulators in flight (one add per cycle would otherwise wait on the
 * previous one); columns walk the reduced dim with four vectors of neighbouring columns per
 * pass, so each step reads whole cache lines. */
#include <math.h>
#include <stddef.h>

#include "kernels/reduce/reduce.h"

#define EP_RD_INLINE static inline __attribute__((always_inline))

EP_RD_INLINE vf rd_init(ep_reduce_acc acc) {
  switch (acc) {
    case EP_ACC_MAX:
      return vf_set1(-__builtin_inff());
    case EP_ACC_MIN:
      return vf_set1(__builtin_inff());
    case EP_ACC_PROD:
      return vf_set1(1.0f);
    default:
      return vf_zero();
  }
}

/* The accumulator a with x folded in. max/min take the data first: the shims return the
 * second operand on NaN, so a NaN in x is dropped as in the scalar `x > a ? x : a`. */
EP_RD_INLINE vf rd_step(ep_reduce_acc acc, vf a, vf x) {
  switch (acc) {
    case EP_ACC_SUM:
      return vf_add(a, x);
    case EP_ACC_SUM_ABS:
      return vf_add(a, vf_abs(x));
    case EP_ACC_SUM_SQUARE:
      return vf_fmadd(x, x, a);
    case EP_ACC_MAX:
      return vf_max(x, a);
    case EP_ACC_MIN:
      return vf_min(x, a);
    case EP_ACC_PROD:
      return vf_mul(a, x);
  }
  return a;
}

EP_RD_INLINE float rd_step1(ep_reduce_acc acc, float a, float x) {
  switch (acc) {
    case EP_ACC_SUM:
      return a + x;
    case EP_ACC_SUM_ABS:
      return a + fabsf(x);
    case EP_ACC_SUM_SQUARE:
      return a + x * x;
    case EP_ACC_MAX:
      return x > a ? x : a;
    case EP_ACC_MIN:
      return x < a ? x : a;
    case EP_ACC_PROD:
      return a * x;
  }
  return a;
}

EP_RD_INLINE float rd_horizontal(ep_reduce_acc acc, vf v) {
  float lanes[VF_LANES];
  vf_store(lanes, v);
  float r = lanes[0];
  for (int i = 1; i < VF_LANES; i++) {
    r = acc == EP_ACC_MAX ? (lanes[i] > r ? lanes[i] : r)
        : acc == EP_ACC_MIN ? (lanes[i] < r ? lanes[i] : r)
        : acc == EP_ACC_PROD ? r * lanes[i]
                             : r + lanes[i];
  }
  return r;
}

EP_RD_INLINE float rd_row(ep_reduce_acc acc, size_t n, const float* x) {
  vf a0 = rd_init(acc), a1 = a0, a2 = a0, a3 = a0;
  size_t i = 0;
  for (; i + 4 * VF_LANES <= n; i += 4 * VF_LANES) {
    a0 = rd_step(acc, a0, vf_load(x + i));
    a1 = rd_step(acc, a1, vf_load(x + i + VF_LANES));
    a2 = rd_step(acc, a2, vf_load(x + i + 2 * VF_LANES));
    a3 = rd_step(acc, a3, vf_load(x + i + 3 * VF_LANES));
  }
  for (; i + VF_LANES <= n; i += VF_LANES) a0 = rd_step(acc, a0, vf_load(x + i));
  a0 = acc == EP_ACC_MAX || acc == EP_ACC_MIN || acc == EP_ACC_PROD
           ? rd_step(acc, rd_step(acc, a0, a1), rd_step(acc, a2, a3))
           : vf_add(vf_add(a0, a1), vf_add(a2, a3));
  float r = rd_horizontal(acc, a0);
  for (; i < n; i++) r = rd_step1(acc, r, x[i]);
  return r;
}

static float EP_RD_NAME(row)(ep_reduce_acc acc, size_t n, const float* x) {
  /* One copy of the loop per accumulation, so that the switch is not in it. */
  switch (acc) {
    case EP_ACC_SUM: return rd_row(EP_ACC_SUM, n, x);
    case EP_ACC_SUM_ABS: return rd_row(EP_ACC_SUM_ABS, n, x);
    case EP_ACC_SUM_SQUARE: return rd_row(EP_ACC_SUM_SQUARE, n, x);
    case EP_ACC_MAX: return rd_row(EP_ACC_MAX, n, x);
    case EP_ACC_MIN: return rd_row(EP_ACC_MIN, n, x);
    case EP_ACC_PROD: return rd_row(EP_ACC_PROD, n, x);
  }
  return 0.0f;
}

EP_RD_INLINE void rd_cols(ep_reduce_acc acc, size_t n, size_t m, size_t stride, const float* x,
                          float* y) {
  size_t j = 0;
  for (; j + 4 * VF_LANES <= m; j += 4 * VF_LANES) {
    vf a0 = rd_init(acc), a1 = a0, a2 = a0, a3 = a0;
    const float* p = x + j;
    for (size_t i = 0; i < n; i++, p += stride) {
      a0 = rd_step(acc, a0, vf_load(p));
      a1 = rd_step(acc, a1, vf_load(p + VF_LANES));
      a2 = rd_step(acc, a2, vf_load(p + 2 * VF_LANES));
      a3 = rd_step(acc, a3, vf_load(p + 3 * VF_LANES));
    }
    vf_store(y + j, a0);
    vf_store(y + j + VF_LANES, a1);
    vf_store(y + j + 2 * VF_LANES, a2);
    vf_store(y + j + 3 * VF_LANES, a3);
  }
  for (; j + VF_LANES <= m; j += VF_LANES) {
    vf a0 = rd_init(acc);
    const float* p = x + j;
    for (size_t i = 0; i < n; i++, p += stride) a0 = rd_step(acc, a0, vf_load(p));
    vf_store(y + j, a0);
  }
  if (j < m) {
    /* The lanes past the tail load zeros into accumulators that are never stored. */
    const size_t t = m - j;
    vf a0 = rd_init(acc);
    const float* p = x + j;
    for (size_t i = 0; i < n; i++, p += stride) a0 = rd_step(acc, a0, vf_load_tail(p, t));
    vf_store_tail(y + j, t, a0);
  }
}

static void EP_RD_NAME(cols)(ep_reduce_acc acc, size_t n, size_t m, size_t stride,
                             const float* x, float* y) {
  switch (acc) {
    case EP_ACC_SUM: rd_cols(EP_ACC_SUM, n, m, stride, x, y); break;
    case EP_ACC_SUM_ABS: rd_cols(EP_ACC_SUM_ABS, n, m, stride, x, y); break;
    case EP_ACC_SUM_SQUARE: rd_cols(EP_ACC_SUM_SQUARE, n, m, stride, x, y); break;
    case EP_ACC_MAX: rd_cols(EP_ACC_MAX, n, m, stride, x, y); break;
    case EP_ACC_MIN: rd_cols(EP_ACC_MIN, n, m, stride, x, y); break;
    case EP_ACC_PROD: rd_cols(EP_ACC_PROD, n, m, stride, x, y); break;
  }
}

/* One pass for the moments, shifted by x[0] so that a large mean does not cancel the variance
 * away (sum (x - s)^2 / n - (sum (x - s) / n)^2 loses nothing when s is near the mean), then one
 * pass for y. */
static void EP_RD_NAME(layer_norm_row)(size_t n, const float* x, const float* scale,
                                       const float* bias, float epsilon, float* y, float* mean,
                                       float* inv_std) {
  const vf shift = vf_set1(x[0]);
  vf s0 = vf_zero(), s1 = vf_zero(), q0 = vf_zero(), q1 = vf_zero();
  size_t i = 0;
  for (; i + 2 * VF_LANES <= n; i += 2 * VF_LANES) {
    const vf d0 = vf_sub(vf_load(x + i), shift), d1 = vf_sub(vf_load(x + i + VF_LANES), shift);
    s0 = vf_add(s0, d0);
    s1 = vf_add(s1, d1);
    q0 = vf_fmadd(d0, d0, q0);
    q1 = vf_fmadd(d1, d1, q1);
  }
  for (; i + VF_LANES <= n; i += VF_LANES) {
    const vf d0 = vf_sub(vf_load(x + i), shift);
    s0 = vf_add(s0, d0);
    q0 = vf_fmadd(d0, d0, q0);
  }
  float s = vf_hsum(vf_add(s0, s1)), q = vf_hsum(vf_add(q0, q1));
  for (; i < n; i++) {
    const float d = x[i] - x[0];
    s += d;
    q += d * d;
  }
  const float ds = s / (float)n;
  float var = q / (float)n - ds * ds;
  if (var < 0.0f) var = 0.0f;
  const float mu = x[0] + ds, inv = 1.0f / sqrtf(var + epsilon);
  if (mean != NULL) *mean = mu;
  if (inv_std != NULL) *inv_std = inv;
  const vf vmu = vf_set1(mu), vinv = vf_set1(inv);
  for (i = 0; i + VF_LANES <= n; i += VF_LANES) {
    const vf t = vf_mul(vf_sub(vf_load(x + i), vmu), vinv);
    vf_store(y + i, bias != NULL ? vf_fmadd(t, vf_load(scale + i), vf_load(bias + i))
                                 : vf_mul(t, vf_load(scale + i)));
  }
  if (i < n) {
    const size_t r = n - i;
    const vf t = vf_mul(vf_sub(vf_load_tail(x + i, r), vmu), vinv);
    vf_store_tail(y + i, r,
                  bias != NULL ? vf_fmadd(t, vf_load_tail(scale + i, r), vf_load_tail(bias + i, r))
                               : vf_mul(t, vf_load_tail(scale + i, r)));
  }
}

const ep_reduce_ukernels EP_RD_NAME(ukernels) = {
    .row = EP_RD_NAME(row),
    .cols = EP_RD_NAME(cols),
    .layer_norm_row = EP_RD_NAME(layer_norm_row),
};

#undef EP_RD_INLINE

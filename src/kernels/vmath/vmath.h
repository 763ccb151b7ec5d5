/* Vector math per ISA level (internal): the loops behind ep_f32_vexp, ep_f32_vsigmoid,
 * ep_f32_vtanh and ep_activation_apply (kernels/activation.h), and the elementwise kernels that
 * are bound by them (softmax rows, fused add, sums). activation.c dispatches through
 * ep_vmath_get(); callers elsewhere keep using activation.h. */
#ifndef EDGEPROF_KERNELS_VMATH_VMATH_H
#define EDGEPROF_KERNELS_VMATH_VMATH_H

#include <stddef.h>

#include "edgeprof/graph.h"

typedef struct ep_vmath {
  void (*exp)(size_t n, const float* x, float* y);
  void (*sigmoid)(size_t n, const float* x, float* y);
  void (*tanh)(size_t n, const float* x, float* y);
  /* y[i] = act(y[i]) in place. */
  void (*activation)(ep_activation act, float* y, size_t n);
  /* y = act(a + b); y may alias a or b. */
  void (*add)(size_t n, const float* a, const float* b, ep_activation act, float* y);
  /* y = softmax(x) over one row of n > 0 values; y may alias x. */
  void (*softmax_row)(size_t n, const float* x, float* y);
  /* Sum of n values. */
  float (*sum)(size_t n, const float* x);
  /* y[j] = scale x the sum of x[p * 8 + j] over p < pixels, j < 8: one NCHW8c block's channel
   * means (global average pooling). */
  void (*block_sum)(size_t pixels, const float* x, float scale, float* y);
  /* y[i] = x[i] * s[i % period] over n values (n a multiple of period; period 1 or 8: a channel
   * plane, or a block of 8 planes in NCHW8c); y may alias x. */
  void (*scale)(size_t n, const float* x, const float* s, size_t period, float* y);
} ep_vmath;

/* The functions of the active ISA level; NULL for the scalar level (the portable loops in
 * activation.c and the elementwise kernels). Thread-safe. */
const ep_vmath* ep_vmath_get(void);

#endif /* EDGEPROF_KERNELS_VMATH_VMATH_H */

/* Vector math shared by the kernels (internal): exp, sigmoid and tanh over arrays.
 *
 * They use a branch-free polynomial exp rather than libm so that the loops vectorize; libm's
 * expf is a call per element, which dominates LSTM steps and large softmaxes. Relative error is
 * about 2e-7 for exp and sigmoid; tanh has an absolute error of about 1e-7 near zero. */
#ifndef EDGEPROF_KERNELS_ACTIVATION_H
#define EDGEPROF_KERNELS_ACTIVATION_H

#include <stddef.h>

/* y[i] = exp(x[i]); results below the smallest normal float are returned as that value, and
 * inputs above 88 saturate at exp(88). y may alias x. */
void ep_f32_vexp(size_t n, const float* x, float* y);
/* y[i] = 1 / (1 + exp(-x[i])); y may alias x. */
void ep_f32_vsigmoid(size_t n, const float* x, float* y);
/* y[i] = tanh(x[i]); y may alias x. */
void ep_f32_vtanh(size_t n, const float* x, float* y);

#endif /* EDGEPROF_KERNELS_ACTIVATION_H */

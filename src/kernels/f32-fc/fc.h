/* The GEMM behind fully connected layers, shared with the LSTM's input projection (internal). */
#ifndef EDGEPROF_KERNELS_F32_FC_H
#define EDGEPROF_KERNELS_F32_FC_H

#include <stddef.h>

#include "kernels/f32-gemm/gemm.h"
#include "core/threadpool.h"

/* y [n, m] (row stride ldy) = act(x [n, k] x B + bias), B [k, m] packed as B panels, bias [m]
 * or NULL. With n == 1, x is the plain input row (a GEMV); otherwise x must be packed as A
 * panels. Split over the column panels of B, so each worker streams its own part of the
 * weights. */
void ep_f32_fc_compute(const ep_f32_gemm_config* config, size_t n, size_t k, size_t m,
                       const float* x, const float* b_packed, const float* bias, ep_activation act,
                       float* y, size_t ldy, ep_threadpool* pool);

/* ep_f32_fc_compute with a residual: y = act(x B + bias + residual), residual [n, m] (row stride
 * ldr) or NULL, not overlapping y (y holds partial sums while it is still to be read). A
 * transformer's MatMul, bias and skip connection in one pass over y. */
void ep_f32_fc_compute_residual(const ep_f32_gemm_config* config, size_t n, size_t k, size_t m,
                                const float* x, const float* b_packed, const float* bias,
                                const float* residual, size_t ldr, ep_activation act, float* y,
                                size_t ldy, ep_threadpool* pool);

#endif /* EDGEPROF_KERNELS_F32_FC_H */

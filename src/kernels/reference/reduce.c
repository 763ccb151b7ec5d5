/* Naive references of the reductions, LayerNormalization, Split and Tile: straight from the
 * ONNX definitions, over x's own dims (not the merged ones), in double. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/reduce/reduce.h"

void ep_ref_reduce(const ep_reduce_desc* d, const float* x, float* y) {
  /* Walk every element of x once; its output index counts the kept dims only. */
  size_t outputs = 1, total = 1;
  for (int i = 0; i < d->rank; i++) {
    total *= (size_t)d->dims[i];
    if (!d->reduced[i]) outputs *= (size_t)d->dims[i];
  }
  double* acc = malloc(2 * outputs * sizeof *acc);
  if (acc == NULL) return;
  double* big = acc + outputs;
  const bool lse = d->kind == EP_REDUCE_LOG_SUM_EXP;
  for (int pass = lse ? 0 : 1; pass < 2; pass++) {
    for (size_t o = 0; o < outputs; o++) {
      acc[o] = d->kind == EP_REDUCE_MAX   ? -INFINITY
               : d->kind == EP_REDUCE_MIN ? INFINITY
               : d->kind == EP_REDUCE_PROD ? 1.0
                                          : 0.0;
      if (pass == 0) big[o] = -INFINITY;
    }
    for (size_t e = 0; e < total; e++) {
      size_t rest = e, o = 0, ostride = 1;
      for (int i = d->rank - 1; i >= 0; i--) {
        const size_t c = rest % (size_t)d->dims[i];
        rest /= (size_t)d->dims[i];
        if (!d->reduced[i]) {
          o += c * ostride;
          ostride *= (size_t)d->dims[i];
        }
      }
      const double v = x[e];
      if (pass == 0) {
        big[o] = fmax(big[o], v);
        continue;
      }
      switch (d->kind) {
        case EP_REDUCE_MAX: acc[o] = fmax(acc[o], v); break;
        case EP_REDUCE_MIN: acc[o] = fmin(acc[o], v); break;
        case EP_REDUCE_PROD: acc[o] *= v; break;
        case EP_REDUCE_L1: acc[o] += fabs(v); break;
        case EP_REDUCE_L2:
        case EP_REDUCE_SUM_SQUARE: acc[o] += v * v; break;
        case EP_REDUCE_LOG_SUM_EXP: acc[o] += exp(v - big[o]); break;
        default: acc[o] += v; break;
      }
    }
  }
  for (size_t o = 0; o < outputs; o++) {
    double r = acc[o];
    switch (d->kind) {
      case EP_REDUCE_MEAN: r /= (double)d->count; break;
      case EP_REDUCE_L2: r = sqrt(r); break;
      case EP_REDUCE_LOG_SUM: r = log(r); break;
      case EP_REDUCE_LOG_SUM_EXP: r = isinf(big[o]) ? big[o] : big[o] + log(r); break;
      default: break;
    }
    y[o] = (float)r;
  }
  free(acc);
}

void ep_ref_layer_norm(size_t rows, size_t n, const float* x, const float* scale,
                       const float* bias, float epsilon, float* y, float* mean, float* inv_std) {
  for (size_t r = 0; r < rows; r++) {
    const float* xr = x + r * n;
    double mu = 0.0, var = 0.0;
    for (size_t i = 0; i < n; i++) mu += xr[i];
    mu /= (double)n;
    for (size_t i = 0; i < n; i++) var += (xr[i] - mu) * (xr[i] - mu);
    var /= (double)n;
    const double inv = 1.0 / sqrt(var + epsilon);
    for (size_t i = 0; i < n; i++) {
      y[r * n + i] = (float)((xr[i] - mu) * inv * scale[i] + (bias != NULL ? bias[i] : 0.0));
    }
    if (mean != NULL) mean[r] = (float)mu;
    if (inv_std != NULL) inv_std[r] = (float)inv;
  }
}

void ep_ref_split(size_t outer, size_t inner, int n_outputs, const int* sizes, const float* x,
                  float* const* y) {
  size_t total = 0;
  for (int k = 0; k < n_outputs; k++) total += (size_t)sizes[k];
  for (size_t o = 0; o < outer; o++) {
    size_t at = 0;
    for (int k = 0; k < n_outputs; k++) {
      for (size_t i = 0; i < (size_t)sizes[k]; i++, at++) {
        for (size_t c = 0; c < inner; c++) {
          y[k][(o * (size_t)sizes[k] + i) * inner + c] = x[(o * total + at) * inner + c];
        }
      }
    }
  }
}

void ep_ref_tile(const ep_shape* x_shape, const int* repeats, const float* x, float* y) {
  ep_shape ys = *x_shape;
  for (int d = 0; d < ys.rank; d++) ys.dims[d] *= repeats[d];
  const int64_t n = ep_shape_numel(&ys);
  for (int64_t e = 0; e < n; e++) {
    int64_t rest = e, off = 0, stride = 1;
    for (int d = ys.rank - 1; d >= 0; d--) {
      const int64_t c = rest % ys.dims[d];
      rest /= ys.dims[d];
      off += (c % x_shape->dims[d]) * stride;
      stride *= x_shape->dims[d];
    }
    y[e] = x[off];
  }
}

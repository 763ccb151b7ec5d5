/* Reference elementwise ops, softmax, batch norm and concat, in double where it matters. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/reference/reference.h"

double ep_ref_activate(ep_activation act, double v) {
  switch (act) {
    case EP_ACT_NONE:
      return v;
    case EP_ACT_RELU:
      return v > 0.0 ? v : 0.0;
    case EP_ACT_RELU6:
      return v < 0.0 ? 0.0 : v > 6.0 ? 6.0 : v;
    case EP_ACT_SIGMOID:
      return 1.0 / (1.0 + exp(-v));
    case EP_ACT_TANH:
      return tanh(v);
    case EP_ACT_SILU:
      return v / (1.0 + exp(-v));
    case EP_ACT_HARD_SWISH:
    case EP_ACT_HARD_SIGMOID: {
      double g = v / 6.0 + 0.5;
      g = isnan(g) ? g : g < 0.0 ? 0.0 : g > 1.0 ? 1.0 : g;
      return act == EP_ACT_HARD_SWISH ? v * g : g;
    }
    case EP_ACT_GELU:
      return 0.5 * v * erfc(-v / sqrt(2.0));
    case EP_ACT_GELU_TANH:
      return 0.5 * v * (1.0 + tanh(sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
  }
  return v;
}

void ep_ref_add(size_t n, const float* a, const float* b, ep_activation act, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = (float)ep_ref_activate(act, (double)a[i] + b[i]);
}

void ep_ref_activation(ep_activation act, size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = (float)ep_ref_activate(act, x[i]);
}

void ep_ref_softmax(size_t outer, size_t inner, const float* x, float* y) {
  for (size_t o = 0; o < outer; o++) {
    const float* xr = x + o * inner;
    float* yr = y + o * inner;
    double max = -INFINITY;
    for (size_t i = 0; i < inner; i++) max = xr[i] > max ? xr[i] : max;
    double sum = 0.0;
    for (size_t i = 0; i < inner; i++) sum += exp(xr[i] - max);
    for (size_t i = 0; i < inner; i++) yr[i] = (float)(exp(xr[i] - max) / sum);
  }
}

void ep_ref_batch_norm(int batch, int channels, size_t inner, const float* x, const float* scale,
                       const float* bias, const float* mean, const float* var, float epsilon,
                       float* y) {
  for (int b = 0; b < batch; b++) {
    for (int c = 0; c < channels; c++) {
      const double k = scale[c] / sqrt((double)var[c] + epsilon);
      const size_t base = ((size_t)b * channels + c) * inner;
      for (size_t i = 0; i < inner; i++) {
        y[base + i] = (float)(k * ((double)x[base + i] - mean[c]) + bias[c]);
      }
    }
  }
}

void ep_ref_concat(size_t outer, int n_inputs, const float* const* x, const size_t* inner,
                   float* y) {
  size_t total = 0;
  for (int i = 0; i < n_inputs; i++) total += inner[i];
  for (size_t o = 0; o < outer; o++) {
    size_t offset = 0;
    for (int i = 0; i < n_inputs; i++) {
      memcpy(y + o * total + offset, x[i] + o * inner[i], inner[i] * sizeof *y);
      offset += inner[i];
    }
  }
}

/* Reference LeakyRelu and Clip. */
#include <math.h>

#include "kernels/tensor_ops.h"

void ep_ref_leaky_relu(size_t n, float alpha, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] >= 0.0f ? x[i] : (float)((double)alpha * x[i]);
}

void ep_ref_clip(size_t n, float lo, float hi, const float* x, float* y) {
  for (size_t i = 0; i < n; i++) {
    float v = x[i] < lo ? lo : x[i];
    y[i] = v > hi ? hi : v;
  }
}

/* Reference softmax and log-softmax along the middle dim of [outer, n, inner], in double. */
#include <math.h>

#include "kernels/tensor_ops.h"

void ep_ref_softmax_axis(size_t outer, size_t n, size_t inner, bool log_softmax, const float* x,
                         float* y) {
  for (size_t o = 0; o < outer; o++) {
    for (size_t j = 0; j < inner; j++) {
      const float* xs = x + o * n * inner + j;
      float* ys = y + o * n * inner + j;
      double max = -INFINITY;
      for (size_t i = 0; i < n; i++) max = xs[i * inner] > max ? xs[i * inner] : max;
      double sum = 0.0;
      for (size_t i = 0; i < n; i++) sum += exp(xs[i * inner] - max);
      for (size_t i = 0; i < n; i++) {
        const double shifted = xs[i * inner] - max;
        ys[i * inner] = (float)(log_softmax ? shifted - log(sum) : exp(shifted) / sum);
      }
    }
  }
}

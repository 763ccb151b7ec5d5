/* Reference LRN across channels (ONNX): y = x / (bias + alpha / size * sum x^2)^beta over the
 * channels c - floor((size-1)/2) .. c + ceil((size-1)/2), in double. */
#include <math.h>

#include "kernels/tensor_ops.h"

void ep_ref_lrn(const ep_lrn_desc* d, const float* x, float* y) {
  const int before = (d->size - 1) / 2, after = d->size - 1 - before;
  for (int b = 0; b < d->batch; b++) {
    for (int c = 0; c < d->channels; c++) {
      for (size_t i = 0; i < d->inner; i++) {
        double sum = 0.0;
        for (int k = c - before; k <= c + after; k++) {
          if (k < 0 || k >= d->channels) continue;
          const double v = x[((size_t)b * d->channels + k) * d->inner + i];
          sum += v * v;
        }
        const size_t at = ((size_t)b * d->channels + c) * d->inner + i;
        y[at] = (float)(x[at] / pow(d->bias + d->alpha / d->size * sum, d->beta));
      }
    }
  }
}

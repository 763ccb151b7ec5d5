/* Reference fully connected layer: y = act(x w^T + b), summed in double. */
#include "kernels/kernels.h"
#include "kernels/reference/reference.h"

void ep_ref_fully_connected(const ep_fc_desc* d, const float* x, const float* w, const float* bias,
                            float* y) {
  for (int i = 0; i < d->n; i++) {
    for (int j = 0; j < d->m; j++) {
      double sum = d->has_bias && bias != NULL ? bias[j] : 0.0;
      for (int k = 0; k < d->k; k++) {
        sum += (double)x[(size_t)i * d->k + k] * (double)w[(size_t)j * d->k + k];
      }
      y[(size_t)i * d->m + j] = (float)ep_ref_activate(d->act, sum);
    }
  }
}

/* LRN across channels: rows (batch, channel) split over the pool; each row sums the squares of
 * its neighbouring channels' rows. */
#include <math.h>

#include "kernels/tensor_ops.h"

typedef struct lrn_job {
  const ep_lrn_desc* d;
  const float* x;
  float* y;
} lrn_job;

static void lrn_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const lrn_job* j = ctx;
  const ep_lrn_desc* d = j->d;
  const int before = (d->size - 1) / 2, after = d->size - 1 - before;
  const float scale = d->alpha / (float)d->size;
  for (size_t row = begin; row < end; row++) {
    const int c = (int)(row % (size_t)d->channels);
    const size_t plane0 = row - (size_t)c; /* row of channel 0 in this batch */
    const int c0 = c - before < 0 ? 0 : c - before;
    const int c1 = c + after >= d->channels ? d->channels - 1 : c + after;
    const float* x = j->x + row * d->inner;
    float* y = j->y + row * d->inner;
    for (size_t i = 0; i < d->inner; i++) y[i] = 0.0f;
    for (int k = c0; k <= c1; k++) {
      const float* xk = j->x + (plane0 + (size_t)k) * d->inner;
      for (size_t i = 0; i < d->inner; i++) y[i] += xk[i] * xk[i];
    }
    for (size_t i = 0; i < d->inner; i++) y[i] = x[i] * powf(d->bias + scale * y[i], -d->beta);
  }
}

void ep_lrn_run(const ep_lrn_desc* d, const float* x, float* y, ep_threadpool* pool) {
  lrn_job job = {d, x, y};
  const size_t grain = d->inner >= 1024 ? 1 : 1024 / d->inner;
  ep_threadpool_parallel_for(pool, (size_t)d->batch * d->channels, grain, lrn_rows, &job);
}

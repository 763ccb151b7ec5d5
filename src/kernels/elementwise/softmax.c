/* Softmax over rows, stable: exp(x - max) / sum. One row per item; rows are long (1000 to
 * 10000 classes) so each is done in three passes that stay in cache. */
#include "kernels/activation.h"
#include "kernels/kernels.h"
#include "kernels/vmath/vmath.h"

enum { LANES = 8 };

typedef struct softmax_job {
  size_t inner;
  const float* x;
  float* y;
} softmax_job;

static void softmax_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const softmax_job* job = ctx;
  const size_t n = job->inner;
  const ep_vmath* vm = ep_vmath_get();
  if (vm != NULL) {
    for (size_t row = begin; row < end; row++)
      vm->softmax_row(n, job->x + row * n, job->y + row * n);
    return;
  }
  for (size_t row = begin; row < end; row++) {
    const float* x = job->x + row * n;
    float* y = job->y + row * n;
    float max = x[0];
    for (size_t i = 1; i < n; i++) max = x[i] > max ? x[i] : max;
    for (size_t i = 0; i < n; i++) y[i] = x[i] - max;
    ep_f32_vexp(n, y, y);
    /* Separate lanes so the sum vectorizes without reassociation by the compiler. */
    float lanes[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
      for (int l = 0; l < LANES; l++) lanes[l] += y[i + (size_t)l];
    }
    float sum = 0.0f;
    for (; i < n; i++) sum += y[i];
    for (int l = 0; l < LANES; l++) sum += lanes[l];
    const float scale = 1.0f / sum;
    for (size_t j = 0; j < n; j++) y[j] *= scale;
  }
}

void ep_softmax_run(size_t outer, size_t inner, const float* x, float* y, ep_threadpool* pool) {
  if (inner == 0) return;
  softmax_job job = {.inner = inner, .x = x, .y = y};
  const size_t grain = inner >= 4096 ? 1 : 4096 / inner;
  ep_threadpool_parallel_for(pool, outer, grain, softmax_rows, &job);
}

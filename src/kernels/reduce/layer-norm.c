/* LayerNormalization over rows: the ISA's row ukernel (one pass for the moments, one for y), or
 * the scalar loop below where the level has none; rows split over the pool. */
#include <math.h>

#include "kernels/config/kernel-config.h"
#include "kernels/reduce/reduce.h"

/* The same arithmetic as the vector row: moments shifted by x[0], in float. */
static void layer_norm_row_scalar(size_t n, const float* x, const float* scale,
                                  const float* bias, float epsilon, float* y, float* mean,
                                  float* inv_std) {
  float s = 0.0f, q = 0.0f;
  for (size_t i = 0; i < n; i++) {
    const float d = x[i] - x[0];
    s += d;
    q += d * d;
  }
  const float ds = s / (float)n;
  float var = q / (float)n - ds * ds;
  if (var < 0.0f) var = 0.0f;
  const float mu = x[0] + ds, inv = 1.0f / sqrtf(var + epsilon);
  if (mean != NULL) *mean = mu;
  if (inv_std != NULL) *inv_std = inv;
  for (size_t i = 0; i < n; i++) {
    const float t = (x[i] - mu) * inv * scale[i];
    y[i] = bias != NULL ? t + bias[i] : t;
  }
}

typedef struct ln_job {
  size_t n;
  const float *x, *scale, *bias;
  float epsilon;
  float *y, *mean, *inv_std;
  void (*row)(size_t n, const float* x, const float* scale, const float* bias, float epsilon,
              float* y, float* mean, float* inv_std);
} ln_job;

static void ln_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const ln_job* j = ctx;
  for (size_t r = begin; r < end; r++) {
    j->row(j->n, j->x + r * j->n, j->scale, j->bias, j->epsilon, j->y + r * j->n,
           j->mean != NULL ? j->mean + r : NULL, j->inv_std != NULL ? j->inv_std + r : NULL);
  }
}

void ep_layer_norm_run(size_t rows, size_t n, const float* x, const float* scale,
                       const float* bias, float epsilon, float* y, float* mean, float* inv_std,
                       ep_threadpool* pool) {
  const ep_reduce_ukernels* u = ep_kernel_config_get()->reduce;
  ln_job job = {n, x, scale, bias, epsilon, y, mean, inv_std,
                u != NULL && u->layer_norm_row != NULL ? u->layer_norm_row : layer_norm_row_scalar};
  const size_t grain = n >= 2048 ? 1 : 2048 / n;
  ep_threadpool_parallel_for(pool, rows, grain, ln_rows, &job);
}

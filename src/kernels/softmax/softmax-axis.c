/* Softmax and log-softmax along the middle dim of [outer, n, inner]. With inner 1 the rows are
 * contiguous and softmax goes to the row kernel (ep_softmax_run); otherwise tiles of up to TILE
 * neighbouring inner positions are processed together, so that every pass reads contiguous
 * memory and the running maxima and sums stay on the stack. */
#include <math.h>

#include "kernels/activation.h"
#include "kernels/kernels.h"
#include "kernels/tensor_ops.h"

enum { TILE = 64 };

typedef struct softmax_job {
  size_t outer, n, inner, tiles;
  bool log;
  const float* x;
  float* y;
} softmax_job;

static void softmax_tiles(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const softmax_job* j = ctx;
  float max[TILE], sum[TILE];
  for (size_t item = begin; item < end; item++) {
    const size_t o = item / j->tiles, j0 = (item % j->tiles) * TILE;
    const size_t w = j->inner - j0 < TILE ? j->inner - j0 : TILE;
    const float* x = j->x + o * j->n * j->inner + j0;
    float* y = j->y + o * j->n * j->inner + j0;
    for (size_t k = 0; k < w; k++) {
      max[k] = -INFINITY;
      sum[k] = 0.0f;
    }
    for (size_t i = 0; i < j->n; i++) {
      const float* xr = x + i * j->inner;
      for (size_t k = 0; k < w; k++) max[k] = xr[k] > max[k] ? xr[k] : max[k];
    }
    for (size_t i = 0; i < j->n; i++) {
      float* yr = y + i * j->inner;
      for (size_t k = 0; k < w; k++) yr[k] = x[i * j->inner + k] - max[k];
      ep_f32_vexp(w, yr, yr);
      for (size_t k = 0; k < w; k++) sum[k] += yr[k];
    }
    if (j->log) {
      for (size_t k = 0; k < w; k++) sum[k] = logf(sum[k]);
      for (size_t i = 0; i < j->n; i++) {
        float* yr = y + i * j->inner;
        for (size_t k = 0; k < w; k++) yr[k] = x[i * j->inner + k] - max[k] - sum[k];
      }
    } else {
      for (size_t k = 0; k < w; k++) sum[k] = 1.0f / sum[k];
      for (size_t i = 0; i < j->n; i++) {
        float* yr = y + i * j->inner;
        for (size_t k = 0; k < w; k++) yr[k] *= sum[k];
      }
    }
  }
}

void ep_softmax_axis_run(size_t outer, size_t n, size_t inner, bool log, const float* x, float* y,
                         ep_threadpool* pool) {
  if (inner == 1 && !log) {
    ep_softmax_run(outer, n, x, y, pool);
    return;
  }
  softmax_job job = {outer, n, inner, (inner + TILE - 1) / TILE, log, x, y};
  const size_t per_item = n * (inner < TILE ? inner : TILE);
  const size_t grain = per_item >= 4096 ? 1 : 4096 / per_item;
  ep_threadpool_parallel_for(pool, outer * job.tiles, grain, softmax_tiles, &job);
}

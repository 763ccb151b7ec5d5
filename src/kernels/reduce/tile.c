/* Tile: the innermost dim is copied once and repeated with memcpy; each row of the output above
 * it is found from its coordinates, so rows split over the pool. */
#include <string.h>

#include "kernels/reduce/reduce.h"

typedef struct tile_job {
  const ep_shape* x;
  const int* repeats;
  int64_t y_dims[EP_MAX_RANK];
  const float* xp;
  float* y;
} tile_job;

static void tile_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const tile_job* j = ctx;
  const int rank = j->x->rank;
  const size_t w = (size_t)j->x->dims[rank - 1], yw = (size_t)j->y_dims[rank - 1];
  for (size_t row = begin; row < end; row++) {
    /* row indexes y's dims 0..rank-2; the matching x row takes each coordinate modulo x's dim. */
    size_t rest = row, off = 0, stride = w;
    for (int d = rank - 2; d >= 0; d--) {
      const size_t c = rest % (size_t)j->y_dims[d];
      rest /= (size_t)j->y_dims[d];
      off += (c % (size_t)j->x->dims[d]) * stride;
      stride *= (size_t)j->x->dims[d];
    }
    float* dst = j->y + row * yw;
    for (size_t r = 0; r < yw; r += w) memcpy(dst + r, j->xp + off, w * sizeof(float));
  }
}

void ep_tile_run(const ep_shape* x_shape, const int* repeats, const float* x, float* y,
                 ep_threadpool* pool) {
  if (x_shape->rank == 0) {
    y[0] = x[0];
    return;
  }
  tile_job job = {x_shape, repeats, {0}, x, y};
  size_t rows = 1;
  for (int d = 0; d < x_shape->rank; d++) {
    job.y_dims[d] = x_shape->dims[d] * repeats[d];
    if (d < x_shape->rank - 1) rows *= (size_t)job.y_dims[d];
  }
  const size_t yw = (size_t)job.y_dims[x_shape->rank - 1];
  const size_t grain = yw >= 16384 ? 1 : 16384 / yw;
  ep_threadpool_parallel_for(pool, rows, grain, tile_rows, &job);
}

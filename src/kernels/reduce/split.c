/* Split: each output's slab of every outer row is one contiguous copy. */
#include <string.h>

#include "kernels/reduce/reduce.h"

typedef struct split_job {
  size_t inner, total;
  int n_outputs;
  const int* sizes;
  const float* x;
  float* const* y;
} split_job;

static void split_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const split_job* j = ctx;
  for (size_t o = begin; o < end; o++) {
    const float* src = j->x + o * j->total * j->inner;
    for (int k = 0; k < j->n_outputs; k++) {
      const size_t len = (size_t)j->sizes[k] * j->inner;
      memcpy(j->y[k] + o * len, src, len * sizeof(float));
      src += len;
    }
  }
}

void ep_split_run(size_t outer, size_t inner, int n_outputs, const int* sizes, const float* x,
                  float* const* y, ep_threadpool* pool) {
  split_job job = {inner, 0, n_outputs, sizes, x, y};
  for (int k = 0; k < n_outputs; k++) job.total += (size_t)sizes[k];
  const size_t row = job.total * inner;
  const size_t grain = row >= 16384 ? 1 : 16384 / row;
  ep_threadpool_parallel_for(pool, outer, grain, split_rows, &job);
}

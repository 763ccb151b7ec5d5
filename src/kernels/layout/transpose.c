/* Transpose: output rows (every dim but the last) split over the pool; each row gathers from x
 * with the stride of the input dim that becomes the last output dim. Output dims that stay
 * adjacent in x are merged first (and size-1 dims dropped), so a row is as long as it can be:
 * ShuffleNet's channel shuffle, [1, 2, C/2, H, W] -> [1, C/2, 2, H, W], copies C rows of H * W
 * floats instead of C * H rows of W (7 to 28 floats), each a memcpy. */
#include <string.h>

#include "kernels/tensor_ops.h"

typedef struct transpose_job {
  int rank;
  int64_t y_dims[EP_MAX_RANK];
  int64_t src_stride[EP_MAX_RANK]; /* x stride of output dim i */
  const float* x;
  float* y;
} transpose_job;

static void transpose_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const transpose_job* j = ctx;
  const int last = j->rank - 1;
  const size_t inner = (size_t)j->y_dims[last], stride = (size_t)j->src_stride[last];
  for (size_t row = begin; row < end; row++) {
    size_t rest = row, from = 0;
    for (int i = last - 1; i >= 0; i--) {
      from += (rest % (size_t)j->y_dims[i]) * (size_t)j->src_stride[i];
      rest /= (size_t)j->y_dims[i];
    }
    const float* x = j->x + from;
    float* y = j->y + row * inner;
    if (stride == 1) {
      memcpy(y, x, inner * sizeof *y);
    } else {
      for (size_t k = 0; k < inner; k++) y[k] = x[k * stride];
    }
  }
}

void ep_transpose_run(const ep_shape* x_shape, const int* perm, const float* x, float* y,
                      ep_threadpool* pool) {
  if (ep_shape_numel(x_shape) == 0) return;
  transpose_job job;
  int64_t x_strides[EP_MAX_RANK], stride = 1;
  for (int i = x_shape->rank - 1; i >= 0; i--) {
    x_strides[i] = stride;
    stride *= x_shape->dims[i];
  }
  /* Output dims in order, size-1 dims dropped, each merged into the one before it where the two
   * are adjacent in x too (the outer one's stride spans the inner one). */
  int rank = 0;
  for (int i = 0; i < x_shape->rank; i++) {
    const int64_t dim = x_shape->dims[perm[i]], from = x_strides[perm[i]];
    if (dim == 1) continue;
    if (rank > 0 && job.src_stride[rank - 1] == from * dim) {
      job.y_dims[rank - 1] *= dim;
      job.src_stride[rank - 1] = from;
      continue;
    }
    job.y_dims[rank] = dim;
    job.src_stride[rank] = from;
    rank++;
  }
  if (rank == 0) { /* a single element */
    job.y_dims[0] = 1;
    job.src_stride[0] = 1;
    rank = 1;
  }
  job.rank = rank;
  job.x = x;
  job.y = y;
  const size_t inner = (size_t)job.y_dims[job.rank - 1];
  const size_t rows = (size_t)ep_shape_numel(x_shape) / inner;
  /* At least 64K floats (256 KiB) per task: a copy that size takes a core some 10 us, about
   * what waking a worker and the barrier cost here; on a loaded machine a woken worker waits for
   * a core far longer. ShuffleNet v2 x1.0 at 2 threads, load average 17 on 2 CPUs, its 16
   * shuffles (22K-90K floats each), 3 interleaved profiles: 3.1-9.8 ms split over the pool
   * (4096 floats per task), 0.17-1.1 ms on one thread. */
  const size_t grain = inner >= 65536 ? 1 : 65536 / inner;
  ep_threadpool_parallel_for(pool, rows, grain, transpose_rows, &job);
}

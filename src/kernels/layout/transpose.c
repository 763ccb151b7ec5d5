/* Transpose: output rows (every dim but the last) split over the pool; each row gathers from x
 * with the stride of the input dim that becomes the last output dim. */
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
      for (size_t k = 0; k < inner; k++) y[k] = x[k];
    } else {
      for (size_t k = 0; k < inner; k++) y[k] = x[k * stride];
    }
  }
}

void ep_transpose_run(const ep_shape* x_shape, const int* perm, const float* x, float* y,
                      ep_threadpool* pool) {
  transpose_job job;
  int64_t x_strides[EP_MAX_RANK], stride = 1;
  for (int i = x_shape->rank - 1; i >= 0; i--) {
    x_strides[i] = stride;
    stride *= x_shape->dims[i];
  }
  job.rank = x_shape->rank > 0 ? x_shape->rank : 1;
  job.y_dims[0] = 1;
  job.src_stride[0] = 1;
  for (int i = 0; i < x_shape->rank; i++) {
    job.y_dims[i] = x_shape->dims[perm[i]];
    job.src_stride[i] = x_strides[perm[i]];
  }
  job.x = x;
  job.y = y;
  const size_t inner = (size_t)job.y_dims[job.rank - 1];
  const size_t rows = (size_t)ep_shape_numel(x_shape) / inner;
  const size_t grain = inner >= 4096 ? 1 : 4096 / inner;
  ep_threadpool_parallel_for(pool, rows, grain, transpose_rows, &job);
}

/* Transpose: output rows (every dim but the last) split over the pool; each row gathers from x
 * with the stride of the input dim that becomes the last output dim. Output dims that stay
 * adjacent in x are merged first (and size-1 dims dropped), so a row is as long as it can be:
 * ShuffleNet's channel shuffle, [1, 2, C/2, H, W] -> [1, C/2, 2, H, W], copies C rows of H * W
 * floats instead of C * H rows of W (7 to 28 floats), each a memcpy.
 *
 * When the input's innermost dim becomes the second-to-last output dim (after merging), the
 * transpose is a batch of 2-D ones, y [R, N] = x' with x [N, R] (ConvNeXt's NCHW <-> NHWC around
 * each block, [C, H W] <-> [H W, C]; a head split's k' [S, H, d] -> [H, d, S]). A row-by-row
 * gather would read one float per cache line, the whole of x once per output row's worth of
 * lines and one float per instruction; instead the level's 2-D kernel (the kernel
 * configuration's transpose_2d: VF_LANES x VF_LANES blocks through registers) takes strips of
 * 16 output rows. The scalar level keeps the gathered rows. */
#include <string.h>

#include "kernels/config/kernel-config.h"
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
  /* The first row's coordinates by division, the next ones by counting: a division per dim and
   * row cost more than copying a row of 32 floats (Swin's head split, [nW, 49, 3, H, 32]). */
  size_t idx[EP_MAX_RANK], rest = begin, from = 0;
  for (int i = last - 1; i >= 0; i--) {
    idx[i] = rest % (size_t)j->y_dims[i];
    rest /= (size_t)j->y_dims[i];
    from += idx[i] * (size_t)j->src_stride[i];
  }
  for (size_t row = begin; row < end; row++) {
    const float* x = j->x + from;
    float* y = j->y + row * inner;
    if (stride == 1) {
      memcpy(y, x, inner * sizeof *y);
    } else {
      for (size_t k = 0; k < inner; k++) y[k] = x[k * stride];
    }
    for (int i = last - 1; i >= 0; i--) {
      from += (size_t)j->src_stride[i];
      if (++idx[i] < (size_t)j->y_dims[i]) break;
      from -= (size_t)j->src_stride[i] * (size_t)j->y_dims[i];
      idx[i] = 0;
    }
  }
}

/* Output rows per task of the 2-D case: a multiple of every level's block height (4, 8, 16). */
enum { STRIP = 16 };

typedef struct tiled_job {
  ep_f32_transpose_2d_fn kernel;
  int batch_rank;
  int64_t batch_dims[EP_MAX_RANK];
  int64_t batch_stride[EP_MAX_RANK]; /* x stride of each batch dim */
  size_t r, n, stride;               /* y [R, N] per batch, x (n, r) at n * stride + r */
  size_t strips;                     /* strips of R per batch */
  const float* x;
  float* y;
} tiled_job;

/* Items are (batch, STRIP rows of y). */
static void transpose_strips(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const tiled_job* j = ctx;
  for (size_t item = begin; item < end; item++) {
    const size_t batch = item / j->strips, r0 = (item % j->strips) * STRIP;
    size_t rest = batch, from = 0;
    for (int i = j->batch_rank - 1; i >= 0; i--) {
      from += (rest % (size_t)j->batch_dims[i]) * (size_t)j->batch_stride[i];
      rest /= (size_t)j->batch_dims[i];
    }
    const size_t rows = j->r - r0 < STRIP ? j->r - r0 : STRIP;
    j->kernel(rows, j->n, j->x + from + r0, j->stride, j->y + (batch * j->r + r0) * j->n, j->n);
  }
}

/* The merged transpose (rank >= 2, output dim rank - 2 contiguous in x, the last one not) as a
 * batch of 2-D transposes over the pool. */
static void run_2d(ep_f32_transpose_2d_fn kernel, const transpose_job* t, ep_threadpool* pool) {
  tiled_job job;
  job.kernel = kernel;
  job.batch_rank = t->rank - 2;
  size_t batches = 1;
  for (int i = 0; i < job.batch_rank; i++) {
    job.batch_dims[i] = t->y_dims[i];
    job.batch_stride[i] = t->src_stride[i];
    batches *= (size_t)t->y_dims[i];
  }
  job.r = (size_t)t->y_dims[t->rank - 2];
  job.n = (size_t)t->y_dims[t->rank - 1];
  job.stride = (size_t)t->src_stride[t->rank - 1];
  job.strips = (job.r + STRIP - 1) / STRIP;
  job.x = t->x;
  job.y = t->y;
  /* The same 64K floats per task as the row path below. */
  const size_t per_item = STRIP * job.n;
  const size_t grain = per_item >= 65536 ? 1 : 65536 / per_item;
  ep_threadpool_parallel_for(pool, batches * job.strips, grain, transpose_strips, &job);
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
  const ep_f32_transpose_2d_fn kernel = ep_kernel_config_get()->transpose_2d;
  if (kernel != NULL && rank >= 2 && job.src_stride[rank - 2] == 1 &&
      job.src_stride[rank - 1] != 1) {
    run_2d(kernel, &job, pool);
    return;
  }
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

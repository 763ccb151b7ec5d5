/* Max, average and global average pooling, one channel plane per work item.
 *
 * The vector variants (pool-impl.h) pool separably through a padded row buffer. The scalar
 * variant, also the fallback for strides above 2 and very wide rows, applies each window tap to
 * a whole output row over the range of columns where it lands inside the input, so the padding
 * costs no per-pixel test and the loops vectorize. */
#include "kernels/pool/pool.h"

#include <float.h>
#include <string.h>

#include "kernels/config/kernel-config.h"
#include "kernels/kernels.h"
#include "kernels/vmath/vmath.h"
#include "kernels/window.h"

/* Lanes of the widest vector: the row buffer's slack covers two loads of that many past the
 * last tap. */
enum { MAX_LANES = 16, ROW_SLACK = 4 * MAX_LANES };

static ep_pool_plane_fn plane_fn(void) { return ep_kernel_config_get()->pool_plane; }

typedef struct pool_job {
  const ep_pool_desc* d;
  const float* x;
  float* y;
  bool max;
  ep_pool_plane_fn vector_plane; /* NULL: the scalar rows */
  ep_pool_plane plane;
} pool_job;

static void pool_planes(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const pool_job* job = ctx;
  const ep_pool_desc* d = job->d;
  const int in_h = d->in_h, in_w = d->in_w, out_h = d->out_h, out_w = d->out_w;
  const int sw = d->stride_w;
  for (size_t plane = begin; plane < end; plane++) {
    const float* x = job->x + plane * (size_t)in_h * (size_t)in_w;
    float* y = job->y + plane * (size_t)out_h * (size_t)out_w;
    for (int oy = 0; oy < out_h; oy++) {
      float* restrict yrow = y + (size_t)oy * (size_t)out_w;
      const int iy_first = oy * d->stride_h - d->pad_top;
      int ky_lo = iy_first < 0 ? -iy_first : 0;
      int ky_hi = in_h - iy_first < d->kernel_h ? in_h - iy_first : d->kernel_h;
      if (ky_hi < ky_lo) ky_hi = ky_lo;
      const float init = job->max ? -FLT_MAX : 0.0f;
      for (int ox = 0; ox < out_w; ox++) yrow[ox] = init;
      for (int ky = ky_lo; ky < ky_hi; ky++) {
        const float* restrict xrow = x + (size_t)(iy_first + ky) * (size_t)in_w;
        for (int kx = 0; kx < d->kernel_w; kx++) {
          const int offset = kx - d->pad_left;
          int lo, hi;
          ep_window_valid_columns(offset, sw, in_w, out_w, &lo, &hi);
          if (lo == hi) continue;
          const float* restrict src = xrow + (lo * sw + offset);
          float* restrict dst = yrow + lo;
          const int n = hi - lo;
          if (job->max) {
            for (int i = 0; i < n; i++) dst[i] = src[i * sw] > dst[i] ? src[i * sw] : dst[i];
          } else if (sw == 1) {
            for (int i = 0; i < n; i++) dst[i] += src[i];
          } else {
            for (int i = 0; i < n; i++) dst[i] += src[i * sw];
          }
        }
      }
      if (job->max) {
        /* A window wholly in the padding has no value; give 0 rather than -FLT_MAX. */
        if (ky_lo == ky_hi) {
          for (int ox = 0; ox < out_w; ox++) yrow[ox] = 0.0f;
        } else {
          for (int ox = 0; ox < out_w; ox++) {
            const int ix = ox * sw - d->pad_left;
            if (ix + d->kernel_w <= 0 || ix >= in_w) yrow[ox] = 0.0f;
          }
        }
      } else if (d->count_include_pad) {
        const float scale = 1.0f / (float)(d->kernel_h * d->kernel_w);
        for (int ox = 0; ox < out_w; ox++) yrow[ox] *= scale;
      } else {
        const int rows = ky_hi - ky_lo;
        for (int ox = 0; ox < out_w; ox++) {
          const int ix = ox * sw - d->pad_left;
          const int cx0 = ix < 0 ? 0 : ix;
          const int cx1 = ix + d->kernel_w < in_w ? ix + d->kernel_w : in_w;
          const int count = rows * (cx1 > cx0 ? cx1 - cx0 : 0);
          yrow[ox] = count > 0 ? yrow[ox] / (float)count : 0.0f;
        }
      }
    }
  }
}

static void vector_planes(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const pool_job* job = ctx;
  const ep_pool_desc* d = job->d;
  const size_t in_plane = (size_t)d->in_h * (size_t)d->in_w;
  const size_t out_plane = (size_t)d->out_h * (size_t)d->out_w;
  float row[EP_POOL_MAX_ROW + ROW_SLACK];
  for (size_t plane = begin; plane < end; plane++) {
    job->vector_plane(&job->plane, job->max, job->x + plane * in_plane, job->y + plane * out_plane,
                      row);
  }
}

static void run_pool(const ep_pool_desc* d, const float* x, float* y, bool max,
                     ep_threadpool* pool) {
  pool_job job = {.d = d, .x = x, .y = y, .max = max};
  const size_t planes = (size_t)d->batch * (size_t)d->channels;
  const size_t need_w = (size_t)(d->out_w - 1) * (size_t)d->stride_w + (size_t)d->kernel_w;
  const size_t have_w = (size_t)d->pad_left + (size_t)d->in_w;
  const size_t row_floats = (need_w > have_w ? need_w : have_w) + ROW_SLACK;
  if (d->stride_w <= 2 && row_floats <= EP_POOL_MAX_ROW + ROW_SLACK &&
      d->kernel_h <= EP_POOL_MAX_KERNEL && d->out_w <= EP_POOL_MAX_ROW) {
    job.vector_plane = plane_fn();
  }
  if (job.vector_plane == NULL) {
    ep_threadpool_parallel_for(pool, planes, 1, pool_planes, &job);
    return;
  }
  /* Shared by every plane: the average's divisors, and the max's columns with a value. */
  float row_scale[EP_POOL_MAX_KERNEL + 1];
  float col_scale[EP_POOL_MAX_ROW];
  int first_col = d->out_w, end_col = 0;
  for (int ox = 0; ox < d->out_w; ox++) {
    const int ix = ox * d->stride_w - d->pad_left;
    const int cx0 = ix < 0 ? 0 : ix;
    const int cx1 = ix + d->kernel_w < d->in_w ? ix + d->kernel_w : d->in_w;
    const int cols = cx1 > cx0 ? cx1 - cx0 : 0;
    if (cols > 0 && ox < first_col) first_col = ox;
    if (cols > 0) end_col = ox + 1;
    if (d->count_include_pad) {
      col_scale[ox] = 1.0f / (float)d->kernel_w;
    } else {
      col_scale[ox] = cols > 0 ? 1.0f / (float)cols : 0.0f;
    }
  }
  for (int r = 0; r <= d->kernel_h; r++) {
    if (d->count_include_pad) {
      row_scale[r] = 1.0f / (float)d->kernel_h;
    } else {
      row_scale[r] = r > 0 ? 1.0f / (float)r : 0.0f;
    }
  }
  job.plane = (ep_pool_plane){
      .in_h = d->in_h,
      .in_w = d->in_w,
      .out_h = d->out_h,
      .out_w = d->out_w,
      .kernel_h = d->kernel_h,
      .kernel_w = d->kernel_w,
      .stride_h = d->stride_h,
      .stride_w = d->stride_w,
      .pad_top = d->pad_top,
      .pad_left = d->pad_left,
      .row_floats = row_floats,
      .first_col = first_col,
      .end_col = end_col,
      .row_scale = row_scale,
      .col_scale = col_scale,
  };
  ep_threadpool_parallel_for(pool, planes, 1, vector_planes, &job);
}

void ep_max_pool_run(const ep_pool_desc* d, const float* x, float* y, ep_threadpool* pool) {
  run_pool(d, x, y, true, pool);
}

void ep_avg_pool_run(const ep_pool_desc* d, const float* x, float* y, ep_threadpool* pool) {
  run_pool(d, x, y, false, pool);
}

typedef struct global_job {
  size_t hw;
  const float* x;
  float* y;
} global_job;

enum { LANES = 8 };

static void global_planes(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const global_job* job = ctx;
  const size_t hw = job->hw;
  const ep_vmath* vm = ep_vmath_get();
  if (vm != NULL) {
    for (size_t plane = begin; plane < end; plane++) {
      job->y[plane] = vm->sum(hw, job->x + plane * hw) / (float)hw;
    }
    return;
  }
  for (size_t plane = begin; plane < end; plane++) {
    const float* x = job->x + plane * hw;
    /* Separate lanes so the sum vectorizes without reassociation by the compiler. */
    float lanes[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= hw; i += LANES) {
      for (int l = 0; l < LANES; l++) lanes[l] += x[i + (size_t)l];
    }
    float sum = 0.0f;
    for (; i < hw; i++) sum += x[i];
    for (int l = 0; l < LANES; l++) sum += lanes[l];
    job->y[plane] = sum / (float)hw;
  }
}

void ep_global_avg_pool_run(int batch, int channels, int hw, const float* x, float* y,
                            ep_threadpool* pool) {
  global_job job = {.hw = (size_t)hw, .x = x, .y = y};
  const size_t planes = (size_t)batch * (size_t)channels;
  const size_t grain = hw >= 4096 ? 1 : 4096 / (size_t)(hw > 0 ? hw : 1);
  ep_threadpool_parallel_for(pool, planes, grain, global_planes, &job);
}

/* Max, average and global average pooling, one channel plane per work item. Like the depthwise
 * convolution, a window tap is applied to a whole output row over the range of columns where it
 * lands inside the input, so the padding costs no per-pixel test and the loops vectorize. */
#include <float.h>
#include <string.h>

#include "kernels/kernels.h"

typedef struct pool_job {
  const ep_pool_desc* d;
  const float* x;
  float* y;
  bool max;
} pool_job;

/* Output columns [lo, hi) whose tap at ix = ox * stride + offset falls inside [0, in_w). */
static void valid_columns(int offset, int stride, int in_w, int out_w, int* lo, int* hi) {
  int first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int last = in_w - 1 - offset < 0 ? -1 : (in_w - 1 - offset) / stride;
  *lo = first < out_w ? first : out_w;
  *hi = last + 1 < out_w ? last + 1 : out_w;
  if (*hi < *lo) *hi = *lo;
}

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
          valid_columns(offset, sw, in_w, out_w, &lo, &hi);
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

static void run_pool(const ep_pool_desc* d, const float* x, float* y, bool max,
                     ep_threadpool* pool) {
  pool_job job = {.d = d, .x = x, .y = y, .max = max};
  ep_threadpool_parallel_for(pool, (size_t)d->batch * (size_t)d->channels, 1, pool_planes, &job);
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

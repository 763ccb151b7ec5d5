/* Pooling with ONNX semantics the blocked pooling kernels do not cover: 3-D and dilated windows,
 * and average pooling whose divisor counts the padding up to the end padding only (ceil mode with
 * count_include_pad). Planes are split over the pool; also global max pooling. */
#include <math.h>

#include "kernels/tensor_ops.h"

typedef struct pool_job {
  const ep_window_pool_desc* d;
  bool max;
  const float* x;
  float* y;
} pool_job;

/* The taps of a window along one dim that fall in [lo, hi): first index and count. */
static void taps(int start, int dilation, int kernel, int lo, int hi, int* first, int* count) {
  int k0 = start >= lo ? 0 : (lo - start + dilation - 1) / dilation;
  int k1 = start + (kernel - 1) * dilation < hi ? kernel : (hi - 1 - start) / dilation + 1;
  if (hi - 1 - start < 0) k1 = 0;
  *first = k0;
  *count = k1 > k0 ? k1 - k0 : 0;
}

static void pool_planes(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const pool_job* j = ctx;
  const ep_window_pool_desc* d = j->d;
  const size_t in_plane = (size_t)d->in_d * d->in_h * d->in_w;
  const size_t out_plane = (size_t)d->out_d * d->out_h * d->out_w;
  for (size_t plane = begin; plane < end; plane++) {
    const float* xp = j->x + plane * in_plane;
    float* yp = j->y + plane * out_plane;
    for (int oz = 0; oz < d->out_d; oz++) {
      const int sz = oz * d->stride_d - d->pad_front;
      int kz0, nz, pz0, npz;
      taps(sz, d->dilation_d, d->kernel_d, 0, d->in_d, &kz0, &nz);
      taps(sz, d->dilation_d, d->kernel_d, -d->pad_front, d->in_d + d->pad_back, &pz0, &npz);
      for (int oy = 0; oy < d->out_h; oy++) {
        const int sy = oy * d->stride_h - d->pad_top;
        int ky0, ny, py0, npy;
        taps(sy, d->dilation_h, d->kernel_h, 0, d->in_h, &ky0, &ny);
        taps(sy, d->dilation_h, d->kernel_h, -d->pad_top, d->in_h + d->pad_bottom, &py0, &npy);
        for (int ox = 0; ox < d->out_w; ox++) {
          const int sx = ox * d->stride_w - d->pad_left;
          int kx0, nx, px0, npx;
          taps(sx, d->dilation_w, d->kernel_w, 0, d->in_w, &kx0, &nx);
          taps(sx, d->dilation_w, d->kernel_w, -d->pad_left, d->in_w + d->pad_right, &px0, &npx);
          float acc = j->max ? -INFINITY : 0.0f;
          for (int kz = kz0; kz < kz0 + nz; kz++) {
            const float* slice = xp + (size_t)(sz + kz * d->dilation_d) * d->in_h * d->in_w;
            for (int ky = ky0; ky < ky0 + ny; ky++) {
              const float* row = slice + (size_t)(sy + ky * d->dilation_h) * d->in_w + sx;
              for (int kx = kx0; kx < kx0 + nx; kx++) {
                const float v = row[kx * d->dilation_w];
                acc = j->max ? (v > acc ? v : acc) : acc + v;
              }
            }
          }
          const int inside = nz * ny * nx;
          float out = 0.0f;
          if (inside > 0) {
            out = j->max ? acc : acc / (float)(d->count_include_pad ? npz * npy * npx : inside);
          }
          yp[((size_t)oz * d->out_h + oy) * d->out_w + ox] = out;
        }
      }
    }
  }
}

void ep_window_pool_run(const ep_window_pool_desc* d, bool max, const float* x, float* y,
                        ep_threadpool* pool) {
  pool_job job = {d, max, x, y};
  const size_t per_plane =
      (size_t)d->out_d * d->out_h * d->out_w * d->kernel_d * d->kernel_h * d->kernel_w;
  const size_t grain = per_plane >= 4096 ? 1 : 4096 / (per_plane ? per_plane : 1);
  ep_threadpool_parallel_for(pool, (size_t)d->batch * d->channels, grain, pool_planes, &job);
}

typedef struct global_job {
  size_t hw;
  const float* x;
  float* y;
} global_job;

static void global_max_planes(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const global_job* j = ctx;
  for (size_t plane = begin; plane < end; plane++) {
    const float* x = j->x + plane * j->hw;
    float m = -INFINITY;
    for (size_t i = 0; i < j->hw; i++) m = x[i] > m ? x[i] : m;
    j->y[plane] = m;
  }
}

void ep_global_max_pool_run(size_t planes, size_t hw, const float* x, float* y,
                            ep_threadpool* pool) {
  global_job job = {hw, x, y};
  const size_t grain = hw >= 4096 ? 1 : 4096 / hw;
  ep_threadpool_parallel_for(pool, planes, grain, global_max_planes, &job);
}

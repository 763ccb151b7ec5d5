/* The NCHW <-> NHWC transposes around XNNPACK's layout-bound operators (convolution, pooling):
 * each image's [rows][cols] matrix transposed in 32 x 32 tiles (two 4 KiB tiles stay in L1),
 * 4 x 4 blocks at a time in SSE registers on x86-64 (every x86-64 has SSE2: no ISA file needed),
 * the tiles spread over the session's pthreadpool like XNNPACK's own work.
 *
 * They are the price of keeping every tensor between nodes NCHW, the layout the session, the
 * other backends and range cuts read. 56x56x128, one AMD EPYC core (AVX2), best of 30: NCHW ->
 * NHWC 0.46 ms and back 0.57 ms scalar, 0.15 and 0.24 ms with the SSE blocks, against 2.7 ms
 * for XNNPACK's 1x1 convolution 128 -> 128 on it. In whole runs (perf samples, one thread) they
 * are 11% of MobileNet v1's time, 7% of ResNet-50's, 6% of Inception v1's. */
#if defined(__SSE2__)
#include <xmmintrin.h>
#endif

#include "backends/xnnpack/xnnpack_internal.h"

enum { TILE = 32 };

typedef struct transpose_job {
  size_t rows, cols;
  const float* x;
  float* y;
} transpose_job;

static void transpose_tile(void* job_, size_t b, size_t r0, size_t c0, size_t nr, size_t nc) {
  const transpose_job* job = job_;
  const size_t rows = job->rows, cols = job->cols;
  const float* x = job->x + b * rows * cols;
  float* y = job->y + b * rows * cols;
  size_t r_end = r0 + nr, c_end = c0 + nc, r = r0;
#if defined(__SSE2__)
  for (; r + 4 <= r_end; r += 4) {
    size_t c = c0;
    for (; c + 4 <= c_end; c += 4) {
      __m128 a = _mm_loadu_ps(x + (r + 0) * cols + c), b1 = _mm_loadu_ps(x + (r + 1) * cols + c);
      __m128 c2 = _mm_loadu_ps(x + (r + 2) * cols + c), d = _mm_loadu_ps(x + (r + 3) * cols + c);
      _MM_TRANSPOSE4_PS(a, b1, c2, d);
      _mm_storeu_ps(y + (c + 0) * rows + r, a);
      _mm_storeu_ps(y + (c + 1) * rows + r, b1);
      _mm_storeu_ps(y + (c + 2) * rows + r, c2);
      _mm_storeu_ps(y + (c + 3) * rows + r, d);
    }
    for (; c < c_end; c++) {
      for (size_t i = r; i < r + 4; i++) y[c * rows + i] = x[i * cols + c];
    }
  }
#endif
  for (; r < r_end; r++) {
    for (size_t c = c0; c < c_end; c++) y[c * rows + r] = x[r * cols + c];
  }
}

void ep_xnnpack_transpose(pthreadpool_t pool, size_t batch, size_t rows, size_t cols,
                          const float* x, float* y) {
  transpose_job job = {rows, cols, x, y};
  pthreadpool_parallelize_3d_tile_2d(pool, transpose_tile, &job, batch, rows, cols, TILE, TILE, 0);
}

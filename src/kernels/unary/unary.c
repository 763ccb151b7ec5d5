/* LeakyRelu and Clip, split over the pool in chunks. */
#include "kernels/tensor_ops.h"

enum { CHUNK = 16384 };

typedef struct unary_job {
  float p0, p1;
  const float* x;
  float* y;
  size_t n;
} unary_job;

static void leaky_chunks(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const unary_job* j = ctx;
  const size_t last = end * CHUNK < j->n ? end * CHUNK : j->n;
  const float alpha = j->p0;
  for (size_t i = begin * CHUNK; i < last; i++) {
    const float v = j->x[i];
    j->y[i] = v >= 0.0f ? v : alpha * v;
  }
}

static void clip_chunks(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const unary_job* j = ctx;
  const size_t last = end * CHUNK < j->n ? end * CHUNK : j->n;
  const float lo = j->p0, hi = j->p1;
  for (size_t i = begin * CHUNK; i < last; i++) {
    const float v = j->x[i] < lo ? lo : j->x[i];
    j->y[i] = v > hi ? hi : v;
  }
}

void ep_leaky_relu_run(size_t n, float alpha, const float* x, float* y, ep_threadpool* pool) {
  unary_job job = {alpha, 0.0f, x, y, n};
  ep_threadpool_parallel_for(pool, (n + CHUNK - 1) / CHUNK, 1, leaky_chunks, &job);
}

void ep_clip_run(size_t n, float lo, float hi, const float* x, float* y, ep_threadpool* pool) {
  unary_job job = {lo, hi, x, y, n};
  ep_threadpool_parallel_for(pool, (n + CHUNK - 1) / CHUNK, 1, clip_chunks, &job);
}

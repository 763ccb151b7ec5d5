/* The element-wise math driver: the active level's kernel (kernel configuration) over chunks
 * of the array, split over the pool. */
#include "kernels/unary/unary-math.h"

#include "kernels/config/kernel-config.h"

/* Floats per claimed chunk: 64 KiB in and out, enough that claiming one costs little. */
enum { CHUNK = 16384 };

typedef struct unary_math_job {
  ep_unary_fn fn;
  const ep_unary_params* p;
  const float* x;
  float* y;
  size_t n;
} unary_math_job;

static void unary_math_chunks(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const unary_math_job* j = ctx;
  const size_t first = begin * CHUNK;
  const size_t last = end * CHUNK < j->n ? end * CHUNK : j->n;
  if (first < last) j->fn(last - first, j->x + first, j->y + first, j->p);
}

void ep_unary_run(ep_unary_op op, const ep_unary_params* p, size_t n, const float* x, float* y,
                  ep_threadpool* pool) {
  static const ep_unary_params none = {0.0f, 0.0f};
  unary_math_job job = {ep_kernel_config_get()->unary->fn[op], p != NULL ? p : &none, x, y, n};
  ep_threadpool_parallel_for(pool, (n + CHUNK - 1) / CHUNK, 1, unary_math_chunks, &job);
}

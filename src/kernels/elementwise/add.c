/* y = act(a + b), split into cache-sized chunks over the pool. */
#include "kernels/kernels.h"
#include "kernels/vmath/vmath.h"

enum { CHUNK = 16384 }; /* floats: 64 KiB per operand, enough to amortize claiming a chunk */

typedef struct add_job {
  const float* a;
  const float* b;
  float* y;
  ep_activation act;
} add_job;

static void add_range(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const add_job* job = ctx;
  const ep_vmath* vm = ep_vmath_get();
  if (vm != NULL) {
    vm->add(end - begin, job->a + begin, job->b + begin, job->act, job->y + begin);
    return;
  }
  /* No restrict: y may alias a or b, which is fine element by element. */
  const float* a = job->a;
  const float* b = job->b;
  float* y = job->y;
  for (size_t i = begin; i < end; i++) y[i] = a[i] + b[i];
  ep_activation_apply(job->act, y + begin, end - begin);
}

void ep_add_run(size_t n, const float* a, const float* b, ep_activation act, float* y,
                ep_threadpool* pool) {
  add_job job = {.a = a, .b = b, .y = y, .act = act};
  ep_threadpool_parallel_for(pool, n, CHUNK, add_range, &job);
}

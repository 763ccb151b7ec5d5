/* y = act(x) over the pool. */
#include <string.h>

#include "kernels/kernels.h"

enum { CHUNK = 16384 };

typedef struct activation_job {
  const float* x;
  float* y;
  ep_activation act;
} activation_job;

static void activation_range(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const activation_job* job = ctx;
  if (job->y != job->x) memcpy(job->y + begin, job->x + begin, (end - begin) * sizeof(float));
  ep_activation_apply(job->act, job->y + begin, end - begin);
}

void ep_activation_run(ep_activation act, size_t n, const float* x, float* y, ep_threadpool* pool) {
  activation_job job = {.x = x, .y = y, .act = act};
  ep_threadpool_parallel_for(pool, n, CHUNK, activation_range, &job);
}

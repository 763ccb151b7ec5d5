/* Thread pool: every item runs exactly once for any thread count and grain, workers really run
 * on the CPUs they were pinned to (seen from inside the pool), and a destroyed pool restores
 * the caller's affinity. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "edgeprof/platform.h"
#include "core/threadpool.h"
#include "test_support.h"

typedef struct count_job {
  atomic_int* hits;
  atomic_int max_worker;
} count_job;

static void count_items(void* ctx, size_t begin, size_t end, int worker) {
  count_job* job = ctx;
  for (size_t i = begin; i < end; i++) atomic_fetch_add(&job->hits[i], 1);
  int seen = atomic_load(&job->max_worker);
  while (worker > seen && !atomic_compare_exchange_weak(&job->max_worker, &seen, worker)) {
  }
}

static void check_coverage(ep_threadpool* pool, size_t n, size_t grain) {
  atomic_int* hits = calloc(n + 1, sizeof *hits);
  count_job job = {hits, 0};
  ep_threadpool_parallel_for(pool, n, grain, count_items, &job);
  int ok = 1;
  for (size_t i = 0; i < n; i++) ok &= atomic_load(&hits[i]) == 1;
  EP_CHECK_MSG(ok, "n=%zu grain=%zu threads=%d", n, grain, ep_threadpool_threads(pool));
  EP_CHECK(atomic_load(&job.max_worker) < ep_threadpool_threads(pool));
  free(hits);
}

typedef struct cpu_job {
  atomic_int cpu_of_worker[8];
  atomic_int spin;
} cpu_job;

static void record_cpu(void* ctx, size_t begin, size_t end, int worker) {
  cpu_job* job = ctx;
  (void)begin;
  (void)end;
  atomic_store(&job->cpu_of_worker[worker], sched_getcpu());
}

int main(void) {
  for (int threads = 1; threads <= 4; threads++) {
    ep_threadpool* pool = NULL;
    EP_CHECK_OK(ep_threadpool_create(threads, NULL, 0, &pool));
    if (pool == NULL) continue;
    EP_CHECK(ep_threadpool_threads(pool) == threads);
    size_t sizes[] = {1, 2, 3, 7, 64, 1000, 4097};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
      for (size_t grain = 1; grain <= 16; grain *= 4) check_coverage(pool, sizes[s], grain);
    }
    /* Many back-to-back jobs, as a network's operators are. */
    for (int rep = 0; rep < 2000; rep++) check_coverage(pool, 37, 1);
    ep_threadpool_destroy(pool);
  }
  check_coverage(NULL, 100, 1);
  ep_threadpool_destroy(NULL);

  /* Pinning: each worker reports, from inside a job, the CPU it runs on. */
  int allowed[EP_MAX_CPUS];
  int n_allowed = ep_cpus_allowed(allowed, EP_MAX_CPUS);
  cpu_set_t before;
  sched_getaffinity(0, sizeof before, &before);
  for (int first = 0; first < n_allowed && first < 2; first++) {
    int threads = n_allowed < 3 ? n_allowed : 3;
    int cpus[3];
    for (int i = 0; i < threads; i++) cpus[i] = allowed[(first + i) % n_allowed];
    ep_threadpool* pool = NULL;
    EP_CHECK_OK(ep_threadpool_create(threads, cpus, threads, &pool));
    if (pool == NULL) continue;
    for (int rep = 0; rep < 50; rep++) {
      cpu_job job;
      for (int i = 0; i < 8; i++) atomic_init(&job.cpu_of_worker[i], -1);
      /* One item per worker cannot be forced, so run many items and check whoever ran. */
      ep_threadpool_parallel_for(pool, 256, 1, record_cpu, &job);
      for (int w = 0; w < threads; w++) {
        int seen = atomic_load(&job.cpu_of_worker[w]);
        EP_CHECK_MSG(seen == -1 || seen == cpus[w], "worker %d ran on CPU %d, pinned to %d", w,
                     seen, cpus[w]);
      }
    }
    int reported[3];
    ep_threadpool_worker_cpus(pool, reported);
    for (int w = 0; w < threads; w++) {
      EP_CHECK_MSG(reported[w] == cpus[w], "worker %d reports CPU %d, pinned to %d", w,
                   reported[w], cpus[w]);
    }
    ep_threadpool_destroy(pool);
    cpu_set_t after;
    sched_getaffinity(0, sizeof after, &after);
    EP_CHECK(CPU_EQUAL(&before, &after));
  }

  ep_threadpool* bad = NULL;
  EP_CHECK(ep_threadpool_create(0, NULL, 0, &bad) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(bad == NULL);
  return ep_test_finish();
}

/* Thread pool: persistent workers, a job counter for wake-up, atomic chunk claiming.
 *
 * A job is published by bumping `generation`; workers spin on it for a while (so operators that
 * follow each other do not pay a futex wake-up), then sleep on a condition variable. Chunks are
 * claimed with an atomic fetch-add, so no lock is taken on the hot path. */
#define _GNU_SOURCE
#include "core/threadpool.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

enum { SPIN_ITERATIONS = 20000, YIELD_AFTER = 2000 };

struct ep_threadpool;

typedef struct worker {
  pthread_t thread;
  struct ep_threadpool* pool;
  int index;
  int cpu; /* pinned CPU or -1 */
  atomic_int seen_cpu;
} worker;

struct ep_threadpool {
  int threads;
  worker* workers; /* threads entries; [0] is the caller */

  /* Current job. Written by the caller before generation is bumped. */
  ep_range_fn fn;
  void* ctx;
  size_t n, chunk, n_chunks;
  atomic_size_t next_chunk;
  atomic_int pending; /* workers that have not finished the current job */

  atomic_uint generation;
  atomic_bool stop;
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  atomic_int sleepers;

  bool caller_pinned;
  cpu_set_t caller_saved_affinity;
};

static void run_chunks(ep_threadpool* pool, int worker_index) {
  for (;;) {
    size_t c = atomic_fetch_add_explicit(&pool->next_chunk, 1, memory_order_relaxed);
    if (c >= pool->n_chunks) break;
    size_t begin = c * pool->chunk;
    size_t end = begin + pool->chunk;
    if (end > pool->n) end = pool->n;
    pool->fn(pool->ctx, begin, end, worker_index);
  }
}

static int pin_current_thread(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void* worker_main(void* arg) {
  worker* self = arg;
  ep_threadpool* pool = self->pool;
  if (self->cpu >= 0) pin_current_thread(self->cpu);
  atomic_store(&self->seen_cpu, sched_getcpu());
  /* Generation 0 is the state at creation: a job published before this thread got here must
   * still be seen as new, or the caller would wait for this worker forever. */
  unsigned seen = 0;
  for (;;) {
    unsigned gen;
    int spins = 0;
    while ((gen = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen &&
           !atomic_load_explicit(&pool->stop, memory_order_acquire) && spins < SPIN_ITERATIONS) {
      /* Yield after a short pure spin so an oversubscribed pool (more threads than free
       * cores) lets the thread that holds the work run. */
      if (++spins > YIELD_AFTER) sched_yield(); else cpu_relax();
    }
    if (gen == seen && !atomic_load(&pool->stop)) {
      pthread_mutex_lock(&pool->mutex);
      atomic_fetch_add(&pool->sleepers, 1);
      while ((gen = atomic_load(&pool->generation)) == seen && !atomic_load(&pool->stop)) {
        pthread_cond_wait(&pool->wake, &pool->mutex);
      }
      atomic_fetch_sub(&pool->sleepers, 1);
      pthread_mutex_unlock(&pool->mutex);
    }
    if (atomic_load_explicit(&pool->stop, memory_order_acquire)) break;
    seen = gen;
    run_chunks(pool, self->index);
    atomic_store(&self->seen_cpu, sched_getcpu());
    atomic_fetch_sub_explicit(&pool->pending, 1, memory_order_acq_rel);
  }
  return NULL;
}

ep_status ep_threadpool_create(int threads, const int* cpus, int n_cpus, ep_threadpool** out) {
  if (threads < 1 || threads > 1024) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "thread count %d is out of range 1..1024", threads);
  }
  if (n_cpus < 0 || (n_cpus > 0 && cpus == NULL)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "CPU list is missing");
  }
  ep_status status = EP_OK;
  ep_threadpool* pool = calloc(1, sizeof *pool);
  if (pool == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for the thread pool");
  pool->threads = threads;
  pool->workers = calloc((size_t)threads, sizeof *pool->workers);
  pthread_mutex_init(&pool->mutex, NULL);
  pthread_cond_init(&pool->wake, NULL);
  if (pool->workers == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for the thread pool");
    goto cleanup;
  }
  for (int i = 0; i < threads; i++) {
    pool->workers[i].pool = pool;
    pool->workers[i].index = i;
    pool->workers[i].cpu = n_cpus > 0 ? cpus[i % n_cpus] : -1;
    atomic_init(&pool->workers[i].seen_cpu, -1);
  }
  if (n_cpus > 0) {
    if (pthread_getaffinity_np(pthread_self(), sizeof pool->caller_saved_affinity,
                               &pool->caller_saved_affinity) != 0 ||
        pin_current_thread(pool->workers[0].cpu) != 0) {
      status = ep_error(EP_ERR_SYSTEM, "cannot pin the calling thread to CPU %d",
                        pool->workers[0].cpu);
      goto cleanup;
    }
    pool->caller_pinned = true;
  }
  atomic_store(&pool->workers[0].seen_cpu, sched_getcpu());
  for (int i = 1; i < threads; i++) {
    int err = pthread_create(&pool->workers[i].thread, NULL, worker_main, &pool->workers[i]);
    if (err != 0) {
      pool->threads = i; /* destroy joins the ones that started */
      status = ep_error(EP_ERR_SYSTEM, "cannot start worker thread %d: %s", i, strerror(err));
      goto cleanup;
    }
  }
  *out = pool;
  return EP_OK;

cleanup:
  ep_threadpool_destroy(pool);
  return status;
}

void ep_threadpool_destroy(ep_threadpool* pool) {
  if (pool == NULL) return;
  if (pool->workers != NULL) {
    pthread_mutex_lock(&pool->mutex);
    atomic_store(&pool->stop, true);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 1; i < pool->threads; i++) pthread_join(pool->workers[i].thread, NULL);
  }
  if (pool->caller_pinned) {
    pthread_setaffinity_np(pthread_self(), sizeof pool->caller_saved_affinity,
                           &pool->caller_saved_affinity);
  }
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->mutex);
  free(pool->workers);
  free(pool);
}

int ep_threadpool_threads(const ep_threadpool* pool) { return pool == NULL ? 1 : pool->threads; }

void ep_threadpool_parallel_for(ep_threadpool* pool, size_t n, size_t grain, ep_range_fn fn,
                                void* ctx) {
  if (n == 0) return;
  if (grain == 0) grain = 1;
  int threads = ep_threadpool_threads(pool);
  if (pool == NULL || threads == 1 || n <= grain) {
    fn(ctx, 0, n, 0);
    return;
  }
  /* About four chunks per thread balance uneven chunks without much claiming overhead. */
  size_t chunk = (n + (size_t)threads * 4 - 1) / ((size_t)threads * 4);
  if (chunk < grain) chunk = grain;
  pool->fn = fn;
  pool->ctx = ctx;
  pool->n = n;
  pool->chunk = chunk;
  pool->n_chunks = (n + chunk - 1) / chunk;
  atomic_store_explicit(&pool->next_chunk, 0, memory_order_relaxed);
  atomic_store_explicit(&pool->pending, threads - 1, memory_order_relaxed);
  /* seq_cst pairs with the sleepers count: either the worker sees the new generation or we see
   * it asleep and wake it. */
  atomic_fetch_add(&pool->generation, 1);
  if (atomic_load(&pool->sleepers) > 0) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
  }
  run_chunks(pool, 0);
  for (int spins = 0; atomic_load_explicit(&pool->pending, memory_order_acquire) > 0;) {
    if (++spins > YIELD_AFTER) sched_yield(); else cpu_relax();
  }
}

void ep_threadpool_worker_cpus(ep_threadpool* pool, int* cpus_out) {
  if (pool == NULL) {
    cpus_out[0] = sched_getcpu();
    return;
  }
  atomic_store(&pool->workers[0].seen_cpu, sched_getcpu());
  for (int i = 0; i < pool->threads; i++) cpus_out[i] = atomic_load(&pool->workers[i].seen_cpu);
}

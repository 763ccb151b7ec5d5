/* Thread pool: persistent workers, one atomic ticket per job, atomic chunk claiming.
 *
 * A job is published by storing a new ticket: (job number, chunk count, next chunk) in one 64-bit
 * word. Workers spin on it for a while (so operators that follow each other do not pay a futex
 * wake-up), then sleep on a condition variable. Chunks are claimed with a compare-and-swap on the
 * ticket, and the caller waits for the chunks to be done, not for the workers to arrive: a worker
 * that is asleep or descheduled when a short job is published costs the caller nothing but the
 * wake-up call, since the caller claims the chunks the worker has not. Before, the caller waited
 * for every worker to see every job; with shufflenet_v2_x0_5's ~170 tiny nodes at 2 threads on a
 * loaded machine that wait was most of the run (4.55 ms against 1.70 ms at 1 thread). */
#define _GNU_SOURCE
#include "core/threadpool.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

enum { SPIN_ITERATIONS = 20000, YIELD_AFTER = 2000 };

/* A worker's seen_cpu before it started: not -1, which sched_getcpu returns where it fails. */
#define CPU_NOT_STARTED INT_MIN

/* Chunks per job fit the ticket's 16-bit fields; parallel_for makes at most CHUNKS_PER_THREAD
 * per thread (4096 at 1024 threads). */
enum { CHUNKS_PER_THREAD = 4, MAX_CHUNKS = 0xffff, MAX_THREADS = 1024 };
_Static_assert(MAX_THREADS * CHUNKS_PER_THREAD <= MAX_CHUNKS, "chunk count overflows the ticket");

static inline uint64_t ticket_pack(uint32_t job, uint32_t n_chunks, uint32_t next) {
  return (uint64_t)job << 32 | (uint64_t)n_chunks << 16 | next;
}
static inline uint32_t ticket_job(uint64_t t) { return (uint32_t)(t >> 32); }
static inline uint32_t ticket_chunks(uint64_t t) { return (uint32_t)(t >> 16) & 0xffff; }
static inline uint32_t ticket_next(uint64_t t) { return (uint32_t)t & 0xffff; }

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

  /* Current job. Written by the caller before the ticket is stored; read by a worker only after
   * it claimed one of the job's chunks, when the caller is still waiting for that chunk. */
  ep_range_fn fn;
  void* ctx;
  size_t n, grain, units; /* units: grains in [0, n), the last one maybe partial */
  uint32_t job; /* the caller's job counter; only the caller touches it */

  _Alignas(64) atomic_uint_fast64_t ticket;
  _Alignas(64) atomic_size_t done; /* chunks of the current job finished */

  atomic_bool stop;
  pthread_mutex_t mutex;
  pthread_cond_t wake;
  atomic_int sleepers;

  bool caller_pinned;
  cpu_set_t caller_saved_affinity;
};

/* Claims and runs chunks of job `job` until none is left or the ticket moved to another job. */
static void run_chunks(ep_threadpool* pool, uint32_t job, int worker_index) {
  uint64_t t = atomic_load_explicit(&pool->ticket, memory_order_acquire);
  for (;;) {
    if (ticket_job(t) != job || ticket_next(t) >= ticket_chunks(t)) return;
    if (!atomic_compare_exchange_weak_explicit(&pool->ticket, &t, t + 1, memory_order_acq_rel,
                                               memory_order_acquire)) {
      continue;
    }
    /* Chunk c holds grains [c * units / chunks, (c + 1) * units / chunks): equal to one grain. */
    const size_t c = ticket_next(t), chunks = ticket_chunks(t);
    size_t begin = c * pool->units / chunks * pool->grain;
    size_t end = (c + 1) * pool->units / chunks * pool->grain;
    if (end > pool->n) end = pool->n;
    pool->fn(pool->ctx, begin, end, worker_index);
    atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
    t = atomic_load_explicit(&pool->ticket, memory_order_acquire);
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
  /* Job 0 is the state at creation; the first job is 1. */
  uint32_t seen = 0;
  for (;;) {
    uint32_t job;
    int spins = 0;
    while ((job = ticket_job(atomic_load_explicit(&pool->ticket, memory_order_acquire))) == seen &&
           !atomic_load_explicit(&pool->stop, memory_order_acquire) && spins < SPIN_ITERATIONS) {
      /* Yield after a short pure spin so an oversubscribed pool (more threads than free
       * cores) lets the thread that holds the work run. */
      if (++spins > YIELD_AFTER) sched_yield(); else cpu_relax();
    }
    if (job == seen && !atomic_load(&pool->stop)) {
      pthread_mutex_lock(&pool->mutex);
      atomic_fetch_add(&pool->sleepers, 1);
      while ((job = ticket_job(atomic_load(&pool->ticket))) == seen && !atomic_load(&pool->stop)) {
        pthread_cond_wait(&pool->wake, &pool->mutex);
      }
      atomic_fetch_sub(&pool->sleepers, 1);
      pthread_mutex_unlock(&pool->mutex);
    }
    if (atomic_load_explicit(&pool->stop, memory_order_acquire)) break;
    /* A job that ended before this worker got here is simply skipped: its ticket has no chunk
     * left, or it is already the next job's. */
    seen = job;
    run_chunks(pool, job, self->index);
    atomic_store_explicit(&self->seen_cpu, sched_getcpu(), memory_order_relaxed);
  }
  return NULL;
}

ep_status ep_threadpool_create(int threads, const int* cpus, int n_cpus, ep_threadpool** out) {
  if (threads < 1 || threads > MAX_THREADS) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "thread count %d is out of range 1..%d", threads,
                    MAX_THREADS);
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
    atomic_init(&pool->workers[i].seen_cpu, CPU_NOT_STARTED);
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

int ep_threadpool_worth_splitting(const ep_threadpool* pool, double work_ns) {
  return ep_threadpool_threads(pool) > 1 && work_ns >= EP_THREADPOOL_SPLIT_MIN_NS;
}

void ep_threadpool_parallel_for(ep_threadpool* pool, size_t n, size_t grain, ep_range_fn fn,
                                void* ctx) {
  if (n == 0) return;
  if (grain == 0) grain = 1;
  int threads = ep_threadpool_threads(pool);
  if (pool == NULL || threads == 1 || n <= grain) {
    fn(ctx, 0, n, 0);
    return;
  }
  /* About four chunks per thread balance uneven items without much claiming overhead. The
   * chunks' sizes differ by one grain at most, so each thread gets an equal share: 49 groups of
   * a grouped conv at 2 threads are 8 chunks of 6 or 7 (24/25 per thread), not 7 chunks of 7
   * (28/21), the split of fixed-size chunks. */
  const size_t units = (n + grain - 1) / grain;
  const size_t per_job = (size_t)threads * CHUNKS_PER_THREAD;
  const size_t n_chunks = units < per_job ? units : per_job; /* <= MAX_CHUNKS */
  pool->fn = fn;
  pool->ctx = ctx;
  pool->n = n;
  pool->grain = grain;
  pool->units = units;
  atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
  /* Job numbers wrap but never to 0, the workers' state at creation. */
  if (++pool->job == 0) pool->job = 1;
  const uint32_t job = pool->job;
  /* seq_cst pairs with the sleepers count: either the worker sees the new ticket or we see it
   * asleep and wake it. */
  atomic_store(&pool->ticket, ticket_pack(job, (uint32_t)n_chunks, 0));
  if (atomic_load(&pool->sleepers) > 0) {
    pthread_mutex_lock(&pool->mutex);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
  }
  run_chunks(pool, job, 0);
  /* Only chunks a worker claimed and is still running are waited for. */
  for (int spins = 0; atomic_load_explicit(&pool->done, memory_order_acquire) < n_chunks;) {
    if (++spins > YIELD_AFTER) sched_yield(); else cpu_relax();
  }
}

void ep_threadpool_worker_cpus(ep_threadpool* pool, int* cpus_out) {
  if (pool == NULL) {
    cpus_out[0] = sched_getcpu();
    return;
  }
  atomic_store(&pool->workers[0].seen_cpu, sched_getcpu());
  /* A worker that has not started yet (the caller may have run every chunk so far) is waited
   * for: it reports its CPU once pinned (-1 where sched_getcpu cannot tell). */
  for (int i = 0; i < pool->threads; i++) {
    while ((cpus_out[i] = atomic_load(&pool->workers[i].seen_cpu)) == CPU_NOT_STARTED) {
      sched_yield();
    }
  }
}

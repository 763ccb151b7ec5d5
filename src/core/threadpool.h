/* Thread pool created once per session; workers optionally pinned to CPUs.
 *
 * The calling thread is worker 0 and takes part in every parallel_for, so a pool of N threads
 * starts N-1 workers. Workers spin briefly after a job before sleeping on a condition variable,
 * so back-to-back operators do not pay a wake-up; the caller never waits for a worker to wake.
 * No thread is created per operator. */
#ifndef EDGEPROF_CORE_THREADPOOL_H
#define EDGEPROF_CORE_THREADPOOL_H

#include <stddef.h>

#include "edgeprof/status.h"

typedef struct ep_threadpool ep_threadpool;

/* fn handles items [begin, end); `worker` is in [0, threads) and identifies per-thread scratch. */
typedef void (*ep_range_fn)(void* ctx, size_t begin, size_t end, int worker);

/* `cpus` may be NULL (no pinning); worker i is pinned to cpus[i % n_cpus], the calling thread
 * included (its previous affinity is restored by ep_threadpool_destroy). */
ep_status ep_threadpool_create(int threads, const int* cpus, int n_cpus, ep_threadpool** out);
void ep_threadpool_destroy(ep_threadpool* pool);

/* 1 for a NULL pool. */
int ep_threadpool_threads(const ep_threadpool* pool);

/* Runs fn over [0, n) split into chunks of whole grains of `grain` items (0 means 1; only the
 * last grain may be partial), about four per thread and equal to one grain, spread over the
 * workers; returns when all chunks are done. The caller runs chunks too and waits only for chunks
 * a worker claimed, never for a worker to wake up: a worker that arrives late finds no chunk
 * left and goes back to waiting. A NULL pool or a single chunk runs inline. Must be called from
 * the thread that created the pool, never from inside fn. */
void ep_threadpool_parallel_for(ep_threadpool* pool, size_t n, size_t grain, ep_range_fn fn,
                                void* ctx);

/* The least work (nanoseconds at one thread) worth splitting over the pool: below it, the
 * executor runs a node on the calling thread and wakes no worker. Handing a job out costs the
 * caller ~1-2 us with a spinning worker (publish, claim, wait for the last chunk, the worker's
 * cache misses on data the caller just wrote) and a futex wake-up when the worker sleeps; a split
 * saves half the work, so it pays from a few times that. Measured on shufflenet_v2_x0_5 at 2
 * threads (docs/performance.md, "pool"). */
enum { EP_THREADPOOL_SPLIT_MIN_NS = 12000 };

/* Whether work of `work_ns` (at one thread) is worth splitting over `pool`: false for a NULL or
 * one-thread pool and below EP_THREADPOOL_SPLIT_MIN_NS. */
int ep_threadpool_worth_splitting(const ep_threadpool* pool, double work_ns);

/* The CPU each worker last ran on, as seen from inside the workers (sched_getcpu), for tests
 * that check pinning; waits for workers that have not started. Writes `threads` ids. */
void ep_threadpool_worker_cpus(ep_threadpool* pool, int* cpus_out);

#endif /* EDGEPROF_CORE_THREADPOOL_H */

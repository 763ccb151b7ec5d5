/* The pool's split rule: work below EP_THREADPOOL_SPLIT_MIN_NS runs on the calling thread and
 * wakes no worker; above it both threads get chunks; a session hands a big node to the pool and
 * runs a small one inline, with the same results at 1, 2 and 3 threads, and EDGEPROF_SPLIT_MIN_US
 * moves the threshold. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/threadpool.h"
#include "edgeprof/graph.h"
#include "edgeprof/session.h"
#include "runtime/node_work.h"
#include "runtime/session_internal.h"
#include "test_support.h"

static ep_test_rng rng = {77};

static double seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

typedef struct who_job {
  pthread_t caller;
  bool hold; /* worker 0 waits for another worker before running its first chunk */
  atomic_int items_on_caller, items_elsewhere, max_worker;
  atomic_bool worker_ran;
} who_job;

/* With `hold`, worker 0 (the caller) holds its first chunk until another worker has run one, so
 * a test that both threads get work does not depend on the scheduler's timing (10 s at most). */
static void who_items(void* ctx, size_t begin, size_t end, int worker) {
  who_job* job = ctx;
  if (worker != 0) atomic_store(&job->worker_ran, true);
  if (worker == 0 && job->hold) {
    for (double start = seconds(); !atomic_load(&job->worker_ran) && seconds() - start < 10.0;) {
      sched_yield();
    }
  }
  int n = (int)(end - begin);
  if (pthread_equal(pthread_self(), job->caller)) {
    atomic_fetch_add(&job->items_on_caller, n);
  } else {
    atomic_fetch_add(&job->items_elsewhere, n);
  }
  int seen = atomic_load(&job->max_worker);
  while (worker > seen && !atomic_compare_exchange_weak(&job->max_worker, &seen, worker)) {
  }
}

/* What the executor does with a node of `work_ns`: the pool when the rule says so, else none. */
static void run_like_executor(ep_threadpool* pool, double work_ns, who_job* job) {
  memset(job, 0, sizeof *job);
  job->caller = pthread_self();
  ep_threadpool* used = ep_threadpool_worth_splitting(pool, work_ns) ? pool : NULL;
  job->hold = used != NULL;
  ep_threadpool_parallel_for(used, 64, 1, who_items, job);
}

static void test_rule(void) {
  EP_CHECK(!ep_threadpool_worth_splitting(NULL, 1e9));
  ep_threadpool* one = NULL;
  EP_CHECK_OK(ep_threadpool_create(1, NULL, 0, &one));
  EP_CHECK(!ep_threadpool_worth_splitting(one, 1e9));
  ep_threadpool_destroy(one);

  ep_threadpool* pool = NULL;
  EP_CHECK_OK(ep_threadpool_create(2, NULL, 0, &pool));
  if (pool == NULL) return;
  EP_CHECK(!ep_threadpool_worth_splitting(pool, EP_THREADPOOL_SPLIT_MIN_NS - 1.0));
  EP_CHECK(ep_threadpool_worth_splitting(pool, EP_THREADPOOL_SPLIT_MIN_NS));

  who_job job;
  /* Below: every item on the calling thread, worker index 0. */
  for (int rep = 0; rep < 100; rep++) {
    run_like_executor(pool, EP_THREADPOOL_SPLIT_MIN_NS / 2.0, &job);
    EP_CHECK(atomic_load(&job.items_on_caller) == 64 && atomic_load(&job.items_elsewhere) == 0);
    EP_CHECK(atomic_load(&job.max_worker) == 0);
  }
  /* Above: both threads run chunks, and every item runs once. */
  for (int rep = 0; rep < 20; rep++) {
    run_like_executor(pool, EP_THREADPOOL_SPLIT_MIN_NS * 2.0, &job);
    EP_CHECK(atomic_load(&job.items_on_caller) + atomic_load(&job.items_elsewhere) == 64);
    EP_CHECK_MSG(atomic_load(&job.items_elsewhere) > 0 && atomic_load(&job.max_worker) == 1,
                 "the worker ran %d of 64 items", atomic_load(&job.items_elsewhere));
  }
  ep_threadpool_destroy(pool);
}

typedef struct size_job {
  size_t grain;
  atomic_size_t smallest, largest, items;
  atomic_int misaligned;
} size_job;

static void record_sizes(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  size_job* job = ctx;
  const size_t n = end - begin;
  size_t v = atomic_load(&job->smallest);
  while (n < v && !atomic_compare_exchange_weak(&job->smallest, &v, n)) {
  }
  v = atomic_load(&job->largest);
  while (n > v && !atomic_compare_exchange_weak(&job->largest, &v, n)) {
  }
  atomic_fetch_add(&job->items, n);
  if (begin % job->grain != 0) atomic_fetch_add(&job->misaligned, 1);
}

/* Chunks start at whole grains and differ by one grain at most (the last may be cut short by
 * n): a 2-thread split of 49 groups is 8 chunks of 6 or 7, not 7 chunks of 7. */
static void test_partition(void) {
  ep_threadpool* pool = NULL;
  EP_CHECK_OK(ep_threadpool_create(2, NULL, 0, &pool));
  if (pool == NULL) return;
  const struct {
    size_t n, grain, smallest, largest;
  } cases[] = {{49, 1, 6, 7}, {1000, 16, 7 * 16, 8 * 16}, {9, 1, 1, 2}, {1003, 16, 7 * 16, 8 * 16}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_job job = {.grain = cases[i].grain, .smallest = (size_t)-1};
    ep_threadpool_parallel_for(pool, cases[i].n, cases[i].grain, record_sizes, &job);
    EP_CHECK_MSG(atomic_load(&job.items) == cases[i].n && atomic_load(&job.misaligned) == 0,
                 "n=%zu grain=%zu", cases[i].n, cases[i].grain);
    EP_CHECK_MSG(
        atomic_load(&job.smallest) == cases[i].smallest &&
            atomic_load(&job.largest) == cases[i].largest,
        "n=%zu grain=%zu: chunks of %zu..%zu items, expected %zu..%zu", cases[i].n,
        cases[i].grain, atomic_load(&job.smallest), atomic_load(&job.largest), cases[i].smallest,
        cases[i].largest);
  }
  ep_threadpool_destroy(pool);
}

static int add_random_constant(ep_graph* g, const char* name, ep_shape shape) {
  int id = -1;
  EP_CHECK_OK(ep_graph_add_constant(g, name, shape, NULL, &id));
  float* data = ep_graph_constant_data(g, id);
  if (data != NULL) ep_test_fill(&rng, data, (size_t)ep_shape_numel(&shape), -0.3f, 0.3f);
  return id;
}

/* A big conv (7.2 M multiply-adds, ~0.4 ms) followed by a global average pool that reads 200 KB
 * (~4 us): the session splits the first and runs the second on the calling thread. */
static void test_session(void) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("split", &g));
  int x, y, z;
  const ep_shape xs = ep_shape_make(4, (int64_t[]){1, 16, 56, 56});
  EP_CHECK_OK(ep_graph_add_input(g, "x", xs, &x));
  int w = add_random_constant(g, "w", ep_shape_make(4, (int64_t[]){16, 16, 3, 3}));
  ep_attrs conv = {.kernel = {3, 3}, .stride = {1, 1}, .pad = {1, 1, 1, 1}};
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, "conv", &conv, (int[]){x, w}, 2, 1, NULL, &y));
  EP_CHECK_OK(
      ep_graph_add_node(g, EP_OP_GLOBAL_AVG_POOL, "gap", &(ep_attrs){0}, &y, 1, 1, NULL, &z));
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_mark_output(g, z));
  EP_CHECK_OK(ep_graph_finalize(g));
  if (g == NULL) return;
  EP_CHECK(ep_node_work_ns(g, ep_graph_node(g, 0)) >= EP_THREADPOOL_SPLIT_MIN_NS);
  EP_CHECK(ep_node_work_ns(g, ep_graph_node(g, 1)) < EP_THREADPOOL_SPLIT_MIN_NS);

  const size_t n = (size_t)ep_shape_numel(&xs), ny = 16 * 56 * 56;
  float* input = malloc(n * sizeof *input);
  ep_test_fill(&rng, input, n, -1.0f, 1.0f);
  float *y1 = malloc(ny * sizeof *y1), *yt = malloc(ny * sizeof *yt), z1[16], zt[16];
  for (int threads = 1; threads <= 3; threads++) {
    ep_session* s = NULL;
    ep_session_options opts = {threads, NULL, 0, NULL};
    EP_CHECK_OK(ep_session_create(g, &opts, &s));
    if (s == NULL) continue;
    EP_CHECK_MSG(ep_session_node_split(s, 0) == (threads > 1), "conv at %d threads", threads);
    EP_CHECK_MSG(!ep_session_node_split(s, 1), "global pool at %d threads", threads);
    EP_CHECK(!ep_session_node_split(s, 2) && !ep_session_node_split(s, -1));
    EP_CHECK_OK(ep_session_set_input(s, 0, input, n));
    EP_CHECK_OK(ep_session_run(s));
    EP_CHECK_OK(ep_session_get_output(s, 0, threads == 1 ? y1 : yt, ny));
    EP_CHECK_OK(ep_session_get_output(s, 1, threads == 1 ? z1 : zt, 16));
    if (threads > 1) {
      EP_CHECK_MSG(memcmp(y1, yt, ny * sizeof *yt) == 0, "conv differs at %d threads", threads);
      EP_CHECK_MSG(memcmp(z1, zt, sizeof zt) == 0, "pool differs at %d threads", threads);
    }
    ep_session_destroy(s);
  }
  /* EDGEPROF_SPLIT_MIN_US moves the threshold: 0 splits the pool too, a huge one neither node,
   * a malformed value is ignored; one thread never splits. */
  const struct {
    const char* env;
    bool conv, pool;
  } moved[] = {{"0", true, true}, {"1e9", false, false}, {"12x", true, false}, {"-3", true, false}};
  for (size_t k = 0; k < sizeof moved / sizeof moved[0]; k++) {
    setenv("EDGEPROF_SPLIT_MIN_US", moved[k].env, 1);
    for (int threads = 1; threads <= 2; threads++) {
      ep_session* s = NULL;
      ep_session_options opts = {threads, NULL, 0, NULL};
      EP_CHECK_OK(ep_session_create(g, &opts, &s));
      if (s == NULL) continue;
      EP_CHECK_MSG(ep_session_node_split(s, 0) == (moved[k].conv && threads > 1) &&
                       ep_session_node_split(s, 1) == (moved[k].pool && threads > 1),
                   "EDGEPROF_SPLIT_MIN_US=%s at %d threads", moved[k].env, threads);
      EP_CHECK_OK(ep_session_set_input(s, 0, input, n));
      EP_CHECK_OK(ep_session_run(s));
      EP_CHECK_OK(ep_session_get_output(s, 0, yt, ny));
      EP_CHECK_OK(ep_session_get_output(s, 1, zt, 16));
      EP_CHECK_MSG(memcmp(y1, yt, ny * sizeof *yt) == 0 && memcmp(z1, zt, sizeof zt) == 0,
                   "outputs differ with EDGEPROF_SPLIT_MIN_US=%s", moved[k].env);
      ep_session_destroy(s);
    }
  }
  unsetenv("EDGEPROF_SPLIT_MIN_US");
  free(input);
  free(y1);
  free(yt);
  ep_graph_destroy(g);
}

/* A Gather or a Slice reads what it writes, not its whole input: 8 rows of a 3 MB embedding
 * table (counted whole, 63 us) and 2 channels of a 800 KB tensor (16 us) are both a few us of
 * work, below the threshold, while a Transpose of that tensor is counted whole. */
static void test_partial_readers(void) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("partial", &g));
  int table = -1, idx = -1, x = -1, y = -1, s = -1, t = -1;
  EP_CHECK_OK(ep_graph_add_constant(g, "table", ep_shape_make(2, (int64_t[]){1024, 768}), NULL,
                                    &table));
  const int64_t rows[8] = {0, 5, 9, 100, 7, 3, 1023, 512};
  EP_CHECK_OK(ep_graph_add_constant_typed(g, "idx", EP_DTYPE_INT64,
                                          ep_shape_make(1, (int64_t[]){8}), rows, &idx));
  ep_attrs ga = ep_attrs_default(EP_OP_GATHER);
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_GATHER, "gather", &ga, (int[]){table, idx}, 2, 1, NULL,
                                &y));
  EP_CHECK_OK(ep_graph_add_input(g, "x", ep_shape_make(4, (int64_t[]){1, 64, 56, 56}), &x));
  int sl[5];
  const int64_t lo = 10, hi = 12, axis = 1, step = 1;
  const int64_t* v[4] = {&lo, &hi, &axis, &step};
  const char* names[4] = {"starts", "ends", "axes", "steps"};
  for (int k = 0; k < 4; k++) {
    EP_CHECK_OK(ep_graph_add_constant_typed(g, names[k], EP_DTYPE_INT64,
                                            ep_shape_make(1, (int64_t[]){1}), v[k], &sl[k + 1]));
  }
  sl[0] = x;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_SLICE, "slice", NULL, sl, 5, 1, NULL, &s));
  ep_attrs ta = ep_attrs_default(EP_OP_TRANSPOSE);
  const int perm[4] = {0, 2, 3, 1};
  for (int d = 0; d < 4; d++) ta.perm[d] = perm[d];
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_TRANSPOSE, "transpose", &ta, &x, 1, 1, NULL, &t));
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_mark_output(g, s));
  EP_CHECK_OK(ep_graph_mark_output(g, t));
  EP_CHECK_OK(ep_graph_finalize(g));
  if (g == NULL) return;
  const double gather = ep_node_work_ns(g, ep_graph_node(g, 0));
  const double slice = ep_node_work_ns(g, ep_graph_node(g, 1));
  const double transpose = ep_node_work_ns(g, ep_graph_node(g, 2));
  EP_CHECK_MSG(gather > 0 && gather < 2000.0, "gather of 8 rows estimated at %.0f ns", gather);
  EP_CHECK_MSG(slice > 0 && slice < 3000.0, "slice of 2 channels estimated at %.0f ns", slice);
  EP_CHECK_MSG(transpose >= EP_THREADPOOL_SPLIT_MIN_NS, "transpose estimated at %.0f ns",
               transpose);
  ep_graph_destroy(g);
}

int main(void) {
  test_rule();
  test_partition();
  test_session();
  test_partial_readers();
  return ep_test_finish();
}

/* Latency of one graph over configurations: backend x core set x thread count (the paper's
 * Fig. 2). Each configuration is a fresh session whose workers are pinned round-robin over the
 * set's CPUs (worker i on cpus[i % n]); a thread count above the set's size still runs and is
 * marked oversubscribed.
 *
 * Library code: it never prints; progress goes through a callback. */
#ifndef EDGEPROF_SWEEP_H
#define EDGEPROF_SWEEP_H

#include <signal.h>
#include <stdbool.h>

#include "edgeprof/bench.h"
#include "edgeprof/graph.h"
#include "edgeprof/noise.h"
#include "edgeprof/session.h"
#include "edgeprof/status.h"
#include "edgeprof/topology.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_SWEEP_MAX_THREADS 64 /* thread counts in one list */

/* The default backend (edgeprof's own); ep_backend_name lists the others of the build. */
#define EP_BACKEND_CPU "cpu"

/* How long each configuration runs: warm-up runs, then at least min_runs runs and min_seconds,
 * but fewer runs (never under 3) when min_runs runs would take longer than budget_seconds
 * (0: no budget). */
typedef struct ep_measure_options {
  int warmup_runs;
  int min_runs;
  double min_seconds;
  double budget_seconds;
  /* After every timed run (progress); may be NULL. */
  void (*on_run)(void* user, int run, double elapsed_seconds);
  void* user;
  const char* backend; /* NULL: EP_BACKEND_CPU */
  const volatile sig_atomic_t* stop; /* non-zero: stop after the current run; may be NULL */
} ep_measure_options;

/* One configuration and what was measured there. */
typedef struct ep_measurement {
  char backend[16];                    /* "cpu", "onednn" */
  char core_set[EP_CORE_SET_NAME_MAX]; /* "big" */
  char cpus[256];                      /* the set's CPU list, "4-7" */
  int set_size;                        /* CPUs in the set */
  int threads;
  bool oversubscribed;                 /* threads > set_size */
  int warmup_runs;                     /* done before the timed runs */
  int n_samples;
  double* samples_ms;                  /* [n_samples] every timed run, in run order */
  ep_latency_stats stats;
  double seconds;                      /* wall time of the configuration, warm-up included */
  ep_noise noise;                      /* what else the machine did during the timed runs */
  /* MLPerf's 90th-percentile early-stopping estimate at 99% confidence of the samples (as
   * SingleStream's result); 0 when there are fewer than 64 samples. */
  double p90_estimate_ms;
} ep_measurement;

/* Frees the samples of `n` measurements (not the array). */
void ep_measurements_clear(ep_measurement* measurements, int n);

/* Measures `graph` on `set` with `threads` threads. `memory_out` (may be NULL) receives the
 * session's memory. On success `out` owns its samples (ep_measurements_clear). */
ep_status ep_measure(const ep_graph* graph, const ep_core_set* set, int threads,
                     const ep_measure_options* options, ep_measurement* out,
                     ep_session_memory* memory_out);

/* The thread counts of a machine with n CPUs: 1, 2, 4, 8 (the paper's), every power of two up
 * to n, and n. Ascending; returns the count (at most max). */
int ep_sweep_default_threads(int n_cpus, int* threads, int max);

/* Parses "1,2,4,8" (each 1 to EP_MAX_CPUS, at most EP_SWEEP_MAX_THREADS, duplicates dropped,
 * sorted). EP_ERR_INVALID_ARGUMENT with a message naming the bad part. */
ep_status ep_thread_list_parse(const char* text, int* threads, int* count_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_SWEEP_H */

/* Benchmark runner and latency statistics (the conventions of TFLite's benchmark tool:
 * warm-up runs, then runs until both a minimum count and a minimum time are reached). */
#ifndef EDGEPROF_BENCH_H
#define EDGEPROF_BENCH_H

#include <stddef.h>

#include "edgeprof/session.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_latency_stats {
  int count;
  double min, median, mean, p90, p99, max, stddev; /* milliseconds */
} ep_latency_stats;

/* Statistics of n samples in milliseconds (sorted copy; samples are left as they are).
 * Percentiles use linear interpolation between closest ranks; stddev is the sample one. */
void ep_latency_stats_compute(const double* samples_ms, int n, ep_latency_stats* stats_out);

typedef struct ep_bench_options {
  int warmup_runs; /* default 1 */
  int min_runs;    /* default 50 */
  double min_seconds; /* default 1.0 */
  int max_runs;       /* stop here even before min_seconds; 0 means no limit */
  /* Called after every run with the run index (progress); may be NULL. */
  void (*progress)(void* user, int run, double elapsed_seconds);
  void* user;
} ep_bench_options;

/* Fills options with the defaults above. */
void ep_bench_options_default(ep_bench_options* options);

/* Runs the whole session repeatedly; writes each run's latency in ms into a buffer it allocates
 * (*samples_out, free()), and its length. */
ep_status ep_bench_run(ep_session* session, const ep_bench_options* options,
                       double** samples_out, int* count_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_BENCH_H */

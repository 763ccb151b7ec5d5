/* Benchmark runner and latency statistics (the conventions of TFLite's benchmark tool:
 * warm-up runs, then runs until both a minimum count and a minimum time are reached). */
#ifndef EDGEPROF_BENCH_H
#define EDGEPROF_BENCH_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/session.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_latency_stats {
  int count;
  double min, median, mean, p90, p99, max, stddev; /* milliseconds */
  double p95, p999; /* the tail as onnxruntime_perf_test and LoadGen report it (p999: 99.9th) */
} ep_latency_stats;

/* Statistics of n samples in milliseconds (sorted copy; samples are left as they are).
 * Percentiles use linear interpolation between closest ranks; stddev is the sample one. */
void ep_latency_stats_compute(const double* samples_ms, int n, ep_latency_stats* stats_out);

typedef struct ep_bench_options {
  int warmup_runs; /* default 1 */
  int min_runs;    /* default 50 */
  double min_seconds; /* default 1.0 */
  int max_runs;       /* stop here even before min_seconds; 0 means no limit */
  /* Stop once the timed runs took this long, even before min_runs (at least one run); 0 means
   * no limit. TFLite's --max_secs. */
  double max_seconds;
  /* Called after every run with the run index (progress); may be NULL. */
  void (*progress)(void* user, int run, double elapsed_seconds);
  void* user;
  /* When *stop becomes non-zero (a signal handler sets it), the loop ends after the current
   * run and returns the samples so far; NULL: never. */
  const volatile sig_atomic_t* stop;
} ep_bench_options;

/* Fills options with the defaults above. */
void ep_bench_options_default(ep_bench_options* options);

/* Runs the whole session repeatedly; writes each run's latency in ms into a buffer it allocates
 * (*samples_out, free()), and its length. */
ep_status ep_bench_run(ep_session* session, const ep_bench_options* options,
                       double** samples_out, int* count_out);

/* --- MLPerf Inference SingleStream (LoadGen's rules) ------------------------------------- */

/* How many of the slowest of q latency samples to discard so that the largest of the rest is
 * LoadGen's early-stopping estimate of the `percentile` latency (0.90 for SingleStream) at
 * `confidence` (0.99), tolerance d = 0. q = 100 gives 2, q = 745 gives 54 (LoadGen's logs).
 * Returns -1 when q is too small for an estimate (q < ep_early_stopping_min_queries) or an
 * argument is out of range (q < 1, percentile or confidence outside (0, 1)). Pure and
 * thread-safe. */
int ep_early_stopping_discard(int64_t q, double percentile, double confidence);

/* The smallest q for which ep_early_stopping_discard gives an estimate (64 for 0.90 at 0.99);
 * -1 for arguments out of range. */
int64_t ep_early_stopping_min_queries(double percentile, double confidence);

/* The early-stopping estimate of n samples (ms, left as they are): writes it to *estimate_out
 * and returns the number of slowest samples discarded, or returns -1 (nothing written) as
 * ep_early_stopping_discard does, or when the sorted copy cannot be allocated. */
int ep_early_stopping_estimate(const double* samples_ms, int n, double percentile,
                               double confidence, double* estimate_out);

#define EP_SINGLESTREAM_PERCENTILE 0.90
#define EP_SINGLESTREAM_CONFIDENCE 0.99
#define EP_SINGLESTREAM_MIN_QUERIES 64     /* the rules' defaults */
#define EP_SINGLESTREAM_MIN_DURATION_S 600.0

typedef struct ep_singlestream_result {
  int64_t queries;    /* processed queries (timed runs) */
  int discarded;      /* slowest queries discarded; -1: too few queries for an estimate */
  double p90_estimate_ms; /* the early-stopping estimate; 0 when discarded is -1 */
  bool valid;         /* LoadGen's VALID: min duration, min queries and early stopping met */
  char reason[192];   /* why INVALID ("; "-separated); "" when valid */
} ep_singlestream_result;

/* SingleStream's result of one run: n latency samples taken one after another over
 * duration_s seconds, judged against min_queries and min_duration_s as LoadGen does. */
void ep_singlestream_evaluate(const double* samples_ms, int n, double duration_s,
                              int64_t min_queries, double min_duration_s,
                              ep_singlestream_result* result_out);

/* --- MultiStream-style p99 and Offline throughput --------------------------------------- */

/* MultiStream (LoadGen since v3.0): a query is 8 samples, sent when the previous query has
 * completed; the result is the 99th-percentile early-stopping estimate of the query latency at
 * 99% confidence; at least 662 queries and 600 s. Here, at batch 1, a query's 8 samples run one
 * after another and its latency is the sum of theirs. */
#define EP_MULTISTREAM_SAMPLES_PER_QUERY 8
#define EP_MULTISTREAM_PERCENTILE 0.99
#define EP_MULTISTREAM_CONFIDENCE 0.99
#define EP_MULTISTREAM_MIN_QUERIES 662
#define EP_MULTISTREAM_MIN_DURATION_S 600.0

typedef struct ep_multistream_result {
  int64_t queries;       /* complete queries (n / samples_per_query; the rest is not counted) */
  int samples_per_query;
  int discarded;         /* slowest queries discarded; -1: too few for an estimate */
  double p99_estimate_ms; /* the early-stopping estimate of the query latency; 0 when -1 */
  bool valid;            /* min duration, min queries and an estimate */
  char reason[192];      /* why INVALID ("; "-separated); "" when valid */
} ep_multistream_result;

/* MultiStream's result of n sample latencies (ms) run one after another over duration_s: each
 * run of samples_per_query consecutive samples is one query. */
void ep_multistream_evaluate(const double* samples_ms, int n, int samples_per_query,
                             double duration_s, int64_t min_queries, double min_duration_s,
                             ep_multistream_result* result_out);

/* Offline (LoadGen): every sample in one query, the result in samples per second; at least 24576
 * samples and 600 s. On an edge device running batch 1 the samples of that query run one after
 * another exactly as SingleStream's do, so the throughput is derived from such a run: samples
 * over the wall time of the timed runs (the edge derivation MLPerf Inference allows). */
#define EP_OFFLINE_MIN_SAMPLES 24576
#define EP_OFFLINE_MIN_DURATION_S 600.0

typedef struct ep_offline_result {
  int64_t samples;
  double seconds;
  double samples_per_s;
  bool valid;
  char reason[192];
} ep_offline_result;

void ep_offline_evaluate(int64_t samples, double duration_s, int64_t min_samples,
                         double min_duration_s, ep_offline_result* result_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_BENCH_H */

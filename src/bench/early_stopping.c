/* MLPerf LoadGen's early-stopping estimate of a latency percentile, and SingleStream's verdict.
 *
 * LoadGen (loadgen/early_stopping.cc, results.cc) asks, for t "overlatency" queries (slower than
 * the reported latency) among n = h + t, whether P(X <= t) <= 1 - confidence for
 * X ~ Binomial(n, 1 - (percentile - d)): if so, a true percentile at or below the reported
 * latency would rarely have produced as few as t overlatency queries, so the estimate holds with
 * that confidence. find_min_passing(t) is the smallest such h; with q processed queries LoadGen
 * takes the largest t with q >= find_min_passing(t) + t, reports the (q - t)-th smallest latency
 * (1-based: the t - 1 slowest discarded) and needs find_min_passing(1) + 1 queries at least.
 * Since P(X <= t) falls as n grows, "q >= find_min_passing(t) + t" is exactly
 * "BinomialCDF(t; q, 1 - percentile) <= 1 - confidence", so one pass over t at n = q gives t.
 * With percentile 0.90, confidence 0.99, d = 0: q = 64 is the least (discard 0), q = 100
 * discards 2 and q = 745 discards 54, as LoadGen's summaries print. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/bench.h"

static bool args_ok(double percentile, double confidence) {
  return percentile > 0.0 && percentile < 1.0 && confidence > 0.0 && confidence < 1.0;
}

/* log Gamma(x) without lgamma's global signgam (lgamma_r, a GNU and BSD extension), so the
 * functions here are safe from any thread. */
static double log_gamma(double x) {
  int sign;
  return lgamma_r(x, &sign);
}

/* log P(X = k), X ~ Binomial(n, r), 0 < r < 1. */
static double log_binomial_pmf(int64_t k, int64_t n, double r) {
  return log_gamma((double)n + 1.0) - log_gamma((double)k + 1.0) -
         log_gamma((double)(n - k) + 1.0) + (double)k * log(r) + (double)(n - k) * log1p(-r);
}

static double log_add(double a, double b) { /* log(e^a + e^b) without overflow */
  if (a < b) {
    double t = a;
    a = b;
    b = t;
  }
  return b == -INFINITY ? a : a + log1p(exp(b - a));
}

/* The largest t >= 1 with BinomialCDF(t; q, 1 - percentile) <= 1 - confidence, 0 if none. */
static int64_t largest_passing_t(int64_t q, double percentile, double confidence) {
  double r = 1.0 - percentile;
  double log_tail = log(1.0 - confidence);
  double log_cdf = -INFINITY;
  int64_t t = 0;
  for (int64_t k = 0; k <= q; k++) {
    log_cdf = log_add(log_cdf, log_binomial_pmf(k, q, r));
    if (log_cdf > log_tail) break; /* the CDF only grows with k */
    t = k;
  }
  return t;
}

int ep_early_stopping_discard(int64_t q, double percentile, double confidence) {
  if (q < 1 || !args_ok(percentile, confidence)) return -1;
  int64_t t = largest_passing_t(q, percentile, confidence);
  if (t < 1 || t - 1 > INT32_MAX) return -1;
  return (int)(t - 1);
}

int64_t ep_early_stopping_min_queries(double percentile, double confidence) {
  if (!args_ok(percentile, confidence)) return -1;
  /* BinomialCDF(1; q, r) falls as q grows: search for the first q that passes. */
  int64_t lo = 1, hi = 1;
  while (ep_early_stopping_discard(hi, percentile, confidence) < 0) {
    if (hi > INT32_MAX) return -1;
    lo = hi + 1;
    hi *= 2;
  }
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (ep_early_stopping_discard(mid, percentile, confidence) < 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

static int compare_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

int ep_early_stopping_estimate(const double* samples_ms, int n, double percentile,
                               double confidence, double* estimate_out) {
  if (samples_ms == NULL || estimate_out == NULL) return -1;
  int discard = ep_early_stopping_discard(n, percentile, confidence);
  if (discard < 0) return -1;
  double* sorted = malloc((size_t)n * sizeof *sorted);
  if (sorted == NULL) return -1;
  memcpy(sorted, samples_ms, (size_t)n * sizeof *sorted);
  qsort(sorted, (size_t)n, sizeof *sorted, compare_double);
  *estimate_out = sorted[n - 1 - discard];
  free(sorted);
  return discard;
}

/* Appends "; "-separated text to a reason buffer, truncating quietly. */
static void add_reason(char* reason, size_t size, const char* text) {
  size_t len = strlen(reason);
  if (len + 1 >= size) return;
  snprintf(reason + len, size - len, "%s%s", len > 0 ? "; " : "", text);
}

void ep_singlestream_evaluate(const double* samples_ms, int n, double duration_s,
                              int64_t min_queries, double min_duration_s,
                              ep_singlestream_result* result_out) {
  ep_singlestream_result r;
  memset(&r, 0, sizeof r);
  r.queries = n > 0 ? n : 0;
  double estimate = 0.0;
  r.discarded = n > 0 ? ep_early_stopping_estimate(samples_ms, n, EP_SINGLESTREAM_PERCENTILE,
                                                   EP_SINGLESTREAM_CONFIDENCE, &estimate)
                      : -1;
  if (r.discarded >= 0) r.p90_estimate_ms = estimate;
  char text[96];
  if (duration_s < min_duration_s) {
    snprintf(text, sizeof text, "ran %.3g s, shorter than the minimum %.3g s", duration_s,
             min_duration_s);
    add_reason(r.reason, sizeof r.reason, text);
  }
  if (r.queries < min_queries) {
    snprintf(text, sizeof text, "%lld queries, fewer than the minimum %lld",
             (long long)r.queries, (long long)min_queries);
    add_reason(r.reason, sizeof r.reason, text);
  }
  if (r.discarded < 0) {
    snprintf(text, sizeof text, "too few queries for an early-stopping estimate (need %lld)",
             (long long)ep_early_stopping_min_queries(EP_SINGLESTREAM_PERCENTILE,
                                                      EP_SINGLESTREAM_CONFIDENCE));
    add_reason(r.reason, sizeof r.reason, text);
  }
  r.valid = r.reason[0] == '\0';
  *result_out = r;
}

void ep_multistream_evaluate(const double* samples_ms, int n, int samples_per_query,
                             double duration_s, int64_t min_queries, double min_duration_s,
                             ep_multistream_result* result_out) {
  ep_multistream_result r;
  memset(&r, 0, sizeof r);
  r.samples_per_query = samples_per_query > 0 ? samples_per_query : 1;
  int queries = n > 0 && samples_ms != NULL ? n / r.samples_per_query : 0;
  r.queries = queries;
  r.discarded = -1;
  double* latency = queries > 0 ? malloc((size_t)queries * sizeof *latency) : NULL;
  if (latency != NULL) {
    for (int q = 0; q < queries; q++) {
      double sum = 0.0;
      for (int k = 0; k < r.samples_per_query; k++) sum += samples_ms[q * r.samples_per_query + k];
      latency[q] = sum;
    }
    double estimate = 0.0;
    r.discarded = ep_early_stopping_estimate(latency, queries, EP_MULTISTREAM_PERCENTILE,
                                             EP_MULTISTREAM_CONFIDENCE, &estimate);
    if (r.discarded >= 0) r.p99_estimate_ms = estimate;
    free(latency);
  }
  char text[96];
  if (duration_s < min_duration_s) {
    snprintf(text, sizeof text, "ran %.3g s, shorter than the minimum %.3g s", duration_s,
             min_duration_s);
    add_reason(r.reason, sizeof r.reason, text);
  }
  if (r.queries < min_queries) {
    snprintf(text, sizeof text, "%lld queries, fewer than the minimum %lld",
             (long long)r.queries, (long long)min_queries);
    add_reason(r.reason, sizeof r.reason, text);
  }
  if (r.discarded < 0) {
    snprintf(text, sizeof text, "too few queries for an early-stopping estimate (need %lld)",
             (long long)ep_early_stopping_min_queries(EP_MULTISTREAM_PERCENTILE,
                                                      EP_MULTISTREAM_CONFIDENCE));
    add_reason(r.reason, sizeof r.reason, text);
  }
  r.valid = r.reason[0] == '\0';
  *result_out = r;
}

void ep_offline_evaluate(int64_t samples, double duration_s, int64_t min_samples,
                         double min_duration_s, ep_offline_result* result_out) {
  ep_offline_result r;
  memset(&r, 0, sizeof r);
  r.samples = samples > 0 ? samples : 0;
  r.seconds = duration_s > 0.0 ? duration_s : 0.0;
  r.samples_per_s = r.seconds > 0.0 ? (double)r.samples / r.seconds : 0.0;
  char text[96];
  if (duration_s < min_duration_s) {
    snprintf(text, sizeof text, "ran %.3g s, shorter than the minimum %.3g s", duration_s,
             min_duration_s);
    add_reason(r.reason, sizeof r.reason, text);
  }
  if (r.samples < min_samples) {
    snprintf(text, sizeof text, "%lld samples, fewer than the minimum %lld",
             (long long)r.samples, (long long)min_samples);
    add_reason(r.reason, sizeof r.reason, text);
  }
  if (r.samples == 0) add_reason(r.reason, sizeof r.reason, "no samples");
  r.valid = r.reason[0] == '\0';
  *result_out = r;
}

/* Latency statistics of a set of samples (milliseconds). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/bench.h"

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

/* Linear interpolation between closest ranks (numpy's default): rank q * (n - 1). */
static double percentile(const double* sorted, int n, double q) {
  double rank = q * (double)(n - 1);
  int lo = (int)floor(rank);
  int hi = lo + 1 < n ? lo + 1 : n - 1;
  double frac = rank - (double)lo;
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

void ep_latency_stats_compute(const double* samples_ms, int n, ep_latency_stats* stats_out) {
  ep_latency_stats s;
  memset(&s, 0, sizeof s);
  if (samples_ms == NULL || n <= 0) {
    *stats_out = s;
    return;
  }
  double* sorted = malloc((size_t)n * sizeof *sorted);
  double sum = 0.0;
  for (int i = 0; i < n; i++) sum += samples_ms[i];
  s.count = n;
  s.mean = sum / n;
  double sq = 0.0;
  for (int i = 0; i < n; i++) sq += (samples_ms[i] - s.mean) * (samples_ms[i] - s.mean);
  s.stddev = n > 1 ? sqrt(sq / (n - 1)) : 0.0;
  if (sorted == NULL) {
    /* Without memory for a sorted copy, still give min, max and mean; percentiles by the mean. */
    s.min = s.max = samples_ms[0];
    for (int i = 1; i < n; i++) {
      if (samples_ms[i] < s.min) s.min = samples_ms[i];
      if (samples_ms[i] > s.max) s.max = samples_ms[i];
    }
    s.median = s.p90 = s.p95 = s.p99 = s.p999 = s.mean;
    *stats_out = s;
    return;
  }
  memcpy(sorted, samples_ms, (size_t)n * sizeof *sorted);
  qsort(sorted, (size_t)n, sizeof *sorted, cmp_double);
  s.min = sorted[0];
  s.max = sorted[n - 1];
  s.median = percentile(sorted, n, 0.5);
  s.p90 = percentile(sorted, n, 0.9);
  s.p95 = percentile(sorted, n, 0.95);
  s.p99 = percentile(sorted, n, 0.99);
  s.p999 = percentile(sorted, n, 0.999);
  free(sorted);
  *stats_out = s;
}

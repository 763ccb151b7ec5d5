/* Latency statistics and the benchmark options' defaults. */
#include <math.h>
#include <string.h>

#include "edgeprof/bench.h"
#include "edgeprof/report.h"
#include "test_support.h"

static int near(double a, double b) { return fabs(a - b) <= 1e-9 * (1.0 + fabs(b)); }

static void test_known_values(void) {
  /* Unsorted on purpose: the samples must stay as they are. */
  double x[] = {5, 1, 4, 2, 3, 10, 6, 9, 7, 8};
  double copy[10];
  for (int i = 0; i < 10; i++) copy[i] = x[i];
  ep_latency_stats s;
  ep_latency_stats_compute(x, 10, &s);
  EP_CHECK(s.count == 10);
  EP_CHECK(near(s.min, 1));
  EP_CHECK(near(s.max, 10));
  EP_CHECK(near(s.mean, 5.5));
  EP_CHECK(near(s.median, 5.5));
  EP_CHECK_MSG(near(s.p90, 9.1), "p90 %g", s.p90);   /* rank 0.9 * 9 = 8.1 */
  EP_CHECK_MSG(near(s.p99, 9.91), "p99 %g", s.p99); /* rank 8.91 */
  EP_CHECK_MSG(near(s.stddev, sqrt(82.5 / 9.0)), "stddev %g", s.stddev);
  for (int i = 0; i < 10; i++) EP_CHECK(x[i] == copy[i]);
}

static void test_small_counts(void) {
  ep_latency_stats s;
  double one = 3.25;
  ep_latency_stats_compute(&one, 1, &s);
  EP_CHECK(s.count == 1 && near(s.min, 3.25) && near(s.median, 3.25) && near(s.p99, 3.25));
  EP_CHECK(s.stddev == 0.0);
  double two[] = {2, 1};
  ep_latency_stats_compute(two, 2, &s);
  EP_CHECK(near(s.median, 1.5) && near(s.p90, 1.9) && near(s.stddev, sqrt(0.5)));
  ep_latency_stats_compute(NULL, 0, &s);
  EP_CHECK(s.count == 0 && s.mean == 0.0);
}

static void test_defaults(void) {
  ep_bench_options o;
  ep_bench_options_default(&o);
  EP_CHECK(o.warmup_runs == 1 && o.min_runs == 50 && near(o.min_seconds, 1.0));
  EP_CHECK(o.max_runs == 0 && o.progress == NULL);
}

static void test_format(void) {
  char buf[32];
  EP_CHECK(strcmp(ep_format_count(784, buf, sizeof buf), "784") == 0);
  EP_CHECK(strcmp(ep_format_count(25557032, buf, sizeof buf), "25.56M") == 0);
  EP_CHECK(strcmp(ep_format_count(568740000, buf, sizeof buf), "568.7M") == 0);
  EP_CHECK(strcmp(ep_format_bytes(512, buf, sizeof buf), "512 B") == 0);
  EP_CHECK(strcmp(ep_format_bytes(3 * 1024 * 1024, buf, sizeof buf), "3.0 MiB") == 0);
}

int main(void) {
  test_known_values();
  test_small_counts();
  test_defaults();
  test_format();
  return ep_test_finish();
}

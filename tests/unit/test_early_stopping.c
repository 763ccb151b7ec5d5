/* LoadGen's early-stopping estimate (90th percentile, 99% confidence, d = 0) and SingleStream's
 * VALID / INVALID verdict. */
#include <string.h>

#include "edgeprof/bench.h"
#include "test_support.h"

#define P EP_SINGLESTREAM_PERCENTILE
#define C EP_SINGLESTREAM_CONFIDENCE

static void test_loadgen_points(void) {
  /* LoadGen's published summaries: q = 100 discards 2, q = 745 discards 54. */
  EP_CHECK_MSG(ep_early_stopping_discard(100, P, C) == 2, "q=100: %d",
               ep_early_stopping_discard(100, P, C));
  EP_CHECK_MSG(ep_early_stopping_discard(745, P, C) == 54, "q=745: %d",
               ep_early_stopping_discard(745, P, C));
  /* The least q with an estimate: 64, the rules' minimum query count; there nothing is
   * discarded (the slowest query is the estimate). */
  EP_CHECK_MSG(ep_early_stopping_min_queries(P, C) == 64, "min %lld",
               (long long)ep_early_stopping_min_queries(P, C));
  EP_CHECK(ep_early_stopping_discard(63, P, C) == -1);
  EP_CHECK(ep_early_stopping_discard(64, P, C) == 0);
}

static void test_monotone(void) {
  /* Never fewer discarded with more queries, at most one more per query, and always fewer than
   * the 10% above the percentile. */
  int prev = -1;
  for (int64_t q = 1; q <= 5000; q++) {
    int d = ep_early_stopping_discard(q, P, C);
    EP_CHECK_MSG(d >= prev && d <= prev + 1, "q=%lld: %d after %d", (long long)q, d, prev);
    EP_CHECK_MSG(d < 0 || d < q / 10, "q=%lld discards %d", (long long)q, d);
    prev = d;
  }
  /* Large counts stay finite and approach 10%: q = 1e6 discards a little under 100000. */
  int big = ep_early_stopping_discard(1000000, P, C);
  EP_CHECK_MSG(big > 99000 && big < 100000, "q=1e6: %d", big);
}

static void test_edges(void) {
  EP_CHECK(ep_early_stopping_discard(0, P, C) == -1);
  EP_CHECK(ep_early_stopping_discard(-5, P, C) == -1);
  EP_CHECK(ep_early_stopping_discard(100, 0.0, C) == -1);
  EP_CHECK(ep_early_stopping_discard(100, 1.0, C) == -1);
  EP_CHECK(ep_early_stopping_discard(100, P, 1.0) == -1);
  EP_CHECK(ep_early_stopping_min_queries(P, 0.0) == -1);
  double est = -1.0;
  EP_CHECK(ep_early_stopping_estimate(NULL, 100, P, C, &est) == -1);
  double few[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  EP_CHECK(ep_early_stopping_estimate(few, 10, P, C, &est) == -1 && est == -1.0);
}

static void test_estimate(void) {
  /* 100 samples 1..100 in a shuffled order: 100 and 99 are discarded, 98 is the estimate. */
  double x[100];
  for (int i = 0; i < 100; i++) x[i] = (double)((i * 37) % 100 + 1);
  double first = x[0];
  double est = 0.0;
  EP_CHECK(ep_early_stopping_estimate(x, 100, P, C, &est) == 2);
  EP_CHECK_MSG(est == 98.0, "estimate %g", est);
  EP_CHECK(x[0] == first); /* the samples are left as they are */
}

static void test_singlestream(void) {
  double x[100];
  for (int i = 0; i < 100; i++) x[i] = (double)(i + 1);
  ep_singlestream_result r;
  ep_singlestream_evaluate(x, 100, 1.0, 100, 0.5, &r);
  EP_CHECK(r.valid && r.queries == 100 && r.discarded == 2 && r.p90_estimate_ms == 98.0);
  EP_CHECK(r.reason[0] == '\0');
  /* Too short. */
  ep_singlestream_evaluate(x, 100, 1.0, 64, 600.0, &r);
  EP_CHECK(!r.valid && r.discarded == 2 && strstr(r.reason, "shorter") != NULL);
  /* Fewer queries than asked. */
  ep_singlestream_evaluate(x, 100, 1.0, 200, 0.0, &r);
  EP_CHECK(!r.valid && strstr(r.reason, "fewer than the minimum 200") != NULL);
  /* Too few for an estimate, even though the minimums are met. */
  ep_singlestream_evaluate(x, 10, 1.0, 5, 0.0, &r);
  EP_CHECK(!r.valid && r.discarded == -1 && r.p90_estimate_ms == 0.0);
  EP_CHECK_MSG(strstr(r.reason, "need 64") != NULL, "reason '%s'", r.reason);
  ep_singlestream_evaluate(NULL, 0, 0.0, 64, 600.0, &r);
  EP_CHECK(!r.valid && r.queries == 0 && r.discarded == -1);
}

static void test_multistream(void) {
  /* The least query count with a p99 estimate at 99% confidence is 662: MultiStream's minimum
   * in the rules. Discard counts cross-checked with an exact binomial sum in Python. */
  EP_CHECK_MSG(ep_early_stopping_min_queries(EP_MULTISTREAM_PERCENTILE,
                                             EP_MULTISTREAM_CONFIDENCE) == 662, "min %lld",
               (long long)ep_early_stopping_min_queries(EP_MULTISTREAM_PERCENTILE,
                                                        EP_MULTISTREAM_CONFIDENCE));
  EP_CHECK(ep_early_stopping_discard(661, 0.99, 0.99) == -1);
  EP_CHECK(ep_early_stopping_discard(662, 0.99, 0.99) == 0);
  EP_CHECK(ep_early_stopping_discard(1000, 0.99, 0.99) == 1);
  EP_CHECK(ep_early_stopping_discard(5000, 0.99, 0.99) == 32);
  /* 1000 queries of 8 samples (+3 left over, not counted): query q's samples sum to q + 1 ms
   * (one sample q + 1 - 7 * 0.125, seven of 0.125), so the estimate discards query 1000 and
   * reports 999 ms. */
  enum { Q = 1000, S = EP_MULTISTREAM_SAMPLES_PER_QUERY };
  static double x[Q * S + 3];
  for (int q = 0; q < Q; q++) {
    int at = ((q * 7919) % Q) * S; /* queries in a shuffled order */
    x[at] = q + 1 - 7 * 0.125;
    for (int k = 1; k < S; k++) x[at + k] = 0.125;
  }
  x[Q * S] = x[Q * S + 1] = x[Q * S + 2] = 1e6;
  ep_multistream_result r;
  ep_multistream_evaluate(x, Q * S + 3, S, 700.0, EP_MULTISTREAM_MIN_QUERIES,
                          EP_MULTISTREAM_MIN_DURATION_S, &r);
  EP_CHECK_MSG(r.valid && r.queries == Q && r.discarded == 1 && r.p99_estimate_ms == 999.0,
               "valid %d queries %lld discarded %d estimate %g (%s)", r.valid,
               (long long)r.queries, r.discarded, r.p99_estimate_ms, r.reason);
  ep_multistream_evaluate(x, 600 * S, S, 10.0, EP_MULTISTREAM_MIN_QUERIES,
                          EP_MULTISTREAM_MIN_DURATION_S, &r);
  EP_CHECK(!r.valid && r.discarded == -1 && strstr(r.reason, "need 662") != NULL &&
           strstr(r.reason, "shorter") != NULL && strstr(r.reason, "fewer than") != NULL);
}

static void test_offline(void) {
  ep_offline_result r;
  ep_offline_evaluate(30000, 600.0, EP_OFFLINE_MIN_SAMPLES, EP_OFFLINE_MIN_DURATION_S, &r);
  EP_CHECK(r.valid && r.samples_per_s == 50.0 && r.reason[0] == '\0');
  ep_offline_evaluate(1000, 10.0, EP_OFFLINE_MIN_SAMPLES, EP_OFFLINE_MIN_DURATION_S, &r);
  EP_CHECK(!r.valid && r.samples_per_s == 100.0 && strstr(r.reason, "24576") != NULL);
  ep_offline_evaluate(0, 0.0, 1, 0.0, &r);
  EP_CHECK(!r.valid && r.samples_per_s == 0.0);
}

int main(void) {
  test_multistream();
  test_offline();
  test_loadgen_points();
  test_monotone();
  test_edges();
  test_estimate();
  test_singlestream();
  return ep_test_finish();
}

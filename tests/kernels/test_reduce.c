/* Reductions (every kind, every set of axes of random shapes up to rank 4, the row, column and
 * generic paths), LayerNormalization (rows of every length around the vector widths, a large
 * mean that a naive one-pass variance would cancel away, Mean and InvStdDev), Split and Tile
 * against the references, at every ISA level, with a NULL pool and pools of 1 to 3 threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/reduce/reduce.h"
#include "test_isa.h"
#include "test_support.h"

enum { N_POOLS = 4 };
static ep_threadpool* pools[N_POOLS];

static void test_reductions(ep_test_rng* rng) {
  for (int trial = 0; trial < 120; trial++) {
    ep_shape s = {0};
    s.rank = ep_test_rng_int(rng, 1, 4);
    for (int d = 0; d < s.rank; d++) {
      /* Dims of 1 (dropped when merging), odd sizes and sizes past a few vectors. */
      const int pick = ep_test_rng_int(rng, 0, 5);
      s.dims[d] = pick == 0 ? 1 : pick == 5 ? ep_test_rng_int(rng, 30, 70) : ep_test_rng_int(rng, 2, 9);
    }
    const unsigned axes = (unsigned)ep_test_rng_int(rng, 0, (1 << s.rank) - 1);
    const size_t n = (size_t)ep_shape_numel(&s);
    float* x = malloc(n * sizeof *x);
    float* want = malloc(n * sizeof *want);
    float* got = malloc(n * sizeof *got);
    for (int kind = EP_REDUCE_SUM; kind <= EP_REDUCE_LOG_SUM_EXP; kind++) {
      /* Products of values near 1 stay finite; logs of sums need positive values. */
      const bool positive = kind == EP_REDUCE_LOG_SUM || kind == EP_REDUCE_PROD;
      ep_test_fill(rng, x, n, positive ? 0.9f : -2.0f, positive ? 1.1f : 2.0f);
      ep_reduce_desc d;
      ep_reduce_desc_init(&d, (ep_reduce_kind)kind, &s, axes);
      size_t outputs = 1;
      for (int i = 0; i < d.rank; i++) outputs *= d.reduced[i] ? 1 : (size_t)d.dims[i];
      ep_ref_reduce(&d, x, want);
      for (int p = 0; p < N_POOLS; p++) {
        memset(got, 0, outputs * sizeof *got);
        ep_reduce_run(&d, x, got, pools[p]);
        const double diff = ep_test_max_rel_diff(got, want, outputs);
        char buf[64];
        EP_CHECK_MSG(diff <= 2e-5, "reduce kind %d of %s axes 0x%x, %d threads: rel diff %g", kind,
                     ep_shape_format(&s, buf, sizeof buf), axes,
                     pools[p] ? ep_threadpool_threads(pools[p]) : 0, diff);
      }
    }
    free(x);
    free(want);
    free(got);
  }
  /* Special values: max and min of infinities, a log-sum-exp of -inf, a sum of one value. */
  const ep_shape s = ep_shape_make(2, (int64_t[]){3, 2});
  const float x[] = {-INFINITY, -INFINITY, 1.0f, INFINITY, -1.0f, 2.0f};
  float y[3];
  ep_reduce_desc d;
  ep_reduce_desc_init(&d, EP_REDUCE_LOG_SUM_EXP, &s, 2u);
  ep_reduce_run(&d, x, y, pools[2]);
  EP_CHECK(isinf(y[0]) && y[0] < 0 && isinf(y[1]) && y[1] > 0);
  EP_CHECK(fabsf(y[2] - (2.0f + log1pf(expf(-3.0f)))) < 1e-6f);
  ep_reduce_desc_init(&d, EP_REDUCE_MIN, &s, 2u);
  ep_reduce_run(&d, x, y, NULL);
  EP_CHECK(isinf(y[0]) && y[1] == 1.0f && y[2] == -1.0f);
}

static void test_layer_norm(ep_test_rng* rng) {
  const size_t lengths[] = {1, 2, 7, 8, 15, 16, 17, 33, 64, 197, 768, 1031};
  for (size_t li = 0; li < sizeof lengths / sizeof *lengths; li++) {
    const size_t n = lengths[li], rows = 5;
    float* x = malloc(rows * n * sizeof *x);
    float* scale = malloc(n * sizeof *scale);
    float* bias = malloc(n * sizeof *bias);
    float* want = malloc(rows * n * sizeof *want);
    float* got = malloc(rows * n * sizeof *got);
    float want_stats[10], got_stats[10];
    ep_test_fill(rng, x, rows * n, -3.0f, 3.0f);
    /* Row 1 sits far from 0: E[x^2] - E[x]^2 in float would lose its variance. */
    for (size_t i = 0; i < n; i++) x[n + i] += 1000.0f;
    ep_test_fill(rng, scale, n, 0.5f, 1.5f);
    ep_test_fill(rng, bias, n, -1.0f, 1.0f);
    for (int with_bias = 0; with_bias < 2; with_bias++) {
      const float* b = with_bias ? bias : NULL;
      ep_ref_layer_norm(rows, n, x, scale, b, 1e-5f, want, want_stats, want_stats + rows);
      for (int p = 0; p < N_POOLS; p++) {
        ep_layer_norm_run(rows, n, x, scale, b, 1e-5f, got, got_stats, got_stats + rows, pools[p]);
        /* Outputs are O(1); the large-mean row is normalized from values near 1000, whose float
         * spacing (6e-5) bounds what any float kernel can get. */
        const double diff = ep_test_max_abs_diff(got, want, rows * n);
        const double mean_diff = ep_test_max_rel_diff(got_stats, want_stats, rows);
        const double inv_diff = ep_test_max_rel_diff(got_stats + rows, want_stats + rows, rows);
        EP_CHECK_MSG(diff <= 2e-3 && mean_diff <= 1e-5 && inv_diff <= 2e-3,
                     "layer norm n %zu bias %d: diff %g, mean %g, inv std %g", n, with_bias,
                     diff, mean_diff, inv_diff);
        ep_layer_norm_run(rows, n, x, scale, b, 1e-5f, got, NULL, NULL, pools[p]);
        EP_CHECK(ep_test_max_abs_diff(got, want, rows * n) <= 2e-3);
      }
    }
    free(x);
    free(scale);
    free(bias);
    free(want);
    free(got);
  }
}

static void test_split_tile(ep_test_rng* rng) {
  const int sizes[] = {3, 1, 4};
  const size_t outer = 5, inner = 7, total = 8;
  float x[5 * 8 * 7];
  ep_test_fill(rng, x, sizeof x / sizeof *x, -1.0f, 1.0f);
  float want[3][5 * 4 * 7], got[3][5 * 4 * 7];
  float* wp[3] = {want[0], want[1], want[2]};
  float* gp[3] = {got[0], got[1], got[2]};
  ep_ref_split(outer, inner, 3, sizes, x, wp);
  EP_CHECK(want[1][0] == x[3 * inner] && want[2][4 * inner] == x[total * inner + 4 * inner]);
  for (int p = 0; p < N_POOLS; p++) {
    memset(got, 0, sizeof got);
    ep_split_run(outer, inner, 3, sizes, x, gp, pools[p]);
    for (int k = 0; k < 3; k++) {
      EP_CHECK(memcmp(got[k], want[k], outer * (size_t)sizes[k] * inner * sizeof(float)) == 0);
    }
  }
  const ep_shape s = ep_shape_make(3, (int64_t[]){2, 3, 5});
  const int reps[][3] = {{1, 1, 1}, {2, 1, 3}, {1, 4, 1}, {3, 2, 2}};
  for (size_t r = 0; r < sizeof reps / sizeof *reps; r++) {
    float tw[2 * 3 * 5 * 12], tg[2 * 3 * 5 * 12];
    const size_t n = 30 * (size_t)(reps[r][0] * reps[r][1] * reps[r][2]);
    ep_ref_tile(&s, reps[r], x, tw);
    for (int p = 0; p < N_POOLS; p++) {
      memset(tg, 0, sizeof tg);
      ep_tile_run(&s, reps[r], x, tg, pools[p]);
      EP_CHECK_MSG(memcmp(tg, tw, n * sizeof(float)) == 0, "tile %zu", r);
    }
  }
}

static void run_all(ep_cpu_isa isa, void* ctx) {
  (void)isa;
  (void)ctx;
  ep_test_rng rng = {20261207};
  test_reductions(&rng);
  test_layer_norm(&rng);
  test_split_tile(&rng);
}

int main(void) {
  for (int p = 1; p < N_POOLS; p++) EP_CHECK_OK(ep_threadpool_create(p, NULL, 0, &pools[p]));
  ep_test_for_each_isa("reduce", run_all, NULL);
  for (int p = 1; p < N_POOLS; p++) ep_threadpool_destroy(pools[p]);
  return ep_test_finish();
}

/* Activations (and the vector exp, sigmoid and tanh behind them), add, softmax and concat
 * against the references, with a NULL pool and pools of 1, 2 and 3 threads; in-place use where
 * the contract allows it; softmax on inputs far outside exp's range. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/activation.h"
#include "kernels/kernels.h"
#include "kernels/f32-nchwc/nchwc.h"
#include "kernels/reference/reference.h"
#include "kernels/tensor_ops.h"
#include "test_isa.h"
#include "test_support.h"

enum { N_POOLS = 4 };
static ep_threadpool* pools[N_POOLS];

static void test_vector_math(void) {
  /* Dense sweep over the useful range plus the saturated ends. */
  enum { N = 20001 };
  float* x = malloc(N * sizeof *x);
  float* y = malloc(N * sizeof *y);
  for (int i = 0; i < N; i++) x[i] = -100.0f + 0.01f * (float)i;
  ep_f32_vexp(N, x, y);
  double worst = 0;
  for (int i = 0; i < N; i++) {
    if (x[i] < -87.0f || x[i] > 88.0f) continue;
    const double e = exp((double)x[i]);
    worst = fmax(worst, fabs(y[i] - e) / e);
  }
  EP_CHECK_MSG(worst < 1e-6, "exp relative error %g", worst);
  EP_CHECK(ep_test_all_finite(y, N));
  ep_f32_vsigmoid(N, x, y);
  worst = 0;
  for (int i = 0; i < N; i++) {
    /* Below -87 the true value is denormal; only the absolute error (tiny) matters there. */
    const double s = 1.0 / (1.0 + exp(-(double)x[i]));
    worst = fmax(worst, x[i] < -87.0f ? fabs(y[i] - s) : fabs(y[i] - s) / s);
  }
  EP_CHECK_MSG(worst < 1e-6, "sigmoid relative error %g", worst);
  ep_f32_vtanh(N, x, y);
  worst = 0;
  for (int i = 0; i < N; i++) worst = fmax(worst, fabs(y[i] - tanh((double)x[i])));
  EP_CHECK_MSG(worst < 3e-7, "tanh absolute error %g", worst);
  /* In place, odd lengths, and special values. */
  float s[5] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN};
  ep_f32_vtanh(5, s, s);
  EP_CHECK(s[0] == 0.0f && s[2] == 1.0f && s[3] == -1.0f && isnan(s[4]));
  /* Sigmoid over one float in 997 of [1e-30, 120] and of [-120, -1e-30], by bits (the sweep
   * above misses the exponent's boundaries), then its limits. */
  enum { M = 4096 };
  float xs[M], ys[M];
  uint32_t lo_bits, hi_bits;
  const float lo = 1e-30f, hi = 120.0f;
  memcpy(&lo_bits, &lo, sizeof lo_bits);
  memcpy(&hi_bits, &hi, sizeof hi_bits);
  worst = 0;
  size_t k = 0;
  for (uint32_t b = lo_bits; b < hi_bits; b += 997) {
    float a;
    memcpy(&a, &b, sizeof a);
    xs[k++] = a;
    xs[k++] = -a;
    if (k < M && b + 997 < hi_bits) continue;
    ep_f32_vsigmoid(k, xs, ys);
    for (size_t i = 0; i < k; i++) {
      const double t = 1.0 / (1.0 + exp(-(double)xs[i]));
      worst = fmax(worst, xs[i] < -87.0f ? fabs(ys[i] - t) : fabs(ys[i] - t) / t);
    }
    k = 0;
  }
  EP_CHECK_MSG(worst < 1e-6, "sigmoid relative error over the bits %g", worst);
  float g[6] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -200.0f};
  ep_f32_vsigmoid(6, g, g);
  EP_CHECK(g[0] == 0.5f && g[1] == 0.5f && g[2] == 1.0f && g[3] >= 0.0f && g[3] < 1e-37f && isnan(g[4]) &&
           g[5] >= 0.0f && g[5] < 1e-37f);
  float h[4] = {INFINITY, NAN, -200.0f, 1.0f};
  ep_activation_apply(EP_ACT_SILU, h, 4);
  EP_CHECK_MSG(h[0] == INFINITY && isnan(h[1]) && h[2] <= 0.0f && h[2] > -1e-34f &&
                   fabsf(h[3] - 0.7310586f) < 1e-7f,
               "silu(inf, nan, -200, 1) = %g %g %g %.9g", h[0], h[1], h[2], h[3]);
  float e[3] = {0.0f, -INFINITY, NAN};
  ep_f32_vexp(3, e, e);
  EP_CHECK(e[0] == 1.0f && e[1] >= 0.0f && e[1] < 1e-37f && isnan(e[2]));
  free(x);
  free(y);
}

static void test_activation(ep_test_rng* rng) {
  const size_t sizes[] = {1, 7, 64, 65, 100003};
  for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
    const size_t n = sizes[si];
    float* x = malloc(n * sizeof *x);
    float* expect = malloc(n * sizeof *expect);
    float* got = malloc(n * sizeof *got);
    ep_test_fill(rng, x, n, -10, 10);
    for (int act = EP_ACT_NONE; act <= EP_ACT_GELU_TANH; act++) {
      ep_ref_activation((ep_activation)act, n, x, expect);
      for (int p = 0; p < N_POOLS; p++) {
        ep_activation_run((ep_activation)act, n, x, got, pools[p]);
        double diff = ep_test_max_rel_diff(got, expect, n);
        /* And in place. */
        memcpy(got, x, n * sizeof *got);
        ep_activation_run((ep_activation)act, n, got, got, pools[p]);
        diff = fmax(diff, ep_test_max_rel_diff(got, expect, n));
        EP_CHECK_MSG(diff <= 1e-5, "activation %d n %zu, %d threads: rel diff %g", act, n,
                     ep_threadpool_threads(pools[p]), diff);
      }
    }
    free(x);
    free(expect);
    free(got);
  }
}

static void test_add(ep_test_rng* rng) {
  const size_t sizes[] = {1, 13, 16384, 70001};
  for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
    const size_t n = sizes[si];
    float* a = malloc(n * sizeof *a);
    float* b = malloc(n * sizeof *b);
    float* expect = malloc(n * sizeof *expect);
    float* got = malloc(n * sizeof *got);
    ep_test_fill(rng, a, n, -8, 8);
    ep_test_fill(rng, b, n, -8, 8);
    for (int act = EP_ACT_NONE; act <= EP_ACT_GELU_TANH; act++) {
      ep_ref_add(n, a, b, (ep_activation)act, expect);
      for (int p = 0; p < N_POOLS; p++) {
        ep_add_run(n, a, b, (ep_activation)act, got, pools[p]);
        double diff = ep_test_max_rel_diff(got, expect, n);
        /* y aliasing a, then b. */
        memcpy(got, a, n * sizeof *got);
        ep_add_run(n, got, b, (ep_activation)act, got, pools[p]);
        diff = fmax(diff, ep_test_max_rel_diff(got, expect, n));
        memcpy(got, b, n * sizeof *got);
        ep_add_run(n, a, got, (ep_activation)act, got, pools[p]);
        diff = fmax(diff, ep_test_max_rel_diff(got, expect, n));
        EP_CHECK_MSG(diff <= 1e-5, "add act %d n %zu, %d threads: rel diff %g", act, n,
                     ep_threadpool_threads(pools[p]), diff);
      }
    }
    free(a);
    free(b);
    free(expect);
    free(got);
  }
}

static void check_softmax(ep_test_rng* rng, size_t outer, size_t inner, float lo, float hi) {
  const size_t n = outer * inner;
  float* x = malloc(n * sizeof *x);
  float* expect = malloc(n * sizeof *expect);
  float* got = malloc(n * sizeof *got);
  ep_test_fill(rng, x, n, lo, hi);
  ep_ref_softmax(outer, inner, x, expect);
  for (int p = 0; p < N_POOLS; p++) {
    for (size_t i = 0; i < n; i++) got[i] = NAN;
    ep_softmax_run(outer, inner, x, got, pools[p]);
    const double diff = ep_test_max_rel_diff(got, expect, n);
    EP_CHECK_MSG(diff <= 1e-5 && ep_test_all_finite(got, n),
                 "softmax %zu x %zu in [%g, %g), %d threads: rel diff %g", outer, inner, lo, hi,
                 ep_threadpool_threads(pools[p]), diff);
  }
  free(x);
  free(expect);
  free(got);
}

static void check_concat(ep_test_rng* rng, size_t outer, int n_inputs, const size_t* inner) {
  size_t total = 0;
  const float* xs[8];
  float* owned[8];
  for (int i = 0; i < n_inputs; i++) {
    owned[i] = malloc((outer * inner[i] + 1) * sizeof(float));
    ep_test_fill(rng, owned[i], outer * inner[i], -1, 1);
    xs[i] = owned[i];
    total += inner[i];
  }
  float* expect = malloc((outer * total + 1) * sizeof *expect);
  float* got = malloc((outer * total + 1) * sizeof *got);
  ep_ref_concat(outer, n_inputs, xs, inner, expect);
  for (int p = 0; p < N_POOLS; p++) {
    for (size_t i = 0; i < outer * total; i++) got[i] = NAN;
    ep_concat_run(outer, n_inputs, xs, inner, got, pools[p]);
    EP_CHECK_MSG(memcmp(got, expect, outer * total * sizeof *got) == 0,
                 "concat outer %zu, %d inputs, %d threads", outer, n_inputs,
                 ep_threadpool_threads(pools[p]));
  }
  for (int i = 0; i < n_inputs; i++) free(owned[i]);
  free(expect);
  free(got);
}

/* Squeeze-and-excitation's scale x [n, c, hw] * s [n, c] with an activation, on NCHW and (c a
 * multiple of 8) NCHW8c, in place too, against the reference per element. */
static void check_channel_scale(ep_test_rng* rng, size_t n, size_t c, size_t hw, ep_activation act) {
  const size_t count = n * c * hw;
  float* x = malloc(count * sizeof *x);
  float* s = malloc(n * c * sizeof *s);
  float* expect = malloc(count * sizeof *expect);
  float* got = malloc(count * sizeof *got);
  float* blocked = malloc(count * sizeof *blocked);
  ep_test_fill(rng, x, count, -4, 4);
  ep_test_fill(rng, s, n * c, -1, 1);
  for (size_t i = 0; i < count; i++) {
    expect[i] = (float)ep_ref_activate(act, (double)x[i] * s[i / hw]);
  }
  for (int p = 0; p < N_POOLS; p++) {
    ep_channel_scale_run(n, c, hw, false, x, s, act, got, pools[p]);
    double diff = ep_test_max_rel_diff(got, expect, count);
    memcpy(got, x, count * sizeof *got);
    ep_channel_scale_run(n, c, hw, false, got, s, act, got, pools[p]);
    diff = fmax(diff, ep_test_max_rel_diff(got, expect, count));
    if (c % EP_NCHWC_BLOCK == 0) {
      ep_nchwc_from_nchw((int)n, (int)c, hw, x, blocked);
      ep_channel_scale_run(n, c, hw, true, blocked, s, act, blocked, pools[p]);
      ep_nchwc_to_nchw((int)n, (int)c, hw, blocked, got);
      diff = fmax(diff, ep_test_max_rel_diff(got, expect, count));
    }
    EP_CHECK_MSG(diff <= 1e-5, "channel scale %zux%zux%zu, act %d, %d threads: rel diff %g", n, c,
                 hw, (int)act, ep_threadpool_threads(pools[p]), diff);
  }
  free(x);
  free(s);
  free(expect);
  free(got);
  free(blocked);
}

static void run_all(ep_cpu_isa isa, void* ctx) {
  (void)isa;
  (void)ctx;
  ep_test_rng rng = {9};
  test_vector_math();
  test_activation(&rng);
  test_add(&rng);
  check_softmax(&rng, 1, 1, -1, 1);
  check_softmax(&rng, 3, 7, -5, 5);
  check_softmax(&rng, 1, 1001, -10, 10);
  check_softmax(&rng, 20, 10000, -10, 10);
  check_softmax(&rng, 2, 100, 500, 600);   /* exp overflows without the max shift */
  check_softmax(&rng, 2, 100, -600, -500); /* and underflows */
  check_softmax(&rng, 2, 100, -200, 200);  /* most terms underflow; the largest dominate */
  check_concat(&rng, 1, 4, (const size_t[]){64 * 49, 128 * 49, 32 * 49, 32 * 49});
  check_concat(&rng, 1, 2, (const size_t[]){200000, 70001});
  check_concat(&rng, 5, 3, (const size_t[]){1, 17, 3});
  check_concat(&rng, 2, 3, (const size_t[]){10, 0, 5});
  check_concat(&rng, 3, 1, (const size_t[]){9});
  check_channel_scale(&rng, 1, 96, 7 * 7, EP_ACT_NONE);
  check_channel_scale(&rng, 2, 16, 112 * 112, EP_ACT_SILU);
  check_channel_scale(&rng, 1, 13, 5, EP_ACT_RELU);
  check_channel_scale(&rng, 3, 24, 1, EP_ACT_SIGMOID);
}

int main(void) {
  for (int p = 1; p < N_POOLS; p++) EP_CHECK_OK(ep_threadpool_create(p, NULL, 0, &pools[p]));
  ep_test_for_each_isa("elementwise", run_all, NULL);
  for (int p = 1; p < N_POOLS; p++) ep_threadpool_destroy(pools[p]);
  return ep_test_finish();
}

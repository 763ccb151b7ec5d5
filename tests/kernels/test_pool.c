/* Fast max, average (with and without count_include_pad) and global average pooling against the
 * reference: the zoo's windows (2x2/2, 3x3/2 pad 1, 3x3/1 pad 1, 7x7 global-like), asymmetric
 * and oversized padding, stride 3, odd channel counts and random shapes, with a NULL pool and
 * pools of 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>

#include "kernels/kernels.h"
#include "test_isa.h"
#include "test_support.h"

enum { N_POOLS = 4 };
static ep_threadpool* pools[N_POOLS];

static void check_pool(ep_test_rng* rng, int batch, int channels, int h, int w, int kh, int kw,
                       int sh, int sw, int pt, int pl, int pb, int pr) {
  ep_pool_desc d = {
      .batch = batch,
      .channels = channels,
      .in_h = h,
      .in_w = w,
      .out_h = (h + pt + pb - kh) / sh + 1,
      .out_w = (w + pl + pr - kw) / sw + 1,
      .kernel_h = kh,
      .kernel_w = kw,
      .stride_h = sh,
      .stride_w = sw,
      .pad_top = pt,
      .pad_left = pl,
  };
  if (d.out_h <= 0 || d.out_w <= 0) return;
  const size_t nx = (size_t)batch * channels * h * w;
  const size_t ny = (size_t)batch * channels * d.out_h * d.out_w;
  float* x = malloc(nx * sizeof *x);
  float* expect = malloc(ny * sizeof *expect);
  float* got = malloc(ny * sizeof *got);
  ep_test_fill(rng, x, nx, -1, 1);
  for (int kind = 0; kind < 3; kind++) {
    d.count_include_pad = kind == 2;
    if (kind == 0) {
      ep_ref_max_pool(&d, x, expect);
    } else {
      ep_ref_avg_pool(&d, x, expect);
    }
    for (int p = 0; p < N_POOLS; p++) {
      for (size_t i = 0; i < ny; i++) got[i] = NAN;
      if (kind == 0) {
        ep_max_pool_run(&d, x, got, pools[p]);
      } else {
        ep_avg_pool_run(&d, x, got, pools[p]);
      }
      const double diff = ep_test_max_rel_diff(got, expect, ny);
      EP_CHECK_MSG(diff <= 1e-5,
                   "%s pool %dx%dx%dx%d k %dx%d s %dx%d pad %d,%d,%d,%d, %d threads: rel diff %g",
                   kind == 0   ? "max"
                   : kind == 1 ? "avg"
                               : "avg (pad counted)",
                   batch, channels, h, w, kh, kw, sh, sw, pt, pl, pb, pr,
                   ep_threadpool_threads(pools[p]), diff);
    }
  }
  free(x);
  free(expect);
  free(got);
}

static void check_global(ep_test_rng* rng, int batch, int channels, int hw) {
  const size_t nx = (size_t)batch * channels * hw, ny = (size_t)batch * channels;
  float* x = malloc(nx * sizeof *x);
  float* expect = malloc(ny * sizeof *expect);
  float* got = malloc(ny * sizeof *got);
  ep_test_fill(rng, x, nx, 0, 2); /* positive: the mean is not a cancellation */
  ep_ref_global_avg_pool(batch, channels, hw, x, expect);
  for (int p = 0; p < N_POOLS; p++) {
    for (size_t i = 0; i < ny; i++) got[i] = NAN;
    ep_global_avg_pool_run(batch, channels, hw, x, got, pools[p]);
    const double diff = ep_test_max_rel_diff(got, expect, ny);
    EP_CHECK_MSG(diff <= 1e-5, "global avg pool %dx%dx%d, %d threads: rel diff %g", batch, channels,
                 hw, ep_threadpool_threads(pools[p]), diff);
  }
  free(x);
  free(expect);
  free(got);
}

static void run_all(ep_cpu_isa isa, void* ctx) {
  (void)isa;
  (void)ctx;
  ep_test_rng rng = {5};
  check_pool(&rng, 1, 3, 8, 8, 2, 2, 2, 2, 0, 0, 0, 0);
  check_pool(&rng, 1, 7, 15, 15, 3, 3, 2, 2, 1, 1, 1, 1); /* ResNet stem, odd size */
  check_pool(&rng, 1, 5, 14, 14, 3, 3, 2, 2, 0, 0, 1, 1); /* TF "same": bottom/right only */
  check_pool(&rng, 1, 17, 9, 9, 3, 3, 1, 1, 1, 1, 1, 1);  /* Inception branch pool */
  check_pool(&rng, 2, 3, 7, 7, 7, 7, 1, 1, 0, 0, 0, 0);   /* global-like */
  check_pool(&rng, 1, 4, 10, 11, 3, 2, 3, 3, 2, 1, 0, 1); /* stride 3, asymmetric */
  check_pool(&rng, 1, 2, 3, 3, 3, 3, 1, 1, 2, 2, 2, 2);   /* windows entirely in padding */
  check_pool(&rng, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0);
  check_pool(&rng, 1, 3, 5, 30, 1, 5, 1, 4, 0, 2, 0, 2);
  for (int i = 0; i < 40; i++) {
    const int kh = ep_test_rng_int(&rng, 1, 5), kw = ep_test_rng_int(&rng, 1, 5);
    check_pool(&rng, ep_test_rng_int(&rng, 1, 2), ep_test_rng_int(&rng, 1, 9),
               ep_test_rng_int(&rng, 1, 20), ep_test_rng_int(&rng, 1, 20), kh, kw,
               ep_test_rng_int(&rng, 1, 3), ep_test_rng_int(&rng, 1, 3),
               ep_test_rng_int(&rng, 0, kh - 1), ep_test_rng_int(&rng, 0, kw - 1),
               ep_test_rng_int(&rng, 0, kh - 1), ep_test_rng_int(&rng, 0, kw - 1));
  }
  check_global(&rng, 1, 2048, 49);
  check_global(&rng, 2, 7, 1);
  check_global(&rng, 1, 3, 12345);
  check_global(&rng, 3, 17, 15);
}

int main(void) {
  for (int p = 1; p < N_POOLS; p++) EP_CHECK_OK(ep_threadpool_create(p, NULL, 0, &pools[p]));
  ep_test_for_each_isa("pool", run_all, NULL);
  for (int p = 1; p < N_POOLS; p++) ep_threadpool_destroy(pools[p]);
  return ep_test_finish();
}

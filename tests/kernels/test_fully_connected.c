/* Fast fully connected layer against the reference: batch 1 (the GEMV path) and larger batches
 * (packed GEMM with k blocks), odd sizes, every activation, with and without bias, with a NULL
 * pool and pools of 1, 2 and 3 threads. */
#include <math.h>
#include <stdlib.h>

#include "kernels/kernels.h"
#include "test_isa.h"
#include "test_support.h"

enum { N_POOLS = 4 };
static ep_threadpool* pools[N_POOLS];

static void check_fc(ep_test_rng* rng, int n, int k, int m, bool has_bias, ep_activation act) {
  const ep_fc_desc d = {.n = n, .k = k, .m = m, .has_bias = has_bias, .act = act};
  float* x = malloc((size_t)n * k * sizeof *x);
  float* w = malloc((size_t)m * k * sizeof *w);
  float* bias = malloc((size_t)m * sizeof *bias);
  float* expect = malloc((size_t)n * m * sizeof *expect);
  float* got = malloc((size_t)n * m * sizeof *got);
  float* packed = malloc(ep_fc_packed_size(&d) * sizeof *packed);
  ep_test_fill(rng, x, (size_t)n * k, -1, 1);
  ep_test_fill(rng, w, (size_t)m * k, -1, 1);
  ep_test_fill(rng, bias, (size_t)m, -1, 1);
  ep_ref_fully_connected(&d, x, w, has_bias ? bias : NULL, expect);
  ep_fc_pack(&d, w, has_bias ? bias : NULL, packed);
  const size_t ws = ep_fc_workspace_size(&d);
  for (int p = 0; p < N_POOLS; p++) {
    const int threads = ep_threadpool_threads(pools[p]);
    float* workspace = malloc(ws * (size_t)threads * sizeof *workspace + 1);
    for (size_t i = 0; i < (size_t)n * m; i++) got[i] = NAN;
    ep_fc_run(&d, packed, x, got, workspace, ws, pools[p]);
    const double diff = ep_test_max_rel_diff(got, expect, (size_t)n * m);
    EP_CHECK_MSG(diff <= 1e-5, "fc n %d k %d m %d bias %d act %d, %d threads: rel diff %g", n, k, m,
                 has_bias, (int)act, threads, diff);
    free(workspace);
  }
  free(x);
  free(w);
  free(bias);
  free(expect);
  free(got);
  free(packed);
}

static void run_all(ep_cpu_isa isa, void* ctx) {
  (void)isa;
  (void)ctx;
  ep_test_rng rng = {3};
  const int ns[] = {1, 2, 3, 5, 9};
  const int ks[] = {1, 3, 7, 17, 100, 300};
  const int ms[] = {1, 3, 8, 10, 17, 33};
  int i = 0;
  for (size_t a = 0; a < sizeof ns / sizeof *ns; a++) {
    for (size_t b = 0; b < sizeof ks / sizeof *ks; b++) {
      for (size_t c = 0; c < sizeof ms / sizeof *ms; c++, i++) {
        check_fc(&rng, ns[a], ks[b], ms[c], i % 3 != 0, (ep_activation)(i % 5));
      }
    }
  }
  /* Zoo-like layers: the MLP's sigmoid layer and a 1001-class head, batch 1 and 4. */
  check_fc(&rng, 1, 784, 2048, true, EP_ACT_SIGMOID);
  check_fc(&rng, 1, 1024, 1001, true, EP_ACT_NONE);
  check_fc(&rng, 4, 600, 130, true, EP_ACT_RELU);
}

int main(void) {
  for (int p = 1; p < N_POOLS; p++) EP_CHECK_OK(ep_threadpool_create(p, NULL, 0, &pools[p]));
  ep_test_for_each_isa("fully_connected", run_all, NULL);
  for (int p = 1; p < N_POOLS; p++) ep_threadpool_destroy(pools[p]);
  return ep_test_finish();
}

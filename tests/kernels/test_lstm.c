/* Fast LSTM against the reference: hidden sizes below, at and across the panel width, batch 1
 * (GEMV steps) and larger, one and many steps, with and without bias, with a NULL pool and
 * pools of 1, 2 and 3 threads (the recurrence split over them where a step is big enough). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "test_isa.h"
#include "test_support.h"

enum { N_POOLS = 4 };
static ep_threadpool* pools[N_POOLS];

static void check_lstm(ep_test_rng* rng, int t, int n, int in, int h, bool has_bias) {
  const ep_lstm_desc d = {
      .seq_len = t, .batch = n, .input_size = in, .hidden_size = h, .has_bias = has_bias};
  const size_t nx = (size_t)t * n * in, ny = (size_t)t * n * h;
  float* x = malloc(nx * sizeof *x);
  float* w = malloc((size_t)4 * h * in * sizeof *w);
  float* r = malloc((size_t)4 * h * h * sizeof *r);
  float* bias = malloc((size_t)4 * h * sizeof *bias);
  float* expect = malloc(ny * sizeof *expect);
  float* got = malloc(ny * sizeof *got);
  float* serial = malloc(ny * sizeof *serial);
  float* packed = malloc(ep_lstm_packed_size(&d) * sizeof *packed);
  /* Weights scaled like a trained layer (1 / sqrt(fan-in)) so gates are not all saturated. */
  const float ws_in = 1.0f / sqrtf((float)in), ws_h = 1.0f / sqrtf((float)h);
  ep_test_fill(rng, x, nx, -1, 1);
  ep_test_fill(rng, w, (size_t)4 * h * in, -ws_in, ws_in);
  ep_test_fill(rng, r, (size_t)4 * h * h, -ws_h, ws_h);
  ep_test_fill(rng, bias, (size_t)4 * h, -0.5f, 0.5f);
  ep_ref_lstm(&d, x, w, r, has_bias ? bias : NULL, expect);
  ep_lstm_pack(&d, w, r, has_bias ? bias : NULL, packed);
  const size_t ws = ep_lstm_workspace_size(&d);
  for (int p = 0; p < N_POOLS; p++) {
    const int threads = ep_threadpool_threads(pools[p]);
    /* Only worker 0's part is used; allocate exactly that much so ASan sees any overrun. */
    float* workspace = malloc(ws * sizeof *workspace + 1);
    for (size_t i = 0; i < ny; i++) got[i] = NAN;
    ep_lstm_run(&d, packed, x, got, workspace, ws, pools[p]);
    const double diff = ep_test_max_rel_diff(got, expect, ny);
    EP_CHECK_MSG(diff <= 1e-5, "lstm T %d N %d I %d H %d bias %d, %d threads: rel diff %g", t, n,
                 in, h, has_bias, threads, diff);
    /* The split recurrence computes each (step, block) item as the calling thread alone does:
     * bit-identical whichever thread claims it. */
    if (p == 0) memcpy(serial, got, ny * sizeof *got);
    EP_CHECK_MSG(memcmp(serial, got, ny * sizeof *got) == 0,
                 "lstm T %d N %d I %d H %d, %d threads: not bit-identical to one thread", t, n, in,
                 h, threads);
    free(workspace);
  }
  free(x);
  free(w);
  free(r);
  free(bias);
  free(expect);
  free(got);
  free(serial);
  free(packed);
}

static void run_all(ep_cpu_isa isa, void* ctx) {
  (void)isa;
  (void)ctx;
  ep_test_rng rng = {11};
  check_lstm(&rng, 1, 1, 1, 1, false);
  check_lstm(&rng, 1, 1, 3, 7, true);
  check_lstm(&rng, 5, 1, 7, 8, true);
  check_lstm(&rng, 4, 1, 17, 9, false);
  check_lstm(&rng, 3, 2, 5, 17, true);
  check_lstm(&rng, 6, 3, 13, 33, true);
  check_lstm(&rng, 2, 5, 1, 3, true);
  /* The zoo's layer: 200 inputs and units, 20 steps. */
  check_lstm(&rng, 20, 1, 200, 200, true);
  /* Steps big enough to split over the pool, with several batch rows per step (an item waits
   * for the whole previous step) and a partial last block. */
  check_lstm(&rng, 4, 3, 16, 72, true);
  check_lstm(&rng, 6, 2, 9, 100, false);
  for (int i = 0; i < 10; i++) {
    check_lstm(&rng, ep_test_rng_int(&rng, 1, 6), ep_test_rng_int(&rng, 1, 3),
               ep_test_rng_int(&rng, 1, 40), ep_test_rng_int(&rng, 1, 40), i % 2);
  }
}

int main(void) {
  for (int p = 1; p < N_POOLS; p++) EP_CHECK_OK(ep_threadpool_create(p, NULL, 0, &pools[p]));
  ep_test_for_each_isa("lstm", run_all, NULL);
  for (int p = 1; p < N_POOLS; p++) ep_threadpool_destroy(pools[p]);
  return ep_test_finish();
}

/* The GEMM building blocks against a double-precision product: packing of A and B (both
 * layouts, partial panels), the microkernel on full and partial tiles with accumulation and
 * every epilogue, the blocked driver with k split in blocks, and the GEMV; for the variant of
 * every ISA level this machine can run (the levels tested and skipped are printed). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/f32-gemm/gemm.h"
#include "kernels/kernels.h"
#include "kernels/reference/reference.h"
#include "test_isa.h"
#include "test_support.h"

/* C = act(A B + row_bias + col_bias + residual) with A [m, k], B [k, n] row-major, residual
 * row i at residual + i * residual_ld. */
static void naive(size_t m, size_t n, size_t k, const float* a, const float* b,
                  const float* row_bias, const float* col_bias, const float* residual,
                  size_t residual_ld, ep_activation act, float* c) {
  for (size_t i = 0; i < m; i++) {
    for (size_t j = 0; j < n; j++) {
      double s = 0;
      for (size_t kk = 0; kk < k; kk++) s += (double)a[i * k + kk] * b[kk * n + j];
      if (row_bias != NULL) s += row_bias[i];
      if (col_bias != NULL) s += col_bias[j];
      if (residual != NULL) s += residual[i * residual_ld + j];
      c[i * n + j] = (float)ep_ref_activate(act, s);
    }
  }
}

/* pack_a of an m x k block of a matrix with row stride lda against the layout, element by
 * element: whole and partial panels, k below, at and past whole vector blocks (the in-register
 * transpose of the AVX-512 variant). */
static bool pack_a_matches(const ep_f32_gemm_config* cfg, size_t m, size_t k, size_t lda) {
  float* a = malloc(m * lda * sizeof *a);
  const size_t mp = ep_round_up(m, cfg->mr);
  float* pa = malloc(mp * k * sizeof *pa);
  for (size_t i = 0; i < m * lda; i++) a[i] = (float)i + 1;
  for (size_t i = 0; i < mp * k; i++) pa[i] = NAN;
  ep_f32_gemm_pack_a(m, k, a, lda, cfg->mr, pa);
  bool ok = true;
  for (size_t i = 0; i < mp; i++) {
    for (size_t kk = 0; kk < k; kk++) {
      const float v = pa[(i / cfg->mr) * cfg->mr * k + kk * cfg->mr + i % cfg->mr];
      ok = ok && v == (i < m ? a[i * lda + kk] : 0.0f);
    }
  }
  free(a);
  free(pa);
  return ok;
}

static void test_packing(const ep_f32_gemm_config* cfg) {
  const size_t m = 7, k = 5, n = 11;
  float b[55];
  for (size_t i = 0; i < 55; i++) b[i] = (float)i + 1;
  const size_t np = ep_round_up(n, cfg->nr);
  float* pb = malloc(np * k * sizeof *pb);
  float* pbt = malloc(np * k * sizeof *pbt);
  bool ok = pack_a_matches(cfg, m, k, k);
  EP_CHECK_MSG(ok, "pack_a layout");
  const size_t shapes[][3] = {{16, 16, 16}, {32, 48, 50}, {33, 35, 40}, {16, 17, 17},
                              {15, 64, 64}, {48, 7, 9},   {197, 70, 77}, {1, 33, 33}};
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
    EP_CHECK_MSG(pack_a_matches(cfg, shapes[i][0], shapes[i][1], shapes[i][2]),
                 "pack_a layout m %zu k %zu lda %zu", shapes[i][0], shapes[i][1], shapes[i][2]);
  }
  /* b as [k, n] row-major, and its transpose [n, k] packed through the strides. */
  float bt[55];
  for (size_t kk = 0; kk < k; kk++) {
    for (size_t j = 0; j < n; j++) bt[j * k + kk] = b[kk * n + j];
  }
  ep_f32_gemm_pack_b(k, n, b, n, 1, cfg->nr, pb);
  ep_f32_gemm_pack_b(k, n, bt, 1, k, cfg->nr, pbt);
  ok = true;
  for (size_t j = 0; j < np; j++) {
    for (size_t kk = 0; kk < k; kk++) {
      const float v = pb[(j / cfg->nr) * cfg->nr * k + kk * cfg->nr + j % cfg->nr];
      ok = ok && v == (j < n ? b[kk * n + j] : 0.0f);
    }
  }
  EP_CHECK_MSG(ok, "pack_b layout");
  EP_CHECK_MSG(memcmp(pb, pbt, np * k * sizeof *pb) == 0, "pack_b transposed");
  free(pb);
  free(pbt);
}

/* C [m, n] through ep_f32_gemm_compute with k cut in blocks of kc_block, C with a row stride
 * larger than n (a sub-block of a bigger matrix, as in convolutions), and a residual with
 * another stride when asked. */
static void check_compute(ep_test_rng* rng, const ep_f32_gemm_config* cfg, size_t m, size_t n,
                          size_t k, size_t kc_block, bool row_bias, bool col_bias, bool residual,
                          ep_activation act) {
  const size_t ldc = n + 3, residual_ld = n + 5;
  float* a = malloc(m * k * sizeof *a);
  float* b = malloc(k * n * sizeof *b);
  float* rb = malloc(m * sizeof *rb);
  float* cb = malloc(n * sizeof *cb);
  float* res = malloc(m * residual_ld * sizeof *res);
  float* expect = malloc(m * n * sizeof *expect);
  float* c = malloc(m * ldc * sizeof *c);
  const size_t mp = ep_round_up(m, cfg->mr), np = ep_round_up(n, cfg->nr);
  float* pa = malloc(mp * k * sizeof *pa);
  float* pb = malloc(np * kc_block * sizeof *pb);
  ep_test_fill(rng, a, m * k, -1, 1);
  ep_test_fill(rng, b, k * n, -1, 1);
  ep_test_fill(rng, rb, m, -1, 1);
  ep_test_fill(rng, cb, n, -1, 1);
  if (residual) ep_test_fill(rng, res, m * residual_ld, -1, 1);
  naive(m, n, k, a, b, row_bias ? rb : NULL, col_bias ? cb : NULL, residual ? res : NULL,
        residual_ld, act, expect);
  ep_f32_gemm_pack_a(m, k, a, k, cfg->mr, pa);
  for (size_t i = 0; i < m * ldc; i++) c[i] = NAN;
  const ep_f32_gemm_epilogue epilogue = {.row_bias = row_bias ? rb : NULL,
                                         .col_bias = col_bias ? cb : NULL,
                                         .act = act,
                                         .residual = residual ? res : NULL,
                                         .residual_ld = residual_ld};
  for (size_t k0 = 0; k0 < k; k0 += kc_block) {
    const size_t kc = k - k0 < kc_block ? k - k0 : kc_block;
    ep_f32_gemm_pack_b(kc, n, b + k0 * n, n, 1, cfg->nr, pb);
    /* Half the shapes through the entry without the A prefetch (same product). */
    ((m + k) % 2 ? ep_f32_gemm_compute_cached_a : ep_f32_gemm_compute)(
        cfg, m, n, kc, pa + k0 * cfg->mr, k * cfg->mr, pb, kc * cfg->nr, c, ldc, k0 > 0,
        k0 + kc == k ? &epilogue : NULL);
  }
  /* Compact C and check that the gap columns were not touched. */
  float* got = malloc(m * n * sizeof *got);
  bool gap_untouched = true;
  for (size_t i = 0; i < m; i++) {
    memcpy(got + i * n, c + i * ldc, n * sizeof *got);
    for (size_t j = n; j < ldc; j++) gap_untouched = gap_untouched && isnan(c[i * ldc + j]);
  }
  const double diff = ep_test_max_rel_diff(got, expect, m * n);
  EP_CHECK_MSG(
      diff <= 1e-5 && gap_untouched,
      "compute m %zu n %zu k %zu kc %zu bias %d/%d residual %d act %d: rel diff %g, gap %d", m, n,
      k, kc_block, row_bias, col_bias, residual, (int)act, diff, gap_untouched);
  free(a);
  free(b);
  free(rb);
  free(cb);
  free(res);
  free(expect);
  free(c);
  free(pa);
  free(pb);
  free(got);
}

static void check_gemv(ep_test_rng* rng, const ep_f32_gemm_config* cfg, size_t n, size_t k,
                       bool accumulate, ep_activation act) {
  const size_t np = ep_round_up(n, cfg->nr);
  float* x = malloc(k * sizeof *x);
  float* b = malloc(k * n * sizeof *b);
  float* cb = malloc(n * sizeof *cb);
  float* start = malloc(n * sizeof *start);
  float* pb = malloc(np * k * sizeof *pb);
  float* expect = malloc(n * sizeof *expect);
  float* y = malloc(n * sizeof *y);
  ep_test_fill(rng, x, k, -1, 1);
  ep_test_fill(rng, b, k * n, -1, 1);
  ep_test_fill(rng, cb, n, -1, 1);
  ep_test_fill(rng, start, n, -1, 1);
  for (size_t j = 0; j < n; j++) {
    double s = accumulate ? start[j] : 0.0;
    for (size_t kk = 0; kk < k; kk++) s += (double)x[kk] * b[kk * n + j];
    expect[j] = (float)ep_ref_activate(act, s + cb[j]);
  }
  ep_f32_gemm_pack_b(k, n, b, n, 1, cfg->nr, pb);
  memcpy(y, start, n * sizeof *y);
  for (size_t j = 0; j < n; j += cfg->nr) {
    const ep_f32_gemm_epilogue epilogue = {.col_bias = cb + j, .act = act};
    cfg->gemv(n - j < cfg->nr ? n - j : cfg->nr, k, x, pb + j * k, y + j, accumulate, &epilogue);
  }
  const double diff = ep_test_max_rel_diff(y, expect, n);
  EP_CHECK_MSG(diff <= 1e-5, "gemv n %zu k %zu accumulate %d act %d: rel diff %g", n, k, accumulate,
               (int)act, diff);
  free(x);
  free(b);
  free(cb);
  free(start);
  free(pb);
  free(expect);
  free(y);
}

static void test_config(ep_cpu_isa isa, void* ctx) {
  (void)ctx;
  const ep_f32_gemm_config* cfg = ep_f32_gemm_config_for(isa);
  EP_CHECK(cfg != NULL && cfg->mr >= 1 && cfg->nr >= 1 && cfg->nr <= EP_F32_GEMM_MAX_NR);
  EP_CHECK_MSG(cfg->isa <= isa, "config for %s needs %s", ep_cpu_isa_name(isa),
               ep_cpu_isa_name(cfg->isa));
  /* The active level's config is the one the kernels use. */
  EP_CHECK(ep_f32_gemm_config_get() == cfg);
  test_packing(cfg);
  ep_test_rng rng = {7};
  const ep_activation acts[] = {EP_ACT_NONE,       EP_ACT_RELU,        EP_ACT_RELU6,
                                EP_ACT_SIGMOID,    EP_ACT_TANH,        EP_ACT_SILU,
                                EP_ACT_HARD_SWISH, EP_ACT_HARD_SIGMOID, EP_ACT_GELU,
                                EP_ACT_GELU_TANH};
#define N_ACTS ((int)(sizeof acts / sizeof acts[0]))
  /* Every tile shape from 1 x 1 to two full tiles plus one. */
  for (size_t m = 1; m <= 2 * cfg->mr + 1; m++) {
    for (size_t n = 1; n <= 2 * cfg->nr + 1; n += 1 + (n > cfg->nr)) {
      check_compute(&rng, cfg, m, n, 1 + m + n, 1000, m % 2, n % 2, (m + n) % 3 == 0,
                    acts[(m + n) % N_ACTS]);
    }
  }
  /* Every column count of one tile, narrow tails included, with every epilogue. */
  for (size_t n = 1; n <= cfg->nr; n++) {
    check_compute(&rng, cfg, cfg->mr, n, 9, 1000, true, true, n % 2, acts[n % N_ACTS]);
  }
  /* Whole tiles (the microkernel's short store) with and without each part of the epilogue,
   * and with the activations it leaves to the general store. */
  for (int i = 0; i < N_ACTS * 8; i++) {
    check_compute(&rng, cfg, 2 * cfg->mr, 2 * cfg->nr, 64, i % 2 ? 64 : 24, (i >> 1) & 1,
                  (i >> 2) & 1, (i >> 3) & 1, acts[i % N_ACTS]);
  }
  /* k blocks (accumulation through C), several row blocks of the driver, big k. */
  check_compute(&rng, cfg, 9, 19, 100, 33, true, false, true, EP_ACT_RELU);
  check_compute(&rng, cfg, 300, 20, 40, 16, true, true, false, EP_ACT_NONE);
  check_compute(&rng, cfg, 17, 33, 1500, 256, false, true, false, EP_ACT_TANH);
  check_compute(&rng, cfg, 3, 5, 7, 1, true, true, true, EP_ACT_SIGMOID);
  check_compute(&rng, cfg, 64, 49, 300, 256, true, false, true, EP_ACT_RELU6);
  /* Tiles shorter than the panel compute only their rows (ViT's 197 tokens end in a tile of 5 of
   * 16 rows): around half a panel, whole and narrow widths, every epilogue, k blocks, and a
   * 197-row matrix. */
  for (size_t m = cfg->mr / 2 > 1 ? cfg->mr / 2 - 1 : 1; m <= cfg->mr / 2 + 1; m++) {
    for (int i = 0; i < N_ACTS * 2; i++) {
      const size_t n = i % 2 ? cfg->nr : cfg->nr / 2 + 1;
      check_compute(&rng, cfg, m, n, 37, i % 4 < 2 ? 1000 : 16, (i >> 1) & 1, (i >> 2) & 1,
                    (i >> 3) & 1, acts[i % N_ACTS]);
    }
  }
  check_compute(&rng, cfg, 197, 3 * cfg->nr + 1, 200, 64, false, true, false, EP_ACT_NONE);
  for (size_t n = 1; n <= 3 * cfg->nr; n += 3) {
    for (size_t k = 1; k <= 40; k += 13) check_gemv(&rng, cfg, n, k, n % 2, acts[(n + k) % N_ACTS]);
  }
  check_gemv(&rng, cfg, 100, 2000, false, EP_ACT_NONE);
  check_gemv(&rng, cfg, 2 * cfg->nr - 1, 7, true, EP_ACT_RELU6);
}

int main(void) {
  /* Every level resolves to a config, supported or not; the scalar one always exists. */
  EP_CHECK(ep_f32_gemm_config_for(EP_ISA_SCALAR)->isa == EP_ISA_SCALAR);
  for (int i = 0; i < EP_ISA_COUNT; i++) {
    EP_CHECK(ep_f32_gemm_config_for((ep_cpu_isa)i)->isa <= (ep_cpu_isa)i);
  }
  EP_CHECK(ep_test_for_each_isa("gemm", test_config, NULL) >= 1);
  return ep_test_finish();
}

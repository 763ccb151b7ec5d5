/* The row-blocked attention kernel (kernels/attention) against its naive reference at every ISA
 * level this machine runs, with a NULL pool and a pool of 2 threads: sequences of 1, 7, 128 and
 * 197 (one row block and several, blocks that end inside a microkernel tile), head depths 32 and
 * 64, k given as k^T or as k, no mask, a [B, 1, 1, S] padding mask (0 / -10000, as BERT writes
 * it) and a [1, 1, S, S] mask, and a cross-attention case with Sq != Sk and Dv != D. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/attention/attention.h"
#include "test_isa.h"
#include "test_support.h"

static ep_test_rng rng = {1515};
static ep_threadpool* pool2;

enum { B = 2, H = 3 };
enum { MASK_NONE, MASK_PADDING, MASK_SQUARE, MASK_KINDS };

static float* values(size_t n, float lo, float hi) {
  float* x = malloc((n ? n : 1) * sizeof *x);
  ep_test_fill(&rng, x, n, lo, hi);
  return x;
}

/* Contiguous q [B, H, sq, d], k [B, H, sk, d] or k^T [B, H, d, sk], v [B, H, sk, dv],
 * y [B, H, sq, dv] and the mask kind's strides. */
static ep_attention_desc make_desc(size_t sq, size_t sk, size_t d, size_t dv, bool trans_b,
                                   int mask) {
  ep_attention_desc a;
  memset(&a, 0, sizeof a);
  a.sq = sq;
  a.sk = sk;
  a.d = d;
  a.dv = dv;
  a.scale = 1.0f / sqrtf((float)d);
  a.batch_rank = 2;
  a.batch[0] = B;
  a.batch[1] = H;
  a.q_row = d;
  a.k_depth = trans_b ? 1 : sk;
  a.k_seq = trans_b ? d : 1;
  a.v_row = dv;
  a.y_row = dv;
  a.q_batch[1] = sq * d;
  a.k_batch[1] = sk * d;
  a.v_batch[1] = sk * dv;
  a.y_batch[1] = sq * dv;
  for (int t = 0; t < 1; t++) {
    a.q_batch[t] = H * a.q_batch[1];
    a.k_batch[t] = H * a.k_batch[1];
    a.v_batch[t] = H * a.v_batch[1];
    a.y_batch[t] = H * a.y_batch[1];
  }
  if (mask == MASK_PADDING) { /* [B, 1, 1, sk] */
    a.mask_batch[0] = sk;
    a.mask_col = 1;
  } else if (mask == MASK_SQUARE) { /* [1, 1, sq, sk] */
    a.mask_row = sk;
    a.mask_col = 1;
  }
  return a;
}

static void check_case(const ep_f32_gemm_config* config, size_t sq, size_t sk, size_t d,
                       size_t dv, bool trans_b, int mask_kind) {
  const ep_attention_desc a = make_desc(sq, sk, d, dv, trans_b, mask_kind);
  float* q = values(B * H * sq * d, -1, 1);
  float* k = values(B * H * sk * d, -1, 1);
  float* v = values(B * H * sk * dv, -1, 1);
  const size_t mask_n = mask_kind == MASK_PADDING ? B * sk : sq * sk;
  float* mask = NULL;
  if (mask_kind != MASK_NONE) {
    mask = values(mask_n, -1, 1);
    for (size_t i = 0; i < mask_n; i++) {
      if (ep_test_rng_int(&rng, 0, 3) == 0) mask[i] = -10000.0f;
    }
  }
  const size_t ny = B * H * sq * dv;
  float* expect = malloc(ny * sizeof *expect);
  float* got = malloc(ny * sizeof *got);
  ep_ref_attention(&a, q, k, v, mask, expect);
  const size_t ws_floats = ep_attention_workspace_floats(config, &a);
  float* ws = malloc(2 * ws_floats * sizeof *ws);
  for (int p = 0; p < 2; p++) {
    for (size_t i = 0; i < ny; i++) got[i] = NAN;
    ep_attention_run(config, &a, q, k, v, mask, got, ws, ws_floats, p ? pool2 : NULL);
    const double diff = ep_test_max_rel_diff(got, expect, ny);
    EP_CHECK_MSG(diff <= 1e-5,
                 "sq %zu sk %zu d %zu dv %zu %s mask %d pool %d: relative difference %g", sq, sk,
                 d, dv, trans_b ? "k" : "k^T", mask_kind, p, diff);
  }
  free(q);
  free(k);
  free(v);
  free(mask);
  free(expect);
  free(got);
  free(ws);
}

static void test_level(ep_cpu_isa isa, void* ctx) {
  (void)ctx;
  const ep_f32_gemm_config* config = ep_f32_gemm_config_for(isa);
  static const size_t seqs[] = {1, 7, 128, 197};
  static const size_t depths[] = {32, 64};
  for (size_t s = 0; s < 4; s++) {
    for (size_t d = 0; d < 2; d++) {
      for (int m = 0; m < MASK_KINDS; m++) {
        check_case(config, seqs[s], seqs[s], depths[d], depths[d], m == MASK_SQUARE, m);
      }
    }
  }
  check_case(config, 50, 77, 40, 24, true, MASK_SQUARE);
  check_case(config, 3, 300, 16, 72, false, MASK_PADDING);
}

static void test_block_rows(void) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  ep_attention_desc a = make_desc(197, 197, 64, 64, false, MASK_NONE);
  const size_t rows = ep_attention_block_rows(config, &a);
  EP_CHECK(rows % config->mr == 0 && rows >= config->mr);
  EP_CHECK(rows * a.sk <= 8192 || rows == config->mr);
  a.sq = 1;
  EP_CHECK(ep_attention_block_rows(config, &a) == config->mr);
}

/* A power-of-two scale (1/8 for d = 64) multiplies the packed q rows, not the scores: the very
 * floats of the unscaled kernel on q scaled beforehand, with and without a mask. */
static void test_power_of_two_scale(void) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  for (int mask_kind = MASK_NONE; mask_kind <= MASK_PADDING; mask_kind++) {
    ep_attention_desc a = make_desc(37, 37, 64, 64, true, mask_kind);
    const size_t nq = B * H * 37 * 64, ny = nq;
    float* q = values(nq, -4, 4);
    float* q8 = malloc(nq * sizeof *q8);
    for (size_t i = 0; i < nq; i++) q8[i] = q[i] * 0.125f;
    float* k = values(nq, -4, 4);
    float* v = values(nq, -1, 1);
    float* mask = mask_kind == MASK_PADDING ? values(B * 37, -1, 1) : NULL;
    float* y = malloc(ny * sizeof *y);
    float* y8 = malloc(ny * sizeof *y8);
    const size_t ws_floats = ep_attention_workspace_floats(config, &a);
    float* ws = malloc(ws_floats * sizeof *ws);
    a.scale = 0.125f;
    ep_attention_run(config, &a, q, k, v, mask, y, ws, ws_floats, NULL);
    a.scale = 1.0f;
    ep_attention_run(config, &a, q8, k, v, mask, y8, ws, ws_floats, NULL);
    EP_CHECK_MSG(memcmp(y, y8, ny * sizeof *y) == 0, "scale 1/8, mask %d: not the same floats",
                 mask_kind);
    free(q);
    free(q8);
    free(k);
    free(v);
    free(mask);
    free(y);
    free(y8);
    free(ws);
  }
}

int main(void) {
  EP_CHECK_OK(ep_threadpool_create(2, NULL, 0, &pool2));
  test_block_rows();
  test_power_of_two_scale();
  EP_CHECK(ep_test_for_each_isa("attention", test_level, NULL) >= 1);
  ep_threadpool_destroy(pool2);
  return ep_test_finish();
}

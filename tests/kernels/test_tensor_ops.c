/* The kernels of the ONNX operators (kernels/tensor_ops.h) against their references on random
 * shapes and corner cases, with a NULL pool and pools of 1, 2 and 3 threads: broadcasting binary
 * ops, LeakyRelu and Clip, softmax / log-softmax along any axis, 1-D to 3-D window pooling,
 * global max pooling, LRN, Transpose, Pad, ONNX LSTM / GRU and Expand (index_ops.h) for
 * elements of 1, 4 and 8 bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/index/index_ops.h"
#include "kernels/tensor_ops.h"
#include "test_support.h"

enum { N_POOLS = 4 };
static ep_threadpool* pools[N_POOLS];
static ep_test_rng rng = {4242};

static float* values(size_t n, float lo, float hi) {
  float* x = malloc((n ? n : 1) * sizeof *x);
  ep_test_fill(&rng, x, n, lo, hi);
  return x;
}

/* Runs `run` for every pool into a NaN-filled buffer and compares it with `expect`. */
#define CHECK_POOLS(what, n, expect, got, tol, run)                                  \
  for (int p_ = 0; p_ < N_POOLS; p_++) {                                             \
    ep_threadpool* pool = pools[p_];                                                 \
    for (size_t i_ = 0; i_ < (n); i_++) (got)[i_] = NAN;                             \
    run;                                                                             \
    double d_ = ep_test_max_rel_diff(got, expect, n);                                \
    EP_CHECK_MSG(d_ <= (tol), "%s (pool %d): relative difference %g", what, p_, d_); \
  }

static ep_shape random_shape(int rank, int max_dim) {
  ep_shape s = {.rank = rank};
  for (int i = 0; i < rank; i++) s.dims[i] = ep_test_rng_int(&rng, 1, max_dim);
  return s;
}

static void test_binary(void) {
  for (int iter = 0; iter < 60; iter++) {
    int rank = ep_test_rng_int(&rng, 0, 5);
    ep_shape y = random_shape(rank, iter < 50 ? 5 : 40);
    ep_shape a = y, b = y;
    /* Drop leading dims and set some dims to 1 in each operand. */
    a.rank = ep_test_rng_int(&rng, 0, rank);
    b.rank = ep_test_rng_int(&rng, 0, rank);
    if (ep_test_rng_int(&rng, 0, 1))
      a.rank = rank;
    else
      b.rank = rank;
    memmove(a.dims, y.dims + (rank - a.rank), sizeof(int64_t) * (size_t)a.rank);
    memmove(b.dims, y.dims + (rank - b.rank), sizeof(int64_t) * (size_t)b.rank);
    for (int i = 0; i < a.rank; i++)
      if (ep_test_rng_int(&rng, 0, 2) == 0) a.dims[i] = 1;
    for (int i = 0; i < b.rank; i++)
      if (ep_test_rng_int(&rng, 0, 2) == 0) b.dims[i] = 1;
    /* y is the broadcast of what is left. */
    ep_broadcast_desc d;
    ep_broadcast_desc_init(&d, &a, &b);
    size_t na = (size_t)ep_shape_numel(&a), nb = (size_t)ep_shape_numel(&b), ny = 1;
    for (int i = 0; i < d.rank; i++) ny *= (size_t)d.dims[i];
    float* xa = values(na, -2, 2);
    float* xb = values(nb, 0.5f, 2);
    float* expect = malloc(ny * sizeof *expect);
    float* got = malloc(ny * sizeof *got);
    for (int op = EP_BINARY_ADD; op <= EP_BINARY_DIV; op++) {
      ep_activation act = (ep_activation)ep_test_rng_int(&rng, 0, 4);
      ep_ref_binary((ep_binary_op)op, &d, xa, xb, act, expect);
      CHECK_POOLS("binary", ny, expect, got, 1e-6,
                  ep_binary_run((ep_binary_op)op, &d, xa, xb, act, got, pool));
    }
    free(xa);
    free(xb);
    free(expect);
    free(got);
  }
}

static void test_unary_softmax(void) {
  const size_t n = 50001;
  float* x = values(n, -5, 5);
  float* expect = malloc(n * sizeof *expect);
  float* got = malloc(n * sizeof *got);
  ep_ref_leaky_relu(n, 0.2f, x, expect);
  CHECK_POOLS("leaky relu", n, expect, got, 0, ep_leaky_relu_run(n, 0.2f, x, got, pool));
  ep_ref_clip(n, -1.5f, 0.25f, x, expect);
  CHECK_POOLS("clip", n, expect, got, 0, ep_clip_run(n, -1.5f, 0.25f, x, got, pool));
  const size_t shapes[][3] = {{1, 1, 1}, {1, 10, 1},  {7, 13, 1},   {3, 5, 100},
                              {2, 1, 9}, {4, 33, 65}, {1, 1000, 3}, {5, 7, 64}};
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    size_t outer = shapes[s][0], len = shapes[s][1], inner = shapes[s][2];
    size_t total = outer * len * inner;
    for (int log = 0; log < 2; log++) {
      ep_ref_softmax_axis(outer, len, inner, log, x, expect);
      CHECK_POOLS(log ? "log softmax" : "softmax", total, expect, got, 2e-6,
                  ep_softmax_axis_run(outer, len, inner, log, x, got, pool));
    }
  }
  free(x);
  free(expect);
  free(got);
}

static int out_size(int in, int k, int s, int dil, int pb, int pe, bool ceil_mode) {
  int eff = dil * (k - 1) + 1, span = in + pb + pe - eff;
  if (span < 0) return 0;
  int out = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (out - 1) * s >= in + pb) out--;
  return out;
}

static void test_window_pool(void) {
  for (int iter = 0; iter < 120; iter++) {
    ep_window_pool_desc d = {.batch = ep_test_rng_int(&rng, 1, 2),
                             .channels = ep_test_rng_int(&rng, 1, 4)};
    const bool three_d = iter % 3 == 0;
    int* in[3] = {&d.in_d, &d.in_h, &d.in_w};
    int* out[3] = {&d.out_d, &d.out_h, &d.out_w};
    int* k[3] = {&d.kernel_d, &d.kernel_h, &d.kernel_w};
    int* s[3] = {&d.stride_d, &d.stride_h, &d.stride_w};
    int* dil[3] = {&d.dilation_d, &d.dilation_h, &d.dilation_w};
    int* pb[3] = {&d.pad_front, &d.pad_top, &d.pad_left};
    int* pe[3] = {&d.pad_back, &d.pad_bottom, &d.pad_right};
    const bool ceil_mode = ep_test_rng_int(&rng, 0, 1);
    bool ok = true;
    for (int i = 0; i < 3; i++) {
      const bool unit = i == 0 && !three_d;
      *in[i] = unit ? 1 : ep_test_rng_int(&rng, 1, 12);
      *k[i] = unit ? 1 : ep_test_rng_int(&rng, 1, 4);
      *s[i] = unit ? 1 : ep_test_rng_int(&rng, 1, 3);
      *dil[i] = unit ? 1 : ep_test_rng_int(&rng, 1, 2);
      int eff = *dil[i] * (*k[i] - 1) + 1;
      *pb[i] = unit ? 0 : ep_test_rng_int(&rng, 0, eff - 1);
      *pe[i] = unit ? 0 : ep_test_rng_int(&rng, 0, eff - 1);
      *out[i] = out_size(*in[i], *k[i], *s[i], *dil[i], *pb[i], *pe[i], ceil_mode);
      ok = ok && *out[i] > 0;
    }
    if (!ok) continue;
    size_t nx = (size_t)d.batch * d.channels * d.in_d * d.in_h * d.in_w;
    size_t ny = (size_t)d.batch * d.channels * d.out_d * d.out_h * d.out_w;
    float* x = values(nx, -1, 1);
    float* expect = malloc(ny * sizeof *expect);
    float* got = malloc(ny * sizeof *got);
    for (int kind = 0; kind < 3; kind++) {
      d.count_include_pad = kind == 2;
      ep_ref_window_pool(&d, kind == 0, x, expect);
      CHECK_POOLS("window pool", ny, expect, got, 1e-6,
                  ep_window_pool_run(&d, kind == 0, x, got, pool));
    }
    free(x);
    free(expect);
    free(got);
  }
  float* x = values(3 * 1000, -1, 1);
  float expect[3], got[3];
  ep_ref_global_max_pool(3, 1000, x, expect);
  CHECK_POOLS("global max pool", 3, expect, got, 0, ep_global_max_pool_run(3, 1000, x, got, pool));
  free(x);
}

static void test_lrn_layout(void) {
  for (int size = 1; size <= 6; size++) {
    ep_lrn_desc d = {.batch = 2,
                     .channels = 7,
                     .inner = 13,
                     .size = size,
                     .alpha = 0.5f,
                     .beta = 0.7f,
                     .bias = 1.5f};
    size_t n = 2 * 7 * 13;
    float* x = values(n, -2, 2);
    float* expect = malloc(n * sizeof *expect);
    float* got = malloc(n * sizeof *got);
    ep_ref_lrn(&d, x, expect);
    CHECK_POOLS("lrn", n, expect, got, 2e-6, ep_lrn_run(&d, x, got, pool));
    free(x);
    free(expect);
    free(got);
  }
  /* Channel shuffles as PyTorch exports them ([1, g, C/g, H, W], perm 0 2 1 3 4: rows of H * W
   * after merging; ShuffleNet's stage 2 at x2.0, 190K floats, is split over the pool), a
   * shuffle of three groups, and merges around size-1 dims. */
  static const struct {
    int rank;
    int64_t dims[5];
    int perm[5];
  } fixed[] = {
      {5, {1, 2, 29, 7, 7}, {0, 2, 1, 3, 4}},  {5, {1, 2, 12, 8, 8}, {0, 2, 1, 3, 4}},
      {5, {1, 2, 122, 28, 28}, {0, 2, 1, 3, 4}},
      {5, {1, 3, 5, 4, 6}, {0, 2, 1, 3, 4}},   {5, {2, 1, 3, 1, 5}, {3, 0, 2, 4, 1}},
      {4, {3, 4, 5, 6}, {0, 1, 3, 2}},         {3, {1, 1, 1}, {2, 0, 1}},
      /* Batches of 2-D transposes (the tiled path): ConvNeXt's NCHW <-> NHWC with whole and
       * partial 16 x 16 tiles and more than one task, a head split's k', a batch of two. */
      {4, {1, 96, 56, 56}, {0, 2, 3, 1}},      {4, {1, 56, 56, 96}, {0, 3, 1, 2}},
      {4, {1, 40, 7, 7}, {0, 2, 3, 1}},        {4, {1, 19, 12, 64}, {0, 2, 3, 1}},
      {3, {2, 17, 33}, {0, 2, 1}},             {2, {5, 3}, {1, 0}},
  };
  for (size_t c = 0; c < sizeof fixed / sizeof fixed[0]; c++) {
    ep_shape s = ep_shape_make(fixed[c].rank, fixed[c].dims);
    size_t n = (size_t)ep_shape_numel(&s);
    float* x = values(n, -1, 1);
    float* expect = malloc(n * sizeof *expect);
    float* got = malloc(n * sizeof *got);
    ep_ref_transpose(&s, fixed[c].perm, x, expect);
    CHECK_POOLS("transpose (fixed)", n, expect, got, 0,
                ep_transpose_run(&s, fixed[c].perm, x, got, pool));
    free(x);
    free(expect);
    free(got);
  }
  for (int iter = 0; iter < 40; iter++) {
    int rank = ep_test_rng_int(&rng, 1, 6);
    ep_shape s = random_shape(rank, rank > 4 ? 4 : 7);
    size_t n = (size_t)ep_shape_numel(&s);
    float* x = values(n, -1, 1);
    int perm[EP_MAX_RANK];
    for (int i = 0; i < rank; i++) perm[i] = i;
    for (int i = rank - 1; i > 0; i--) {
      int j = ep_test_rng_int(&rng, 0, i), t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    float* expect = malloc(n * sizeof *expect);
    float* got = malloc(n * sizeof *got);
    ep_ref_transpose(&s, perm, x, expect);
    CHECK_POOLS("transpose", n, expect, got, 0, ep_transpose_run(&s, perm, x, got, pool));
    free(expect);
    free(got);
    /* Pad: pads within the limits of every mode, some negative (constant and edge only). */
    int mode = ep_test_rng_int(&rng, EP_PAD_CONSTANT, EP_PAD_WRAP);
    int pads[2 * EP_MAX_RANK];
    size_t ny = 1;
    for (int i = 0; i < 2 * rank; i++) {
      int dim = (int)s.dims[i % rank];
      int hi = mode == EP_PAD_REFLECT ? dim - 1 : mode == EP_PAD_WRAP ? dim : 3;
      int lo = mode == EP_PAD_REFLECT || mode == EP_PAD_WRAP ? 0 : -(dim - 1) / 2;
      pads[i] = ep_test_rng_int(&rng, lo, hi);
    }
    for (int i = 0; i < rank; i++) ny *= (size_t)(s.dims[i] + pads[i] + pads[rank + i]);
    expect = malloc(ny * sizeof *expect);
    got = malloc(ny * sizeof *got);
    ep_ref_pad(&s, pads, mode, -3.0f, x, expect);
    CHECK_POOLS("pad", ny, expect, got, 0, ep_pad_run(&s, pads, mode, -3.0f, x, got, pool));
    free(expect);
    free(got);
    free(x);
  }
}

static void test_rnn(void) {
  for (int iter = 0; iter < 30; iter++) {
    ep_rnn_desc d = {
        .lstm = iter % 2 == 0,
        .seq_len = ep_test_rng_int(&rng, 1, 5),
        .batch = ep_test_rng_int(&rng, 1, 4),
        .input_size = ep_test_rng_int(&rng, 1, 20),
        .hidden_size = ep_test_rng_int(&rng, 1, 24),
        .directions = ep_test_rng_int(&rng, 1, 2),
        .layout = ep_test_rng_int(&rng, 0, 1),
        .linear_before_reset = iter % 4 == 1,
        .clip = iter % 5 == 0 ? 0.7f : 0.0f,
        .has_bias = iter % 3 != 0,
        .has_peepholes = iter % 4 == 2,
    };
    d.reverse = d.directions == 1 && iter % 3 == 1;
    if (iter >= 24) {
      /* GRU (24-26) and LSTM (27-29) steps big enough for the cells to split over the pool
       * (kernels/rnn/step-items.h), several batch rows per step; both directions and initial
       * states at odd iterations, sequence lengths at 26 and 29. */
      d.lstm = iter >= 27;
      d.has_peepholes = false;
      d.linear_before_reset = true;
      d.clip = 0.0f;
      d.hidden_size = 80;
      d.batch = 3;
      d.directions = 1 + iter % 2;
    }
    const size_t G = d.lstm ? 4 : 3, H = (size_t)d.hidden_size, D = (size_t)d.directions;
    const size_t T = (size_t)d.seq_len, N = (size_t)d.batch, I = (size_t)d.input_size;
    float* x = values(T * N * I, -1, 1);
    float* w = values(D * G * H * I, -0.5f, 0.5f);
    float* r = values(D * G * H * H, -0.5f, 0.5f);
    float* b = d.has_bias ? values(D * 2 * G * H, -0.5f, 0.5f) : NULL;
    float* p = d.has_peepholes ? values(D * 3 * H, -0.5f, 0.5f) : NULL;
    float* h0 = iter % 2 ? values(D * N * H, -1, 1) : NULL;
    float* c0 = h0 && d.lstm ? values(D * N * H, -1, 1) : NULL;
    float* lens = NULL;
    if (iter % 3 == 2) {
      lens = malloc(N * sizeof *lens);
      for (size_t i = 0; i < N; i++) lens[i] = (float)ep_test_rng_int(&rng, 1, (int)T);
    }
    const size_t ny = T * D * N * H, ns = D * N * H;
    float* expect = malloc((ny + 2 * ns) * sizeof *expect);
    float* got = malloc((ny + 2 * ns) * sizeof *got);
    float* packed = malloc(ep_rnn_packed_size(&d) * sizeof *packed);
    float* work = malloc(ep_rnn_workspace_size(&d) * sizeof *work);
    memset(expect, 0, (ny + 2 * ns) * sizeof *expect);
    ep_ref_rnn(&d, x, w, r, b, lens, h0, c0, p, expect, expect + ny,
               d.lstm ? expect + ny + ns : NULL);
    ep_rnn_pack(&d, w, r, b, p, packed);
    CHECK_POOLS("rnn", ny + 2 * ns, expect, got, 2e-5, {
      if (!d.lstm) memset(got + ny + ns, 0, ns * sizeof *got);
      ep_rnn_run(&d, packed, x, lens, h0, c0, got, got + ny, d.lstm ? got + ny + ns : NULL, work,
                 pool);
    });
    free(x);
    free(w);
    free(r);
    free(b);
    free(p);
    free(h0);
    free(c0);
    free(lens);
    free(expect);
    free(got);
    free(packed);
    free(work);
  }
}

/* Expand of random broadcasts (leading dims dropped, dims of 1 anywhere, so the last dim is a
 * copy, a fill or, after a transposed map, a strided gather), against the element walk. */
static void test_expand(void) {
  for (int iter = 0; iter < 60; iter++) {
    const int rank = ep_test_rng_int(&rng, 0, 5);
    ep_shape y = random_shape(rank, iter < 40 ? 6 : 40), x = y;
    x.rank = ep_test_rng_int(&rng, 0, rank);
    memmove(x.dims, y.dims + (rank - x.rank), sizeof(int64_t) * (size_t)x.rank);
    for (int i = 0; i < x.rank; i++) {
      if (ep_test_rng_int(&rng, 0, 2) == 0) x.dims[i] = 1;
    }
    const ep_shape* in[1] = {&x};
    ep_index_map m;
    ep_index_map_init(&m, &y, in, 1);
    /* Every fifth map reads x's last two dims transposed (a strided last dim), as Slice's and
     * other strided copies through ep_expand_run can. */
    if (iter % 5 == 4 && rank >= 2 && x.rank == rank && x.dims[rank - 1] > 1 &&
        x.dims[rank - 2] == x.dims[rank - 1]) {
      const int64_t t = m.stride[0][rank - 1];
      m.stride[0][rank - 1] = m.stride[0][rank - 2];
      m.stride[0][rank - 2] = t;
    }
    const size_t nx = (size_t)ep_shape_numel(&x), ny = (size_t)ep_shape_numel(&y);
    static const size_t sizes[3] = {1, 4, 8};
    for (int e = 0; e < 3; e++) {
      const size_t es = sizes[e];
      uint8_t* xb = malloc(nx * es + 1);
      uint8_t* want = malloc(ny * es + 1);
      uint8_t* got = malloc(ny * es + 1);
      for (size_t i = 0; i < nx * es; i++) xb[i] = (uint8_t)ep_test_rng_int(&rng, 0, 255);
      for (size_t i = 0; i < ny; i++) {
        size_t rest = i, off = 0;
        for (int d = rank - 1; d >= 0; d--) {
          off += (rest % (size_t)y.dims[d]) * (size_t)m.stride[0][d];
          rest /= (size_t)y.dims[d];
        }
        memcpy(want + i * es, xb + off * es, es);
      }
      for (int p = 0; p < N_POOLS; p++) {
        memset(got, 0xA5, ny * es + 1);
        ep_expand_run(es, &m, xb, got, pools[p]);
        EP_CHECK_MSG(memcmp(got, want, ny * es) == 0 && got[ny * es] == 0xA5,
                     "expand %d: rank %d, %zu bytes, pool %d", iter, rank, es, p);
      }
      free(xb);
      free(want);
      free(got);
    }
  }
}

int main(void) {
  pools[0] = NULL;
  for (int i = 1; i < N_POOLS; i++) EP_CHECK_OK(ep_threadpool_create(i, NULL, 0, &pools[i]));
  test_binary();
  test_unary_softmax();
  test_window_pool();
  test_lrn_layout();
  test_rnn();
  test_expand();
  for (int i = 1; i < N_POOLS; i++) ep_threadpool_destroy(pools[i]);
  return ep_test_finish();
}

/* ONNX LSTM and GRU: every direction, initial states, peepholes, clip, sequence lengths, both
 * layouts and both GRU reset modes, against a naive implementation written here from the ONNX
 * equations (and the kernel library's reference), with constant and fed weights. */
#include "kernels/tensor_ops.h"
#include "ops_harness.h"

static ep_test_rng rng = {2024};

static float* random_values(size_t n, float lo, float hi) {
  float* x = malloc(n * sizeof *x);
  ep_test_fill(&rng, x, n, lo, hi);
  return x;
}

static double sig(double v) { return 1.0 / (1.0 + exp(-v)); }

typedef struct rnn_case {
  bool lstm;
  int t, n, in, h, dirs;
  int direction; /* EP_RNN_* */
  int layout;
  bool lbr, bias, states, peep, lens;
  float clip;
} rnn_case;

static double clipped(const rnn_case* r, double v) {
  return r->clip > 0 ? fmin(fmax(v, -r->clip), r->clip) : v;
}

/* The naive recurrence for one (direction, batch row): written for clarity, state in double. */
static void naive(const rnn_case* r, const float* x, const float* w, const float* rw,
                  const float* b, const float* lens, const float* h0, const float* c0,
                  const float* p, float* y, float* yh, float* yc) {
  const int G = r->lstm ? 4 : 3, H = r->h, I = r->in, T = r->t, N = r->n, D = r->dirs;
  for (int d = 0; d < D; d++) {
    const bool back = D == 2 ? d == 1 : r->direction == EP_RNN_REVERSE;
    for (int n = 0; n < N; n++) {
      double hs[64], cs[64], hn[64];
      const int len = lens ? (int)lens[n] : T;
      for (int j = 0; j < H; j++) {
        int at = r->layout ? (n * D + d) * H + j : (d * N + n) * H + j;
        hs[j] = h0 ? h0[at] : 0;
        cs[j] = c0 ? c0[at] : 0;
      }
      for (int s = 0; s < T; s++) {
        const int t = back ? T - 1 - s : s;
        float* yt = y + (r->layout ? ((n * T + t) * D + d) * H : ((t * D + d) * N + n) * H);
        if (t >= len) {
          for (int j = 0; j < H; j++) yt[j] = 0;
          continue;
        }
        const float* xt = x + (r->layout ? (n * T + t) * I : (t * N + n) * I);
        /* Xq = x Wq^T + Wbq and Hq = h Rq^T + Rbq for every gate unit. */
        double X[4 * 64], Hh[4 * 64];
        for (int g = 0; g < G * H; g++) {
          X[g] = b ? b[(d * 2 * G) * H + g] : 0;
          Hh[g] = b ? b[(d * 2 * G + G) * H + g] : 0;
          for (int k = 0; k < I; k++) X[g] += w[((size_t)d * G * H + g) * I + k] * xt[k];
          for (int k = 0; k < H; k++) Hh[g] += rw[((size_t)d * G * H + g) * H + k] * hs[k];
        }
        for (int j = 0; j < H; j++) {
          if (r->lstm) {
            const float* pd = p ? p + d * 3 * H : NULL;
            double i = sig(clipped(r, X[j] + Hh[j] + (pd ? pd[j] * cs[j] : 0)));
            double f =
                sig(clipped(r, X[2 * H + j] + Hh[2 * H + j] + (pd ? pd[2 * H + j] * cs[j] : 0)));
            double g = tanh(clipped(r, X[3 * H + j] + Hh[3 * H + j]));
            cs[j] = f * cs[j] + i * g;
            double o = sig(clipped(r, X[H + j] + Hh[H + j] + (pd ? pd[H + j] * cs[j] : 0)));
            hn[j] = o * tanh(cs[j]);
          } else {
            double z = sig(clipped(r, X[j] + Hh[j]));
            double rr = sig(clipped(r, X[H + j] + Hh[H + j]));
            double g;
            if (r->lbr) {
              g = tanh(clipped(r, X[2 * H + j] + rr * Hh[2 * H + j]));
            } else {
              /* (r . h) Rh^T + Rbh: r of every unit k multiplies h[k]. */
              double sum = b ? b[(d * 2 * G + G) * H + 2 * H + j] : 0;
              for (int k = 0; k < H; k++) {
                double rk = sig(clipped(r, X[H + k] + Hh[H + k]));
                sum += rw[((size_t)d * G * H + 2 * H + j) * H + k] * rk * hs[k];
              }
              g = tanh(clipped(r, X[2 * H + j] + sum));
            }
            hn[j] = (1 - z) * g + z * hs[j];
          }
        }
        for (int j = 0; j < H; j++) {
          hs[j] = hn[j];
          yt[j] = (float)hs[j];
        }
      }
      for (int j = 0; j < H; j++) {
        int at = r->layout ? (n * D + d) * H + j : (d * N + n) * H + j;
        yh[at] = (float)hs[j];
        if (yc) yc[at] = (float)cs[j];
      }
    }
  }
}

static void check_rnn(const char* what, rnn_case r) {
  r.dirs = r.direction == EP_RNN_BIDIRECTIONAL ? 2 : 1;
  const int G = r.lstm ? 4 : 3, D = r.dirs;
  const size_t nx = (size_t)r.t * r.n * r.in, ny = (size_t)r.t * D * r.n * r.h;
  const size_t ns = (size_t)D * r.n * r.h;
  float* x = random_values(nx, -1, 1);
  float* w = random_values((size_t)D * G * r.h * r.in, -0.6f, 0.6f);
  float* rw = random_values((size_t)D * G * r.h * r.h, -0.6f, 0.6f);
  float* b = r.bias ? random_values((size_t)D * 2 * G * r.h, -0.5f, 0.5f) : NULL;
  float* lens = NULL;
  if (r.lens) {
    lens = malloc((size_t)r.n * sizeof *lens);
    for (int i = 0; i < r.n; i++) lens[i] = (float)(1 + (i * 2) % r.t);
  }
  float* h0 = r.states ? random_values(ns, -1, 1) : NULL;
  float* c0 = r.states && r.lstm ? random_values(ns, -1, 1) : NULL;
  float* p = r.peep ? random_values((size_t)D * 3 * r.h, -0.5f, 0.5f) : NULL;
  float* y = calloc(ny, sizeof *y);
  float* yh = calloc(ns, sizeof *yh);
  float* yc = calloc(ns, sizeof *yc);
  naive(&r, x, w, rw, b, lens, h0, c0, p, y, yh, r.lstm ? yc : NULL);

  /* The kernel library's reference agrees with the naive version. */
  ep_rnn_desc desc = {.lstm = r.lstm,
                      .seq_len = r.t,
                      .batch = r.n,
                      .input_size = r.in,
                      .hidden_size = r.h,
                      .directions = D,
                      .reverse = r.direction == EP_RNN_REVERSE,
                      .layout = r.layout,
                      .linear_before_reset = r.lbr,
                      .clip = r.clip,
                      .has_bias = r.bias,
                      .has_peepholes = r.peep};
  float* ry = calloc(ny, sizeof *ry);
  float* ryh = calloc(ns, sizeof *ryh);
  float* ryc = calloc(ns, sizeof *ryc);
  ep_ref_rnn(&desc, x, w, rw, b, lens, h0, c0, p, ry, ryh, r.lstm ? ryc : NULL);
  EP_CHECK_MSG(ep_test_max_abs_diff(ry, y, ny) < 1e-5 && ep_test_max_abs_diff(ryh, yh, ns) < 1e-5 &&
                   (!r.lstm || ep_test_max_abs_diff(ryc, yc, ns) < 1e-5),
               "%s: the reference differs from the naive version", what);

  for (int constant = 0; constant < 2; constant++) {
    op_case c = {.op = r.lstm ? EP_OP_LSTM : EP_OP_GRU,
                 .n_inputs = r.lstm ? 8 : 6,
                 .n_outputs = r.lstm ? 3 : 2};
    c.attrs.hidden_size = constant ? r.h : 0; /* 0: taken from R */
    c.attrs.direction = r.direction;
    c.attrs.rnn_layout = r.layout;
    c.attrs.linear_before_reset = r.lbr;
    c.attrs.rnn_clip = r.clip;
    c.shape[0] = r.layout ? shp(3, r.n, r.t, r.in, 0) : shp(3, r.t, r.n, r.in, 0);
    c.shape[1] = shp(3, D, G * r.h, r.in, 0);
    c.shape[2] = shp(3, D, G * r.h, r.h, 0);
    c.shape[3] = shp(2, D, 2 * G * r.h, 0, 0);
    c.shape[4] = shp(1, r.n, 0, 0, 0);
    ep_shape state = r.layout ? shp(3, r.n, D, r.h, 0) : shp(3, D, r.n, r.h, 0);
    c.shape[5] = c.shape[6] = state;
    c.shape[7] = shp(2, D, 3 * r.h, 0, 0);
    const float* data[8] = {x, w, rw, b, lens, h0, c0, p};
    for (int i = 0; i < c.n_inputs; i++) {
      c.data[i] = data[i];
      c.constant[i] = constant && i != 0 && i != 5 && i != 6;
    }
    /* Drop trailing absent inputs, as an importer may. */
    while (c.n_inputs > 3 && c.data[c.n_inputs - 1] == NULL) c.n_inputs--;
    c.out_shape[0] = r.layout ? shp(4, r.n, r.t, D, r.h) : shp(4, r.t, D, r.n, r.h);
    c.out_shape[1] = c.out_shape[2] = state;
    c.expected[0] = y;
    c.expected[1] = yh;
    c.expected[2] = yc;
    char name[160];
    snprintf(name, sizeof name, "%s (%s weights)", what, constant ? "constant" : "fed");
    check_case(name, &c, 2e-5);
  }
  free(x);
  free(w);
  free(rw);
  free(b);
  free(lens);
  free(h0);
  free(c0);
  free(p);
  free(y);
  free(yh);
  free(yc);
  free(ry);
  free(ryh);
  free(ryc);
}

/* One unit, one step, by hand: W = 1 for every gate, R = 0, x = 1 (so every gate sees 1):
 * c = s(1) tanh(1), h = s(1) tanh(c). GRU: z = r = s(1), h = (1 - s(1)) tanh(1). */
static void test_hand(void) {
  const float one[] = {1}, w4[] = {1, 1, 1, 1}, r4[] = {0, 0, 0, 0};
  const double s1 = sig(1.0), c = s1 * tanh(1.0);
  const float y[] = {(float)(s1 * tanh(c))}, yc[] = {(float)c};
  op_case k = {.op = EP_OP_LSTM, .n_inputs = 3, .n_outputs = 3};
  k.shape[0] = shp(3, 1, 1, 1, 0);
  k.shape[1] = k.shape[2] = shp(3, 1, 4, 1, 0);
  k.data[0] = one;
  k.data[1] = w4;
  k.data[2] = r4;
  k.out_shape[0] = shp(4, 1, 1, 1, 1);
  k.out_shape[1] = k.out_shape[2] = shp(3, 1, 1, 1, 0);
  k.expected[0] = k.expected[1] = y;
  k.expected[2] = yc;
  check_case("lstm by hand", &k, 1e-6);
  const float gy[] = {(float)((1 - s1) * tanh(1.0))};
  op_case g = {.op = EP_OP_GRU, .n_inputs = 3, .n_outputs = 2};
  g.shape[0] = shp(3, 1, 1, 1, 0);
  g.shape[1] = g.shape[2] = shp(3, 1, 3, 1, 0);
  g.data[0] = one;
  g.data[1] = w4;
  g.data[2] = r4;
  g.out_shape[0] = shp(4, 1, 1, 1, 1);
  g.out_shape[1] = shp(3, 1, 1, 1, 0);
  g.expected[0] = g.expected[1] = gy;
  check_case("gru by hand", &g, 1e-6);
}

static void test_cases(void) {
  for (int lstm = 0; lstm < 2; lstm++) {
    for (int lbr = 0; lbr < (lstm ? 1 : 2); lbr++) {
      char what[96];
      const char* cell = lstm ? "lstm" : lbr ? "gru lbr 1" : "gru lbr 0";
      rnn_case base = {.lstm = lstm, .t = 3, .n = 2, .in = 4, .h = 5, .lbr = lbr};
      rnn_case r = base;
      snprintf(what, sizeof what, "%s forward, defaults", cell);
      check_rnn(what, r);
      r = base;
      r.direction = EP_RNN_BIDIRECTIONAL;
      r.bias = r.states = true;
      snprintf(what, sizeof what, "%s bidirectional, initial states, bias", cell);
      check_rnn(what, r);
      r = base;
      r.direction = EP_RNN_REVERSE;
      r.bias = r.peep = lstm;
      r.clip = 0.5f;
      snprintf(what, sizeof what, "%s reverse, peepholes, clip", cell);
      check_rnn(what, r);
      r = base;
      r.n = 3;
      r.t = 4;
      r.direction = EP_RNN_BIDIRECTIONAL;
      r.lens = r.bias = r.states = true;
      snprintf(what, sizeof what, "%s bidirectional, sequence lengths", cell);
      check_rnn(what, r);
      r = base;
      r.layout = 1;
      r.direction = EP_RNN_BIDIRECTIONAL;
      r.states = r.bias = true;
      snprintf(what, sizeof what, "%s layout 1", cell);
      check_rnn(what, r);
      r = base;
      r.t = 1;
      r.n = 1;
      r.bias = true;
      snprintf(what, sizeof what, "%s one step, batch 1", cell);
      check_rnn(what, r);
      r = base;
      r.t = 6;
      r.n = 3;
      r.in = 33;
      r.h = 40;
      r.direction = EP_RNN_BIDIRECTIONAL;
      r.bias = r.states = true;
      r.peep = lstm;
      snprintf(what, sizeof what, "%s wide", cell);
      check_rnn(what, r);
    }
  }
}

static void test_errors(void) {
  const float z[256] = {0};
  op_case c = {.op = EP_OP_GRU, .n_inputs = 3, .n_outputs = 1};
  c.shape[0] = shp(3, 2, 1, 4, 0);
  c.shape[1] = shp(3, 1, 15, 4, 0);
  c.shape[2] = shp(3, 1, 12, 5, 0);
  c.data[0] = c.data[1] = c.data[2] = z;
  const char* msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "GRU") && contains(msg, "R") && contains(msg, "[1, 15, 5]"), "%s",
               msg);
  /* Bidirectional needs two sets of weights. */
  c.shape[2] = shp(3, 1, 15, 5, 0);
  c.attrs.direction = EP_RNN_BIDIRECTIONAL;
  msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "W") && contains(msg, "[2, 15, 4]"), "%s", msg);
  /* Out-of-range constant sequence lengths. */
  const float lens[] = {1, 3};
  c.attrs.direction = EP_RNN_FORWARD;
  c.n_inputs = 5;
  c.data[3] = NULL;
  c.data[4] = lens;
  c.shape[4] = shp(1, 2, 0, 0, 0); /* N is 1 */
  c.constant[4] = true;
  msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "sequence_lens"), "%s", msg);
  c.shape[4] = shp(1, 2, 0, 0, 0);
  c.shape[0] = shp(3, 2, 2, 4, 0);
  msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "sequence_lens[1] = 3"), "%s", msg);
}

/* MACs: directions x steps x batch x gates x H x (I + H); parameters: W, R, B (and P). */
static void test_cost(void) {
  static const float z[4096] = {0};
  for (int lstm = 0; lstm < 2; lstm++) {
    const int64_t G = lstm ? 4 : 3, D = 2, T = 5, N = 3, I = 7, H = 6;
    op_case c = {.op = lstm ? EP_OP_LSTM : EP_OP_GRU, .n_inputs = 4, .n_outputs = 1};
    c.attrs.direction = EP_RNN_BIDIRECTIONAL;
    c.shape[0] = shp(3, T, N, I, 0);
    c.shape[1] = shp(3, D, G * H, I, 0);
    c.shape[2] = shp(3, D, G * H, H, 0);
    c.shape[3] = shp(2, D, 2 * G * H, 0, 0);
    for (int i = 0; i < 4; i++) {
      c.data[i] = z;
      c.constant[i] = i > 0;
    }
    ep_graph* g = case_graph(&c, true);
    if (g == NULL) continue;
    const ep_node* n = ep_graph_node(g, 0);
    EP_CHECK_MSG(
        n->cost.macs == D * T * N * G * H * (I + H) && n->cost.params == D * G * H * (I + H + 2),
        "%s cost: %lld MACs, %lld params", lstm ? "lstm" : "gru", (long long)n->cost.macs,
        (long long)n->cost.params);
    ep_graph_destroy(g);
  }
}

int main(void) {
  test_cost();
  test_hand();
  test_cases();
  test_errors();
  return ep_test_finish();
}

/* The element-wise ops of modern networks through graph and session: every one-input op against
 * its definition computed here, Pow's constant-exponent fast paths against its general path,
 * variadic Min / Max with broadcasting and NaN, the checks that refuse bad nodes, and the fusion
 * of HardSwish / HardSigmoid into a convolution (optimized and plain graphs agree). */
#include "ops_harness.h"

static ep_test_rng rng = {4242};

static float* random_values(size_t n, float lo, float hi) {
  float* x = malloc(n * sizeof *x);
  ep_test_fill(&rng, x, n, lo, hi);
  return x;
}

static op_case one_input(ep_op op, ep_shape s, const float* x, const float* y) {
  op_case c = {.op = op, .attrs = ep_attrs_default(op), .n_inputs = 1, .n_outputs = 1};
  c.shape[0] = s;
  c.data[0] = x;
  c.out_shape[0] = s;
  c.expected[0] = y;
  return c;
}

static double definition(ep_op op, bool gelu_tanh, double x) {
  switch (op) {
    case EP_OP_SQRT:
      return sqrt(x);
    case EP_OP_RECIPROCAL:
      return 1.0 / x;
    case EP_OP_ERF:
      return erf(x);
    case EP_OP_GELU:
      return gelu_tanh ? 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)))
                       : 0.5 * x * (1 + erf(x / sqrt(2.0)));
    case EP_OP_HARD_SIGMOID:
      return fmax(0, fmin(1, 0.2 * x + 0.5));
    case EP_OP_HARD_SWISH:
      return x * fmax(0, fmin(1, x / 6 + 0.5));
    case EP_OP_MISH:
      return x * tanh(log(1 + exp(x)));
    case EP_OP_EXP:
      return exp(x);
    case EP_OP_LOG:
      return log(x);
    case EP_OP_NEG:
      return -x;
    case EP_OP_ABS:
      return fabs(x);
    case EP_OP_SOFTPLUS:
      return log(1 + exp(x));
    default:
      return NAN;
  }
}

static void test_one_input_ops(void) {
  static const ep_op ops[] = {EP_OP_SQRT,    EP_OP_RECIPROCAL,   EP_OP_ERF,        EP_OP_GELU,
                              EP_OP_GELU,    EP_OP_HARD_SIGMOID, EP_OP_HARD_SWISH, EP_OP_MISH,
                              EP_OP_EXP,     EP_OP_LOG,          EP_OP_NEG,        EP_OP_ABS,
                              EP_OP_SOFTPLUS};
  /* 40000 values: several chunks, so both threads work. */
  const ep_shape s = shp(4, 1, 4, 100, 100);
  const size_t n = (size_t)ep_shape_numel(&s);
  float* x = random_values(n, -6, 6);
  float* pos = random_values(n, 0.01f, 20);
  float* want = malloc(n * sizeof *want);
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    const ep_op op = ops[k];
    const bool tanh_gelu = op == EP_OP_GELU && k == 4;
    const float* in = op == EP_OP_SQRT || op == EP_OP_LOG || op == EP_OP_RECIPROCAL ? pos : x;
    for (size_t i = 0; i < n; i++) want[i] = (float)definition(op, tanh_gelu, in[i]);
    op_case c = one_input(op, s, in, want);
    c.attrs.gelu_tanh = tanh_gelu;
    char what[64];
    snprintf(what, sizeof what, "%s%s", ep_op_name(op), tanh_gelu ? " (tanh)" : "");
    check_case(what, &c, 2e-6);
  }
  /* HardSigmoid with MobileNetV3's constants. */
  const float hx[] = {-4, -3, -1.5f, 0, 1.5f, 3, 4};
  const float hy[] = {0, 0, 0.25f, 0.5f, 0.75f, 1, 1};
  op_case c = one_input(EP_OP_HARD_SIGMOID, shp(1, 7, 0, 0, 0), hx, hy);
  c.attrs.alpha = 1.0f / 6.0f;
  c.attrs.beta = 0.5f;
  check_case("HardSigmoid 1/6, 1/2", &c, 1e-7);
  /* Bad attributes are refused with the node named. */
  c.attrs.alpha = NAN;
  EP_CHECK(contains(case_error(&c), "alpha"));
  free(x);
  free(pos);
  free(want);
}

/* Pow(x, e) with e a constant of `count` copies of v, broadcast to x [2, 3, 50, 40]. */
static void check_pow_constant(float v, int count) {
  const ep_shape s = shp(4, 2, 3, 50, 40);
  const size_t n = (size_t)ep_shape_numel(&s);
  float* x = random_values(n, -3, 3);
  float* want = malloc(n * sizeof *want);
  float e[40];
  for (int i = 0; i < count; i++) e[i] = v;
  for (size_t i = 0; i < n; i++) want[i] = (float)pow(x[i], v);
  op_case c = {
      .op = EP_OP_POW, .attrs = ep_attrs_default(EP_OP_POW), .n_inputs = 2, .n_outputs = 1};
  c.shape[0] = s;
  c.data[0] = x;
  c.shape[1] = count == 1 ? shp(0, 0, 0, 0, 0) : shp(1, count, 0, 0, 0);
  c.data[1] = e;
  c.constant[1] = true;
  c.out_shape[0] = s;
  c.expected[0] = want;
  char what[64];
  snprintf(what, sizeof what, "Pow(x, %g) constant [%d]", (double)v, count);
  /* NaN where powf gives NaN (a negative base to 0.5): compare the finite values only. */
  for (size_t i = 0; i < n; i++) {
    if (isnan(want[i])) x[i] = fabsf(x[i]), want[i] = (float)pow(x[i], v);
  }
  check_case(what, &c, 1e-6);
  free(x);
  free(want);
}

static void test_pow(void) {
  const float values[] = {2, 0.5f, 3, -1, 1, 1.7f, -2.5f};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    check_pow_constant(values[i], 1);
    check_pow_constant(values[i], 40); /* a full last dim of equal values */
  }
  /* Exponents that differ, and both operands broadcast: [3, 1] ^ [1, 4] -> [3, 4]. */
  const float b[] = {1, 2, 3}, e[] = {0, 1, 2, 0.5f};
  float want[12];
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 4; j++) want[i * 4 + j] = (float)pow(b[i], e[j]);
  }
  op_case c = {
      .op = EP_OP_POW, .attrs = ep_attrs_default(EP_OP_POW), .n_inputs = 2, .n_outputs = 1};
  c.shape[0] = shp(2, 3, 1, 0, 0);
  c.data[0] = b;
  c.shape[1] = shp(2, 1, 4, 0, 0);
  c.data[1] = e;
  c.out_shape[0] = shp(2, 3, 4, 0, 0);
  c.expected[0] = want;
  check_case("Pow broadcast inputs", &c, 1e-7);
  c.constant[1] = true; /* a constant, but not one value: the general path */
  check_case("Pow broadcast constant", &c, 1e-7);
  /* A constant 2 that stretches the base: [3, 1] ^ [1, 4] of 2s is not x^2 in place. */
  const float twos[] = {2, 2, 2, 2};
  for (int i = 0; i < 12; i++) want[i] = b[i / 4] * b[i / 4];
  c.data[1] = twos;
  check_case("Pow constant 2 broadcasting the base", &c, 1e-7);
}

static void test_min_max(void) {
  const float a[] = {1, 5, -2};                              /* [3, 1] */
  const float b[] = {0, 2, 4, -1};                           /* [1, 4] */
  const float d[] = {3, 3, 3, 3, 0, 0, 0, 0, -5, 6, NAN, 1}; /* [3, 4] */
  float want_max[12], want_min[12];
  for (int i = 0; i < 3; i++) {
    for (int j = 0; j < 4; j++) {
      const float v = d[i * 4 + j];
      const float hi = fmaxf(a[i], b[j]), lo = fminf(a[i], b[j]);
      want_max[i * 4 + j] = isnan(v) ? NAN : fmaxf(hi, v);
      want_min[i * 4 + j] = isnan(v) ? NAN : fminf(lo, v);
    }
  }
  for (int op = 0; op < 2; op++) {
    /* Orders: the first pair broadcasts to y ([3, 1], [1, 4], [3, 4]); it does not
     * ([3, 1], [3, 4], [1, 4]: x0 copied out first); the full shape first. */
    const float* const data[3][3] = {{a, b, d}, {a, d, b}, {d, a, b}};
    const ep_shape sa = shp(2, 3, 1, 0, 0), sb = shp(2, 1, 4, 0, 0), sd = shp(2, 3, 4, 0, 0);
    const ep_shape shapes[3][3] = {{sa, sb, sd}, {sa, sd, sb}, {sd, sa, sb}};
    for (int order = 0; order < 3; order++) {
      op_case c = {.op = op ? EP_OP_MAX : EP_OP_MIN, .n_inputs = 3, .n_outputs = 1};
      c.attrs = ep_attrs_default(c.op);
      for (int k = 0; k < 3; k++) {
        c.shape[k] = shapes[order][k];
        c.data[k] = data[order][k];
      }
      c.out_shape[0] = sd;
      const float* want = op ? want_max : want_min;
      char what[48];
      snprintf(what, sizeof what, "%s of 3, order %d", op ? "Max" : "Min", order);
      /* The harness counts a NaN as a mismatch: run it here and compare NaN positions. */
      ep_graph* g = case_graph(&c, true);
      if (g == NULL) continue;
      ep_session* s = NULL;
      ep_session_options opts = {2, NULL, 0, NULL};
      EP_CHECK_OK(ep_session_create(g, &opts, &s));
      if (s != NULL) {
        for (int k = 0; k < 3; k++) {
          EP_CHECK_OK(ep_session_set_input(s, k, c.data[k], (size_t)ep_shape_numel(&c.shape[k])));
        }
        float y[12];
        EP_CHECK_OK(ep_session_run(s));
        EP_CHECK_OK(ep_session_get_output(s, 0, y, 12));
        for (int i = 0; i < 12; i++) {
          EP_CHECK_MSG(isnan(want[i]) ? isnan(y[i]) : y[i] == want[i], "%s: y[%d] = %g, want %g",
                       what, i, (double)y[i], (double)want[i]);
        }
        ep_session_destroy(s);
      }
      ep_graph_destroy(g);
    }
  }
  /* One input: a copy. */
  op_case c = one_input(EP_OP_MAX, shp(1, 3, 0, 0, 0), a, a);
  check_case("Max of 1", &c, 0);
  /* Shapes that do not broadcast are refused, naming the input. */
  op_case bad = {.op = EP_OP_MIN, .n_inputs = 2, .n_outputs = 1};
  bad.shape[0] = shp(1, 3, 0, 0, 0);
  bad.data[0] = a;
  bad.shape[1] = shp(1, 4, 0, 0, 0);
  bad.data[1] = b;
  EP_CHECK(contains(case_error(&bad), "broadcasts"));
}

/* x [1, 8, 10, 10] -> Conv 3x3 (16) -> act node; optimize; the conv absorbs the act iff
 * `fused`, and both graphs give the same output. */
static void check_conv_act(ep_op act_op, float alpha, float beta, bool fused, ep_activation want) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("conv_act", &g));
  int x, w, bias, y, z;
  EP_CHECK_OK(ep_graph_add_input(g, "x", shp(4, 1, 8, 10, 10), &x));
  float* wd = random_values(16 * 8 * 9, -0.5f, 0.5f);
  float* bd = random_values(16, -1, 1);
  EP_CHECK_OK(ep_graph_add_constant(g, "w", shp(4, 16, 8, 3, 3), wd, &w));
  EP_CHECK_OK(ep_graph_add_constant(g, "b", shp(1, 16, 0, 0, 0), bd, &bias));
  ep_attrs ca = ep_attrs_default(EP_OP_CONV);
  ca.kernel[0] = ca.kernel[1] = 3;
  ca.pad[0] = ca.pad[1] = ca.pad[2] = ca.pad[3] = 1;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, "conv", &ca, (int[]){x, w, bias}, 3, 1, NULL, &y));
  ep_attrs aa = ep_attrs_default(act_op);
  aa.alpha = alpha;
  aa.beta = beta;
  EP_CHECK_OK(ep_graph_add_node(g, act_op, "act", &aa, &y, 1, 1, NULL, &z));
  EP_CHECK_OK(ep_graph_mark_output(g, z));
  EP_CHECK_OK(ep_graph_finalize(g));
  ep_graph* opt = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &opt));
  if (opt != NULL) {
    EP_CHECK_MSG(ep_graph_node_count(opt) == (fused ? 1 : 2), "%s: %d nodes after fusion",
                 ep_op_name(act_op), ep_graph_node_count(opt));
    if (fused) EP_CHECK(ep_graph_node(opt, 0)->attrs.act == want);
    float* in = random_values(800, -3, 3);
    float out[2][1600];
    const ep_graph* graphs[2] = {g, opt};
    for (int k = 0; k < 2; k++) {
      ep_session* s = NULL;
      ep_session_options opts = {2, NULL, 0, NULL};
      EP_CHECK_OK(ep_session_create(graphs[k], &opts, &s));
      if (s == NULL) continue;
      EP_CHECK_OK(ep_session_set_input(s, 0, in, 800));
      EP_CHECK_OK(ep_session_run(s));
      EP_CHECK_OK(ep_session_get_output(s, 0, out[k], 1600));
      ep_session_destroy(s);
    }
    double diff = 0;
    for (int i = 0; i < 1600; i++) diff = fmax(diff, fabs(out[0][i] - out[1][i]));
    EP_CHECK_MSG(diff < 1e-5, "%s: fused and plain graphs differ by %g", ep_op_name(act_op), diff);
    free(in);
    ep_graph_destroy(opt);
  }
  free(wd);
  free(bd);
  ep_graph_destroy(g);
}

static void test_fusion(void) {
  check_conv_act(EP_OP_HARD_SWISH, 0, 0, true, EP_ACT_HARD_SWISH);
  check_conv_act(EP_OP_HARD_SIGMOID, 1.0f / 6.0f, 0.5f, true, EP_ACT_HARD_SIGMOID);
  /* ONNX's default HardSigmoid (alpha 0.2) is not the fused activation's: stays a node. */
  check_conv_act(EP_OP_HARD_SIGMOID, 0.2f, 0.5f, false, EP_ACT_NONE);
  check_conv_act(EP_OP_MISH, 0, 0, false, EP_ACT_NONE);
}

int main(void) {
  test_one_input_ops();
  test_pow();
  test_min_max();
  test_fusion();
  return ep_test_finish();
}

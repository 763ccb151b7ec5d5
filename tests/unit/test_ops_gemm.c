/* Gemm (alpha, beta, transA, transB, every shape of C, constant or fed B), MatMul (1-D operands,
 * batched and broadcast stacks, constant weights) and 1x1 convolutions of 1x1 maps (which run as
 * fully connected layers), against values computed here or by the reference convolution. */
#include "kernels/kernels.h"
#include "ops_harness.h"
#include "test_isa.h"

static ep_test_rng rng = {99};

static float* random_values(size_t n) {
  float* x = malloc(n * sizeof *x);
  ep_test_fill(&rng, x, n, -1.0f, 1.0f);
  return x;
}

static void test_gemm_hand(void) {
  /* [[1, 2], [3, 4]] x [[5, 6], [7, 8]] = [[19, 22], [43, 50]]; alpha 2, C = [1, -1], beta 3. */
  const float a[] = {1, 2, 3, 4}, b[] = {5, 6, 7, 8}, cv[] = {1, -1};
  const float y[] = {2 * 19 + 3, 2 * 22 - 3, 2 * 43 + 3, 2 * 50 - 3};
  for (int constant = 0; constant < 2; constant++) {
    op_case c = {
        .op = EP_OP_GEMM, .attrs = ep_attrs_default(EP_OP_GEMM), .n_inputs = 3, .n_outputs = 1};
    c.attrs.alpha = 2;
    c.attrs.beta = 3;
    c.shape[0] = c.shape[1] = shp(2, 2, 2, 0, 0);
    c.shape[2] = shp(1, 2, 0, 0, 0);
    c.data[0] = a;
    c.data[1] = b;
    c.data[2] = cv;
    c.constant[1] = c.constant[2] = constant;
    c.out_shape[0] = shp(2, 2, 2, 0, 0);
    c.expected[0] = y;
    check_case(constant ? "gemm hand, packed" : "gemm hand, fed", &c, 1e-6);
  }
}

/* Gemm [m, k] x [k, n] with every option, against a direct sum. */
static void check_gemm(int64_t m, int64_t k, int64_t n, bool ta, bool tb, ep_shape cs, bool b_const,
                       bool c_const) {
  float* a = random_values((size_t)(m * k));
  float* b = random_values((size_t)(k * n));
  float* cv = cs.rank >= 0 ? random_values((size_t)ep_shape_numel(&cs)) : NULL;
  float* y = malloc((size_t)(m * n) * sizeof *y);
  const float alpha = 0.75f, beta = -1.5f;
  for (int64_t i = 0; i < m; i++) {
    for (int64_t j = 0; j < n; j++) {
      double sum = 0;
      for (int64_t p = 0; p < k; p++) {
        sum += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      }
      double v = alpha * sum;
      if (cv != NULL) {
        int64_t ci = 0;
        if (cs.rank == 2) {
          ci = (cs.dims[0] == 1 ? 0 : i) * cs.dims[1] + (cs.dims[1] == 1 ? 0 : j);
        } else if (cs.rank == 1) {
          ci = cs.dims[0] == 1 ? 0 : j;
        }
        v += beta * cv[ci];
      }
      y[i * n + j] = (float)v;
    }
  }
  op_case c = {.op = EP_OP_GEMM,
               .attrs = ep_attrs_default(EP_OP_GEMM),
               .n_inputs = cv ? 3 : 2,
               .n_outputs = 1};
  c.attrs.alpha = alpha;
  c.attrs.beta = beta;
  c.attrs.trans_a = ta;
  c.attrs.trans_b = tb;
  c.shape[0] = ta ? shp(2, k, m, 0, 0) : shp(2, m, k, 0, 0);
  c.shape[1] = tb ? shp(2, n, k, 0, 0) : shp(2, k, n, 0, 0);
  c.data[0] = a;
  c.data[1] = b;
  c.constant[1] = b_const;
  if (cv) {
    c.shape[2] = cs;
    c.data[2] = cv;
    c.constant[2] = c_const;
  }
  c.out_shape[0] = shp(2, m, n, 0, 0);
  c.expected[0] = y;
  char what[128];
  snprintf(what, sizeof what, "gemm %lldx%lldx%lld ta %d tb %d C rank %d B %s C %s", (long long)m,
           (long long)k, (long long)n, ta, tb, cv ? cs.rank : -1, b_const ? "const" : "fed",
           c_const ? "const" : "fed");
  check_case(what, &c, 1e-5);
  free(a);
  free(b);
  free(cv);
  free(y);
}

static void test_gemm_options(void) {
  const ep_shape none = {.rank = -1};
  for (int ta = 0; ta < 2; ta++) {
    for (int tb = 0; tb < 2; tb++) {
      for (int bc = 0; bc < 2; bc++) {
        check_gemm(3, 5, 4, ta, tb, none, bc, false);
        check_gemm(1, 7, 9, ta, tb, shp(1, 9, 0, 0, 0), bc, true);
        check_gemm(6, 5, 11, ta, tb, shp(2, 6, 11, 0, 0), bc, bc);
        check_gemm(6, 5, 11, ta, tb, shp(2, 6, 1, 0, 0), bc, true);
        check_gemm(6, 5, 11, ta, tb, shp(2, 1, 11, 0, 0), bc, true);
        check_gemm(6, 5, 11, ta, tb, shp(0, 0, 0, 0, 0), bc, true);
        check_gemm(6, 5, 11, ta, tb, shp(1, 1, 0, 0, 0), bc, false);
      }
    }
  }
  check_gemm(37, 300, 70, false, true, shp(1, 70, 0, 0, 0), true, true); /* several k blocks */
  check_gemm(37, 300, 70, true, false, shp(1, 70, 0, 0, 0), false, false);
}

/* MatMul of the given shapes, against numpy's definition computed here. */
static void check_matmul(ep_shape sa, ep_shape sb, ep_shape sy, bool b_const) {
  size_t na = (size_t)ep_shape_numel(&sa), nb = (size_t)ep_shape_numel(&sb);
  size_t ny = (size_t)ep_shape_numel(&sy);
  float* a = random_values(na);
  float* b = random_values(nb);
  float* y = malloc(ny * sizeof *y);
  const int64_t k = sa.dims[sa.rank - 1];
  const int64_t m = sa.rank >= 2 ? sa.dims[sa.rank - 2] : 1;
  const int64_t n = sb.rank >= 2 ? sb.dims[sb.rank - 1] : 1;
  const int batch_rank = sy.rank - (sa.rank >= 2) - (sb.rank >= 2);
  size_t batches = ny / (size_t)(m * n);
  for (size_t bi = 0; bi < batches; bi++) {
    /* Batch coordinates, mapped into a's and b's batch dims (1 broadcasts). */
    size_t rest = bi, oa = 0, ob = 0, st_a = 1, st_b = 1;
    for (int d = batch_rank - 1; d >= 0; d--) {
      size_t coord = rest % (size_t)sy.dims[d];
      rest /= (size_t)sy.dims[d];
      int da = d - (batch_rank - (sa.rank - 2)), db = d - (batch_rank - (sb.rank - 2));
      if (sa.rank > 2 && da >= 0) {
        oa += (sa.dims[da] == 1 ? 0 : coord) * st_a;
        st_a *= (size_t)sa.dims[da];
      }
      if (sb.rank > 2 && db >= 0) {
        ob += (sb.dims[db] == 1 ? 0 : coord) * st_b;
        st_b *= (size_t)sb.dims[db];
      }
    }
    for (int64_t i = 0; i < m; i++) {
      for (int64_t j = 0; j < n; j++) {
        double sum = 0;
        for (int64_t p = 0; p < k; p++) {
          sum += (double)a[oa * m * k + i * k + p] * b[ob * k * n + p * n + j];
        }
        y[bi * m * n + i * n + j] = (float)sum;
      }
    }
  }
  op_case c = {.op = EP_OP_MATMUL, .n_inputs = 2, .n_outputs = 1};
  c.shape[0] = sa;
  c.shape[1] = sb;
  c.data[0] = a;
  c.data[1] = b;
  c.constant[1] = b_const;
  c.out_shape[0] = sy;
  c.expected[0] = y;
  char what[160], s1[48], s2[48];
  snprintf(what, sizeof what, "matmul %s x %s (%s)", ep_shape_format(&sa, s1, sizeof s1),
           ep_shape_format(&sb, s2, sizeof s2), b_const ? "const" : "fed");
  check_case(what, &c, 1e-5);
  free(a);
  free(b);
  free(y);
}

static void test_matmul(void) {
  /* Hand values: [1, 2, 3] . [4, 5, 6] = 32, a scalar. */
  const float v1[] = {1, 2, 3}, v2[] = {4, 5, 6}, dot[] = {32};
  op_case c = {.op = EP_OP_MATMUL, .n_inputs = 2, .n_outputs = 1};
  c.shape[0] = c.shape[1] = shp(1, 3, 0, 0, 0);
  c.data[0] = v1;
  c.data[1] = v2;
  c.out_shape[0] = shp(0, 0, 0, 0, 0);
  c.expected[0] = dot;
  check_case("matmul vector . vector", &c, 0);

  for (int bc = 0; bc < 2; bc++) {
    check_matmul(shp(2, 3, 4, 0, 0), shp(2, 4, 5, 0, 0), shp(2, 3, 5, 0, 0), bc);
    check_matmul(shp(1, 4, 0, 0, 0), shp(2, 4, 5, 0, 0), shp(1, 5, 0, 0, 0), bc);
    check_matmul(shp(2, 3, 4, 0, 0), shp(1, 4, 0, 0, 0), shp(1, 3, 0, 0, 0), bc);
    check_matmul(shp(3, 2, 3, 4, 0), shp(2, 4, 5, 0, 0), shp(3, 2, 3, 5, 0), bc);
    check_matmul(shp(3, 2, 3, 4, 0), shp(1, 4, 0, 0, 0), shp(2, 2, 3, 0, 0), bc);
    check_matmul(shp(3, 2, 3, 4, 0), shp(3, 2, 4, 5, 0), shp(3, 2, 3, 5, 0), bc);
    check_matmul(shp(1, 4, 0, 0, 0), shp(3, 2, 4, 5, 0), shp(2, 2, 5, 0, 0), bc);
    check_matmul(shp(4, 2, 1, 3, 4), shp(3, 3, 4, 5, 0), shp(4, 2, 3, 3, 5), bc);
    check_matmul(shp(3, 1, 60, 128, 0), shp(2, 128, 70, 0, 0), shp(3, 1, 60, 70, 0), bc);
    /* The blocked GEMM path (at least 4 rows, 8 columns): attention's [B, H, S, D] x
     * [B, H, D, S] with S neither a multiple of the tiles nor of the 48-row blocks, a constant
     * [S, D] broadcast against [B, D, E], and broadcasting on both sides. */
    check_matmul(shp(4, 2, 3, 50, 16), shp(4, 2, 3, 16, 50), shp(4, 2, 3, 50, 50), bc);
    check_matmul(shp(2, 37, 24, 0, 0), shp(3, 3, 24, 20, 0), shp(3, 3, 37, 20, 0), bc);
    check_matmul(shp(4, 2, 1, 9, 8), shp(4, 1, 3, 8, 33), shp(4, 2, 3, 9, 33), bc);
  }
}

static void matmul_at_level(ep_cpu_isa isa, void* ctx) {
  (void)isa;
  (void)ctx;
  test_matmul();
}

/* A Conv of kernel 1x1 on an [N, C, 1, 1] input (squeeze-and-excitation's convs) against
 * ep_ref_conv2d: with and without bias, every fused activation kind, batches 1 and 3, channel
 * counts off the vector width, a stride of 2, and a 2x2 map beside it (the convolution's own
 * path) with the same weights. */
static void check_pointwise(int batch, int cin, int cout, int hw, int stride, bool bias,
                            ep_activation act) {
  ep_conv_desc d = {.batch = batch, .in_channels = cin, .in_h = hw, .in_w = hw,
                    .out_channels = cout, .out_h = (hw - 1) / stride + 1,
                    .out_w = (hw - 1) / stride + 1, .kernel_h = 1, .kernel_w = 1,
                    .stride_h = stride, .stride_w = stride, .dilation_h = 1, .dilation_w = 1,
                    .groups = 1, .has_bias = bias, .act = act};
  float* x = random_values((size_t)batch * cin * hw * hw);
  float* w = random_values((size_t)cout * cin);
  float* b = random_values((size_t)cout);
  const size_t ny = (size_t)batch * cout * d.out_h * d.out_w;
  float* y = malloc(ny * sizeof *y);
  ep_ref_conv2d(&d, x, w, bias ? b : NULL, y);
  op_case c = {.op = EP_OP_CONV, .attrs = ep_attrs_default(EP_OP_CONV), .n_inputs = bias ? 3 : 2,
               .n_outputs = 1};
  c.attrs.kernel[0] = c.attrs.kernel[1] = 1;
  c.attrs.stride[0] = c.attrs.stride[1] = stride;
  c.attrs.act = act;
  c.shape[0] = shp(4, batch, cin, hw, hw);
  c.shape[1] = shp(4, cout, cin, 1, 1);
  c.shape[2] = shp(1, cout, 0, 0, 0);
  c.data[0] = x;
  c.data[1] = w;
  c.data[2] = b;
  c.constant[1] = c.constant[2] = true;
  c.out_shape[0] = shp(4, batch, cout, d.out_h, d.out_w);
  c.expected[0] = y;
  char what[96];
  snprintf(what, sizeof what, "1x1 conv %dx%dx%dx%d -> %d, stride %d, bias %d, act %d", batch, cin,
           hw, hw, cout, stride, bias, (int)act);
  check_case(what, &c, 1e-5);
  free(x);
  free(w);
  free(b);
  free(y);
}

static void pointwise_at_level(ep_cpu_isa isa, void* ctx) {
  (void)isa;
  (void)ctx;
  const ep_activation acts[] = {EP_ACT_NONE, EP_ACT_RELU, EP_ACT_RELU6, EP_ACT_SIGMOID,
                                EP_ACT_SILU, EP_ACT_HARD_SWISH, EP_ACT_HARD_SIGMOID};
  for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++) {
    check_pointwise(1, 96, 24, 1, 1, true, acts[a]);
    check_pointwise(3, 24, 96, 1, 1, a % 2 == 0, acts[a]);
  }
  check_pointwise(1, 960, 240, 1, 1, true, EP_ACT_RELU);
  check_pointwise(1, 13, 37, 1, 2, false, EP_ACT_NONE);
  check_pointwise(2, 24, 40, 2, 1, true, EP_ACT_HARD_SIGMOID);
}

static void test_errors(void) {
  const float z[64] = {0};
  op_case c = {.op = EP_OP_MATMUL, .n_inputs = 2, .n_outputs = 1};
  c.shape[0] = shp(2, 3, 4, 0, 0);
  c.shape[1] = shp(2, 5, 6, 0, 0);
  c.data[0] = c.data[1] = z;
  const char* msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "node (MatMul)") && contains(msg, "5x6") && contains(msg, "4"), "%s",
               msg);
  c.op = EP_OP_GEMM;
  c.attrs = ep_attrs_default(EP_OP_GEMM);
  c.shape[1] = shp(2, 4, 6, 0, 0);
  c.n_inputs = 3;
  c.shape[2] = shp(2, 2, 6, 0, 0);
  c.data[2] = z;
  msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "Gemm") && contains(msg, "C") && contains(msg, "[3, 6]"), "%s", msg);
  /* An absent C is fine; an absent A is not. */
  c.data[2] = NULL;
  c.out_shape[0] = shp(2, 3, 6, 0, 0);
  check_case("gemm with absent C", &c, 0);
  c.data[0] = NULL;
  msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "input 0"), "%s", msg);
}

/* MACs and parameters: a Gemm with constant B and C, a MatMul of activations. */
static void test_cost(void) {
  const float z[64] = {0};
  op_case c = {
      .op = EP_OP_GEMM, .attrs = ep_attrs_default(EP_OP_GEMM), .n_inputs = 3, .n_outputs = 1};
  c.shape[0] = shp(2, 3, 5, 0, 0);
  c.shape[1] = shp(2, 5, 4, 0, 0);
  c.shape[2] = shp(1, 4, 0, 0, 0);
  c.data[0] = c.data[1] = c.data[2] = z;
  c.constant[1] = c.constant[2] = true;
  ep_graph* g = case_graph(&c, true);
  if (g != NULL) {
    const ep_node* n = ep_graph_node(g, 0);
    EP_CHECK_MSG(n->cost.macs == 3 * 5 * 4 && n->cost.params == 20 + 4,
                 "gemm cost: %lld MACs, %lld params", (long long)n->cost.macs,
                 (long long)n->cost.params);
    ep_graph_destroy(g);
  }
  op_case m = {.op = EP_OP_MATMUL, .n_inputs = 2, .n_outputs = 1};
  m.shape[0] = shp(3, 2, 3, 4, 0);
  m.shape[1] = shp(3, 2, 4, 5, 0);
  m.data[0] = m.data[1] = z;
  g = case_graph(&m, true);
  if (g != NULL) {
    const ep_node* n = ep_graph_node(g, 0);
    EP_CHECK_MSG(n->cost.macs == 2 * 3 * 4 * 5 && n->cost.params == 0,
                 "matmul cost: %lld MACs, %lld params", (long long)n->cost.macs,
                 (long long)n->cost.params);
    ep_graph_destroy(g);
  }
}

int main(void) {
  test_cost();
  test_gemm_hand();
  test_gemm_options();
  ep_test_for_each_isa("matmul", matmul_at_level, NULL);
  ep_test_for_each_isa("pointwise conv", pointwise_at_level, NULL);
  test_errors();
  return ep_test_finish();
}

/* The fusions of modern CNNs against the graphs without them, at every ISA level, on 1 and 2
 * threads: SiLU (Sigmoid then Mul, as exporters write it) after each kind of convolution, after a
 * fully connected layer and after an add; squeeze-and-excitation blocks; concatenations. Each
 * graph runs as defined (every node on its own), optimized without activation fusion, and fully
 * optimized, and the fused graph exported to ONNX (a fused SiLU as Sigmoid and Mul) and loaded
 * again; the outputs must agree, and the fused graphs must have lost their Sigmoid / Mul nodes.
 * Concatenations written in place (DenseNet, Inception) against copying ones (EDGEPROF_CONCAT=copy):
 * the same outputs, the inputs where the concat would put them, a smaller arena. DenseNet's
 * BatchNorm -> Relu fused into the pointwise conv after it, and where it must not be. Inception
 * v3's Pad -> AveragePool fused into one pool, and where it must not be. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgeprof/onnx.h"
#include "edgeprof/session.h"
#include "runtime/session_internal.h"
#include "test_isa.h"
#include "test_support.h"

static ep_test_rng rng = {2026};

static int add_random_constant(ep_graph* g, const char* name, ep_shape shape, float lo, float hi) {
  int id = -1;
  EP_CHECK_OK(ep_graph_add_constant(g, name, shape, NULL, &id));
  float* data = ep_graph_constant_data(g, id);
  if (data != NULL) ep_test_fill(&rng, data, (size_t)ep_shape_numel(&shape), lo, hi);
  return id;
}

static int add_node1(ep_graph* g, ep_op op, const char* name, const ep_attrs* a, const int* in,
                     int n_in) {
  int y = -1;
  EP_CHECK_OK(ep_graph_add_node(g, op, name, a, in, n_in, 1, NULL, &y));
  return y;
}

/* A conv with a random bias, "same" padding for odd k. */
static int add_conv(ep_graph* g, const char* name, int x, int cin, int cout, int k, int stride,
                    int group) {
  char wname[64], bname[64];
  snprintf(wname, sizeof wname, "%s/w", name);
  snprintf(bname, sizeof bname, "%s/b", name);
  int in[3] = {x,
               add_random_constant(g, wname, ep_shape_make(4, (int64_t[]){cout, cin / group, k, k}),
                                   -0.4f, 0.4f),
               add_random_constant(g, bname, ep_shape_make(1, (int64_t[]){cout}), -0.3f, 0.3f)};
  int p = k / 2;
  ep_attrs a = {.stride = {stride, stride}, .pad = {p, p, p, p}, .group = group};
  return add_node1(g, EP_OP_CONV, name, &a, in, 3);
}

/* SiLU as PyTorch exports it: s = Sigmoid(x); y = Mul(x, s) (swapped: Mul(s, x)). */
static int add_silu(ep_graph* g, const char* name, int x, bool swapped) {
  char sname[64];
  snprintf(sname, sizeof sname, "%s/sigmoid", name);
  int s = add_node1(g, EP_OP_SIGMOID, sname, &(ep_attrs){0}, &x, 1);
  int in[2] = {swapped ? s : x, swapped ? x : s};
  return add_node1(g, EP_OP_MUL, name, &(ep_attrs){0}, in, 2);
}

/* x -> GlobalAveragePool -> Conv1x1 -> SiLU -> Conv1x1 -> Sigmoid -> Mul(x, s). */
static int add_se(ep_graph* g, const char* name, int x, int c, int squeeze) {
  char n1[64], n2[64], n3[64], n4[64], n5[64];
  snprintf(n1, sizeof n1, "%s/pool", name);
  snprintf(n2, sizeof n2, "%s/fc1", name);
  snprintf(n3, sizeof n3, "%s/silu", name);
  snprintf(n4, sizeof n4, "%s/fc2", name);
  snprintf(n5, sizeof n5, "%s/gate", name);
  int p = add_node1(g, EP_OP_GLOBAL_AVG_POOL, n1, &(ep_attrs){0}, &x, 1);
  int s = add_silu(g, n3, add_conv(g, n2, p, c, squeeze, 1, 1, 1), false);
  s = add_conv(g, n4, s, squeeze, c, 1, 1, 1);
  s = add_node1(g, EP_OP_SIGMOID, n5, &(ep_attrs){0}, &s, 1);
  return add_node1(g, EP_OP_MUL, name, &(ep_attrs){0}, (int[]){x, s}, 2);
}

/* Runs g on x with `threads` threads; output 0, malloc'd. */
static float* run(const ep_graph* g, int threads, const float* x) {
  ep_session* s = NULL;
  ep_session_options opts = {threads, NULL, 0, NULL};
  EP_CHECK_OK(ep_session_create(g, &opts, &s));
  if (s == NULL) return NULL;
  size_t n_in = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_input(g, 0))->shape);
  EP_CHECK_OK(ep_session_set_input(s, 0, x, n_in));
  EP_CHECK_OK(ep_session_run(s));
  size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
  float* out = malloc(n_out * sizeof *out);
  EP_CHECK_OK(ep_session_get_output(s, 0, out, n_out));
  ep_session_destroy(s);
  return out;
}

static int count_op(const ep_graph* g, ep_op op) {
  int n = 0;
  for (int i = 0; i < ep_graph_node_count(g); i++) n += ep_graph_node(g, i)->op == op;
  return n;
}

static int count_act(const ep_graph* g, ep_activation act) {
  int n = 0;
  for (int i = 0; i < ep_graph_node_count(g); i++) n += ep_graph_node(g, i)->attrs.act == act;
  return n;
}

typedef struct expect {
  int silu;    /* nodes carrying a fused SiLU */
  int sigmoid; /* Sigmoid nodes left (the SE gates that are not fused into their conv: none) */
  int mul;     /* Mul nodes left (the SE channel scales) */
} expect;

/* Finalizes g (destroyed) and checks it as the file comment says. */
static void check_graph(ep_graph* g, const char* what, expect want) {
  if (!ep_graph_is_finalized(g)) EP_CHECK_OK(ep_graph_finalize(g));
  ep_graph* unfused = NULL;
  ep_graph* fused = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL & ~(unsigned)EP_PASS_FUSE_ACTIVATIONS, &unfused));
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &fused));
  if (unfused == NULL || fused == NULL) goto cleanup;
  EP_CHECK_MSG(count_act(fused, EP_ACT_SILU) == want.silu && count_op(fused, EP_OP_SIGMOID) ==
                   want.sigmoid && count_op(fused, EP_OP_MUL) == want.mul,
               "%s: %d SiLU, %d Sigmoid, %d Mul fused; want %d, %d, %d", what,
               count_act(fused, EP_ACT_SILU), count_op(fused, EP_OP_SIGMOID),
               count_op(fused, EP_OP_MUL), want.silu, want.sigmoid, want.mul);
  const ep_shape* xs = &ep_graph_tensor(g, ep_graph_input(g, 0))->shape;
  size_t n_in = (size_t)ep_shape_numel(xs);
  size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
  float* x = malloc(n_in * sizeof *x);
  ep_test_fill(&rng, x, n_in, -2.0f, 2.0f);
  float* expected = run(g, 1, x);
  char path[] = "/tmp/edgeprof-fusion-XXXXXX.onnx";
  int fd = mkstemps(path, 5);
  EP_CHECK(fd >= 0);
  if (fd >= 0) close(fd);
  ep_graph* reloaded = NULL;
  EP_CHECK_OK(ep_onnx_export(fused, path));
  EP_CHECK_OK(ep_onnx_load(path, NULL, &reloaded));
  unlink(path);
  if (reloaded == NULL) goto done;
  const ep_graph* graphs[3] = {unfused, fused, reloaded};
  static const char* names[3] = {"unfused", "fused", "exported fused"};
  for (int k = 0; k < 3 && expected != NULL; k++) {
    for (int threads = 1; threads <= 2; threads++) {
      float* got = run(graphs[k], threads, x);
      if (got == NULL) continue;
      double diff = ep_test_max_rel_diff(got, expected, n_out);
      EP_CHECK_MSG(diff <= 2e-5, "%s (%s, %d threads, %s): relative difference %g", what,
                   names[k], threads, ep_cpu_isa_name(ep_cpu_isa_active()), diff);
      free(got);
    }
  }
done:
  ep_graph_destroy(reloaded);
  free(expected);
  free(x);
cleanup:
  ep_graph_destroy(unfused);
  ep_graph_destroy(fused);
  ep_graph_destroy(g);
}

static ep_graph* new_graph(const char* name, ep_shape xs, int* x) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create(name, &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", xs, x));
  return g;
}

/* SiLU after every convolution path: direct/im2col (5x5 stride 2), Winograd (3x3), pointwise
 * GEMM, depthwise 3x3 and 5x5 (stride 2), in an MBConv chain that the layout plan blocks, with a
 * residual add carrying SiLU at the end; as a pure NCHW chain too (odd channel counts). */
static void test_silu_convs(void) {
  int x;
  ep_graph* g = new_graph("silu_convs", ep_shape_make(4, (int64_t[]){1, 3, 20, 20}), &x);
  int y = add_silu(g, "stem", add_conv(g, "stem_conv", x, 3, 16, 3, 2, 1), false); /* 10x10 */
  int e = add_silu(g, "expand", add_conv(g, "expand_conv", y, 16, 32, 1, 1, 1), true);
  int d = add_silu(g, "dw3", add_conv(g, "dw3_conv", e, 32, 32, 3, 1, 32), false);
  d = add_silu(g, "dw5", add_conv(g, "dw5_conv", d, 32, 32, 5, 2, 32), false); /* 5x5 */
  int w = add_silu(g, "wino", add_conv(g, "wino_conv", d, 32, 16, 3, 1, 1), false);
  int pr = add_conv(g, "project", w, 16, 16, 1, 1, 1);
  int r = add_conv(g, "shortcut", d, 32, 16, 1, 1, 1);
  int sum = add_node1(g, EP_OP_ADD, "add", &(ep_attrs){0}, (int[]){pr, r}, 2);
  sum = add_silu(g, "add_silu", sum, false);
  EP_CHECK_OK(ep_graph_mark_output(g, sum));
  check_graph(g, "MBConv chain", (expect){6, 0, 0});

  g = new_graph("silu_plain", ep_shape_make(4, (int64_t[]){1, 5, 17, 13}), &x);
  y = add_silu(g, "c1", add_conv(g, "c1_conv", x, 5, 7, 5, 2, 1), false);
  y = add_silu(g, "c2", add_conv(g, "c2_conv", y, 7, 9, 3, 1, 1), true);
  y = add_silu(g, "c3", add_conv(g, "c3_conv", y, 9, 9, 3, 1, 9), false);
  y = add_silu(g, "c4", add_conv(g, "c4_conv", y, 9, 11, 1, 1, 1), false);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  check_graph(g, "NCHW chain", (expect){4, 0, 0});
}

/* SiLU after a fully connected layer; a Sigmoid/Mul pair that must not fuse: x read by a third
 * node, and the sigmoid's output a graph output. */
static void test_silu_fc_and_negatives(void) {
  int x;
  ep_graph* g = new_graph("silu_fc", ep_shape_make(2, (int64_t[]){2, 37}), &x);
  int fc_in[3] = {x, add_random_constant(g, "w", ep_shape_make(2, (int64_t[]){29, 37}), -0.3f, 0.3f),
                  add_random_constant(g, "b", ep_shape_make(1, (int64_t[]){29}), -0.3f, 0.3f)};
  int y = add_node1(g, EP_OP_FULLY_CONNECTED, "fc", &(ep_attrs){0}, fc_in, 3);
  y = add_silu(g, "silu", y, false);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  check_graph(g, "FC SiLU", (expect){1, 0, 0});

  g = new_graph("silu_three_readers", ep_shape_make(4, (int64_t[]){1, 8, 6, 6}), &x);
  int c = add_conv(g, "conv", x, 8, 8, 3, 1, 1);
  y = add_silu(g, "silu", c, false);
  y = add_node1(g, EP_OP_ADD, "add", &(ep_attrs){0}, (int[]){y, c}, 2);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  check_graph(g, "x read thrice", (expect){0, 1, 1});
}

/* EfficientNet's MBConv with squeeze-and-excitation, blocked layout (depthwise) and NCHW. */
static void test_squeeze_excitation(void) {
  int x;
  ep_graph* g = new_graph("se", ep_shape_make(4, (int64_t[]){1, 16, 12, 12}), &x);
  int e = add_silu(g, "expand", add_conv(g, "expand_conv", x, 16, 48, 1, 1, 1), false);
  int d = add_silu(g, "dw", add_conv(g, "dw_conv", e, 48, 48, 3, 1, 48), false);
  int s = add_se(g, "se", d, 48, 8);
  int p = add_conv(g, "project", s, 48, 16, 1, 1, 1);
  int y = add_node1(g, EP_OP_ADD, "add", &(ep_attrs){0}, (int[]){p, x}, 2);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_finalize(g));
  /* Where the blocked layout exists, the SE block stays in it: the depthwise output, the scale's
   * output and the projection read and write NCHW8c. */
  ep_graph* o = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &o));
  ep_session* session = NULL;
  if (o != NULL) EP_CHECK_OK(ep_session_create(o, NULL, &session));
  for (int i = 0; session != NULL && i < ep_graph_node_count(o); i++) {
    const ep_node* n = ep_graph_node(o, i);
    if (n->op != EP_OP_MUL) continue;
    const ep_layout want = ep_session_blocked_layout() ? EP_LAYOUT_NCHW8C : EP_LAYOUT_NCHW;
    EP_CHECK_MSG(ep_session_tensor_layout(session, n->inputs[0]) == want &&
                     ep_session_tensor_layout(session, n->outputs[0]) == want,
                 "SE scale at %s: x and y not in the %s layout", ep_cpu_isa_name(ep_cpu_isa_active()),
                 want == EP_LAYOUT_NCHW8C ? "blocked" : "plain");
  }
  ep_session_destroy(session);
  ep_graph_destroy(o);
  check_graph(g, "MBConv + SE", (expect){3, 0, 1});

  g = new_graph("se_plain", ep_shape_make(4, (int64_t[]){2, 12, 7, 9}), &x);
  s = add_se(g, "se", add_conv(g, "conv", x, 12, 12, 3, 1, 1), 12, 3);
  s = add_conv(g, "after", s, 12, 5, 3, 1, 1);
  EP_CHECK_OK(ep_graph_mark_output(g, s));
  check_graph(g, "SE, batch 2", (expect){1, 0, 1});
}

static int add_concat(ep_graph* g, const char* name, const int* in, int n, int axis) {
  return add_node1(g, EP_OP_CONCAT, name, &(ep_attrs){.axis = axis}, in, n);
}

/* Sessions of g (finalized, optimized) with concats in place and copied agree; in place, each
 * concat input lies at its offset in the output (all of them where `all_in_place`). */
static void check_concats(const ep_graph* g, const char* what, bool all_in_place) {
  const ep_shape* xs = &ep_graph_tensor(g, ep_graph_input(g, 0))->shape;
  size_t n_in = (size_t)ep_shape_numel(xs);
  size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
  float* x = malloc(n_in * sizeof *x);
  ep_test_fill(&rng, x, n_in, -2.0f, 2.0f);
  setenv("EDGEPROF_CONCAT", "copy", 1);
  float* expected = run(g, 1, x);
  ep_session* copying = NULL;
  EP_CHECK_OK(ep_session_create(g, NULL, &copying));
  unsetenv("EDGEPROF_CONCAT");
  for (int threads = 1; threads <= 2 && expected != NULL; threads++) {
    float* got = run(g, threads, x);
    if (got == NULL) continue;
    double diff = ep_test_max_rel_diff(got, expected, n_out);
    EP_CHECK_MSG(diff == 0.0, "%s (%d threads, %s): in place differs from copied by %g", what,
                 threads, ep_cpu_isa_name(ep_cpu_isa_active()), diff);
    free(got);
  }
  ep_session* s = NULL;
  EP_CHECK_OK(ep_session_create(g, NULL, &s));
  int placed = 0, inputs = 0;
  for (int i = 0; s != NULL && i < ep_graph_node_count(g); i++) {
    const ep_node* n = ep_graph_node(g, i);
    if (n->op != EP_OP_CONCAT) continue;
    const float* y = ep_session_tensor_data(s, n->outputs[0]);
    size_t at = 0;
    for (int k = 0; k < n->n_inputs; k++) {
      inputs++;
      placed += ep_session_tensor_data(s, n->inputs[k]) == y + at;
      at += (size_t)ep_shape_numel(&ep_graph_tensor(g, n->inputs[k])->shape);
    }
  }
  EP_CHECK_MSG(all_in_place ? placed == inputs : placed > 0 && placed < inputs,
               "%s: %d of %d concat inputs in place", what, placed, inputs);
  ep_session_memory in_place_mem, copy_mem;
  if (s != NULL && copying != NULL) {
    ep_session_memory_get(s, &in_place_mem);
    ep_session_memory_get(copying, &copy_mem);
    EP_CHECK_MSG(in_place_mem.arena_bytes < copy_mem.arena_bytes, "%s: arena %zu, copying %zu",
                 what, in_place_mem.arena_bytes, copy_mem.arena_bytes);
  }
  ep_session_destroy(s);
  ep_session_destroy(copying);
  free(expected);
  free(x);
}

/* A DenseNet block (every layer reads the concat of all earlier outputs; the block ends in the
 * concat of all), two Inception modules, and concats that cannot be in place: along the height,
 * of a graph input, of one tensor twice. */
static void test_concat(void) {
  int x;
  ep_graph* g = new_graph("dense", ep_shape_make(4, (int64_t[]){1, 3, 16, 16}), &x);
  int feats[5];
  feats[0] = add_conv(g, "stem", x, 3, 16, 3, 2, 1);
  int c = 16;
  for (int l = 0; l < 4; l++) {
    char n1[32], n2[32], n3[32], n4[32];
    snprintf(n1, sizeof n1, "cat%d", l);
    snprintf(n2, sizeof n2, "relu%d", l);
    snprintf(n3, sizeof n3, "b%d", l);
    snprintf(n4, sizeof n4, "g%d", l);
    int in = l == 0 ? feats[0] : add_concat(g, n1, feats, l + 1, 1);
    in = add_node1(g, EP_OP_RELU, n2, &(ep_attrs){0}, &in, 1);
    in = add_conv(g, n3, in, c, 16, 1, 1, 1);
    feats[l + 1] = add_conv(g, n4, in, 16, 8, 3, 1, 1);
    c += 8;
  }
  int y = add_concat(g, "block", feats, 5, 1);
  y = add_conv(g, "transition", y, c, 8, 1, 1, 1);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_finalize(g));
  check_concats(g, "DenseNet block", true);
  ep_graph_destroy(g);

  g = new_graph("inception", ep_shape_make(4, (int64_t[]){1, 8, 9, 9}), &x);
  int m = x, cin = 8;
  for (int k = 0; k < 2; k++) {
    char name[32];
    int br[4];
    snprintf(name, sizeof name, "m%d_1x1", k);
    br[0] = add_conv(g, name, m, cin, 8, 1, 1, 1);
    snprintf(name, sizeof name, "m%d_3x3", k);
    br[1] = add_conv(g, name, m, cin, 12, 3, 1, 1);
    snprintf(name, sizeof name, "m%d_5x5", k);
    br[2] = add_conv(g, name, m, cin, 4, 5, 1, 1);
    snprintf(name, sizeof name, "m%d_pool", k);
    br[3] = add_node1(g, EP_OP_MAX_POOL, name,
                      &(ep_attrs){.kernel = {3, 3}, .stride = {1, 1}, .pad = {1, 1, 1, 1}}, &m, 1);
    snprintf(name, sizeof name, "m%d", k);
    m = add_concat(g, name, br, 4, 1);
    cin = 24 + cin;
  }
  EP_CHECK_OK(ep_graph_mark_output(g, m));
  EP_CHECK_OK(ep_graph_finalize(g));
  check_concats(g, "Inception modules", true);
  ep_graph_destroy(g);

  g = new_graph("mixed", ep_shape_make(4, (int64_t[]){1, 4, 6, 6}), &x);
  int a = add_conv(g, "a", x, 4, 8, 3, 1, 1);
  int b = add_conv(g, "b", a, 8, 8, 3, 1, 1);
  int h = add_concat(g, "height", (int[]){a, b}, 2, 2);         /* axis 2: 8 rows, copied */
  int cx = add_concat(g, "with_input", (int[]){b, x, a}, 3, 1); /* x: a graph input */
  int twice = add_concat(g, "twice", (int[]){cx, cx}, 2, 1);
  h = add_conv(g, "h", h, 8, 4, 3, 1, 1);
  twice = add_conv(g, "t", twice, 40, 4, 3, 1, 1);
  y = add_concat(g, "out", (int[]){h, twice}, 2, 2);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_finalize(g));
  check_concats(g, "mixed concats", false);
  ep_graph_destroy(g);
}

/* Batch norm with random statistics (variance in [0.2, 2]). */
static int add_bn(ep_graph* g, const char* name, int x, int c) {
  char n[4][64];
  static const char* parts[4] = {"gamma", "beta", "mean", "var"};
  static const float lo[4] = {0.5f, -0.5f, -0.5f, 0.2f}, hi[4] = {1.5f, 0.5f, 0.5f, 2.0f};
  int in[5] = {x};
  for (int k = 0; k < 4; k++) {
    snprintf(n[k], sizeof n[k], "%s/%s", name, parts[k]);
    in[k + 1] = add_random_constant(g, n[k], ep_shape_make(1, (int64_t[]){c}), lo[k], hi[k]);
  }
  return add_node1(g, EP_OP_BATCH_NORM, name, &(ep_attrs){.epsilon = 1e-5f}, in, 5);
}

/* BatchNorm -> Relu -> name (a conv of x, made by the caller). */
static int add_bn_relu(ep_graph* g, const char* name, int x, int c) {
  char n1[64], n2[64];
  snprintf(n1, sizeof n1, "%s/bn", name);
  snprintf(n2, sizeof n2, "%s/relu", name);
  int b = add_bn(g, n1, x, c);
  return add_node1(g, EP_OP_RELU, n2, &(ep_attrs){0}, &b, 1);
}

static int count_preactivated(const ep_graph* g) {
  int n = 0;
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    const ep_node* node = ep_graph_node(g, i);
    n += node->op == EP_OP_CONV && node->n_inputs > 5 && node->attrs.in_act == EP_ACT_RELU;
  }
  return n;
}

/* DenseNet's pre-activation, BatchNorm -> Relu before each pointwise conv over a concatenation:
 * fused into the conv (with and without a bias, with the conv's own batch norm and relu folded
 * after it, channel counts that are not whole vectors, batch 2), and not fused where the conv is
 * 3x3, the relu output has a second reader, or the batch norm output does. */
static void test_preactivation(void) {
  int x;
  for (int batch = 1; batch <= 2; batch++) {
    ep_graph* g = new_graph("preact", ep_shape_make(4, (int64_t[]){batch, 12, 9, 11}), &x);
    int c0 = add_conv(g, "c0", x, 12, 16, 3, 1, 1);
    int cat = add_concat(g, "cat", (int[]){x, c0}, 2, 1); /* 28 channels */
    int r = add_bn_relu(g, "l1", cat, 28);
    int p = add_conv(g, "l1/conv1", r, 28, 20, 1, 1, 1);
    p = add_node1(g, EP_OP_RELU, "l1/relu2", &(ep_attrs){0}, (int[]){add_bn(g, "l1/bn2", p, 20)},
                  1);
    int c1 = add_conv(g, "l1/conv2", p, 20, 8, 3, 1, 1);
    int cat2 = add_concat(g, "cat2", (int[]){x, c0, c1}, 3, 1); /* 36 channels */
    /* Not fused: a 3x3 conv after the pre-activation. */
    int s3 = add_conv(g, "l2/conv3x3", add_bn_relu(g, "l2", cat2, 36), 36, 8, 3, 1, 1);
    /* Not fused: the relu's output read twice. */
    int rt = add_bn_relu(g, "l3", cat2, 36);
    int t1 = add_conv(g, "l3/a", rt, 36, 8, 1, 1, 1);
    int t2 = add_conv(g, "l3/b", rt, 36, 8, 1, 1, 1);
    /* Not fused: the batch norm's output read by a second node. */
    int bn = add_bn(g, "l4/bn", cat2, 36);
    int rr = add_node1(g, EP_OP_RELU, "l4/relu", &(ep_attrs){0}, &bn, 1);
    int u = add_conv(g, "l4/conv", rr, 36, 8, 1, 1, 1);
    u = add_node1(g, EP_OP_ADD, "l4/add", &(ep_attrs){0},
                  (int[]){u, add_conv(g, "l4/side", bn, 36, 8, 1, 1, 1)}, 2);
    int cat3 = add_concat(g, "cat3", (int[]){cat2, s3, t1, t2, u}, 5, 1); /* 68 channels */
    /* Fused: the transition, a pointwise conv without a bias. */
    int tr = add_bn_relu(g, "transition", cat3, 68);
    int w = add_random_constant(g, "transition/w", ep_shape_make(4, (int64_t[]){16, 68, 1, 1}),
                                -0.3f, 0.3f);
    int y = add_node1(g, EP_OP_CONV, "transition/conv", &(ep_attrs){0}, (int[]){tr, w}, 2);
    EP_CHECK_OK(ep_graph_mark_output(g, y));
    EP_CHECK_OK(ep_graph_finalize(g));
    ep_graph* o = NULL;
    EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &o));
    if (o != NULL) {
      EP_CHECK_MSG(count_preactivated(o) == 2 && count_op(o, EP_OP_BATCH_NORM) == 3,
                   "DenseNet pre-activation, batch %d: %d convs pre-activated, %d batch norms "
                   "left; want 2 and 3",
                   batch, count_preactivated(o), count_op(o, EP_OP_BATCH_NORM));
    }
    ep_graph_destroy(o);
    check_graph(g, batch == 1 ? "DenseNet pre-activation" : "DenseNet pre-activation, batch 2",
                (expect){0, 0, 0});
  }
}

/* A conv with any kernel kh x kw, "same" padding (odd sizes), stride 1. */
static int add_conv_hw(ep_graph* g, const char* name, int x, int cin, int cout, int kh, int kw) {
  char wname[64], bname[64];
  snprintf(wname, sizeof wname, "%s/w", name);
  snprintf(bname, sizeof bname, "%s/b", name);
  int in[3] = {x,
               add_random_constant(g, wname, ep_shape_make(4, (int64_t[]){cout, cin, kh, kw}),
                                   -0.4f, 0.4f),
               add_random_constant(g, bname, ep_shape_make(1, (int64_t[]){cout}), -0.3f, 0.3f)};
  ep_attrs a = {.pad = {kh / 2, kw / 2, kh / 2, kw / 2}};
  return add_node1(g, EP_OP_CONV, name, &a, in, 3);
}

/* Pad (H and W by `pad`, value v) -> AveragePool 3x3 stride 1 with the given pool attributes. */
static int add_pad_pool(ep_graph* g, const char* name, int x, int pad, float v, ep_attrs pool) {
  char pname[64];
  snprintf(pname, sizeof pname, "%s/pad", name);
  ep_attrs a = {.pad_mode = EP_PAD_CONSTANT, .pad_value = v};
  a.pads[2] = a.pads[3] = a.pads[6] = a.pads[7] = pad;
  int p = add_node1(g, EP_OP_PAD, pname, &a, &x, 1);
  pool.kernel[0] = pool.kernel[1] = 3;
  return add_node1(g, EP_OP_AVG_POOL, name, &pool, &p, 1);
}

/* Inception v3's blocks as torch.onnx writes them: a pool branch of Pad -> AveragePool (fused into
 * one pool counting its padding) beside 1x1, 1x7 -> 7x1 and 3x3 branches, concatenated, twice,
 * then global average pooling; the layout plan blocks all of it (NCHW8c concatenations, the
 * window kernel for the 1x7 and 7x1 layers). Then the Pads that must stay: a value other than 0,
 * a pool with ceil mode, a pool with uncounted padding of its own, a Pad read twice, a padding
 * wider than the window. */
static void test_pad_pool(void) {
  int x;
  for (int batch = 1; batch <= 2; batch++) {
    ep_graph* g = new_graph("inception", ep_shape_make(4, (int64_t[]){batch, 16, 9, 10}), &x);
    int in = x;
    for (int b = 0; b < 2; b++) {
      char n[8][32];
      for (int k = 0; k < 8; k++) snprintf(n[k], sizeof n[k], "m%d/%d", b, k);
      const int c = b == 0 ? 16 : 48;
      int b1 = add_conv(g, n[0], in, c, 16, 1, 1, 1);
      int b7 = add_conv_hw(g, n[2], add_conv(g, n[1], in, c, 8, 1, 1, 1), 8, 16, 1, 7);
      b7 = add_conv_hw(g, n[3], b7, 16, 8, 7, 1);
      int b3 = add_conv(g, n[4], in, c, 8, 3, 1, 1);
      int bp = add_conv(g, n[6], add_pad_pool(g, n[5], in, 1, 0.0f, (ep_attrs){0}), c, 16, 1, 1, 1);
      in = add_concat(g, n[7], (int[]){b1, b7, b3, bp}, 4, 1); /* 48 channels */
    }
    int y = add_node1(g, EP_OP_GLOBAL_AVG_POOL, "gap", &(ep_attrs){0}, &in, 1);
    EP_CHECK_OK(ep_graph_mark_output(g, y));
    EP_CHECK_OK(ep_graph_finalize(g));
    ep_graph* o = NULL;
    EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &o));
    if (o != NULL) {
      EP_CHECK_MSG(count_op(o, EP_OP_PAD) == 0 && count_op(o, EP_OP_AVG_POOL) == 2,
                   "Inception blocks: %d Pads left, %d pools; want 0 and 2",
                   count_op(o, EP_OP_PAD), count_op(o, EP_OP_AVG_POOL));
      for (int i = 0; i < ep_graph_node_count(o); i++) {
        const ep_node* n = ep_graph_node(o, i);
        if (n->op != EP_OP_AVG_POOL) continue;
        EP_CHECK(n->attrs.count_include_pad && n->attrs.pad[0] == 1 && n->attrs.pad[3] == 1);
      }
    }
    ep_graph_destroy(o);
    check_graph(g, batch == 1 ? "Inception blocks" : "Inception blocks, batch 2",
                (expect){0, 0, 0});
  }
  ep_graph* g = new_graph("pads kept", ep_shape_make(4, (int64_t[]){1, 8, 7, 8}), &x);
  int kept[6];
  kept[0] = add_pad_pool(g, "value", x, 1, 0.5f, (ep_attrs){0});
  kept[1] = add_pad_pool(g, "ceil", x, 1, 0.0f, (ep_attrs){.ceil_mode = true, .stride = {2, 2}});
  kept[2] = add_pad_pool(g, "own pads", x, 1, 0.0f, (ep_attrs){.pad = {1, 0, 1, 0}});
  kept[3] = add_pad_pool(g, "wide", x, 3, 0.0f, (ep_attrs){0});
  ep_attrs a = {.pad_mode = EP_PAD_CONSTANT};
  a.pads[2] = a.pads[3] = a.pads[6] = a.pads[7] = 1;
  int shared = add_node1(g, EP_OP_PAD, "shared/pad", &a, &x, 1);
  ep_attrs pool = {.kernel = {3, 3}};
  int sp = add_node1(g, EP_OP_AVG_POOL, "shared", &pool, &shared, 1);
  kept[4] = sp;
  kept[5] = shared; /* read by the pool and its own global pool */
  /* Their sizes differ: each pooled whole, then summed (one output, compared). */
  int sum = -1;
  for (int k = 0; k < 6; k++) {
    char name[16], pname[16];
    snprintf(name, sizeof name, "sum%d", k);
    snprintf(pname, sizeof pname, "gap%d", k);
    int p = add_node1(g, EP_OP_GLOBAL_AVG_POOL, pname, &(ep_attrs){0}, &kept[k], 1);
    sum = k == 0 ? p : add_node1(g, EP_OP_ADD, name, &(ep_attrs){0}, (int[]){sum, p}, 2);
  }
  EP_CHECK_OK(ep_graph_mark_output(g, sum));
  EP_CHECK_OK(ep_graph_finalize(g));
  ep_graph* o = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &o));
  if (o != NULL) {
    EP_CHECK_MSG(count_op(o, EP_OP_PAD) == 5, "%d Pads kept, want 5", count_op(o, EP_OP_PAD));
  }
  ep_graph_destroy(o);
  check_graph(g, "Pads kept", (expect){0, 0, 0});
}

static void run_level(ep_cpu_isa isa, void* ctx) {
  (void)isa;
  (void)ctx;
  test_silu_convs();
  test_silu_fc_and_negatives();
  test_squeeze_excitation();
  test_concat();
  test_preactivation();
  test_pad_pool();
}

int main(void) {
  ep_test_for_each_isa("cnn fusion", run_level, NULL);
  return ep_test_finish();
}

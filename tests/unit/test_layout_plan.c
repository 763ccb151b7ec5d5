/* The layout plan (backends/cpu/layout_plan.h): which tensors a session keeps in the blocked NCHW8c
 * layout. MobileNet v1 blocks every convolution output; ResNet-50, Inception v1, LSTM and MLP
 * none; small graphs check each rule (graph outputs, non-conv readers, views, residuals, channel
 * counts, convolutions the blocked kernels cannot run) and run each graph blocked and all NCHW,
 * as do 60 random chains of convolutions, ReLUs and Adds; EDGEPROF_LAYOUT=nchw and the scalar ISA
 * level block nothing, and so does an unset EDGEPROF_LAYOUT on neon, which has the kernels but
 * plans NCHW by default (kernel-config.c); the rest runs with EDGEPROF_LAYOUT=auto. Runs at the
 * active level, or at avx2 where that has none; skips (77) after the checks that need no blocked
 * kernels where they are not available. */
#include <stdlib.h>
#include <string.h>

#include "edgeprof/cpu.h"
#include "edgeprof/session.h"
#include "edgeprof/zoo.h"
#include "kernels/config/kernel-config.h"
#include "kernels/f32-nchwc/nchwc.h"
#include "backends/cpu/layout_plan.h"
#include "test_support.h"

static ep_test_rng rng = {77};

/* Plans g's layouts; returns the layouts (malloc'd) and the blocked count in *blocked. */
static ep_layout* plan(const ep_graph* g, int* blocked) {
  int n = ep_graph_tensor_count(g);
  ep_layout* layout = malloc((size_t)n * sizeof *layout);
  *blocked = 0;
  if (layout == NULL) return NULL;
  EP_CHECK_OK(ep_layout_plan(g, NULL, layout));
  for (int t = 0; t < n; t++) *blocked += layout[t] == EP_LAYOUT_NCHW8C;
  return layout;
}

static int blocked_count(const ep_graph* g) {
  int blocked = 0;
  free(plan(g, &blocked));
  return blocked;
}

static ep_graph* optimized_zoo(const char* name) {
  ep_graph *defined = NULL, *g = NULL;
  EP_CHECK_OK(ep_zoo_build(name, EP_ZOO_DEFAULT_SEED, &defined));
  if (defined != NULL) EP_CHECK_OK(ep_graph_optimize(defined, EP_PASS_ALL, &g));
  ep_graph_destroy(defined);
  return g;
}

/* MobileNet v1: all 27 convolution outputs, the global average pool's input among them. */
static void test_mobilenet(void) {
  ep_graph* g = optimized_zoo("mobilenet_v1");
  if (g == NULL) return;
  int blocked = 0, convs = 0;
  ep_layout* layout = plan(g, &blocked);
  for (int i = 0; layout != NULL && i < ep_graph_node_count(g); i++) {
    const ep_node* node = ep_graph_node(g, i);
    if (node->op == EP_OP_CONV) {
      convs++;
      EP_CHECK_MSG(layout[node->outputs[0]] == EP_LAYOUT_NCHW8C, "%s's output is not blocked",
                   node->name);
    }
    if (node->op == EP_OP_GLOBAL_AVG_POOL) {
      EP_CHECK(layout[node->inputs[0]] == EP_LAYOUT_NCHW8C);
      EP_CHECK(layout[node->outputs[0]] == EP_LAYOUT_NCHW);
    }
  }
  EP_CHECK_MSG(convs == 27 && blocked == 27, "%d convs, %d blocked", convs, blocked);
  printf("%-13s %d of %d tensors blocked\n", "mobilenet_v1", blocked, ep_graph_tensor_count(g));
  EP_CHECK(layout != NULL && layout[ep_graph_input(g, 0)] == EP_LAYOUT_NCHW);
  EP_CHECK(layout != NULL && layout[ep_graph_output(g, 0)] == EP_LAYOUT_NCHW);
  free(layout);

  /* EDGEPROF_LAYOUT=nchw turns blocking off; any other value means auto. */
  setenv("EDGEPROF_LAYOUT", "nchw", 1);
  EP_CHECK(blocked_count(g) == 0);
  setenv("EDGEPROF_LAYOUT", "bogus", 1);
  EP_CHECK(blocked_count(g) == 27);
  setenv("EDGEPROF_LAYOUT", "auto", 1);
  EP_CHECK(blocked_count(g) == 27);
  /* Unset, the level's configuration decides: blocked on avx2 and avx512, NCHW on neon. */
  unsetenv("EDGEPROF_LAYOUT");
  const bool by_default = ep_kernel_config_get()->blocked_by_default;
  EP_CHECK_MSG(blocked_count(g) == (by_default ? 27 : 0), "unset EDGEPROF_LAYOUT at %s",
               ep_cpu_isa_name(ep_cpu_isa_active()));
  setenv("EDGEPROF_LAYOUT", "auto", 1);

  /* The scalar level has no blocked kernels. */
  const ep_cpu_isa before = ep_cpu_isa_active();
  ep_cpu_isa_force(EP_ISA_SCALAR);
  EP_CHECK(!ep_nchwc_available() && blocked_count(g) == 0);
  ep_cpu_isa_force(before);
  ep_graph_destroy(g);
}

/* ResNet-50 is blocked whole: its 53 conv outputs and the stem's max pool output. So is
 * Inception v1 from its first concatenation on (every concatenation pays, and links its inputs
 * and output): 57 conv outputs, 9 concatenations, 8 pools, all but the last average pool,
 * which covers its whole input and runs on NCHW; before the first concatenation its LRNs
 * read NCHW. The others have no convolutions. */
static void test_other_models(void) {
  const char* names[] = {"resnet50", "inception_v1", "lstm", "mlp"};
  const int expected[] = {54, 74, 0, 0};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    ep_graph* g = optimized_zoo(names[i]);
    if (g == NULL) continue;
    int expected_blocked = expected[i];
    int blocked = 0;
    ep_layout* layout = plan(g, &blocked);
    if (!ep_nchwc_available()) expected_blocked = 0; /* no blocked kernels at this level */
    EP_CHECK_MSG(blocked == expected_blocked, "%s: %d tensors blocked, expected %d", names[i],
                 blocked, expected_blocked);
    for (int n = 0; layout != NULL && n < ep_graph_node_count(g); n++) {
      const ep_node* node = ep_graph_node(g, n);
      if (node->op != EP_OP_CONV && node->op != EP_OP_MAX_POOL && node->op != EP_OP_CONCAT &&
          layout[node->outputs[0]] == EP_LAYOUT_NCHW8C) {
        EP_CHECK_MSG(false, "%s: %s's output is blocked", names[i], node->name);
      }
    }
    if (i == 0 && layout != NULL && expected_blocked > 0) {
      EP_CHECK(layout[ep_graph_node(g, 0)->outputs[0]] == EP_LAYOUT_NCHW8C); /* the stem */
    }
    printf("%-13s %d of %d tensors blocked\n", names[i], blocked, ep_graph_tensor_count(g));
    free(layout);
    ep_graph_destroy(g);
  }
}

/* --- small graphs: x [1, 3, 12, 12] -------------------------------------------------------- */

enum { DIRECT, DEPTHWISE, POINTWISE, DENSE3X3, GROUPED, DENSE1X7, DENSE7X1, STRIDED3X3 };

/* Adds a conv of `kind` with a bias (and `residual` as input 3 when >= 0); returns its output. */
static int add_conv(ep_graph* g, int kind, int x, int cin, int cout, int residual) {
  static int count;
  char name[32], wname[40], bname[40];
  snprintf(name, sizeof name, "conv%d", count++);
  snprintf(wname, sizeof wname, "%s/w", name);
  snprintf(bname, sizeof bname, "%s/b", name);
  /* GROUPED: ResNeXt's 3x3 layers, 4 channels per group. */
  /* DENSE1X7, DENSE7X1: Inception v3's asymmetric layers; STRIDED3X3: 3x3 stride 2. */
  int k = kind == POINTWISE ? 1 : 3, group = kind == DEPTHWISE ? cin : kind == GROUPED ? cin / 4 : 1;
  int kh = kind == DENSE7X1 ? 7 : kind == DENSE1X7 ? 1 : k;
  int kw = kind == DENSE1X7 ? 7 : kind == DENSE7X1 ? 1 : k;
  int w = -1, b = -1, y = -1;
  EP_CHECK_OK(ep_graph_add_constant(
      g, wname, ep_shape_make(4, (int64_t[]){cout, cin / group, kh, kw}), NULL, &w));
  EP_CHECK_OK(ep_graph_add_constant(g, bname, ep_shape_make(1, (int64_t[]){cout}), NULL, &b));
  float* wd = ep_graph_constant_data(g, w);
  if (wd != NULL) ep_test_fill(&rng, wd, (size_t)(cout * cin / group * kh * kw), -0.3f, 0.3f);
  const int s = kind == STRIDED3X3 ? 2 : 1;
  ep_attrs a = {
      .kernel = {kh, kw}, .stride = {s, s}, .pad = {kh / 2, kw / 2, kh / 2, kw / 2}, .group = group};
  int in[4] = {x, w, b, residual};
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, name, &a, in, residual >= 0 ? 4 : 3, 1, NULL, &y));
  return y;
}

static int add_op(ep_graph* g, ep_op op, const char* name, const ep_attrs* a, int x) {
  int y = -1;
  EP_CHECK_OK(ep_graph_add_node(g, op, name, a, &x, 1, 1, NULL, &y));
  return y;
}

static ep_graph* new_graph(int* x, int* x16) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("layouts", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", ep_shape_make(4, (int64_t[]){1, 3, 12, 12}), x));
  if (x16 != NULL) {
    EP_CHECK_OK(ep_graph_add_input(g, "x16", ep_shape_make(4, (int64_t[]){1, 16, 12, 12}), x16));
  }
  return g;
}

static ep_graph* finish(ep_graph* g, int out) {
  EP_CHECK_OK(ep_graph_mark_output(g, out));
  EP_CHECK_OK(ep_graph_finalize(g));
  return g;
}

static int gap(ep_graph* g, int x) { return add_op(g, EP_OP_GLOBAL_AVG_POOL, "gap", NULL, x); }

/* Runs g once with layouts as planned and once all NCHW on the same inputs: the outputs must
 * agree, whatever the plan mixed (chains that start or end at a pointwise conv, residuals). */
static void check_runs_agree(const char* what, const ep_graph* g) {
  float* out[2] = {NULL, NULL};
  const size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) setenv("EDGEPROF_LAYOUT", "nchw", 1);
    ep_session* session = NULL;
    EP_CHECK_OK(ep_session_create(g, NULL, &session));
    if (session == NULL) break;
    ep_test_rng inputs = {5};
    for (int i = 0; i < ep_graph_input_count(g); i++) {
      int t = ep_graph_input(g, i);
      ep_test_fill(&inputs, ep_session_tensor_data(session, t),
                   (size_t)ep_shape_numel(&ep_graph_tensor(g, t)->shape), -1.0f, 1.0f);
    }
    EP_CHECK_OK(ep_session_run(session));
    out[pass] = malloc(n_out * sizeof(float));
    if (out[pass] != NULL) EP_CHECK_OK(ep_session_get_output(session, 0, out[pass], n_out));
    ep_session_destroy(session);
  }
  setenv("EDGEPROF_LAYOUT", "auto", 1);
  if (out[0] != NULL && out[1] != NULL) {
    const double diff = ep_test_max_rel_diff(out[0], out[1], n_out);
    EP_CHECK_MSG(diff <= 1e-5, "%s: blocked and NCHW runs differ by %g", what, diff);
  }
  free(out[0]);
  free(out[1]);
}

/* Checks that exactly the tensors in `expected` (n of them) are blocked, and that the graph
 * computes the same either way. */
static void expect_blocked(const char* what, ep_graph* g, const int* expected, int n) {
  int blocked = 0;
  ep_layout* layout = plan(g, &blocked);
  EP_CHECK_MSG(blocked == n, "%s: %d tensors blocked, expected %d", what, blocked, n);
  for (int i = 0; layout != NULL && i < n; i++) {
    EP_CHECK_MSG(layout[expected[i]] == EP_LAYOUT_NCHW8C, "%s: tensor %s is not blocked", what,
                 ep_graph_tensor(g, expected[i])->name);
  }
  free(layout);
  check_runs_agree(what, g);
  ep_graph_destroy(g);
}

static void test_small_graphs(void) {
  int x, x16;
  ep_attrs none = {0};

  /* direct -> depthwise -> pointwise -> global average pool: the whole chain. */
  ep_graph* g = new_graph(&x, NULL);
  int a = add_conv(g, DIRECT, x, 3, 16, -1);
  int b = add_conv(g, DEPTHWISE, a, 16, 16, -1);
  int c = add_conv(g, POINTWISE, b, 16, 24, -1);
  expect_blocked("chain", finish(g, gap(g, c)), (int[]){a, b, c}, 3);

  /* A pointwise conv reading NCHW (a graph input; in SqueezeNet a concatenation): where only
   * a global average pool reads its output, the NCHW GEMM writes it, NCHW; where a depthwise
   * conv reads it, the chain starts there, writing NCHW8c. */
  g = new_graph(&x, &x16);
  a = add_conv(g, POINTWISE, x16, 16, 24, -1);
  expect_blocked("pointwise into a pool", finish(g, gap(g, a)), NULL, 0);
  g = new_graph(&x, &x16);
  a = add_conv(g, POINTWISE, x16, 16, 24, -1);
  b = add_conv(g, DEPTHWISE, a, 24, 24, -1);
  expect_blocked("pointwise into depthwise", finish(g, gap(g, b)), (int[]){a, b}, 2);

  /* A graph output stays NCHW, and a tensor that no depthwise conv or pool touches is not
   * worth blocking. */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_conv(g, POINTWISE, a, 16, 16, -1);
  expect_blocked("output", finish(g, b), NULL, 0);

  /* Read by a Relu (not fused: the graph is not optimized) or an Add: NCHW. */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_op(g, EP_OP_RELU, "relu", &none, a);
  expect_blocked("relu reader", finish(g, gap(g, add_conv(g, DEPTHWISE, b, 16, 16, -1))), NULL, 0);
  g = new_graph(&x, &x16);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  int sum = -1;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_ADD, "add", &none, (int[]){a, x16}, 2, 1, NULL, &sum));
  expect_blocked("add reader", finish(g, gap(g, sum)), NULL, 0);

  /* Read through a view: NCHW. */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  ep_attrs same = {.shape = ep_shape_make(4, (int64_t[]){0, 0, 0, 0})};
  b = add_op(g, EP_OP_RESHAPE, "view", &same, a);
  expect_blocked("view reader", finish(g, gap(g, add_conv(g, DEPTHWISE, b, 16, 16, -1))), NULL, 0);

  /* A pointwise conv with a residual from a graph input (NCHW): its output is laid out as the
   * residual, NCHW (and touches no depthwise conv), so the chain ends at it, reading NCHW8c and
   * writing NCHW; the next pointwise conv reads NCHW and only a pool reads it: all NCHW. */
  g = new_graph(&x, &x16);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_conv(g, DEPTHWISE, a, 16, 16, -1);
  c = add_conv(g, POINTWISE, b, 16, 16, x16);
  int d = add_conv(g, POINTWISE, c, 16, 16, -1);
  expect_blocked("residual", finish(g, gap(g, d)), (int[]){a, b}, 2);
  /* A residual blocked like the output: both stay blocked. */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_conv(g, DEPTHWISE, a, 16, 16, a);
  expect_blocked("residual input", finish(g, gap(g, b)), (int[]){a, b}, 2);
  /* MobileNet v2's shape: stem, a first block without expansion, then expand, depthwise and a
   * project conv with the block input as its residual: all blocked, the residual included. */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_conv(g, DEPTHWISE, a, 16, 16, -1);
  c = add_conv(g, POINTWISE, b, 16, 16, -1);
  d = add_conv(g, POINTWISE, c, 16, 32, -1);
  int e = add_conv(g, DEPTHWISE, d, 32, 32, -1);
  int f = add_conv(g, POINTWISE, e, 32, 16, c);
  expect_blocked("inverted residual", finish(g, gap(g, f)), (int[]){a, b, c, d, e, f}, 6);
  /* A residual laid out unlike the output: the output is unblocked, and then the depthwise conv
   * (NCHW8c -> NCHW, which no kernel does) unblocks its input. */
  g = new_graph(&x, &x16);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_conv(g, DEPTHWISE, a, 16, 16, x16);
  expect_blocked("residual layout", finish(g, gap(g, b)), NULL, 0);

  /* A channel count that is not a multiple of 8. */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 12, -1);
  expect_blocked("12 channels", finish(g, gap(g, add_conv(g, DEPTHWISE, a, 12, 12, -1))), NULL, 0);

  /* A dense 3x3 conv runs as Winograd, which reads and writes NCHW8c: its output, read by a
   * depthwise conv, pays, and so does its input upstream, from a direct conv. */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_conv(g, DENSE3X3, a, 16, 16, -1);
  c = add_conv(g, DEPTHWISE, b, 16, 16, -1);
  expect_blocked("dense 3x3", finish(g, gap(g, c)), (int[]){a, b, c}, 3);

  /* ResNet's bottlenecks: a residual pays, and so does everything along the chain through it,
   * downstream and upstream (pointwise, dense 3x3 as Winograd, pointwise with the residual), from
   * the first conv, which reads the NCHW image (Winograd) and writes NCHW8c. */
  g = new_graph(&x, NULL);
  a = add_conv(g, DENSE3X3, x, 3, 16, -1);
  b = add_conv(g, POINTWISE, a, 16, 16, -1);
  c = add_conv(g, POINTWISE, b, 16, 8, -1);
  d = add_conv(g, DENSE3X3, c, 8, 8, -1);
  e = add_conv(g, POINTWISE, d, 8, 16, b);
  f = add_conv(g, POINTWISE, e, 16, 8, -1);
  int h = add_conv(g, DENSE3X3, f, 8, 8, -1);
  int k = add_conv(g, POINTWISE, h, 8, 16, e);
  expect_blocked("bottlenecks", finish(g, gap(g, k)), (int[]){a, b, c, d, e, f, h, k}, 8);

  /* ResNeXt's bottleneck: the grouped 3x3 conv runs on NCHW8c (the window kernel), so the
   * chain goes through it. */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_conv(g, POINTWISE, a, 16, 32, -1);
  c = add_conv(g, GROUPED, b, 32, 32, -1);
  d = add_conv(g, POINTWISE, c, 32, 16, a);
  expect_blocked("grouped", finish(g, gap(g, d)), (int[]){a, b, c, d}, 4);
  /* A grouped conv may end a chain: read by an unfused Relu (RegNet's squeeze-and-excitation
   * reads it the same way), its output is NCHW. */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_conv(g, DEPTHWISE, a, 16, 16, -1);
  c = add_conv(g, GROUPED, b, 16, 16, -1);
  d = add_op(g, EP_OP_RELU, "relu", &none, c);
  expect_blocked("grouped chain end", finish(g, gap(g, d)), (int[]){a, b}, 2);

  /* ResNet's stem: a max pool between the first conv and the bottlenecks runs on NCHW8c. */
  ep_attrs window = {.kernel = {3, 3}, .stride = {2, 2}, .pad = {1, 1, 1, 1}};
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_op(g, EP_OP_MAX_POOL, "pool", &window, a);
  c = add_conv(g, POINTWISE, b, 16, 16, -1);
  d = add_conv(g, POINTWISE, c, 16, 16, b);
  expect_blocked("stem pool", finish(g, gap(g, d)), (int[]){a, b, c, d}, 4);
  /* A dilated pool has no NCHW8c kernel: it reads and writes NCHW, and the chain starts after
   * it, with a 1x1 conv reading NCHW. */
  ep_attrs dilated = window;
  dilated.dilation[0] = dilated.dilation[1] = 2;
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b = add_op(g, EP_OP_MAX_POOL, "pool", &dilated, a);
  c = add_conv(g, POINTWISE, b, 16, 16, -1);
  d = add_conv(g, POINTWISE, c, 16, 16, c);
  expect_blocked("dilated pool", finish(g, gap(g, d)), (int[]){c, d}, 2);
}

static int concat(ep_graph* g, const int* in, int n) {
  static int count;
  char name[32];
  snprintf(name, sizeof name, "concat%d", count++);
  int y = -1;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONCAT, name, &(ep_attrs){.axis = 1}, in, n, 1, NULL, &y));
  return y;
}

/* Inception's blocks: branches that end in a concatenation along channels. */
static void test_concat_graphs(void) {
  int x, x16;
  ep_attrs none = {0};
  ep_attrs pool3 = {.kernel = {3, 3}, .pad = {1, 1, 1, 1}, .count_include_pad = true};

  /* A v3 block: 1x1; 1x1 -> 1x7 -> 7x1; 3x3 stride 2 (window kernel, no Winograd); a pool and
   * a 1x1 — concatenated, then read by a second block's 1x1 layers and a pool, and a global
   * average pool: every tensor from the stem's output on is blocked. */
  ep_graph* g = new_graph(&x, NULL);
  int a = add_conv(g, DIRECT, x, 3, 16, -1);
  int b1 = add_conv(g, POINTWISE, a, 16, 8, -1);
  int r7 = add_conv(g, POINTWISE, a, 16, 16, -1);
  int b7 = add_conv(g, DENSE1X7, r7, 16, 16, -1);
  int c7 = add_conv(g, DENSE7X1, b7, 16, 8, -1);
  int p = add_op(g, EP_OP_AVG_POOL, "pool", &pool3, a);
  int bp = add_conv(g, POINTWISE, p, 16, 16, -1);
  int cat = concat(g, (int[]){b1, c7, bp}, 3); /* 32 channels */
  int s = add_conv(g, STRIDED3X3, cat, 32, 16, -1);
  int m = add_op(g, EP_OP_MAX_POOL, "pool2",
                 &(ep_attrs){.kernel = {3, 3}, .stride = {2, 2}, .pad = {1, 1, 1, 1}}, cat);
  int cat2 = concat(g, (int[]){s, m}, 2); /* 48 channels, 6x6 */
  expect_blocked("inception block", finish(g, gap(g, cat2)),
                 (int[]){a, b1, r7, b7, c7, p, bp, cat, s, m, cat2}, 11);

  /* An input with 12 channels cannot be blocked: the concatenation and its other inputs stay
   * NCHW, and so does the chain into them (it pays no more). */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b1 = add_conv(g, DENSE1X7, a, 16, 16, -1);
  c7 = add_conv(g, POINTWISE, a, 16, 12, -1);
  expect_blocked("12-channel input", finish(g, gap(g, concat(g, (int[]){b1, c7}, 2))), NULL, 0);

  /* An input also read by a Relu (NCHW): the whole concatenation is unblocked, and the
   * unblocking reaches back up each input's chain as far as the kernels need (the 1x7 conv reads
   * blocked input and writes NCHW: its input stays blocked). */
  g = new_graph(&x, NULL);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b1 = add_conv(g, DENSE1X7, a, 16, 8, -1);
  c7 = add_conv(g, DENSE7X1, a, 16, 8, -1);
  int relu = add_op(g, EP_OP_RELU, "relu", &none, c7);
  cat = concat(g, (int[]){b1, c7}, 2);
  int out = -1;
  int g1 = add_op(g, EP_OP_GLOBAL_AVG_POOL, "gap1", NULL, cat);
  /* Relu's output, twice: NCHW (a Relu's), and so is this concatenation. */
  int g2 = add_op(g, EP_OP_GLOBAL_AVG_POOL, "gap2", NULL, concat(g, (int[]){relu, relu}, 2));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_ADD, "add", &none, (int[]){g1, g2}, 2, 1, NULL, &out));
  expect_blocked("shared input", finish(g, out), (int[]){a}, 1);

  /* A graph input among the inputs (NCHW): the concatenation and its other input are NCHW; the
   * 7x1 conv reads the blocked stem output. */
  g = new_graph(&x, &x16);
  a = add_conv(g, DIRECT, x, 3, 16, -1);
  b1 = add_conv(g, DENSE7X1, a, 16, 16, -1);
  expect_blocked("graph input", finish(g, gap(g, concat(g, (int[]){b1, x16}, 2))), (int[]){a}, 1);
}

/* Random chains of convolutions (direct, depthwise, pointwise with and without a residual,
 * dense 3x3), max and average pools, unfused ReLUs and Adds, ending in a pool or a graph output:
 * whatever the plan blocks, the graph must compute what it computes all NCHW. */
static void test_random_graphs(void) {
  const int channel_choices[] = {8, 16, 24, 12};
  int with_blocked = 0, blocked_pools = 0;
  for (int round = 0; round < 60; round++) {
    int x = -1;
    ep_graph* g = new_graph(&x, NULL);
    int tensors[16], channels[16], n = 0;
    int c = channel_choices[ep_test_rng_int(&rng, 0, 3)];
    tensors[n] = add_conv(g, ep_test_rng_int(&rng, 0, 1) ? DIRECT : DENSE3X3, x, 3, c, -1);
    channels[n++] = c;
    const int layers = ep_test_rng_int(&rng, 2, 8);
    for (int l = 0; l < layers; l++) {
      const int t = tensors[n - 1], cin = channels[n - 1];
      const int kind = ep_test_rng_int(&rng, 0, 7); /* depthwise three times as often */
      int cout = cin, y = -1;
      char name[32];
      snprintf(name, sizeof name, "op%d_%d", round, l);
      if (kind <= 2) {
        y = add_conv(g, DEPTHWISE, t, cin, cin, -1);
      } else if (kind == 3 || kind == 4) {
        cout = channel_choices[ep_test_rng_int(&rng, 0, 3)];
        /* A residual from an earlier tensor of the same channel count, if any. */
        int residual = -1;
        for (int i = n - 1; kind == 4 && i >= 0; i--) {
          if (channels[i] == cout) {
            residual = tensors[i];
            break;
          }
        }
        y = add_conv(g, POINTWISE, t, cin, cout, residual);
      } else if (kind == 5) {
        cout = channel_choices[ep_test_rng_int(&rng, 0, 3)];
        y = add_conv(g, DENSE3X3, t, cin, cout, -1);
      } else if (kind == 6 && ep_test_rng_int(&rng, 0, 1) == 0) {
        ep_attrs none = {0};
        y = add_op(g, EP_OP_RELU, name, &none, t);
      } else if (kind == 6) {
        /* A 3x3 pool that keeps the image size (so later residuals still fit). */
        ep_attrs window = {.kernel = {3, 3}, .pad = {1, 1, 1, 1}, .count_include_pad = l % 2};
        y = add_op(g, l % 3 == 0 ? EP_OP_AVG_POOL : EP_OP_MAX_POOL, name, &window, t);
      } else {
        ep_attrs none = {0};
        EP_CHECK_OK(ep_graph_add_node(g, EP_OP_ADD, name, &none, (int[]){t, t}, 2, 1, NULL, &y));
      }
      tensors[n] = y;
      channels[n++] = cout;
    }
    int out = tensors[n - 1];
    if (ep_test_rng_int(&rng, 0, 2) != 0) out = gap(g, out);
    finish(g, out);
    int blocked = 0;
    ep_layout* layout = plan(g, &blocked);
    with_blocked += blocked > 0;
    for (int i = 0; layout != NULL && i < ep_graph_node_count(g); i++) {
      const ep_node* node = ep_graph_node(g, i);
      const bool pool = node->op == EP_OP_MAX_POOL || node->op == EP_OP_AVG_POOL;
      blocked_pools += pool && layout[node->outputs[0]] == EP_LAYOUT_NCHW8C;
    }
    free(layout);
    char what[48];
    snprintf(what, sizeof what, "random graph %d (%d blocked)", round, blocked);
    check_runs_agree(what, g);
    ep_graph_destroy(g);
  }
  printf("random graphs: 60, %d of them with blocked tensors, %d blocked pools\n", with_blocked,
         blocked_pools);
  EP_CHECK(with_blocked >= 12 && blocked_pools >= 3); /* the draws (fixed seed): 32 and 8 */
}

int main(void) {
  setenv("EDGEPROF_LAYOUT", "auto", 1);
  /* The active level's blocked kernels, else avx2's. */
  const ep_cpu_isa before = ep_cpu_isa_active();
  if (!ep_nchwc_available() && before > EP_ISA_AVX2) ep_cpu_isa_force(EP_ISA_AVX2);
  test_other_models();
  if (!ep_nchwc_available()) {
    ep_graph* g = optimized_zoo("mobilenet_v1");
    EP_CHECK(g == NULL || blocked_count(g) == 0);
    ep_graph_destroy(g);
    printf("skipped: the blocked NCHW8c kernels need AVX2 + FMA or NEON (active level %s)\n",
           ep_cpu_isa_name(ep_cpu_isa_active()));
    int status = ep_test_finish();
    return status != 0 ? status : 77;
  }
  test_mobilenet();
  test_small_graphs();
  test_random_graphs();
  test_concat_graphs(); /* after the random graphs: it draws weights from the same generator */
  ep_cpu_isa_force(before);
  return ep_test_finish();
}

/* The oneDNN backend's blocked tensors between its nodes (backends/onednn/onednn_layout.c): graphs
 * of several nodes, since one-node graphs have none. A chain of convolutions, pools, eltwise ops,
 * LRN, concat, Add and a residual blocks every tensor between oneDNN nodes; a graph with each
 * thing that keeps a tensor plain (a graph input or output, a CPU node reading or writing it, a
 * view, broadcasting, 12 channels) blocks only what it should; 40 random chains block what the
 * plan decides. Every graph: the oneDNN session agrees with the CPU backend (1e-4 relative);
 * every blocked tensor is 4-D with C % 8 == 0, not a graph output, and only oneDNN nodes write
 * and read it; run as [0, k) then [k, n) for every cut k it gives the whole run's output exactly,
 * and after [0, k) the tensors crossing the cut read as the CPU backend's (NCHW for the caller);
 * EDGEPROF_ONEDNN_LAYOUT=nchw blocks nothing and agrees too. Then MobileNet v1, ResNet-50 and
 * Inception v1: how many tensors are blocked, and a few cuts each. One thread (the thread counts
 * are test_backend_ops's; here they would only slow a 2-core machine). Skips (77) without
 * oneDNN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/graph.h"
#include "edgeprof/session.h"
#include "edgeprof/zoo.h"
#include "runtime/session_internal.h"
#include "test_support.h"

enum { THREADS = 1, MAX_OUTPUTS = 4 };

static ep_test_rng rng = {8128};

/* --- building graphs --------------------------------------------------------------------- */

enum { DENSE3X3, POINTWISE, DEPTHWISE };

static int constant(ep_graph* g, const char* name, ep_shape shape, float lo, float hi) {
  int t = -1;
  EP_CHECK_OK(ep_graph_add_constant(g, name, shape, NULL, &t));
  float* data = ep_graph_constant_data(g, t);
  if (data != NULL) ep_test_fill(&rng, data, (size_t)ep_shape_numel(&shape), lo, hi);
  return t;
}

/* A conv of `kind` with a bias, `act` fused and `residual` as input 3 when >= 0. */
static int add_conv(ep_graph* g, int kind, int x, int cin, int cout, int residual,
                    ep_activation act) {
  static int count;
  char name[32], wname[40], bname[40];
  snprintf(name, sizeof name, "conv%d", count++);
  snprintf(wname, sizeof wname, "%s/w", name);
  snprintf(bname, sizeof bname, "%s/b", name);
  int k = kind == POINTWISE ? 1 : 3, group = kind == DEPTHWISE ? cin : 1;
  int w = constant(g, wname, ep_shape_make(4, (int64_t[]){cout, cin / group, k, k}), -0.3f, 0.3f);
  int b = constant(g, bname, ep_shape_make(1, (int64_t[]){cout}), -0.1f, 0.1f);
  ep_attrs a = ep_attrs_default(EP_OP_CONV);
  a.kernel[0] = a.kernel[1] = k;
  a.pad[0] = a.pad[1] = a.pad[2] = a.pad[3] = k / 2;
  a.group = group;
  a.act = act;
  int in[4] = {x, w, b, residual}, y = -1;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, name, &a, in, residual >= 0 ? 4 : 3, 1, NULL, &y));
  return y;
}

static int add_node(ep_graph* g, ep_op op, const ep_attrs* a, const int* in, int n_in) {
  static int count;
  char name[32];
  snprintf(name, sizeof name, "%s%d", ep_op_name(op), count++);
  ep_attrs defaults = ep_attrs_default(op);
  int y = -1;
  EP_CHECK_OK(ep_graph_add_node(g, op, name, a != NULL ? a : &defaults, in, n_in, 1, NULL, &y));
  return y;
}

static int add_unary(ep_graph* g, ep_op op, int x) { return add_node(g, op, NULL, &x, 1); }

static int add_binary(ep_graph* g, ep_op op, int a, int b) {
  return add_node(g, op, NULL, (int[]){a, b}, 2);
}

static int add_pool(ep_graph* g, ep_op op, int x, int stride) {
  ep_attrs a = ep_attrs_default(op);
  a.kernel[0] = a.kernel[1] = 3;
  a.stride[0] = a.stride[1] = stride;
  a.pad[0] = a.pad[1] = a.pad[2] = a.pad[3] = 1;
  return add_node(g, op, &a, &x, 1);
}

static int add_concat(ep_graph* g, int a, int b) {
  ep_attrs attrs = ep_attrs_default(EP_OP_CONCAT);
  attrs.axis = 1;
  return add_node(g, EP_OP_CONCAT, &attrs, (int[]){a, b}, 2);
}

static int add_lrn(ep_graph* g, int x, int size) {
  ep_attrs a = ep_attrs_default(EP_OP_LRN);
  a.size = size;
  return add_node(g, EP_OP_LRN, &a, &x, 1);
}

/* A batch norm: an op the oneDNN backend leaves to the CPU backend. */
static int add_batch_norm(ep_graph* g, int x, int c) {
  static int count;
  char name[4][40];
  const char* part[4] = {"scale", "bias", "mean", "var"};
  int in[5] = {x};
  for (int i = 0; i < 4; i++) {
    snprintf(name[i], sizeof name[i], "bn%d/%s", count, part[i]);
    in[1 + i] = constant(g, name[i], ep_shape_make(1, (int64_t[]){c}), 0.5f, 1.5f);
  }
  count++;
  return add_node(g, EP_OP_BATCH_NORM, NULL, in, 5);
}

static ep_graph* new_graph(const char* name, int c, int hw, int* x) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create(name, &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", ep_shape_make(4, (int64_t[]){1, c, hw, hw}), x));
  return g;
}

static ep_graph* finish(ep_graph* g, const int* outputs, int n) {
  for (int i = 0; i < n; i++) EP_CHECK_OK(ep_graph_mark_output(g, outputs[i]));
  EP_CHECK_OK(ep_graph_finalize(g));
  return g;
}

/* --- checking one graph ------------------------------------------------------------------- */

static size_t numel(const ep_graph* g, int t) {
  return (size_t)ep_shape_numel(&ep_graph_tensor(g, t)->shape);
}

static ep_session* create(const ep_graph* g, const char* backend, const char* onednn_layout) {
  if (onednn_layout != NULL) setenv("EDGEPROF_ONEDNN_LAYOUT", onednn_layout, 1);
  ep_session* s = NULL;
  ep_session_options opts = {THREADS, NULL, 0, backend};
  EP_CHECK_OK(ep_session_create(g, &opts, &s));
  unsetenv("EDGEPROF_ONEDNN_LAYOUT");
  return s;
}

static void fill_inputs(ep_session* s, const ep_graph* g) {
  ep_test_rng inputs = {5};
  for (int i = 0; i < ep_graph_input_count(g); i++) {
    int t = ep_graph_input(g, i);
    ep_test_fill(&inputs, ep_session_tensor_data(s, t), numel(g, t), -1.0f, 1.0f);
  }
}

/* The blocked tensors of s; checks that each is one only oneDNN nodes write and read. */
static int checked_blocked(const ep_session* s, const char* what) {
  const ep_graph* g = ep_session_graph(s);
  int count = 0;
  for (int t = 0; t < ep_graph_tensor_count(g); t++) {
    if (ep_session_tensor_layout(s, t) != EP_LAYOUT_NCHW8C) continue;
    count++;
    const ep_tensor* tensor = ep_graph_tensor(g, t);
    EP_CHECK_MSG(tensor->kind == EP_TENSOR_ACTIVATION && !tensor->is_output &&
                     tensor->shape.rank == 4 && tensor->shape.dims[1] % 8 == 0,
                 "%s: tensor %s may not be blocked", what, tensor->name);
    if (tensor->producer < 0) continue;
    EP_CHECK_MSG(strcmp(ep_session_node_backend(s, tensor->producer), "onednn") == 0,
                 "%s: blocked %s written by the CPU backend", what, tensor->name);
    for (int i = 0; i < ep_graph_node_count(g); i++) {
      const ep_node* node = ep_graph_node(g, i);
      for (int k = 0; k < node->n_inputs; k++) {
        EP_CHECK_MSG(node->inputs[k] != t || strcmp(ep_session_node_backend(s, i), "onednn") == 0,
                     "%s: blocked %s read by the CPU backend's %s", what, tensor->name, node->name);
      }
    }
  }
  return count;
}

/* Runs s whole; returns every output, concatenated (malloc'd). */
static float* run_whole(ep_session* s, const ep_graph* g, size_t* n_out) {
  size_t total = 0;
  for (int i = 0; i < ep_graph_output_count(g); i++) total += numel(g, ep_graph_output(g, i));
  float* y = calloc(total + 1, sizeof *y);
  fill_inputs(s, g);
  EP_CHECK_OK(ep_session_run(s));
  size_t at = 0;
  for (int i = 0; y != NULL && i < ep_graph_output_count(g); i++) {
    size_t n = numel(g, ep_graph_output(g, i));
    EP_CHECK_OK(ep_session_get_output(s, i, y + at, n));
    at += n;
  }
  *n_out = total;
  return y;
}

static double outputs_diff(ep_session* s, const ep_graph* g, const float* want) {
  size_t n = 0;
  float* y = run_whole(s, g, &n);
  double diff = y != NULL ? ep_test_max_rel_diff(y, want, n) : 1.0;
  free(y);
  return diff;
}

/* [0, k) then [k, n) in `blocked` for every k: the cut tensors read as `plain`'s after [0, k),
 * and the outputs are `whole` exactly. */
static void check_cuts(ep_session* blocked, ep_session* plain, const ep_graph* g,
                       const float* whole, const char* what, int step) {
  const int n_nodes = ep_graph_node_count(g);
  int* cut = malloc(((size_t)ep_graph_tensor_count(g) + 1) * sizeof *cut);
  size_t total = 0;
  for (int i = 0; i < ep_graph_output_count(g); i++) total += numel(g, ep_graph_output(g, i));
  float* y = malloc((total + 1) * sizeof *y);
  if (cut == NULL || y == NULL) goto cleanup;
  for (int k = 1; k < n_nodes; k += step) {
    fill_inputs(blocked, g);
    fill_inputs(plain, g);
    EP_CHECK_OK(ep_session_run_range(blocked, 0, k));
    EP_CHECK_OK(ep_session_run_range(plain, 0, k));
    int n = ep_graph_cut_tensors(g, k, cut, ep_graph_tensor_count(g));
    for (int i = 0; i < n; i++) {
      int t = cut[i];
      double diff = ep_test_max_rel_diff(ep_session_tensor_data(blocked, t),
                                         ep_session_tensor_data(plain, t), numel(g, t));
      EP_CHECK_MSG(diff <= 1e-4, "%s, cut %d: tensor %s (%s) differs from the CPU's by %g", what, k,
                   ep_graph_tensor(g, t)->name,
                   ep_session_tensor_layout(blocked, t) == EP_LAYOUT_NCHW8C ? "blocked" : "NCHW",
                   diff);
    }
    EP_CHECK_OK(ep_session_run_range(blocked, k, n_nodes));
    size_t at = 0;
    for (int i = 0; i < ep_graph_output_count(g); i++) {
      size_t count = numel(g, ep_graph_output(g, i));
      EP_CHECK_OK(ep_session_get_output(blocked, i, y + at, count));
      at += count;
    }
    EP_CHECK_MSG(memcmp(y, whole, total * sizeof *y) == 0,
                 "%s, cut %d: [0, k) then [k, n) differs from the whole run", what, k);
  }

cleanup:
  free(cut);
  free(y);
}

/* Checks g (and destroys it); returns how many tensors the oneDNN session blocked. */
static int check_graph(const char* what, ep_graph* g, int expected_blocked, int cut_step) {
  ep_session* cpu = create(g, "cpu", NULL);
  ep_session* onednn = create(g, "onednn", NULL);
  ep_session* onednn_plain = create(g, "onednn", "nchw");
  int blocked = -1;
  float *want = NULL, *got = NULL;
  if (cpu == NULL || onednn == NULL || onednn_plain == NULL) goto cleanup;
  blocked = checked_blocked(onednn, what);
  if (expected_blocked >= 0) {
    EP_CHECK_MSG(blocked == expected_blocked, "%s: %d tensors blocked, expected %d", what, blocked,
                 expected_blocked);
  }
  EP_CHECK_MSG(checked_blocked(onednn_plain, what) == 0, "%s: blocked with LAYOUT=nchw", what);
  size_t n_out = 0;
  want = run_whole(cpu, g, &n_out);
  got = run_whole(onednn, g, &n_out);
  if (want == NULL || got == NULL) goto cleanup;
  double diff = ep_test_max_rel_diff(got, want, n_out);
  EP_CHECK_MSG(diff <= 1e-4, "%s: oneDNN differs from the CPU backend by %g", what, diff);
  diff = outputs_diff(onednn_plain, g, want);
  EP_CHECK_MSG(diff <= 1e-4, "%s: oneDNN all NCHW differs from the CPU backend by %g", what, diff);
  check_cuts(onednn, cpu, g, got, what, cut_step);

cleanup:
  free(want);
  free(got);
  ep_session_destroy(cpu);
  ep_session_destroy(onednn);
  ep_session_destroy(onednn_plain);
  ep_graph_destroy(g);
  return blocked;
}

/* --- the graphs ----------------------------------------------------------------------------- */

/* Every tensor between oneDNN nodes blocked: conv (fused ReLU), depthwise, ReLU, max pool, two
 * branches into a concat, a conv with the pool's output as residual, an Add, LRN, Sigmoid, a
 * strided average pool; the global pool's output is the graph's. */
static void test_blocked_chain(void) {
  int x;
  ep_graph* g = new_graph("chain", 3, 12, &x);
  int t1 = add_conv(g, DENSE3X3, x, 3, 16, -1, EP_ACT_RELU);
  int t2 = add_conv(g, DEPTHWISE, t1, 16, 16, -1, EP_ACT_NONE);
  int t3 = add_unary(g, EP_OP_RELU, t2);
  int t4 = add_pool(g, EP_OP_MAX_POOL, t3, 1);
  int t5 = add_conv(g, POINTWISE, t4, 16, 8, -1, EP_ACT_NONE);
  int t6 = add_conv(g, DENSE3X3, t4, 16, 8, -1, EP_ACT_RELU6);
  int t7 = add_concat(g, t5, t6);
  int t8 = add_conv(g, DENSE3X3, t7, 16, 16, t4, EP_ACT_RELU);
  int t9 = add_binary(g, EP_OP_ADD, t8, t3);
  int t10 = add_lrn(g, t9, 5);
  int t11 = add_unary(g, EP_OP_SIGMOID, t10);
  int t12 = add_pool(g, EP_OP_AVG_POOL, t11, 2);
  int y = add_unary(g, EP_OP_GLOBAL_AVG_POOL, t12);
  check_graph("chain", finish(g, &y, 1), 12, 1);
}

/* What keeps tensors plain: an Add with a graph input, 12 channels, a CPU node (batch norm)
 * reading or writing, a broadcasting Mul (a squeeze-excitation), a concat with a CPU node's
 * output, a graph output, a view (flatten). Only v1 -> ReLU -> v2 -> conv -> v3 -> depthwise
 * conv stays blocked. */
static void test_plain_cases(void) {
  int x, x16;
  ep_graph* g = new_graph("plain", 3, 10, &x);
  EP_CHECK_OK(ep_graph_add_input(g, "x16", ep_shape_make(4, (int64_t[]){1, 16, 10, 10}), &x16));
  int u1 = add_conv(g, DENSE3X3, x, 3, 16, -1, EP_ACT_NONE);
  int u2 = add_binary(g, EP_OP_ADD, u1, x16);
  int u3 = add_conv(g, DENSE3X3, u2, 16, 12, -1, EP_ACT_RELU);
  int u4 = add_conv(g, POINTWISE, u3, 12, 16, -1, EP_ACT_NONE);
  int bn = add_batch_norm(g, u4, 16);
  int v1 = add_conv(g, POINTWISE, u4, 16, 8, -1, EP_ACT_NONE);
  int v2 = add_unary(g, EP_OP_RELU, v1);
  int v3 = add_conv(g, DENSE3X3, v2, 8, 16, -1, EP_ACT_NONE);
  int u5 = add_conv(g, DEPTHWISE, v3, 16, 16, -1, EP_ACT_NONE);
  int se = add_unary(g, EP_OP_SIGMOID, add_unary(g, EP_OP_GLOBAL_AVG_POOL, u5));
  int m = add_binary(g, EP_OP_MUL, u5, se);
  int u6 = add_conv(g, POINTWISE, m, 16, 16, -1, EP_ACT_RELU);
  int cat = add_concat(g, u6, bn);
  int u7 = add_conv(g, POINTWISE, cat, 32, 16, -1, EP_ACT_NONE);
  int u8 = add_conv(g, DENSE3X3, u7, 16, 16, -1, EP_ACT_NONE);
  int f = add_node(g, EP_OP_FLATTEN, NULL, &u8, 1);
  check_graph("plain cases", finish(g, (int[]){u7, f}, 2), 3, 1);
}

/* Random chains at [1, C, 10, 10]: convs (dense 3x3, pointwise, depthwise; fused activation,
 * residual), ReLU, Clip, Sigmoid, max and average pools, LRN, Adds, Concats, Muls broadcasting a
 * squeeze-excitation, batch norms (CPU), extra graph outputs. */
static void test_random_chains(void) {
  const int channel_choices[] = {8, 16, 24, 12};
  int total_blocked = 0;
  for (int round = 0; round < 40; round++) {
    int x;
    ep_graph* g = new_graph("random", 8, 10, &x);
    int cur = x, c = 8;
    int hist[32] = {x}, hist_c[32] = {8}, n_hist = 1, outputs[MAX_OUTPUTS], n_outputs = 0;
    const int length = ep_test_rng_int(&rng, 3, 10);
    for (int step = 0; step < length; step++) {
      const int choice = ep_test_rng_int(&rng, 0, 11);
      const int other = ep_test_rng_int(&rng, 0, n_hist - 1);
      if (choice <= 2) {
        int cout = channel_choices[ep_test_rng_int(&rng, 0, 3)];
        int kind = choice == 2 ? DEPTHWISE : choice;
        if (kind == DEPTHWISE) cout = c;
        int residual = hist_c[other] == cout && ep_test_rng_int(&rng, 0, 1) ? hist[other] : -1;
        cur = add_conv(g, kind, cur, c, cout, residual, ep_test_rng_int(&rng, 0, 2));
        c = cout;
      } else if (choice == 3) {
        cur = add_unary(g, EP_OP_RELU, cur);
      } else if (choice == 4) {
        ep_attrs a = ep_attrs_default(EP_OP_CLIP);
        a.clip_min = -0.5f;
        a.clip_max = 0.5f;
        cur = add_node(g, EP_OP_CLIP, &a, &cur, 1);
      } else if (choice == 5) {
        cur = add_pool(g, ep_test_rng_int(&rng, 0, 1) ? EP_OP_MAX_POOL : EP_OP_AVG_POOL, cur, 1);
      } else if (choice == 6) {
        cur = add_lrn(g, cur, 3);
      } else if (choice == 7 && hist_c[other] == c) {
        cur = add_binary(g, EP_OP_ADD, cur, hist[other]);
      } else if (choice == 8 && c + hist_c[other] <= 64) {
        cur = add_concat(g, cur, hist[other]);
        c += hist_c[other];
      } else if (choice == 9) {
        int se = add_unary(g, EP_OP_SIGMOID, add_unary(g, EP_OP_GLOBAL_AVG_POOL, cur));
        cur = add_binary(g, EP_OP_MUL, cur, se);
      } else if (choice == 10) {
        cur = add_batch_norm(g, cur, c);
      } else if (choice == 11 && n_outputs < MAX_OUTPUTS - 1 && cur != x &&
                 (n_outputs == 0 || outputs[n_outputs - 1] != cur)) {
        outputs[n_outputs++] = cur;
      }
      if (n_hist < 32 && cur != hist[n_hist - 1]) {
        hist[n_hist] = cur;
        hist_c[n_hist++] = c;
      }
    }
    outputs[n_outputs++] = add_unary(g, EP_OP_GLOBAL_AVG_POOL, cur);
    char what[32];
    snprintf(what, sizeof what, "random chain %d", round);
    int blocked = check_graph(what, finish(g, outputs, n_outputs), -1, 1);
    if (blocked > 0) total_blocked += blocked;
  }
  printf("random chains: %d tensors blocked in all\n", total_blocked);
  EP_CHECK(total_blocked > 40);
}

/* The zoo's CNNs, optimized: blocked tensors, and cuts every fifth of the graph. */
static void test_zoo(void) {
  const char* names[] = {"mobilenet_v1", "resnet50", "inception_v1"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    ep_graph *defined = NULL, *g = NULL;
    EP_CHECK_OK(ep_zoo_build(names[i], EP_ZOO_DEFAULT_SEED, &defined));
    if (defined != NULL) EP_CHECK_OK(ep_graph_optimize(defined, EP_PASS_ALL, &g));
    ep_graph_destroy(defined);
    if (g == NULL) continue;
    const int n_nodes = ep_graph_node_count(g), n_tensors = ep_graph_tensor_count(g);
    int blocked = check_graph(names[i], g, -1, n_nodes / 5 + 1);
    printf("%-13s %d of %d tensors blocked on oneDNN\n", names[i], blocked, n_tensors);
    EP_CHECK_MSG(blocked > n_nodes / 2, "%s: only %d tensors blocked", names[i], blocked);
  }
}

int main(void) {
  char why[256];
  if (!ep_backend_available("onednn", why, sizeof why)) {
    printf("skip: backend onednn is not available here: %s\n", why);
    return 77;
  }
  test_blocked_chain();
  test_plain_cases();
  test_random_chains();
  test_zoo();
  return ep_test_finish();
}

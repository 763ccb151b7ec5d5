/* Dead-row pruning (EP_PASS_PRUNE_ROWS) on hand-built graphs: a small ViT encoder block whose
 * output is read through x[:, 0] (a Gather of a scalar or a negative index, a Split's first
 * output, a Slice of some rows, two Gathers of different rows), with the attention output
 * projection as a MatMul or as a Gemm between Reshapes. Each pruned graph must run like the graph
 * with the pass left out (1 and 2 threads) and do fewer multiply-adds; graphs of element-wise
 * ops, LayerNorm and Softmax alone must give the very same floats; and where every row is read
 * (a full tensor that is also a graph output, a mean over the tokens) nothing may change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/session.h"
#include "test_support.h"

static ep_test_rng rng = {4242};

enum { S = 13, D = 16, H = 2, HD = 8, F = 32 };

static int node(ep_graph* g, ep_op op, const char* name, const ep_attrs* attrs, const int* in,
                int n_in) {
  int out = -1;
  ep_attrs a = attrs ? *attrs : ep_attrs_default(op);
  EP_CHECK_OK(ep_graph_add_node(g, op, name, &a, in, n_in, 1, NULL, &out));
  return out;
}

static int weights(ep_graph* g, const char* name, ep_shape s) {
  size_t n = (size_t)ep_shape_numel(&s);
  float* data = malloc(n * sizeof *data);
  ep_test_fill(&rng, data, n, -0.5f, 0.5f);
  int id = -1;
  EP_CHECK_OK(ep_graph_add_constant(g, name, s, data, &id));
  free(data);
  return id;
}

static int i64(ep_graph* g, const char* name, int rank, int64_t v) {
  int id = -1;
  ep_shape s = rank == 0 ? ep_shape_make(0, NULL) : ep_shape_make(1, (int64_t[]){1});
  EP_CHECK_OK(ep_graph_add_constant_typed(g, name, EP_DTYPE_INT64, s, &v, &id));
  return id;
}

static int reshape(ep_graph* g, const char* name, int x, ep_shape s) {
  ep_attrs a = ep_attrs_default(EP_OP_RESHAPE);
  a.shape = s;
  return node(g, EP_OP_RESHAPE, name, &a, &x, 1);
}

static int transpose(ep_graph* g, const char* name, int x, const int* perm, int rank) {
  ep_attrs a = ep_attrs_default(EP_OP_TRANSPOSE);
  for (int d = 0; d < rank; d++) a.perm[d] = perm[d];
  return node(g, EP_OP_TRANSPOSE, name, &a, &x, 1);
}

static int layer_norm(ep_graph* g, const char* name, int x) {
  char n1[64], n2[64];
  snprintf(n1, sizeof n1, "%s.g", name);
  snprintf(n2, sizeof n2, "%s.b", name);
  ep_attrs a = ep_attrs_default(EP_OP_LAYER_NORM);
  a.axis = -1;
  int in[3] = {x, weights(g, n1, ep_shape_make(1, (int64_t[]){D})),
               weights(g, n2, ep_shape_make(1, (int64_t[]){D}))};
  return node(g, EP_OP_LAYER_NORM, name, &a, in, 3);
}

/* x [1, S, K] -> MatMul W [K, N] -> Add bias [N]. */
static int linear(ep_graph* g, const char* name, int x, int64_t k, int64_t n) {
  char w[64], b[64], m[64];
  snprintf(w, sizeof w, "%s.w", name);
  snprintf(b, sizeof b, "%s.bias", name);
  snprintf(m, sizeof m, "%s.mm", name);
  int mm_in[2] = {x, weights(g, w, ep_shape_make(2, (int64_t[]){k, n}))};
  int y = node(g, EP_OP_MATMUL, m, NULL, mm_in, 2);
  int add_in[2] = {y, weights(g, b, ep_shape_make(1, (int64_t[]){n}))};
  return node(g, EP_OP_ADD, name, NULL, add_in, 2);
}

enum { SEL_GATHER, SEL_GATHER_LAST, SEL_SPLIT, SEL_SLICE, SEL_TWO_GATHERS, SEL_MEAN };

typedef struct block_case {
  int selector;      /* SEL_* */
  bool gemm;         /* the output projection as Reshape [S, D] -> Gemm -> Reshape [1, S, D] */
  bool full_output;  /* the block's output is a graph output too (every row read) */
} block_case;

/* One pre-norm encoder block (attention and MLP with residuals), a final LayerNorm and the
 * selector. */
static ep_graph* block_graph(const block_case* c) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("vit_block", &g));
  int x = -1;
  EP_CHECK_OK(ep_graph_add_input(g, "x", ep_shape_make(3, (int64_t[]){1, S, D}), &x));
  int ln1 = layer_norm(g, "ln1", x);
  const ep_shape heads = ep_shape_make(4, (int64_t[]){1, S, H, HD});
  int q = transpose(g, "q.t", reshape(g, "q.r", linear(g, "q", ln1, D, D), heads),
                    (int[]){0, 2, 1, 3}, 4);
  int k = transpose(g, "k.t", reshape(g, "k.r", linear(g, "k", ln1, D, D), heads),
                    (int[]){0, 2, 3, 1}, 4);
  int v = transpose(g, "v.t", reshape(g, "v.r", linear(g, "v", ln1, D, D), heads),
                    (int[]){0, 2, 1, 3}, 4);
  int s = node(g, EP_OP_MATMUL, "scores", NULL, (int[]){q, k}, 2);
  const float scale = 0.35355339f;
  int sc = -1;
  EP_CHECK_OK(ep_graph_add_constant(g, "scale", ep_shape_make(0, NULL), &scale, &sc));
  s = node(g, EP_OP_MUL, "scaled", NULL, (int[]){s, sc}, 2);
  ep_attrs sm = ep_attrs_default(EP_OP_SOFTMAX);
  sm.axis = -1;
  int p = node(g, EP_OP_SOFTMAX, "softmax", &sm, &s, 1);
  int ctx = node(g, EP_OP_MATMUL, "context", NULL, (int[]){p, v}, 2);
  ctx = transpose(g, "ctx.t", ctx, (int[]){0, 2, 1, 3}, 4);
  int attn;
  if (c->gemm) {
    int flat = reshape(g, "ctx.r", ctx, ep_shape_make(2, (int64_t[]){S, D}));
    ep_attrs ga = ep_attrs_default(EP_OP_GEMM);
    ga.trans_b = true;
    int gin[3] = {flat, weights(g, "o.w", ep_shape_make(2, (int64_t[]){D, D})),
                  weights(g, "o.bias", ep_shape_make(1, (int64_t[]){D}))};
    int o = node(g, EP_OP_GEMM, "o", &ga, gin, 3);
    attn = reshape(g, "o.r", o, ep_shape_make(3, (int64_t[]){1, S, D}));
  } else {
    attn = linear(g, "o", reshape(g, "ctx.r", ctx, ep_shape_make(3, (int64_t[]){1, S, D})), D, D);
  }
  int r1 = node(g, EP_OP_ADD, "residual1", NULL, (int[]){attn, x}, 2);
  int h = linear(g, "fc1", layer_norm(g, "ln2", r1), D, F);
  h = node(g, EP_OP_GELU, "gelu", NULL, &h, 1);
  int r2 = node(g, EP_OP_ADD, "residual2", NULL, (int[]){linear(g, "fc2", h, F, D), r1}, 2);
  int y = layer_norm(g, "ln", r2);
  int out = -1;
  ep_attrs a;
  switch (c->selector) {
    case SEL_GATHER:
    case SEL_GATHER_LAST:
      a = ep_attrs_default(EP_OP_GATHER);
      a.axis = 1;
      out = node(g, EP_OP_GATHER, "token",
                 &a, (int[]){y, i64(g, "index", 0, c->selector == SEL_GATHER ? 0 : -1)}, 2);
      break;
    case SEL_SPLIT: {
      a = ep_attrs_default(EP_OP_SPLIT);
      a.axis = 1;
      a.split[0] = 1;
      a.split[1] = S - 1;
      int outs[2];
      EP_CHECK_OK(ep_graph_add_node(g, EP_OP_SPLIT, "split", &a, &y, 1, 2, NULL, outs));
      int cls = reshape(g, "cls", outs[0], ep_shape_make(2, (int64_t[]){1, D}));
      ep_attrs ga = ep_attrs_default(EP_OP_GEMM);
      ga.trans_b = true;
      out = node(g, EP_OP_GEMM, "head", &ga,
                 (int[]){cls, weights(g, "head.w", ep_shape_make(2, (int64_t[]){10, D}))}, 2);
      break;
    }
    case SEL_SLICE: {
      int in[4] = {y, i64(g, "starts", 1, 2), i64(g, "ends", 1, 5), i64(g, "axes", 1, 1)};
      int sl = node(g, EP_OP_SLICE, "rows", NULL, in, 4);
      out = node(g, EP_OP_RELU, "relu", NULL, &sl, 1);
      break;
    }
    case SEL_TWO_GATHERS: {
      a = ep_attrs_default(EP_OP_GATHER);
      a.axis = 1;
      int t0 = node(g, EP_OP_GATHER, "token0", &a, (int[]){y, i64(g, "i0", 1, 0)}, 2);
      int t3 = node(g, EP_OP_GATHER, "token3", &a, (int[]){y, i64(g, "i3", 1, 3)}, 2);
      out = node(g, EP_OP_ADD, "sum", NULL, (int[]){t0, t3}, 2);
      break;
    }
    default: {
      a = ep_attrs_default(EP_OP_REDUCE_MEAN);
      a.reduce_axes = 1u << 1;
      a.keepdims = true;
      out = node(g, EP_OP_REDUCE_MEAN, "mean", &a, &y, 1);
      break;
    }
  }
  EP_CHECK_OK(ep_graph_mark_output(g, out));
  if (c->full_output) EP_CHECK_OK(ep_graph_mark_output(g, r2));
  EP_CHECK_OK(ep_graph_finalize(g));
  return g;
}

/* Runs g on input x with `threads` threads; returns output 0 (malloc'd). */
static float* run(const ep_graph* g, int threads, const float* x) {
  ep_session* s = NULL;
  ep_session_options opts = {threads, NULL, 0, NULL};
  EP_CHECK_OK(ep_session_create(g, &opts, &s));
  if (s == NULL) return NULL;
  EP_CHECK_OK(ep_session_set_input(s, 0, x, (size_t)ep_shape_numel(
                                                &ep_graph_tensor(g, ep_graph_input(g, 0))->shape)));
  EP_CHECK_OK(ep_session_run(s));
  size_t n = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
  float* out = malloc(n * sizeof *out);
  EP_CHECK_OK(ep_session_get_output(s, 0, out, n));
  ep_session_destroy(s);
  return out;
}

static int64_t macs(const ep_graph* g) {
  ep_graph_totals t;
  ep_graph_totals_compute(g, &t);
  return t.macs;
}

/* Optimizes g with every pass and without the pruning, runs both on one random input (1 and 2
 * threads) and compares output 0: relative difference at most tol (0: the same floats).
 * Returns the pruned graph's multiply-adds over the unpruned one's. */
static double check_pruned(const ep_graph* g, double tol, const char* what) {
  ep_graph* pruned = NULL;
  ep_graph* whole = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &pruned));
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL & ~EP_PASS_PRUNE_ROWS, &whole));
  double ratio = -1.0;
  if (pruned && whole) {
    const ep_shape* xs = &ep_graph_tensor(g, ep_graph_input(g, 0))->shape;
    size_t nx = (size_t)ep_shape_numel(xs);
    float* x = malloc(nx * sizeof *x);
    ep_test_fill(&rng, x, nx, -1.0f, 1.0f);
    float* expect = run(whole, 1, x);
    const ep_shape* ys = &ep_graph_tensor(pruned, ep_graph_output(pruned, 0))->shape;
    EP_CHECK_MSG(ep_shape_equal(ys, &ep_graph_tensor(whole, ep_graph_output(whole, 0))->shape),
                 "%s: the output's shape changed", what);
    size_t ny = (size_t)ep_shape_numel(ys);
    for (int threads = 1; threads <= 2 && expect; threads++) {
      float* got = run(pruned, threads, x);
      if (!got) continue;
      double diff = tol == 0.0 ? ep_test_max_abs_diff(got, expect, ny)
                               : ep_test_max_rel_diff(got, expect, ny);
      EP_CHECK_MSG(diff <= tol, "%s on %d threads: difference %g", what, threads, diff);
      free(got);
    }
    free(expect);
    free(x);
    ratio = (double)macs(pruned) / (double)macs(whole);
  }
  ep_graph_destroy(pruned);
  ep_graph_destroy(whole);
  return ratio;
}

static void test_blocks(void) {
  static const struct {
    block_case c;
    const char* what;
    bool prunes;
  } cases[] = {
      {{SEL_GATHER, false, false}, "Gather index 0", true},
      {{SEL_GATHER_LAST, false, false}, "Gather index -1", true},
      {{SEL_GATHER, true, false}, "Gather, Gemm projection", true},
      {{SEL_SPLIT, false, false}, "Split, first output", true},
      {{SEL_SLICE, true, false}, "Slice of rows 2..4", true},
      {{SEL_TWO_GATHERS, false, false}, "two Gathers", true},
      {{SEL_GATHER, false, true}, "block output read whole", false},
      {{SEL_MEAN, false, false}, "mean over the tokens", false},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ep_graph* g = block_graph(&cases[i].c);
    if (!g) continue;
    double ratio = check_pruned(g, 1e-5, cases[i].what);
    if (cases[i].prunes) {
      /* the output projection, the MLP and the queries run on a few of the 13 rows */
      EP_CHECK_MSG(ratio > 0.0 && ratio < 0.75, "%s: MACs ratio %.3f", cases[i].what, ratio);
    } else {
      EP_CHECK_MSG(ratio == 1.0, "%s: MACs ratio %.3f, expected 1", cases[i].what, ratio);
    }
    ep_graph_destroy(g);
  }
}

/* x [2, S, D] -> Mul by a [S, D] constant -> Add [D] -> LayerNorm -> Transpose (1, 0, 2) ->
 * Softmax (last axis) -> Slice of rows 3..6 of axis 0: the pruned graph computes 3 rows and
 * gives the same floats. */
static void test_elementwise_exact(void) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("rows", &g));
  int x = -1;
  EP_CHECK_OK(ep_graph_add_input(g, "x", ep_shape_make(3, (int64_t[]){2, S, D}), &x));
  int y = node(g, EP_OP_MUL, "mul", NULL,
               (int[]){x, weights(g, "m", ep_shape_make(2, (int64_t[]){S, D}))}, 2);
  y = node(g, EP_OP_ADD, "add", NULL, (int[]){weights(g, "a", ep_shape_make(1, (int64_t[]){D})), y},
           2);
  y = layer_norm(g, "ln", y);
  y = transpose(g, "t", y, (int[]){1, 0, 2}, 3);
  ep_attrs sm = ep_attrs_default(EP_OP_SOFTMAX);
  sm.axis = -1;
  y = node(g, EP_OP_SOFTMAX, "softmax", &sm, &y, 1);
  int in[4] = {y, i64(g, "starts", 1, 3), i64(g, "ends", 1, 6), i64(g, "axes", 1, 0)};
  y = node(g, EP_OP_SLICE, "rows", NULL, in, 4);
  y = node(g, EP_OP_TANH, "tanh", NULL, &y, 1);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_finalize(g));
  if (!g) return;
  ep_graph* pruned = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &pruned));
  if (pruned) {
    /* the Mul now makes [2, 3, D] */
    bool narrowed = false;
    for (int i = 0; i < ep_graph_node_count(pruned); i++) {
      const ep_node* n = ep_graph_node(pruned, i);
      if (strcmp(n->name, "mul") == 0) {
        narrowed = ep_graph_tensor(pruned, n->outputs[0])->shape.dims[1] == 3;
      }
    }
    EP_CHECK_MSG(narrowed, "the Mul before the Slice computes every row");
  }
  ep_graph_destroy(pruned);
  check_pruned(g, 0.0, "element-wise rows");
  ep_graph_destroy(g);
}

/* x [1, S, 3D] -> three Slices of the last axis (q, k, v of one projection) -> Adds -> Softmax
 * over the tokens: the Slices together read every column, so the graph stays as it was, node for
 * node (no Slice renamed, none added). */
static void test_parts_read_whole(void) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("qkv", &g));
  int x = -1;
  EP_CHECK_OK(ep_graph_add_input(g, "x", ep_shape_make(3, (int64_t[]){1, S, 3 * D}), &x));
  int y = node(g, EP_OP_RELU, "relu", NULL, &x, 1);
  int part[3];
  for (int i = 0; i < 3; i++) {
    char n[16], a[16], b[16], c[16];
    snprintf(n, sizeof n, "part%d", i);
    snprintf(a, sizeof a, "s%d", i);
    snprintf(b, sizeof b, "e%d", i);
    snprintf(c, sizeof c, "a%d", i);
    int in[4] = {y, i64(g, a, 1, i * D), i64(g, b, 1, (i + 1) * D), i64(g, c, 1, 2)};
    part[i] = node(g, EP_OP_SLICE, n, NULL, in, 4);
  }
  int sum = node(g, EP_OP_ADD, "sum0", NULL, (int[]){part[0], part[1]}, 2);
  sum = node(g, EP_OP_ADD, "sum1", NULL, (int[]){sum, part[2]}, 2);
  ep_attrs sm = ep_attrs_default(EP_OP_SOFTMAX);
  sm.axis = 1;
  sum = node(g, EP_OP_SOFTMAX, "softmax", &sm, &sum, 1);
  EP_CHECK_OK(ep_graph_mark_output(g, sum));
  EP_CHECK_OK(ep_graph_finalize(g));
  if (!g) return;
  ep_graph* pruned = NULL;
  ep_graph* whole = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &pruned));
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL & ~EP_PASS_PRUNE_ROWS, &whole));
  if (pruned && whole) {
    EP_CHECK(ep_graph_node_count(pruned) == ep_graph_node_count(whole));
    for (int i = 0; i < ep_graph_node_count(pruned) && i < ep_graph_node_count(whole); i++) {
      EP_CHECK_MSG(strcmp(ep_graph_node(pruned, i)->name, ep_graph_node(whole, i)->name) == 0,
                   "node %d: %s, expected %s", i, ep_graph_node(pruned, i)->name,
                   ep_graph_node(whole, i)->name);
    }
  }
  ep_graph_destroy(pruned);
  ep_graph_destroy(whole);
  ep_graph_destroy(g);
}

int main(void) {
  test_blocks();
  test_parts_read_whole();
  test_elementwise_exact();
  return ep_test_finish();
}

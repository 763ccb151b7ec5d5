/* Pattern fusions of ep_graph_optimize on hand-built graphs: attention (MatMul -> scale -> mask
 * -> Softmax -> MatMul, EP_PASS_FUSE_ATTENTION), GELU written out (erf and tanh forms,
 * EP_PASS_FUSE_GELU), LayerNorm written out (EP_PASS_FUSE_LAYER_NORM), a MatMul on weights with
 * its bias Add, a GELU and a residual Add in its epilogue (EP_PASS_FUSE_ACTIVATIONS,
 * EP_PASS_FUSE_RESIDUAL), Transposes of size-1 dims as Reshapes (EP_PASS_TRANSPOSE_VIEWS), and
 * ShuffleNet's channel shuffle read by channel Slices as Gathers (EP_PASS_CHANNEL_SHUFFLE, whose
 * graphs must give the very same floats: it only moves them).
 * Each fused graph must run like the graph with that pass left out, on 1 and 2 threads; patterns
 * that are not exact rewrites (an intermediate read elsewhere, a scale that is not one constant,
 * softmax on another axis, a mask that broadcasts the scores up) must stay as they are. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/session.h"
#include "test_support.h"

static ep_test_rng rng = {777};

static int node(ep_graph* g, ep_op op, const char* name, const ep_attrs* attrs, const int* in,
                int n_in) {
  int out = -1;
  ep_attrs a = attrs ? *attrs : ep_attrs_default(op);
  EP_CHECK_OK(ep_graph_add_node(g, op, name, &a, in, n_in, 1, NULL, &out));
  return out;
}

static int input(ep_graph* g, const char* name, ep_shape s) {
  int id = -1;
  EP_CHECK_OK(ep_graph_add_input(g, name, s, &id));
  return id;
}

static int constant(ep_graph* g, const char* name, ep_shape s, const float* data) {
  int id = -1;
  EP_CHECK_OK(ep_graph_add_constant(g, name, s, data, &id));
  return id;
}

static int count_op(const ep_graph* g, ep_op op) {
  int n = 0;
  for (int i = 0; i < ep_graph_node_count(g); i++) n += ep_graph_node(g, i)->op == op;
  return n;
}

/* Runs g with `threads` threads on inputs[i] for graph input i; returns output 0 (malloc'd). */
static float* run(const ep_graph* g, int threads, float* const* inputs) {
  ep_session* s = NULL;
  ep_session_options opts = {threads, NULL, 0, NULL};
  EP_CHECK_OK(ep_session_create(g, &opts, &s));
  if (s == NULL) return NULL;
  for (int i = 0; i < ep_graph_input_count(g); i++) {
    size_t n = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_input(g, i))->shape);
    EP_CHECK_OK(ep_session_set_input(s, i, inputs[i], n));
  }
  EP_CHECK_OK(ep_session_run(s));
  size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
  float* out = malloc(n_out * sizeof *out);
  EP_CHECK_OK(ep_session_get_output(s, 0, out, n_out));
  ep_session_destroy(s);
  return out;
}

/* Optimizes g with all passes and with all but `pass`, runs both on the same random inputs and
 * compares them; returns the fully optimized graph (the caller checks what fused). */
static ep_graph* check_against_unfused(const ep_graph* g, unsigned pass, const char* what) {
  ep_graph* fused = NULL;
  ep_graph* unfused = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &fused));
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL & ~pass, &unfused));
  if (fused == NULL || unfused == NULL) {
    ep_graph_destroy(unfused);
    return fused;
  }
  int n_in = ep_graph_input_count(g);
  float* inputs[8] = {NULL};
  for (int i = 0; i < n_in && i < 8; i++) {
    const ep_tensor* t = ep_graph_tensor(g, ep_graph_input(g, i));
    size_t n = (size_t)ep_shape_numel(&t->shape);
    inputs[i] = malloc(n * sizeof(float));
    ep_test_fill(&rng, inputs[i], n, -1.0f, 1.0f);
    /* A padding mask as BERT writes it: 0 to keep, -10000 to drop. */
    if (strcmp(t->name, "mask") == 0) {
      for (size_t k = 0; k < n; k++) inputs[i][k] = ep_test_rng_int(&rng, 0, 3) ? 0.0f : -10000.0f;
    }
  }
  float* expect = run(unfused, 1, inputs);
  size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
  for (int threads = 1; threads <= 2 && expect != NULL; threads++) {
    float* got = run(fused, threads, inputs);
    if (got == NULL) continue;
    double diff = ep_test_max_rel_diff(got, expect, n_out);
    EP_CHECK_MSG(diff <= 1e-5, "%s on %d threads: relative difference %g", what, threads, diff);
    free(got);
  }
  free(expect);
  for (int i = 0; i < n_in && i < 8; i++) free(inputs[i]);
  ep_graph_destroy(unfused);
  return fused;
}

/* --- attention ---------------------------------------------------------------------------- */

enum { MASK_NONE, MASK_PADDING, MASK_SQUARE };

typedef struct attention_case {
  int64_t b, h, s, d;
  int mask;           /* MASK_* */
  bool k_transposed;  /* k comes as [B, H, S, D] and a Transpose makes k^T */
  bool divide;        /* Div by sqrt(d) instead of Mul by 1 / sqrt(d) */
  bool mask_first;    /* Add(mask, scores) */
  /* Spoilers: each must stop the fusion. */
  bool scores_output; /* the scaled scores are a graph output too */
  int softmax_axis;   /* 0: last */
  bool vector_scale;  /* the scale is a [S] constant */
} attention_case;

static ep_graph* attention_graph(const attention_case* c) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("attention", &g));
  const ep_shape qs = ep_shape_make(4, (int64_t[]){c->b, c->h, c->s, c->d});
  int q = input(g, "q", qs);
  int k = input(g, "k", c->k_transposed ? qs : ep_shape_make(4, (int64_t[]){c->b, c->h, c->d, c->s}));
  int v = input(g, "v", qs);
  int mask = -1;
  if (c->mask == MASK_PADDING) mask = input(g, "mask", ep_shape_make(4, (int64_t[]){c->b, 1, 1, c->s}));
  if (c->k_transposed) {
    ep_attrs t = ep_attrs_default(EP_OP_TRANSPOSE);
    int perm[4] = {0, 1, 3, 2};
    memcpy(t.perm, perm, sizeof perm);
    k = node(g, EP_OP_TRANSPOSE, "k_T", &t, &k, 1);
  }
  int scores = node(g, EP_OP_MATMUL, "qk", NULL, (int[]){q, k}, 2);
  float scale = c->divide ? sqrtf((float)c->d) : 1.0f / sqrtf((float)c->d);
  int sc;
  if (c->vector_scale) {
    float* row = malloc((size_t)c->s * sizeof *row);
    for (int64_t i = 0; i < c->s; i++) row[i] = scale;
    sc = constant(g, "scale", ep_shape_make(1, (int64_t[]){c->s}), row);
    free(row);
  } else {
    sc = constant(g, "scale", ep_shape_make(0, NULL), &scale);
  }
  scores = node(g, c->divide ? EP_OP_DIV : EP_OP_MUL, "scale_op", NULL, (int[]){scores, sc}, 2);
  if (c->scores_output) EP_CHECK_OK(ep_graph_mark_output(g, scores));
  if (c->mask == MASK_SQUARE) {
    float* m = malloc((size_t)(c->s * c->s) * sizeof *m);
    for (int64_t i = 0; i < c->s * c->s; i++) m[i] = (i % c->s) > (i / c->s) ? -INFINITY : 0.0f;
    mask = constant(g, "causal", ep_shape_make(4, (int64_t[]){1, 1, c->s, c->s}), m);
    free(m);
  }
  if (mask >= 0) {
    scores = node(g, EP_OP_ADD, "mask_add", NULL,
                  c->mask_first ? (int[]){mask, scores} : (int[]){scores, mask}, 2);
  }
  ep_attrs sm = ep_attrs_default(EP_OP_SOFTMAX);
  sm.axis = c->softmax_axis ? c->softmax_axis : -1;
  scores = node(g, EP_OP_SOFTMAX, "softmax", &sm, &scores, 1);
  int y = node(g, EP_OP_MATMUL, "pv", NULL, (int[]){scores, v}, 2);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_finalize(g));
  return g;
}

static void test_attention_fuses(void) {
  static const int64_t seqs[] = {1, 7, 128, 197};
  static const int64_t depths[] = {32, 64};
  int variant = 0;
  for (int s = 0; s < 4; s++) {
    for (int d = 0; d < 2; d++) {
      for (int m = MASK_NONE; m <= MASK_SQUARE; m++, variant++) {
        attention_case c = {2, 3, seqs[s], depths[d], m, variant % 2 == 0, variant % 3 == 0,
                            variant % 4 == 1, false, 0, false};
        char what[128];
        snprintf(what, sizeof what, "attention S %lld D %lld mask %d", (long long)c.s,
                 (long long)c.d, m);
        ep_graph* g = attention_graph(&c);
        ep_graph* o = check_against_unfused(g, EP_PASS_FUSE_ATTENTION, what);
        EP_CHECK_MSG(o != NULL && ep_graph_node_count(o) == 1 &&
                         count_op(o, EP_OP_ATTENTION) == 1,
                     "%s: %d nodes after fusion", what, o ? ep_graph_node_count(o) : -1);
        if (o != NULL && ep_graph_node_count(o) == 1) {
          const ep_node* n = ep_graph_node(o, 0);
          EP_CHECK(strcmp(n->name, "qk") == 0);
          EP_CHECK(n->attrs.trans_b == c.k_transposed);
          EP_CHECK(n->n_inputs == (m == MASK_NONE ? 3 : 4));
          EP_CHECK(fabsf(n->attrs.alpha - 1.0f / sqrtf((float)c.d)) <= 1e-6f);
          EP_CHECK(strcmp(ep_graph_tensor(o, n->outputs[0])->name, "pv") == 0);
          /* The cost model counts the two products it replaced. */
          EP_CHECK(n->cost.macs == 2 * c.b * c.h * c.s * c.s * c.d);
        }
        ep_graph_destroy(o);
        ep_graph_destroy(g);
      }
    }
  }
}

/* Other consumers, other axes, other scales: the chain stays unfused (and still runs right). */
static void test_attention_spoilers(void) {
  const attention_case base = {1, 2, 7, 32, MASK_PADDING, true, true, false, false, 0, false};
  attention_case cases[3] = {base, base, base};
  cases[0].scores_output = true;
  cases[1].softmax_axis = 2;
  cases[2].vector_scale = true;
  for (int i = 0; i < 3; i++) {
    ep_graph* g = attention_graph(&cases[i]);
    ep_graph* o = NULL;
    EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &o));
    EP_CHECK_MSG(o != NULL && count_op(o, EP_OP_ATTENTION) == 0 &&
                     ep_graph_node_count(o) == ep_graph_node_count(g),
                 "spoiler %d fused", i);
    ep_graph_destroy(o);
    ep_graph_destroy(g);
  }
  /* A mask that would broadcast the scores up ([1, H, S, S] + [B, 1, 1, S]). */
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("broadcast_up", &g));
  const ep_shape hs = ep_shape_make(4, (int64_t[]){1, 2, 5, 8});
  int q = input(g, "q", hs), kt = input(g, "kt", ep_shape_make(4, (int64_t[]){1, 2, 8, 5}));
  int v = input(g, "v", hs), mask = input(g, "mask", ep_shape_make(4, (int64_t[]){3, 1, 1, 5}));
  int x = node(g, EP_OP_MATMUL, "qk", NULL, (int[]){q, kt}, 2);
  x = node(g, EP_OP_ADD, "add", NULL, (int[]){x, mask}, 2);
  x = node(g, EP_OP_SOFTMAX, "softmax", NULL, &x, 1);
  x = node(g, EP_OP_MATMUL, "pv", NULL, (int[]){x, v}, 2);
  EP_CHECK_OK(ep_graph_mark_output(g, x));
  EP_CHECK_OK(ep_graph_finalize(g));
  ep_graph* o = check_against_unfused(g, EP_PASS_FUSE_ATTENTION, "broadcast-up mask");
  EP_CHECK(o != NULL && count_op(o, EP_OP_ATTENTION) == 0);
  ep_graph_destroy(o);
  ep_graph_destroy(g);
}

/* Attention as the predictor's probes and rank-3 exporters write it: [H, S, D] heads, k^T made by
 * a Transpose that is not a swap of the last two dims (it stays), no scale node, no mask. */
static void test_attention_rank3(void) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("rank3", &g));
  int q = input(g, "q", ep_shape_make(3, (int64_t[]){4, 9, 16}));
  int k = input(g, "k", ep_shape_make(3, (int64_t[]){9, 4, 16}));
  int v = input(g, "v", ep_shape_make(3, (int64_t[]){4, 9, 16}));
  ep_attrs t = ep_attrs_default(EP_OP_TRANSPOSE);
  t.perm[0] = 1;
  t.perm[1] = 2;
  t.perm[2] = 0;
  int kt = node(g, EP_OP_TRANSPOSE, "k_T", &t, &k, 1);
  int x = node(g, EP_OP_MATMUL, "qk", NULL, (int[]){q, kt}, 2);
  x = node(g, EP_OP_SOFTMAX, "softmax", NULL, &x, 1);
  x = node(g, EP_OP_MATMUL, "pv", NULL, (int[]){x, v}, 2);
  EP_CHECK_OK(ep_graph_mark_output(g, x));
  EP_CHECK_OK(ep_graph_finalize(g));
  ep_graph* o = check_against_unfused(g, EP_PASS_FUSE_ATTENTION, "rank-3 attention");
  EP_CHECK(o != NULL && ep_graph_node_count(o) == 2 && count_op(o, EP_OP_ATTENTION) == 1 &&
           count_op(o, EP_OP_TRANSPOSE) == 1);
  if (o != NULL && count_op(o, EP_OP_ATTENTION) == 1) {
    EP_CHECK(ep_graph_node(o, 1)->attrs.alpha == 1.0f && !ep_graph_node(o, 1)->attrs.trans_b);
  }
  ep_graph_destroy(o);
  ep_graph_destroy(g);
}

/* q scaled before the product (PyTorch's MultiheadAttention: q / sqrt(d)) joins alpha when the
 * factor is a power of two (exact); another factor stays a node of its own. */
static void test_attention_q_scale(void) {
  static const struct {
    ep_op op;
    float c;
    float score_div; /* 0: none */
    float alpha;     /* expected; 0: not absorbed */
  } cases[] = {
      {EP_OP_DIV, 8.0f, 0.0f, 0.125f},
      {EP_OP_MUL, 0.5f, 2.0f, 0.25f},
      {EP_OP_DIV, 3.0f, 0.0f, 0.0f},
      {EP_OP_MUL, 0.3f, 0.0f, 0.0f},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    ep_graph* g = NULL;
    EP_CHECK_OK(ep_graph_create("q_scale", &g));
    const ep_shape qs = ep_shape_make(4, (int64_t[]){1, 3, 9, 8});
    int q = input(g, "q", qs);
    int kt = input(g, "k", ep_shape_make(4, (int64_t[]){1, 3, 8, 9}));
    int v = input(g, "v", qs);
    int c = constant(g, "c", ep_shape_make(0, NULL), &cases[i].c);
    q = node(g, cases[i].op, "q_scale", NULL, (int[]){q, c}, 2);
    int x = node(g, EP_OP_MATMUL, "qk", NULL, (int[]){q, kt}, 2);
    if (cases[i].score_div != 0.0f) {
      int d = constant(g, "d", ep_shape_make(0, NULL), &cases[i].score_div);
      x = node(g, EP_OP_DIV, "scaled", NULL, (int[]){x, d}, 2);
    }
    x = node(g, EP_OP_SOFTMAX, "softmax", NULL, &x, 1);
    x = node(g, EP_OP_MATMUL, "pv", NULL, (int[]){x, v}, 2);
    EP_CHECK_OK(ep_graph_mark_output(g, x));
    EP_CHECK_OK(ep_graph_finalize(g));
    ep_graph* o = check_against_unfused(g, EP_PASS_FUSE_ATTENTION, "q scale");
    const bool absorbed = cases[i].alpha != 0.0f;
    EP_CHECK_MSG(o != NULL && ep_graph_node_count(o) == (absorbed ? 1 : 2) &&
                     count_op(o, EP_OP_ATTENTION) == 1,
                 "q scale case %zu: %d nodes", i, o ? ep_graph_node_count(o) : -1);
    if (o != NULL && absorbed && ep_graph_node_count(o) == 1) {
      EP_CHECK_MSG(ep_graph_node(o, 0)->attrs.alpha == cases[i].alpha, "case %zu: alpha %g", i,
                   ep_graph_node(o, 0)->attrs.alpha);
    }
    ep_graph_destroy(o);
    ep_graph_destroy(g);
  }
}

/* --- GELU --------------------------------------------------------------------------------- */

enum { GROUP_X_FACTOR_HALF, GROUP_X_HALF_FACTOR, GROUP_X_HALF_OF_FACTOR };

typedef struct gelu_case {
  bool tanh_form;
  int grouping;     /* GROUP_*: where the 0.5 goes */
  bool mul_inverse; /* erf form: x * (1 / sqrt 2) instead of x / sqrt 2; tanh form: x * x * x */
  bool swap;        /* constants on the left of commutative ops */
  /* Spoilers. */
  float half;       /* 0.5 unless spoiled */
  bool inner_output; /* the Erf / Tanh output is a graph output too */
} gelu_case;

static int scalar(ep_graph* g, const char* name, float v) {
  return constant(g, name, ep_shape_make(0, NULL), &v);
}

static int binary(ep_graph* g, ep_op op, const char* name, int a, int b, bool swap) {
  return node(g, op, name, NULL, swap ? (int[]){b, a} : (int[]){a, b}, 2);
}

static ep_graph* gelu_graph(const gelu_case* c) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("gelu", &g));
  int in = input(g, "in", ep_shape_make(3, (int64_t[]){2, 7, 33}));
  /* x comes from a node, as after a fully connected layer's bias. */
  int x = binary(g, EP_OP_ADD, "bias", in, scalar(g, "b", 0.25f), false);
  int inner;
  if (c->tanh_form) {
    int cube;
    if (c->mul_inverse) {
      int sq = node(g, EP_OP_MUL, "sq", NULL, (int[]){x, x}, 2);
      cube = binary(g, EP_OP_MUL, "cube", x, sq, c->swap);
    } else {
      cube = node(g, EP_OP_POW, "pow", NULL, (int[]){x, scalar(g, "three", 3.0f)}, 2);
    }
    int t = binary(g, EP_OP_MUL, "c", cube, scalar(g, "c0", 0.044715f), c->swap);
    t = binary(g, EP_OP_ADD, "sum", x, t, c->swap);
    t = binary(g, EP_OP_MUL, "k", t, scalar(g, "k0", sqrtf(2.0f / 3.14159265f)), c->swap);
    inner = node(g, EP_OP_TANH, "tanh", NULL, &t, 1);
  } else {
    int t = c->mul_inverse ? binary(g, EP_OP_MUL, "scale", x, scalar(g, "r2", 0.70710678f), c->swap)
                           : node(g, EP_OP_DIV, "scale", NULL, (int[]){x, scalar(g, "s2", 1.41421356f)}, 2);
    inner = node(g, EP_OP_ERF, "erf", NULL, &t, 1);
  }
  if (c->inner_output) EP_CHECK_OK(ep_graph_mark_output(g, inner));
  int factor = binary(g, EP_OP_ADD, "one_plus", inner, scalar(g, "one", 1.0f), c->swap);
  int half = scalar(g, "half", c->half);
  int y;
  if (c->grouping == GROUP_X_FACTOR_HALF) {
    y = binary(g, EP_OP_MUL, "x_factor", x, factor, c->swap);
    y = binary(g, EP_OP_MUL, "y", y, half, c->swap);
  } else if (c->grouping == GROUP_X_HALF_FACTOR) {
    y = binary(g, EP_OP_MUL, "x_half", x, half, c->swap);
    y = binary(g, EP_OP_MUL, "y", y, factor, c->swap);
  } else {
    y = binary(g, EP_OP_MUL, "half_factor", half, factor, c->swap);
    y = binary(g, EP_OP_MUL, "y", x, y, c->swap);
  }
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_finalize(g));
  return g;
}

static void test_gelu_fuses(void) {
  for (int v = 0; v < 24; v++) {
    gelu_case c = {v % 2 == 1, (v / 2) % 3, (v / 6) % 2 == 1, (v / 12) % 2 == 1, 0.5f, false};
    char what[96];
    snprintf(what, sizeof what, "gelu %s grouping %d variant %d swap %d",
             c.tanh_form ? "tanh" : "erf", c.grouping, c.mul_inverse, c.swap);
    ep_graph* g = gelu_graph(&c);
    ep_graph* o = check_against_unfused(g, EP_PASS_FUSE_GELU, what);
    /* The bias Add stays; the whole chain is one Gelu named after its first node. */
    EP_CHECK_MSG(o != NULL && ep_graph_node_count(o) == 2 && count_op(o, EP_OP_GELU) == 1,
                 "%s: %d nodes after fusion", what, o ? ep_graph_node_count(o) : -1);
    if (o != NULL && count_op(o, EP_OP_GELU) == 1) {
      const ep_node* n = ep_graph_node(o, 1);
      EP_CHECK(n->attrs.gelu_tanh == c.tanh_form);
      const char* first = c.tanh_form ? (c.mul_inverse ? "sq" : "pow") : "scale";
      EP_CHECK_MSG(strcmp(n->name, first) == 0, "%s: named %s", what, n->name);
      EP_CHECK(strcmp(ep_graph_tensor(o, n->outputs[0])->name, "y") == 0);
    }
    ep_graph_destroy(o);
    ep_graph_destroy(g);
  }
}

static void test_gelu_spoilers(void) {
  for (int i = 0; i < 4; i++) {
    gelu_case c = {i % 2 == 1, GROUP_X_FACTOR_HALF, false, false, 0.5f, false};
    if (i < 2) c.half = 0.5001f;
    if (i >= 2) c.inner_output = true;
    ep_graph* g = gelu_graph(&c);
    ep_graph* o = NULL;
    EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &o));
    EP_CHECK_MSG(o != NULL && count_op(o, EP_OP_GELU) == 0, "gelu spoiler %d fused", i);
    ep_graph_destroy(o);
    ep_graph_destroy(g);
  }
}

/* --- MatMul epilogue: bias, GELU, residual ------------------------------------------------- */

typedef struct mm_case {
  int rank;        /* of x: 2 ([14, K]) or 3 ([2, 7, K]) */
  bool bias_first; /* Add(bias, MatMul), as PyTorch exports a Linear on 3-D inputs */
  int act; /* 0: none, 1: GELU (erf form), 2: GELU (tanh form), 3 / 4: a Gelu node (erf / tanh) */
  bool residual;   /* an Add of another input after the bias (no activation) */
  /* Spoilers. */
  bool mm_output; /* the MatMul's output is a graph output too: nothing fuses into it */
  bool b_input;   /* the weights are a graph input: nothing fuses into it */
  bool bias_2d;   /* the bias is [1, N]: stays an Add (and nothing after it fuses) */
  bool x_output;  /* the biased value is a graph output too: the GELU stays a node */
} mm_case;

static ep_graph* mm_graph(const mm_case* c) {
  enum { K = 20, N = 35 };
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("matmul_epilogue", &g));
  const bool r3 = c->rank == 3;
  const ep_shape xs = r3 ? ep_shape_make(3, (int64_t[]){2, 7, K}) : ep_shape_make(2, (int64_t[]){14, K});
  const ep_shape ys = r3 ? ep_shape_make(3, (int64_t[]){2, 7, N}) : ep_shape_make(2, (int64_t[]){14, N});
  int in = input(g, "in", xs);
  float w[K * N], bias[N];
  ep_test_fill(&rng, w, K * N, -0.5f, 0.5f);
  ep_test_fill(&rng, bias, N, -1.0f, 1.0f);
  const ep_shape ws = ep_shape_make(2, (int64_t[]){K, N});
  int wt = c->b_input ? input(g, "w", ws) : constant(g, "w", ws, w);
  int mm = node(g, EP_OP_MATMUL, "fc/MatMul", NULL, (int[]){in, wt}, 2);
  if (c->mm_output) EP_CHECK_OK(ep_graph_mark_output(g, mm));
  const ep_shape bs = c->bias_2d ? ep_shape_make(2, (int64_t[]){1, N}) : ep_shape_make(1, (int64_t[]){N});
  int x = binary(g, EP_OP_ADD, "fc/Add", mm, constant(g, "fc.bias", bs, bias), c->bias_first);
  if (c->x_output) EP_CHECK_OK(ep_graph_mark_output(g, x));
  int y = x;
  if (c->act == 1) { /* torch.nn.GELU() */
    int t = node(g, EP_OP_DIV, "gelu/Div", NULL, (int[]){x, scalar(g, "s2", 1.41421356f)}, 2);
    t = node(g, EP_OP_ERF, "gelu/Erf", NULL, &t, 1);
    t = binary(g, EP_OP_ADD, "gelu/Add", t, scalar(g, "one", 1.0f), false);
    t = binary(g, EP_OP_MUL, "gelu/Mul", x, t, false);
    y = binary(g, EP_OP_MUL, "gelu/Mul_1", t, scalar(g, "half", 0.5f), false);
  } else if (c->act >= 3) { /* a Gelu node (ONNX's Gelu, the zoo's models), either form */
    ep_attrs a = ep_attrs_default(EP_OP_GELU);
    a.gelu_tanh = c->act == 4;
    y = node(g, EP_OP_GELU, "gelu/Gelu", &a, &x, 1);
  } else if (c->act == 2) { /* torch.nn.GELU(approximate="tanh") */
    int cube = node(g, EP_OP_POW, "gelu/Pow", NULL, (int[]){x, scalar(g, "three", 3.0f)}, 2);
    int t = binary(g, EP_OP_MUL, "gelu/c", cube, scalar(g, "c0", 0.044715f), false);
    t = binary(g, EP_OP_ADD, "gelu/sum", x, t, false);
    t = binary(g, EP_OP_MUL, "gelu/k", t, scalar(g, "k0", sqrtf(2.0f / 3.14159265f)), false);
    t = node(g, EP_OP_TANH, "gelu/Tanh", NULL, &t, 1);
    t = binary(g, EP_OP_ADD, "gelu/one_plus", t, scalar(g, "one", 1.0f), false);
    int half_x = binary(g, EP_OP_MUL, "gelu/half_x", x, scalar(g, "half", 0.5f), false);
    y = binary(g, EP_OP_MUL, "gelu/y", half_x, t, false);
  }
  if (c->residual) y = binary(g, EP_OP_ADD, "residual", input(g, "skip", ys), y, false);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_finalize(g));
  return g;
}

/* The MatMul of a fused graph, or NULL. */
static const ep_node* find_matmul(const ep_graph* g) {
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    if (ep_graph_node(g, i)->op == EP_OP_MATMUL) return ep_graph_node(g, i);
  }
  return NULL;
}

static void test_matmul_epilogue_fuses(void) {
  for (int v = 0; v < 20; v++) {
    mm_case c = {2 + v % 2, (v / 2) % 2 == 1, (v / 4) % 5, false, false, false, false, false};
    for (int res = 0; res < (c.act == 0 ? 2 : 1); res++) {
      c.residual = res == 1;
      char what[96];
      snprintf(what, sizeof what, "matmul rank %d bias_first %d act %d residual %d", c.rank,
               c.bias_first, c.act, c.residual);
      ep_graph* g = mm_graph(&c);
      ep_graph* o =
          check_against_unfused(g, EP_PASS_FUSE_ACTIVATIONS | EP_PASS_FUSE_RESIDUAL, what);
      const ep_node* mm = o != NULL ? find_matmul(o) : NULL;
      EP_CHECK_MSG(o != NULL && ep_graph_node_count(o) == 1 && mm != NULL,
                   "%s: %d nodes after fusion", what, o ? ep_graph_node_count(o) : -1);
      if (mm != NULL) {
        const ep_activation act =
            c.act == 1 || c.act == 3   ? EP_ACT_GELU
            : c.act == 2 || c.act == 4 ? EP_ACT_GELU_TANH
                                       : EP_ACT_NONE;
        EP_CHECK_MSG(mm->attrs.act == act, "%s: act %d", what, mm->attrs.act);
        EP_CHECK_MSG(mm->n_inputs == (c.residual ? 4 : 3) && mm->inputs[2] >= 0, "%s: %d inputs",
                     what, mm->n_inputs);
        /* The graph's output name survives. */
        EP_CHECK(ep_graph_output(o, 0) == mm->outputs[0]);
      }
      ep_graph_destroy(o);
      ep_graph_destroy(g);
    }
  }
}

static void test_matmul_epilogue_spoilers(void) {
  for (int i = 0; i < 16; i++) {
    mm_case c = {3, true, 1 + i % 4, false, i / 4 == 0, i / 4 == 1, i / 4 == 2, i / 4 == 3};
    char what[64];
    snprintf(what, sizeof what, "matmul epilogue spoiler %d", i);
    ep_graph* g = mm_graph(&c);
    /* Still exact where it does not fuse. */
    ep_graph* o = check_against_unfused(g, EP_PASS_FUSE_ACTIVATIONS | EP_PASS_FUSE_RESIDUAL, what);
    const ep_node* mm = o != NULL ? find_matmul(o) : NULL;
    EP_CHECK_MSG(mm != NULL, "%s: no MatMul left", what);
    if (mm == NULL) {
      ep_graph_destroy(o);
      ep_graph_destroy(g);
      continue;
    }
    if (c.x_output) {
      /* The bias fuses; the GELU, reading a graph output, stays a Gelu node. */
      EP_CHECK_MSG(mm->n_inputs == 3 && mm->attrs.act == EP_ACT_NONE && count_op(o, EP_OP_GELU) == 1,
                   "%s: %d inputs, act %d", what, mm->n_inputs, mm->attrs.act);
    } else {
      EP_CHECK_MSG(mm->n_inputs == 2 && mm->attrs.act == EP_ACT_NONE && count_op(o, EP_OP_GELU) == 1,
                   "%s: %d inputs, act %d", what, mm->n_inputs, mm->attrs.act);
    }
    ep_graph_destroy(o);
    ep_graph_destroy(g);
  }
}

/* --- Transposes of unit dims as views -------------------------------------------------------- */

/* Transpose(perm) of an input shaped `dims`, then an Add so that the output is a node's; the
 * Transpose becomes a Reshape exactly when `view`. */
static void check_transpose_view(int rank, const int64_t* dims, const int* perm, bool view) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("transpose_view", &g));
  int in = input(g, "in", ep_shape_make(rank, dims));
  int x = binary(g, EP_OP_ADD, "pre", in, scalar(g, "a", 0.5f), false);
  ep_attrs t = ep_attrs_default(EP_OP_TRANSPOSE);
  for (int d = 0; d < rank; d++) t.perm[d] = perm[d];
  int y = node(g, EP_OP_TRANSPOSE, "transpose", &t, &x, 1);
  y = binary(g, EP_OP_ADD, "post", y, scalar(g, "b", 0.25f), false);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_finalize(g));
  char what[64];
  snprintf(what, sizeof what, "transpose rank %d perm %d%d%d%d", rank, perm[0], perm[1],
           rank > 2 ? perm[2] : 0, rank > 3 ? perm[3] : 0);
  ep_graph* o = check_against_unfused(g, EP_PASS_TRANSPOSE_VIEWS, what);
  EP_CHECK_MSG(o != NULL && count_op(o, EP_OP_RESHAPE) == (view ? 1 : 0) &&
                   count_op(o, EP_OP_TRANSPOSE) == (view ? 0 : 1),
               "%s: %d reshapes", what, o ? count_op(o, EP_OP_RESHAPE) : -1);
  ep_graph_destroy(o);
  ep_graph_destroy(g);
}

static void test_transpose_views(void) {
  /* PyTorch's MultiheadAttention: [1, S, D] <-> [S, 1, D]. */
  check_transpose_view(3, (int64_t[]){1, 7, 12}, (int[]){1, 0, 2}, true);
  check_transpose_view(3, (int64_t[]){7, 1, 12}, (int[]){1, 0, 2}, true);
  check_transpose_view(4, (int64_t[]){2, 1, 5, 1}, (int[]){1, 0, 3, 2}, true);
  check_transpose_view(2, (int64_t[]){1, 1}, (int[]){1, 0}, true);
  /* Look-alikes: dims of size > 1 swapped. */
  check_transpose_view(3, (int64_t[]){1, 7, 12}, (int[]){0, 2, 1}, false);
  check_transpose_view(4, (int64_t[]){1, 7, 3, 4}, (int[]){0, 2, 1, 3}, false);
  check_transpose_view(3, (int64_t[]){2, 1, 3}, (int[]){2, 1, 0}, false);
}

/* --- channel shuffle read by Slices ------------------------------------------------------- */

typedef struct shuffle_case {
  int64_t n, c, h, w, groups;
  int64_t cut;        /* Slice 0 takes shuffled channels [0, cut), Slice 1 [cut, c) */
  bool concat;        /* ShuffleNet's unit: Concat(slice 0, conv(slice 1)) */
  /* Spoilers: each keeps the shuffle. */
  bool other_reader;  /* the shuffled tensor is also read by an Add */
  bool slice_h;       /* Slice 1 cuts H, not channels */
  bool step2;         /* Slice 1 takes every other channel */
  bool perm_other;    /* Transpose (0, 1, 2, 4, 3): no channel shuffle */
} shuffle_case;

static int i64_constant(ep_graph* g, const char* name, int64_t v) {
  int id = -1;
  EP_CHECK_OK(ep_graph_add_constant_typed(g, name, EP_DTYPE_INT64, ep_shape_make(1, (int64_t[]){1}),
                                          &v, &id));
  return id;
}

static int slice(ep_graph* g, const char* name, int x, int64_t lo, int64_t hi, int64_t axis,
                 int64_t step) {
  char b[64];
  int in[5];
  in[0] = x;
  snprintf(b, sizeof b, "%s/starts", name);
  in[1] = i64_constant(g, b, lo);
  snprintf(b, sizeof b, "%s/ends", name);
  in[2] = i64_constant(g, b, hi);
  snprintf(b, sizeof b, "%s/axes", name);
  in[3] = i64_constant(g, b, axis);
  snprintf(b, sizeof b, "%s/steps", name);
  in[4] = i64_constant(g, b, step);
  return node(g, EP_OP_SLICE, name, NULL, in, 5);
}

static ep_graph* shuffle_graph(const shuffle_case* c) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("shuffle", &g));
  int in = input(g, "in", ep_shape_make(4, (int64_t[]){c->n, c->c, c->h, c->w}));
  int x = binary(g, EP_OP_ADD, "pre", in, scalar(g, "a", 0.5f), false);
  ep_attrs r = ep_attrs_default(EP_OP_RESHAPE);
  r.shape = ep_shape_make(5, (int64_t[]){c->n, c->groups, c->c / c->groups, c->h, c->w});
  int y = node(g, EP_OP_RESHAPE, "reshape", &r, &x, 1);
  ep_attrs t = ep_attrs_default(EP_OP_TRANSPOSE);
  const int perm[5] = {0, 2, 1, 3, 4}, other[5] = {0, 1, 2, 4, 3};
  for (int d = 0; d < 5; d++) t.perm[d] = c->perm_other ? other[d] : perm[d];
  y = node(g, EP_OP_TRANSPOSE, "transpose", &t, &y, 1);
  r.shape = ep_shape_make(4, (int64_t[]){c->n, c->c, c->perm_other ? c->w : c->h,
                                         c->perm_other ? c->h : c->w});
  const int shuffled = node(g, EP_OP_RESHAPE, "reshape_1", &r, &y, 1);
  const int a = slice(g, "slice", shuffled, 0, c->cut, 1, 1);
  const int b = c->slice_h ? slice(g, "slice_1", shuffled, 1, c->h, 2, 1)
                : c->step2 ? slice(g, "slice_1", shuffled, c->cut, c->c, 1, 2)
                           : slice(g, "slice_1", shuffled, c->cut, c->c, 1, 1);
  int out;
  if (c->concat) {
    /* The unit's branch: a 1x1 conv on the second half, then Concat with the first. */
    const int64_t cb = c->c - c->cut;
    float* wd = malloc(sizeof *wd * (size_t)(cb * cb));
    ep_test_fill(&rng, wd, (size_t)(cb * cb), -0.5f, 0.5f);
    int in3[3] = {b, constant(g, "conv/w", ep_shape_make(4, (int64_t[]){cb, cb, 1, 1}), wd), -1};
    free(wd);
    ep_attrs ca = ep_attrs_default(EP_OP_CONV);
    ca.kernel[0] = ca.kernel[1] = 1;
    const int conv = node(g, EP_OP_CONV, "conv", &ca, in3, 2);
    ep_attrs cat = ep_attrs_default(EP_OP_CONCAT);
    cat.axis = 1;
    out = node(g, EP_OP_CONCAT, "concat", &cat, (int[]){a, conv}, 2);
  } else {
    EP_CHECK_OK(ep_graph_mark_output(g, b));
    out = a;
  }
  EP_CHECK_OK(ep_graph_mark_output(g, out));
  if (c->other_reader) {
    EP_CHECK_OK(ep_graph_mark_output(
        g, binary(g, EP_OP_ADD, "other", shuffled, scalar(g, "o", 1.0f), false)));
  }
  EP_CHECK_OK(ep_graph_finalize(g));
  return g;
}

/* Runs g's optimized forms with and without the pass on one input; every output must be the
 * same floats, bit for bit (the rewrite only moves them). */
static void check_shuffle(const shuffle_case* c, bool rewritten, const char* what) {
  ep_graph* g = shuffle_graph(c);
  ep_graph* fused = NULL;
  ep_graph* unfused = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &fused));
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL & ~EP_PASS_CHANNEL_SHUFFLE, &unfused));
  if (fused != NULL && unfused != NULL) {
    EP_CHECK_MSG(count_op(fused, EP_OP_GATHER) == (rewritten ? 2 : 0) &&
                     count_op(fused, EP_OP_TRANSPOSE) == (rewritten ? 0 : 1) &&
                     count_op(unfused, EP_OP_GATHER) == 0,
                 "%s: %d gathers, %d transposes", what, count_op(fused, EP_OP_GATHER),
                 count_op(fused, EP_OP_TRANSPOSE));
    const size_t n_in = (size_t)(c->n * c->c * c->h * c->w);
    float* x = malloc(sizeof *x * n_in);
    ep_test_fill(&rng, x, n_in, -1.0f, 1.0f);
    for (int threads = 1; threads <= 2; threads++) {
      ep_session* s[2] = {NULL, NULL};
      ep_session_options opts = {threads, NULL, 0, NULL};
      EP_CHECK_OK(ep_session_create(fused, &opts, &s[0]));
      EP_CHECK_OK(ep_session_create(unfused, &opts, &s[1]));
      for (int k = 0; k < 2 && s[0] != NULL && s[1] != NULL; k++) {
        EP_CHECK_OK(ep_session_set_input(s[k], 0, x, n_in));
        EP_CHECK_OK(ep_session_run(s[k]));
      }
      for (int o = 0; s[0] != NULL && s[1] != NULL && o < ep_graph_output_count(g); o++) {
        const size_t n = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, o))->shape);
        float* got = malloc(sizeof *got * n);
        float* expect = malloc(sizeof *expect * n);
        EP_CHECK_OK(ep_session_get_output(s[0], o, got, n));
        EP_CHECK_OK(ep_session_get_output(s[1], o, expect, n));
        EP_CHECK_MSG(memcmp(got, expect, sizeof *got * n) == 0,
                     "%s, %d threads: output %d differs (max %g)", what, threads, o,
                     ep_test_max_abs_diff(got, expect, n));
        free(got);
        free(expect);
      }
      ep_session_destroy(s[0]);
      ep_session_destroy(s[1]);
    }
    free(x);
  }
  ep_graph_destroy(fused);
  ep_graph_destroy(unfused);
  ep_graph_destroy(g);
}

static void test_shuffle_slices(void) {
  /* ShuffleNet V2's units: halves of 12, 24 and 29 channels (blocked and not), two groups. */
  check_shuffle(&(shuffle_case){1, 24, 7, 7, 2, 12, .concat = true}, true, "c24 unit");
  check_shuffle(&(shuffle_case){1, 48, 5, 6, 2, 24, .concat = true}, true, "c48 unit");
  check_shuffle(&(shuffle_case){1, 58, 4, 4, 2, 29, .concat = true}, true, "c58 unit");
  /* Other groups, an uneven cut, a batch of 2. */
  check_shuffle(&(shuffle_case){2, 12, 3, 5, 3, 5, .concat = false}, true, "g3 cut 5 batch 2");
  check_shuffle(&(shuffle_case){1, 16, 2, 2, 4, 9, .concat = false}, true, "g4 cut 9");
  /* Spoilers. */
  check_shuffle(&(shuffle_case){1, 24, 7, 7, 2, 12, .concat = true, .other_reader = true}, false,
                "shuffled tensor read by an Add");
  check_shuffle(&(shuffle_case){1, 24, 7, 7, 2, 12, .slice_h = true}, false, "Slice of H");
  check_shuffle(&(shuffle_case){1, 24, 7, 7, 2, 12, .step2 = true}, false, "Slice by 2");
  check_shuffle(&(shuffle_case){1, 24, 7, 7, 2, 12, .perm_other = true}, false, "no shuffle");
}

/* --- LayerNorm ---------------------------------------------------------------------------- */

typedef struct ln_case {
  int axes;          /* normalized trailing dims: 1 or 2 */
  bool square_mul;   /* Mul(d, d) instead of Pow(d, 2) */
  bool swap;         /* constants and gamma / beta on the left */
  bool beta;         /* Add beta at the end */
  bool gamma_rank3;  /* gamma and beta as [1, 1, H] instead of [H] */
  /* Spoilers. */
  float two;         /* 2 unless spoiled */
  bool d_output;     /* x - mean is a graph output too */
  bool mixed_axes;   /* the second ReduceMean over another axis */
} ln_case;

static ep_graph* ln_graph(const ln_case* c) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("layernorm", &g));
  const int64_t h = 48;
  int in = input(g, "in", ep_shape_make(3, (int64_t[]){2, 9, h}));
  int x = binary(g, EP_OP_ADD, "residual", in, scalar(g, "r", 0.5f), false);
  ep_attrs rm = ep_attrs_default(EP_OP_REDUCE_MEAN);
  rm.keepdims = true;
  rm.reduce_axes = c->axes == 2 ? 6u : 4u;
  int mean = node(g, EP_OP_REDUCE_MEAN, "mean", &rm, &x, 1);
  int d = node(g, EP_OP_SUB, "sub", NULL, (int[]){x, mean}, 2);
  if (c->d_output) EP_CHECK_OK(ep_graph_mark_output(g, d));
  int sq = c->square_mul ? node(g, EP_OP_MUL, "sq", NULL, (int[]){d, d}, 2)
                         : node(g, EP_OP_POW, "pow", NULL, (int[]){d, scalar(g, "two", c->two)}, 2);
  if (c->mixed_axes) rm.reduce_axes = 2u;
  int var = node(g, EP_OP_REDUCE_MEAN, "var", &rm, &sq, 1);
  var = binary(g, EP_OP_ADD, "eps_add", var, scalar(g, "eps", 1e-5f), c->swap);
  int s = node(g, EP_OP_SQRT, "sqrt", NULL, &var, 1);
  int y = node(g, EP_OP_DIV, "div", NULL, (int[]){d, s}, 2);
  const ep_shape ps = c->gamma_rank3 ? ep_shape_make(3, (int64_t[]){1, c->axes == 2 ? 9 : 1, h})
                                     : ep_shape_make(1, (int64_t[]){h});
  float gamma[9 * 48], beta[9 * 48];
  ep_test_fill(&rng, gamma, 9 * 48, 0.5f, 1.5f);
  ep_test_fill(&rng, beta, 9 * 48, -0.5f, 0.5f);
  y = binary(g, EP_OP_MUL, "gamma_mul", y, constant(g, "gamma", ps, gamma), c->swap);
  if (c->beta) y = binary(g, EP_OP_ADD, "beta_add", y, constant(g, "beta", ps, beta), c->swap);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_finalize(g));
  return g;
}

static void test_layer_norm_fuses(void) {
  for (int v = 0; v < 32; v++) {
    ln_case c = {1 + v % 2, (v / 2) % 2 == 1, (v / 4) % 2 == 1, (v / 8) % 2 == 0,
                 (v / 16) % 2 == 1, 2.0f, false, false};
    char what[96];
    snprintf(what, sizeof what, "layernorm variant %d", v);
    ep_graph* g = ln_graph(&c);
    ep_graph* o = check_against_unfused(g, EP_PASS_FUSE_LAYER_NORM, what);
    EP_CHECK_MSG(o != NULL && ep_graph_node_count(o) == 2 && count_op(o, EP_OP_LAYER_NORM) == 1,
                 "%s: %d nodes after fusion", what, o ? ep_graph_node_count(o) : -1);
    if (o != NULL && count_op(o, EP_OP_LAYER_NORM) == 1) {
      const ep_node* n = ep_graph_node(o, 1);
      EP_CHECK(strcmp(n->name, "mean") == 0);
      EP_CHECK(n->attrs.axis == 3 - c.axes && n->attrs.epsilon == 1e-5f);
      EP_CHECK(n->n_inputs == (c.beta ? 3 : 2));
    }
    ep_graph_destroy(o);
    ep_graph_destroy(g);
  }
}

static void test_layer_norm_spoilers(void) {
  for (int i = 0; i < 3; i++) {
    ln_case c = {1, false, false, true, false, 2.0f, false, false};
    if (i == 0) c.two = 2.5f;
    if (i == 1) c.d_output = true;
    if (i == 2) c.mixed_axes = true;
    ep_graph* g = ln_graph(&c);
    ep_graph* o = NULL;
    EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &o));
    EP_CHECK_MSG(o != NULL && count_op(o, EP_OP_LAYER_NORM) == 0, "layernorm spoiler %d fused", i);
    ep_graph_destroy(o);
    ep_graph_destroy(g);
  }
}

int main(void) {
  test_attention_fuses();
  test_attention_spoilers();
  test_attention_rank3();
  test_attention_q_scale();
  test_gelu_fuses();
  test_gelu_spoilers();
  test_matmul_epilogue_fuses();
  test_matmul_epilogue_spoilers();
  test_transpose_views();
  test_shuffle_slices();
  test_layer_norm_fuses();
  test_layer_norm_spoilers();
  return ep_test_finish();
}

/* The int64 and bool ops (Gather, Cast, comparisons, logic, Where, Shape, Size, Slice, Expand,
 * ConstantOfShape, Range, int64 Add/Sub/Mul/Div, Concat and views of int64 and bool) through a
 * session on 1 and 2 threads, against naive references written here (index arithmetic on
 * multi-indices, independent of the kernels' strided cursors), and the dtype checks of shape
 * inference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/graph.h"
#include "edgeprof/session.h"
#include "test_support.h"

enum { MAX_IN = 5 };

typedef struct tin {
  ep_dtype dtype;
  ep_shape shape;
  const void* data;
  bool constant;
} tin;

static ep_shape shp(int rank, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
  return ep_shape_make(rank, (int64_t[]){d0, d1, d2, d3});
}

static tin in_f(ep_shape s, const float* d) { return (tin){EP_DTYPE_FLOAT32, s, d, false}; }
static tin in_i(ep_shape s, const int64_t* d) { return (tin){EP_DTYPE_INT64, s, d, false}; }
static tin in_b(ep_shape s, const uint8_t* d) { return (tin){EP_DTYPE_BOOL, s, d, false}; }
static tin const_i(ep_shape s, const int64_t* d) { return (tin){EP_DTYPE_INT64, s, d, true}; }

/* The graph of one node; NULL (message in ep_last_error) when it does not build. */
static ep_graph* build(ep_op op, const ep_attrs* attrs, const tin* ins, int n) {
  ep_graph* g = NULL;
  if (ep_graph_create("index", &g) != EP_OK) return NULL;
  int ids[MAX_IN], out;
  ep_status st = EP_OK;
  for (int i = 0; i < n && st == EP_OK; i++) {
    char name[16];
    snprintf(name, sizeof name, "in%d", i);
    if (ins[i].data == NULL) {
      ids[i] = EP_TENSOR_ABSENT;
    } else if (ins[i].constant) {
      st = ep_graph_add_constant_typed(g, name, ins[i].dtype, ins[i].shape, ins[i].data, &ids[i]);
    } else {
      st = ep_graph_add_input_typed(g, name, ins[i].dtype, ins[i].shape, &ids[i]);
    }
  }
  if (st == EP_OK) st = ep_graph_add_node(g, op, "node", attrs, ids, n, 1, NULL, &out);
  if (st == EP_OK) st = ep_graph_mark_output(g, out);
  if (st == EP_OK) st = ep_graph_finalize(g);
  if (st != EP_OK) {
    ep_graph_destroy(g);
    return NULL;
  }
  return g;
}

/* Runs the node on 1 and 2 threads (twice each); its output must equal `want` byte for byte
 * and have the dtype and shape given. */
static void expect(const char* what, ep_op op, ep_attrs attrs, const tin* ins, int n,
                   ep_dtype dtype, ep_shape shape, const void* want) {
  ep_graph* g = build(op, &attrs, ins, n);
  EP_CHECK_MSG(g != NULL, "%s: %s", what, ep_last_error());
  if (g == NULL) return;
  const ep_tensor* y = ep_graph_tensor(g, ep_graph_output(g, 0));
  char a[64], b[64];
  EP_CHECK_MSG(y->dtype == dtype && ep_shape_equal(&y->shape, &shape),
               "%s: output %s %s, expected %s %s", what, ep_dtype_name(y->dtype),
               ep_shape_format(&y->shape, a, sizeof a), ep_dtype_name(dtype),
               ep_shape_format(&shape, b, sizeof b));
  size_t count = (size_t)ep_shape_numel(&shape), bytes = count * ep_dtype_size(dtype);
  for (int threads = 1; threads <= 2 && ep_shape_equal(&y->shape, &shape); threads++) {
    ep_session* s = NULL;
    ep_session_options o = {threads, NULL, 0, NULL};
    EP_CHECK_OK(ep_session_create(g, &o, &s));
    if (s == NULL) break;
    for (int i = 0, k = 0; i < n; i++) {
      if (ins[i].data == NULL || ins[i].constant) continue;
      EP_CHECK_OK(ep_session_set_input_typed(s, k++, ins[i].dtype, ins[i].data,
                                             (size_t)ep_shape_numel(&ins[i].shape)));
    }
    uint8_t* got = malloc(bytes + 1);
    for (int rep = 0; rep < 2; rep++) {
      EP_CHECK_OK(ep_session_run(s));
      EP_CHECK_OK(ep_session_get_output_typed(s, 0, dtype, got, count));
      size_t at = 0;
      while (at < bytes && got[at] == ((const uint8_t*)want)[at]) at++;
      EP_CHECK_MSG(at == bytes, "%s (%d threads): output differs at byte %zu of %zu", what,
                   threads, at, bytes);
    }
    free(got);
    ep_session_destroy(s);
  }
  ep_graph_destroy(g);
}

/* The message of a node that must not build. */
static void expect_error(const char* what, ep_op op, ep_attrs attrs, const tin* ins, int n,
                         const char* part) {
  ep_graph* g = build(op, &attrs, ins, n);
  EP_CHECK_MSG(g == NULL, "%s: built", what);
  if (g != NULL) {
    ep_graph_destroy(g);
    return;
  }
  EP_CHECK_MSG(strstr(ep_last_error(), part) != NULL, "%s: message '%s' lacks '%s'", what,
               ep_last_error(), part);
}

/* --- reference helpers ------------------------------------------------------------------------- */

static void unravel(int64_t i, const ep_shape* s, int64_t* idx) {
  for (int d = s->rank - 1; d >= 0; d--) {
    idx[d] = i % s->dims[d];
    i /= s->dims[d];
  }
}

/* Offset in a tensor of shape s of the element at out-index idx (rank r), numpy broadcasting. */
static int64_t bcast_at(const ep_shape* s, const int64_t* idx, int r) {
  int64_t off = 0;
  for (int d = 0; d < s->rank; d++) {
    int64_t i = s->dims[d] == 1 ? 0 : idx[d + r - s->rank];
    off = off * s->dims[d] + i;
  }
  return off;
}

static ep_test_rng rng = {15};

static void fill_i(int64_t* x, int n, int lo, int hi) {
  for (int i = 0; i < n; i++) x[i] = ep_test_rng_int(&rng, lo, hi);
}

/* --- the ops ----------------------------------------------------------------------------------- */

static void test_gather(void) {
  ep_shape xs = shp(3, 3, 4, 5, 0);
  float x[60];
  int64_t xi[60];
  ep_test_fill(&rng, x, 60, -1, 1);
  for (int i = 0; i < 60; i++) xi[i] = i * 7 - 100;
  ep_shape is = shp(2, 2, 3, 0, 0);
  for (int axis = -1; axis < 3; axis++) {
    int ax = axis < 0 ? axis + 3 : axis;
    int64_t dim = xs.dims[ax], idx[6];
    fill_i(idx, 6, (int)-dim, (int)dim - 1); /* negative ones count from the end */
    ep_shape ys;
    memset(&ys, 0, sizeof ys);
    for (int d = 0; d < ax; d++) ys.dims[ys.rank++] = xs.dims[d];
    for (int d = 0; d < 2; d++) ys.dims[ys.rank++] = is.dims[d];
    for (int d = ax + 1; d < 3; d++) ys.dims[ys.rank++] = xs.dims[d];
    float want[120];
    int64_t want_i[120];
    int64_t n = ep_shape_numel(&ys);
    for (int64_t i = 0; i < n; i++) {
      int64_t yi[EP_MAX_RANK], xidx[3];
      unravel(i, &ys, yi);
      int k = 0;
      for (int d = 0; d < 3; d++) {
        if (d == ax) {
          int64_t v = idx[yi[d] * 3 + yi[d + 1]];
          xidx[d] = v < 0 ? v + dim : v;
          k = 2;
        } else {
          xidx[d] = yi[d < ax ? d : d + k - 1];
        }
      }
      int64_t off = (xidx[0] * 4 + xidx[1]) * 5 + xidx[2];
      want[i] = x[off];
      want_i[i] = xi[off];
    }
    char what[64];
    snprintf(what, sizeof what, "gather float axis %d", axis);
    ep_attrs a = {.axis = axis};
    expect(what, EP_OP_GATHER, a, (tin[]){in_f(xs, x), in_i(is, idx)}, 2, EP_DTYPE_FLOAT32, ys,
           want);
    snprintf(what, sizeof what, "gather int64 axis %d", axis);
    expect(what, EP_OP_GATHER, a, (tin[]){in_i(xs, xi), const_i(is, idx)}, 2, EP_DTYPE_INT64, ys,
           want_i);
  }
  /* An index outside [-dim, dim) gives zeros: run cannot fail. */
  int64_t bad[2] = {1, 7};
  float want[10] = {0};
  memcpy(want, x + 5, 5 * sizeof(float));
  expect("gather out of range", EP_OP_GATHER, (ep_attrs){0},
         (tin[]){in_f(shp(2, 3, 5, 0, 0), x), in_i(shp(1, 2, 0, 0, 0), bad)}, 2,
         EP_DTYPE_FLOAT32, shp(2, 2, 5, 0, 0), want);
  expect_error("gather float indices", EP_OP_GATHER, (ep_attrs){0},
               (tin[]){in_f(xs, x), in_f(shp(1, 2, 0, 0, 0), x)}, 2, "expected int64");
}

static void test_cast(void) {
  float f[6] = {2.7f, -2.7f, 0.0f, NAN, 1e30f, -0.5f};
  int64_t f_to_i[6] = {2, -2, 0, INT64_MIN, INT64_MIN, 0};
  uint8_t f_to_b[6] = {1, 1, 0, 1, 1, 1};
  int64_t i[4] = {-3, 0, 1, INT64_C(1) << 40};
  float i_to_f[4] = {-3.0f, 0.0f, 1.0f, 1099511627776.0f};
  uint8_t i_to_b[4] = {1, 0, 1, 1};
  uint8_t b[3] = {1, 0, 1};
  float b_to_f[3] = {1, 0, 1};
  int64_t b_to_i[3] = {1, 0, 1};
  ep_shape s6 = shp(1, 6, 0, 0, 0), s4 = shp(1, 4, 0, 0, 0), s3 = shp(1, 3, 0, 0, 0);
  ep_attrs a = {.cast_to = EP_DTYPE_INT64};
  expect("cast float -> int64", EP_OP_CAST, a, (tin[]){in_f(s6, f)}, 1, EP_DTYPE_INT64, s6, f_to_i);
  a.cast_to = EP_DTYPE_BOOL;
  expect("cast float -> bool", EP_OP_CAST, a, (tin[]){in_f(s6, f)}, 1, EP_DTYPE_BOOL, s6, f_to_b);
  expect("cast int64 -> bool", EP_OP_CAST, a, (tin[]){in_i(s4, i)}, 1, EP_DTYPE_BOOL, s4, i_to_b);
  a.cast_to = EP_DTYPE_FLOAT32;
  expect("cast int64 -> float", EP_OP_CAST, a, (tin[]){in_i(s4, i)}, 1, EP_DTYPE_FLOAT32, s4, i_to_f);
  expect("cast bool -> float", EP_OP_CAST, a, (tin[]){in_b(s3, b)}, 1, EP_DTYPE_FLOAT32, s3, b_to_f);
  a.cast_to = EP_DTYPE_INT64;
  expect("cast bool -> int64", EP_OP_CAST, a, (tin[]){in_b(s3, b)}, 1, EP_DTYPE_INT64, s3, b_to_i);
  expect("cast int64 -> int64", EP_OP_CAST, a, (tin[]){in_i(s4, i)}, 1, EP_DTYPE_INT64, s4, i);
}

/* Comparisons, logic and int64 arithmetic over broadcast shapes [2, 3, 1] and [1, 4]. */
static void test_broadcast_ops(void) {
  ep_shape sa = shp(3, 2, 3, 1, 0), sb = shp(2, 1, 4, 0, 0), sy = shp(3, 2, 3, 4, 0);
  float af[6], bf[4];
  int64_t ai[6], bi[4];
  uint8_t ab[6], bb[4];
  fill_i(ai, 6, -3, 3);
  fill_i(bi, 4, -3, 3);
  bi[1] = 0; /* a division by zero gives 0 */
  for (int i = 0; i < 6; i++) af[i] = (float)ai[i] * 0.5f, ab[i] = ai[i] > 0;
  for (int i = 0; i < 4; i++) bf[i] = (float)bi[i] * 0.5f, bb[i] = bi[i] != 0;
  static const ep_op cmp[] = {EP_OP_EQUAL, EP_OP_LESS, EP_OP_GREATER, EP_OP_LESS_OR_EQUAL,
                              EP_OP_GREATER_OR_EQUAL};
  static const ep_op logic[] = {EP_OP_AND, EP_OP_OR, EP_OP_XOR};
  static const ep_op arith[] = {EP_OP_ADD, EP_OP_SUB, EP_OP_MUL, EP_OP_DIV};
  uint8_t wf[24], wi[24], wl[24], we[24];
  int64_t wa[24];
  for (int k = 0; k < 5; k++) {
    for (int64_t i = 0; i < 24; i++) {
      int64_t idx[3];
      unravel(i, &sy, idx);
      int64_t oa = bcast_at(&sa, idx, 3), ob = bcast_at(&sb, idx, 3);
      float u = af[oa], v = bf[ob];
      int64_t p = ai[oa], q = bi[ob];
      switch (cmp[k]) {
        case EP_OP_EQUAL: wf[i] = u == v; wi[i] = p == q; we[i] = ab[oa] == bb[ob]; break;
        case EP_OP_LESS: wf[i] = u < v; wi[i] = p < q; break;
        case EP_OP_GREATER: wf[i] = u > v; wi[i] = p > q; break;
        case EP_OP_LESS_OR_EQUAL: wf[i] = u <= v; wi[i] = p <= q; break;
        default: wf[i] = u >= v; wi[i] = p >= q; break;
      }
    }
    char what[64];
    snprintf(what, sizeof what, "%s float", ep_op_name(cmp[k]));
    expect(what, cmp[k], (ep_attrs){0}, (tin[]){in_f(sa, af), in_f(sb, bf)}, 2, EP_DTYPE_BOOL,
           sy, wf);
    snprintf(what, sizeof what, "%s int64", ep_op_name(cmp[k]));
    expect(what, cmp[k], (ep_attrs){0}, (tin[]){in_i(sa, ai), const_i(sb, bi)}, 2, EP_DTYPE_BOOL,
           sy, wi);
    if (cmp[k] == EP_OP_EQUAL) {
      expect("Equal bool", cmp[k], (ep_attrs){0}, (tin[]){in_b(sa, ab), in_b(sb, bb)}, 2,
             EP_DTYPE_BOOL, sy, we);
    }
  }
  for (int k = 0; k < 3; k++) {
    for (int64_t i = 0; i < 24; i++) {
      int64_t idx[3];
      unravel(i, &sy, idx);
      bool u = ab[bcast_at(&sa, idx, 3)], v = bb[bcast_at(&sb, idx, 3)];
      wl[i] = k == 0 ? (u && v) : k == 1 ? (u || v) : (u != v);
    }
    expect(ep_op_name(logic[k]), logic[k], (ep_attrs){0}, (tin[]){in_b(sa, ab), in_b(sb, bb)}, 2,
           EP_DTYPE_BOOL, sy, wl);
  }
  uint8_t not_a[6];
  for (int i = 0; i < 6; i++) not_a[i] = !ab[i];
  expect("Not", EP_OP_NOT, (ep_attrs){0}, (tin[]){in_b(sa, ab)}, 1, EP_DTYPE_BOOL, sa, not_a);
  for (int k = 0; k < 4; k++) {
    for (int64_t i = 0; i < 24; i++) {
      int64_t idx[3];
      unravel(i, &sy, idx);
      int64_t p = ai[bcast_at(&sa, idx, 3)], q = bi[bcast_at(&sb, idx, 3)];
      wa[i] = k == 0 ? p + q : k == 1 ? p - q : k == 2 ? p * q : q == 0 ? 0 : p / q;
    }
    char what[64];
    snprintf(what, sizeof what, "%s int64", ep_op_name(arith[k]));
    expect(what, arith[k], (ep_attrs){0}, (tin[]){in_i(sa, ai), in_i(sb, bi)}, 2, EP_DTYPE_INT64,
           sy, wa);
  }
  expect_error("Add int64 + float", EP_OP_ADD, (ep_attrs){0}, (tin[]){in_i(sa, ai), in_f(sb, bf)},
               2, "is float32, expected int64");
  expect_error("Less of bools", EP_OP_LESS, (ep_attrs){0}, (tin[]){in_b(sa, ab), in_b(sb, bb)}, 2,
               "expected float32 or int64");
  expect_error("And of int64", EP_OP_AND, (ep_attrs){0}, (tin[]){in_i(sa, ai), in_b(sb, bb)}, 2,
               "expected bool");
  expect_error("Relu of int64", EP_OP_RELU, (ep_attrs){0}, (tin[]){in_i(sa, ai)}, 1,
               "input 0 (in0) is int64, expected float32");
  expect_error("int64 Add with a fused activation", EP_OP_ADD, (ep_attrs){.act = EP_ACT_RELU},
               (tin[]){in_i(sa, ai), in_i(sb, bi)}, 2, "fused activation");
}

static void test_where(void) {
  ep_shape sc = shp(2, 1, 4, 0, 0), sx = shp(3, 2, 3, 1, 0), ss = shp(0, 0, 0, 0, 0);
  ep_shape sy = shp(3, 2, 3, 4, 0);
  uint8_t c[4] = {1, 0, 0, 1};
  float x[6], y[1] = {-7.5f}, want[24];
  int64_t xi[6], yi[1] = {-9}, want_i[24];
  ep_test_fill(&rng, x, 6, -1, 1);
  fill_i(xi, 6, 0, 100);
  for (int64_t i = 0; i < 24; i++) {
    int64_t idx[3];
    unravel(i, &sy, idx);
    bool take = c[bcast_at(&sc, idx, 3)];
    want[i] = take ? x[bcast_at(&sx, idx, 3)] : y[0];
    want_i[i] = take ? xi[bcast_at(&sx, idx, 3)] : yi[0];
  }
  expect("Where float", EP_OP_WHERE, (ep_attrs){0}, (tin[]){in_b(sc, c), in_f(sx, x), in_f(ss, y)},
         3, EP_DTYPE_FLOAT32, sy, want);
  expect("Where int64", EP_OP_WHERE, (ep_attrs){0},
         (tin[]){in_b(sc, c), in_i(sx, xi), const_i(ss, yi)}, 3, EP_DTYPE_INT64, sy, want_i);
  expect_error("Where float condition", EP_OP_WHERE, (ep_attrs){0},
               (tin[]){in_f(sx, x), in_f(sx, x), in_f(ss, y)}, 3, "expected bool");
  expect_error("Where of float and int64", EP_OP_WHERE, (ep_attrs){0},
               (tin[]){in_b(sc, c), in_f(sx, x), in_i(ss, yi)}, 3, "expected float32");
}

/* ONNX's clamping, written as the spec's pseudo-code: start and end per step sign. */
static void slice_ref(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t* first,
                      int64_t* count) {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = start < 0 ? 0 : start > dim ? dim : start;
    end = end < 0 ? 0 : end > dim ? dim : end;
  } else {
    start = start < 0 ? -1 : start > dim - 1 ? dim - 1 : start;
    end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
  }
  *first = start;
  *count = 0;
  for (int64_t i = start; step > 0 ? i < end : i > end; i += step) (*count)++;
}

static void test_slice(void) {
  ep_shape xs = shp(3, 4, 5, 6, 0);
  int64_t x[120];
  for (int i = 0; i < 120; i++) x[i] = i;
  static const struct {
    int k;
    int64_t starts[3], ends[3], axes[3], steps[3];
  } cases[] = {
      {2, {1, -4}, {3, 100}, {0, 2}, {1, 2}},
      {3, {-1, 4, 0}, {-100, 0, 6}, {1, -1, 0}, {-2, -1, 3}},
      {1, {2}, {INT64_MAX}, {-2}, {1}},
      /* Step-1 slices copied as runs: a leading-dim range (one run), a middle dim's range (a
       * run per leading index), everything (one run), the two inner dims' ranges, and a step-1
       * inner range under a strided outer dim. */
      {1, {1}, {3}, {0}, {1}},
      {1, {2}, {5}, {1}, {1}},
      {1, {0}, {100}, {0}, {1}},
      {2, {1, 2}, {3, 4}, {1, 2}, {1, 1}},
      {2, {0, 1}, {4, 6}, {0, 2}, {2, 1}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    int k = cases[c].k;
    int64_t first[3] = {0, 0, 0}, step[3] = {1, 1, 1};
    ep_shape ys = xs;
    for (int i = 0; i < k; i++) {
      int64_t axis = cases[c].axes[i] < 0 ? cases[c].axes[i] + 3 : cases[c].axes[i];
      slice_ref(xs.dims[axis], cases[c].starts[i], cases[c].ends[i], cases[c].steps[i],
                &first[axis], &ys.dims[axis]);
      step[axis] = cases[c].steps[i];
    }
    int64_t want[120];
    for (int64_t i = 0; i < ep_shape_numel(&ys); i++) {
      int64_t idx[3];
      unravel(i, &ys, idx);
      want[i] = ((first[0] + idx[0] * step[0]) * 5 + first[1] + idx[1] * step[1]) * 6 + first[2] +
                idx[2] * step[2];
    }
    ep_shape ks = shp(1, k, 0, 0, 0);
    char what[32];
    snprintf(what, sizeof what, "Slice case %zu", c);
    expect(what, EP_OP_SLICE, (ep_attrs){0},
           (tin[]){in_i(xs, x), const_i(ks, cases[c].starts), const_i(ks, cases[c].ends),
                   const_i(ks, cases[c].axes), const_i(ks, cases[c].steps)},
           5, EP_DTYPE_INT64, ys, want);
  }
  int64_t s[1] = {0}, e[1] = {2};
  int64_t want[60];
  for (int i = 0; i < 60; i++) want[i] = x[i];
  expect("Slice without axes and steps", EP_OP_SLICE, (ep_attrs){0},
         (tin[]){in_i(xs, x), const_i(shp(1, 1, 0, 0, 0), s), const_i(shp(1, 1, 0, 0, 0), e)}, 3,
         EP_DTYPE_INT64, shp(3, 2, 5, 6, 0), want);
  expect_error("Slice with computed starts", EP_OP_SLICE, (ep_attrs){0},
               (tin[]){in_i(xs, x), in_i(shp(1, 1, 0, 0, 0), s), const_i(shp(1, 1, 0, 0, 0), e)},
               3, "must be a constant");
}

static void test_shapes_and_fills(void) {
  ep_shape xs = shp(2, 3, 1, 0, 0);
  uint8_t xb[3] = {1, 0, 1};
  int64_t target[3] = {2, 1, 4};
  uint8_t want_b[24];
  for (int i = 0; i < 24; i++) want_b[i] = xb[(i / 4) % 3];
  expect("Expand bool", EP_OP_EXPAND, (ep_attrs){0},
         (tin[]){in_b(xs, xb), const_i(shp(1, 3, 0, 0, 0), target)}, 2, EP_DTYPE_BOOL,
         shp(3, 2, 3, 4, 0), want_b);
  int64_t dims[2] = {2, 3}, value[1] = {-5}, want_i[6] = {-5, -5, -5, -5, -5, -5};
  float zeros[6] = {0};
  expect("ConstantOfShape int64", EP_OP_CONSTANT_OF_SHAPE, (ep_attrs){0},
         (tin[]){const_i(shp(1, 2, 0, 0, 0), dims), const_i(shp(1, 1, 0, 0, 0), value)}, 2,
         EP_DTYPE_INT64, shp(2, 2, 3, 0, 0), want_i);
  expect("ConstantOfShape default", EP_OP_CONSTANT_OF_SHAPE, (ep_attrs){0},
         (tin[]){const_i(shp(1, 2, 0, 0, 0), dims)}, 1, EP_DTYPE_FLOAT32, shp(2, 2, 3, 0, 0),
         zeros);
  int64_t r[3] = {10, 1, -3}, want_r[3] = {10, 7, 4};
  ep_shape sc = shp(0, 0, 0, 0, 0);
  expect("Range int64", EP_OP_RANGE, (ep_attrs){0},
         (tin[]){const_i(sc, r), const_i(sc, r + 1), const_i(sc, r + 2)}, 3, EP_DTYPE_INT64,
         shp(1, 3, 0, 0, 0), want_r);
  float rf[3] = {1.0f, 2.0f, 0.25f}, want_rf[4] = {1.0f, 1.25f, 1.5f, 1.75f};
  tin fin[3];
  for (int i = 0; i < 3; i++) fin[i] = (tin){EP_DTYPE_FLOAT32, sc, rf + i, true};
  expect("Range float", EP_OP_RANGE, (ep_attrs){0}, fin, 3, EP_DTYPE_FLOAT32, shp(1, 4, 0, 0, 0),
         want_rf);
  float x[24] = {0};
  int64_t want_shape[4] = {2, 3, 1, 4}, want_size[1] = {24};
  expect("Shape", EP_OP_SHAPE, (ep_attrs){0}, (tin[]){in_f(shp(4, 2, 3, 1, 4), x)}, 1,
         EP_DTYPE_INT64, shp(1, 4, 0, 0, 0), want_shape);
  expect("Size", EP_OP_SIZE, (ep_attrs){0}, (tin[]){in_f(shp(4, 2, 3, 1, 4), x)}, 1,
         EP_DTYPE_INT64, sc, want_size);
  /* Concat and views of int64 and bool. */
  int64_t a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {7, 8}, want_c[8] = {1, 2, 3, 7, 4, 5, 6, 8};
  expect("Concat int64", EP_OP_CONCAT, (ep_attrs){.axis = 1},
         (tin[]){in_i(shp(2, 2, 3, 0, 0), a), const_i(shp(2, 2, 1, 0, 0), b)}, 2, EP_DTYPE_INT64,
         shp(2, 2, 4, 0, 0), want_c);
  uint8_t p[2] = {1, 0}, q[4] = {0, 0, 1, 1}, want_pq[6] = {1, 0, 0, 0, 1, 1};
  expect("Concat bool", EP_OP_CONCAT, (ep_attrs){0},
         (tin[]){in_b(shp(1, 2, 0, 0, 0), p), in_b(shp(1, 4, 0, 0, 0), q)}, 2, EP_DTYPE_BOOL,
         shp(1, 6, 0, 0, 0), want_pq);
  expect("Reshape int64", EP_OP_RESHAPE, (ep_attrs){.shape = shp(3, 3, 1, 2, 0)},
         (tin[]){in_i(shp(2, 2, 3, 0, 0), a)}, 1, EP_DTYPE_INT64, shp(3, 3, 1, 2, 0), a);
  expect("Flatten bool", EP_OP_FLATTEN, (ep_attrs){.axis = 0}, (tin[]){in_b(shp(2, 2, 2, 0, 0), q)},
         1, EP_DTYPE_BOOL, shp(2, 1, 4, 0, 0), q);
}

int main(void) {
  test_gather();
  test_cast();
  test_broadcast_ops();
  test_where();
  test_slice();
  test_shapes_and_fills();
  return ep_test_finish();
}

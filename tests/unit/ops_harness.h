/* Shared by the test_ops_*.c tests: builds a one-node graph, runs it through a session on 1 and 2
 * threads and compares every output with expected values and shapes. */
#ifndef EDGEPROF_TESTS_OPS_HARNESS_H
#define EDGEPROF_TESTS_OPS_HARNESS_H

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/graph.h"
#include "edgeprof/session.h"
#include "test_support.h"

enum { CASE_MAX_IO = 8 };

typedef struct op_case {
  ep_op op;
  ep_attrs attrs;
  int n_inputs;
  ep_shape shape[CASE_MAX_IO];
  const float* data[CASE_MAX_IO]; /* NULL: the input is absent (EP_TENSOR_ABSENT) */
  bool constant[CASE_MAX_IO];     /* a graph constant rather than a graph input */
  int n_outputs;
  ep_shape out_shape[CASE_MAX_IO];
  const float* expected[CASE_MAX_IO]; /* NULL: not checked */
} op_case;

static inline ep_shape shp(int rank, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
  int64_t dims[4] = {d0, d1, d2, d3};
  return ep_shape_make(rank, dims);
}

/* Builds the graph of `c`; NULL (and a failed check) if building fails. */
static inline ep_graph* case_graph(const op_case* c, bool expect_ok) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("case", &g));
  if (g == NULL) return NULL;
  int ids[CASE_MAX_IO], outs[CASE_MAX_IO];
  ep_status st = EP_OK;
  for (int i = 0; i < c->n_inputs && st == EP_OK; i++) {
    char name[16];
    snprintf(name, sizeof name, "in%d", i);
    if (c->data[i] == NULL) {
      ids[i] = EP_TENSOR_ABSENT;
    } else if (c->constant[i]) {
      st = ep_graph_add_constant(g, name, c->shape[i], c->data[i], &ids[i]);
    } else {
      st = ep_graph_add_input(g, name, c->shape[i], &ids[i]);
    }
  }
  if (st == EP_OK) {
    st = ep_graph_add_node(g, c->op, "node", &c->attrs, ids, c->n_inputs, c->n_outputs, NULL, outs);
  }
  for (int k = 0; k < c->n_outputs && st == EP_OK; k++) st = ep_graph_mark_output(g, outs[k]);
  if (st == EP_OK) st = ep_graph_finalize(g);
  if (expect_ok) EP_CHECK_MSG(st == EP_OK, "%s", ep_last_error());
  if (st != EP_OK) {
    ep_graph_destroy(g);
    return NULL;
  }
  return g;
}

/* The message of a case that must fail to build, "" if it built. */
static inline const char* case_error(const op_case* c) {
  ep_graph* g = case_graph(c, false);
  if (g != NULL) {
    ep_graph_destroy(g);
    return "";
  }
  return ep_last_error();
}

/* Runs the case; every output within tol (max |a - b| / max(1, max |expected|)). */
static inline void check_case(const char* what, const op_case* c, double tol) {
  ep_graph* g = case_graph(c, true);
  if (g == NULL) {
    fprintf(stderr, "  (case %s)\n", what);
    return;
  }
  for (int k = 0; k < c->n_outputs; k++) {
    const ep_shape* s = &ep_graph_tensor(g, ep_graph_output(g, k))->shape;
    char got[64], want[64];
    EP_CHECK_MSG(ep_shape_equal(s, &c->out_shape[k]), "%s: output %d has shape %s, expected %s",
                 what, k, ep_shape_format(s, got, sizeof got),
                 ep_shape_format(&c->out_shape[k], want, sizeof want));
  }
  for (int threads = 1; threads <= 2; threads++) {
    ep_session* s = NULL;
    ep_session_options opts = {threads, NULL, 0, NULL};
    EP_CHECK_OK(ep_session_create(g, &opts, &s));
    if (s == NULL) break;
    int input = 0;
    for (int i = 0; i < c->n_inputs; i++) {
      if (c->data[i] == NULL || c->constant[i]) continue;
      EP_CHECK_OK(
          ep_session_set_input(s, input++, c->data[i], (size_t)ep_shape_numel(&c->shape[i])));
    }
    /* Twice: a run must not depend on what the previous one left behind. */
    EP_CHECK_OK(ep_session_run(s));
    EP_CHECK_OK(ep_session_run(s));
    for (int k = 0; k < c->n_outputs; k++) {
      if (c->expected[k] == NULL) continue;
      size_t n = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, k))->shape);
      float* out = calloc(n, sizeof *out);
      EP_CHECK_OK(ep_session_get_output(s, k, out, n));
      double scale = 1.0, diff = 0.0;
      size_t worst = 0;
      for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(c->expected[k][i]));
      for (size_t i = 0; i < n; i++) {
        double d = fabs((double)out[i] - c->expected[k][i]);
        if (!(d <= diff)) {
          diff = d;
          worst = i;
        }
      }
      EP_CHECK_MSG(diff / scale <= tol,
                   "%s (%d threads): output %d differs by %g at %zu (got %g, expected %g)", what,
                   threads, k, diff, worst, n ? out[worst] : 0.0, n ? c->expected[k][worst] : 0.0);
      free(out);
    }
    ep_session_destroy(s);
  }
  ep_graph_destroy(g);
}

static inline bool contains(const char* s, const char* part) { return strstr(s, part) != NULL; }

#endif /* EDGEPROF_TESTS_OPS_HARNESS_H */

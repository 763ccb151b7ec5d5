/* Every zoo model on every backend of this build agrees with the CPU backend within the ONNX
 * Runtime cross-check tolerance (max |diff| <= 1e-4 * max |y|, and the same argmax): the
 * optimized graph (folded batch norms, fused activations and residuals), 2 threads, one seeded
 * input. Prints how many nodes each backend ran itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/graph.h"
#include "edgeprof/session.h"
#include "edgeprof/zoo.h"
#include "test_support.h"

enum { THREADS = 2 };

/* Runs g on `backend` and returns output 0 (malloc'd), NULL on failure. */
/* `others` gets the op names of the nodes the CPU backend ran instead. */
static float* run(const ep_graph* g, const char* backend, const float* x, size_t x_n,
                  size_t y_n, int* native_out, char* others, size_t others_size) {
  ep_session* s = NULL;
  ep_session_options opts = {THREADS, NULL, 0, backend};
  EP_CHECK_OK(ep_session_create(g, &opts, &s));
  if (s == NULL) return NULL;
  *native_out = 0;
  others[0] = '\0';
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    if (strcmp(ep_session_node_backend(s, i), backend) == 0) {
      (*native_out)++;
      continue;
    }
    const char* op = ep_op_name(ep_graph_node(g, i)->op);
    size_t used = strlen(others);
    if (strstr(others, op) == NULL) snprintf(others + used, others_size - used, " %s", op);
  }
  float* y = malloc(y_n * sizeof *y);
  EP_CHECK_OK(ep_session_set_input(s, 0, x, x_n));
  EP_CHECK_OK(ep_session_run(s));
  EP_CHECK_OK(ep_session_get_output(s, 0, y, y_n));
  ep_session_destroy(s);
  return y;
}

static size_t argmax(const float* y, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; i++) {
    if (y[i] > y[best]) best = i;
  }
  return best;
}

int main(void) {
  for (int i = 0; ep_backend_name(i) != NULL; i++) {
    char why[256];
    if (!ep_backend_available(ep_backend_name(i), why, sizeof why)) {
      printf("skip: backend %s is not available here: %s\n", ep_backend_name(i), why);
      return 77;
    }
  }
  ep_test_rng rng = {42};
  for (int m = 0; m < ep_zoo_count(); m++) {
    const ep_zoo_entry* e = ep_zoo_entry_at(m);
    if (e->set != EP_ZOO_PAPER) continue; /* the modern set's ops run on cpu in every backend */
    ep_graph *model = NULL, *g = NULL;
    EP_CHECK_OK(e->build(EP_ZOO_DEFAULT_SEED, &model));
    if (model != NULL) EP_CHECK_OK(ep_graph_optimize(model, EP_PASS_ALL, &g));
    ep_graph_destroy(model);
    if (g == NULL) continue;
    const size_t x_n = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_input(g, 0))->shape);
    const size_t y_n = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
    float* x = malloc(x_n * sizeof *x);
    ep_test_fill(&rng, x, x_n, -1.0f, 1.0f);
    int native = 0;
    char others[256];
    float* want = run(g, "cpu", x, x_n, y_n, &native, others, sizeof others);
    for (int b = 1; want != NULL && ep_backend_name(b) != NULL; b++) {
      const char* name = ep_backend_name(b);
      float* got = run(g, name, x, x_n, y_n, &native, others, sizeof others);
      if (got == NULL) continue;
      double scale = 0.0;
      for (size_t i = 0; i < y_n; i++) scale = fmax(scale, fabs(want[i]));
      double diff = ep_test_max_abs_diff(got, want, y_n);
      printf("%-14s on %-7s: %3d of %3d nodes native (cpu:%s), max|diff| %.3g (max|y| %.3g)\n",
             e->name, name, native, ep_graph_node_count(g), others[0] ? others : " none", diff,
             scale);
      EP_CHECK_MSG(diff <= 1e-4 * scale, "%s on %s: max|diff| %g > 1e-4 * max|y| (%g)", e->name,
                   name, diff, scale);
      EP_CHECK_MSG(argmax(got, y_n) == argmax(want, y_n), "%s on %s: argmax %zu, cpu %zu",
                   e->name, name, argmax(got, y_n), argmax(want, y_n));
      free(got);
    }
    free(want);
    free(x);
    ep_graph_destroy(g);
  }
  return ep_test_finish();
}

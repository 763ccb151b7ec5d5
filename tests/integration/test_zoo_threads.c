/* Every zoo model runs, gives finite outputs, and agrees across 1, 2 and 3 threads (max relative
 * difference <= 1e-5); running it as two ranges split anywhere gives the whole run's answer.
 * Where the residual fusion changes the graph (resnet50), the graph optimized without it agrees
 * too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/session.h"
#include "edgeprof/zoo.h"
#include "test_support.h"

static float* run_model(const ep_graph* g, int threads, const float* input, size_t n_in,
                        size_t n_out) {
  ep_session* s = NULL;
  ep_session_options opts = {threads, NULL, 0, NULL};
  float* out = calloc(n_out, sizeof *out);
  EP_CHECK_OK(ep_session_create(g, &opts, &s));
  if (s == NULL) return out;
  EP_CHECK_OK(ep_session_set_input(s, 0, input, n_in));
  /* Twice: a second run must not depend on state the first left behind. */
  EP_CHECK_OK(ep_session_run(s));
  EP_CHECK_OK(ep_session_run(s));
  EP_CHECK_OK(ep_session_get_output(s, 0, out, n_out));
  ep_session_destroy(s);
  return out;
}

/* Runs [0, k) then [k, n) in one session, at a few cut points. */
static void check_split(const ep_graph* g, const float* input, size_t n_in, const float* whole,
                        size_t n_out, const char* name) {
  ep_session* s = NULL;
  EP_CHECK_OK(ep_session_create(g, NULL, &s));
  if (s == NULL) return;
  int n = ep_graph_node_count(g);
  float* out = calloc(n_out, sizeof *out);
  int cuts[] = {0, 1, n / 3, n / 2, n - 1, n};
  for (size_t c = 0; c < sizeof cuts / sizeof cuts[0]; c++) {
    memset(out, 0, n_out * sizeof *out);
    EP_CHECK_OK(ep_session_set_input(s, 0, input, n_in));
    EP_CHECK_OK(ep_session_run_range(s, 0, cuts[c]));
    EP_CHECK_OK(ep_session_run_range(s, cuts[c], n));
    EP_CHECK_OK(ep_session_get_output(s, 0, out, n_out));
    double diff = ep_test_max_abs_diff(out, whole, n_out);
    EP_CHECK_MSG(diff == 0.0, "%s split at %d differs by %g", name, cuts[c], diff);
  }
  EP_CHECK(ep_session_run_range(s, 2, 1) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_session_run_range(s, 0, n + 1) == EP_ERR_INVALID_ARGUMENT);
  free(out);
  ep_session_destroy(s);
}

int main(void) {
  for (int m = 0; m < ep_zoo_count(); m++) {
    const ep_zoo_entry* entry = ep_zoo_entry_at(m);
    if (entry->set != EP_ZOO_PAPER) continue; /* the modern set: test_zoo_modern */
    if (!ep_test_zoo_selected(entry->name)) {
      printf("%s: not in EP_TEST_ZOO, skipped\n", entry->name);
      continue;
    }
    ep_graph *defined = NULL, *g = NULL;
    EP_CHECK_OK(entry->build(EP_ZOO_DEFAULT_SEED, &defined));
    if (defined == NULL) continue;
    EP_CHECK_OK(ep_graph_optimize(defined, EP_PASS_ALL, &g));
    if (g == NULL) {
      ep_graph_destroy(defined);
      continue;
    }
    size_t n_in = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_input(g, 0))->shape);
    size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
    float* input = malloc(n_in * sizeof *input);
    ep_test_rng rng = {42};
    ep_test_fill(&rng, input, n_in, -1.0f, 1.0f);

    float* one = run_model(g, 1, input, n_in, n_out);
    EP_CHECK_MSG(ep_test_all_finite(one, n_out), "%s: non-finite output", entry->name);
    /* Softmax outputs: each row sums to one. */
    double sum = 0;
    for (size_t i = 0; i < n_out; i++) sum += one[i];
    const ep_shape* os = &ep_graph_tensor(g, ep_graph_output(g, 0))->shape;
    double rows = (double)n_out / (double)os->dims[os->rank - 1];
    EP_CHECK_MSG(sum > rows * 0.999 && sum < rows * 1.001, "%s: softmax rows sum to %f", entry->name,
                 sum);
    for (int threads = 2; threads <= 3; threads++) {
      float* other = run_model(g, threads, input, n_in, n_out);
      double diff = ep_test_max_rel_diff(other, one, n_out);
      EP_CHECK_MSG(diff <= 1e-5, "%s: %d threads differ from 1 thread by %g", entry->name,
                   threads, diff);
      free(other);
    }
    ep_graph* unfused = NULL;
    EP_CHECK_OK(
        ep_graph_optimize(defined, EP_PASS_ALL & ~(unsigned)EP_PASS_FUSE_RESIDUAL, &unfused));
    if (unfused != NULL && ep_graph_node_count(unfused) != ep_graph_node_count(g)) {
      float* other = run_model(unfused, 1, input, n_in, n_out);
      double diff = ep_test_max_rel_diff(other, one, n_out);
      EP_CHECK_MSG(diff <= 1e-5, "%s: residual fusion changes the output by %g", entry->name, diff);
      printf("%s: %d nodes, %d without residual fusion: relative difference %g\n", entry->name,
             ep_graph_node_count(g), ep_graph_node_count(unfused), diff);
      free(other);
    }
    ep_graph_destroy(unfused);
    check_split(g, input, n_in, one, n_out, entry->name);
    printf("%s: ok (%zu outputs)\n", entry->name, n_out);
    free(one);
    free(input);
    ep_graph_destroy(g);
    ep_graph_destroy(defined);
  }
  return ep_test_finish();
}

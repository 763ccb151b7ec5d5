/* The modern zoo set (BERT-base, ViT-B/16, MobileNetV3-Large) runs and its fusions keep the
 * numbers: for each model, one inference of the graph as optimized (attention, LayerNorm, GELU,
 * SE and activation fusions, batch norm folded) against the graph as defined with no pass run,
 * on the same input, max |diff| <= 1e-3 x max |output| (the tolerance of long transformer
 * stacks; the ONNX Runtime cross-check, test_ort_crosscheck_modern.sh, checks the numbers
 * themselves); MobileNetV3 also at every ISA level against scalar (1e-4). Outputs are finite and
 * not constant. EP_TEST_ZOO (the emulated arm64 run) leaves them out unless named. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/cpu.h"
#include "edgeprof/session.h"
#include "edgeprof/zoo.h"
#include "test_support.h"

static float* run_model(const ep_graph* g, int threads, const float* input, size_t n_in,
                        size_t n_out) {
  ep_session* s = NULL;
  ep_session_options opts = {threads, NULL, 0, NULL};
  float* out = calloc(n_out, sizeof *out);
  EP_CHECK_OK(ep_session_create(g, &opts, &s));
  if (s == NULL || out == NULL) return out;
  EP_CHECK_OK(ep_session_set_input(s, 0, input, n_in));
  EP_CHECK_OK(ep_session_run(s));
  EP_CHECK_OK(ep_session_get_output(s, 0, out, n_out));
  ep_session_destroy(s);
  return out;
}

static double spread(const float* x, size_t n) {
  float lo = x[0], hi = x[0];
  for (size_t i = 1; i < n; i++) {
    if (x[i] < lo) lo = x[i];
    if (x[i] > hi) hi = x[i];
  }
  return (double)hi - (double)lo;
}

static void check_model(const ep_zoo_entry* e) {
  ep_graph *defined = NULL, *plain = NULL, *g = NULL;
  EP_CHECK_OK(e->build(EP_ZOO_DEFAULT_SEED, &defined));
  if (defined == NULL) return;
  EP_CHECK_OK(ep_graph_optimize(defined, 0, &plain));
  EP_CHECK_OK(ep_graph_optimize(defined, EP_PASS_ALL, &g));
  if (plain != NULL && g != NULL) {
    const size_t n_in = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_input(g, 0))->shape);
    const size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
    float* input = malloc(n_in * sizeof *input);
    ep_test_rng rng = {7};
    ep_test_fill(&rng, input, n_in, -1.0f, 1.0f);
    float* want = run_model(plain, 2, input, n_in, n_out);
    float* got = run_model(g, 2, input, n_in, n_out);
    double diff = ep_test_max_rel_diff(got, want, n_out);
    printf("%-13s %d nodes as defined, %d as optimized: max rel diff %.2e, output spread %.3g\n",
           e->name, ep_graph_node_count(plain), ep_graph_node_count(g), diff, spread(want, n_out));
    EP_CHECK_MSG(ep_test_all_finite(want, n_out) && ep_test_all_finite(got, n_out),
                 "%s: output not finite", e->name);
    EP_CHECK_MSG(diff <= 1e-3, "%s: optimized differs from defined by %g", e->name, diff);
    EP_CHECK_MSG(spread(want, n_out) > 1e-6, "%s: constant output", e->name);
    EP_CHECK_MSG(ep_graph_node_count(g) < ep_graph_node_count(plain), "%s: nothing fused", e->name);
    if (strcmp(e->name, "mobilenet_v3") == 0) {
      const ep_cpu_isa before = ep_cpu_isa_active();
      ep_cpu_isa_force(EP_ISA_SCALAR);
      float* scalar = run_model(g, 1, input, n_in, n_out);
      for (int level = EP_ISA_SCALAR + 1; level < EP_ISA_COUNT; level++) {
        if (!ep_cpu_isa_supported((ep_cpu_isa)level)) continue;
        ep_cpu_isa_force((ep_cpu_isa)level);
        float* at = run_model(g, 1, input, n_in, n_out);
        double d = ep_test_max_rel_diff(at, scalar, n_out);
        printf("%-13s %-7s max rel diff vs scalar %.2e\n", e->name,
               ep_cpu_isa_name((ep_cpu_isa)level), d);
        EP_CHECK_MSG(d <= 1e-4, "%s: %s differs from scalar by %g", e->name,
                     ep_cpu_isa_name((ep_cpu_isa)level), d);
        free(at);
      }
      ep_cpu_isa_force(before);
      free(scalar);
    }
    free(got);
    free(want);
    free(input);
  }
  ep_graph_destroy(g);
  ep_graph_destroy(plain);
  ep_graph_destroy(defined);
}

int main(void) {
  int ran = 0;
  for (int m = 0; m < ep_zoo_count(); m++) {
    const ep_zoo_entry* e = ep_zoo_entry_at(m);
    if (e->set != EP_ZOO_MODERN) continue;
    if (!ep_test_zoo_selected(e->name)) {
      printf("%s: not in EP_TEST_ZOO, skipped\n", e->name);
      continue;
    }
    check_model(e);
    ran++;
  }
  if (ran == 0) {
    printf("skip: no modern zoo model in EP_TEST_ZOO (%s)\n", getenv("EP_TEST_ZOO"));
    return 77;
  }
  return ep_test_finish();
}

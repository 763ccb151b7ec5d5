/* Every zoo model at every ISA level this machine supports agrees with the scalar kernels: the
 * outputs of one inference on the same input differ by at most 1e-4 relative (max |diff| over
 * max |scalar output|), at 1 thread and, for the best level, at 2 threads. Prints the levels
 * tested and skipped. */
#include <stdio.h>
#include <stdlib.h>

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

int main(void) {
  const ep_cpu_isa before = ep_cpu_isa_active();
  const ep_cpu_isa best = ep_cpu_isa_best();
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
    const size_t n_in = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_input(g, 0))->shape);
    const size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
    float* input = malloc(n_in * sizeof *input);
    ep_test_rng rng = {99};
    ep_test_fill(&rng, input, n_in, -1.0f, 1.0f);
    /* Sessions pack their weights for the level active when they are created. */
    ep_cpu_isa_force(EP_ISA_SCALAR);
    float* scalar = run_model(g, 1, input, n_in, n_out);
    EP_CHECK_MSG(ep_test_all_finite(scalar, n_out), "%s: scalar output not finite", entry->name);
    for (int level = EP_ISA_SCALAR + 1; level < EP_ISA_COUNT; level++) {
      if (!ep_cpu_isa_supported((ep_cpu_isa)level)) continue;
      ep_cpu_isa_force((ep_cpu_isa)level);
      for (int threads = 1; threads <= (level == (int)best ? 2 : 1); threads++) {
        float* got = run_model(g, threads, input, n_in, n_out);
        const double diff = ep_test_max_rel_diff(got, scalar, n_out);
        EP_CHECK_MSG(diff <= 1e-4, "%s: %s at %d thread(s) differs from scalar by %g", entry->name,
                     ep_cpu_isa_name((ep_cpu_isa)level), threads, diff);
        printf("%-13s %-7s %d thread(s): max rel diff vs scalar %.2e\n", entry->name,
               ep_cpu_isa_name((ep_cpu_isa)level), threads, diff);
        free(got);
      }
    }
    free(scalar);
    free(input);
    ep_graph_destroy(g);
    ep_graph_destroy(defined);
  }
  ep_cpu_isa_force(before);
  printf("ISA levels compared with scalar:");
  for (int level = EP_ISA_SCALAR + 1; level < EP_ISA_COUNT; level++) {
    if (ep_cpu_isa_supported((ep_cpu_isa)level)) printf(" %s", ep_cpu_isa_name((ep_cpu_isa)level));
  }
  printf("%s; skipped:", best == EP_ISA_SCALAR ? " none" : "");
  for (int level = EP_ISA_SCALAR + 1; level < EP_ISA_COUNT; level++) {
    if (!ep_cpu_isa_supported((ep_cpu_isa)level)) printf(" %s", ep_cpu_isa_name((ep_cpu_isa)level));
  }
  printf(" (not supported by this CPU or build)\n");
  return ep_test_finish();
}

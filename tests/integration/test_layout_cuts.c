/* Blocked tensors never leak out of a run range: MobileNet v1 and ResNet-50 in a session that
 * blocks their convolution outputs (NCHW8c) and in one made with EDGEPROF_LAYOUT=nchw, run to
 * every cut k (every other one for ResNet-50, whose cuts cross residuals: two blocked tensors).
 * The tensors crossing the cut read the same in both (NCHW, 1e-4 relative); finishing the run
 * from there gives the whole run's output exactly, and so does it from the NCHW session's
 * tensors to 1e-4 (what a server does with an edge's upload). An empty range changes nothing.
 * Runs at the active level, or at avx2 where that has no blocked kernels; skips (77) where they are
 * not available. The blocked session asks for the plan (EDGEPROF_LAYOUT=auto): neon has the
 * kernels but plans NCHW by default (kernel-config.c). The emulated arm64 run (EP_TEST_ZOO set,
 * the Makefile's test-arm64) keeps to the models it names and checks every 8th cut: every cut of
 * MobileNet v1 under qemu took over 25 minutes. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/cpu.h"
#include "edgeprof/session.h"
#include "edgeprof/zoo.h"
#include "kernels/f32-nchwc/nchwc.h"
#include "runtime/session_internal.h"
#include "test_support.h"

typedef struct model {
  const char* name;
  int expected_blocked, cut_step;
  ep_graph* g;
  int n_nodes;
  size_t n_in, n_out;
  float *input, *whole, *out;
  int* cut; /* cut tensor ids, room for all */
} model;

static int blocked_count(const ep_session* s) {
  int count = 0;
  for (int t = 0; t < ep_graph_tensor_count(ep_session_graph(s)); t++) {
    count += ep_session_tensor_layout(s, t) == EP_LAYOUT_NCHW8C;
  }
  return count;
}

static size_t numel(const ep_graph* g, int t) {
  return (size_t)ep_shape_numel(&ep_graph_tensor(g, t)->shape);
}

/* Runs [0, k) in both sessions and compares the tensors crossing the cut. */
static void check_head(model* m, ep_session* blocked, ep_session* plain, int k) {
  EP_CHECK_OK(ep_session_set_input(blocked, 0, m->input, m->n_in));
  EP_CHECK_OK(ep_session_set_input(plain, 0, m->input, m->n_in));
  EP_CHECK_OK(ep_session_run_range(blocked, 0, k));
  EP_CHECK_OK(ep_session_run_range(blocked, k, k));
  EP_CHECK_OK(ep_session_run_range(plain, 0, k));
  int n = ep_graph_cut_tensors(m->g, k, m->cut, ep_graph_tensor_count(m->g));
  for (int i = 0; i < n; i++) {
    int t = m->cut[i];
    double diff = ep_test_max_rel_diff(ep_session_tensor_data(blocked, t),
                                       ep_session_tensor_data(plain, t), numel(m->g, t));
    EP_CHECK_MSG(diff <= 1e-4, "cut %d: tensor %s (%s in the session) differs by %g", k,
                 ep_graph_tensor(m->g, t)->name,
                 ep_session_tensor_layout(blocked, t) == EP_LAYOUT_NCHW8C ? "blocked" : "NCHW",
                 diff);
  }
}

/* Runs [k, n) in the blocked session and compares its output with the whole run's. */
static double tail_diff(model* m, ep_session* blocked, int k) {
  memset(m->out, 0, m->n_out * sizeof *m->out);
  EP_CHECK_OK(ep_session_run_range(blocked, k, m->n_nodes));
  EP_CHECK_OK(ep_session_get_output(blocked, 0, m->out, m->n_out));
  return ep_test_max_rel_diff(m->out, m->whole, m->n_out);
}

static void check_cut(model* m, ep_session* blocked, ep_session* plain, int k) {
  check_head(m, blocked, plain, k);
  double own = tail_diff(m, blocked, k);
  EP_CHECK_MSG(own == 0.0, "cut %d: [0, k) then [k, n) differs from the whole run by %g", k, own);
  /* The NCHW session's tensors at the cut, as a caller would write them. */
  int n = ep_graph_cut_tensors(m->g, k, m->cut, ep_graph_tensor_count(m->g));
  for (int i = 0; i < n; i++) {
    int t = m->cut[i];
    memcpy(ep_session_tensor_data(blocked, t), ep_session_tensor_data(plain, t),
           numel(m->g, t) * sizeof(float));
  }
  double written = tail_diff(m, blocked, k);
  EP_CHECK_MSG(written <= 1e-4, "cut %d: [k, n) from written tensors differs by %g", k, written);
}

static ep_session* create(const ep_graph* g, const char* layout_env) {
  if (layout_env != NULL) setenv("EDGEPROF_LAYOUT", layout_env, 1);
  ep_session* s = NULL;
  EP_CHECK_OK(ep_session_create(g, NULL, &s));
  unsetenv("EDGEPROF_LAYOUT");
  return s;
}

static void run(model* m) {
  ep_session* blocked = create(m->g, "auto");
  ep_session* plain = create(m->g, "nchw");
  if (blocked == NULL || plain == NULL) goto cleanup;
  int n_blocked = blocked_count(blocked);
  EP_CHECK_MSG(n_blocked == m->expected_blocked, "%s: %d tensors blocked, expected %d", m->name,
               n_blocked, m->expected_blocked);
  EP_CHECK(blocked_count(plain) == 0);
  EP_CHECK_OK(ep_session_set_input(blocked, 0, m->input, m->n_in));
  EP_CHECK_OK(ep_session_run(blocked));
  EP_CHECK_OK(ep_session_get_output(blocked, 0, m->whole, m->n_out));
  EP_CHECK_OK(ep_session_set_input(plain, 0, m->input, m->n_in));
  EP_CHECK_OK(ep_session_run(plain));
  EP_CHECK_OK(ep_session_get_output(plain, 0, m->out, m->n_out));
  double diff = ep_test_max_rel_diff(m->whole, m->out, m->n_out);
  EP_CHECK_MSG(diff <= 1e-4, "blocked and NCHW sessions differ by %g", diff);
  int cuts = 0;
  for (int k = 0; k <= m->n_nodes; k++) {
    if (k % m->cut_step != 0 && k != m->n_nodes) continue;
    check_cut(m, blocked, plain, k);
    cuts++;
  }
  printf("%s: %d tensors blocked, %d cuts checked; blocked vs NCHW output %.2e\n", m->name,
         n_blocked, cuts, diff);

cleanup:
  ep_session_destroy(blocked);
  ep_session_destroy(plain);
}

int main(void) {
  unsetenv("EDGEPROF_LAYOUT");
  /* The active level's blocked kernels, else avx2's. */
  const ep_cpu_isa before = ep_cpu_isa_active();
  if (!ep_nchwc_available() && before > EP_ISA_AVX2) ep_cpu_isa_force(EP_ISA_AVX2);
  if (!ep_nchwc_available()) {
    printf("skipped: the blocked NCHW8c kernels need AVX2 + FMA or NEON (active level %s)\n",
           ep_cpu_isa_name(ep_cpu_isa_active()));
    return 77;
  }
  const model models[] = {{.name = "mobilenet_v1", .expected_blocked = 27, .cut_step = 1},
                          {.name = "resnet50", .expected_blocked = 54, .cut_step = 2}};
  const char* zoo = getenv("EP_TEST_ZOO");
  const bool emulated = zoo != NULL && zoo[0] != '\0';
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    model m = models[i];
    if (!ep_test_zoo_selected(m.name)) {
      printf("%s: not in EP_TEST_ZOO, left out\n", m.name);
      continue;
    }
    if (emulated) m.cut_step *= 8;
    ep_graph* defined = NULL;
    EP_CHECK_OK(ep_zoo_build(m.name, EP_ZOO_DEFAULT_SEED, &defined));
    if (defined != NULL) EP_CHECK_OK(ep_graph_optimize(defined, EP_PASS_ALL, &m.g));
    ep_graph_destroy(defined);
    if (m.g == NULL) continue;
    m.n_nodes = ep_graph_node_count(m.g);
    m.n_in = numel(m.g, ep_graph_input(m.g, 0));
    m.n_out = numel(m.g, ep_graph_output(m.g, 0));
    m.input = malloc(m.n_in * sizeof *m.input);
    m.whole = calloc(m.n_out, sizeof *m.whole);
    m.out = calloc(m.n_out, sizeof *m.out);
    m.cut = malloc((size_t)ep_graph_tensor_count(m.g) * sizeof *m.cut);
    if (m.input != NULL && m.whole != NULL && m.out != NULL && m.cut != NULL) {
      ep_test_rng rng = {2024};
      ep_test_fill(&rng, m.input, m.n_in, -1.0f, 1.0f);
      run(&m);
    }
    free(m.input);
    free(m.whole);
    free(m.out);
    free(m.cut);
    ep_graph_destroy(m.g);
  }
  ep_cpu_isa_force(before);
  return ep_test_finish();
}

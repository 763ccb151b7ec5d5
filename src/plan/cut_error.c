/* The output error of compressed cut tensors, measured by running the model here: float32
 * against the same run with each hop's tensors encoded and restored. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/plan.h"
#include "edgeprof/session.h"

/* Uniform in [-1, 1) from splitmix64 (the same draw as `edgeprof run`). */
static void fill_random(float* x, int64_t n, uint64_t* state) {
  for (int64_t i = 0; i < n; i++) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    x[i] = (float)((double)(z >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
  }
}

static void set_inputs(ep_session* session, const ep_graph* g, const float* const* inputs,
                       uint64_t seed) {
  uint64_t state = seed;
  for (int i = 0; i < ep_graph_input_count(g); i++) {
    int id = ep_graph_input(g, i);
    int64_t n = ep_shape_numel(&ep_graph_tensor(g, id)->shape);
    if (inputs != NULL) {
      memcpy(ep_session_tensor_data(session, id), inputs[i], (size_t)n * sizeof(float));
    } else {
      fill_random(ep_session_tensor_data(session, id), n, &state);
    }
  }
}

static int64_t argmax(const float* x, int64_t n) {
  int64_t best = 0;
  for (int64_t i = 1; i < n; i++) {
    if (x[i] > x[best]) best = i;
  }
  return best;
}

ep_status ep_plan_cut_error_measure(const ep_graph* graph, const ep_plan_partition* partition,
                                    const float* const* inputs, uint64_t seed,
                                    ep_plan_cut_error* error_out) {
  ep_graph* g = NULL;
  ep_session* session = NULL;
  float** ref = NULL;
  int* ids = NULL;
  int first[EP_TIER_COUNT + 1];
  int non_float = ep_graph_first_non_float(graph);
  if (non_float >= 0) {
    return ep_error(EP_ERR_UNSUPPORTED, "cut error: %s has %s tensor %s (float32 models only)",
                    ep_graph_name(graph), ep_dtype_name(ep_graph_tensor(graph, non_float)->dtype),
                    ep_graph_tensor(graph, non_float)->name);
  }
  ep_status status = ep_plan_partition_graph(graph, partition, &g, first);
  if (status != EP_OK) return status;
  int n = ep_graph_node_count(g);
  int n_out = ep_graph_output_count(g);
  ref = calloc((size_t)n_out + 1, sizeof *ref);
  ids = calloc((size_t)ep_graph_tensor_count(g) + 1, sizeof *ids);
  if (ref == NULL || ids == NULL) goto oom;
  ep_session_options options = {.threads = 1};
  status = ep_session_create(g, &options, &session);
  if (status != EP_OK) goto cleanup;
  set_inputs(session, g, inputs, seed);
  status = ep_session_run(session);
  if (status != EP_OK) goto cleanup;
  for (int o = 0; o < n_out; o++) {
    int64_t count = ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, o))->shape);
    ref[o] = malloc((size_t)count * sizeof *ref[o] + 1);
    if (ref[o] == NULL) goto oom;
    status = ep_session_get_output(session, o, ref[o], (size_t)count);
    if (status != EP_OK) goto cleanup;
  }
  /* Again, hop by hop: run up to the receiving tier, then compress what crosses. */
  set_inputs(session, g, inputs, seed);
  int at = 0;
  for (int h = 0; h < partition->n_hops; h++) {
    int k = first[partition->hops[h].to_tier];
    if (k > at) status = ep_session_run_range(session, at, k);
    if (status != EP_OK) goto cleanup;
    at = k;
    int count = ep_plan_upload_tensors(g, k, ids, ep_graph_tensor_count(g));
    for (int i = 0; i < count; i++) {
      const ep_shape* s = &ep_graph_tensor(g, ids[i])->shape;
      ep_codec_shape cs = ep_codec_shape_of(s->rank, s->dims);
      ep_tensor_round_trip(partition->dtype, &cs, ep_session_tensor_data(session, ids[i]));
    }
  }
  if (n > at) status = ep_session_run_range(session, at, n);
  if (status != EP_OK) goto cleanup;
  ep_plan_cut_error e = {0};
  for (int o = 0; o < n_out; o++) {
    const ep_shape* s = &ep_graph_tensor(g, ep_graph_output(g, o))->shape;
    int64_t count = ep_shape_numel(s);
    float* y = malloc((size_t)count * sizeof *y + 1);
    if (y == NULL) goto oom;
    status = ep_session_get_output(session, o, y, (size_t)count);
    for (int64_t i = 0; status == EP_OK && i < count; i++) {
      double d = fabs((double)y[i] - ref[o][i]);
      if (!(d <= e.max_abs)) e.max_abs = isnan(d) ? INFINITY : d;
      if (fabs(ref[o][i]) > e.max_ref) e.max_ref = fabs(ref[o][i]);
    }
    if (status == EP_OK && o == 0 && count > 0) {
      int64_t classes = s->rank > 0 && s->dims[s->rank - 1] > 0 ? s->dims[s->rank - 1] : count;
      e.rows = (int)(count / classes);
      for (int r = 0; r < e.rows; r++) {
        e.rows_agree += argmax(y + r * classes, classes) == argmax(ref[0] + r * classes, classes);
      }
    }
    free(y);
    if (status != EP_OK) goto cleanup;
  }
  e.relative = e.max_ref > 0 ? e.max_abs / e.max_ref : e.max_abs > 0 ? INFINITY : 0.0;
  *error_out = e;
  goto cleanup;
oom:
  status = ep_error(EP_ERR_OUT_OF_MEMORY, "plan: no memory to measure the cut's error");
cleanup:
  for (int o = 0; ref != NULL && o < n_out; o++) free(ref[o]);
  free(ref);
  free(ids);
  ep_session_destroy(session);
  ep_graph_destroy(g);
  return status;
}

/* A fitted device: what it says about itself, and predictions from it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predict/predict_internal.h"

void ep_predict_device_destroy(ep_predict_device* d) {
  if (d == NULL) return;
  for (int c = 0; c < d->n_configs; c++) {
    for (int k = 0; k < EP_PREDICT_CLASS_COUNT; k++) ep_class_model_clear(&d->configs[c].models[k]);
  }
  free(d);
}

void ep_predict_device_info_get(const ep_predict_device* d, ep_predict_device_info* out) {
  if (d != NULL && out != NULL) *out = d->info;
}

static const ep_predict_config* find_config(const ep_predict_device* d, int threads) {
  for (int c = 0; c < d->n_configs; c++) {
    if (d->configs[c].threads == threads) return &d->configs[c];
  }
  return NULL;
}

static void thread_list(const ep_predict_device* d, char* buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int c = 0; c < d->n_configs && used < size; c++) {
    used += (size_t)snprintf(buf + used, size - used, "%s%d", c ? ", " : "", d->configs[c].threads);
  }
}

ep_status ep_predict_device_class_fit(const ep_predict_device* d, int threads, ep_predict_class c,
                                      ep_predict_class_fit* out) {
  const ep_predict_config* cfg = d != NULL ? find_config(d, threads) : NULL;
  if (cfg == NULL || (int)c < 0 || c >= EP_PREDICT_CLASS_COUNT) {
    return ep_error(EP_ERR_NOT_FOUND, "no model for %d threads and class %d", threads, (int)c);
  }
  const ep_class_model* m = &cfg->models[c];
  out->samples = m->present ? m->samples : 0;
  out->train_median_error = m->present ? m->train_median_error : -1.0;
  return EP_OK;
}

/* How cold a network's layers run: a network whose weights fit well in the last-level cache
 * finds them there run after run (0), one with twice its size or more never does (1). */
static double cold_share(const ep_graph* g, double llc) {
  double weights = 0.0;
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    weights += (double)ep_graph_node(g, i)->cost.weight_bytes;
  }
  double w = (weights - 0.5 * llc) / (1.5 * llc);
  return w < 0 ? 0 : w > 1 ? 1 : w;
}

ep_status ep_predict_graph(const ep_predict_device* d, const ep_graph* graph, int threads,
                           double* node_ms_out) {
  if (d == NULL || graph == NULL || node_ms_out == NULL || !ep_graph_is_finalized(graph)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_predict_graph: NULL argument or unfinalized graph");
  }
  const ep_predict_config* cfg = find_config(d, threads);
  if (cfg == NULL) {
    char list[128];
    thread_list(d, list, sizeof list);
    return ep_error(EP_ERR_NOT_FOUND, "the device was fitted for %s thread%s, not %d", list,
                    d->n_configs == 1 && d->configs[0].threads == 1 ? "" : "s", threads);
  }
  int n = ep_graph_node_count(graph);
  for (int i = 0; i < n; i++) {
    ep_predict_class c = ep_predict_node_class(graph, ep_graph_node(graph, i));
    if (c != EP_PREDICT_VIEW && !cfg->models[c].present) {
      return ep_error(EP_ERR_NOT_FOUND,
                      "the device has no model for %s nodes (%s, %s) at %d thread%s: fit with a "
                      "larger --budget",
                      ep_predict_class_name(c), ep_graph_node(graph, i)->name,
                      ep_op_name(ep_graph_node(graph, i)->op), threads, threads == 1 ? "" : "s");
    }
  }
  bool* blocked = ep_pf_blocked_tensors(graph);
  double* ms = malloc(((size_t)n + 1) * sizeof *ms);
  if (blocked == NULL || ms == NULL) {
    free(blocked);
    free(ms);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to predict %d nodes", n);
  }
  double cold = cold_share(graph, d->info.llc_bytes);
  for (int i = 0; i < n; i++) {
    const ep_node* node = ep_graph_node(graph, i);
    ep_predict_class c = ep_predict_node_class(graph, node);
    if (c == EP_PREDICT_VIEW) {
      ms[i] = 0.0;
      continue;
    }
    float f[EP_PF_COUNT];
    double macs, bytes;
    ep_pf_compute(graph, i, blocked, f);
    ep_pf_work(graph, node, &macs, &bytes);
    f[EP_PF_COLD] = 0.0f;
    double warm_ms = ep_gbdt_predict(&cfg->models[c], f, macs, bytes);
    f[EP_PF_COLD] = 1.0f;
    double cold_ms = ep_gbdt_predict(&cfg->models[c], f, macs, bytes);
    ms[i] = (1.0 - cold) * warm_ms + cold * cold_ms;
  }
  memcpy(node_ms_out, ms, (size_t)n * sizeof *ms);
  free(blocked);
  free(ms);
  return EP_OK;
}

/* The planner: latency and edge energy of every cut position, and the best one. */
#include "edgeprof/plan.h"
#include "plan/partition_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ep_plan_upload_tensors(const ep_graph* graph, int k, int* ids, int max) {
  if (graph == NULL || k < 0 || k > ep_graph_node_count(graph)) return 0;
  int count = 0;
  for (int id = 0; id < ep_graph_tensor_count(graph); id++) {
    const ep_tensor* t = ep_graph_tensor(graph, id);
    if (t->kind == EP_TENSOR_CONSTANT) continue;
    bool before = t->kind == EP_TENSOR_INPUT || t->producer < k;
    if (before && t->last_consumer >= k) {
      if (ids != NULL && count < max) ids[count] = id;
      count++;
    }
  }
  return count;
}

int ep_plan_download_tensors(const ep_graph* graph, int k, int* ids, int max) {
  if (graph == NULL || k < 0 || k > ep_graph_node_count(graph)) return 0;
  int count = 0;
  for (int i = 0; i < ep_graph_output_count(graph); i++) {
    int id = ep_graph_output(graph, i);
    const ep_tensor* t = ep_graph_tensor(graph, id);
    if (t->kind == EP_TENSOR_ACTIVATION && t->producer >= k) {
      if (ids != NULL && count < max) ids[count] = id;
      count++;
    }
  }
  return count;
}

static int64_t tensor_bytes(const ep_graph* graph, int id) {
  return 4 * ep_shape_numel(&ep_graph_tensor(graph, id)->shape);
}

int64_t ep_plan_upload_bytes(const ep_graph* graph, int k) {
  int64_t bytes = 0;
  if (graph == NULL || k < 0 || k > ep_graph_node_count(graph)) return 0;
  for (int id = 0; id < ep_graph_tensor_count(graph); id++) {
    const ep_tensor* t = ep_graph_tensor(graph, id);
    if (t->kind == EP_TENSOR_CONSTANT) continue;
    bool before = t->kind == EP_TENSOR_INPUT || t->producer < k;
    if (before && t->last_consumer >= k) bytes += tensor_bytes(graph, id);
  }
  return bytes;
}

int64_t ep_plan_download_bytes(const ep_graph* graph, int k) {
  int64_t bytes = 0;
  if (graph == NULL || k < 0 || k > ep_graph_node_count(graph)) return 0;
  for (int i = 0; i < ep_graph_output_count(graph); i++) {
    int id = ep_graph_output(graph, i);
    const ep_tensor* t = ep_graph_tensor(graph, id);
    if (t->kind == EP_TENSOR_ACTIVATION && t->producer >= k) bytes += tensor_bytes(graph, id);
  }
  return bytes;
}

const char* ep_plan_objective_name(ep_plan_objective objective) {
  return objective == EP_PLAN_ENERGY ? "energy" : "latency";
}

ep_status ep_plan_objective_parse(const char* text, ep_plan_objective* objective_out) {
  if (text != NULL && strcmp(text, "latency") == 0) {
    *objective_out = EP_PLAN_LATENCY;
  } else if (text != NULL && strcmp(text, "energy") == 0) {
    *objective_out = EP_PLAN_ENERGY;
  } else {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "unknown objective '%s' (latency or energy)",
                    text != NULL ? text : "");
  }
  return EP_OK;
}

static ep_status check_inputs(const ep_graph* graph, const double* edge_ms, const double* server_ms,
                              const ep_network* net, const ep_power_model* power) {
  if (graph == NULL || !ep_graph_is_finalized(graph) || edge_ms == NULL || server_ms == NULL ||
      net == NULL || power == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT,
                    "plan: a finalized graph, times, network and power "
                    "model are required");
  }
  if (!(net->uplink_bps > 0) || !(net->downlink_bps > 0) || !(net->rtt_s >= 0) ||
      !isfinite(net->uplink_bps) || !isfinite(net->downlink_bps) || !isfinite(net->rtt_s)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT,
                    "plan: bandwidths must be positive and the RTT non-negative");
  }
  if (!(power->compute_w >= 0) || !(power->idle_w >= 0) || !(power->radio_w >= 0)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "plan: power figures must be non-negative");
  }
  for (int i = 0; i < ep_graph_node_count(graph); i++) {
    if (!(edge_ms[i] >= 0) || !(server_ms[i] >= 0) || !isfinite(edge_ms[i]) ||
        !isfinite(server_ms[i])) {
      return ep_error(EP_ERR_INVALID_ARGUMENT,
                      "plan: node %d (%s) has a negative or non-finite "
                      "time",
                      i, ep_graph_node(graph, i)->name);
    }
  }
  return EP_OK;
}

/* a better than b: lower by more than a rounding error; equal values keep the larger k. */
static bool better(double a, double b) { return a < b - 1e-9 * fmax(1.0, fabs(b)); }

ep_status ep_plan_compute(const ep_graph* graph, const double* edge_ms, const double* server_ms,
                          const ep_network* network, const ep_power_model* power,
                          ep_plan_objective objective, ep_plan** plan_out) {
  return ep_plan_compute_encoded(graph, edge_ms, server_ms, network, power, objective, EP_CUT_FP32,
                                 plan_out);
}

/* Bytes of the tensors uploaded at cut k, each encoded as `dtype`. */
static int64_t upload_bytes_encoded(const ep_graph* graph, int k, ep_cut_dtype dtype) {
  int64_t bytes = 0;
  for (int id = 0; id < ep_graph_tensor_count(graph); id++) {
    const ep_tensor* t = ep_graph_tensor(graph, id);
    if (t->kind == EP_TENSOR_CONSTANT) continue;
    bool before = t->kind == EP_TENSOR_INPUT || t->producer < k;
    if (before && t->last_consumer >= k) bytes += ep_plan_tensor_bytes(graph, id, dtype);
  }
  return bytes;
}

ep_status ep_plan_compute_encoded(const ep_graph* graph, const double* edge_ms,
                                  const double* server_ms, const ep_network* network,
                                  const ep_power_model* power, ep_plan_objective objective,
                                  ep_cut_dtype dtype, ep_plan** plan_out) {
  ep_status status = check_inputs(graph, edge_ms, server_ms, network, power);
  if (status != EP_OK) return status;
  if ((int)dtype < 0 || (int)dtype > EP_CUT_INT8_CHANNEL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "plan: unknown cut dtype %d", (int)dtype);
  }
  int n = ep_graph_node_count(graph);
  ep_plan* plan = calloc(1, sizeof *plan);
  if (plan != NULL) plan->cuts = calloc((size_t)n + 1, sizeof *plan->cuts);
  if (plan == NULL || plan->cuts == NULL) {
    ep_plan_destroy(plan);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a plan of %d cuts", n + 1);
  }
  plan->n_nodes = n;
  plan->n_cuts = n + 1;
  plan->objective = objective;
  plan->dtype = dtype;
  plan->network = *network;
  plan->power = *power;
  for (int i = 0; i < 3; i++) {
    snprintf(plan->power_source[i], sizeof plan->power_source[i], "default");
  }

  /* Edge time of [0, k) as a prefix sum; server time of [k, n) as a suffix sum, summed from the
   * back so that each cut's figure is exact to the last node. */
  double* suffix = calloc((size_t)n + 1, sizeof *suffix);
  if (suffix == NULL) {
    ep_plan_destroy(plan);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a plan of %d cuts", n + 1);
  }
  for (int i = n - 1; i >= 0; i--) suffix[i] = suffix[i + 1] + server_ms[i];
  double edge_prefix = 0.0;
  for (int k = 0; k <= n; k++) {
    ep_plan_cut* c = &plan->cuts[k];
    c->k = k;
    c->edge_ms = edge_prefix;
    if (k < n) {
      c->upload_tensors = ep_plan_upload_tensors(graph, k, NULL, 0);
      c->upload_bytes = upload_bytes_encoded(graph, k, dtype);
      c->download_bytes = ep_plan_download_bytes(graph, k);
      c->upload_ms = 1e3 * (double)c->upload_bytes * 8.0 / network->uplink_bps;
      c->download_ms = 1e3 * (double)c->download_bytes * 8.0 / network->downlink_bps;
      c->rtt_ms = 1e3 * network->rtt_s;
      c->server_ms = suffix[k];
    }
    c->total_ms = c->edge_ms + c->upload_ms + c->rtt_ms + c->server_ms + c->download_ms;
    /* W x ms = mJ. */
    c->energy_mj = power->compute_w * c->edge_ms +
                   power->radio_w * (c->upload_ms + c->rtt_ms + c->download_ms) +
                   power->idle_w * c->server_ms;
    if (k < n) edge_prefix += edge_ms[k];
  }
  free(suffix);
  plan->best_latency = 0;
  plan->best_energy = 0;
  for (int k = 1; k <= n; k++) {
    if (!better(plan->cuts[plan->best_latency].total_ms, plan->cuts[k].total_ms)) {
      plan->best_latency = k;
    }
    if (!better(plan->cuts[plan->best_energy].energy_mj, plan->cuts[k].energy_mj)) {
      plan->best_energy = k;
    }
  }
  plan->best = objective == EP_PLAN_ENERGY ? plan->best_energy : plan->best_latency;
  *plan_out = plan;
  return EP_OK;
}

void ep_plan_destroy(ep_plan* plan) {
  if (plan == NULL) return;
  free(plan->cuts);
  free(plan);
}

ep_status ep_plan_sweep(const ep_graph* graph, const double* edge_ms, const double* server_ms,
                        const ep_network* network, double fixed_downlink_bps,
                        const ep_power_model* power, ep_plan_objective objective,
                        ep_cut_dtype dtype, double lo_bps, double hi_bps, int count,
                        ep_plan_sweep_point* points_out) {
  if (count < 2 || !(lo_bps > 0) || !(hi_bps > lo_bps) || points_out == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT,
                    "plan sweep: need at least 2 points and 0 < low bandwidth < high bandwidth");
  }
  for (int i = 0; i < count; i++) {
    ep_network net = *network;
    net.uplink_bps = lo_bps * pow(hi_bps / lo_bps, (double)i / (count - 1));
    net.downlink_bps = fixed_downlink_bps > 0 ? fixed_downlink_bps : net.uplink_bps;
    ep_plan* plan = NULL;
    ep_status status =
        ep_plan_compute_encoded(graph, edge_ms, server_ms, &net, power, objective, dtype, &plan);
    if (status != EP_OK) return status;
    points_out[i].uplink_bps = net.uplink_bps;
    points_out[i].best = plan->best;
    points_out[i].total_ms = plan->cuts[plan->best].total_ms;
    points_out[i].energy_mj = plan->cuts[plan->best].energy_mj;
    ep_plan_destroy(plan);
  }
  return EP_OK;
}

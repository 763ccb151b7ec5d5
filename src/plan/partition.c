/* Partitions of the whole graph over two or three tiers: what each hop sends, the cost of an
 * assignment, and the graph reordered so that each tier's nodes are one range. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/plan.h"
#include "plan/partition_internal.h"

static const char* const tier_names[EP_TIER_COUNT] = {"device", "fog", "server"};
static const char* const link_names[EP_LINK_COUNT] = {"device-fog", "fog-server", "device-server"};

const char* ep_plan_tier_name(int tier) {
  return tier >= 0 && tier < EP_TIER_COUNT ? tier_names[tier] : NULL;
}

const char* ep_plan_link_name(int link) {
  return link >= 0 && link < EP_LINK_COUNT ? link_names[link] : NULL;
}

const char* ep_plan_cuts_name(ep_plan_cuts cuts) { return cuts == EP_PLAN_CUTS_DAG ? "dag" : "prefix"; }

ep_status ep_plan_cuts_parse(const char* text, ep_plan_cuts* cuts_out) {
  if (text != NULL && strcmp(text, "prefix") == 0) {
    *cuts_out = EP_PLAN_CUTS_PREFIX;
  } else if (text != NULL && strcmp(text, "dag") == 0) {
    *cuts_out = EP_PLAN_CUTS_DAG;
  } else {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "unknown cuts '%s' (prefix or dag)",
                    text != NULL ? text : "");
  }
  return EP_OK;
}

int64_t ep_plan_tensor_bytes(const ep_graph* graph, int id, ep_cut_dtype dtype) {
  const ep_shape* s = &ep_graph_tensor(graph, id)->shape;
  ep_codec_shape cs = ep_codec_shape_of(s->rank, s->dims);
  return ep_tensor_encoded_bytes(dtype, &cs);
}

bool ep_plan_has_fog(const ep_plan_request* r) { return r->node_ms[EP_TIER_FOG] != NULL; }

ep_status ep_plan_check_request(const ep_plan_request* r) {
  if (r == NULL || r->graph == NULL || !ep_graph_is_finalized(r->graph) ||
      r->node_ms[EP_TIER_DEVICE] == NULL || r->node_ms[EP_TIER_SERVER] == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT,
                    "plan: a finalized graph and the device's and server's node times are "
                    "required");
  }
  if ((int)r->dtype < 0 || (int)r->dtype > EP_CUT_INT8_CHANNEL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "plan: unknown cut dtype %d", (int)r->dtype);
  }
  int n = ep_graph_node_count(r->graph);
  for (int l = 0; l < EP_LINK_COUNT; l++) {
    if (l != EP_LINK_DEVICE_SERVER && !ep_plan_has_fog(r)) continue;
    const ep_network* net = &r->link[l];
    if (!(net->uplink_bps > 0) || !(net->downlink_bps > 0) || !(net->rtt_s >= 0) ||
        !isfinite(net->uplink_bps) || !isfinite(net->downlink_bps) || !isfinite(net->rtt_s)) {
      return ep_error(EP_ERR_INVALID_ARGUMENT,
                      "plan: link %s: bandwidths must be positive and the RTT non-negative",
                      link_names[l]);
    }
  }
  const ep_power_model* p = &r->power;
  if (!(p->compute_w >= 0) || !(p->idle_w >= 0) || !(p->radio_w >= 0) || !isfinite(p->compute_w) ||
      !isfinite(p->idle_w) || !isfinite(p->radio_w)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "plan: power figures must be non-negative");
  }
  for (int t = 0; t < EP_TIER_COUNT; t++) {
    const double* ms = r->node_ms[t];
    for (int i = 0; ms != NULL && i < n; i++) {
      if (!(ms[i] >= 0) || !isfinite(ms[i])) {
        return ep_error(EP_ERR_INVALID_ARGUMENT,
                        "plan: node %d (%s) has a negative or non-finite time on the %s", i,
                        ep_graph_node(r->graph, i)->name, tier_names[t]);
      }
    }
  }
  return EP_OK;
}

/* reader_tier_out[id]: the highest tier among the readers of tensor id (-1: none reads it). */
static void reader_tiers(const ep_graph* g, const int* tier, int* reader_tier_out) {
  for (int id = 0; id < ep_graph_tensor_count(g); id++) reader_tier_out[id] = -1;
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    const ep_node* node = ep_graph_node(g, i);
    for (int j = 0; j < node->n_inputs; j++) {
      int id = node->inputs[j];
      if (id >= 0 && tier[i] > reader_tier_out[id]) reader_tier_out[id] = tier[i];
    }
  }
}

static int producer_tier(const ep_tensor* t, const int* tier) {
  return t->kind == EP_TENSOR_INPUT ? EP_TIER_DEVICE : tier[t->producer];
}

ep_status ep_plan_check_monotone(const ep_graph* g, const int* tier, bool have_fog) {
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    const ep_node* node = ep_graph_node(g, i);
    if (tier[i] < 0 || tier[i] >= EP_TIER_COUNT || (tier[i] == EP_TIER_FOG && !have_fog)) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "plan: node %d (%s) is on tier %d, not one of %s",
                      i, node->name, tier[i], have_fog ? "device, fog, server" : "device, server");
    }
    for (int j = 0; j < node->n_inputs; j++) {
      int id = node->inputs[j];
      if (id < 0) continue;
      const ep_tensor* t = ep_graph_tensor(g, id);
      if (t->kind == EP_TENSOR_ACTIVATION && tier[t->producer] > tier[i]) {
        return ep_error(EP_ERR_INVALID_ARGUMENT,
                        "plan: node %s on the %s reads %s from the %s: tensors would go back "
                        "towards the device (a partition crosses each link once, forward)",
                        node->name, tier_names[tier[i]], t->name, tier_names[tier[t->producer]]);
      }
    }
  }
  return EP_OK;
}

/* Chain positions: the tiers a partition's hops connect. */
static int hop_tiers(bool chain, bool any_fog_or_beyond, bool any_server, int tiers_out[3]) {
  int count = 0;
  tiers_out[count++] = EP_TIER_DEVICE;
  if (chain) {
    if (any_fog_or_beyond) tiers_out[count++] = EP_TIER_FOG;
    if (any_server) tiers_out[count++] = EP_TIER_SERVER;
  } else if (any_server) {
    tiers_out[count++] = EP_TIER_SERVER;
  }
  return count - 1;
}

static int link_between(int from, int to) {
  if (from == EP_TIER_DEVICE && to == EP_TIER_FOG) return EP_LINK_DEVICE_FOG;
  if (from == EP_TIER_FOG && to == EP_TIER_SERVER) return EP_LINK_FOG_SERVER;
  return EP_LINK_DEVICE_SERVER;
}

ep_status ep_plan_partition_evaluate(const ep_plan_request* r, const int* tier, bool chain,
                                     ep_plan_partition** partition_out) {
  ep_status status = ep_plan_check_request(r);
  if (status != EP_OK) return status;
  const ep_graph* g = r->graph;
  int n = ep_graph_node_count(g);
  if (tier == NULL) return ep_error(EP_ERR_INVALID_ARGUMENT, "plan: no tier list");
  status = ep_plan_check_monotone(g, tier, ep_plan_has_fog(r));
  if (status != EP_OK) return status;
  if (chain && !ep_plan_has_fog(r)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "plan: a chain through the fog needs the fog's times");
  }
  for (int i = 0; !chain && i < n; i++) {
    if (tier[i] == EP_TIER_FOG) {
      return ep_error(EP_ERR_INVALID_ARGUMENT,
                      "plan: node %s is on the fog but the partition goes straight to the server",
                      ep_graph_node(g, i)->name);
    }
  }
  ep_plan_partition* p = calloc(1, sizeof *p);
  if (p != NULL) p->tier = calloc((size_t)n + 1, sizeof *p->tier);
  if (p == NULL || p->tier == NULL) {
    ep_plan_partition_destroy(p);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a partition of %d nodes", n);
  }
  memcpy(p->tier, tier, (size_t)n * sizeof *tier);
  p->n_nodes = n;
  p->chain = chain;
  p->cuts = r->cuts;
  p->dtype = r->dtype;
  p->unconstrained_value = NAN;
  p->best_prefix_value = NAN;
  bool any_beyond = false, any_server = false;
  for (int i = 0; i < n; i++) {
    p->compute_ms[tier[i]] += r->node_ms[tier[i]][i];
    any_beyond |= tier[i] > EP_TIER_DEVICE;
    any_server |= tier[i] == EP_TIER_SERVER;
  }
  int pos[3];
  p->n_hops = hop_tiers(chain, any_beyond, any_server, pos);
  int n_tensors = ep_graph_tensor_count(g);
  int* reader = calloc((size_t)n_tensors + 1, sizeof *reader);
  if (reader == NULL) {
    ep_plan_partition_destroy(p);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a partition of %d nodes", n);
  }
  reader_tiers(g, tier, reader);
  for (int h = 0; h < p->n_hops; h++) {
    ep_plan_hop* hop = &p->hops[h];
    hop->from_tier = pos[h];
    hop->to_tier = pos[h + 1];
    hop->link = link_between(hop->from_tier, hop->to_tier);
    hop->up_ids = calloc((size_t)n_tensors + 1, sizeof *hop->up_ids);
    hop->down_ids = calloc((size_t)ep_graph_output_count(g) + 1, sizeof *hop->down_ids);
    if (hop->up_ids == NULL || hop->down_ids == NULL) {
      free(reader);
      ep_plan_partition_destroy(p);
      return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a partition of %d nodes", n);
    }
    for (int id = 0; id < n_tensors; id++) {
      const ep_tensor* t = ep_graph_tensor(g, id);
      if (t->kind == EP_TENSOR_CONSTANT) continue;
      /* Forward: made at or before this hop's sending tier, read at or beyond its receiver. */
      if (producer_tier(t, tier) <= hop->from_tier && reader[id] >= hop->to_tier) {
        hop->up_ids[hop->n_up++] = id;
        hop->up_bytes += ep_plan_tensor_bytes(g, id, r->dtype);
        hop->up_fp32_bytes += ep_plan_tensor_bytes(g, id, EP_CUT_FP32);
      }
    }
    for (int o = 0; o < ep_graph_output_count(g); o++) {
      int id = ep_graph_output(g, o);
      const ep_tensor* t = ep_graph_tensor(g, id);
      if (t->kind == EP_TENSOR_ACTIVATION && tier[t->producer] >= hop->to_tier) {
        hop->down_ids[hop->n_down++] = id;
        hop->down_bytes += ep_plan_tensor_bytes(g, id, EP_CUT_FP32);
      }
    }
    const ep_network* net = &r->link[hop->link];
    hop->up_ms = 1e3 * (double)hop->up_bytes * 8.0 / net->uplink_bps;
    hop->down_ms = 1e3 * (double)hop->down_bytes * 8.0 / net->downlink_bps;
    hop->rtt_ms = 1e3 * net->rtt_s;
  }
  free(reader);
  double transfer_ms[2] = {0, 0};
  for (int h = 0; h < p->n_hops; h++) {
    transfer_ms[h] = p->hops[h].up_ms + p->hops[h].rtt_ms + p->hops[h].down_ms;
  }
  p->total_ms = p->compute_ms[0] + p->compute_ms[1] + p->compute_ms[2] + transfer_ms[0] +
                transfer_ms[1];
  /* W x ms = mJ; the device's radio is busy on the first hop only, it waits for the rest. */
  p->energy_mj = r->power.compute_w * p->compute_ms[EP_TIER_DEVICE] +
                 r->power.radio_w * transfer_ms[0] +
                 r->power.idle_w * (p->compute_ms[EP_TIER_FOG] + p->compute_ms[EP_TIER_SERVER] +
                                    transfer_ms[1]);
  p->objective_value = r->objective == EP_PLAN_ENERGY ? p->energy_mj : p->total_ms;
  *partition_out = p;
  return EP_OK;
}

void ep_plan_partition_destroy(ep_plan_partition* p) {
  if (p == NULL) return;
  for (int h = 0; h < 2; h++) {
    free(p->hops[h].up_ids);
    free(p->hops[h].down_ids);
  }
  free(p->tier);
  free(p);
}

void ep_plan_partition_order(const ep_plan_partition* p, int* order_out, int* first_out) {
  int at = 0;
  for (int t = 0; t < EP_TIER_COUNT; t++) {
    first_out[t] = at;
    for (int i = 0; i < p->n_nodes; i++) {
      if (p->tier[i] == t) order_out[at++] = i;
    }
  }
  first_out[EP_TIER_COUNT] = at;
}

ep_status ep_plan_partition_graph(const ep_graph* graph, const ep_plan_partition* p,
                                  ep_graph** reordered_out, int* first_out) {
  if (graph == NULL || p == NULL || p->n_nodes != ep_graph_node_count(graph)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "plan: a partition of another graph");
  }
  ep_status status = ep_plan_check_monotone(graph, p->tier, true);
  if (status != EP_OK) return status;
  int n = p->n_nodes;
  int n_tensors = ep_graph_tensor_count(graph);
  int* order = calloc((size_t)n + 1, sizeof *order);
  int* new_id = calloc((size_t)n_tensors + 1, sizeof *new_id);
  int* inputs = NULL;
  const char** names = NULL;
  int* outs = NULL;
  ep_graph* g = NULL;
  if (order == NULL || new_id == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to reorder %s", ep_graph_name(graph));
    goto cleanup;
  }
  int first[EP_TIER_COUNT + 1];
  ep_plan_partition_order(p, order, first);
  status = ep_graph_create(ep_graph_name(graph), &g);
  if (status != EP_OK) goto cleanup;
  /* Inputs and constants first, in id order; then every node's outputs as it is added. */
  for (int id = 0; status == EP_OK && id < n_tensors; id++) {
    const ep_tensor* t = ep_graph_tensor(graph, id);
    new_id[id] = -1;
    if (t->kind == EP_TENSOR_INPUT) {
      status = ep_graph_add_input_typed(g, t->name, t->dtype, t->shape, &new_id[id]);
    } else if (t->kind == EP_TENSOR_CONSTANT) {
      status = ep_graph_add_constant_shared(g, t->name, t->dtype, t->shape, t->raw, &new_id[id]);
    }
  }
  for (int k = 0; status == EP_OK && k < n; k++) {
    const ep_node* node = ep_graph_node(graph, order[k]);
    free(inputs);
    free(names);
    free(outs);
    inputs = calloc((size_t)node->n_inputs + 1, sizeof *inputs);
    names = calloc((size_t)node->n_outputs + 1, sizeof *names);
    outs = calloc((size_t)node->n_outputs + 1, sizeof *outs);
    if (inputs == NULL || names == NULL || outs == NULL) {
      status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to reorder %s", ep_graph_name(graph));
      break;
    }
    for (int j = 0; j < node->n_inputs; j++) {
      inputs[j] = node->inputs[j] < 0 ? EP_TENSOR_ABSENT : new_id[node->inputs[j]];
    }
    for (int j = 0; j < node->n_outputs; j++) {
      names[j] = ep_graph_tensor(graph, node->outputs[j])->name;
    }
    status = ep_graph_add_node(g, node->op, node->name, &node->attrs, inputs, node->n_inputs,
                               node->n_outputs, names, outs);
    for (int j = 0; status == EP_OK && j < node->n_outputs; j++) new_id[node->outputs[j]] = outs[j];
  }
  for (int o = 0; status == EP_OK && o < ep_graph_output_count(graph); o++) {
    status = ep_graph_mark_output(g, new_id[ep_graph_output(graph, o)]);
  }
  if (status == EP_OK) status = ep_graph_finalize(g);
  if (status == EP_OK) {
    memcpy(first_out, first, sizeof first);
    *reordered_out = g;
    g = NULL;
  }

cleanup:
  ep_graph_destroy(g);
  free(order);
  free(new_id);
  free(inputs);
  free(names);
  free(outs);
  return status;
}

/* plan --json: every cut with its columns, the best cuts, the inputs of the plan. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

#include "edgeprof/plan.h"
#include "edgeprof/platform.h"
#include "plan/partition_internal.h"

/* 2: "partition" (the node set each tier runs), "fog_profile". */
#define PLAN_SCHEMA_VERSION 2

/* Milliseconds and millijoules rounded to 1 ns / 1 nJ so that files stay readable. */
static double round6(double v) { return isfinite(v) ? round(v * 1e6) / 1e6 : v; }

static cJSON* cut_json(const ep_graph* graph, const ep_plan_cut* c, int n) {
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddNumberToObject(o, "k", c->k);
  if (c->k < n) {
    cJSON_AddStringToObject(o, "first_server_node", ep_graph_node(graph, c->k)->name);
  } else {
    cJSON_AddNullToObject(o, "first_server_node");
  }
  cJSON_AddNumberToObject(o, "upload_tensors", c->upload_tensors);
  cJSON_AddNumberToObject(o, "upload_bytes", (double)c->upload_bytes);
  cJSON_AddNumberToObject(o, "download_bytes", (double)c->download_bytes);
  cJSON_AddNumberToObject(o, "edge_ms", round6(c->edge_ms));
  cJSON_AddNumberToObject(o, "upload_ms", round6(c->upload_ms));
  cJSON_AddNumberToObject(o, "rtt_ms", round6(c->rtt_ms));
  cJSON_AddNumberToObject(o, "server_ms", round6(c->server_ms));
  cJSON_AddNumberToObject(o, "download_ms", round6(c->download_ms));
  cJSON_AddNumberToObject(o, "total_ms", round6(c->total_ms));
  cJSON_AddNumberToObject(o, "energy_mj", round6(c->energy_mj));
  return o;
}

static cJSON* tensor_list(const ep_graph* graph, const int* ids, int count, ep_cut_dtype dtype) {
  cJSON* list = cJSON_CreateArray();
  for (int i = 0; list != NULL && i < count; i++) {
    cJSON* t = cJSON_CreateObject();
    if (t == NULL) break;
    const ep_tensor* tensor = ep_graph_tensor(graph, ids[i]);
    char shape[96];
    cJSON_AddStringToObject(t, "tensor", tensor->name);
    cJSON_AddStringToObject(t, "shape", ep_shape_format(&tensor->shape, shape, sizeof shape));
    cJSON_AddNumberToObject(t, "bytes", (double)ep_plan_tensor_bytes(graph, ids[i], dtype));
    cJSON_AddItemToArray(list, t);
  }
  return list;
}

static void add_partition(cJSON* doc, const ep_graph* graph, const ep_plan_partition* p) {
  cJSON* o = cJSON_AddObjectToObject(doc, "partition");
  if (o == NULL) return;
  cJSON_AddStringToObject(o, "method", ep_plan_cuts_name(p->cuts));
  cJSON_AddBoolToObject(o, "chain", p->chain);
  cJSON_AddStringToObject(o, "cut_dtype", ep_cut_dtype_name(p->dtype));
  cJSON_AddNumberToObject(o, "total_ms", round6(p->total_ms));
  cJSON_AddNumberToObject(o, "energy_mj", round6(p->energy_mj));
  cJSON_AddNumberToObject(o, "objective_value", round6(p->objective_value));
  if (isfinite(p->best_prefix_value)) {
    cJSON_AddNumberToObject(o, "best_prefix_value", round6(p->best_prefix_value));
  } else {
    cJSON_AddNullToObject(o, "best_prefix_value");
  }
  if (isfinite(p->unconstrained_value)) {
    cJSON* u = cJSON_AddObjectToObject(o, "unconstrained");
    if (u != NULL) {
      cJSON_AddNumberToObject(u, "objective_value", round6(p->unconstrained_value));
      cJSON_AddNumberToObject(u, "back_tensors", p->unconstrained_back_tensors);
    }
  } else {
    cJSON_AddNullToObject(o, "unconstrained");
  }
  cJSON* compute = cJSON_AddObjectToObject(o, "compute_ms");
  cJSON* counts = cJSON_AddObjectToObject(o, "node_count");
  for (int t = 0; t < EP_TIER_COUNT; t++) {
    int count = 0;
    for (int i = 0; i < p->n_nodes; i++) count += p->tier[i] == t;
    if (compute != NULL) cJSON_AddNumberToObject(compute, ep_plan_tier_name(t), round6(p->compute_ms[t]));
    if (counts != NULL) cJSON_AddNumberToObject(counts, ep_plan_tier_name(t), count);
  }
  cJSON* nodes = cJSON_AddArrayToObject(o, "nodes");
  for (int i = 0; nodes != NULL && i < p->n_nodes; i++) {
    cJSON* node = cJSON_CreateObject();
    if (node == NULL) break;
    cJSON_AddStringToObject(node, "name", ep_graph_node(graph, i)->name);
    cJSON_AddStringToObject(node, "tier", ep_plan_tier_name(p->tier[i]));
    cJSON_AddItemToArray(nodes, node);
  }
  cJSON* hops = cJSON_AddArrayToObject(o, "hops");
  for (int h = 0; hops != NULL && h < p->n_hops; h++) {
    const ep_plan_hop* hop = &p->hops[h];
    cJSON* j = cJSON_CreateObject();
    if (j == NULL) break;
    cJSON_AddStringToObject(j, "from", ep_plan_tier_name(hop->from_tier));
    cJSON_AddStringToObject(j, "to", ep_plan_tier_name(hop->to_tier));
    cJSON_AddStringToObject(j, "link", ep_plan_link_name(hop->link));
    cJSON_AddItemToObject(j, "up", tensor_list(graph, hop->up_ids, hop->n_up, p->dtype));
    cJSON_AddNumberToObject(j, "up_bytes", (double)hop->up_bytes);
    cJSON_AddNumberToObject(j, "up_fp32_bytes", (double)hop->up_fp32_bytes);
    cJSON_AddItemToObject(j, "down", tensor_list(graph, hop->down_ids, hop->n_down, EP_CUT_FP32));
    cJSON_AddNumberToObject(j, "down_bytes", (double)hop->down_bytes);
    cJSON_AddNumberToObject(j, "up_ms", round6(hop->up_ms));
    cJSON_AddNumberToObject(j, "rtt_ms", round6(hop->rtt_ms));
    cJSON_AddNumberToObject(j, "down_ms", round6(hop->down_ms));
    cJSON_AddItemToArray(hops, j);
  }
}

ep_status ep_plan_json(const char* model, const ep_graph* graph, const ep_plan* plan,
                       const char* edge_source, const char* fog_source,
                       const char* server_source, const ep_plan_sweep_point* sweep,
                       int sweep_count, const ep_plan_partition* partition, FILE* out) {
  cJSON* doc = cJSON_CreateObject();
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  cJSON_AddNumberToObject(doc, "schema_version", PLAN_SCHEMA_VERSION);
  cJSON_AddStringToObject(doc, "kind", "plan");
  /* Where the plan was made (the profiles carry their own machines). */
  ep_environment env;
  ep_environment_get(&env);
  cJSON* where = cJSON_AddObjectToObject(doc, "environment");
  if (where != NULL) {
    cJSON_AddStringToObject(where, "host", env.host);
    cJSON_AddStringToObject(where, "cpu", env.cpu);
    cJSON_AddStringToObject(where, "isa", env.isa);
    cJSON_AddNullToObject(where, "backend");
    cJSON_AddStringToObject(where, "edgeprof_version", env.version);
    cJSON_AddStringToObject(where, "git_hash", env.git_hash);
    cJSON_AddStringToObject(where, "date", env.date);
  }
  cJSON_AddStringToObject(doc, "model", model);
  cJSON_AddStringToObject(doc, "edge_profile", edge_source != NULL ? edge_source : "");
  if (fog_source != NULL) {
    cJSON_AddStringToObject(doc, "fog_profile", fog_source);
  } else {
    cJSON_AddNullToObject(doc, "fog_profile");
  }
  cJSON_AddStringToObject(doc, "server_profile", server_source != NULL ? server_source : "");
  cJSON_AddStringToObject(doc, "objective", ep_plan_objective_name(plan->objective));
  cJSON* net = cJSON_AddObjectToObject(doc, "network");
  if (net != NULL) {
    cJSON_AddNumberToObject(net, "uplink_bps", plan->network.uplink_bps);
    cJSON_AddNumberToObject(net, "downlink_bps", plan->network.downlink_bps);
    cJSON_AddNumberToObject(net, "rtt_ms", round6(plan->network.rtt_s * 1e3));
  }
  cJSON* power = cJSON_AddObjectToObject(doc, "edge_power_w");
  if (power != NULL) {
    cJSON_AddNumberToObject(power, "compute", plan->power.compute_w);
    cJSON_AddNumberToObject(power, "idle", plan->power.idle_w);
    cJSON_AddNumberToObject(power, "radio", plan->power.radio_w);
  }
  cJSON* sources = cJSON_AddObjectToObject(doc, "edge_power_source");
  if (sources != NULL) {
    cJSON_AddStringToObject(sources, "compute", plan->power_source[0]);
    cJSON_AddStringToObject(sources, "idle", plan->power_source[1]);
    cJSON_AddStringToObject(sources, "radio", plan->power_source[2]);
  }

  cJSON_AddNumberToObject(doc, "nodes", plan->n_nodes);
  cJSON_AddNumberToObject(doc, "best", plan->best);
  cJSON_AddNumberToObject(doc, "best_latency", plan->best_latency);
  cJSON_AddNumberToObject(doc, "best_energy", plan->best_energy);
  cJSON* cuts = cJSON_AddArrayToObject(doc, "cuts");
  for (int k = 0; cuts != NULL && k < plan->n_cuts; k++) {
    cJSON* c = cut_json(graph, &plan->cuts[k], plan->n_nodes);
    if (c != NULL) cJSON_AddItemToArray(cuts, c);
  }
  if (sweep != NULL) {
    cJSON* s = cJSON_AddArrayToObject(doc, "sweep");
    for (int i = 0; s != NULL && i < sweep_count; i++) {
      cJSON* p = cJSON_CreateObject();
      if (p == NULL) break;
      cJSON_AddNumberToObject(p, "uplink_bps", round(sweep[i].uplink_bps));
      cJSON_AddNumberToObject(p, "best", sweep[i].best);
      cJSON_AddNumberToObject(p, "total_ms", round6(sweep[i].total_ms));
      cJSON_AddNumberToObject(p, "energy_mj", round6(sweep[i].energy_mj));
      cJSON_AddItemToArray(s, p);
    }
  }
  if (partition != NULL) add_partition(doc, graph, partition);
  char* text = cJSON_Print(doc);
  cJSON_Delete(doc);
  if (text == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  int failed = fputs(text, out) == EOF || fputc('\n', out) == EOF;
  cJSON_free(text);
  if (failed || ferror(out)) return ep_error(EP_ERR_IO, "cannot write the plan's JSON");
  return EP_OK;
}

/* plan --json: every cut with its columns, the best cuts, the inputs of the plan. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>

#include "edgeprof/plan.h"

#define PLAN_SCHEMA_VERSION 1

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

ep_status ep_plan_json(const char* model, const ep_graph* graph, const ep_plan* plan,
                       const char* edge_source, const char* server_source,
                       const ep_plan_sweep_point* sweep, int sweep_count, FILE* out) {
  cJSON* doc = cJSON_CreateObject();
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  cJSON_AddNumberToObject(doc, "schema_version", PLAN_SCHEMA_VERSION);
  cJSON_AddStringToObject(doc, "kind", "plan");
  cJSON_AddStringToObject(doc, "model", model);
  cJSON_AddStringToObject(doc, "edge_profile", edge_source != NULL ? edge_source : "");
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
  }  cJSON* sources = cJSON_AddObjectToObject(doc, "edge_power_source");
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
  char* text = cJSON_Print(doc);
  cJSON_Delete(doc);
  if (text == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  int failed = fputs(text, out) == EOF || fputc('\n', out) == EOF;
  cJSON_free(text);
  if (failed || ferror(out)) return ep_error(EP_ERR_IO, "cannot write the plan's JSON");
  return EP_OK;
}

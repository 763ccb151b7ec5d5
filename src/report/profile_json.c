/* profile --json: per-node average times in run order and the summary by op type. */
#include "edgeprof/report.h"
#include "report/json_util.h"

ep_status ep_report_profile_json(const ep_profile_report* r, FILE* out) {
  const ep_profile* p = r->profile;
  cJSON* doc = ep_json_begin();
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  cJSON_AddNumberToObject(doc, "schema_version", EP_RESULTS_SCHEMA_VERSION);
  cJSON_AddStringToObject(doc, "kind", "profile");
  ep_json_add_environment(doc, r->session != NULL ? ep_session_backend(r->session) : "cpu");
  cJSON_AddStringToObject(doc, "model", r->model);
  cJSON_AddStringToObject(doc, "backend", r->session != NULL ? ep_session_backend(r->session) : "cpu");
  ep_json_add_int(doc, "threads", r->threads);
  if (r->cpus != NULL && r->cpus[0] != '\0') {
    cJSON_AddStringToObject(doc, "cpus", r->cpus);
  } else {
    cJSON_AddNullToObject(doc, "cpus");
  }
  ep_json_add_int(doc, "runs", p->runs);
  ep_json_add_init(doc, r->load_ms, r->session_ms, r->first_inference_ms);
  ep_json_add_ms(doc, "total_ms", p->total_ms);
  ep_json_add_ms(doc, "whole_run_median_ms", p->whole.median);
  ep_json_add_ms(doc, "whole_run_mean_ms", p->whole.mean);
  cJSON_AddItemToObject(doc, "whole_run_ms", ep_json_latency(&p->whole));
  cJSON_AddItemToObject(doc, "energy", ep_json_energy(r->energy));
  cJSON* nodes = cJSON_AddArrayToObject(doc, "nodes");
  for (int i = 0; nodes != NULL && i < p->n_nodes; i++) {
    const ep_node* node = ep_graph_node(r->graph, i);
    char op[64];
    cJSON* n = cJSON_CreateObject();
    if (n == NULL) break;
    cJSON_AddStringToObject(n, "name", node->name);
    cJSON_AddStringToObject(n, "op", ep_node_op_label(node, op, sizeof op));
    cJSON_AddStringToObject(n, "backend",
                            r->session != NULL ? ep_session_node_backend(r->session, i) : "cpu");
    ep_json_add_ms(n, "avg_ms", p->node_ms[i]);
    if (p->node_median_ms != NULL) ep_json_add_ms(n, "median_ms", p->node_median_ms[i]);
    ep_json_add_percent(n, "percent", p->total_ms > 0 ? 100.0 * p->node_ms[i] / p->total_ms : 0);
    ep_json_add_int(n, "macs", node->cost.macs);
    ep_json_add_int(n, "params", node->cost.params);
    ep_json_add_int(n, "output_bytes", node->cost.output_bytes);
    cJSON_AddItemToArray(nodes, n);
  }
  cJSON* by_op = cJSON_AddArrayToObject(doc, "by_op_type");
  for (int i = 0; by_op != NULL && i < p->n_op_types; i++) {
    const ep_op_type_profile* row = &p->by_op_type[i];
    cJSON* o = cJSON_CreateObject();
    if (o == NULL) break;
    cJSON_AddStringToObject(o, "op", ep_op_name(row->op));
    ep_json_add_int(o, "count", row->count);
    ep_json_add_ms(o, "ms", row->ms);
    ep_json_add_percent(o, "percent", row->percent);
    cJSON_AddItemToArray(by_op, o);
  }
  return ep_json_finish(doc, out);
}

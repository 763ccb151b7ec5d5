/* info --json: the optimized graph's nodes in run order with their cost, and totals. */
#include "edgeprof/profile.h"
#include "edgeprof/report.h"
#include "report/json_util.h"

static cJSON* node_json(const ep_graph* g, int index) {
  const ep_node* node = ep_graph_node(g, index);
  cJSON* n = cJSON_CreateObject();
  if (n == NULL) return NULL;
  char op[64], shape[96];
  cJSON_AddNumberToObject(n, "index", index);
  cJSON_AddStringToObject(n, "name", node->name);
  cJSON_AddStringToObject(n, "op", ep_node_op_label(node, op, sizeof op));
  const ep_tensor* first = node->n_outputs > 0 ? ep_graph_tensor(g, node->outputs[0]) : NULL;
  cJSON_AddStringToObject(n, "output_shape",
                          first != NULL ? ep_shape_format(&first->shape, shape, sizeof shape) : "");
  ep_json_add_int(n, "params", node->cost.params);
  ep_json_add_int(n, "macs", node->cost.macs);
  ep_json_add_int(n, "weight_bytes", node->cost.weight_bytes);
  ep_json_add_int(n, "output_bytes", node->cost.output_bytes);
  return n;
}

ep_status ep_report_info_json(const char* model, const ep_graph* optimized,
                              const ep_graph* defined, FILE* out) {
  cJSON* doc = ep_json_begin();
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  ep_graph_totals totals;
  cJSON_AddNumberToObject(doc, "schema_version", EP_RESULTS_SCHEMA_VERSION);
  cJSON_AddStringToObject(doc, "kind", "info");
  ep_json_add_environment(doc, NULL);
  cJSON_AddStringToObject(doc, "model", model);
  cJSON* nodes = cJSON_AddArrayToObject(doc, "nodes");
  for (int i = 0; nodes != NULL && i < ep_graph_node_count(optimized); i++) {
    cJSON_AddItemToArray(nodes, node_json(optimized, i));
  }
  ep_graph_totals_compute(optimized, &totals);
  cJSON_AddItemToObject(doc, "totals", ep_json_totals(&totals));
  if (defined != NULL) {
    ep_graph_totals_compute(defined, &totals);
    cJSON_AddItemToObject(doc, "defined_totals", ep_json_totals(&totals));
  }
  return ep_json_finish(doc, out);
}

ep_status ep_report_table1_json(const ep_table1_row* rows, int n_rows, FILE* out) {
  cJSON* doc = ep_json_begin();
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  cJSON_AddNumberToObject(doc, "schema_version", EP_RESULTS_SCHEMA_VERSION);
  cJSON_AddStringToObject(doc, "kind", "table1");
  ep_json_add_environment(doc, NULL);
  cJSON* models = cJSON_AddArrayToObject(doc, "models");
  for (int i = 0; models != NULL && i < n_rows; i++) {
    cJSON_AddItemToArray(models, ep_json_table1_row(&rows[i]));
  }
  return ep_json_finish(doc, out);
}

/* characterize: results.json (schema in docs/results.md). */
#include <math.h>

#include "edgeprof/report.h"
#include "report/json_util.h"

static cJSON* latency_rows(const ep_characterize_model* m) {
  cJSON* rows = cJSON_CreateArray();
  for (int t = 1; rows != NULL && t <= m->n_threads; t++) {
    const ep_latency_stats* s = &m->latency[t - 1];
    cJSON* row = ep_json_latency(s);
    if (row == NULL) break;
    ep_json_add_int(row, "threads", t);
    ep_json_add_int(row, "runs", s->count);
    cJSON_AddItemToArray(rows, row);
  }
  return rows;
}

static cJSON* profile_json(const ep_characterize_model* m) {
  const ep_profile* p = m->profile;
  cJSON* o = cJSON_CreateObject();
  if (o == NULL || p == NULL) return o;
  ep_json_add_int(o, "threads", m->profile_threads);
  ep_json_add_int(o, "runs", p->runs);
  ep_json_add_ms(o, "total_ms", p->total_ms);
  ep_json_add_ms(o, "whole_run_median_ms", p->whole.median);
  ep_json_add_ms(o, "whole_run_mean_ms", p->whole.mean);
  cJSON* by_op = cJSON_AddArrayToObject(o, "by_op_type");
  for (int i = 0; by_op != NULL && i < p->n_op_types; i++) {
    cJSON* row = cJSON_CreateObject();
    if (row == NULL) break;
    cJSON_AddStringToObject(row, "op", ep_op_name(p->by_op_type[i].op));
    ep_json_add_int(row, "count", p->by_op_type[i].count);
    ep_json_add_ms(row, "ms", p->by_op_type[i].ms);
    ep_json_add_percent(row, "percent", p->by_op_type[i].percent);
    cJSON_AddItemToArray(by_op, row);
  }
  cJSON* nodes = cJSON_AddArrayToObject(o, "nodes");
  for (int i = 0; nodes != NULL && i < m->n_nodes && i < p->n_nodes; i++) {
    const ep_characterize_node* node = &m->nodes[i];
    cJSON* n = cJSON_CreateObject();
    if (n == NULL) break;
    cJSON_AddStringToObject(n, "name", node->name);
    cJSON_AddStringToObject(n, "op", node->op);
    ep_json_add_ms(n, "avg_ms", p->node_ms[i]);
    ep_json_add_int(n, "macs", node->macs);
    ep_json_add_int(n, "params", node->params);
    ep_json_add_int(n, "output_bytes", node->output_bytes);
    cJSON_AddItemToArray(nodes, n);
  }
  return o;
}

static cJSON* model_json(const ep_characterize_model* m) {
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddStringToObject(o, "name", m->table1.zoo->name);
  cJSON_AddItemToObject(o, "latency_ms", latency_rows(m));
  cJSON* median = cJSON_AddArrayToObject(o, "median_ms");
  cJSON* speedup = cJSON_AddArrayToObject(o, "speedup");
  double base = m->n_threads > 0 ? m->latency[0].median : 0.0;
  for (int t = 1; median != NULL && speedup != NULL && t <= m->n_threads; t++) {
    double med = m->latency[t - 1].median;
    cJSON_AddItemToArray(median, cJSON_CreateNumber(ep_json_ms(med)));
    cJSON_AddItemToArray(speedup, cJSON_CreateNumber(med > 0.0 ? round(1e4 * base / med) / 1e4 : 0.0));
  }
  cJSON_AddItemToObject(o, "profile", profile_json(m));
  cJSON* memory = cJSON_AddObjectToObject(o, "memory_bytes");
  if (memory != NULL) ep_json_add_memory(memory, &m->memory);
  return o;
}

ep_status ep_report_characterize_json(const ep_characterize_result* r, FILE* out) {
  cJSON* doc = ep_json_begin();
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  cJSON_AddNumberToObject(doc, "schema_version", EP_RESULTS_SCHEMA_VERSION);
  cJSON_AddStringToObject(doc, "kind", "characterize");
  cJSON_AddStringToObject(doc, "host", r->host);
  cJSON_AddStringToObject(doc, "date", r->date);
  cJSON_AddNumberToObject(doc, "seed", (double)r->seed);
  cJSON_AddStringToObject(doc, "cpus", r->cpus);
  cJSON_AddBoolToObject(doc, "pinned", r->pinned);
  int max_threads = r->n_models > 0 ? r->models[0].n_threads : 0;
  cJSON* threads = cJSON_AddArrayToObject(doc, "threads");
  for (int t = 1; threads != NULL && t <= max_threads; t++) {
    cJSON_AddItemToArray(threads, cJSON_CreateNumber(t));
  }
  cJSON* settings = cJSON_AddObjectToObject(doc, "settings");
  if (settings != NULL) {
    ep_json_add_int(settings, "warmup_runs", r->warmup_runs);
    ep_json_add_int(settings, "min_runs", r->min_runs);
    cJSON_AddNumberToObject(settings, "min_seconds", r->min_seconds);
    cJSON_AddNumberToObject(settings, "budget_seconds", r->budget_seconds);
  }
  cJSON_AddNumberToObject(doc, "elapsed_s", r->elapsed_seconds);
  ep_json_add_int(doc, "peak_rss_bytes", (int64_t)r->peak_rss_bytes);
  cJSON* table1 = cJSON_AddArrayToObject(doc, "table1");
  for (int i = 0; table1 != NULL && i < r->n_models; i++) {
    cJSON_AddItemToArray(table1, ep_json_table1_row(&r->models[i].table1));
  }
  cJSON* models = cJSON_AddArrayToObject(doc, "models");
  for (int i = 0; models != NULL && i < r->n_models; i++) {
    cJSON_AddItemToArray(models, model_json(&r->models[i]));
  }
  return ep_json_finish(doc, out);
}

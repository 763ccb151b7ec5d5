/* The "partition" of a `plan --json` document, read back for `offload --plan FILE`. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/plan.h"
#include "plan/partition_internal.h"

/* ep_error of "SOURCE: <the last error>" (the message is copied first: ep_error writes into the
 * buffer ep_last_error returns). */
static ep_status format_error(const char* source) {
  char why[512];
  snprintf(why, sizeof why, "%s", ep_last_error());
  return ep_error(EP_ERR_FORMAT, "%s: %s", source, why);
}

static int tier_by_name(const char* name) {
  for (int t = 0; t < EP_TIER_COUNT; t++) {
    if (strcmp(name, ep_plan_tier_name(t)) == 0) return t;
  }
  return -1;
}

ep_status ep_plan_partition_parse(const char* text, size_t length, const char* source,
                                  const char* model, const ep_graph* graph, int* tier_out,
                                  bool* chain_out, ep_cut_dtype* dtype_out) {
  int n = ep_graph_node_count(graph);
  int* tier = calloc((size_t)n + 1, sizeof *tier);
  cJSON* doc = cJSON_ParseWithLength(text, length);
  ep_status status = EP_OK;
  if (tier == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to read %s", source);
    goto cleanup;
  }
  for (int i = 0; i < n; i++) tier[i] = -1;
  const cJSON* kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
  const cJSON* version = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
  if (doc == NULL || !cJSON_IsString(kind) || strcmp(kind->valuestring, "plan") != 0) {
    status = ep_error(EP_ERR_FORMAT, "%s: not a `edgeprof plan --json` document", source);
    goto cleanup;
  }
  if (!cJSON_IsNumber(version) || version->valuedouble < 2) {
    status = ep_error(EP_ERR_FORMAT, "%s: plan schema %g has no partition (written by an older "
                      "edgeprof: plan again)", source,
                      cJSON_IsNumber(version) ? version->valuedouble : 0.0);
    goto cleanup;
  }
  const cJSON* doc_model = cJSON_GetObjectItemCaseSensitive(doc, "model");
  if (model != NULL && (!cJSON_IsString(doc_model) || strcmp(doc_model->valuestring, model) != 0)) {
    status = ep_error(EP_ERR_FORMAT, "%s: a plan of model '%s', not of '%s'", source,
                      cJSON_IsString(doc_model) ? doc_model->valuestring : "?", model);
    goto cleanup;
  }
  const cJSON* p = cJSON_GetObjectItemCaseSensitive(doc, "partition");
  const cJSON* chain = cJSON_GetObjectItemCaseSensitive(p, "chain");
  const cJSON* dtype = cJSON_GetObjectItemCaseSensitive(p, "cut_dtype");
  const cJSON* nodes = cJSON_GetObjectItemCaseSensitive(p, "nodes");
  if (!cJSON_IsObject(p) || !cJSON_IsBool(chain) || !cJSON_IsString(dtype) ||
      !cJSON_IsArray(nodes)) {
    status = ep_error(EP_ERR_FORMAT, "%s: no \"partition\" with \"chain\", \"cut_dtype\" and "
                      "\"nodes\"", source);
    goto cleanup;
  }
  ep_cut_dtype d;
  if (ep_cut_dtype_parse(dtype->valuestring, &d) != EP_OK) {
    status = format_error(source);
    goto cleanup;
  }
  if (cJSON_GetArraySize(nodes) != n) {
    status = ep_error(EP_ERR_FORMAT, "%s: %d nodes, but the graph has %d: a plan of another "
                      "version of the model", source, cJSON_GetArraySize(nodes), n);
    goto cleanup;
  }
  int position = 0;
  const cJSON* item = NULL;
  cJSON_ArrayForEach(item, nodes) {
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(item, "name");
    const cJSON* t = cJSON_GetObjectItemCaseSensitive(item, "tier");
    int tt = cJSON_IsString(t) ? tier_by_name(t->valuestring) : -1;
    if (!cJSON_IsString(name) || tt < 0) {
      status = ep_error(EP_ERR_FORMAT, "%s: partition node %d has no \"name\" or no \"tier\" "
                        "(device, fog or server)", source, position);
      goto cleanup;
    }
    int index = -1;
    if (strcmp(ep_graph_node(graph, position)->name, name->valuestring) == 0) {
      index = position;
    } else {
      for (int i = 0; i < n && index < 0; i++) {
        if (strcmp(ep_graph_node(graph, i)->name, name->valuestring) == 0) index = i;
      }
    }
    if (index < 0 || tier[index] >= 0) {
      status = ep_error(EP_ERR_FORMAT, "%s: partition node '%s' is %s", source, name->valuestring,
                        index < 0 ? "not in the graph: a plan of another model" : "listed twice");
      goto cleanup;
    }
    tier[index] = tt;
    position++;
  }
  bool uses_fog = false;
  for (int i = 0; i < n; i++) uses_fog |= tier[i] == EP_TIER_FOG;
  if (uses_fog && !cJSON_IsTrue(chain)) {
    status = ep_error(EP_ERR_FORMAT, "%s: nodes on the fog but \"chain\" is false", source);
    goto cleanup;
  }
  if (ep_plan_check_monotone(graph, tier, true) != EP_OK) {
    status = format_error(source);
    goto cleanup;
  }
  memcpy(tier_out, tier, (size_t)n * sizeof *tier);
  *chain_out = cJSON_IsTrue(chain);
  *dtype_out = d;

cleanup:
  cJSON_Delete(doc);
  free(tier);
  return status;
}

ep_status ep_plan_partition_load(const char* path, const char* model, const ep_graph* graph,
                                 int* tier_out, bool* chain_out, ep_cut_dtype* dtype_out) {
  size_t length = 0;
  ep_status status = EP_OK;
  char* text = ep_plan_read_document(path, &length, &status);
  if (text == NULL) return status;
  status = ep_plan_partition_parse(text, length, path, model, graph, tier_out, chain_out, dtype_out);
  free(text);
  return status;
}

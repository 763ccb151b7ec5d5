/* Node times from `edgeprof profile --json` documents, matched to a graph's nodes by name, and
 * the power a `profile --energy` document measured. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/output.h"
#include "edgeprof/plan.h"
#include "plan/partition_internal.h"

/* The version of `profile --json` documents whose fields this reader knows (the report layer's
 * EP_RESULTS_SCHEMA_VERSION; the planner sits beside it, not above it). */
#define PROFILE_SCHEMA_VERSION 1
/* One node taking longer than an hour is a broken or edited file, not a profile. */
#define MAX_NODE_MS 3.6e6

ep_status ep_plan_times_parse(const char* text, size_t length, const char* source,
                              const char* model, const ep_graph* graph, double* ms_out) {
  ep_status status = EP_OK;
  int n = ep_graph_node_count(graph);
  bool* seen = NULL;
  double* ms = NULL;
  cJSON* doc = cJSON_ParseWithLength(text, length);
  if (doc == NULL || !cJSON_IsObject(doc)) {
    status = ep_error(EP_ERR_FORMAT,
                      "%s: not a JSON object (expected `edgeprof profile --json` "
                      "output)",
                      source);
    goto cleanup;
  }
  const cJSON* doc_model = cJSON_GetObjectItemCaseSensitive(doc, "model");
  const cJSON* nodes = cJSON_GetObjectItemCaseSensitive(doc, "nodes");
  if (!cJSON_IsString(doc_model) || !cJSON_IsArray(nodes)) {
    status = ep_error(EP_ERR_FORMAT,
                      "%s: no \"model\" and \"nodes\": not a `edgeprof profile "
                      "--json` file",
                      source);
    goto cleanup;
  }
  /* Only versions whose meaning is known: a newer profile may mean something else by the same
   * fields (docs/results.md: a change of meaning takes a new version). */
  const cJSON* version = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
  if (!cJSON_IsNumber(version) || version->valuedouble != PROFILE_SCHEMA_VERSION) {
    char got[32] = "missing";
    if (cJSON_IsNumber(version)) snprintf(got, sizeof got, "%g", version->valuedouble);
    status = ep_error(EP_ERR_FORMAT,
                      "%s: schema_version %s is not one this edgeprof reads (profile documents "
                      "of version %d)",
                      source, got, PROFILE_SCHEMA_VERSION);
    goto cleanup;
  }
  const cJSON* kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
  if (kind != NULL && (!cJSON_IsString(kind) || strcmp(kind->valuestring, "profile") != 0)) {
    status = ep_error(EP_ERR_FORMAT, "%s: a \"%s\" document, not a profile (`edgeprof profile "
                      "--json`)", source, cJSON_IsString(kind) ? kind->valuestring : "?");
    goto cleanup;
  }
  if (model != NULL && strcmp(doc_model->valuestring, model) != 0) {
    status = ep_error(EP_ERR_FORMAT, "%s: a profile of model '%s', not of '%s'", source,
                      doc_model->valuestring, model);
    goto cleanup;
  }
  int count = cJSON_GetArraySize(nodes);
  if (count != n) {
    status = ep_error(EP_ERR_FORMAT,
                      "%s: %d nodes, but %s has %d: a profile of another version "
                      "of the model",
                      source, count, model != NULL ? model : "the graph", n);
    goto cleanup;
  }
  seen = calloc((size_t)n + 1, sizeof *seen);
  ms = calloc((size_t)n + 1, sizeof *ms);
  if (seen == NULL || ms == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to read %s", source);
    goto cleanup;
  }
  int position = 0;
  const cJSON* item = NULL;
  cJSON_ArrayForEach(item, nodes) {
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(item, "name");
    const cJSON* avg = cJSON_GetObjectItemCaseSensitive(item, "avg_ms");
    if (!cJSON_IsString(name) || !cJSON_IsNumber(avg) || !isfinite(avg->valuedouble) ||
        avg->valuedouble < 0) {
      status = ep_error(EP_ERR_FORMAT,
                        "%s: node %d has no \"name\" or no non-negative "
                        "\"avg_ms\"",
                        source, position);
      goto cleanup;
    }
    if (avg->valuedouble > MAX_NODE_MS) {
      status = ep_error(EP_ERR_FORMAT,
                        "%s: node '%s' takes %g ms: more than an hour for one node is not a "
                        "measurement",
                        source, name->valuestring, avg->valuedouble);
      goto cleanup;
    }
    /* Profiles list nodes in run order: try the same position first. */
    int index = -1;
    if (strcmp(ep_graph_node(graph, position)->name, name->valuestring) == 0) {
      index = position;
    } else {
      for (int i = 0; i < n; i++) {
        if (strcmp(ep_graph_node(graph, i)->name, name->valuestring) == 0) {
          index = i;
          break;
        }
      }
    }
    if (index < 0) {
      status = ep_error(EP_ERR_FORMAT, "%s: node '%s' is not in %s: a profile of another model",
                        source, name->valuestring, model != NULL ? model : "the graph");
      goto cleanup;
    }
    if (seen[index]) {
      status = ep_error(EP_ERR_FORMAT, "%s: node '%s' is listed twice", source, name->valuestring);
      goto cleanup;
    }
    seen[index] = true;
    ms[index] = avg->valuedouble;
    position++;
  }
  memcpy(ms_out, ms, (size_t)n * sizeof *ms);

cleanup:
  free(seen);
  free(ms);
  cJSON_Delete(doc);
  return status;
}

/* The whole file, NUL-terminated (free()); NULL with the status set on failure. */
char* ep_plan_read_document(const char* path, size_t* length_out, ep_status* status_out) {
  FILE* f = NULL;
  *status_out = ep_input_open(path, &f);
  if (*status_out != EP_OK) return NULL;
  enum { MAX_PROFILE_BYTES = 64 << 20 };
  char* text = NULL;
  size_t used = 0, cap = 0;
  ep_status status = EP_OK;
  for (;;) {
    if (used == cap) {
      if (cap >= MAX_PROFILE_BYTES) {
        status = ep_error(EP_ERR_FORMAT, "%s: larger than %d MiB: not an edgeprof document", path,
                          MAX_PROFILE_BYTES >> 20);
        goto cleanup;
      }
      size_t next = cap == 0 ? 65536 : cap * 2;
      char* grown = realloc(text, next + 1);
      if (grown == NULL) {
        status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to read %s", path);
        goto cleanup;
      }
      text = grown;
      cap = next;
    }
    size_t got = fread(text + used, 1, cap - used, f);
    used += got;
    if (got == 0) break;
  }
  if (ferror(f)) status = ep_error(EP_ERR_IO, "cannot read %s", path);

cleanup:
  fclose(f);
  if (status != EP_OK) {
    free(text);
    *status_out = status;
    return NULL;
  }
  text[used] = '\0';
  *length_out = used;
  *status_out = EP_OK;
  return text;
}

ep_status ep_plan_times_load(const char* path, const char* model, const ep_graph* graph,
                             double* ms_out) {
  size_t used = 0;
  ep_status status = EP_OK;
  char* text = ep_plan_read_document(path, &used, &status);
  if (text == NULL) return status;
  status = ep_plan_times_parse(text, used, path, model, graph, ms_out);
  free(text);
  return status;
}

ep_status ep_plan_measured_power_parse(const char* text, size_t length, const char* source,
                                       ep_plan_measured_power* power_out) {
  ep_plan_measured_power p;
  memset(&p, 0, sizeof p);
  cJSON* doc = cJSON_ParseWithLength(text, length);
  if (doc == NULL || !cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    return ep_error(EP_ERR_FORMAT, "%s: not a JSON object (expected `edgeprof profile --json` "
                    "output)", source);
  }
  const cJSON* energy = cJSON_GetObjectItemCaseSensitive(doc, "energy");
  ep_status status = EP_OK;
  if (energy != NULL && !cJSON_IsNull(energy)) {
    const cJSON* watts = cJSON_GetObjectItemCaseSensitive(energy, "mean_power_w");
    const cJSON* meter = cJSON_GetObjectItemCaseSensitive(energy, "meter");
    const cJSON* description = cJSON_GetObjectItemCaseSensitive(energy, "description");
    const cJSON* scope = cJSON_GetObjectItemCaseSensitive(energy, "scope");
    if (!cJSON_IsObject(energy) || !cJSON_IsNumber(watts) || !isfinite(watts->valuedouble) ||
        !(watts->valuedouble > 0) || watts->valuedouble > 1e6 || !cJSON_IsString(meter)) {
      status = ep_error(EP_ERR_FORMAT, "%s: \"energy\" must be null or hold a \"meter\" and a "
                        "positive \"mean_power_w\"", source);
    } else {
      p.present = true;
      p.mean_power_w = watts->valuedouble;
      snprintf(p.meter, sizeof p.meter, "%s", meter->valuestring);
      snprintf(p.description, sizeof p.description, "%s",
               cJSON_IsString(description) ? description->valuestring : meter->valuestring);
      snprintf(p.scope, sizeof p.scope, "%s", cJSON_IsString(scope) ? scope->valuestring : "");
    }
  }
  cJSON_Delete(doc);
  if (status == EP_OK) *power_out = p;
  return status;
}

ep_status ep_plan_measured_power_load(const char* path, ep_plan_measured_power* power_out) {
  size_t used = 0;
  ep_status status = EP_OK;
  char* text = ep_plan_read_document(path, &used, &status);
  if (text == NULL) return status;
  status = ep_plan_measured_power_parse(text, used, path, power_out);
  free(text);
  return status;
}

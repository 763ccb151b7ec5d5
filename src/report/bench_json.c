/* bench --json: latency statistics, throughput, memory, energy and every sample. */
#include <math.h>

#include "edgeprof/report.h"
#include "report/json_util.h"

static double round_to(double v, double unit) { return round(v / unit) * unit; }

cJSON* ep_json_energy(const ep_energy_result* e) {
  if (e == NULL) return cJSON_CreateNull();
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddStringToObject(o, "meter", e->meter);
  cJSON_AddStringToObject(o, "description", e->description);
  cJSON_AddStringToObject(o, "scope", e->scope);
  cJSON_AddNumberToObject(o, "joules_per_inference", round_to(e->joules_per_inference, 1e-9));
  cJSON_AddNumberToObject(o, "mean_power_w", round_to(e->mean_power_w, 1e-6));
  cJSON_AddNumberToObject(o, "joules", round_to(e->joules, 1e-6));
  cJSON_AddNumberToObject(o, "seconds", round_to(e->seconds, 1e-6));
  ep_json_add_int(o, "inferences", e->inferences);
  cJSON_AddBoolToObject(o, "short_window", e->short_window);
  return o;
}

ep_status ep_report_bench_json(const ep_bench_report* r, FILE* out) {
  cJSON* doc = ep_json_begin();
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  cJSON_AddNumberToObject(doc, "schema_version", EP_RESULTS_SCHEMA_VERSION);
  cJSON_AddStringToObject(doc, "kind", "bench");
  ep_json_add_environment(doc, r->backend != NULL ? r->backend : "cpu");
  cJSON_AddStringToObject(doc, "model", r->model);
  cJSON_AddStringToObject(doc, "backend", r->backend != NULL ? r->backend : "cpu");
  ep_json_add_int(doc, "threads", r->threads);
  if (r->cpus != NULL && r->cpus[0] != '\0') {
    cJSON_AddStringToObject(doc, "cpus", r->cpus);
  } else {
    cJSON_AddNullToObject(doc, "cpus");
  }
  ep_json_add_int(doc, "runs", r->n_samples);
  ep_json_add_init(doc, r->load_ms, r->session_ms, r->first_inference_ms);
  cJSON_AddItemToObject(doc, "latency_ms", ep_json_latency(&r->stats));
  cJSON_AddNumberToObject(doc, "throughput_per_s",
                          r->stats.mean > 0.0 ? round(1e6 / r->stats.mean) / 1e3 : 0.0);
  cJSON* memory = cJSON_AddObjectToObject(doc, "memory_bytes");
  if (memory != NULL) {
    ep_json_add_memory(memory, &r->memory);
    ep_json_add_int(memory, "peak_rss", (int64_t)r->peak_rss_bytes);
  }
  cJSON_AddItemToObject(doc, "energy", ep_json_energy(r->energy));
  if (r->singlestream != NULL) {
    const ep_singlestream_result* ss = r->singlestream;
    cJSON* o = cJSON_AddObjectToObject(doc, "singlestream");
    if (o != NULL) {
      ep_json_add_int(o, "queries", ss->queries);
      if (ss->discarded >= 0) {
        ep_json_add_int(o, "discarded", ss->discarded);
        cJSON_AddNumberToObject(o, "p90_estimate_ms", ep_json_ms(ss->p90_estimate_ms));
      } else {
        cJSON_AddNullToObject(o, "discarded");
        cJSON_AddNullToObject(o, "p90_estimate_ms");
      }
      cJSON_AddBoolToObject(o, "valid", ss->valid);
      if (ss->valid) {
        cJSON_AddNullToObject(o, "reason");
      } else {
        cJSON_AddStringToObject(o, "reason", ss->reason);
      }
    }
  } else {
    cJSON_AddNullToObject(doc, "singlestream");
  }
  if (r->multistream != NULL) {
    const ep_multistream_result* ms = r->multistream;
    cJSON* o = cJSON_AddObjectToObject(doc, "multistream");
    if (o != NULL) {
      ep_json_add_int(o, "queries", ms->queries);
      ep_json_add_int(o, "samples_per_query", ms->samples_per_query);
      if (ms->discarded >= 0) {
        ep_json_add_int(o, "discarded", ms->discarded);
        cJSON_AddNumberToObject(o, "p99_estimate_ms", ep_json_ms(ms->p99_estimate_ms));
      } else {
        cJSON_AddNullToObject(o, "discarded");
        cJSON_AddNullToObject(o, "p99_estimate_ms");
      }
      cJSON_AddBoolToObject(o, "valid", ms->valid);
      if (ms->valid) {
        cJSON_AddNullToObject(o, "reason");
      } else {
        cJSON_AddStringToObject(o, "reason", ms->reason);
      }
    }
  } else {
    cJSON_AddNullToObject(doc, "multistream");
  }
  if (r->offline != NULL) {
    const ep_offline_result* off = r->offline;
    cJSON* o = cJSON_AddObjectToObject(doc, "offline");
    if (o != NULL) {
      ep_json_add_int(o, "samples", off->samples);
      cJSON_AddNumberToObject(o, "seconds", round(off->seconds * 1e6) / 1e6);
      cJSON_AddNumberToObject(o, "samples_per_s", round(off->samples_per_s * 1e3) / 1e3);
      cJSON_AddStringToObject(o, "derived_from", "batch-1 runs one after another");
      cJSON_AddBoolToObject(o, "valid", off->valid);
      if (off->valid) {
        cJSON_AddNullToObject(o, "reason");
      } else {
        cJSON_AddStringToObject(o, "reason", off->reason);
      }
    }
  } else {
    cJSON_AddNullToObject(doc, "offline");
  }
  cJSON* samples = cJSON_AddArrayToObject(doc, "samples_ms");
  for (int i = 0; samples != NULL && i < r->n_samples; i++) {
    cJSON_AddItemToArray(samples, cJSON_CreateNumber(ep_json_ms(r->samples_ms[i])));
  }
  return ep_json_finish(doc, out);
}

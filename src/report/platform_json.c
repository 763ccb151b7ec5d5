/* platform --json: the machine, its ISA levels and the two measurements. */
#include "edgeprof/cpu.h"
#include "edgeprof/report.h"
#include "report/json_util.h"

/* Rounded to 0.01 so that files stay readable. */
static double round2(double x) { return (double)(long long)(x * 100.0 + 0.5) / 100.0; }

ep_status ep_report_platform_json(const ep_platform_summary* s, FILE* out) {
  cJSON* doc = ep_json_begin();
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  cJSON_AddNumberToObject(doc, "schema_version", EP_RESULTS_SCHEMA_VERSION);
  cJSON_AddStringToObject(doc, "kind", "platform");
  ep_json_add_environment(doc, NULL);
  cJSON* cpu = cJSON_AddObjectToObject(doc, "cpu");
  if (cpu != NULL) {
    cJSON_AddStringToObject(cpu, "model", s->cpu.model);
    cJSON_AddStringToObject(cpu, "vendor", s->cpu.vendor);
    cJSON_AddNumberToObject(cpu, "family", s->cpu.family);
    cJSON_AddNumberToObject(cpu, "model_id", s->cpu.model_id);
    cJSON_AddNumberToObject(cpu, "stepping", s->cpu.stepping);
    cJSON_AddNumberToObject(cpu, "cpus_online", s->cpu.cpus_online);
    cJSON_AddNumberToObject(cpu, "cpus_allowed", s->cpu.cpus_allowed);
    cJSON* caches = cJSON_AddArrayToObject(cpu, "caches");
    for (int i = 0; caches != NULL && i < s->cpu.n_caches; i++) {
      const ep_cpu_cache* c = &s->cpu.caches[i];
      cJSON* o = cJSON_CreateObject();
      if (o == NULL) break;
      cJSON_AddNumberToObject(o, "level", c->level);
      cJSON_AddStringToObject(o, "type", c->type);
      ep_json_add_int(o, "size_bytes", (int64_t)c->size_bytes);
      cJSON_AddNumberToObject(o, "shared_by", c->shared_by);
      cJSON_AddItemToArray(caches, o);
    }
  }
  cJSON* isa = cJSON_AddObjectToObject(doc, "isa");
  if (isa != NULL) {
    cJSON_AddStringToObject(isa, "best", ep_cpu_isa_name(s->best));
    cJSON_AddStringToObject(isa, "active", ep_cpu_isa_name(s->active));
    cJSON* available = cJSON_AddArrayToObject(isa, "available");
    for (int i = 0; available != NULL && i < EP_ISA_COUNT; i++) {
      if (!ep_cpu_isa_supported((ep_cpu_isa)i)) continue;
      cJSON_AddItemToArray(available, cJSON_CreateString(ep_cpu_isa_name((ep_cpu_isa)i)));
    }
    if (s->isa_note != NULL) {
      cJSON_AddStringToObject(isa, "note", s->isa_note);
    } else {
      cJSON_AddNullToObject(isa, "note");
    }
    if (s->blocked_layout != NULL) {
      cJSON_AddStringToObject(isa, "blocked_layout", s->blocked_layout);
    } else {
      cJSON_AddNullToObject(isa, "blocked_layout");
    }
  }
  cJSON* backends = cJSON_AddArrayToObject(doc, "backends");
  for (int i = 0; backends != NULL && i < s->n_backends; i++) {
    const ep_platform_backend* b = &s->backends[i];
    cJSON* o = cJSON_CreateObject();
    if (o == NULL) break;
    cJSON_AddStringToObject(o, "name", b->name);
    cJSON_AddBoolToObject(o, "available", b->available);
    if (b->version != NULL) {
      cJSON_AddStringToObject(o, "version", b->version);
    } else {
      cJSON_AddNullToObject(o, "version");
    }
    if (!b->available) cJSON_AddStringToObject(o, "why_not", b->why);
    cJSON_AddItemToArray(backends, o);
  }
  cJSON* peak = cJSON_AddObjectToObject(doc, "peak_gflops");
  if (peak != NULL) {
    cJSON_AddNumberToObject(peak, "active", round2(s->peak_gflops));
    cJSON* by = cJSON_AddObjectToObject(peak, "by_isa");
    for (int i = 0; by != NULL && i < EP_ISA_COUNT; i++) {
      if (!ep_cpu_isa_supported((ep_cpu_isa)i)) continue;
      cJSON_AddNumberToObject(by, ep_cpu_isa_name((ep_cpu_isa)i), round2(s->peak_gflops_by_isa[i]));
    }
  }
  cJSON_AddNumberToObject(doc, "read_bandwidth_gbps", round2(s->read_bandwidth_gbps));
  return ep_json_finish(doc, out);
}

/* characterize: results.json, and sweep --json (schemas in docs/results.md). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/report.h"
#include "report/json_util.h"

static void add_cpulist(cJSON* o, const char* key, const int* cpus, int n) {
  char list[4096];
  cJSON_AddStringToObject(o, key, ep_cpulist_format(cpus, n, list, sizeof list));
}

static cJSON* topology_json(const ep_topology* t) {
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddStringToObject(o, "kind", t->kind);
  cJSON_AddStringToObject(o, "source", t->source);
  ep_json_add_int(o, "clusters", t->n_clusters);
  ep_json_add_int(o, "threads_per_core", t->threads_per_core);
  ep_json_add_int(o, "cpus_online", t->n_cpus);
  add_cpulist(o, "cpus_allowed", t->allowed, t->n_allowed);
  cJSON_AddStringToObject(o, "allowed_from", t->allowed_from);
  cJSON* cpus = cJSON_AddArrayToObject(o, "cpus");
  for (int i = 0; cpus != NULL && i < t->n_cpus; i++) {
    const ep_topology_cpu* c = &t->cpus[i];
    cJSON* row = cJSON_CreateObject();
    if (row == NULL) break;
    ep_json_add_int(row, "id", c->id);
    cJSON_AddBoolToObject(row, "allowed", c->allowed);
    ep_json_add_int(row, "cluster", c->cluster);
    ep_json_add_int(row, "capacity", c->capacity);
    ep_json_add_int(row, "max_freq_khz", c->max_freq_khz);
    ep_json_add_int(row, "core", c->core);
    cJSON_AddStringToObject(row, "core_name", c->core_name);
    ep_json_add_int(row, "midr", (int64_t)c->midr);
    cJSON_AddItemToArray(cpus, row);
  }
  cJSON* sets = cJSON_AddArrayToObject(o, "core_sets");
  for (int i = 0; sets != NULL && i < t->n_sets; i++) {
    const ep_core_set* s = &t->sets[i];
    cJSON* row = cJSON_CreateObject();
    if (row == NULL) break;
    cJSON_AddStringToObject(row, "name", s->name);
    add_cpulist(row, "cpus", s->cpus, s->n_cpus);
    ep_json_add_int(row, "size", s->n_cpus);
    cJSON_AddStringToObject(row, "description", s->description);
    cJSON_AddBoolToObject(row, "user_defined", s->user_defined);
    cJSON_AddItemToArray(sets, row);
  }
  cJSON* notes = cJSON_AddArrayToObject(o, "notes");
  for (int i = 0; notes != NULL && i < t->n_notes; i++) {
    cJSON_AddItemToArray(notes, cJSON_CreateString(t->notes[i]));
  }
  return o;
}

static cJSON* platform_json(const ep_characterize_result* r) {
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddStringToObject(o, "id", r->platform_id);
  cJSON_AddStringToObject(o, "host", r->host);
  cJSON_AddStringToObject(o, "cpu_model", r->cpu.model);
  cJSON_AddStringToObject(o, "cpu_vendor", r->cpu.vendor);
  cJSON_AddStringToObject(o, "isa", r->isa);
  cJSON* caches = cJSON_AddArrayToObject(o, "caches");
  for (int i = 0; caches != NULL && i < r->cpu.n_caches; i++) {
    const ep_cpu_cache* c = &r->cpu.caches[i];
    cJSON* row = cJSON_CreateObject();
    if (row == NULL) break;
    ep_json_add_int(row, "level", c->level);
    cJSON_AddStringToObject(row, "type", c->type);
    ep_json_add_int(row, "size_bytes", (int64_t)c->size_bytes);
    ep_json_add_int(row, "shared_by", c->shared_by);
    cJSON_AddItemToArray(caches, row);
  }
  cJSON_AddItemToObject(o, "topology", topology_json(r->topology));
  return o;
}

static double round_to(double v, double unit) { return round(v / unit) * unit; }

/* What else the machine did while the configuration was timed (edgeprof/noise.h). */
static cJSON* noise_json(const ep_noise* n) {
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddStringToObject(o, "verdict", n->noisy ? "noisy" : "ok");
  cJSON_AddStringToObject(o, "reasons", n->reasons);
  cJSON_AddBoolToObject(o, "measured", n->measured);
  ep_json_add_int(o, "attempts", n->attempts);
  cJSON_AddNumberToObject(o, "other_cpu_share", round_to(n->other_cpu_share, 1e-3));
  cJSON_AddNumberToObject(o, "steal_share", round_to(n->steal_share, 1e-3));
  cJSON_AddNumberToObject(o, "run_queue_excess", round_to(n->run_queue_excess, 1e-2));
  cJSON_AddNumberToObject(o, "free_cpus", n->free_cpus);
  if (n->freq_max_mhz > 0.0) {
    cJSON_AddNumberToObject(o, "freq_min_mhz", round(n->freq_min_mhz));
    cJSON_AddNumberToObject(o, "freq_max_mhz", round(n->freq_max_mhz));
  } else {
    cJSON_AddNullToObject(o, "freq_min_mhz");
    cJSON_AddNullToObject(o, "freq_max_mhz");
  }
  cJSON_AddNumberToObject(o, "spread", round_to(n->spread, 1e-3));
  return o;
}

static cJSON* measurement_json(const ep_measurement* m) {
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddStringToObject(o, "backend", m->backend);
  cJSON_AddStringToObject(o, "core_set", m->core_set);
  cJSON_AddStringToObject(o, "cpus", m->cpus);
  ep_json_add_int(o, "set_size", m->set_size);
  ep_json_add_int(o, "threads", m->threads);
  cJSON_AddBoolToObject(o, "oversubscribed", m->oversubscribed);
  ep_json_add_int(o, "warmup_runs", m->warmup_runs);
  ep_json_add_int(o, "runs", m->n_samples);
  cJSON_AddItemToObject(o, "latency_ms", ep_json_latency(&m->stats));
  if (m->p90_estimate_ms > 0.0) {
    ep_json_add_ms(o, "p90_estimate_ms", m->p90_estimate_ms);
  } else {
    cJSON_AddNullToObject(o, "p90_estimate_ms");
  }
  cJSON* samples = cJSON_AddArrayToObject(o, "samples_ms");
  for (int i = 0; samples != NULL && i < m->n_samples; i++) {
    cJSON_AddItemToArray(samples, cJSON_CreateNumber(ep_json_ms(m->samples_ms[i])));
  }
  cJSON_AddNumberToObject(o, "seconds", round(m->seconds * 1e3) / 1e3);
  cJSON_AddItemToObject(o, "noise", noise_json(&m->noise));
  return o;
}

static cJSON* profile_json(const ep_characterize_model* m) {
  const ep_profile* p = m->profile;
  if (p == NULL) return cJSON_CreateNull();
  const ep_measurement* b = &m->measurements[m->best];
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  cJSON_AddStringToObject(o, "backend", b->backend);
  cJSON_AddStringToObject(o, "core_set", b->core_set);
  cJSON_AddStringToObject(o, "cpus", b->cpus);
  ep_json_add_int(o, "threads", b->threads);
  ep_json_add_int(o, "runs", p->runs);
  ep_json_add_ms(o, "total_ms", p->total_ms);
  cJSON_AddItemToObject(o, "whole_run_ms", ep_json_latency(&p->whole));
  cJSON_AddItemToObject(o, "noise", noise_json(&m->profile_noise));
  cJSON_AddNumberToObject(o, "timer_cost_us", round(p->timer_cost_ms * 1e6) / 1e3);
  ep_json_add_ms(o, "timer_overhead_ms", p->timer_overhead_ms);
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
    ep_json_add_percent(n, "percent", p->total_ms > 0.0 ? 100.0 * p->node_ms[i] / p->total_ms
                                                        : 0.0);
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
  cJSON_AddStringToObject(o, "family", m->family);
  cJSON_AddBoolToObject(o, "complete", m->complete);
  cJSON* list = cJSON_AddArrayToObject(o, "measurements");
  for (int i = 0; list != NULL && i < m->n_measurements; i++) {
    cJSON_AddItemToArray(list, measurement_json(&m->measurements[i]));
  }
  if (m->n_measurements > 0) {
    const ep_measurement* b = &m->measurements[m->best];
    cJSON* best = cJSON_AddObjectToObject(o, "best");
    if (best != NULL) {
      ep_json_add_int(best, "index", m->best);
      cJSON_AddStringToObject(best, "backend", b->backend);
      cJSON_AddStringToObject(best, "core_set", b->core_set);
      ep_json_add_int(best, "threads", b->threads);
      ep_json_add_ms(best, "median_ms", b->stats.median);
      ep_json_add_ms(best, "p90_ms", b->stats.p90);
      if (b->p90_estimate_ms > 0.0) {
        ep_json_add_ms(best, "p90_estimate_ms", b->p90_estimate_ms);
      } else {
        cJSON_AddNullToObject(best, "p90_estimate_ms");
      }
    }
  } else {
    cJSON_AddNullToObject(o, "best");
  }
  cJSON_AddItemToObject(o, "profile", profile_json(m));
  cJSON* memory = cJSON_AddObjectToObject(o, "memory_bytes");
  if (memory != NULL) ep_json_add_memory(memory, &m->memory);
  /* With an energy meter: the best configuration of each core set, measured again with it. */
  cJSON* energy = cJSON_AddArrayToObject(o, "energy");
  for (int i = 0; energy != NULL && i < m->n_energy; i++) {
    const ep_characterize_energy* e = &m->energy[i];
    cJSON* row = ep_json_energy(&e->result);
    if (row == NULL) break;
    cJSON_AddStringToObject(row, "backend", e->backend);
    cJSON_AddStringToObject(row, "core_set", e->core_set);
    ep_json_add_int(row, "threads", e->threads);
    cJSON_AddItemToArray(energy, row);
  }
  return o;
}

static cJSON* characterize_doc(const ep_characterize_result* r) {
  cJSON* doc = ep_json_begin();
  if (doc == NULL) return NULL;
  cJSON_AddNumberToObject(doc, "schema_version", EP_CHARACTERIZE_SCHEMA_VERSION);
  cJSON_AddStringToObject(doc, "kind", "characterize");
  char backends[256] = "";
  for (int i = 0; i < r->n_backends; i++) {
    if (i) strncat(backends, ",", sizeof backends - strlen(backends) - 1);
    strncat(backends, r->backends[i], sizeof backends - strlen(backends) - 1);
  }
  ep_json_add_environment(doc, r->n_backends > 0 ? backends : "cpu");
  cJSON_AddItemToObject(doc, "platform", platform_json(r));
  cJSON_AddStringToObject(doc, "date", r->date);
  cJSON_AddNumberToObject(doc, "seed", (double)r->seed);
  cJSON_AddBoolToObject(doc, "quick", r->quick);
  cJSON_AddStringToObject(doc, "label", r->label);
  cJSON_AddBoolToObject(doc, "partial", r->partial);
  cJSON* settings = cJSON_AddObjectToObject(doc, "settings");
  if (settings != NULL) {
    cJSON* backends = cJSON_AddArrayToObject(settings, "backends");
    for (int i = 0; backends != NULL && i < r->n_backends; i++) {
      cJSON_AddItemToArray(backends, cJSON_CreateString(r->backends[i]));
    }
    cJSON* sets = cJSON_AddArrayToObject(settings, "core_sets");
    for (int i = 0; sets != NULL && i < r->n_core_sets; i++) {
      cJSON_AddItemToArray(sets, cJSON_CreateString(r->core_sets[i]));
    }
    cJSON* threads = cJSON_AddArrayToObject(settings, "threads");
    for (int i = 0; threads != NULL && i < r->n_threads; i++) {
      cJSON_AddItemToArray(threads, cJSON_CreateNumber(r->threads[i]));
    }
    cJSON_AddStringToObject(settings, "threads_per_set",
                            r->threads_given ? "all" : "up to max(8, set size)");
    cJSON_AddStringToObject(settings, "latency", r->latency_p90_estimate ? "p90est" : "median");
    ep_json_add_int(settings, "warmup_runs", r->measure.warmup_runs);
    ep_json_add_int(settings, "min_runs", r->measure.min_runs);
    cJSON_AddNumberToObject(settings, "min_seconds", r->measure.min_seconds);
    cJSON_AddNumberToObject(settings, "budget_seconds", r->measure.budget_seconds);
  }
  cJSON_AddNumberToObject(doc, "elapsed_s", round(r->elapsed_seconds * 1e3) / 1e3);
  if (r->load_average >= 0.0) {
    cJSON_AddNumberToObject(doc, "load_average_before", round(r->load_average * 100) / 100);
  } else {
    cJSON_AddNullToObject(doc, "load_average_before");
  }
  ep_json_add_int(doc, "peak_rss_bytes", (int64_t)r->peak_rss_bytes);
  if (r->has_energy_meter) {
    cJSON* meter = cJSON_AddObjectToObject(doc, "energy_meter");
    if (meter != NULL) {
      cJSON_AddStringToObject(meter, "meter", r->energy_meter);
      cJSON_AddStringToObject(meter, "description", r->energy_description);
      cJSON_AddStringToObject(meter, "scope", r->energy_scope);
    }
  } else {
    cJSON_AddNullToObject(doc, "energy_meter");
  }
  cJSON_AddStringToObject(doc, "energy_note", r->energy_note);
  cJSON* table1 = cJSON_AddArrayToObject(doc, "table1");
  for (int i = 0; table1 != NULL && i < r->n_models; i++) {
    cJSON_AddItemToArray(table1, ep_json_table1_row(&r->models[i].table1));
  }
  cJSON* models = cJSON_AddArrayToObject(doc, "models");
  for (int i = 0; models != NULL && i < r->n_models; i++) {
    cJSON_AddItemToArray(models, model_json(&r->models[i]));
  }
  return doc;
}

ep_status ep_report_characterize_json(const ep_characterize_result* r, FILE* out) {
  cJSON* doc = characterize_doc(r);
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  return ep_json_finish(doc, out);
}

static ep_status read_json(const char* path, cJSON** doc_out) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) {
    return ep_error(errno == ENOENT ? EP_ERR_NOT_FOUND : EP_ERR_IO, "cannot read %s: %s", path,
                    strerror(errno));
  }
  char* text = NULL;
  size_t len = 0, cap = 0;
  ep_status status = EP_OK;
  for (;;) {
    if (len + 65536 + 1 > cap) {
      char* bigger = cap < ((size_t)1 << 31) ? realloc(text, cap ? cap * 2 : 1 << 20) : NULL;
      if (bigger == NULL) {
        status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to read %s", path);
        break;
      }
      text = bigger;
      cap = cap ? cap * 2 : 1 << 20;
    }
    size_t n = fread(text + len, 1, cap - len - 1, f);
    len += n;
    if (n == 0) break;
  }
  fclose(f);
  if (status != EP_OK) {
    free(text);
    return status;
  }
  text[len] = '\0';
  cJSON* doc = cJSON_Parse(text);
  free(text);
  const cJSON* kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
  if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "characterize") != 0) {
    cJSON_Delete(doc);
    return ep_error(EP_ERR_FORMAT, "%s: not an edgeprof characterize results file", path);
  }
  *doc_out = doc;
  return EP_OK;
}

/* The fields that must match for two pieces of one run to be one run. */
static const char* const RESUME_KEYS[] = {"settings", "seed", "quick", "label"};

ep_status ep_report_characterize_resumable(const ep_characterize_result* r, const char* path) {
  cJSON* previous = NULL;
  ep_status status = read_json(path, &previous);
  if (status != EP_OK) return status;
  cJSON* now = characterize_doc(r);
  if (now == NULL) {
    cJSON_Delete(previous);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  }
  if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(previous, "partial"))) {
    status = ep_error(EP_ERR_INVALID_ARGUMENT, "%s is a complete run: nothing to resume", path);
  }
  for (size_t i = 0; status == EP_OK && i < sizeof RESUME_KEYS / sizeof *RESUME_KEYS; i++) {
    const cJSON* a = cJSON_GetObjectItemCaseSensitive(previous, RESUME_KEYS[i]);
    const cJSON* b = cJSON_GetObjectItemCaseSensitive(now, RESUME_KEYS[i]);
    if (a == NULL || b == NULL || !cJSON_Compare(a, b, true)) {
      char* was = a != NULL ? cJSON_PrintUnformatted(a) : NULL;
      char* is = b != NULL ? cJSON_PrintUnformatted(b) : NULL;
      status = ep_error(EP_ERR_INVALID_ARGUMENT,
                        "%s was measured with other settings (%s: %.200s, now %.200s): resume "
                        "with the flags of the interrupted run", path, RESUME_KEYS[i],
                        was != NULL ? was : "absent", is != NULL ? is : "absent");
      cJSON_free(was);
      cJSON_free(is);
    }
  }
  cJSON_Delete(previous);
  cJSON_Delete(now);
  return status;
}

ep_status ep_report_characterize_json_resumed(const ep_characterize_result* r, const char* path,
                                              FILE* out) {
  cJSON* previous = NULL;
  ep_status status = read_json(path, &previous);
  if (status != EP_OK) return status;
  cJSON* doc = characterize_doc(r);
  if (doc == NULL) {
    cJSON_Delete(previous);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  }
  /* The run began with the previous piece: its date and the load before it. */
  static const char* const kept[] = {"date", "load_average_before"};
  for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
    cJSON* item = cJSON_DetachItemFromObjectCaseSensitive(previous, kept[i]);
    if (item != NULL) cJSON_ReplaceItemInObjectCaseSensitive(doc, kept[i], item);
  }
  cJSON_AddStringToObject(doc, "resumed_date", r->date);
  /* Its complete models (and their Table I rows) first, in their order: the new piece measured
   * the models after them. */
  cJSON* models = cJSON_GetObjectItemCaseSensitive(doc, "models");
  cJSON* table1 = cJSON_GetObjectItemCaseSensitive(doc, "table1");
  cJSON* old_models = cJSON_GetObjectItemCaseSensitive(previous, "models");
  cJSON* old_table1 = cJSON_GetObjectItemCaseSensitive(previous, "table1");
  int at = 0;
  for (int i = cJSON_GetArraySize(old_models) - 1; i >= 0; i--) {
    cJSON* m = cJSON_GetArrayItem(old_models, i);
    if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(m, "complete"))) continue;
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(m, "name");
    for (int k = 0; cJSON_IsString(name) && k < cJSON_GetArraySize(old_table1); k++) {
      const cJSON* row_name =
          cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(old_table1, k), "name");
      if (cJSON_IsString(row_name) && strcmp(row_name->valuestring, name->valuestring) == 0) {
        cJSON_InsertItemInArray(table1, 0, cJSON_DetachItemFromArray(old_table1, k));
        break;
      }
    }
    cJSON_InsertItemInArray(models, 0, cJSON_DetachItemFromArray(old_models, i));
    at++;
  }
  (void)at;
  cJSON_Delete(previous);
  return ep_json_finish(doc, out);
}

ep_status ep_report_sweep_json(const ep_sweep_report* s, FILE* out) {
  cJSON* doc = ep_json_begin();
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  cJSON_AddNumberToObject(doc, "schema_version", EP_CHARACTERIZE_SCHEMA_VERSION);
  cJSON_AddStringToObject(doc, "kind", "sweep");
  ep_json_add_environment(doc, s->n_measurements > 0 ? s->measurements[0].backend : "cpu");
  cJSON_AddStringToObject(doc, "model", s->model);
  cJSON_AddItemToObject(doc, "topology", topology_json(s->topology));
  cJSON* list = cJSON_AddArrayToObject(doc, "measurements");
  for (int i = 0; list != NULL && i < s->n_measurements; i++) {
    cJSON_AddItemToArray(list, measurement_json(&s->measurements[i]));
  }
  return ep_json_finish(doc, out);
}

/* results.json back into plain data (schema versions 1 and 2, docs/results.md). */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edgeprof/output.h"
#include "edgeprof/report.h"
#include "edgeprof/results.h"

typedef struct reader {
  const char* path;
  ep_status status;  /* first failure */
  char where[96];    /* "models[2].measurements[3]" */
} reader;

static void fail(reader* r, const char* format, ...) __attribute__((format(printf, 2, 3)));
static void fail(reader* r, const char* format, ...) {
  if (r->status != EP_OK) return;
  char what[256];
  va_list args;
  va_start(args, format);
  vsnprintf(what, sizeof what, format, args);
  va_end(args);
  r->status = ep_error(EP_ERR_FORMAT, "%s: %s%s%s", r->path, r->where, r->where[0] ? ": " : "",
                       what);
}

static const cJSON* field(reader* r, const cJSON* obj, const char* key, bool required) {
  const cJSON* item = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
  if (item == NULL && required) fail(r, "missing field '%s'", key);
  return item;
}

static void get_string(reader* r, const cJSON* obj, const char* key, char* buf, size_t size,
                       bool required) {
  buf[0] = '\0';
  const cJSON* item = field(r, obj, key, required);
  if (item == NULL || cJSON_IsNull(item)) return;
  if (!cJSON_IsString(item)) {
    fail(r, "'%s' must be a string", key);
    return;
  }
  snprintf(buf, size, "%s", item->valuestring);
}

static double get_number(reader* r, const cJSON* obj, const char* key, bool required) {
  const cJSON* item = field(r, obj, key, required);
  if (item == NULL) return 0.0;
  if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) {
    fail(r, "'%s' must be a number", key);
    return 0.0;
  }
  return item->valuedouble;
}

static int get_int(reader* r, const cJSON* obj, const char* key, bool required) {
  double v = get_number(r, obj, key, required);
  if (v < -2147483648.0 || v > 2147483647.0 || v != floor(v)) {
    fail(r, "'%s' must be an integer", key);
    return 0;
  }
  return (int)v;
}

static bool get_bool(reader* r, const cJSON* obj, const char* key, bool required) {
  const cJSON* item = field(r, obj, key, required);
  if (item == NULL) return false;
  if (!cJSON_IsBool(item)) {
    fail(r, "'%s' must be true or false", key);
    return false;
  }
  return cJSON_IsTrue(item);
}

static const cJSON* get_array(reader* r, const cJSON* obj, const char* key, bool required) {
  const cJSON* item = field(r, obj, key, required);
  if (item == NULL || cJSON_IsNull(item)) return NULL;
  if (!cJSON_IsArray(item)) {
    fail(r, "'%s' must be an array", key);
    return NULL;
  }
  return item;
}

static void get_stats(reader* r, const cJSON* o, ep_latency_stats* s) {
  if (!cJSON_IsObject(o)) {
    fail(r, "latency statistics must be an object");
    return;
  }
  s->min = get_number(r, o, "min", true);
  s->median = get_number(r, o, "median", true);
  s->mean = get_number(r, o, "mean", true);
  s->p90 = get_number(r, o, "p90", true);
  s->p99 = get_number(r, o, "p99", false);
  s->max = get_number(r, o, "max", true);
  s->stddev = get_number(r, o, "stddev", false);
  if (!(s->median > 0.0)) fail(r, "a median latency must be positive");
}

static void* alloc_array(reader* r, int n, size_t size) {
  void* p = calloc(n > 0 ? (size_t)n : 1, size);
  if (p == NULL && r->status == EP_OK) {
    r->status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to read %s", r->path);
  }
  return p;
}

static int count_cpus(const char* list) {
  static _Thread_local int ids[EP_MAX_CPUS];
  int n = 0;
  return ep_cpulist_parse(list, ids, EP_MAX_CPUS, &n) == EP_OK ? n : 0;
}

static void read_measurement(reader* r, const cJSON* o, ep_results_measurement* m) {
  get_string(r, o, "backend", m->backend, sizeof m->backend, true);
  get_string(r, o, "core_set", m->core_set, sizeof m->core_set, true);
  get_string(r, o, "cpus", m->cpus, sizeof m->cpus, true);
  m->set_size = get_int(r, o, "set_size", true);
  m->threads = get_int(r, o, "threads", true);
  m->oversubscribed = get_bool(r, o, "oversubscribed", true);
  m->runs = get_int(r, o, "runs", true);
  get_stats(r, field(r, o, "latency_ms", true), &m->stats);
  m->stats.count = m->runs;
  const cJSON* estimate = field(r, o, "p90_estimate_ms", false);
  if (estimate != NULL && !cJSON_IsNull(estimate)) {
    m->p90_estimate_ms = get_number(r, o, "p90_estimate_ms", true);
  }
  m->attempts = 1;
  const cJSON* noise = field(r, o, "noise", false);
  if (noise != NULL && !cJSON_IsNull(noise)) {
    char verdict[16];
    get_string(r, noise, "verdict", verdict, sizeof verdict, true);
    if (r->status == EP_OK && strcmp(verdict, "ok") != 0 && strcmp(verdict, "noisy") != 0) {
      fail(r, "noise.verdict must be \"ok\" or \"noisy\"");
    }
    m->has_noise = true;
    m->noisy = strcmp(verdict, "noisy") == 0;
    get_string(r, noise, "reasons", m->noise_reasons, sizeof m->noise_reasons, false);
    if (cJSON_GetObjectItemCaseSensitive(noise, "attempts") != NULL) {
      m->attempts = get_int(r, noise, "attempts", false);
    }
  }
  if (r->status == EP_OK && (m->threads < 1 || m->set_size < 1)) {
    fail(r, "threads and set_size must be at least 1");
  }
}

static void read_profile(reader* r, const cJSON* p, ep_results_model* m, bool v1) {
  if (p == NULL || cJSON_IsNull(p)) return;
  if (!cJSON_IsObject(p)) {
    fail(r, "'profile' must be an object or null");
    return;
  }
  m->has_profile = true;
  if (v1) {
    snprintf(m->profile_backend, sizeof m->profile_backend, "cpu");
    snprintf(m->profile_core_set, sizeof m->profile_core_set, "all");
  } else {
    get_string(r, p, "backend", m->profile_backend, sizeof m->profile_backend, true);
    get_string(r, p, "core_set", m->profile_core_set, sizeof m->profile_core_set, true);
  }
  m->profile_threads = get_int(r, p, "threads", true);
  m->profile_runs = get_int(r, p, "runs", true);
  m->profile_total_ms = get_number(r, p, "total_ms", true);
  const cJSON* noise = field(r, p, "noise", false);
  if (cJSON_IsObject(noise)) {
    char verdict[16];
    get_string(r, noise, "verdict", verdict, sizeof verdict, true);
    m->profile_noisy = strcmp(verdict, "noisy") == 0;
  }
  const cJSON* whole = field(r, p, "whole_run_ms", false);
  if (cJSON_IsObject(whole)) {
    m->profile_whole_mean_ms = get_number(r, whole, "mean", false);
    m->profile_whole_stddev_ms = get_number(r, whole, "stddev", false);
  }
  m->profile_timer_cost_us = -1.0;
  if (field(r, p, "timer_cost_us", false) != NULL) {
    m->profile_timer_cost_us = get_number(r, p, "timer_cost_us", true);
    m->profile_timer_overhead_ms = get_number(r, p, "timer_overhead_ms", true);
  }
  const cJSON* ops = get_array(r, p, "by_op_type", true);
  m->n_ops = cJSON_GetArraySize(ops);
  m->ops = alloc_array(r, m->n_ops, sizeof *m->ops);
  for (int i = 0; m->ops != NULL && i < m->n_ops && r->status == EP_OK; i++) {
    const cJSON* o = cJSON_GetArrayItem(ops, i);
    get_string(r, o, "op", m->ops[i].op, sizeof m->ops[i].op, true);
    m->ops[i].count = get_int(r, o, "count", true);
    m->ops[i].ms = get_number(r, o, "ms", true);
    m->ops[i].percent = get_number(r, o, "percent", true);
  }
  const cJSON* nodes = get_array(r, p, "nodes", true);
  m->n_nodes = cJSON_GetArraySize(nodes);
  m->nodes = alloc_array(r, m->n_nodes, sizeof *m->nodes);
  for (int i = 0; m->nodes != NULL && i < m->n_nodes && r->status == EP_OK; i++) {
    const cJSON* o = cJSON_GetArrayItem(nodes, i);
    ep_results_node* n = &m->nodes[i];
    char name[512];
    get_string(r, o, "name", name, sizeof name, true);
    n->name = strdup(name);
    if (n->name == NULL && r->status == EP_OK) {
      r->status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to read %s", r->path);
    }
    get_string(r, o, "op", n->op, sizeof n->op, true);
    n->avg_ms = get_number(r, o, "avg_ms", true);
    n->percent = m->profile_total_ms > 0.0 ? 100.0 * n->avg_ms / m->profile_total_ms : 0.0;
    n->macs = (int64_t)get_number(r, o, "macs", false);
    n->params = (int64_t)get_number(r, o, "params", false);
    n->output_bytes = (int64_t)get_number(r, o, "output_bytes", false);
  }
}

/* Table I fields from the document's table1 array (by model name). */
static void read_table1(reader* r, const cJSON* table1, ep_results_model* m) {
  const cJSON* row = NULL;
  const cJSON* it;
  cJSON_ArrayForEach(it, table1) {
    const cJSON* name = cJSON_GetObjectItemCaseSensitive(it, "name");
    if (cJSON_IsString(name) && strcmp(name->valuestring, m->name) == 0) row = it;
  }
  snprintf(m->set, sizeof m->set, "paper");
  if (row == NULL) return;
  get_string(r, row, "description", m->description, sizeof m->description, false);
  get_string(r, row, "input", m->input, sizeof m->input, false);
  get_string(r, row, "output", m->output, sizeof m->output, false);
  get_string(r, row, "note", m->note, sizeof m->note, false);
  m->layers = get_int(r, row, "layers", false);
  m->params = (int64_t)get_number(r, row, "params", false);
  m->macs = (int64_t)get_number(r, row, "macs", false);
  m->flops = (int64_t)get_number(r, row, "flops", false);
  const cJSON* paper = field(r, row, "paper", false);
  if (cJSON_IsObject(paper)) {
    get_string(r, paper, "name", m->paper_name, sizeof m->paper_name, false);
    get_string(r, paper, "input", m->paper_input, sizeof m->paper_input, false);
    get_string(r, paper, "output", m->paper_output, sizeof m->paper_output, false);
    get_string(r, paper, "layers", m->paper_layers, sizeof m->paper_layers, false);
    get_string(r, paper, "params", m->paper_params, sizeof m->paper_params, false);
    get_string(r, paper, "flops", m->paper_flops, sizeof m->paper_flops, false);
    get_string(r, paper, "macs", m->paper_macs, sizeof m->paper_macs, false);
  }
  get_string(r, row, "set", m->set, sizeof m->set, false);
  if (m->set[0] == '\0') snprintf(m->set, sizeof m->set, "paper");
}

/* "energy": [...] of a model (absent in files written before energy was measured). */
static void read_energy(reader* r, const cJSON* o, ep_results_model* m) {
  const cJSON* list = get_array(r, o, "energy", false);
  if (list == NULL) return;
  m->n_energy = cJSON_GetArraySize(list);
  m->energy = alloc_array(r, m->n_energy, sizeof *m->energy);
  for (int i = 0; m->energy != NULL && i < m->n_energy && r->status == EP_OK; i++) {
    const cJSON* e = cJSON_GetArrayItem(list, i);
    ep_results_energy* x = &m->energy[i];
    get_string(r, e, "backend", x->backend, sizeof x->backend, true);
    get_string(r, e, "core_set", x->core_set, sizeof x->core_set, true);
    x->threads = get_int(r, e, "threads", true);
    x->joules_per_inference = get_number(r, e, "joules_per_inference", true);
    x->mean_power_w = get_number(r, e, "mean_power_w", true);
    x->seconds = get_number(r, e, "seconds", false);
    x->inferences = get_int(r, e, "inferences", false);
    x->short_window = get_bool(r, e, "short_window", false);
    if (r->status == EP_OK && (x->joules_per_inference < 0 || x->mean_power_w < 0)) {
      fail(r, "energy figures must not be negative");
    }
  }
}

/* Version 1 had no family: tell it from the profile's ops. */
static void guess_family(ep_results_model* m) {
  bool conv = false, rnn = false, fc = false;
  for (int i = 0; i < m->n_ops; i++) {
    conv |= strcmp(m->ops[i].op, "Conv") == 0;
    rnn |= strcmp(m->ops[i].op, "LSTM") == 0 || strcmp(m->ops[i].op, "GRU") == 0;
    fc |= strstr(m->ops[i].op, "FullyConnected") != NULL || strcmp(m->ops[i].op, "Gemm") == 0 ||
          strcmp(m->ops[i].op, "MatMul") == 0;
  }
  snprintf(m->family, sizeof m->family, "%s", conv ? "cnn" : rnn ? "rnn" : fc ? "mlp" : "other");
}

static void read_model(reader* r, const cJSON* o, const cJSON* table1, const char* v1_cpus,
                       bool p90_estimate, ep_results_model* m) {
  bool v1 = v1_cpus != NULL;
  get_string(r, o, "name", m->name, sizeof m->name, true);
  m->best = -1;
  m->complete = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(o, "complete"));
  const cJSON* list = get_array(r, o, v1 ? "latency_ms" : "measurements", true);
  m->n_measurements = cJSON_GetArraySize(list);
  m->measurements = alloc_array(r, m->n_measurements, sizeof *m->measurements);
  size_t where_len = strlen(r->where);
  for (int i = 0; m->measurements != NULL && i < m->n_measurements && r->status == EP_OK; i++) {
    snprintf(r->where + where_len, sizeof r->where - where_len, ".%s[%d]",
             v1 ? "latency_ms" : "measurements", i);
    const cJSON* item = cJSON_GetArrayItem(list, i);
    ep_results_measurement* meas = &m->measurements[i];
    if (v1) {
      snprintf(meas->backend, sizeof meas->backend, "cpu");
      snprintf(meas->core_set, sizeof meas->core_set, "all");
      snprintf(meas->cpus, sizeof meas->cpus, "%s", v1_cpus);
      meas->set_size = count_cpus(v1_cpus);
      if (meas->set_size < 1) meas->set_size = 1;
      meas->threads = get_int(r, item, "threads", true);
      meas->oversubscribed = meas->threads > meas->set_size;
      meas->runs = get_int(r, item, "runs", true);
      get_stats(r, item, &meas->stats);
      meas->stats.count = meas->runs;
    } else {
      read_measurement(r, item, meas);
    }
  }
  r->where[where_len] = '\0';
  if (r->status != EP_OK) return;
  for (int i = 0; i < m->n_measurements; i++) {
    ep_results_measurement* x = &m->measurements[i];
    x->figure_ms = !p90_estimate ? x->stats.median
                   : x->p90_estimate_ms > 0.0 ? x->p90_estimate_ms : 1e300;
  }
  const ep_results_measurement* best = ep_results_best(m, NULL);
  m->best = best != NULL ? (int)(best - m->measurements) : -1;
  read_profile(r, field(r, o, "profile", false), m, v1);
  if (v1) {
    guess_family(m);
  } else {
    get_string(r, o, "family", m->family, sizeof m->family, true);
    read_energy(r, o, m);
  }
  read_table1(r, table1, m);
}

static void read_platform_v2(reader* r, const cJSON* doc, ep_results* res) {
  const cJSON* p = field(r, doc, "platform", true);
  if (r->status != EP_OK) return;
  snprintf(r->where, sizeof r->where, "platform");
  get_string(r, p, "id", res->platform_id, sizeof res->platform_id, true);
  get_string(r, p, "host", res->host, sizeof res->host, true);
  get_string(r, p, "cpu_model", res->cpu_model, sizeof res->cpu_model, true);
  get_string(r, p, "isa", res->isa, sizeof res->isa, false);
  const cJSON* t = field(r, p, "topology", true);
  if (r->status != EP_OK) return;
  snprintf(r->where, sizeof r->where, "platform.topology");
  get_string(r, t, "kind", res->topology_kind, sizeof res->topology_kind, true);
  res->cpus_online = get_int(r, t, "cpus_online", true);
  get_string(r, t, "cpus_allowed", res->cpus_allowed, sizeof res->cpus_allowed, true);
  const cJSON* sets = get_array(r, t, "core_sets", true);
  res->n_sets = cJSON_GetArraySize(sets);
  res->sets = alloc_array(r, res->n_sets, sizeof *res->sets);
  for (int i = 0; res->sets != NULL && i < res->n_sets && r->status == EP_OK; i++) {
    const cJSON* s = cJSON_GetArrayItem(sets, i);
    snprintf(r->where, sizeof r->where, "platform.topology.core_sets[%d]", i);
    get_string(r, s, "name", res->sets[i].name, sizeof res->sets[i].name, true);
    get_string(r, s, "cpus", res->sets[i].cpus, sizeof res->sets[i].cpus, true);
    res->sets[i].size = get_int(r, s, "size", true);
    get_string(r, s, "description", res->sets[i].description, sizeof res->sets[i].description,
               false);
  }
  r->where[0] = '\0';
  const cJSON* settings = field(r, doc, "settings", true);
  snprintf(r->where, sizeof r->where, "settings");
  res->warmup_runs = get_int(r, settings, "warmup_runs", true);
  res->min_runs = get_int(r, settings, "min_runs", true);
  res->min_seconds = get_number(r, settings, "min_seconds", true);
  res->budget_seconds = get_number(r, settings, "budget_seconds", true);
  char latency[16];
  get_string(r, settings, "latency", latency, sizeof latency, false);
  if (r->status == EP_OK && latency[0] != '\0' && strcmp(latency, "median") != 0 &&
      strcmp(latency, "p90est") != 0) {
    fail(r, "settings.latency must be \"median\" or \"p90est\"");
  }
  res->latency_p90_estimate = strcmp(latency, "p90est") == 0;
  r->where[0] = '\0';
  res->quick = get_bool(r, doc, "quick", true);
}

static void read_platform_v1(reader* r, const cJSON* doc, ep_results* res) {
  get_string(r, doc, "host", res->host, sizeof res->host, true);
  snprintf(res->platform_id, sizeof res->platform_id, "%.120s", res->host);
  snprintf(res->cpu_model, sizeof res->cpu_model, "unknown");
  snprintf(res->topology_kind, sizeof res->topology_kind, "unknown (schema 1)");
  get_string(r, doc, "cpus", res->cpus_allowed, sizeof res->cpus_allowed, true);
  res->cpus_online = count_cpus(res->cpus_allowed);
  res->n_sets = 1;
  res->sets = alloc_array(r, 1, sizeof *res->sets);
  if (res->sets != NULL) {
    snprintf(res->sets[0].name, sizeof res->sets[0].name, "all");
    snprintf(res->sets[0].cpus, sizeof res->sets[0].cpus, "%s", res->cpus_allowed);
    res->sets[0].size = res->cpus_online;
    snprintf(res->sets[0].description, sizeof res->sets[0].description,
             "every CPU the process could use (schema 1 results)");
  }
  const cJSON* settings = field(r, doc, "settings", true);
  res->warmup_runs = get_int(r, settings, "warmup_runs", true);
  res->min_runs = get_int(r, settings, "min_runs", true);
  res->min_seconds = get_number(r, settings, "min_seconds", true);
  res->budget_seconds = get_number(r, settings, "budget_seconds", true);
}

/* The id names files (fig2-<id>.svg): only [A-Za-z0-9_-], so that no id can leave the folder. */
static void sanitize_id(char* id) {
  for (char* p = id; *p; p++) {
    if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') *p = '-';
  }
  if (id[0] == '\0') strcpy(id, "unknown");
}

static char* slurp(const char* path, ep_status* status) {
  FILE* f = NULL;
  *status = ep_input_open(path, &f);
  if (*status != EP_OK) return NULL;
  char* text = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len + 65536 + 1 > cap) {
      cap = cap ? cap * 2 : 1 << 20;
      if (cap > ((size_t)1 << 31)) {
        *status = ep_error(EP_ERR_FORMAT, "%s: larger than 2 GiB, not a results file", path);
        break;
      }
      char* bigger = realloc(text, cap);
      if (bigger == NULL) {
        *status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to read %s", path);
        break;
      }
      text = bigger;
    }
    size_t n = fread(text + len, 1, cap - len - 1, f);
    len += n;
    if (n == 0) break;
  }
  bool failed = ferror(f) != 0;
  fclose(f);
  if (*status == EP_OK && failed) *status = ep_error(EP_ERR_IO, "cannot read %s", path);
  if (*status != EP_OK) {
    free(text);
    return NULL;
  }
  text[len] = '\0';
  return text;
}

ep_status ep_results_load(const char* path, ep_results** results_out) {
  if (path == NULL || results_out == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_results_load: NULL argument");
  }
  char file[600];
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    size_t len = strlen(path);
    snprintf(file, sizeof file, "%s%sresults.json", path,
             len > 0 && path[len - 1] == '/' ? "" : "/");
  } else {
    snprintf(file, sizeof file, "%s", path);
  }
  ep_status status = EP_OK;
  char* text = slurp(file, &status);
  if (text == NULL) return status;
  cJSON* doc = cJSON_Parse(text);
  free(text);
  if (doc == NULL || !cJSON_IsObject(doc)) {
    cJSON_Delete(doc);
    return ep_error(EP_ERR_FORMAT, "%s: not a JSON object (not an edgeprof results file)", file);
  }
  reader r = {file, EP_OK, ""};
  ep_results* res = calloc(1, sizeof *res);
  if (res == NULL) {
    cJSON_Delete(doc);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to read %s", file);
  }
  snprintf(res->path, sizeof res->path, "%s", file);
  const cJSON* version = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
  const cJSON* kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
  if (!cJSON_IsNumber(version) || !cJSON_IsString(kind) ||
      strcmp(kind->valuestring, "characterize") != 0) {
    r.status = ep_error(EP_ERR_FORMAT,
                        "%s: not an edgeprof characterize results file (no \"kind\": "
                        "\"characterize\" and \"schema_version\")", file);
    goto cleanup;
  }
  res->schema_version = version->valueint;
  if (version->valuedouble != (double)res->schema_version ||
      res->schema_version < EP_RESULTS_OLDEST_VERSION ||
      res->schema_version > EP_CHARACTERIZE_SCHEMA_VERSION) {
    r.status = ep_error(EP_ERR_UNSUPPORTED,
                        "%s: schema_version %g is not one this edgeprof reads (%d to %d)%s", file,
                        version->valuedouble, EP_RESULTS_OLDEST_VERSION,
                        EP_CHARACTERIZE_SCHEMA_VERSION,
                        version->valuedouble > EP_CHARACTERIZE_SCHEMA_VERSION
                            ? ": it was written by a newer edgeprof; update this one"
                            : "");
    goto cleanup;
  }
  bool v1 = res->schema_version == 1;
  if (v1) {
    read_platform_v1(&r, doc, res);
  } else {
    read_platform_v2(&r, doc, res);
  }
  sanitize_id(res->platform_id);
  get_string(&r, doc, "date", res->date, sizeof res->date, true);
  res->elapsed_seconds = get_number(&r, doc, "elapsed_s", false);
  const cJSON* load = cJSON_GetObjectItemCaseSensitive(doc, "load_average_before");
  res->load_average = cJSON_IsNumber(load) ? load->valuedouble : -1.0;
  res->partial = get_bool(&r, doc, "partial", false);
  get_string(&r, doc, "label", res->label, sizeof res->label, false);
  if (res->label[0] != '\0') {
    /* A labelled run is named by its label too, so that two runs of one machine stay apart
     * in merged reports and file names (fig2-<id>.svg). */
    size_t len = strlen(res->platform_id);
    snprintf(res->platform_id + len, sizeof res->platform_id - len, "-%.60s", res->label);
    sanitize_id(res->platform_id);
  }
  const cJSON* meter = cJSON_GetObjectItemCaseSensitive(doc, "energy_meter");
  if (meter != NULL && !cJSON_IsNull(meter)) {
    snprintf(r.where, sizeof r.where, "energy_meter");
    get_string(&r, meter, "meter", res->energy_meter, sizeof res->energy_meter, true);
    get_string(&r, meter, "description", res->energy_description,
               sizeof res->energy_description, false);
    get_string(&r, meter, "scope", res->energy_scope, sizeof res->energy_scope, false);
    r.where[0] = '\0';
  }
  get_string(&r, doc, "energy_note", res->energy_note, sizeof res->energy_note, false);
  const cJSON* table1 = get_array(&r, doc, "table1", false);
  const cJSON* models = get_array(&r, doc, "models", true);
  if (r.status != EP_OK) goto cleanup;
  res->n_models = cJSON_GetArraySize(models);
  res->models = alloc_array(&r, res->n_models, sizeof *res->models);
  for (int i = 0; res->models != NULL && i < res->n_models && r.status == EP_OK; i++) {
    snprintf(r.where, sizeof r.where, "models[%d]", i);
    read_model(&r, cJSON_GetArrayItem(models, i), table1, v1 ? res->cpus_allowed : NULL,
               res->latency_p90_estimate, &res->models[i]);
  }

cleanup:
  cJSON_Delete(doc);
  if (r.status != EP_OK) {
    ep_results_destroy(res);
    return r.status;
  }
  *results_out = res;
  return EP_OK;
}

void ep_results_destroy(ep_results* res) {
  if (res == NULL) return;
  for (int i = 0; res->models != NULL && i < res->n_models; i++) {
    ep_results_model* m = &res->models[i];
    for (int k = 0; m->nodes != NULL && k < m->n_nodes; k++) free(m->nodes[k].name);
    free(m->nodes);
    free(m->ops);
    free(m->measurements);
    free(m->energy);
  }
  free(res->models);
  free(res->sets);
  free(res);
}

const ep_results_model* ep_results_find_model(const ep_results* res, const char* name) {
  for (int i = 0; res != NULL && i < res->n_models; i++) {
    if (strcmp(res->models[i].name, name) == 0) return &res->models[i];
  }
  return NULL;
}

const ep_results_measurement* ep_results_best(const ep_results_model* m, const char* backend) {
  const ep_results_measurement* best = NULL;
  for (int i = 0; m != NULL && i < m->n_measurements; i++) {
    const ep_results_measurement* x = &m->measurements[i];
    if (backend != NULL && strcmp(x->backend, backend) != 0) continue;
    /* A configuration that passed the noise check beats any that did not. */
    if (best == NULL || (best->noisy && !x->noisy) ||
        (best->noisy == x->noisy && x->figure_ms < best->figure_ms)) {
      best = x;
    }
  }
  return best;
}

const ep_results_measurement* ep_results_point(const ep_results_model* m, const char* core_set,
                                               int threads) {
  for (int i = 0; m != NULL && i < m->n_measurements; i++) {
    const ep_results_measurement* x = &m->measurements[i];
    if (x->threads == threads && strcmp(x->core_set, core_set) == 0) return x;
  }
  return NULL;
}

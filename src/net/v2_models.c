/* v2 model names -> graphs of the model cache and node ranges; per-name counters. */
#include "net/v2_models.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/platform.h"
#include "edgeprof/zoo.h"

/* Prometheus' default buckets, from 1 ms: a split tail takes milliseconds to seconds. */
const double ep_v2_latency_bounds_s[V2_LATENCY_BUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                                           0.05,  0.1,    0.25,  0.5,  1,
                                                           2.5,   5,      10,    30};

struct v2_model {
  char name[256];
  bool file;         /* a served ONNX file (else a zoo model) */
  uint8_t sha256[32]; /* file */
  v2_model_stats stats;
};

struct v2_models {
  uint64_t seed;
  ep_model_cache* cache;
  pthread_mutex_t lock; /* the table and its counters */
  v2_model* models;     /* room for every zoo model and file */
  int n_models;
};

ep_status ep_v2_models_create(const v2_models_options* o, v2_models** out) {
  v2_models* m = calloc(1, sizeof *m);
  if (m != NULL) m->models = calloc((size_t)(ep_zoo_count() + o->n_files + 1), sizeof *m->models);
  if (m == NULL || m->models == NULL) {
    if (m != NULL) free(m->models);
    free(m);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for the model table");
  }
  m->seed = o->seed;
  pthread_mutex_init(&m->lock, NULL);
  ep_model_cache_options co;
  memset(&co, 0, sizeof co);
  co.memory_budget = o->memory_budget;
  co.threads = o->threads > 0 ? o->threads : 1;
  co.cpus = o->cpus;
  co.n_cpus = o->n_cpus;
  co.sessions_per_model = o->sessions_per_model;
  if (co.sessions_per_model <= 0) {
    int allowed[EP_MAX_CPUS];
    int n = o->n_cpus > 0 ? o->n_cpus : ep_cpus_allowed(allowed, EP_MAX_CPUS);
    co.sessions_per_model = n / co.threads > 1 ? n / co.threads : 1;
  }
  co.max_waiting = o->max_waiting > 0 ? o->max_waiting : 64;
  co.model_files = o->files;
  co.n_model_files = o->n_files;
  co.pinned = o->pinned;
  co.n_pinned = o->n_pinned;
  co.pinned_seed = o->seed;
  co.log = o->log;
  co.log_user = o->log_user;
  ep_status st = ep_model_cache_create(&co, &m->cache);
  for (int i = 0; i < o->n_files && st == EP_OK; i++) {
    const char* name = o->names[i];
    for (int j = 0; j < m->n_models && st == EP_OK; j++) {
      if (strcmp(m->models[j].name, name) == 0) {
        st = ep_error(EP_ERR_INVALID_ARGUMENT, "two model files are named '%s'", name);
      }
    }
    if (st == EP_OK && ep_zoo_find(name) != NULL) {
      st = ep_error(EP_ERR_INVALID_ARGUMENT, "'%s' names a zoo model: name the file otherwise", name);
    }
    if (st == EP_OK && (name[0] == '\0' || strlen(name) >= sizeof m->models[0].name)) {
      st = ep_error(EP_ERR_INVALID_ARGUMENT, "a model name has 1 to 255 characters: '%s'", name);
    }
    if (st == EP_OK) {
      v2_model* e = &m->models[m->n_models++];
      snprintf(e->name, sizeof e->name, "%s", name);
      e->file = true;
      if (!ep_model_cache_find_file(m->cache, o->files[i], e->sha256)) {
        st = ep_error(EP_ERR_SYSTEM, "model file %s was not hashed", o->files[i]);
      }
    }
  }
  if (st != EP_OK) {
    ep_v2_models_destroy(m);
    return st;
  }
  *out = m;
  return EP_OK;
}

void ep_v2_models_destroy(v2_models* m) {
  if (m == NULL) return;
  ep_model_cache_destroy(m->cache);
  free(m->models);
  pthread_mutex_destroy(&m->lock);
  free(m);
}

/* "<base>_from<K>[_to<N>]": writes the base's length and the range; false if not of that form. */
static bool parse_range(const char* name, size_t* base_length, long* first, long* end) {
  const char* at = NULL;
  for (const char* p = strstr(name, "_from"); p != NULL; p = strstr(p + 1, "_from")) at = p;
  if (at == NULL || at == name) return false;
  const char* p = at + 5;
  char* stop = NULL;
  if (*p < '0' || *p > '9') return false;
  *first = strtol(p, &stop, 10);
  *end = -1;
  if (strncmp(stop, "_to", 3) == 0 && stop[3] >= '0' && stop[3] <= '9') {
    *end = strtol(stop + 3, &stop, 10);
  }
  if (*stop != '\0') return false;
  *base_length = (size_t)(at - name);
  return true;
}

/* The table entry of a base name (zoo names get one on first use); NULL if unknown. */
static v2_model* find_locked(v2_models* m, const char* base) {
  for (int i = 0; i < m->n_models; i++) {
    if (strcmp(m->models[i].name, base) == 0) return &m->models[i];
  }
  if (ep_zoo_find(base) == NULL) return NULL;
  v2_model* e = &m->models[m->n_models++]; /* room for every zoo model was made at create */
  snprintf(e->name, sizeof e->name, "%s", base);
  return e;
}

int ep_v2_models_resolve(v2_models* m, const char* name, v2_target* t, char* why,
                         size_t why_size) {
  memset(t, 0, sizeof *t);
  char base[256];
  long first = 0, end = -1;
  size_t base_length = 0;
  v2_model* e = NULL;
  if (strlen(name) < sizeof base) {
    pthread_mutex_lock(&m->lock);
    e = find_locked(m, name);
    if (e == NULL && parse_range(name, &base_length, &first, &end)) {
      memcpy(base, name, base_length);
      base[base_length] = '\0';
      e = find_locked(m, base);
    }
    pthread_mutex_unlock(&m->lock);
  }
  if (e == NULL) {
    snprintf(why, why_size, "no model '%.255s' (a zoo name or a served file's name, optionally "
             "with _from<K> or _from<K>_to<N>)", name);
    return 404;
  }
  ep_model_request r;
  memset(&r, 0, sizeof r);
  r.kind = e->file ? EP_NET_MODEL_SHA256 : EP_NET_MODEL_ZOO;
  r.zoo_name = e->name;
  r.seed = m->seed;
  memcpy(r.sha256, e->sha256, 32);
  ep_net_error_code code = ep_model_cache_acquire(m->cache, &r, &t->cached, why, why_size);
  if (code != EP_NET_OK) return code == EP_NET_E_UNKNOWN_MODEL ? 404 : 503;
  t->model = e;
  t->graph = ep_cached_model_graph(t->cached);
  int n = ep_graph_node_count(t->graph);
  if (end < 0) end = n;
  if (first < 0 || first >= end || end > n) {
    snprintf(why, why_size, "model '%s' has nodes 0 to %d: [%ld, %ld) is not a range of them",
             e->name, n - 1, first, end);
    ep_v2_target_free(m, t);
    return 404;
  }
  t->first = (int)first;
  t->end = (int)end;
  t->n_inputs = ep_graph_range_inputs(t->graph, t->first, t->end, NULL, 0);
  t->n_outputs = ep_graph_range_outputs(t->graph, t->first, t->end, NULL, 0);
  t->inputs = malloc(sizeof(int) * (size_t)(t->n_inputs + 1));
  t->outputs = malloc(sizeof(int) * (size_t)(t->n_outputs + 1));
  if (t->inputs == NULL || t->outputs == NULL) {
    ep_v2_target_free(m, t);
    snprintf(why, why_size, "out of memory");
    return 503;
  }
  ep_graph_range_inputs(t->graph, t->first, t->end, t->inputs, t->n_inputs);
  ep_graph_range_outputs(t->graph, t->first, t->end, t->outputs, t->n_outputs);
  return 200;
}

void ep_v2_target_free(v2_models* m, v2_target* t) {
  if (t->cached != NULL) ep_model_cache_release(m->cache, t->cached);
  free(t->inputs);
  free(t->outputs);
  memset(t, 0, sizeof *t);
}

ep_session* ep_v2_model_acquire(v2_models* m, const v2_target* t, bool* busy, char* why,
                                size_t why_size) {
  pthread_mutex_lock(&m->lock);
  t->model->stats.queued++;
  pthread_mutex_unlock(&m->lock);
  ep_session* session = NULL;
  ep_net_error_code code =
      ep_cached_model_session_acquire(m->cache, t->cached, &session, busy, why, why_size);
  pthread_mutex_lock(&m->lock);
  t->model->stats.queued--;
  if (code == EP_NET_OK) t->model->stats.running++;
  pthread_mutex_unlock(&m->lock);
  return code == EP_NET_OK ? session : NULL;
}

void ep_v2_model_release(v2_models* m, const v2_target* t, ep_session* session) {
  ep_cached_model_session_release(t->cached, session);
  pthread_mutex_lock(&m->lock);
  t->model->stats.running--;
  pthread_mutex_unlock(&m->lock);
}

void ep_v2_model_record(v2_models* m, v2_model* e, bool ok, double seconds) {
  pthread_mutex_lock(&m->lock);
  e->stats.requests++;
  if (ok) {
    int b = 0;
    while (b < V2_LATENCY_BUCKETS && seconds > ep_v2_latency_bounds_s[b]) b++;
    e->stats.latency_counts[b]++;
    e->stats.latency_sum_s += seconds;
  } else {
    e->stats.errors++;
  }
  pthread_mutex_unlock(&m->lock);
}

void ep_v2_models_each(v2_models* m, void (*fn)(void*, const char*, const v2_model_stats*),
                       void* user) {
  pthread_mutex_lock(&m->lock);
  int n = m->n_models;
  pthread_mutex_unlock(&m->lock);
  for (int i = 0; i < n; i++) {
    pthread_mutex_lock(&m->lock);
    v2_model_stats stats = m->models[i].stats;
    char name[256];
    snprintf(name, sizeof name, "%s", m->models[i].name);
    pthread_mutex_unlock(&m->lock);
    if (stats.requests > 0 || stats.queued > 0 || stats.running > 0) fn(user, name, &stats);
  }
}

void ep_v2_models_cache_stats(v2_models* m, ep_model_cache_stats* out) {
  ep_model_cache_stats_get(m->cache, out);
}

/* Models a server holds: a budget of bytes (graph weights plus each session's packed weights,
 * arena and scratch, as the session reports them), least-recently-used eviction of models no
 * client holds, pinned models that are never evicted, and a bound on the requests that wait
 * for a session. Loads are serialized, so the memory in flight beyond the budget is at most one
 * model being checked. */
#include "net/model_cache.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/model.h"
#include "edgeprof/platform.h"
#include "edgeprof/zoo.h"

typedef enum { MODEL_LOADING, MODEL_READY, MODEL_FAILED } model_state;

struct ep_cached_model {
  struct ep_cached_model* next;
  char key[320];
  /* Under the cache's lock. */
  int refs;
  bool listed; /* in the cache's list: found by later requests */
  bool pinned;
  model_state state;
  char error[256];
  uint64_t last_used;
  size_t bytes; /* charged to the budget */
  /* Written once before the model is READY. */
  ep_graph* graph;
  size_t session_bytes; /* what one session costs: the charge for each further session */
  /* Under the model's own lock. */
  pthread_mutex_t lock;
  pthread_cond_t cond;
  ep_session** sessions;
  bool* in_use;
  int n_sessions, creating, max_sessions;
  double* profile_ms;
};

struct ep_model_cache {
  ep_model_cache_options opt;
  int* cpus;
  int n_files;
  char** files;
  uint8_t (*file_sha)[32];
  bool pinned_only;
  pthread_mutex_t lock; /* the list, charges, states, stats; never held while taking a model's */
  pthread_cond_t loaded;
  pthread_mutex_t load_lock; /* one load at a time */
  ep_cached_model* models;
  size_t used;
  uint64_t tick;
  ep_model_cache_stats stats;
  atomic_int waiting;
};

static void cache_log(ep_model_cache* c, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
static void cache_log(ep_model_cache* c, const char* format, ...) {
  if (c->opt.log == NULL) return;
  char line[512];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  c->opt.log(c->opt.log_user, line);
}

static double mib(size_t bytes) { return (double)bytes / (1 << 20); }

static void model_free(ep_cached_model* m) {
  if (m == NULL) return;
  for (int i = 0; i < m->n_sessions; i++) ep_session_destroy(m->sessions[i]);
  free(m->sessions);
  free(m->in_use);
  free(m->profile_ms);
  ep_graph_destroy(m->graph);
  pthread_mutex_destroy(&m->lock);
  pthread_cond_destroy(&m->cond);
  free(m);
}

static size_t session_bytes(const ep_session* s) {
  ep_session_memory mem;
  ep_session_memory_get(s, &mem);
  return mem.weight_bytes + mem.arena_bytes + mem.scratch_bytes;
}

static void unlist(ep_model_cache* c, ep_cached_model* m) {
  for (ep_cached_model** p = &c->models; *p != NULL; p = &(*p)->next) {
    if (*p == m) {
      *p = m->next;
      break;
    }
  }
  m->next = NULL;
  m->listed = false;
}

/* Evicts least-recently-used models that nobody holds until `need` more bytes fit. Under the
 * cache's lock; evicted models go to *freed (freed by the caller after unlocking). */
static bool make_room(ep_model_cache* c, size_t need, ep_cached_model** freed) {
  while (c->used + need > c->opt.memory_budget) {
    ep_cached_model* lru = NULL;
    for (ep_cached_model* m = c->models; m != NULL; m = m->next) {
      if (m->refs == 0 && !m->pinned && m->state == MODEL_READY &&
          (lru == NULL || m->last_used < lru->last_used)) {
        lru = m;
      }
    }
    if (lru == NULL) return false;
    unlist(c, lru);
    c->used -= lru->bytes;
    c->stats.evictions++;
    c->stats.models--;
    cache_log(c, "evicted %s (%.1f MiB, least recently used) to make room", lru->key,
              mib(lru->bytes));
    lru->next = *freed;
    *freed = lru;
  }
  return true;
}

static void free_list(ep_cached_model* m) {
  while (m != NULL) {
    ep_cached_model* next = m->next;
    model_free(m);
    m = next;
  }
}

/* Loads the graph and its first session (serialized), then charges them; `m` is LOADING and
 * held by the caller. */
static void load(ep_model_cache* c, ep_cached_model* m, const char* what, uint64_t seed) {
  pthread_mutex_lock(&c->load_lock);
  ep_graph* graph = NULL;
  ep_session* first = NULL;
  char error[256] = "";
  ep_status st = ep_model_load(what, seed, NULL, &graph);
  int non_float = st == EP_OK ? ep_graph_first_non_float(graph) : -1;
  if (non_float >= 0) {
    const ep_tensor* t = ep_graph_tensor(graph, non_float);
    st = ep_error(EP_ERR_UNSUPPORTED, "it has %s tensor %s; served tensors are float32",
                  ep_dtype_name(t->dtype), t->name);
  }
  if (st == EP_OK) {
    ep_session_options so = {c->opt.threads, c->cpus, c->opt.n_cpus, NULL};
    st = ep_session_create(graph, &so, &first);
  }
  if (st != EP_OK) snprintf(error, sizeof error, "cannot load the model: %s", ep_last_error());
  pthread_mutex_unlock(&c->load_lock);

  size_t bytes = 0;
  if (st == EP_OK) {
    ep_graph_totals totals;
    ep_graph_totals_compute(graph, &totals);
    m->session_bytes = session_bytes(first);
    bytes = (size_t)totals.weight_bytes + m->session_bytes;
    m->sessions = calloc((size_t)m->max_sessions + 1, sizeof *m->sessions);
    m->in_use = calloc((size_t)m->max_sessions + 1, sizeof *m->in_use);
    if (m->sessions == NULL || m->in_use == NULL) {
      snprintf(error, sizeof error, "out of memory");
      st = EP_ERR_OUT_OF_MEMORY;
    }
  }
  ep_cached_model* freed = NULL;
  size_t used_now = 0;
  pthread_mutex_lock(&c->lock);
  if (st == EP_OK && !make_room(c, bytes, &freed)) {
    snprintf(error, sizeof error,
             "the model needs %.1f MiB and the model memory budget (%.1f MiB) is taken by "
             "models in use (%.1f MiB)",
             mib(bytes), mib(c->opt.memory_budget), mib(c->used));
    st = EP_ERR_OUT_OF_MEMORY;
  }
  if (st == EP_OK) {
    m->graph = graph;
    m->sessions[0] = first;
    m->n_sessions = 1;
    m->bytes = bytes;
    c->used += bytes;
    c->stats.loads++;
    c->stats.models++;
    m->state = MODEL_READY;
    graph = NULL;
    first = NULL;
  } else {
    snprintf(m->error, sizeof m->error, "%s", error);
    m->state = MODEL_FAILED;
    c->stats.refused++;
    unlist(c, m); /* a later request tries again */
  }
  bool ready = m->state == MODEL_READY;
  used_now = c->used;
  pthread_cond_broadcast(&c->loaded);
  pthread_mutex_unlock(&c->lock);
  free_list(freed);
  ep_session_destroy(first);
  ep_graph_destroy(graph);
  if (ready) {
    cache_log(c, "loaded %s (%.1f MiB; %.1f of %.1f MiB in models)", m->key, mib(bytes),
              mib(used_now), mib(c->opt.memory_budget));
  }
}

static ep_cached_model* model_new(ep_model_cache* c, const char* key) {
  ep_cached_model* m = calloc(1, sizeof *m);
  if (m == NULL) return NULL;
  snprintf(m->key, sizeof m->key, "%s", key);
  pthread_mutex_init(&m->lock, NULL);
  pthread_cond_init(&m->cond, NULL);
  m->state = MODEL_LOADING;
  m->max_sessions = c->opt.sessions_per_model;
  m->refs = 1;
  m->listed = true;
  return m;
}

static int file_index(const ep_model_cache* c, const uint8_t sha[32]) {
  for (int i = 0; i < c->n_files; i++) {
    if (memcmp(c->file_sha[i], sha, 32) == 0) return i;
  }
  return -1;
}

ep_net_error_code ep_model_cache_acquire(ep_model_cache* c, const ep_model_request* r,
                                         ep_cached_model** model_out, char* why,
                                         size_t why_size) {
  char key[320];
  const char* what = NULL;
  if (r->kind == EP_NET_MODEL_ZOO) {
    if (r->zoo_name == NULL || ep_zoo_find(r->zoo_name) == NULL) {
      snprintf(why, why_size, "no zoo model '%s'", r->zoo_name != NULL ? r->zoo_name : "");
      return EP_NET_E_UNKNOWN_MODEL;
    }
    snprintf(key, sizeof key, "zoo:%s:%llu", r->zoo_name, (unsigned long long)r->seed);
    what = r->zoo_name;
  } else {
    char hex[65];
    ep_sha256_hex(r->sha256, hex);
    int i = file_index(c, r->sha256);
    if (i < 0) {
      snprintf(why, why_size, "no served model file has SHA-256 %s", hex);
      return EP_NET_E_UNKNOWN_MODEL;
    }
    snprintf(key, sizeof key, "sha256:%s", hex);
    what = c->files[i];
  }
  pthread_mutex_lock(&c->lock);
  ep_cached_model* m = c->models;
  while (m != NULL && strcmp(m->key, key) != 0) m = m->next;
  if (m == NULL && c->pinned_only) {
    c->stats.refused++;
    pthread_mutex_unlock(&c->lock);
    snprintf(why, why_size, "%s is not among the models this server serves (--models)", key);
    return EP_NET_E_UNKNOWN_MODEL;
  }
  bool loader = false;
  if (m == NULL) {
    m = model_new(c, key);
    if (m == NULL) {
      pthread_mutex_unlock(&c->lock);
      snprintf(why, why_size, "out of memory");
      return EP_NET_E_INTERNAL;
    }
    m->next = c->models;
    c->models = m;
    loader = true;
  } else {
    m->refs++;
  }
  m->last_used = ++c->tick;
  pthread_mutex_unlock(&c->lock);

  if (loader) load(c, m, what, r->seed);
  pthread_mutex_lock(&c->lock);
  while (m->state == MODEL_LOADING) pthread_cond_wait(&c->loaded, &c->lock);
  bool ok = m->state == MODEL_READY;
  if (!ok) snprintf(why, why_size, "%s", m->error);
  pthread_mutex_unlock(&c->lock);
  if (!ok) {
    ep_model_cache_release(c, m);
    return EP_NET_E_INTERNAL;
  }
  *model_out = m;
  return EP_NET_OK;
}

void ep_model_cache_release(ep_model_cache* c, ep_cached_model* m) {
  if (m == NULL) return;
  pthread_mutex_lock(&c->lock);
  m->refs--;
  m->last_used = ++c->tick;
  bool orphan = m->refs == 0 && !m->listed;
  pthread_mutex_unlock(&c->lock);
  if (orphan) model_free(m);
}

bool ep_model_cache_find_file(const ep_model_cache* c, const char* name, uint8_t sha256[32]) {
  for (int i = 0; i < c->n_files; i++) {
    const char* path = c->files[i];
    const char* base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 : path;
    size_t stem = strlen(base);
    if (stem > 5 && strcmp(base + stem - 5, ".onnx") == 0) stem -= 5;
    if (strcmp(name, path) == 0 || strcmp(name, base) == 0 ||
        (strlen(name) == stem && strncmp(name, base, stem) == 0)) {
      memcpy(sha256, c->file_sha[i], 32);
      return true;
    }
  }
  return false;
}

const ep_graph* ep_cached_model_graph(const ep_cached_model* m) { return m->graph; }
const char* ep_cached_model_key(const ep_cached_model* m) { return m->key; }

ep_net_error_code ep_cached_model_session_acquire(ep_model_cache* c, ep_cached_model* m,
                                                  ep_session** session_out, bool* busy_out,
                                                  char* why, size_t why_size) {
  *busy_out = false;
  pthread_mutex_lock(&m->lock);
  bool counted = false;
  for (;;) {
    for (int i = 0; i < m->n_sessions; i++) {
      if (!m->in_use[i]) {
        m->in_use[i] = true;
        pthread_mutex_unlock(&m->lock);
        if (counted) atomic_fetch_sub(&c->waiting, 1);
        *session_out = m->sessions[i];
        return EP_NET_OK;
      }
    }
    if (m->n_sessions + m->creating < m->max_sessions) {
      /* Another session if the budget has room for it (evicting idle models); otherwise wait
       * for one of the sessions there are. */
      ep_cached_model* freed = NULL;
      pthread_mutex_lock(&c->lock);
      bool room = make_room(c, m->session_bytes, &freed);
      if (room) {
        c->used += m->session_bytes;
        m->bytes += m->session_bytes;
      }
      pthread_mutex_unlock(&c->lock);
      if (freed != NULL) {
        pthread_mutex_unlock(&m->lock);
        free_list(freed);
        pthread_mutex_lock(&m->lock);
      }
      if (room) break;
      m->max_sessions = m->n_sessions + m->creating; /* the budget says no more */
      continue;
    }
    if (!counted) {
      if (atomic_fetch_add(&c->waiting, 1) >= c->opt.max_waiting) {
        atomic_fetch_sub(&c->waiting, 1);
        pthread_mutex_unlock(&m->lock);
        *busy_out = true;
        snprintf(why, why_size, "%d requests wait for a session already", c->opt.max_waiting);
        return EP_NET_E_INTERNAL;
      }
      counted = true;
    }
    pthread_cond_wait(&m->cond, &m->lock);
  }
  m->creating++;
  pthread_mutex_unlock(&m->lock);
  if (counted) atomic_fetch_sub(&c->waiting, 1);
  ep_session_options so = {c->opt.threads, c->cpus, c->opt.n_cpus, NULL};
  ep_session* session = NULL;
  ep_status st = ep_session_create(m->graph, &so, &session);
  if (st != EP_OK) snprintf(why, why_size, "cannot create a session: %s", ep_last_error());
  pthread_mutex_lock(&m->lock);
  m->creating--;
  if (session != NULL) {
    m->in_use[m->n_sessions] = true;
    m->sessions[m->n_sessions++] = session;
  }
  pthread_cond_broadcast(&m->cond);
  pthread_mutex_unlock(&m->lock);
  if (session == NULL) {
    pthread_mutex_lock(&c->lock);
    c->used -= m->session_bytes;
    m->bytes -= m->session_bytes;
    pthread_mutex_unlock(&c->lock);
    return EP_NET_E_INTERNAL;
  }
  *session_out = session;
  return EP_NET_OK;
}

void ep_cached_model_session_release(ep_cached_model* m, ep_session* session) {
  pthread_mutex_lock(&m->lock);
  for (int i = 0; i < m->n_sessions; i++) {
    if (m->sessions[i] == session) m->in_use[i] = false;
  }
  pthread_cond_signal(&m->cond);
  pthread_mutex_unlock(&m->lock);
}

const double* ep_cached_model_profile(ep_cached_model* m) {
  pthread_mutex_lock(&m->lock);
  const double* p = m->profile_ms; /* written once, then never changed */
  pthread_mutex_unlock(&m->lock);
  return p;
}

const double* ep_cached_model_set_profile(ep_cached_model* m, double* node_ms) {
  pthread_mutex_lock(&m->lock);
  if (m->profile_ms == NULL) {
    m->profile_ms = node_ms;
    node_ms = NULL;
  }
  const double* p = m->profile_ms;
  pthread_mutex_unlock(&m->lock);
  free(node_ms);
  return p;
}

void ep_model_cache_stats_get(ep_model_cache* c, ep_model_cache_stats* out) {
  pthread_mutex_lock(&c->lock);
  *out = c->stats;
  out->bytes = c->used;
  out->budget = c->opt.memory_budget;
  pthread_mutex_unlock(&c->lock);
}

/* --- lifecycle ----------------------------------------------------------------------------- */

static ep_status add_file(ep_model_cache* c, const char* path) {
  uint8_t sha[32];
  ep_status st = ep_sha256_file(path, sha);
  if (st != EP_OK) return st;
  if (file_index(c, sha) >= 0) return EP_OK;
  c->files[c->n_files] = strdup(path);
  if (c->files[c->n_files] == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for models");
  memcpy(c->file_sha[c->n_files], sha, 32);
  c->n_files++;
  return EP_OK;
}

static ep_status preload(ep_model_cache* c, const char* name) {
  ep_model_request r;
  memset(&r, 0, sizeof r);
  if (ep_zoo_find(name) != NULL) {
    r.kind = EP_NET_MODEL_ZOO;
    r.zoo_name = name;
    r.seed = c->opt.pinned_seed;
  } else {
    r.kind = EP_NET_MODEL_SHA256;
    ep_status st = ep_sha256_file(name, r.sha256);
    if (st != EP_OK) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "--models: '%s' is neither a zoo model nor a file",
                      name);
    }
  }
  ep_cached_model* m = NULL;
  char why[400];
  if (ep_model_cache_acquire(c, &r, &m, why, sizeof why) != EP_NET_OK) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "--models: %s: %s", name, why);
  }
  pthread_mutex_lock(&c->lock);
  m->pinned = true;
  pthread_mutex_unlock(&c->lock);
  ep_model_cache_release(c, m);
  return EP_OK;
}

ep_status ep_model_cache_create(const ep_model_cache_options* o, ep_model_cache** out) {
  if (o == NULL || o->sessions_per_model < 1 || o->threads < 1 || o->max_waiting < 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "model cache: bad options");
  }
  ep_model_cache* c = calloc(1, sizeof *c);
  if (c == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for models");
  pthread_mutex_init(&c->lock, NULL);
  pthread_mutex_init(&c->load_lock, NULL);
  pthread_cond_init(&c->loaded, NULL);
  atomic_init(&c->waiting, 0);
  c->opt = *o;
  if (c->opt.memory_budget == 0) c->opt.memory_budget = EP_MODEL_CACHE_DEFAULT_BUDGET;
  c->opt.model_files = NULL;
  c->opt.pinned = NULL;
  ep_status st = EP_OK;
  int max_files = o->n_model_files + o->n_pinned;
  if (o->n_cpus > 0) c->cpus = malloc((size_t)o->n_cpus * sizeof *c->cpus);
  c->files = calloc((size_t)max_files + 1, sizeof *c->files);
  c->file_sha = calloc((size_t)max_files + 1, sizeof *c->file_sha);
  if ((o->n_cpus > 0 && c->cpus == NULL) || c->files == NULL || c->file_sha == NULL) {
    st = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for models");
    goto cleanup;
  }
  if (o->n_cpus > 0) memcpy(c->cpus, o->cpus, (size_t)o->n_cpus * sizeof *c->cpus);
  c->opt.cpus = c->cpus;
  for (int i = 0; i < o->n_model_files && st == EP_OK; i++) st = add_file(c, o->model_files[i]);
  for (int i = 0; i < o->n_pinned && st == EP_OK; i++) {
    if (ep_zoo_find(o->pinned[i]) == NULL && add_file(c, o->pinned[i]) != EP_OK) {
      char why[300];
      snprintf(why, sizeof why, "%s", ep_last_error());
      st = ep_error(EP_ERR_INVALID_ARGUMENT, "--models: '%s' is neither a zoo model nor a file (%s)",
                    o->pinned[i], why);
    }
  }
  for (int i = 0; i < o->n_pinned && st == EP_OK; i++) st = preload(c, o->pinned[i]);
  if (st != EP_OK) goto cleanup;
  c->pinned_only = o->pinned != NULL;
  *out = c;
  return EP_OK;

cleanup:
  ep_model_cache_destroy(c);
  return st;
}

void ep_model_cache_destroy(ep_model_cache* c) {
  if (c == NULL) return;
  free_list(c->models);
  for (int i = 0; i < c->n_files; i++) free(c->files[i]);
  free(c->files);
  free(c->file_sha);
  free(c->cpus);
  pthread_mutex_destroy(&c->lock);
  pthread_mutex_destroy(&c->load_lock);
  pthread_cond_destroy(&c->loaded);
  free(c);
}

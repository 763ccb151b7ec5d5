/* The models a server holds (internal to src/net, shared by the native server and the HTTP
 * front-end): loaded once on first use, their sessions pooled, within a memory budget with
 * least-recently-used eviction; optionally a fixed list preloaded and pinned, anything else
 * refused. Callers check the client's token (ep_net_token_equal) before asking for a model:
 * only authenticated clients can make the server load one.
 *
 * Thread-safety: every function may be called from any thread once the cache is created;
 * ep_model_cache_destroy only when no model is held. */
#ifndef EDGEPROF_NET_MODEL_CACHE_H
#define EDGEPROF_NET_MODEL_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/net.h"

typedef struct ep_model_cache ep_model_cache;
typedef struct ep_cached_model ep_cached_model;

#define EP_MODEL_CACHE_DEFAULT_BUDGET ((size_t)2 << 30) /* 2 GiB */

typedef struct ep_model_cache_options {
  size_t memory_budget;           /* bytes for graphs, packed weights, arenas; 0: the default */
  int threads;                    /* per session */
  const int* cpus;                /* session workers pinned; NULL: none */
  int n_cpus;
  int sessions_per_model;         /* at most this many sessions of one model (>= 1) */
  int max_waiting;                /* requests waiting for a session, all models; beyond: BUSY */
  const char* const* model_files; /* ONNX files served by SHA-256 (and by file name) */
  int n_model_files;
  /* Non-NULL: preload these (zoo names with `pinned_seed`, or paths of ONNX files), never evict
   * them, and refuse every other model. */
  const char* const* pinned;
  int n_pinned;
  uint64_t pinned_seed;
  void (*log)(void* user, const char* line); /* loads and evictions; NULL: silent */
  void* log_user;
} ep_model_cache_options;

/* Hashes the files and preloads the pinned models; fails if they do not fit the budget. */
ep_status ep_model_cache_create(const ep_model_cache_options* options, ep_model_cache** out);
void ep_model_cache_destroy(ep_model_cache* cache);

/* What a client asks for: a zoo model by name and seed, or a served file by SHA-256. */
typedef struct ep_model_request {
  ep_net_model_kind kind;
  const char* zoo_name; /* kind ZOO */
  uint64_t seed;        /* kind ZOO */
  uint8_t sha256[32];   /* kind SHA256 */
} ep_model_request;

/* The model, loaded if needed (evicting unused models to make room), held until
 * ep_model_cache_release. Returns EP_NET_OK, EP_NET_E_UNKNOWN_MODEL (not served) or
 * EP_NET_E_INTERNAL (cannot load, or the budget is taken by models in use), with `why`. */
ep_net_error_code ep_model_cache_acquire(ep_model_cache* cache, const ep_model_request* request,
                                         ep_cached_model** model_out, char* why, size_t why_size);
void ep_model_cache_release(ep_model_cache* cache, ep_cached_model* model);

/* The served file called `name` (its path, its file name, or its file name without ".onnx"):
 * true with its SHA-256. For front-ends that name models. */
bool ep_model_cache_find_file(const ep_model_cache* cache, const char* name, uint8_t sha256[32]);

const ep_graph* ep_cached_model_graph(const ep_cached_model* model);
/* "zoo:mlp:2018" or "sha256:<hex>". */
const char* ep_cached_model_key(const ep_cached_model* model);

/* A session of the model for the caller alone. EP_NET_OK; EP_NET_E_INTERNAL with `why` when
 * the queue is full (*busy_out set: answer BUSY) or a session cannot be made. */
ep_net_error_code ep_cached_model_session_acquire(ep_model_cache* cache, ep_cached_model* model,
                                                  ep_session** session_out, bool* busy_out,
                                                  char* why, size_t why_size);
void ep_cached_model_session_release(ep_cached_model* model, ep_session* session);

/* The server's per-node times, measured once: NULL until set. Set keeps the first value given
 * (takes ownership of `node_ms` either way) and returns the one kept. */
const double* ep_cached_model_profile(ep_cached_model* model);
const double* ep_cached_model_set_profile(ep_cached_model* model, double* node_ms);

typedef struct ep_model_cache_stats {
  int models;          /* loaded now */
  size_t bytes;        /* charged to the budget now */
  size_t budget;       /* the budget */
  uint64_t loads;      /* models loaded since start */
  uint64_t evictions;  /* models evicted to make room */
  uint64_t refused;    /* requests refused: budget full of models in use, or not served */
} ep_model_cache_stats;

void ep_model_cache_stats_get(ep_model_cache* cache, ep_model_cache_stats* stats_out);

#endif /* EDGEPROF_NET_MODEL_CACHE_H */

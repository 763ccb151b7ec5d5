/* The models an HTTP server serves, internal to src/net: v2 model names resolved to a graph of
 * the model cache (src/net/model_cache.h: loaded on first use, sessions pooled, a memory budget
 * with least-recently-used eviction, optionally a pinned list) and a node range of it. Names are
 * the zoo's (with the server's seed) and the named files', so the table of names is bounded; a
 * node range is a view of its graph, not a copy. */
#ifndef EDGEPROF_NET_V2_MODELS_H
#define EDGEPROF_NET_V2_MODELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/graph.h"
#include "edgeprof/session.h"
#include "net/model_cache.h"

typedef struct v2_models v2_models;
typedef struct v2_model v2_model;

typedef struct v2_models_options {
  uint64_t seed;
  int threads;
  const int* cpus;
  int n_cpus;
  int sessions_per_model;
  size_t memory_budget;     /* 0: the cache's default */
  int max_waiting;          /* requests waiting for a session, all models; beyond: 503 */
  const char* const* names; /* ONNX files by name */
  const char* const* files;
  int n_files;
  const char* const* pinned; /* NULL, or the only models served (zoo names, file paths) */
  int n_pinned;
  void (*log)(void* user, const char* line); /* loads and evictions */
  void* log_user;
} v2_models_options;

/* Per-model counters for /metrics, under the table's lock. */
#define V2_LATENCY_BUCKETS 14
extern const double ep_v2_latency_bounds_s[V2_LATENCY_BUCKETS];

typedef struct v2_model_stats {
  uint64_t requests, errors;
  uint64_t latency_counts[V2_LATENCY_BUCKETS + 1]; /* per bucket, the last one +Inf */
  double latency_sum_s;
  int queued;  /* waiting for a session */
  int running; /* holding one */
} v2_model_stats;

/* A resolved name: the graph's nodes [first, end) and what crosses their ends; the graph is
 * held in the cache (never evicted meanwhile) until ep_v2_target_free. */
typedef struct v2_target {
  v2_model* model;
  ep_cached_model* cached;
  const ep_graph* graph;
  int first, end;
  int n_inputs, n_outputs;
  int* inputs; /* tensor ids, owned by the target */
  int* outputs;
} v2_target;

ep_status ep_v2_models_create(const v2_models_options* options, v2_models** models_out);
void ep_v2_models_destroy(v2_models* models);

/* Resolves a v2 model name, loading its graph if needed. Returns the HTTP status: 200, 404 (no
 * such model or range, or not among the pinned ones: `why` says) or 503 (it cannot be loaded
 * now: the budget is held by models in use, or it failed to load). */
int ep_v2_models_resolve(v2_models* models, const char* name, v2_target* target_out, char* why,
                         size_t why_size);
void ep_v2_target_free(v2_models* models, v2_target* target);

/* A session of the target's graph for this thread alone (waits while all are busy); NULL with
 * a message if none can be made, *busy set when too many requests wait already (answer 503). */
ep_session* ep_v2_model_acquire(v2_models* models, const v2_target* target, bool* busy, char* why,
                                size_t why_size);
void ep_v2_model_release(v2_models* models, const v2_target* target, ep_session* session);
/* Counts a finished request (ok or not) and its latency. */
void ep_v2_model_record(v2_models* models, v2_model* model, bool ok, double seconds);
/* Calls `fn` for every model asked for so far, with a snapshot of its counters. */
void ep_v2_models_each(v2_models* models,
                       void (*fn)(void* user, const char* name, const v2_model_stats* stats),
                       void* user);
/* The cache's counters (loaded models, bytes, evictions) for /metrics. */
void ep_v2_models_cache_stats(v2_models* models, ep_model_cache_stats* stats_out);

#endif /* EDGEPROF_NET_V2_MODELS_H */

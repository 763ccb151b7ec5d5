/* The characterization job (the paper's Table I, Fig. 1 and Fig. 2 on this machine): for each
 * model, its Table I figures computed from the graph as defined, its median latency at
 * 1..N threads, and at N threads its time split by op type.
 *
 * Library code: it never prints; progress goes through a callback. Results are plain data,
 * written out by the report writers (edgeprof/report.h). */
#ifndef EDGEPROF_CHARACTERIZE_H
#define EDGEPROF_CHARACTERIZE_H

#include <stdbool.h>
#include <stdint.h>

#include "edgeprof/bench.h"
#include "edgeprof/graph.h"
#include "edgeprof/platform.h"
#include "edgeprof/profile.h"
#include "edgeprof/session.h"
#include "edgeprof/status.h"
#include "edgeprof/zoo.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One row of Table I: the paper's figures beside those computed from the graph as defined. */
typedef struct ep_table1_row {
  const ep_zoo_entry* zoo; /* name, description, paper row, paper_note */
  char input[64];          /* "1x3x224x224" (several inputs joined by ", ") */
  char output[64];
  ep_graph_totals totals;  /* params, macs, flops, layers, ... */
} ep_table1_row;

/* Builds the zoo model `name` with `seed` and fills its row. EP_ERR_NOT_FOUND if unknown. */
ep_status ep_table1_row_compute(const char* name, uint64_t seed, ep_table1_row* row_out);
/* Fills the row from an already built graph as defined. */
void ep_table1_row_from_graph(const ep_zoo_entry* zoo, const ep_graph* defined,
                              ep_table1_row* row_out);

typedef struct ep_characterize_options {
  const char* const* models; /* zoo names; NULL: every zoo model in zoo order */
  int n_models;
  uint64_t seed;
  const int* cpus; /* CPUs to run on, workers pinned; NULL: all allowed CPUs, no pinning */
  int n_cpus;
  int max_threads; /* thread counts 1..max_threads; 0: the number of CPUs */
  int warmup_runs;
  int min_runs;       /* per configuration ... */
  double min_seconds; /* ... and at least this long ... */
  double budget_seconds; /* ... but fewer runs (never under 3) when one run is so slow that
                            min_runs would take longer than this; 0: no budget */
  /* One line of progress ("[3/10] resnet50, 2 threads"), at least every second or so; may
   * be NULL. */
  void (*progress)(void* user, const char* line);
  void* user;
} ep_characterize_options;

/* Defaults: warm-up 1, 20 runs, 0.5 s, 5 s budget; quick: warm-up 1, 5 runs, 0.1 s, 1 s
 * budget. Every model, default seed, all allowed CPUs unpinned. */
void ep_characterize_options_default(ep_characterize_options* options, bool quick);

/* A node of the graph that ran, copied out so that results outlive the graphs. */
typedef struct ep_characterize_node {
  char* name;
  char op[32]; /* ep_node_op_label: "Conv+Relu" */
  int64_t params, macs, output_bytes;
} ep_characterize_node;

typedef struct ep_characterize_model {
  ep_table1_row table1;
  int n_threads;             /* configurations: 1..n_threads threads */
  ep_latency_stats* latency; /* [n_threads]; latency[t - 1] at t threads */
  int profile_threads;       /* = n_threads */
  ep_profile* profile;       /* per node and by op type at profile_threads */
  int n_nodes;
  ep_characterize_node* nodes; /* [n_nodes] the optimized graph's nodes, run order */
  ep_session_memory memory;  /* at 1 thread */
} ep_characterize_model;

typedef struct ep_characterize_result {
  char host[256];
  char date[32]; /* UTC, ISO 8601: "2024-05-01T12:00:00Z" */
  uint64_t seed;
  char cpus[256]; /* CPU list used ("0-1") */
  bool pinned;
  int warmup_runs, min_runs;
  double min_seconds, budget_seconds;
  double elapsed_seconds;
  size_t peak_rss_bytes;
  int n_models;
  ep_characterize_model* models;
} ep_characterize_result;

/* Runs the whole job. EP_ERR_NOT_FOUND for an unknown model name (checked before anything is
 * measured). Free the result with ep_characterize_result_destroy. */
ep_status ep_characterize_run(const ep_characterize_options* options,
                              ep_characterize_result** result_out);
/* NULL is a no-op. */
void ep_characterize_result_destroy(ep_characterize_result* result);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_CHARACTERIZE_H */

/* Characterization results read back from results.json, one machine each: what the charts, the
 * reports and `edgeprof report` are drawn from (never from live runs).
 *
 * ep_results_load reads schema version 2 (docs/results.md) and version 1 (the first
 * characterize: thread counts 1..N on all CPUs, no core sets), which it maps onto version 2
 * (one core set named "all"). A newer or unknown version is refused with a message naming the
 * file and the versions this build reads.
 *
 * Thread-safety: plain data. */
#ifndef EDGEPROF_RESULTS_H
#define EDGEPROF_RESULTS_H

#include <stdbool.h>
#include <stdint.h>

#include "edgeprof/bench.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_RESULTS_OLDEST_VERSION 1 /* oldest characterize schema this build reads */

typedef struct ep_results_measurement {
  char backend[16];
  char core_set[32];
  char cpus[256];
  int set_size;
  int threads;
  bool oversubscribed;
  int runs;
  ep_latency_stats stats;
  double p90_estimate_ms; /* MLPerf's p90 early-stopping estimate; 0: none (under 64 runs) */
  /* The latency figure the best configuration, findings and tables use: stats.median, or
   * p90_estimate_ms for a run made with --latency p90est (a huge value where it has none). */
  double figure_ms;
  /* The noise verdict (files before it: never noisy, has_noise false). */
  bool has_noise, noisy;
  char noise_reasons[192];
  int attempts;
} ep_results_measurement;

typedef struct ep_results_op {
  char op[32];
  int count;
  double ms, percent;
} ep_results_op;

typedef struct ep_results_node {
  char* name;
  char op[32];
  double avg_ms, percent;
  int64_t macs, params, output_bytes;
} ep_results_node;

/* Energy at the best configuration of a core set (characterize with an energy meter). */
typedef struct ep_results_energy {
  char backend[16];
  char core_set[32];
  int threads;
  double joules_per_inference, mean_power_w, seconds;
  int inferences;
  bool short_window; /* shorter than the meter's resolution */
} ep_results_energy;

typedef struct ep_results_model {
  char name[64];
  char family[16]; /* "transformer", "cnn", "rnn", "mlp", "other" */
  char set[8];    /* the zoo set: "paper" or "modern" (files before the modern set: "paper") */
  /* Table I, as computed and as printed in the paper ("" where unknown); for the modern set
   * the reference figures of the literature (paper_name names the source). */
  char description[256], input[64], output[64], note[512];
  int layers;
  int64_t params, macs, flops;
  char paper_name[48], paper_input[32], paper_output[32], paper_layers[16], paper_params[16],
      paper_flops[16], paper_macs[16];
  int n_measurements;
  ep_results_measurement* measurements;
  int best; /* index of the lowest median of the measurements that are not noisy (of all of
              them when every one is noisy); -1 when nothing was measured */
  /* Per-node profile at the best configuration (has_profile false when absent). */
  bool has_profile;
  char profile_backend[16], profile_core_set[32];
  int profile_threads, profile_runs;
  double profile_total_ms;
  bool profile_noisy;            /* its noise verdict (files before it: false) */
  double profile_whole_mean_ms;  /* whole runs alternating with the node-timed ones; 0: absent */
  double profile_whole_stddev_ms;
  double profile_timer_cost_us;  /* one node's timing; -1: not recorded (older files) */
  double profile_timer_overhead_ms;
  int n_ops;
  ep_results_op* ops; /* by time, largest first */
  int n_nodes;
  ep_results_node* nodes; /* run order */
  bool complete;              /* false: a partial run stopped while measuring it */
  int n_energy;               /* 0 without a meter (and in files before energy) */
  ep_results_energy* energy;  /* set order */
} ep_results_model;

typedef struct ep_results_set {
  char name[32];
  char cpus[256];
  int size;
  char description[128];
} ep_results_set;

typedef struct ep_results {
  char path[640];
  int schema_version; /* as read from the file */
  char platform_id[128]; /* characters other than [A-Za-z0-9_-] become '-' (it names files);
                          * "-<label>" appended for a labelled run */
  char host[256], cpu_model[128], isa[16], date[32];
  char topology_kind[48];
  int cpus_online;
  char cpus_allowed[256];
  int n_sets;
  ep_results_set* sets; /* core sets of the machine, listing order */
  bool quick;
  bool latency_p90_estimate; /* settings.latency "p90est": figure_ms is the estimate */
  int warmup_runs, min_runs;
  double min_seconds, budget_seconds, elapsed_seconds;
  double load_average; /* before the run; -1 when unknown */
  bool partial;        /* stopped by a signal: `characterize --resume` completes it */
  char label[64];      /* --label ("" when none) */
  /* The energy meter ("" when there was none or the file predates energy): "rapl", ... */
  char energy_meter[16], energy_description[160], energy_scope[16];
  char energy_note[640]; /* why there was none, when recorded */
  int n_models;
  ep_results_model* models;
} ep_results;

/* Reads `path` (a results.json, or a folder holding one). EP_ERR_NOT_FOUND if missing,
 * EP_ERR_FORMAT if it is not a characterize results file or a field has the wrong type,
 * EP_ERR_UNSUPPORTED for a schema version this build does not read. */
ep_status ep_results_load(const char* path, ep_results** results_out);
/* NULL is a no-op. */
void ep_results_destroy(ep_results* results);

/* The model named `name`, NULL if absent. */
const ep_results_model* ep_results_find_model(const ep_results* results, const char* name);
/* Its best measurement on `backend` (NULL: any), NULL if none: the lowest median of those not
 * noisy, or of all when every one is noisy. */
const ep_results_measurement* ep_results_best(const ep_results_model* model, const char* backend);
/* Its measurement on (core_set, threads) on any backend, NULL if none. */
const ep_results_measurement* ep_results_point(const ep_results_model* model,
                                               const char* core_set, int threads);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_RESULTS_H */

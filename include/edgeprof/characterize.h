/* The characterization job: the paper's Table I, Fig. 1 and Fig. 2 on this machine. For each
 * model: its Table I figures computed from the graph as defined; its latency on every
 * configuration (backend x core set x thread count, see edgeprof/sweep.h); the best of them
 * (Fig. 1's bar); and the per-node and per-op-type time at that best configuration.
 *
 * Library code: it never prints; progress goes through a callback. Results are plain data,
 * written out by the report writers (edgeprof/report.h) as results.json. */
#ifndef EDGEPROF_CHARACTERIZE_H
#define EDGEPROF_CHARACTERIZE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/bench.h"
#include "edgeprof/cpu.h"
#include "edgeprof/energy.h"
#include "edgeprof/graph.h"
#include "edgeprof/platform.h"
#include "edgeprof/profile.h"
#include "edgeprof/session.h"
#include "edgeprof/status.h"
#include "edgeprof/sweep.h"
#include "edgeprof/topology.h"
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

/* "transformer" (has attention or LayerNorm: ViT's patch convolution does not make it a CNN),
 * "cnn" (has convolutions), "rnn" (LSTM or GRU), "mlp" (fully connected only) or "other". */
const char* ep_graph_family(const ep_graph* graph);

/* A name for this machine's result folder: host and CPU model, lower case, [a-z0-9-] only
 * ("vm-amd-epyc"). Returns buf. */
char* ep_platform_id(const char* host, const char* cpu_model, char* buf, size_t size);

#define EP_CHARACTERIZE_MAX_BACKENDS 8

struct ep_characterize_result;

typedef struct ep_characterize_options {
  /* Zoo names (ep_zoo_select expands set words); NULL: the paper's five, in zoo order. */
  const char* const* models;
  int n_models;
  uint64_t seed;
  /* The machine: its sets and the description results carry. Required. */
  const ep_topology* topology;
  const char* const* core_sets; /* names of sets of `topology` to measure; NULL: every set */
  int n_core_sets;
  /* Thread counts. NULL: ep_sweep_default_threads(allowed CPUs), each set running only the
   * counts up to max(8, its size): the paper's 1, 2, 4, 8 everywhere, one thread per CPU on
   * large sets. Given: every count on every set. */
  const int* threads;
  int n_threads;
  /* Backends, one more axis (ep_backend_name); NULL: EP_BACKEND_CPU alone. */
  const char* const* backends;
  int n_backends;
  bool profile;         /* per-node profile at each model's best configuration */
  /* The machine's energy meter (ep_energy_meter_detect), NULL: none. With one, each model's
   * best configuration on every core set is run once more with the meter reading, for at
   * least max(measure.min_seconds, the meter's shortest useful window; with quick at most
   * 1 s of it) seconds. `energy_note` (may be NULL) is recorded when there is no meter. */
  ep_energy_meter* energy_meter;
  const char* energy_note;
  bool quick;           /* recorded in the results */
  /* Noise (edgeprof/noise.h): after a model's configurations, those judged noisy are measured
   * again, all of them in turn so that a burst of other work hits each alike, for at most
   * this many rounds and at most as long again as the first pass took (0: never). An attempt
   * that passes replaces a noisy one; of noisy attempts the lowest median is kept. */
  int remeasure_rounds;
  /* The latency figure that picks the best configuration (and that reports use): false, the
   * median; true, MLPerf's 90th-percentile early-stopping estimate (99% confidence, as
   * SingleStream's result), which needs at least EP_SINGLESTREAM_MIN_QUERIES (64) runs per
   * configuration: min_runs is raised to that. */
  bool latency_p90_estimate;
  ep_measure_options measure; /* runs per configuration (on_run is set by the job) */
  /* One line of progress, at least every second or so while measuring; may be NULL. Each
   * starts with the step, the elapsed time and an estimate of the time left:
   * "[3/40 0:42 elapsed, ~1:30 left] measuring resnet50: big, 2 threads (run 12, 1.0 s)". */
  void (*progress)(void* user, const char* line);
  void* user;
  /* When *stop becomes non-zero (a signal handler sets it) the job stops within one run, drops
   * the configuration it was measuring and returns what finished, marked partial. NULL: never. */
  const volatile sig_atomic_t* stop;
  const char* label; /* names the run in results and reports (NULL or "": none) */
  /* Models already in a partial results file being resumed: skipped, in `models` order. */
  const char* const* skip_models;
  int n_skip_models;
  double elapsed_before; /* seconds the resumed run already took */
  /* Called once the settings are resolved, before anything is measured (may be NULL): a
   * status other than EP_OK ends the job with it (resume checks the settings match). */
  ep_status (*before_measuring)(void* user, const struct ep_characterize_result* result);
  void* before_measuring_user;
} ep_characterize_options;

/* Defaults: the paper's five models, default seed, profile on, 2 re-measuring rounds; warm-up 1, 20 runs, 0.5 s, 5 s budget;
 * quick: warm-up 1, 3 runs, 0.05 s, 0.6 s budget. `topology` and the sets are left NULL. */
void ep_characterize_options_default(ep_characterize_options* options, bool quick);

/* A node of the graph that ran, copied out so that results outlive the graphs. */
typedef struct ep_characterize_node {
  char* name;
  char op[32]; /* ep_node_op_label: "Conv+Relu" */
  int64_t params, macs, output_bytes;
} ep_characterize_node;

/* Energy at the best configuration of one core set. */
typedef struct ep_characterize_energy {
  char backend[16];
  char core_set[EP_CORE_SET_NAME_MAX];
  int threads;
  ep_energy_result result;
} ep_characterize_energy;

typedef struct ep_characterize_model {
  ep_table1_row table1;
  char family[16];              /* ep_graph_family of the optimized graph */
  int n_measurements;
  ep_measurement* measurements; /* set-major, threads ascending */
  int best;                     /* index of the lowest median */
  ep_profile* profile;          /* at measurements[best]'s configuration; NULL if off */
  ep_noise profile_noise;       /* what else the machine did while it was profiled */
  int n_nodes;
  ep_characterize_node* nodes;  /* [n_nodes] the optimized graph's nodes, run order */
  ep_session_memory memory;     /* of the first configuration's session */
  bool complete;                /* false: stopped while measuring it (a partial result) */
  int n_energy;                 /* with a meter: one per measured core set, in set order */
  ep_characterize_energy energy[EP_TOPOLOGY_MAX_SETS];
} ep_characterize_model;

typedef struct ep_characterize_result {
  char platform_id[128];
  char host[256];
  char date[32];          /* UTC, ISO 8601: "2024-05-01T12:00:00Z" */
  ep_cpu_info cpu;
  char isa[16];           /* kernels' ISA level: "avx512" */
  ep_topology* topology;  /* a copy, with the sets as measured */
  int n_core_sets;
  char core_sets[EP_TOPOLOGY_MAX_SETS][EP_CORE_SET_NAME_MAX]; /* measured, in order */
  int n_threads;
  int threads[EP_SWEEP_MAX_THREADS]; /* the thread list (before per-set limits) */
  bool threads_given;
  int n_backends;
  char backends[EP_CHARACTERIZE_MAX_BACKENDS][16]; /* measured, in order */
  uint64_t seed;
  bool quick;
  bool latency_p90_estimate; /* the figure: median (false) or p90 early-stopping estimate */
  ep_measure_options measure;
  double elapsed_seconds;
  bool partial;           /* stopped (options.stop): models after the last complete one missing */
  char label[64];
  size_t peak_rss_bytes;
  double load_average; /* 1-minute load average before measuring (/proc/loadavg); -1: unknown */
  bool has_energy_meter;
  char energy_meter[16];        /* "rapl", ... when has_energy_meter */
  char energy_description[160]; /* ep_energy_meter_description */
  char energy_scope[16];
  char energy_note[640];        /* why there is no meter ("" when unknown) */
  int n_models;
  ep_characterize_model* models;
} ep_characterize_result;

/* Runs the whole job (the models of options.skip_models excepted). EP_ERR_NOT_FOUND for an unknown model, EP_ERR_INVALID_ARGUMENT for an
 * unknown core set (both checked before anything is measured). Free the result with
 * ep_characterize_result_destroy. */
ep_status ep_characterize_run(const ep_characterize_options* options,
                              ep_characterize_result** result_out);
/* NULL is a no-op. */
void ep_characterize_result_destroy(ep_characterize_result* result);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_CHARACTERIZE_H */

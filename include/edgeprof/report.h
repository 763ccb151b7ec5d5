/* Writing results: files replaced atomically, JSON documents (schemas in docs/results.md) and
 * the Markdown report of a characterization.
 *
 * Writers take plain data and a stdio stream; they return EP_ERR_IO when the stream fails and
 * EP_ERR_OUT_OF_MEMORY when a document cannot be built. They never print anything else. */
#ifndef EDGEPROF_REPORT_H
#define EDGEPROF_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "edgeprof/bench.h"
#include "edgeprof/characterize.h"
#include "edgeprof/cpu.h"
#include "edgeprof/energy.h"
#include "edgeprof/graph.h"
#include "edgeprof/profile.h"
#include "edgeprof/results.h"
#include "edgeprof/session.h"
#include "edgeprof/output.h"
#include "edgeprof/status.h"
#include "edgeprof/sweep.h"
#include "edgeprof/topology.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_RESULTS_SCHEMA_VERSION 1
/* characterize's results.json and sweep --json (version 1 was the first characterize, which
 * ep_results_load still reads). */
#define EP_CHARACTERIZE_SCHEMA_VERSION 2

/* --- formatting ------------------------------------------------------------------------ */

/* A count with an SI suffix and 3-4 significant digits: "25.56M", "3.86G", "784". Returns buf. */
char* ep_format_count(int64_t value, char* buf, size_t size);
/* Bytes in binary units: "97.5 MiB", "512 B". Returns buf. */
char* ep_format_bytes(int64_t bytes, char* buf, size_t size);

/* --- JSON documents --------------------------------------------------------------------- */

typedef struct ep_bench_report {
  const char* model;
  int threads;
  const char* cpus; /* CPU list the workers were pinned to, NULL or "" if not pinned */
  const double* samples_ms;
  int n_samples;
  ep_latency_stats stats;
  ep_session_memory memory;
  size_t peak_rss_bytes;
  const char* backend; /* the backend asked for; NULL means "cpu" */
  /* bench --energy over the timed runs; NULL: "energy": null (not asked, or no meter). */
  const ep_energy_result* energy;
  /* bench --scenario singlestream; NULL: "singlestream": null. */
  const ep_singlestream_result* singlestream;
  /* bench --scenario multistream / offline; NULL: null in the JSON. */
  const ep_multistream_result* multistream;
  const ep_offline_result* offline;
  /* Initialisation and the first inference, as TFLite's benchmark tool reports them: loading
   * and optimizing the graph, creating the session (kernels chosen, weights packed, arena
   * planned), and the first run (cold caches, first touches); negative: not measured. */
  double load_ms, session_ms, first_inference_ms;
} ep_bench_report;

ep_status ep_report_bench_json(const ep_bench_report* report, FILE* out);

typedef struct ep_profile_report {
  const char* model;
  int threads;
  const char* cpus; /* NULL or "" if not pinned */
  const ep_graph* graph; /* the graph that ran */
  const ep_profile* profile;
  const ep_session* session; /* which backend ran each node (ep_session_node_backend) */
  /* profile --energy over all its runs; NULL: "energy": null. plan reads its mean power. */
  const ep_energy_result* energy;
  /* As in ep_bench_report; negative: not measured ("init_ms": null). */
  double load_ms, session_ms, first_inference_ms;
} ep_profile_report;

ep_status ep_report_profile_json(const ep_profile_report* report, FILE* out);
/* profile --csv: one row per node in run order (docs/results.md, "profile --csv"). */
ep_status ep_report_profile_csv(const ep_profile_report* report, FILE* out);
/* profile --trace: the runs of a profile made by ep_profile_run_traced as a Chrome trace
 * (Trace Event Format: {"traceEvents": [{"name","cat","ph":"X","ts","dur","pid","tid",
 * "args"}...]}), which chrome://tracing and Perfetto open. */
ep_status ep_report_profile_trace(const ep_profile_report* report, FILE* out);

/* info MODEL: the optimized graph's nodes and totals, and the totals of the graph as defined. */
ep_status ep_report_info_json(const char* model, const ep_graph* optimized,
                              const ep_graph* defined, FILE* out);

/* info --table1. */
ep_status ep_report_table1_json(const ep_table1_row* rows, int n_rows, FILE* out);

/* characterize: results.json (the measurements; everything else is drawn from it). */
ep_status ep_report_characterize_json(const ep_characterize_result* result, FILE* out);

/* Resuming a partial results.json (`characterize --resume`): EP_OK when `previous_path` is a
 * partial characterize results file measured with the settings of `result` (backends, core
 * sets, threads, runs, seed, --quick, label); EP_ERR_INVALID_ARGUMENT naming what differs,
 * EP_ERR_NOT_FOUND / EP_ERR_FORMAT for a missing or unreadable file. */
ep_status ep_report_characterize_resumable(const ep_characterize_result* result,
                                           const char* previous_path);
/* Writes the previous file's complete models followed by those of `result` (the rest of the
 * run) as one results.json: the previous date and load average, the elapsed time of
 * `result` (which counts the previous run's), partial as `result` is. */
ep_status ep_report_characterize_json_resumed(const ep_characterize_result* result,
                                              const char* previous_path, FILE* out);

/* sweep --json. */
typedef struct ep_sweep_report {
  const char* model;
  const ep_topology* topology;
  const ep_measurement* measurements;
  int n_measurements;
} ep_sweep_report;

ep_status ep_report_sweep_json(const ep_sweep_report* report, FILE* out);
/* sweep --svg: Fig. 2 of the one model, a line per core set (and backend), median against
 * threads with a whisker up to the p90, as in ep_report_fig2_svg. */
ep_status ep_report_sweep_svg(const ep_sweep_report* report, FILE* out);

/* --- reports drawn from results files: one machine, or several side by side ------------- */

/* Findings: the paper's statements recomputed from the numbers, one sentence (plain text, UTF-8)
 * per line. */
#define EP_FINDINGS_MAX 24
#define EP_FINDING_MAX 1024
typedef struct ep_findings {
  int n;
  char lines[EP_FINDINGS_MAX][EP_FINDING_MAX];
} ep_findings;

/* One machine: what fits (Fig. 1), thread scaling, big+little against big, oversubscription,
 * backends, op types, best configurations; each only where measured. */
void ep_findings_compute(const ep_results* machine, ep_findings* findings_out);
/* Several machines: per network, the fastest against the slowest. Empty for one machine. */
void ep_findings_compare(const ep_results* const* machines, int n, ep_findings* findings_out);

/* Milliseconds with 3-4 significant digits ("0.512", "45.1", "210"). Returns buf. */
char* ep_format_ms(double ms, char* buf, size_t size);

/* Charts (hand-written SVG 1.1, no script), laid out from the text widths so that no label
 * clips or overlaps another. Fig. 1: grouped bars of every network's best median with a whisker
 * up to its p90, one series per machine (and backend), log-scale axis; an absent network is a
 * gap marked "n/a". Fig. 2: small multiples for one machine, a panel per network and a line per
 * core set, median against threads with p90 whiskers. Layers: 100% stacked bars of the time by
 * op type, one row per network and machine. Noisy measurements carry a red dashed mark. */
ep_status ep_report_fig1_svg(const ep_results* const* machines, int n, FILE* out);
ep_status ep_report_fig2_svg(const ep_results* machine, FILE* out);
ep_status ep_report_layers_svg(const ep_results* const* machines, int n, FILE* out);

/* The Fig. 2 file of machine i: "fig2.svg" for one machine, "fig2-<platform id>.svg" for
 * several. Returns buf. */
char* ep_report_fig2_name(const ep_results* const* machines, int n, int i, char* buf,
                          size_t size);

/* CSV files (RFC 4180, header row, one row per ...). */
typedef enum ep_csv_kind {
  EP_CSV_LATENCY,  /* latency.csv: measurement (every configuration) */
  EP_CSV_BEST,     /* best.csv: network and machine (Fig. 1's data) */
  EP_CSV_LAYERS,   /* layers.csv: node at the best configuration */
  EP_CSV_OP_TYPES, /* op_types.csv: op type at the best configuration */
  EP_CSV_TABLE1,   /* table1.csv: network (computed and paper figures) */
} ep_csv_kind;
ep_status ep_report_csv(const ep_results* const* machines, int n, ep_csv_kind kind, FILE* out);

/* report.md and report.html: the platforms, the findings, Fig. 1 with its table (machines side
 * by side), Fig. 2 and the sweep tables of each machine, the op-type shares, the slowest nodes,
 * Table I. The Markdown links the SVG files beside it; the HTML holds the charts inline and
 * needs no other file. */
ep_status ep_report_markdown(const ep_results* const* machines, int n, FILE* out);
ep_status ep_report_html(const ep_results* const* machines, int n, FILE* out);

/* `edgeprof platform --json`: {"schema_version", "cpu": {model, vendor, family, model_id,
 * stepping, cpus_online, cpus_allowed, caches: [{level, type, size_bytes, shared_by}]},
 * "isa": {best, active, available: [...], note}, "peak_gflops": {active level, by_isa: {...}},
 * "read_bandwidth_gbps"}. */
ep_status ep_report_platform_json(const ep_platform_summary* summary, FILE* out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_REPORT_H */

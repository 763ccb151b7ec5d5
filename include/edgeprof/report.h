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
#include "edgeprof/graph.h"
#include "edgeprof/profile.h"
#include "edgeprof/session.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_RESULTS_SCHEMA_VERSION 1

/* --- atomic output files ---------------------------------------------------------------- */

/* An output file: written to PATH.tmp.<pid> in the same folder, then fsync'ed and renamed
 * over PATH by ep_output_commit, so PATH is either the old file or the complete new one.
 * "-" is standard output (nothing to rename). Open it before the work that fills it, so that an
 * unwritable path fails first. Not thread-safe: one thread per output. */
typedef struct ep_output ep_output;

/* Fails (EP_ERR_IO, the message names the path and the reason) if the folder does not exist or
 * cannot be written, or PATH is a folder. */
ep_status ep_output_open(const char* path, ep_output** output_out);
FILE* ep_output_stream(ep_output* output);
const char* ep_output_path(const ep_output* output);
/* The temporary file's path, NULL for standard output: what a signal handler must remove. */
const char* ep_output_tmp_path(const ep_output* output);
/* Flushes, syncs and renames into place; frees the output whatever happens. On failure the
 * temporary file is removed and PATH is left as it was. */
ep_status ep_output_commit(ep_output* output);
/* Closes and removes the temporary file; frees the output. NULL is a no-op. */
void ep_output_discard(ep_output* output);

/* Creates a folder and its parents (mkdir -p); fine if it exists. */
ep_status ep_make_dirs(const char* path);

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
} ep_bench_report;

ep_status ep_report_bench_json(const ep_bench_report* report, FILE* out);

typedef struct ep_profile_report {
  const char* model;
  int threads;
  const char* cpus; /* NULL or "" if not pinned */
  const ep_graph* graph; /* the graph that ran */
  const ep_profile* profile;
} ep_profile_report;

ep_status ep_report_profile_json(const ep_profile_report* report, FILE* out);

/* info MODEL: the optimized graph's nodes and totals, and the totals of the graph as defined. */
ep_status ep_report_info_json(const char* model, const ep_graph* optimized,
                              const ep_graph* defined, FILE* out);

/* info --table1. */
ep_status ep_report_table1_json(const ep_table1_row* rows, int n_rows, FILE* out);

/* characterize: results.json and report.md. */
ep_status ep_report_characterize_json(const ep_characterize_result* result, FILE* out);
ep_status ep_report_characterize_markdown(const ep_characterize_result* result, FILE* out);

/* `edgeprof platform --json`: {"schema_version", "cpu": {model, vendor, family, model_id,
 * stepping, cpus_online, cpus_allowed, caches: [{level, type, size_bytes, shared_by}]},
 * "isa": {best, active, available: [...], note}, "peak_gflops": {active level, by_isa: {...}},
 * "read_bandwidth_gbps"}. */
ep_status ep_report_platform_json(const ep_platform_summary* summary, FILE* out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_REPORT_H */

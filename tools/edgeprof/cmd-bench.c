/* edgeprof bench MODEL: whole-network latency statistics, throughput and memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_energy.h"
#include "edgeprof/bench.h"

static void print_result(const ep_bench_report* r, int warmup, const cli_energy* energy) {
  const ep_latency_stats* s = &r->stats;
  char w[32], a[32], sc[32], rss[32];
  printf("%s: %d run%s on the %s backend, %d thread%s (%s%s), after %d warm-up run%s\n", r->model, s->count,
         s->count == 1 ? "" : "s", r->backend, r->threads, r->threads == 1 ? "" : "s",
         r->cpus != NULL ? "pinned to CPUs " : "not pinned", r->cpus != NULL ? r->cpus : "",
         warmup, warmup == 1 ? "" : "s");
  printf("  count       %d\n", s->count);
  printf("  min         %.3f ms\n", s->min);
  printf("  median      %.3f ms\n", s->median);
  printf("  mean        %.3f ms\n", s->mean);
  printf("  p90         %.3f ms\n", s->p90);
  printf("  p99         %.3f ms\n", s->p99);
  printf("  max         %.3f ms\n", s->max);
  printf("  stddev      %.3f ms\n", s->stddev);
  printf("  throughput  %.2f inferences/s\n", s->mean > 0.0 ? 1e3 / s->mean : 0.0);
  printf("  memory      weights (packed) %s, activation arena %s, scratch %s, peak RSS %s\n",
         ep_format_bytes((int64_t)r->memory.weight_bytes, w, sizeof w),
         ep_format_bytes((int64_t)r->memory.arena_bytes, a, sizeof a),
         ep_format_bytes((int64_t)r->memory.scratch_bytes, sc, sizeof sc),
         ep_format_bytes((int64_t)r->peak_rss_bytes, rss, sizeof rss));
  cli_energy_print(energy, stdout);
}

static void print_singlestream(const ep_singlestream_result* ss) {
  if (ss->discarded >= 0) {
    printf("SingleStream: 90th percentile early-stopping estimate %.3f ms (%lld queries, discarded "
           "%d slowest), %s%s%s%s\n",
           ss->p90_estimate_ms, (long long)ss->queries, ss->discarded,
           ss->valid ? "VALID" : "INVALID", ss->valid ? "" : " (", ss->reason,
           ss->valid ? "" : ")");
  } else {
    printf("SingleStream: no 90th percentile early-stopping estimate (%lld queries), INVALID (%s)\n",
           (long long)ss->queries, ss->reason);
  }
}

int cmd_bench(int argc, char** argv) {
  cli_args args;
  int rc = cli_parse_command("bench", argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE, "bench: %s (usage: edgeprof bench MODEL [options])",
                    args.n_positional == 0 ? "missing MODEL" : "one MODEL at a time");
  }
  static int cpus[EP_MAX_CPUS];
  int n_cpus = 0;
  rc = cli_resolve_cpus("bench", args.cpus, cpus, &n_cpus);
  if (rc != CLI_EXIT_OK) return rc;
  rc = cli_check_backends("bench", args.backend, false);
  if (rc != CLI_EXIT_OK) return rc;
  bool singlestream = args.scenario != NULL;
  if (singlestream && strcmp(args.scenario, "singlestream") != 0) {
    return cli_fail(CLI_EXIT_USAGE, "bench: unknown --scenario '%s' (known: singlestream)",
                    args.scenario);
  }
  if (!singlestream && (args.min_queries >= 0 || args.min_duration >= 0.0)) {
    return cli_fail(CLI_EXIT_USAGE,
                    "bench: --min-queries and --min-duration need --scenario singlestream");
  }
  int64_t min_queries = args.min_queries >= 0 ? args.min_queries : EP_SINGLESTREAM_MIN_QUERIES;
  double min_duration = args.min_duration >= 0.0 ? args.min_duration
                                                 : EP_SINGLESTREAM_MIN_DURATION_S;

  const char* model = args.positional[0];
  ep_output* json = NULL;
  ep_graph* graph = NULL;
  ep_session* session = NULL;
  double* samples = NULL;
  int n_samples = 0;
  char cpu_text[256] = "";
  char label[128];
  cli_progress progress;
  cli_energy energy;
  ep_bench_options bo;
  ep_singlestream_result ss;
  ep_bench_report report = {model, args.threads, NULL, NULL, 0, {0}, {0}, 0, NULL, NULL, NULL};
  ep_status status;
  cli_energy_open(args.energy, &energy);
  rc = cli_output_open("bench", args.json, &json);
  if (rc != CLI_EXIT_OK) goto cleanup;
  rc = cli_load_model("bench", model, args.seed, NULL, &graph);
  if (rc != CLI_EXIT_OK) goto cleanup;

  ep_session_options so = {args.threads, n_cpus > 0 ? cpus : NULL, n_cpus, args.backend};
  status = ep_session_create(graph, &so, &session);
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "bench: %s", ep_last_error());
    goto cleanup;
  }
  snprintf(label, sizeof label, "bench %s", model);
  cli_progress_init(&progress, label);
  cli_bench_options(&args, &progress, &bo);
  if (singlestream) { /* LoadGen's minimums replace --runs and --min-time */
    bo.min_runs = (int)min_queries;
    bo.min_seconds = min_duration;
  }
  /* The meter and SingleStream's duration cover the timed runs only: warm up first. */
  if (energy.meter != NULL || singlestream) {
    for (int i = 0; i < bo.warmup_runs; i++) {
      status = ep_session_run(session);
      if (status != EP_OK) {
        rc = cli_fail(CLI_EXIT_RUNTIME, "bench: %s", ep_last_error());
        goto cleanup;
      }
    }
    bo.warmup_runs = 0;
    if (energy.meter != NULL) cli_energy_start(&energy);
  }
  double timed_start = ep_now();
  status = ep_bench_run(session, &bo, &samples, &n_samples);
  double timed_seconds = ep_now() - timed_start;
  cli_energy_stop(&energy, status == EP_OK ? n_samples : 0);
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "bench: %s", ep_last_error());
    goto cleanup;
  }

  report.samples_ms = samples;
  report.n_samples = n_samples;
  if (n_cpus > 0) report.cpus = ep_cpulist_format(cpus, n_cpus, cpu_text, sizeof cpu_text);
  ep_latency_stats_compute(samples, n_samples, &report.stats);
  ep_session_memory_get(session, &report.memory);
  report.peak_rss_bytes = ep_peak_rss_bytes();
  report.backend = ep_session_backend(session);
  report.energy = cli_energy_result(&energy);
  if (singlestream) {
    ep_singlestream_evaluate(samples, n_samples, timed_seconds, min_queries, min_duration, &ss);
    report.singlestream = &ss;
  }
  if (!cli_is_stdout(args.json)) {
    print_result(&report, args.warmup, &energy);
    if (singlestream) print_singlestream(&ss);
  } else if (report.energy == NULL) {
    cli_energy_print(&energy, stderr); /* stdout holds only the JSON */
  }
  if (json != NULL) {
    status = ep_report_bench_json(&report, ep_output_stream(json));
    if (status != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "bench: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("bench", json);
    json = NULL;
  }

cleanup:
  cli_energy_close(&energy);
  cli_output_discard(json);
  free(samples);
  ep_session_destroy(session);
  ep_graph_destroy(graph);
  return rc;
}

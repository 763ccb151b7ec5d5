/* edgeprof bench MODEL: whole-network latency statistics, throughput and memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_energy.h"
#include "cli_options.h"
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
  printf("  median      %.3f ms (p50)\n", s->median);
  printf("  mean        %.3f ms\n", s->mean);
  printf("  p90         %.3f ms\n", s->p90);
  printf("  p95         %.3f ms\n", s->p95);
  printf("  p99         %.3f ms\n", s->p99);
  printf("  p99.9       %.3f ms%s\n", s->p999, s->count < 1000 ? " (under 1000 runs: near max)" : "");
  printf("  max         %.3f ms\n", s->max);
  printf("  stddev      %.3f ms\n", s->stddev);
  printf("  throughput  %.2f inferences/s\n", s->mean > 0.0 ? 1e3 / s->mean : 0.0);
  printf("  init        %.3f ms (load and optimize the graph %.3f ms, session with packed weights "
         "%.3f ms)\n", r->load_ms + r->session_ms, r->load_ms, r->session_ms);
  printf("  first run   %.3f ms (the first inference, before the other warm-up runs)\n",
         r->first_inference_ms);
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

static void print_multistream(const ep_multistream_result* ms) {
  if (ms->discarded >= 0) {
    printf("MultiStream: 99th percentile early-stopping estimate %.3f ms per query of %d samples "
           "(%lld queries, discarded %d slowest), %s%s%s%s\n",
           ms->p99_estimate_ms, ms->samples_per_query, (long long)ms->queries, ms->discarded,
           ms->valid ? "VALID" : "INVALID", ms->valid ? "" : " (", ms->reason,
           ms->valid ? "" : ")");
  } else {
    printf("MultiStream: no 99th percentile early-stopping estimate (%lld queries of %d samples), "
           "INVALID (%s)\n", (long long)ms->queries, ms->samples_per_query, ms->reason);
  }
}

static void print_offline(const ep_offline_result* off) {
  printf("Offline: %.2f samples/s (%lld samples in %.3g s, batch 1, one after another), %s%s%s%s\n",
         off->samples_per_s, (long long)off->samples, off->seconds,
         off->valid ? "VALID" : "INVALID", off->valid ? "" : " (", off->reason,
         off->valid ? "" : ")");
}

/* LoadGen's scenarios: what --min-queries counts and the rules' minimums. */
typedef enum scenario { SCENARIO_NONE, SCENARIO_SINGLE, SCENARIO_MULTI, SCENARIO_OFFLINE } scenario;

int cmd_bench(int argc, char** argv) {
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      CLI_OPTION_THREADS(&args),
      CLI_OPTION_CPUS(&args),
      CLI_OPTION_RUNS(&args),
      CLI_OPTION_MIN_TIME(&args),
      CLI_OPTION_MAX_TIME(&args),
      CLI_OPTION_WARMUP(&args),
      CLI_OPTION_BACKEND(&args),
      CLI_OPTION_ENERGY(&args),
      CLI_OPTION_JSON(&args),
      CLI_OPTION_SEED(&args),
      CLI_OPTION_NO_FUSE(&args),
      CLI_OPTION_SHAPE(&args),
      {.name = "--scenario", .kind = CLI_STRING, .target = &args.scenario, .metavar = "NAME",
       .help = "MLPerf LoadGen's rules and result (replaces --runs and --min-time by the\n"
               "two below): singlestream (p90 estimate), multistream (queries of 8\n"
               "samples, p99 estimate) or offline (samples/s, derived at batch 1)"},
      {.name = "--min-queries", .kind = CLI_INT, .target = &args.min_queries, .min = 1,
       .max = 10000000, .metavar = "N",
       .help = "with --scenario: run at least N queries (default as the rules:\n"
               "singlestream 64, multistream 662; offline: N samples, default 24576)"},
      {.name = "--min-duration", .kind = CLI_DURATION, .target = &args.min_duration, .min = 0,
       .max = 86400, .metavar = "TIME",
       .help = "with --scenario: and for at least TIME (default 600s, as the rules;\n"
               "a bare number is seconds)"},
  };
  int rc = cli_parse("bench", options, CLI_COUNT(options), argc, argv, &args);
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
  scenario sc = SCENARIO_NONE;
  if (args.scenario != NULL) {
    if (strcmp(args.scenario, "singlestream") == 0) {
      sc = SCENARIO_SINGLE;
    } else if (strcmp(args.scenario, "multistream") == 0) {
      sc = SCENARIO_MULTI;
    } else if (strcmp(args.scenario, "offline") == 0) {
      sc = SCENARIO_OFFLINE;
    } else {
      return cli_fail(CLI_EXIT_USAGE, "bench: unknown --scenario '%s' (known: singlestream, "
                      "multistream, offline)", args.scenario);
    }
  }
  bool singlestream = sc != SCENARIO_NONE; /* a LoadGen scenario: its minimums, timed alone */
  if (!singlestream && (args.min_queries >= 0 || args.min_duration >= 0.0)) {
    return cli_fail(CLI_EXIT_USAGE, "bench: --min-queries and --min-duration need --scenario");
  }
  int64_t default_queries = sc == SCENARIO_MULTI     ? EP_MULTISTREAM_MIN_QUERIES
                            : sc == SCENARIO_OFFLINE ? EP_OFFLINE_MIN_SAMPLES
                                                     : EP_SINGLESTREAM_MIN_QUERIES;
  int64_t min_queries = args.min_queries >= 0 ? args.min_queries : default_queries;
  double min_duration = args.min_duration >= 0.0 ? args.min_duration
                                                 : EP_SINGLESTREAM_MIN_DURATION_S;
  /* A MultiStream query is 8 samples, run one after another. */
  int64_t min_runs = sc == SCENARIO_MULTI ? min_queries * EP_MULTISTREAM_SAMPLES_PER_QUERY
                                          : min_queries;
  if (min_runs > 100000000) {
    return cli_fail(CLI_EXIT_USAGE, "bench: --min-queries %lld: too many samples",
                    (long long)min_queries);
  }

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
  ep_multistream_result ms;
  ep_offline_result off;
  ep_bench_report report = {.model = model, .threads = args.threads, .load_ms = -1,
                            .session_ms = -1, .first_inference_ms = -1};
  ep_status status;
  cli_energy_open(args.energy, &energy);
  rc = cli_output_open("bench", args.json, &json);
  if (rc != CLI_EXIT_OK) goto cleanup;
  double t0 = ep_now();
  rc = cli_load_model("bench", model, args.seed, NULL, &graph);
  if (rc != CLI_EXIT_OK) goto cleanup;
  report.load_ms = (ep_now() - t0) * 1e3;

  ep_session_options so = {args.threads, n_cpus > 0 ? cpus : NULL, n_cpus, args.backend};
  t0 = ep_now();
  status = ep_session_create_consuming(graph, &so, &session); /* the graph serves it alone */
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "bench: %s", ep_last_error());
    goto cleanup;
  }
  report.session_ms = (ep_now() - t0) * 1e3;
  /* The first inference on its own (it counts as one of the warm-up runs). */
  t0 = ep_now();
  status = ep_session_run(session);
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "bench: %s", ep_last_error());
    goto cleanup;
  }
  report.first_inference_ms = (ep_now() - t0) * 1e3;
  snprintf(label, sizeof label, "bench %s", model);
  cli_progress_init(&progress, label);
  cli_bench_options(&args, &progress, &bo);
  if (bo.warmup_runs > 0) bo.warmup_runs--;
  if (singlestream) { /* LoadGen's minimums replace --runs and --min-time */
    bo.min_runs = (int)min_runs;
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
  if (sc == SCENARIO_SINGLE) {
    ep_singlestream_evaluate(samples, n_samples, timed_seconds, min_queries, min_duration, &ss);
    report.singlestream = &ss;
  } else if (sc == SCENARIO_MULTI) {
    ep_multistream_evaluate(samples, n_samples, EP_MULTISTREAM_SAMPLES_PER_QUERY, timed_seconds,
                            min_queries, min_duration, &ms);
    report.multistream = &ms;
  } else if (sc == SCENARIO_OFFLINE) {
    ep_offline_evaluate(n_samples, timed_seconds, min_queries, min_duration, &off);
    report.offline = &off;
  }
  if (!cli_is_stdout(args.json)) {
    print_result(&report, args.warmup, &energy);
    if (sc == SCENARIO_SINGLE) print_singlestream(&ss);
    if (sc == SCENARIO_MULTI) print_multistream(&ms);
    if (sc == SCENARIO_OFFLINE) print_offline(&off);
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

/* edgeprof sweep MODEL: latency against thread count on named core sets (the paper's Fig. 2
 * for one model), as tables, JSON (--json) and a chart (--svg). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "cli_results.h"
#include "edgeprof/sweep.h"

#define DEFAULT_BUDGET_SECONDS 5.0

typedef struct progress {
  const char* what;
  double last;
} progress;

static void on_run(void* user, int run, double elapsed) {
  progress* p = user;
  double now = ep_now();
  if (now - p->last < 1.0) return;
  p->last = now;
  fprintf(stderr, "[sweep] %s: %d runs, %.1f s\n", p->what, run, elapsed);
}

static void print_tables(const char* model, const ep_core_set* const* sets, int n_sets,
                         const ep_measurement* m, int n) {
  int k = 0;
  for (int s = 0; s < n_sets; s++) {
    char list[256];
    printf("%s%s on core set '%s' (CPUs %s: %s)\n", s ? "\n" : "", model, sets[s]->name,
           ep_cpulist_format(sets[s]->cpus, sets[s]->n_cpus, list, sizeof list),
           sets[s]->description);
    printf("%8s %11s %11s %6s\n", "threads", "median ms", "p90 ms", "runs");
    for (; k < n && strcmp(m[k].core_set, sets[s]->name) == 0; k++) {
      printf("%8d %11.3f %11.3f %6d%s\n", m[k].threads, m[k].stats.median, m[k].stats.p90,
             m[k].n_samples,
             m[k].oversubscribed ? "  oversubscribed (more threads than CPUs)" : "");
    }
  }
}

int cmd_sweep(int argc, char** argv) {
  const char* threads_text = NULL;
  const char* sets_text = NULL;
  const char* svg_path = NULL;
  double budget = DEFAULT_BUDGET_SECONDS;
  const char* specs[CLI_MAX_CORE_SET_SPECS];
  int n_specs = 0;
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      {.name = "--threads", .kind = CLI_STRING, .target = &threads_text, .metavar = "LIST",
       .help = "thread counts, e.g. 1,2,4,8"},
      {.name = "--core-sets", .kind = CLI_STRING, .target = &sets_text, .metavar = "LIST",
       .help = "sets to measure, e.g. big,little,all"},
      {.name = "--core-set", .kind = CLI_LIST, .target = specs, .count = &n_specs,
       .max_count = CLI_MAX_CORE_SET_SPECS, .metavar = "NAME=LIST",
       .help = "add or replace a set, e.g. fast=2-3 (repeatable)"},
      CLI_OPTION_RUNS(&args),
      CLI_OPTION_MIN_TIME(&args),
      CLI_OPTION_WARMUP(&args),
      {.name = "--budget", .kind = CLI_DURATION, .target = &budget, .min = 0, .max = 86400,
       .metavar = "TIME",
       .help = "fewer runs (never under 3) when --runs would take longer than TIME\n"
               "in one configuration (default 5s; 0: no limit; a bare number is seconds)"},
      {.name = "--cpus", .kind = CLI_STRING, .target = &args.cpus, .metavar = "LIST",
       .help = "only these CPUs (the sets are formed within them)"},
      CLI_OPTION_BACKEND(&args),
      CLI_OPTION_JSON(&args),
      {.name = "--svg", .kind = CLI_STRING, .target = &svg_path, .metavar = "FILE",
       .help = "the sweep as a chart: median latency against threads, a line per\n"
               "core set, whiskers to the p90 ('-' for stdout)"},
      CLI_OPTION_SEED(&args),
      CLI_OPTION_SHAPE(&args),
  };
  int rc = cli_parse("sweep", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE, "sweep: %s (usage: edgeprof sweep MODEL [options])",
                    args.n_positional == 0 ? "no MODEL given" : "one MODEL at a time");
  }
  const char* model = args.positional[0];
  if (svg_path != NULL && cli_is_stdout(svg_path) && cli_is_stdout(args.json)) {
    return cli_fail(CLI_EXIT_USAGE, "sweep: --json and --svg cannot both go to stdout ('-')");
  }
  int threads[EP_SWEEP_MAX_THREADS], n_threads = 0;
  if (threads_text != NULL && ep_thread_list_parse(threads_text, threads, &n_threads) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "sweep: --threads: %s", ep_last_error());
  }
  ep_topology* topology = NULL;
  rc = cli_topology("sweep", args.cpus, specs, n_specs, &topology);
  if (rc != CLI_EXIT_OK) return rc;
  if (n_threads == 0) n_threads = ep_sweep_default_threads(topology->n_allowed, threads,
                                                           EP_SWEEP_MAX_THREADS);
  const ep_core_set* sets[EP_TOPOLOGY_MAX_SETS];
  int n_sets = 0;
  char sets_buf[1024];
  ep_output* json = NULL;
  ep_output* svg = NULL;
  ep_graph* graph = NULL;
  ep_measurement* m = NULL;
  int n_m = 0;
  if (sets_text != NULL) {
    const char* names[EP_TOPOLOGY_MAX_SETS];
    snprintf(sets_buf, sizeof sets_buf, "%s", sets_text);
    rc = cli_split_names("sweep", "--core-sets", sets_buf, names, EP_TOPOLOGY_MAX_SETS, &n_sets);
    for (int i = 0; rc == CLI_EXIT_OK && i < n_sets; i++) {
      sets[i] = ep_topology_find(topology, names[i]);
      if (sets[i] == NULL) {
        char known[512] = "";
        for (int k = 0; k < topology->n_sets; k++) {
          if (k) strncat(known, ", ", sizeof known - strlen(known) - 1);
          strncat(known, topology->sets[k].name, sizeof known - strlen(known) - 1);
        }
        rc = cli_fail(CLI_EXIT_USAGE, "sweep: --core-sets: unknown core set '%s' (this machine "
                      "has: %s; --core-set NAME=LIST defines one)", names[i], known);
      }
    }
  } else {
    for (int i = 0; i < topology->n_sets; i++) sets[n_sets++] = &topology->sets[i];
  }
  if (rc == CLI_EXIT_OK) rc = cli_check_backends("sweep", args.backend, false);
  if (rc == CLI_EXIT_OK) rc = cli_output_open("sweep", args.json, &json);
  if (rc == CLI_EXIT_OK) rc = cli_output_open("sweep", svg_path, &svg);
  if (rc == CLI_EXIT_OK) rc = cli_load_model("sweep", model, args.seed, NULL, &graph);
  if (rc != CLI_EXIT_OK) goto cleanup;

  m = calloc((size_t)(n_sets * n_threads), sizeof *m);
  if (m == NULL) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "sweep: no memory");
    goto cleanup;
  }
  ep_measure_options mo = {args.warmup, args.runs, args.min_time, budget, on_run, NULL,
                           args.backend, NULL};
  char what[160];
  progress p = {what, ep_now()};
  mo.user = &p;
  for (int s = 0; s < n_sets; s++) {
    for (int t = 0; t < n_threads; t++) {
      snprintf(what, sizeof what, "%s: %s, %d thread%s%s", model, sets[s]->name, threads[t],
               threads[t] == 1 ? "" : "s", threads[t] > sets[s]->n_cpus ? " (oversubscribed)" : "");
      fprintf(stderr, "[%d/%d] %s ...\n", n_m + 1, n_sets * n_threads, what);
      p.last = ep_now();
      ep_status status = ep_measure(graph, sets[s], threads[t], &mo, &m[n_m], NULL);
      if (status != EP_OK) {
        rc = cli_fail(CLI_EXIT_RUNTIME, "sweep: %s: %s", what, ep_last_error());
        goto cleanup;
      }
      n_m++;
    }
  }
  fflush(stderr);
  if (!cli_is_stdout(args.json) && !cli_is_stdout(svg_path)) {
    print_tables(model, sets, n_sets, m, n_m);
  }
  ep_sweep_report report = {model, topology, m, n_m};
  if (json != NULL) {
    if (ep_report_sweep_json(&report, ep_output_stream(json)) != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "sweep: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("sweep", json);
    json = NULL;
    if (rc != CLI_EXIT_OK) goto cleanup;
  }
  if (svg != NULL) {
    if (ep_report_sweep_svg(&report, ep_output_stream(svg)) != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "sweep: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("sweep", svg);
    svg = NULL;
  }

cleanup:
  cli_output_discard(json);
  cli_output_discard(svg);
  ep_measurements_clear(m, n_m);
  free(m);
  ep_graph_destroy(graph);
  ep_topology_destroy(topology);
  return rc;
}

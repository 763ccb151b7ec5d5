/* edgeprof profile MODEL: time per node in run order and by op type (TF benchmark_model). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "cli_energy.h"
#include "edgeprof/profile.h"

/* With another backend than cpu asked for, a column says which one ran each node. */
static void print_nodes(const ep_graph* g, const ep_profile* p, const ep_session* s) {
  bool mixed = strcmp(ep_session_backend(s), "cpu") != 0;
  int width = 4, op_width = 2;
  char op[64];
  for (int i = 0; i < p->n_nodes; i++) {
    const ep_node* node = ep_graph_node(g, i);
    int len = (int)strlen(node->name);
    int op_len = (int)strlen(ep_node_op_label(node, op, sizeof op));
    if (len > width) width = len;
    if (op_len > op_width) op_width = op_len;
  }
  printf("%4s  %-*s  %-*s %9s %6s %6s %10s %8s %10s%s\n", "#", width, "node", op_width, "op",
         "avg ms", "%", "cum %", "MACs", "GFLOP/s", "output KiB", mixed ? "  backend" : "");
  double cumulative = 0.0;
  for (int i = 0; i < p->n_nodes; i++) {
    const ep_node* node = ep_graph_node(g, i);
    double ms = p->node_ms[i];
    double pct = p->total_ms > 0.0 ? 100.0 * ms / p->total_ms : 0.0;
    double gflops = ms > 0.0 ? 2.0 * (double)node->cost.macs / (ms * 1e-3) / 1e9 : 0.0;
    char macs[32];
    cumulative += pct;
    printf("%4d  %-*s  %-*s %9.3f %6.2f %6.2f %10s %8.2f %10.1f%s%s\n", i, width, node->name,
           op_width, ep_node_op_label(node, op, sizeof op), ms, pct, cumulative,
           ep_format_count(node->cost.macs, macs, sizeof macs), gflops,
           (double)node->cost.output_bytes / 1024.0, mixed ? "  " : "",
           mixed ? ep_session_node_backend(s, i) : "");
  }
}

static const double* sort_ms; /* qsort has no user pointer in C11; one sort at a time */

static int by_time_desc(const void* a, const void* b) {
  double x = sort_ms[*(const int*)a], y = sort_ms[*(const int*)b];
  return x < y ? 1 : x > y ? -1 : *(const int*)a - *(const int*)b;
}

/* The N slowest nodes: where to look first (TFLite's "Top by Computation Time"). */
static void print_top(const ep_graph* g, const ep_profile* p, int top) {
  int n = top < p->n_nodes ? top : p->n_nodes;
  if (n <= 0) return;
  int* order = malloc((size_t)p->n_nodes * sizeof *order);
  if (order == NULL) return;
  for (int i = 0; i < p->n_nodes; i++) order[i] = i;
  sort_ms = p->node_ms;
  qsort(order, (size_t)p->n_nodes, sizeof *order, by_time_desc);
  int width = 4;
  for (int k = 0; k < n; k++) {
    int len = (int)strlen(ep_graph_node(g, order[k])->name);
    if (len > width) width = len;
  }
  printf("\nTop %d nodes by time:\n  %4s  %-*s  %-16s %9s %6s\n", n, "#", width, "node", "op",
         "avg ms", "%");
  char op[64];
  for (int k = 0; k < n; k++) {
    int i = order[k];
    const ep_node* node = ep_graph_node(g, i);
    printf("  %4d  %-*s  %-16s %9.3f %6.2f\n", i, width, node->name,
           ep_node_op_label(node, op, sizeof op), p->node_ms[i],
           p->total_ms > 0.0 ? 100.0 * p->node_ms[i] / p->total_ms : 0.0);
  }
  free(order);
}

static void print_by_op(const ep_profile* p) {
  printf("\nBy op type, sorted by time:\n");
  printf("  %-16s %6s %10s %7s\n", "op", "count", "ms", "%");
  for (int i = 0; i < p->n_op_types; i++) {
    const ep_op_type_profile* r = &p->by_op_type[i];
    printf("  %-16s %6d %10.3f %7.2f\n", ep_op_name(r->op), r->count, r->ms, r->percent);
  }
}

static void print_profile(const char* model, const ep_graph* g, const ep_profile* p,
                          const ep_session* s, const char* cpus, int top) {
  int threads = ep_session_threads(s);
  printf("%s: %s backend, %d thread%s (%s%s); %d whole runs, then %d runs timed node by node\n\n",
         model, ep_session_backend(s), threads, threads == 1 ? "" : "s",
         cpus != NULL ? "pinned to CPUs " : "not pinned", cpus != NULL ? cpus : "",
         p->whole.count, p->runs);
  print_nodes(g, p, s);
  print_top(g, p, top);
  print_by_op(p);
  /* Like for like: the node times are means over the timed runs, so the first comparison is
   * with the mean of the whole runs interleaved with them; the median is the bench figure. */
  double vs_mean = p->whole.mean > 0.0 ? 100.0 * (p->total_ms - p->whole.mean) / p->whole.mean : 0.0;
  double vs_median =
      p->whole.median > 0.0 ? 100.0 * (p->total_ms - p->whole.median) / p->whole.median : 0.0;
  printf("\nSum of node times %.3f ms (mean of %d runs with per-node timers); whole network "
         "without them: mean %.3f ms (%+.1f%%), median %.3f ms (%+.1f%%)\n",
         p->total_ms, p->runs, p->whole.mean, vs_mean, p->whole.median, vs_median);
}

int cmd_profile(int argc, char** argv) {
  cli_args args;
  cli_args_default(&args);
  const char* csv_path = NULL;
  const char* trace_path = NULL;
  int top = 10;
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
      {.name = "--csv", .kind = CLI_STRING, .target = &csv_path, .metavar = "FILE",
       .help = "also write the per-node table as CSV to FILE ('-': stdout)"},
      {.name = "--trace", .kind = CLI_STRING, .target = &trace_path, .metavar = "FILE",
       .help = "also write every run and node as a Chrome trace (JSON) to FILE:\n"
               "open it in ui.perfetto.dev or chrome://tracing"},
      {.name = "--top", .kind = CLI_INT, .target = &top, .min = 0, .max = 1000000,
       .metavar = "N", .help = "list the N slowest nodes (default 10; 0: none)"},
  };
  int rc = cli_parse("profile", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE, "profile: %s (usage: edgeprof profile MODEL [options])",
                    args.n_positional == 0 ? "missing MODEL" : "one MODEL at a time");
  }
  static int cpus[EP_MAX_CPUS];
  int n_cpus = 0;
  rc = cli_resolve_cpus("profile", args.cpus, cpus, &n_cpus);
  if (rc != CLI_EXIT_OK) return rc;
  rc = cli_check_backends("profile", args.backend, false);
  if (rc != CLI_EXIT_OK) return rc;

  const char* model = args.positional[0];
  if (cli_is_stdout(args.json) + cli_is_stdout(csv_path) + cli_is_stdout(trace_path) > 1) {
    return cli_fail(CLI_EXIT_USAGE, "profile: only one of --json, --csv and --trace can be '-'");
  }
  ep_output* json = NULL;
  ep_output* csv = NULL;
  ep_output* trace = NULL;
  ep_graph* graph = NULL;
  ep_session* session = NULL;
  ep_profile* profile = NULL;
  char cpu_text[256] = "";
  cli_progress progress;
  cli_energy energy;
  char label[128];
  ep_bench_options bo;
  ep_status status;
  cli_energy_open(args.energy, &energy);
  rc = cli_output_open("profile", args.json, &json);
  if (rc == CLI_EXIT_OK) rc = cli_output_open("profile", csv_path, &csv);
  if (rc == CLI_EXIT_OK) rc = cli_output_open("profile", trace_path, &trace);
  if (rc != CLI_EXIT_OK) goto cleanup;
  double t0 = ep_now();
  rc = cli_load_model("profile", model, args.seed, NULL, &graph);
  if (rc != CLI_EXIT_OK) goto cleanup;
  double load_ms = (ep_now() - t0) * 1e3;

  ep_session_options so = {args.threads, n_cpus > 0 ? cpus : NULL, n_cpus, args.backend};
  t0 = ep_now();
  status = ep_session_create_consuming(graph, &so, &session); /* the graph serves it alone */
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "profile: %s", ep_last_error());
    goto cleanup;
  }
  double session_ms = (ep_now() - t0) * 1e3;
  /* The first inference on its own, as bench does (it is the first warm-up run). */
  t0 = ep_now();
  status = ep_session_run(session);
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "profile: %s", ep_last_error());
    goto cleanup;
  }
  double first_ms = (ep_now() - t0) * 1e3;
  snprintf(label, sizeof label, "profile %s", model);
  cli_progress_init(&progress, label);
  cli_bench_options(&args, &progress, &bo);
  if (bo.warmup_runs > 0) bo.warmup_runs--;
  if (energy.meter != NULL) { /* the meter covers the measured runs only: warm up first */
    for (int i = 0; i < bo.warmup_runs; i++) {
      status = ep_session_run(session);
      if (status != EP_OK) {
        rc = cli_fail(CLI_EXIT_RUNTIME, "profile: %s", ep_last_error());
        goto cleanup;
      }
    }
    bo.warmup_runs = 0;
    cli_energy_start(&energy);
  }
  /* A trace keeps at most this many spans (about 100 bytes of JSON each): ResNet-50's 70
   * nodes over 1000 runs fit. */
  status = ep_profile_run_traced(session, &bo, trace != NULL ? 200000 : 0, &profile);
  /* Every whole run and every run timed node by node is one inference. */
  cli_energy_stop(&energy, status == EP_OK ? profile->whole.count + profile->runs : 0);
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "profile: %s", ep_last_error());
    goto cleanup;
  }

  const char* cpu_list =
      n_cpus > 0 ? ep_cpulist_format(cpus, n_cpus, cpu_text, sizeof cpu_text) : NULL;
  bool text = !cli_is_stdout(args.json) && !cli_is_stdout(csv_path) && !cli_is_stdout(trace_path);
  if (text) {
    print_profile(model, graph, profile, session, cpu_list, top);
    printf("Init %.3f ms (load and optimize the graph %.3f ms, session with packed weights "
           "%.3f ms); first inference %.3f ms\n", load_ms + session_ms, load_ms, session_ms,
           first_ms);
    if (args.energy) printf("\n");
    cli_energy_print(&energy, stdout);
  } else if (cli_energy_result(&energy) == NULL) {
    cli_energy_print(&energy, stderr); /* stdout holds only the JSON */
  }
  ep_profile_report report = {.model = model,
                              .threads = args.threads,
                              .cpus = cpu_list,
                              .graph = graph,
                              .profile = profile,
                              .session = session,
                              .energy = cli_energy_result(&energy),
                              .load_ms = load_ms,
                              .session_ms = session_ms,
                              .first_inference_ms = first_ms};
  if (json != NULL) {
    status = ep_report_profile_json(&report, ep_output_stream(json));
    if (status != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "profile: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("profile", json);
    json = NULL;
    if (rc != CLI_EXIT_OK) goto cleanup;
  }
  if (csv != NULL) {
    status = ep_report_profile_csv(&report, ep_output_stream(csv));
    if (status != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "profile: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("profile", csv);
    csv = NULL;
    if (rc != CLI_EXIT_OK) goto cleanup;
  }
  if (trace != NULL) {
    if (profile->events_dropped > 0) {
      fprintf(stderr, "edgeprof: profile: warning: the trace holds the first %d spans; %d later "
              "ones left out (lower --runs or --min-time)\n", profile->n_events,
              profile->events_dropped);
    }
    status = ep_report_profile_trace(&report, ep_output_stream(trace));
    if (status != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "profile: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("profile", trace);
    trace = NULL;
  }

cleanup:
  cli_energy_close(&energy);
  cli_output_discard(json);
  cli_output_discard(csv);
  cli_output_discard(trace);
  ep_profile_destroy(profile);
  ep_session_destroy(session);
  ep_graph_destroy(graph);
  return rc;
}

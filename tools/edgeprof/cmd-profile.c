/* edgeprof profile MODEL: time per node in run order and by op type (TF benchmark_model). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
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
         "avg ms", "%", "cum %", "MACs", "GFLOP/s", "output KB", mixed ? "  backend" : "");
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

static void print_by_op(const ep_profile* p) {
  printf("\nBy op type, sorted by time:\n");
  printf("  %-16s %6s %10s %7s\n", "op", "count", "ms", "%");
  for (int i = 0; i < p->n_op_types; i++) {
    const ep_op_type_profile* r = &p->by_op_type[i];
    printf("  %-16s %6d %10.3f %7.2f\n", ep_op_name(r->op), r->count, r->ms, r->percent);
  }
}

static void print_profile(const char* model, const ep_graph* g, const ep_profile* p,
                          const ep_session* s, const char* cpus) {
  int threads = ep_session_threads(s);
  printf("%s: %s backend, %d thread%s (%s%s); %d whole runs, then %d runs timed node by node\n\n",
         model, ep_session_backend(s), threads, threads == 1 ? "" : "s",
         cpus != NULL ? "pinned to CPUs " : "not pinned", cpus != NULL ? cpus : "",
         p->whole.count, p->runs);
  print_nodes(g, p, s);
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
  int rc = cli_parse_command("profile", argc, argv, &args);
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
  ep_output* json = NULL;
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
  if (rc != CLI_EXIT_OK) goto cleanup;
  rc = cli_load_model("profile", model, args.seed, NULL, &graph);
  if (rc != CLI_EXIT_OK) goto cleanup;

  ep_session_options so = {args.threads, n_cpus > 0 ? cpus : NULL, n_cpus, args.backend};
  status = ep_session_create(graph, &so, &session);
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "profile: %s", ep_last_error());
    goto cleanup;
  }
  snprintf(label, sizeof label, "profile %s", model);
  cli_progress_init(&progress, label);
  cli_bench_options(&args, &progress, &bo);
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
  status = ep_profile_run(session, &bo, &profile);
  /* Every whole run and every run timed node by node is one inference. */
  cli_energy_stop(&energy, status == EP_OK ? profile->whole.count + profile->runs : 0);
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "profile: %s", ep_last_error());
    goto cleanup;
  }

  const char* cpu_list =
      n_cpus > 0 ? ep_cpulist_format(cpus, n_cpus, cpu_text, sizeof cpu_text) : NULL;
  if (!cli_is_stdout(args.json)) {
    print_profile(model, graph, profile, session, cpu_list);
    if (args.energy) printf("\n");
    cli_energy_print(&energy, stdout);
  } else if (cli_energy_result(&energy) == NULL) {
    cli_energy_print(&energy, stderr); /* stdout holds only the JSON */
  }
  if (json != NULL) {
    ep_profile_report report = {model,   args.threads, cpu_list,
                                graph,   profile,      session,
                                cli_energy_result(&energy)};
    status = ep_report_profile_json(&report, ep_output_stream(json));
    if (status != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "profile: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("profile", json);
    json = NULL;
  }

cleanup:
  cli_energy_close(&energy);
  cli_output_discard(json);
  ep_profile_destroy(profile);
  ep_session_destroy(session);
  ep_graph_destroy(graph);
  return rc;
}

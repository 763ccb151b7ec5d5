/* edgeprof plan MODEL: the best edge/server split from two profiles and a network. */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_local_opts.h"
#include "edgeprof/plan.h"

enum { SWEEP_POINTS = 41 }; /* 0.1 Mbit/s to 1 Gbit/s, 10 points a decade */

typedef struct plan_opts {
  const char* edge;
  const char* server;
  const char* network;
  const char* bandwidth;
  const char* downlink;
  const char* rtt;
  const char* objective;
  const char* edge_power;
  const char* out;
  bool sweep;
} plan_opts;

static void format_rate(double bps, char* buf, size_t size) {
  if (bps >= 1e9) {
    snprintf(buf, size, "%.4g Gbit/s", bps / 1e9);
  } else if (bps >= 1e6) {
    snprintf(buf, size, "%.4g Mbit/s", bps / 1e6);
  } else {
    snprintf(buf, size, "%.4g kbit/s", bps / 1e3);
  }
}

static int name_width(const ep_graph* g) {
  int w = 17; /* "(all on the edge)" */
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    int len = (int)strlen(ep_graph_node(g, i)->name);
    if (len > w) w = len;
  }
  return w > 40 ? 40 : w;
}

static void print_plan(const char* model, const char* net_name, const ep_graph* g,
                       const ep_plan* p) {
  char up[32], down[32];
  format_rate(p->network.uplink_bps, up, sizeof up);
  format_rate(p->network.downlink_bps, down, sizeof down);
  printf(
      "%s: best cut for %s over %s (uplink %s, downlink %s, RTT %.3g ms); edge power: "
      "compute %.3g W (%s), idle %.3g W (%s), radio %.3g W (%s)\n",
      model, ep_plan_objective_name(p->objective), net_name, up, down, p->network.rtt_s * 1e3,
      p->power.compute_w, p->power_source[0], p->power.idle_w, p->power_source[1],
      p->power.radio_w, p->power_source[2]);
  printf(
      "k: nodes [0, k) run on the edge, [k, %d) on the server. L: lowest latency, E: lowest "
      "edge energy, *: the objective's best.\n\n",
      p->n_nodes);
  int w = name_width(g);
  printf("%4s %-3s %-*s %4s %10s %9s %9s %8s %9s %9s %9s %10s\n", "k", "", w, "server from", "up#",
         "up KB", "edge ms", "up ms", "rtt ms", "server ms", "down ms", "total ms", "energy mJ");
  for (int k = 0; k < p->n_cuts; k++) {
    const ep_plan_cut* c = &p->cuts[k];
    char mark[4] = "";
    size_t m = 0;
    if (k == p->best) mark[m++] = '*';
    if (k == p->best_latency) mark[m++] = 'L';
    if (k == p->best_energy) mark[m++] = 'E';
    mark[m] = '\0';
    const char* name = k < p->n_nodes ? ep_graph_node(g, k)->name : "(all on the edge)";
    printf("%4d %-3s %-*.*s %4d %10.1f %9.3f %9.3f %8.3f %9.3f %9.3f %9.3f %10.3f\n", k, mark, w, w,
           name, c->upload_tensors, (double)c->upload_bytes / 1024.0, c->edge_ms, c->upload_ms,
           c->rtt_ms, c->server_ms, c->download_ms, c->total_ms, c->energy_mj);
  }
  const ep_plan_cut* b = &p->cuts[p->best];
  printf("\nBest for %s: k = %d (%s): %.3f ms, %.3f mJ on the edge",
         ep_plan_objective_name(p->objective), p->best,
         p->best == p->n_nodes ? "all on the edge"
         : p->best == 0        ? "all on the server"
                               : "split",
         b->total_ms, b->energy_mj);
  if (p->best > 0 && p->best < p->n_nodes) {
    printf("; the server runs from %s on", ep_graph_node(g, p->best)->name);
  }
  printf(". All on the edge: %.3f ms, %.3f mJ; all on the server: %.3f ms, %.3f mJ.\n",
         p->cuts[p->n_nodes].total_ms, p->cuts[p->n_nodes].energy_mj, p->cuts[0].total_ms,
         p->cuts[0].energy_mj);
}

static void print_sweep(const ep_graph* g, ep_plan_objective objective,
                        const ep_plan_sweep_point* pts, int count) {
  int n = ep_graph_node_count(g);
  printf(
      "\nBest cut for %s as the uplink bandwidth changes (downlink follows unless "
      "--downlink):\n",
      ep_plan_objective_name(objective));
  printf("%14s %5s  %-30s %10s %10s\n", "uplink", "k", "server from", "total ms", "energy mJ");
  for (int i = 0; i < count; i++) {
    char rate[32];
    format_rate(pts[i].uplink_bps, rate, sizeof rate);
    const char* name = pts[i].best < n ? ep_graph_node(g, pts[i].best)->name : "(all on the edge)";
    printf("%14s %5d%s %-30.30s %10.3f %10.3f\n", rate, pts[i].best,
           i > 0 && pts[i].best != pts[i - 1].best ? "<" : " ", name, pts[i].total_ms,
           pts[i].energy_mj);
  }
  printf("('<': the best cut moved)\n");
}

/* split.svg beside the JSON file, else in the current folder, unless --out names it. */
static void svg_path(const char* out, const char* json, char* buf, size_t size) {
  if (out != NULL) {
    snprintf(buf, size, "%s", out);
  } else if (json != NULL && !cli_is_stdout(json)) {
    char copy[4096];
    snprintf(copy, sizeof copy, "%s", json);
    snprintf(buf, size, "%s/split.svg", dirname(copy));
  } else {
    snprintf(buf, size, "split.svg");
  }
}

static int resolve_network(const plan_opts* o, ep_network* net, const char** name) {
  *name = o->network != NULL ? o->network : "wifi";
  if (ep_network_preset_find(*name, net) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --network: %s", ep_last_error());
  }
  if (o->bandwidth != NULL) {
    if (ep_parse_bitrate(o->bandwidth, &net->uplink_bps) != EP_OK) {
      return cli_fail(CLI_EXIT_USAGE, "plan: --bandwidth: %s", ep_last_error());
    }
    net->downlink_bps = net->uplink_bps;
    if (o->network == NULL) *name = "a custom link";
  }
  if (o->downlink != NULL && ep_parse_bitrate(o->downlink, &net->downlink_bps) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --downlink: %s", ep_last_error());
  }
  if (o->rtt != NULL && ep_parse_duration(o->rtt, &net->rtt_s) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --rtt: %s", ep_last_error());
  }
  return CLI_EXIT_OK;
}

int cmd_plan(int argc, char** argv) {
  plan_opts o = {0};
  const cli_local_opt local[] = {
      {"--edge", &o.edge, NULL},
      {"--server", &o.server, NULL},
      {"--network", &o.network, NULL},
      {"--bandwidth", &o.bandwidth, NULL},
      {"--downlink", &o.downlink, NULL},
      {"--rtt", &o.rtt, NULL},
      {"--objective", &o.objective, NULL},
      {"--edge-power", &o.edge_power, NULL},
      {"--out", &o.out, NULL},
      {"--sweep-bandwidth", NULL, &o.sweep},
  };
  int rc = cli_local_extract("plan", local, (int)(sizeof local / sizeof local[0]), &argc, argv);
  if (rc != 0) return rc;
  cli_args args;
  rc = cli_parse_command("plan", argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE,
                    "plan: %s (usage: edgeprof plan MODEL --edge E.json --server "
                    "S.json [options])",
                    args.n_positional == 0 ? "missing MODEL" : "one MODEL at a time");
  }
  if (o.edge == NULL || o.server == NULL) {
    return cli_fail(CLI_EXIT_USAGE,
                    "plan: --edge and --server profiles are required (files "
                    "written by `edgeprof profile MODEL --json FILE` on each machine)");
  }
  ep_network net;
  const char* net_name = NULL;
  rc = resolve_network(&o, &net, &net_name);
  if (rc != CLI_EXIT_OK) return rc;
  ep_plan_objective objective = EP_PLAN_LATENCY;
  if (o.objective != NULL && ep_plan_objective_parse(o.objective, &objective) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --objective: %s", ep_last_error());
  }
  /* Power: what --edge-power gives, else the edge profile's measurement (compute), else the
   * defaults. NaN marks a figure --edge-power left out. */
  ep_power_model power = {NAN, NAN, NAN};
  if (o.edge_power != NULL && ep_power_model_parse(o.edge_power, &power) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --edge-power: %s", ep_last_error());
  }
  ep_power_model defaults;
  ep_power_model_default(&defaults);
  char sources[3][224];
  double* figures[3] = {&power.compute_w, &power.idle_w, &power.radio_w};
  const double fallback[3] = {defaults.compute_w, defaults.idle_w, defaults.radio_w};
  for (int i = 0; i < 3; i++) {
    snprintf(sources[i], sizeof sources[i], "%s", isnan(*figures[i]) ? "default" : "given");
    if (isnan(*figures[i])) *figures[i] = fallback[i];
  }
  if (strcmp(sources[0], "default") == 0) {
    ep_plan_measured_power measured;
    if (ep_plan_measured_power_load(o.edge, &measured) != EP_OK) {
      return cli_fail(CLI_EXIT_USAGE, "plan: %s", ep_last_error());
    }
    if (measured.present) {
      power.compute_w = measured.mean_power_w;
      snprintf(sources[0], sizeof sources[0], "measured by %.140s in %.60s", measured.description,
               o.edge);
    }
  }

  const char* model = args.positional[0];
  ep_graph* graph = NULL;
  double *edge_ms = NULL, *server_ms = NULL;
  ep_plan* plan = NULL;
  ep_output* json = NULL;
  ep_output* svg = NULL;
  ep_plan_sweep_point sweep[SWEEP_POINTS];
  char svg_file[4096];
  ep_status status;
  rc = cli_output_open("plan", args.json, &json);
  if (rc != CLI_EXIT_OK) return rc;
  if (o.sweep) {
    svg_path(o.out, args.json, svg_file, sizeof svg_file);
    rc = cli_output_open("plan", svg_file, &svg);
    if (rc != CLI_EXIT_OK) goto cleanup;
  }
  rc = cli_load_model("plan", model, args.seed, NULL, &graph);
  if (rc != CLI_EXIT_OK) goto cleanup;
  int n = ep_graph_node_count(graph);
  edge_ms = calloc((size_t)n + 1, sizeof *edge_ms);
  server_ms = calloc((size_t)n + 1, sizeof *server_ms);
  if (edge_ms == NULL || server_ms == NULL) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "plan: out of memory");
    goto cleanup;
  }
  status = ep_plan_times_load(o.edge, model, graph, edge_ms);
  if (status == EP_OK) status = ep_plan_times_load(o.server, model, graph, server_ms);
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_USAGE, "plan: %s", ep_last_error());
    goto cleanup;
  }
  status = ep_plan_compute(graph, edge_ms, server_ms, &net, &power, objective, &plan);
  for (int i = 0; status == EP_OK && i < 3; i++) {
    snprintf(plan->power_source[i], sizeof plan->power_source[i], "%s", sources[i]);
  }
  if (status == EP_OK && o.sweep) {
    status =
        ep_plan_sweep(graph, edge_ms, server_ms, &net, o.downlink != NULL ? net.downlink_bps : 0.0,
                      &power, objective, 1e5, 1e9, SWEEP_POINTS, sweep);
  }
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "plan: %s", ep_last_error());
    goto cleanup;
  }
  if (!cli_is_stdout(args.json)) {
    print_plan(model, net_name, graph, plan);
    if (o.sweep) print_sweep(graph, objective, sweep, SWEEP_POINTS);
  }
  if (svg != NULL) {
    status = ep_plan_sweep_svg(model, graph, objective, sweep, SWEEP_POINTS, ep_output_stream(svg));
    if (status != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "plan: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("plan", svg);
    svg = NULL;
    if (rc != CLI_EXIT_OK) goto cleanup;
    if (!cli_is_stdout(args.json)) printf("Wrote %s\n", svg_file);
  }
  if (json != NULL) {
    status = ep_plan_json(model, graph, plan, o.edge, o.server, o.sweep ? sweep : NULL,
                          SWEEP_POINTS, ep_output_stream(json));
    if (status != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "plan: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("plan", json);
    json = NULL;
  }

cleanup:
  cli_output_discard(json);
  cli_output_discard(svg);
  ep_plan_destroy(plan);
  free(edge_ms);
  free(server_ms);
  ep_graph_destroy(graph);
  return rc;
}

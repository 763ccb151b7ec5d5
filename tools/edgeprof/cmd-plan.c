/* edgeprof plan MODEL: the best edge/server split from two profiles and a network; with --cuts
 * dag the best node set over the whole DAG, with --fog a third tier. */
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_predict_times.h"
#include "cli_options.h"
#include "cli_plan_partition.h"
#include "edgeprof/onnx.h"
#include "edgeprof/plan.h"

enum { SWEEP_POINTS = 41 }; /* 0.1 Mbit/s to 1 Gbit/s, 10 points a decade */
enum { MAX_CALIBRATION = 16 }; /* --calibration files (one per graph input) */

typedef struct plan_opts {
  const char* edge;
  const char* fog;
  const char* server;
  const char* device[3]; /* --edge-device, --fog-device, --server-device: predicted instead */
  int device_threads;    /* 0: the device file's first thread count */
  const char* fog_link;        /* device-fog */
  const char* fog_server_link; /* fog-server */
  const char* cuts;
  const char* cut_dtype;
  double max_error; /* < 0: not given */
  const char* calibration[MAX_CALIBRATION];
  int n_calibration;
  const char* network;
  double bandwidth_bps; /* < 0: not given */
  double downlink_bps;
  double rtt_s;
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
         "up KiB", "edge ms", "up ms", "rtt ms", "server ms", "down ms", "total ms", "energy mJ");
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
  if (o->bandwidth_bps >= 0) {
    net->uplink_bps = o->bandwidth_bps;
    net->downlink_bps = o->bandwidth_bps;
    if (o->network == NULL) *name = "a custom link";
  }
  if (o->downlink_bps >= 0) net->downlink_bps = o->downlink_bps;
  if (o->rtt_s >= 0) net->rtt_s = o->rtt_s;
  return CLI_EXIT_OK;
}

/* Node times of one tier. Today a measured profile; the one place a predicted profile plugs in. */
static ep_status load_tier_times(const char* path, const char* model, const ep_graph* graph,
                                 double* ms_out) {
  return ep_plan_times_load(path, model, graph, ms_out);
}

/* --calibration files as the graph's inputs, as `edgeprof run --input` takes them: a file naming
 * an input (ONNX .pb) feeds that input, the others go in order. data_out[i] points into
 * files[]; float32 of the input's exact shape only. */
static int load_calibration(const plan_opts* o, const ep_graph* g, ep_host_tensor* files,
                            const float** data_out) {
  int gin = ep_graph_input_count(g);
  if (o->n_calibration != gin) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --calibration: the model has %d input%s, %d file%s given",
                    gin, gin == 1 ? "" : "s", o->n_calibration, o->n_calibration == 1 ? "" : "s");
  }
  for (int i = 0; i < o->n_calibration; i++) {
    if (ep_tensor_file_read(o->calibration[i], &files[i]) != EP_OK) {
      return cli_fail(CLI_EXIT_USAGE, "plan: --calibration: %s", ep_last_error());
    }
  }
  for (int i = 0; i < gin; i++) {
    const ep_tensor* t = ep_graph_tensor(g, ep_graph_input(g, i));
    const ep_host_tensor* x = &files[i];
    for (int k = 0; k < o->n_calibration; k++) {
      if (files[k].name != NULL && strcmp(files[k].name, t->name) == 0) x = &files[k];
    }
    char want[96], got[96];
    if (x->dtype != EP_DTYPE_FLOAT32 || !ep_shape_equal(&x->shape, &t->shape)) {
      return cli_fail(CLI_EXIT_USAGE, "plan: --calibration: input %s needs float32 %s, the file "
                      "holds %s %s", t->name, ep_shape_format(&t->shape, want, sizeof want),
                      x->dtype == EP_DTYPE_FLOAT32 ? "float32" : "int64",
                      ep_shape_format(&x->shape, got, sizeof got));
    }
    data_out[i] = x->data;
  }
  return CLI_EXIT_OK;
}

/* --fog and its two links: all or nothing. */
static int resolve_fog(const plan_opts* o, ep_plan_request* r) {
  if (o->fog == NULL) {
    if (o->fog_link != NULL || o->fog_server_link != NULL) {
      return cli_fail(CLI_EXIT_USAGE, "plan: --fog-link and --fog-server-link need --fog FILE");
    }
    return CLI_EXIT_OK;
  }
  if (o->fog_link == NULL || o->fog_server_link == NULL) {
    return cli_fail(CLI_EXIT_USAGE,
                    "plan: --fog needs --fog-link (device-fog) and --fog-server-link (fog-server), "
                    "e.g. --fog-link wifi --fog-server-link 1Gbit,5ms");
  }
  if (ep_network_parse_link(o->fog_link, &r->link[EP_LINK_DEVICE_FOG]) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --fog-link: %s", ep_last_error());
  }
  if (ep_network_parse_link(o->fog_server_link, &r->link[EP_LINK_FOG_SERVER]) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --fog-server-link: %s", ep_last_error());
  }
  return CLI_EXIT_OK;
}

int cmd_plan(int argc, char** argv) {
  plan_opts o = {.bandwidth_bps = -1, .downlink_bps = -1, .rtt_s = -1, .max_error = -1};
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      {.name = "--edge", .kind = CLI_STRING, .target = &o.edge, .metavar = "FILE",
       .help = "profile measured on the edge device (edgeprof profile MODEL --json)"},
      {.name = "--server", .kind = CLI_STRING, .target = &o.server, .metavar = "FILE",
       .help = "profile measured on the server (same model, same node names)"},
      {.name = "--fog", .kind = CLI_STRING, .target = &o.fog, .metavar = "FILE",
       .help = "profile of a third tier between them (an edge server): device -> fog\n"
               "-> server; needs --fog-link and --fog-server-link"},
      {.name = "--edge-device", .kind = CLI_STRING, .target = &o.device[EP_TIER_DEVICE],
       .metavar = "FILE", .help = "instead of --edge: times predicted from a `predict-fit` device\n"
                                  "file (docs/predict.md)"},
      {.name = "--fog-device", .kind = CLI_STRING, .target = &o.device[EP_TIER_FOG],
       .metavar = "FILE", .help = "instead of --fog: predicted from a device file"},
      {.name = "--server-device", .kind = CLI_STRING, .target = &o.device[EP_TIER_SERVER],
       .metavar = "FILE", .help = "instead of --server: predicted from a device file"},
      {.name = "--device-threads", .kind = CLI_INT, .target = &o.device_threads, .min = 1,
       .max = 256, .metavar = "N",
       .help = "thread count of the predictions (default: the first one each\n"
               "device file was fitted for)"},
      {.name = "--fog-link", .kind = CLI_STRING, .target = &o.fog_link, .metavar = "LINK",
       .help = "device-fog link: a preset (wifi) or UP[/DOWN],RTT: 100Mbit,2ms"},
      {.name = "--fog-server-link", .kind = CLI_STRING, .target = &o.fog_server_link,
       .metavar = "LINK", .help = "fog-server link, as --fog-link: 1Gbit,5ms"},
      {.name = "--network", .kind = CLI_STRING, .target = &o.network, .metavar = "NAME",
       .help = "device-server link: 3g (1.1 Mbit/s, RTT 100 ms), lte (5.85 Mbit/s,\n"
               "50 ms), wifi (18.88 Mbit/s, 10 ms; the default): Neurosurgeon's uplinks"},
      {.name = "--bandwidth", .kind = CLI_RATE, .target = &o.bandwidth_bps, .min = 1,
       .max = 1e12, .metavar = "RATE",
       .help = "uplink (and downlink) instead of the preset's, with a unit:\n"
               "5.85Mbit, 500kbit, 1Gbit, 2MB/s (a bare number is refused)"},
      {.name = "--downlink", .kind = CLI_RATE, .target = &o.downlink_bps, .min = 1, .max = 1e12,
       .metavar = "RATE", .help = "a different downlink, with a unit as --bandwidth"},
      {.name = "--rtt", .kind = CLI_DURATION, .target = &o.rtt_s, .min = 0, .max = 60,
       .unit_required = true, .metavar = "TIME",
       .help = "round-trip time instead of the preset's, with a unit: 40ms, 0.1s"},
      {.name = "--objective", .kind = CLI_STRING, .target = &o.objective, .metavar = "OBJ",
       .help = "latency (default) or energy (of the edge device)"},
      {.name = "--cuts", .kind = CLI_STRING, .target = &o.cuts, .metavar = "KIND",
       .help = "prefix (default): the n+1 cuts of the graph's node order; dag: the\n"
               "exact best node set over the whole DAG (minimum s-t cut)"},
      {.name = "--cut-dtype", .kind = CLI_STRING, .target = &o.cut_dtype, .metavar = "TYPE",
       .help = "how cut tensors travel: fp32 (default), fp16, int8 (one scale per\n"
               "tensor) or int8-channel (one per channel); results stay fp32"},
      {.name = "--max-error", .kind = CLI_NUMBER, .target = &o.max_error, .min = 0, .max = 1e9,
       .metavar = "E",
       .help = "run the model here on an input drawn from --seed, fp32 and with the cut\n"
               "tensors compressed; refuse the plan when the output moves by more than E\n"
               "(max |diff| / max |output|)"},
      {.name = "--calibration", .kind = CLI_LIST, .target = o.calibration,
       .count = &o.n_calibration, .max_count = MAX_CALIBRATION, .metavar = "FILE",
       .help = "with --max-error: the input to measure on instead of the seeded one,\n"
               "one .npy or ONNX TensorProto .pb per graph input (repeatable)"},
      {.name = "--edge-power", .kind = CLI_STRING, .target = &o.edge_power, .metavar = "LIST",
       .help = "compute=W,idle=W,radio=W (defaults 2.5, 0.3, 1.2: assumptions)"},
      {.name = "--sweep-bandwidth", .kind = CLI_FLAG, .target = &o.sweep,
       .help = "also the best cut from 0.1 Mbit/s to 1 Gbit/s, and split.svg"},
      {.name = "--out", .kind = CLI_STRING, .target = &o.out, .metavar = "FILE",
       .help = "where split.svg goes (default: beside --json, else ./split.svg)"},
      CLI_OPTION_JSON(&args),
      CLI_OPTION_SEED(&args),
  };
  int rc = cli_parse("plan", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE,
                    "plan: %s (usage: edgeprof plan MODEL --edge E.json --server "
                    "S.json [options])",
                    args.n_positional == 0 ? "missing MODEL" : "one MODEL at a time");
  }
  /* A device file stands in for a tier's profile: its path is the tier's source from here on,
   * and the tier's times are predicted (the load loop below). */
  const char** profiles[EP_TIER_COUNT] = {&o.edge, &o.fog, &o.server};
  static const char* const tier_flag[EP_TIER_COUNT] = {"--edge", "--fog", "--server"};
  for (int t = 0; t < EP_TIER_COUNT; t++) {
    if (o.device[t] == NULL) continue;
    if (*profiles[t] != NULL) {
      return cli_fail(CLI_EXIT_USAGE, "plan: %s and %s-device: one source of times per tier",
                      tier_flag[t], tier_flag[t]);
    }
    *profiles[t] = o.device[t];
  }
  if (o.edge == NULL || o.server == NULL) {
    return cli_fail(CLI_EXIT_USAGE,
                    "plan: --edge and --server profiles are required (files "
                    "written by `edgeprof profile MODEL --json FILE` on each machine), or "
                    "--edge-device / --server-device files of `edgeprof predict-fit`");
  }
  ep_plan_request request = {0};
  ep_network net;
  const char* net_name = NULL;
  rc = resolve_network(&o, &net, &net_name);
  if (rc == CLI_EXIT_OK) rc = resolve_fog(&o, &request);
  if (rc != CLI_EXIT_OK) return rc;
  request.link[EP_LINK_DEVICE_SERVER] = net;
  ep_plan_objective objective = EP_PLAN_LATENCY;
  if (o.objective != NULL && ep_plan_objective_parse(o.objective, &objective) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --objective: %s", ep_last_error());
  }
  request.objective = objective;
  if (o.cuts != NULL && ep_plan_cuts_parse(o.cuts, &request.cuts) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --cuts: %s", ep_last_error());
  }
  if (o.cut_dtype != NULL && ep_cut_dtype_parse(o.cut_dtype, &request.dtype) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --cut-dtype: %s", ep_last_error());
  }
  if (o.n_calibration > 0 && o.max_error < 0) {
    return cli_fail(CLI_EXIT_USAGE, "plan: --calibration is the input of --max-error: give both");
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
  if (strcmp(sources[0], "default") == 0 && o.device[EP_TIER_DEVICE] == NULL) {
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
  request.power = power;

  const char* model = args.positional[0];
  ep_graph* graph = NULL;
  double* tier_ms[EP_TIER_COUNT] = {NULL, NULL, NULL};
  ep_plan* plan = NULL;
  ep_plan_partition* partition = NULL;
  ep_plan_cut_error cut_error;
  ep_host_tensor calibration[MAX_CALIBRATION];
  const float* calibration_data[MAX_CALIBRATION];
  memset(calibration, 0, sizeof calibration);
  bool measured_error = false;
  ep_output* json = NULL;
  ep_output* svg = NULL;
  ep_plan_sweep_point sweep[SWEEP_POINTS];
  char svg_file[4096];
  ep_status status = EP_OK;
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
  const char* paths[EP_TIER_COUNT] = {o.edge, o.fog, o.server};
  for (int t = 0; t < EP_TIER_COUNT; t++) {
    if (paths[t] == NULL) continue;
    tier_ms[t] = calloc((size_t)n + 1, sizeof *tier_ms[t]);
    if (tier_ms[t] == NULL) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "plan: out of memory");
      goto cleanup;
    }
    if (o.device[t] != NULL) {
      rc = cli_predicted_node_ms("plan", o.device[t], o.device_threads, graph, tier_ms[t]);
      if (rc != CLI_EXIT_OK) goto cleanup;
    } else if (status == EP_OK) {
      status = load_tier_times(paths[t], model, graph, tier_ms[t]);
    }
    request.node_ms[t] = tier_ms[t];
  }
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_USAGE, "plan: %s", ep_last_error());
    goto cleanup;
  }
  request.graph = graph;
  if (o.n_calibration > 0) {
    rc = load_calibration(&o, graph, calibration, calibration_data);
    if (rc != CLI_EXIT_OK) goto cleanup;
  }
  double* edge_ms = tier_ms[EP_TIER_DEVICE];
  double* server_ms = tier_ms[EP_TIER_SERVER];
  status = ep_plan_compute_encoded(graph, edge_ms, server_ms, &net, &power, objective,
                                   request.dtype, &plan);
  for (int i = 0; status == EP_OK && i < 3; i++) {
    snprintf(plan->power_source[i], sizeof plan->power_source[i], "%s", sources[i]);
  }
  if (status == EP_OK) status = ep_plan_solve(&request, &partition);
  if (status == EP_OK && o.sweep) {
    status = ep_plan_sweep(graph, edge_ms, server_ms, &net,
                           o.downlink_bps >= 0 ? net.downlink_bps : 0.0, &power, objective,
                           request.dtype, 1e5, 1e9, SWEEP_POINTS, sweep);
  }
  if (status == EP_OK && o.max_error >= 0) {
    status = ep_plan_cut_error_measure(graph, partition,
                                       o.n_calibration > 0 ? calibration_data : NULL, args.seed,
                                       &cut_error);
    measured_error = status == EP_OK;
  }
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "plan: %s", ep_last_error());
    goto cleanup;
  }
  if (measured_error && !(cut_error.relative <= o.max_error)) {
    rc = cli_fail(CLI_EXIT_RUNTIME,
                  "plan: --cut-dtype %s moves the output by %.3g (max |diff| %.3g / max |output| "
                  "%.3g; top-1 the same in %d of %d rows) at the chosen partition, more than "
                  "--max-error %g: use a wider --cut-dtype (fp16, fp32) or a larger bound",
                  ep_cut_dtype_name(request.dtype), cut_error.relative, cut_error.max_abs,
                  cut_error.max_ref, cut_error.rows_agree, cut_error.rows, o.max_error);
    goto cleanup;
  }
  if (!cli_is_stdout(args.json)) {
    if (o.fog == NULL) print_plan(model, net_name, graph, plan);
    char input[512];
    snprintf(input, sizeof input, "%s%.400s",
             o.n_calibration > 0 ? "the calibration input " : "a seeded calibration input",
             o.n_calibration > 0 ? o.calibration[0] : "");
    cli_plan_print_partition(graph, &request, partition, measured_error ? &cut_error : NULL,
                             input);
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
    status = ep_plan_json(model, graph, plan, o.edge, o.fog, o.server, o.sweep ? sweep : NULL,
                          SWEEP_POINTS, partition, ep_output_stream(json));
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
  ep_plan_partition_destroy(partition);
  for (int t = 0; t < EP_TIER_COUNT; t++) free(tier_ms[t]);
  for (int i = 0; i < MAX_CALIBRATION; i++) ep_host_tensor_free(&calibration[i]);
  ep_graph_destroy(graph);
  return rc;
}

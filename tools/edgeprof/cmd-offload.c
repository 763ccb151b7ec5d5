/* edgeprof offload MODEL --server HOST:PORT: run a model split between this machine and a
 * server, next to the planner's prediction; finish locally whenever the server cannot answer. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "edgeprof/http.h"
#include "edgeprof/net.h"
#include "edgeprof/onnx.h"
#include "edgeprof/plan.h"
#include "edgeprof/profile.h"
#include "edgeprof/zoo.h"
#include "report/json_util.h" /* ep_json_ms, ep_json_add_environment */

enum { MAX_FILES = 16, PROBE_BYTES = 64 * 1024 };
#define OFFLOAD_SCHEMA_VERSION 1 /* docs/results.md, "offload --json" */
#define EMA_WEIGHT 0.3 /* of the newest bandwidth sample in the moving average */

typedef struct offload_opts {
  const char* server;
  const char* split;
  double pace_bps; /* --bandwidth; 0: not given */
  const char* token_file;
  const char* objective;
  const char* edge_power;
  const char* inputs[MAX_FILES];
  int n_inputs;
  const char* outputs[MAX_FILES];
  int n_outputs;
  bool verify;
  const char* plan_file;  /* --plan: a `plan --json` partition */
  const char* cuts;       /* --cuts prefix|dag for --split auto */
  const char* cut_dtype;  /* --cut-dtype */
  bool trace_plan;        /* --trace-plan */
  double threshold;       /* --replan-threshold */
  double edge_slowdown;   /* --edge-slowdown */
  int probe_every;        /* --probe-every */
  const char* tls_ca;       /* https: the CA to check the server with */
  double timeout_s;         /* connect, hello, each answer; 0: the client's defaults */
  double backoff_s;         /* after a timeout or an unreachable server */
  const char* fallback;     /* "local": a refused token finishes here too */
  bool fallback_local;
  const char* remote_model; /* v2: the server's name of the tail */
  double tolerance;         /* --tolerance */
  bool v2_json;             /* v2: tensors as JSON numbers */
} offload_opts;

/* Uniform in [-1, 1) from splitmix64, as `edgeprof run` fills inputs without --input: the same
 * seed gives the same inputs (and so the same outputs) in both commands. */
static void fill_random(float* x, size_t n, uint64_t* state) {
  for (size_t i = 0; i < n; i++) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    x[i] = (float)((double)(z >> 40) / (double)(1ull << 24) * 2.0 - 1.0);
  }
}

typedef struct state {
  const char* model;
  ep_graph* graph;
  ep_session* session;
  ep_offload* offload;
  ep_v2_offload* v2; /* for an http(s):// server, beside `offload` (which then stays unused) */
  int v2_k;          /* the cut the remote v2 model takes */
  double tolerance;  /* --verify: largest |difference| / max(1, |reference|); 0: bit for bit */
  int n;
  float** input_values; /* per graph input */
  float** reference;    /* per graph output, with --verify */
  float** result;       /* per graph output */
  double* edge_ms;
  double* server_ms;   /* as profiled */
  double* server_now;  /* as the load reports say it runs now */
  bool have_prediction;
  ep_network net;
  ep_power_model power;
  ep_plan_objective objective;
  ep_plan_cuts cuts;
  ep_cut_dtype dtype;
  ep_plan_partition* part; /* the plan of --split auto, or the cost of the given placement */
  int* plan_tier;          /* the planner's tiers (EP_TIER_*) */
  uint8_t* tiers;          /* the placement on the wire (0 here, 1 the server, 2 its next) */
  uint8_t* last_remote;    /* the last placement that used the server (probes) */
  uint8_t* next_tiers;     /* scratch: a new plan's placement */
  double server_factor;    /* server time now / profiled (slowdown x (1 + queued)) */
  bool automatic;          /* --split auto */
} state;

static int set_inputs(state* s) {
  for (int i = 0; i < ep_graph_input_count(s->graph); i++) {
    const ep_tensor* t = ep_graph_tensor(s->graph, ep_graph_input(s->graph, i));
    if (ep_session_set_input(s->session, i, s->input_values[i],
                             (size_t)ep_shape_numel(&t->shape)) != EP_OK) {
      return cli_fail(CLI_EXIT_RUNTIME, "offload: %s", ep_last_error());
    }
  }
  return CLI_EXIT_OK;
}

static int get_outputs(state* s, float** dst) {
  for (int i = 0; i < ep_graph_output_count(s->graph); i++) {
    const ep_tensor* t = ep_graph_tensor(s->graph, ep_graph_output(s->graph, i));
    if (ep_session_get_output(s->session, i, dst[i], (size_t)ep_shape_numel(&t->shape)) != EP_OK) {
      return cli_fail(CLI_EXIT_RUNTIME, "offload: %s", ep_last_error());
    }
  }
  return CLI_EXIT_OK;
}

static bool same_outputs(state* s) {
  for (int i = 0; i < ep_graph_output_count(s->graph); i++) {
    const ep_tensor* t = ep_graph_tensor(s->graph, ep_graph_output(s->graph, i));
    size_t n = (size_t)ep_shape_numel(&t->shape);
    if (s->tolerance == 0) {
      if (memcmp(s->reference[i], s->result[i], 4 * n) != 0) return false;
      continue;
    }
    /* Another runtime (a third-party v2 server) rounds differently: equal within a tolerance. */
    for (size_t j = 0; j < n; j++) {
      double ref = s->reference[i][j], d = fabs((double)s->result[i][j] - ref);
      if (!(d <= s->tolerance * (fabs(ref) > 1 ? fabs(ref) : 1))) return false;
    }
  }
  return true;
}

static float** alloc_tensors(const ep_graph* g, bool outputs) {
  int count = outputs ? ep_graph_output_count(g) : ep_graph_input_count(g);
  float** list = calloc((size_t)count + 1, sizeof *list);
  for (int i = 0; list != NULL && i < count; i++) {
    int id = outputs ? ep_graph_output(g, i) : ep_graph_input(g, i);
    size_t n = (size_t)ep_shape_numel(&ep_graph_tensor(g, id)->shape);
    list[i] = malloc(4 * (n ? n : 1));
    if (list[i] == NULL) return list; /* caught by the caller's check of the last entry */
  }
  return list;
}

static void free_tensors(float** list, int count) {
  for (int i = 0; list != NULL && i < count; i++) free(list[i]);
  free(list);
}

/* Inputs from files (by position, or by name for ONNX .pb files) or seeded random. */
static int load_inputs(state* s, const offload_opts* o, uint64_t seed) {
  int gin = ep_graph_input_count(s->graph);
  if (o->n_inputs > 0 && o->n_inputs != gin) {
    return cli_fail(CLI_EXIT_USAGE, "offload: %s has %d input%s, %d --input given", s->model, gin,
                    gin == 1 ? "" : "s", o->n_inputs);
  }
  uint64_t st = seed;
  int rc = CLI_EXIT_OK;
  ep_host_tensor files[MAX_FILES];
  memset(files, 0, sizeof files);
  for (int i = 0; i < o->n_inputs && rc == CLI_EXIT_OK; i++) {
    if (ep_tensor_file_read(o->inputs[i], &files[i]) != EP_OK) {
      rc = cli_fail(CLI_EXIT_USAGE, "offload: --input: %s", ep_last_error());
    }
  }
  for (int i = 0; i < gin && rc == CLI_EXIT_OK; i++) {
    const ep_tensor* t = ep_graph_tensor(s->graph, ep_graph_input(s->graph, i));
    size_t n = (size_t)ep_shape_numel(&t->shape);
    if (o->n_inputs == 0) {
      fill_random(s->input_values[i], n, &st);
      continue;
    }
    const ep_host_tensor* x = &files[i];
    for (int k = 0; k < o->n_inputs; k++) {
      if (files[k].name != NULL && strcmp(files[k].name, t->name) == 0) x = &files[k];
    }
    if (x->dtype != EP_DTYPE_FLOAT32 || !ep_shape_equal(&x->shape, &t->shape)) {
      char want[96], got[96];
      rc = cli_fail(CLI_EXIT_USAGE, "offload: input %s needs float32 %s, the file holds %s %s",
                    t->name, ep_shape_format(&t->shape, want, sizeof want),
                    x->dtype == EP_DTYPE_FLOAT32 ? "float32" : "int64",
                    ep_shape_format(&x->shape, got, sizeof got));
      break;
    }
    memcpy(s->input_values[i], x->data, 4 * n);
  }
  for (int i = 0; i < MAX_FILES; i++) ep_host_tensor_free(&files[i]);
  return rc;
}

static int write_outputs(state* s, const offload_opts* o) {
  for (int i = 0; i < o->n_outputs; i++) {
    const ep_tensor* t = ep_graph_tensor(s->graph, ep_graph_output(s->graph, i));
    ep_output* out = NULL;
    int rc = cli_output_open("offload", o->outputs[i], &out);
    if (rc != CLI_EXIT_OK) return rc;
    uint8_t* bytes = NULL;
    size_t size = 0;
    if (ep_tensor_file_encode(o->outputs[i], t->name, &t->shape, s->result[i], &bytes, &size) !=
        EP_OK) {
      cli_output_discard(out);
      return cli_fail(CLI_EXIT_RUNTIME, "offload: %s", ep_last_error());
    }
    size_t written = fwrite(bytes, 1, size, ep_output_stream(out));
    free(bytes);
    if (written != size) {
      cli_output_discard(out);
      return cli_fail(CLI_EXIT_RUNTIME, "offload: cannot write %s", o->outputs[i]);
    }
    rc = cli_output_commit("offload", out);
    if (rc != CLI_EXIT_OK) return rc;
  }
  return CLI_EXIT_OK;
}

/* Wire tiers from the planner's: two tiers talk to the server directly, a chain goes through
 * the --server (the fog) to its --next. */
static void wire_tiers(const int* plan_tier, bool chain, int n, uint8_t* tiers) {
  for (int i = 0; i < n; i++) {
    tiers[i] = (uint8_t)(chain ? plan_tier[i] : plan_tier[i] == EP_TIER_SERVER ? 1 : 0);
  }
}

static ep_plan_request make_request(const state* s) {
  ep_plan_request req;
  memset(&req, 0, sizeof req);
  req.graph = s->graph;
  req.node_ms[EP_TIER_DEVICE] = s->edge_ms;
  req.node_ms[EP_TIER_SERVER] = s->server_now;
  req.link[EP_LINK_DEVICE_SERVER] = s->net;
  req.link[EP_LINK_DEVICE_FOG] = s->net;
  req.link[EP_LINK_FOG_SERVER] = s->net;
  req.power = s->power;
  req.objective = s->objective;
  req.cuts = s->cuts;
  req.dtype = s->dtype;
  return req;
}

/* Solves again with the link and server speed as now measured (a few ms, no I/O). */
static int replan(state* s) {
  for (int i = 0; i < s->n; i++) s->server_now[i] = s->server_ms[i] * s->server_factor;
  ep_plan_request req = make_request(s);
  ep_plan_partition* part = NULL;
  if (ep_plan_solve(&req, &part) != EP_OK) {
    return cli_fail(CLI_EXIT_RUNTIME, "offload: %s", ep_last_error());
  }
  ep_plan_partition_destroy(s->part);
  s->part = part;
  return CLI_EXIT_OK;
}

/* The planner's cost of the placement being run (two tiers), for the "predicted" column. */
static double predicted_ms(state* s, const uint8_t* tiers) {
  if (!s->have_prediction) return -1;
  for (int i = 0; i < s->n; i++) {
    if (tiers[i] > 1) return -1; /* three tiers: the planner has no profile of the next one */
    s->plan_tier[i] = tiers[i] == 1 ? EP_TIER_SERVER : EP_TIER_DEVICE;
  }
  ep_plan_request req = make_request(s);
  ep_plan_partition* part = NULL;
  if (ep_plan_partition_evaluate(&req, s->plan_tier, false, &part) != EP_OK) return -1;
  double ms = part->total_ms;
  ep_plan_partition_destroy(part);
  return ms;
}

/* Edge profile here, server profile from the server, link from pings: the planner's inputs. */
static void gather_prediction(state* s) {
  ep_bench_options bo;
  ep_bench_options_default(&bo);
  bo.warmup_runs = 1;
  bo.min_runs = 3;
  bo.max_runs = 3;
  bo.min_seconds = 0;
  ep_profile* p = NULL;
  if (ep_profile_run(s->session, &bo, &p) != EP_OK) {
    printf("No prediction: cannot profile here: %s\n", ep_last_error());
    return;
  }
  /* --edge-slowdown: the edge's nodes run that many times slower, and are planned so. */
  double edge_factor = ep_offload_edge_slowdown(s->offload);
  for (int i = 0; i < s->n; i++) s->edge_ms[i] = p->node_ms[i] * edge_factor;
  ep_profile_destroy(p);
  if (ep_offload_server_profile(s->offload, s->server_ms, s->n) != EP_OK) {
    printf("No prediction: the server's profile: %s\n", ep_last_error());
    return;
  }
  double rtt = 0, bps = 0;
  if (ep_offload_measure_link(s->offload, 3, PROBE_BYTES, &rtt, &bps) != EP_OK) {
    printf("No prediction: measuring the link: %s\n", ep_last_error());
    return;
  }
  s->net.uplink_bps = bps;
  s->net.downlink_bps = bps;
  s->net.rtt_s = rtt;
  s->server_factor = 1;
  s->have_prediction = replan(s) == CLI_EXIT_OK;
  if (s->have_prediction) {
    double edge = 0, server = 0;
    for (int i = 0; i < s->n; i++) {
      edge += s->edge_ms[i];
      server += s->server_ms[i];
    }
    printf(
        "Link: RTT %.3f ms, %.4g Mbit/s (a %d KiB ping). Server profile: %.3f ms in all; "
        "here: %.3f ms%s.\n",
        rtt * 1e3, bps / 1e6, PROBE_BYTES / 1024, server, edge,
        edge_factor > 1 ? " (--edge-slowdown included)" : "");
  }
}

static int parse_split(const offload_opts* o, int n, int* k_out, bool* automatic) {
  *automatic = false;
  const char* text = o->split != NULL ? o->split : "auto";
  if (strcmp(text, "auto") == 0) {
    *automatic = true;
    *k_out = n;
  } else if (strcmp(text, "local") == 0) {
    *k_out = n;
  } else if (strcmp(text, "remote") == 0) {
    *k_out = 0;
  } else {
    char* end = NULL;
    long k = strtol(text, &end, 10);
    if (*text == '\0' || *end != '\0' || k < 0 || k > n) {
      return cli_fail(CLI_EXIT_USAGE,
                      "offload: --split must be auto, local, remote or a cut "
                      "from 0 to %d, got '%s'",
                      n, text);
    }
    *k_out = (int)k;
  }
  return CLI_EXIT_OK;
}

/* "k=12" for a prefix split, "40/80 here" for another two-tier placement, "40/30/10" for three. */
static void describe(const state* s, const uint8_t* tiers, char* buf, size_t size) {
  int k = ep_net_placement_as_split(s->graph, tiers);
  int here = ep_net_placement_nodes(s->graph, tiers, 0, 0);
  int beyond = ep_net_placement_nodes(s->graph, tiers, 2, 255);
  if (beyond > 0) {
    snprintf(buf, size, "%d/%d/%d", here, s->n - here - beyond, beyond);
  } else if (k >= 0) {
    snprintf(buf, size, "k=%d", k);
  } else {
    snprintf(buf, size, "%d/%d here", here, s->n);
  }
}

/* Every output against the local reference: the largest |difference|; and output 0's rows (the
 * last dimension's argmax: a classifier's class, each LSTM step's token) that agree. */
static void compare_outputs(const state* s, double* max_diff, double* top1) {
  *max_diff = 0;
  for (int o = 0; o < ep_graph_output_count(s->graph); o++) {
    const ep_tensor* u = ep_graph_tensor(s->graph, ep_graph_output(s->graph, o));
    for (int64_t i = 0; i < ep_shape_numel(&u->shape); i++) {
      double d = fabs((double)s->result[o][i] - (double)s->reference[o][i]);
      if (d > *max_diff || d != d) *max_diff = d;
    }
  }
  const ep_tensor* t = ep_graph_tensor(s->graph, ep_graph_output(s->graph, 0));
  int64_t numel = ep_shape_numel(&t->shape);
  int64_t row = t->shape.rank > 0 ? t->shape.dims[t->shape.rank - 1] : 1;
  if (row < 1) row = 1;
  int64_t rows = 0, agree = 0;
  for (int64_t r = 0; r + row <= numel; r += row) {
    int64_t a = r, b = r;
    for (int64_t i = r; i < r + row; i++) {
      if (s->reference[0][i] > s->reference[0][a]) a = i;
      if (s->result[0][i] > s->result[0][b]) b = i;
    }
    rows++;
    agree += a == b;
  }
  *top1 = rows > 0 ? (double)agree / (double)rows : 1;
}

static cJSON* run_json(const state* s, const uint8_t* tiers, const ep_offload_run_info* info,
                       double predicted, bool verified, bool same, double max_diff, double top1,
                       bool probe) {
  cJSON* r = cJSON_CreateObject();
  if (r == NULL) return NULL;
  char where[64];
  describe(s, tiers, where, sizeof where);
  cJSON_AddNumberToObject(r, "k", info->k);
  cJSON_AddStringToObject(r, "placement", where);
  cJSON_AddNumberToObject(r, "edge_nodes", info->edge_nodes);
  cJSON_AddStringToObject(r, "where", info->remote ? "split" : "local");
  if (probe) cJSON_AddBoolToObject(r, "probe", true);
  if (info->failure != EP_NET_FAIL_NONE) {
    cJSON_AddStringToObject(r, "fallback", ep_net_failure_name(info->failure));
    cJSON_AddStringToObject(r, "reason", info->reason);
  }
  cJSON_AddNumberToObject(r, "edge_ms", ep_json_ms(info->edge_ms));
  cJSON_AddNumberToObject(r, "upload_ms", ep_json_ms(info->upload_ms));
  cJSON_AddNumberToObject(r, "server_ms", ep_json_ms(info->server_ms));
  cJSON_AddNumberToObject(r, "download_ms", ep_json_ms(info->download_ms));
  cJSON_AddNumberToObject(r, "local_tail_ms", ep_json_ms(info->local_tail_ms));
  cJSON_AddNumberToObject(r, "total_ms", ep_json_ms(info->total_ms));
  cJSON_AddNumberToObject(r, "upload_bytes", (double)info->upload_bytes);
  cJSON_AddNumberToObject(r, "download_bytes", (double)info->download_bytes);
  if (predicted >= 0) {
    cJSON_AddNumberToObject(r, "predicted_total_ms", ep_json_ms(predicted));
  } else {
    cJSON_AddNullToObject(r, "predicted_total_ms");
  }
  if (info->remote) {
    cJSON* load = cJSON_AddObjectToObject(r, "server_load");
    cJSON_AddNumberToObject(load, "queued", info->load.queued);
    cJSON_AddNumberToObject(load, "running", info->load.running);
    cJSON_AddNumberToObject(load, "slowdown", info->load.slowdown);
    cJSON_AddNumberToObject(load, "throttle", info->load.throttle);
    cJSON_AddNumberToObject(load, "forward_ms", (double)info->load.forward_ns * 1e-6);
  }
  if (verified) {
    cJSON_AddBoolToObject(r, "equal_to_local", same);
    cJSON_AddNumberToObject(r, "max_abs_diff", max_diff);
    cJSON_AddNumberToObject(r, "top1_agreement", top1);
  }
  return r;
}

/* The placement to start with: --plan, or a prefix split (--split auto replaces it once the
 * planner has its inputs). */
static int initial_placement(state* s, const offload_opts* o, bool* automatic) {
  int k = 0;
  int rc = parse_split(o, s->n, &k, automatic);
  if (rc != CLI_EXIT_OK) return rc;
  if (o->plan_file != NULL) {
    *automatic = false;
    bool chain = false;
    ep_cut_dtype dtype = EP_CUT_FP32;
    if (ep_plan_partition_load(o->plan_file, s->model, s->graph, s->plan_tier, &chain, &dtype) !=
        EP_OK) {
      return cli_fail(CLI_EXIT_USAGE, "offload: --plan: %s", ep_last_error());
    }
    wire_tiers(s->plan_tier, chain, s->n, s->tiers);
    if (o->cut_dtype == NULL) {
      s->dtype = dtype;
      ep_offload_set_cut_dtype(s->offload, dtype);
    }
    return CLI_EXIT_OK;
  }
  ep_net_placement_from_split(s->graph, k, s->tiers);
  return CLI_EXIT_OK;
}

typedef struct replan_state {
  double bw, factor, rtt;             /* as last planned with */
  double bw_now, factor_now, rtt_now; /* what requests see: moving averages */
  double start;
  cJSON* trace;
} replan_state;

/* After a run that used the server: update the measured link and server speed, and plan again
 * when either moved by more than the threshold (docs/plan.md, "Running plans"). */
static int maybe_replan(state* s, const offload_opts* o, const ep_offload_run_info* info,
                        replan_state* r) {
  /* The wait for the answer beyond the server's time is one round trip and the download. */
  double rtt_sample = info->download_ms * 1e-3 - (double)info->download_bytes * 8.0 / r->bw_now;
  r->rtt_now = (1 - EMA_WEIGHT) * r->rtt_now + EMA_WEIGHT * (rtt_sample > 0 ? rtt_sample : 0);
  double transfer_s = (info->upload_ms + info->download_ms) * 1e-3 - r->rtt_now;
  int64_t bytes = info->upload_bytes + info->download_bytes;
  if (bytes >= 4096 && transfer_s > 1e-4) {
    double sample = (double)bytes * 8.0 / transfer_s;
    r->bw_now = (1 - EMA_WEIGHT) * r->bw_now + EMA_WEIGHT * sample;
  }
  if (info->load.slowdown > 0) {
    /* Each request waiting ahead costs about one service time when one session serves. */
    r->factor_now = info->load.slowdown * (1.0 + (double)info->load.queued);
  }
  /* The RTT moves by a share of itself, but no less than 1 ms (loopback jitters by more than
   * its own 20 us). */
  double rtt_floor = r->rtt > 1e-3 ? r->rtt : 1e-3;
  bool moved = fabs(r->bw_now / r->bw - 1) > o->threshold ||
               fabs(r->factor_now / r->factor - 1) > o->threshold ||
               fabs(r->rtt_now - r->rtt) > o->threshold * rtt_floor;
  if (!moved) return CLI_EXIT_OK;
  char before[64], after[64];
  describe(s, s->tiers, before, sizeof before);
  s->net.uplink_bps = s->net.downlink_bps = r->bw_now;
  s->net.rtt_s = r->rtt_now;
  s->server_factor = r->factor_now;
  int rc = replan(s);
  if (rc != CLI_EXIT_OK) return rc;
  r->bw = r->bw_now;
  r->factor = r->factor_now;
  r->rtt = r->rtt_now;
  uint8_t* next = s->next_tiers;
  wire_tiers(s->part->tier, false, s->n, next);
  describe(s, next, after, sizeof after);
  bool changed = memcmp(next, s->tiers, (size_t)s->n) != 0;
  double t = ep_now() - r->start;
  if (o->trace_plan) {
    printf("     re-plan at %.3f s: %.4g Mbit/s, RTT %.3f ms, server slowdown %.2f (queue %u): "
           "%s -> %s%s\n",
           t, r->bw / 1e6, s->net.rtt_s * 1e3, r->factor, info->load.queued, before, after,
           changed ? "" : " (unchanged)");
  }
  if (r->trace != NULL) {
    cJSON* e = cJSON_CreateObject();
    cJSON_AddNumberToObject(e, "time_s", t);
    cJSON_AddNumberToObject(e, "bandwidth_bps", r->bw);
    cJSON_AddNumberToObject(e, "rtt_ms", s->net.rtt_s * 1e3);
    cJSON_AddNumberToObject(e, "server_slowdown", r->factor);
    cJSON_AddNumberToObject(e, "server_queue", info->load.queued);
    cJSON_AddStringToObject(e, "from", before);
    cJSON_AddStringToObject(e, "to", after);
    cJSON_AddNumberToObject(e, "from_edge_nodes",
                            ep_net_placement_nodes(s->graph, s->tiers, 0, 0));
    cJSON_AddNumberToObject(e, "to_edge_nodes", ep_net_placement_nodes(s->graph, next, 0, 0));
    cJSON_AddItemToArray(r->trace, e);
  }
  if (changed) {
    /* The one that used the server stays for probes, should the new one run all here. */
    if (ep_net_placement_nodes(s->graph, s->tiers, 1, 255) > 0) {
      memcpy(s->last_remote, s->tiers, (size_t)s->n);
    }
    memcpy(s->tiers, next, (size_t)s->n);
  }
  return CLI_EXIT_OK;
}

static int run_all(state* s, const offload_opts* o, const cli_args* a, ep_output* json) {
  bool automatic = s->automatic;
  int rc = CLI_EXIT_OK;
  if (s->v2 != NULL) {
    /* A v2 server gives no per-node profile (no prediction) and hosts one cut. */
    ep_net_placement_from_split(s->graph, s->v2_k, s->tiers);
    automatic = false;
  } else {
    gather_prediction(s);
  }
  char where[64];
  if (automatic) {
    if (s->have_prediction) {
      wire_tiers(s->part->tier, false, s->n, s->tiers);
    } else {
      ep_net_placement_from_split(s->graph, s->n, s->tiers);
    }
    describe(s, s->tiers, where, sizeof where);
    printf("--split auto (%s cuts): %s of %d nodes for %s%s\n", ep_plan_cuts_name(s->cuts), where,
           s->n, ep_plan_objective_name(s->objective),
           s->have_prediction ? "" : " (no prediction: everything runs here)");
  }
  memcpy(s->last_remote, s->tiers, (size_t)s->n);
  if (s->dtype != EP_CUT_FP32) printf("Cut tensors sent as %s.\n", ep_cut_dtype_name(s->dtype));
  printf("\n%4s %-12s %-7s %9s %9s %9s %9s %9s %9s %10s %s\n", "run", "placement", "where",
         "edge ms", "up ms", "server ms", "down ms", "local ms", "total ms", "predicted", "");
  cJSON* doc = json != NULL ? cJSON_CreateObject() : NULL;
  if (doc != NULL) {
    cJSON_AddNumberToObject(doc, "schema_version", OFFLOAD_SCHEMA_VERSION);
    cJSON_AddStringToObject(doc, "kind", "offload");
    ep_json_add_environment(doc, "cpu");
  }
  cJSON* runs = doc != NULL ? cJSON_AddArrayToObject(doc, "runs") : NULL;
  replan_state r = {s->net.uplink_bps, 1, s->net.rtt_s, s->net.uplink_bps, 1, s->net.rtt_s,
                    ep_now(), NULL};
  if (doc != NULL && automatic) r.trace = cJSON_AddArrayToObject(doc, "replans");
  int remote = 0, equal = 0;
  double worst_diff = 0, worst_top1 = 1;
  int64_t up_bytes = 0;
  for (int run = 0; run < a->runs; run++) {
    rc = set_inputs(s);
    if (rc != CLI_EXIT_OK) break;
    /* While everything runs here, every --probe-every-th run uses the last placement that used
     * the server, so that its load reports keep coming. */
    bool probe = automatic && s->have_prediction && o->probe_every > 0 &&
                 ep_net_placement_nodes(s->graph, s->tiers, 1, 255) == 0 &&
                 ep_net_placement_nodes(s->graph, s->last_remote, 1, 255) > 0 &&
                 (run + 1) % o->probe_every == 0;
    const uint8_t* tiers = probe ? s->last_remote : s->tiers;
    ep_offload_run_info info;
    ep_status st = s->v2 != NULL ? ep_v2_offload_run(s->v2, s->v2_k, &info)
                                 : ep_offload_run_placement(s->offload, tiers, &info);
    if (st != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "offload: %s", ep_last_error());
      break;
    }
    /* A refused token is a mistake to fix, not a link that failed: stop, unless told not to. */
    if (info.failure == EP_NET_FAIL_REFUSED && info.server_error == EP_NET_E_UNAUTHORIZED &&
        !o->fallback_local) {
      rc = cli_fail(CLI_EXIT_RUNTIME,
                    "offload: the server refused the token (%s); --fallback local finishes "
                    "such runs here",
                    info.reason);
      break;
    }
    /* So is a server whose certificate is not trusted: it may not be the server meant. */
    if (info.failure == EP_NET_FAIL_UNTRUSTED && !o->fallback_local) {
      rc = cli_fail(CLI_EXIT_RUNTIME,
                    "offload: %s; --fallback local finishes such runs here", info.reason);
      break;
    }
    rc = get_outputs(s, s->result);
    if (rc != CLI_EXIT_OK) break;
    bool same = o->verify && same_outputs(s);
    double max_diff = 0, top1 = 1;
    if (o->verify) compare_outputs(s, &max_diff, &top1);
    if (max_diff > worst_diff || max_diff != max_diff) worst_diff = max_diff;
    if (top1 < worst_top1) worst_top1 = top1;
    remote += info.remote;
    equal += same;
    up_bytes += info.upload_bytes;
    double predicted = predicted_ms(s, tiers);
    char pred[32] = "-";
    if (predicted >= 0) snprintf(pred, sizeof pred, "%.3f", predicted);
    describe(s, tiers, where, sizeof where);
    char check[96] = "";
    if (o->verify && s->dtype == EP_CUT_FP32) {
      snprintf(check, sizeof check, "%s", same ? "same " : "DIFFERENT ");
    } else if (o->verify) {
      snprintf(check, sizeof check, "max|diff| %.3g, top-1 %.0f%% ", max_diff, 100 * top1);
    }
    printf("%4d %-12s %-7s %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %10s %s%s%s%s\n", run + 1, where,
           info.remote ? "split" : "local", info.edge_ms, info.upload_ms, info.server_ms,
           info.download_ms, info.local_tail_ms, info.total_ms, pred, probe ? "probe " : "",
           check, info.failure != EP_NET_FAIL_NONE ? "finished here: " : "",
           info.failure != EP_NET_FAIL_NONE ? info.reason : "");
    if (runs != NULL) {
      cJSON_AddItemToArray(
          runs, run_json(s, tiers, &info, predicted, o->verify, same, max_diff, top1, probe));
    }
    if (automatic && s->have_prediction && info.remote) {
      rc = maybe_replan(s, o, &info, &r);
      if (rc != CLI_EXIT_OK) break;
    }
  }
  if (rc == CLI_EXIT_OK) {
    printf("\n%d run%s: %d split with the server, %d finished here; %lld bytes sent", a->runs,
           a->runs == 1 ? "" : "s", remote, a->runs - remote, (long long)up_bytes);
    if (o->verify && s->dtype == EP_CUT_FP32 && s->tolerance > 0) {
      printf("; %d of %d equal to the local run within %g (max |diff| %.3g)", equal, a->runs,
             s->tolerance, worst_diff);
    } else if (o->verify && s->dtype == EP_CUT_FP32) {
      printf("; %d of %d equal to the local run bit for bit", equal, a->runs);
    } else if (o->verify) {
      printf("; against the local fp32 run: max |diff| %.3g, top-1 agreement %.1f%% at worst",
             worst_diff, 100 * worst_top1);
    }
    printf(".\n");
    rc = write_outputs(s, o);
  }
  /* Compressed tensors change the values (that is their point): --verify then reports the error
   * instead of requiring equality. */
  if (rc == CLI_EXIT_OK && o->verify && s->dtype == EP_CUT_FP32 && equal != a->runs) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "offload: %d of %d results differ from the local run",
                  a->runs - equal, a->runs);
  }
  if (doc != NULL) {
    cJSON_AddStringToObject(doc, "model", s->model);
    cJSON_AddStringToObject(doc, "server", o->server);
    cJSON_AddNumberToObject(doc, "nodes", s->n);
    cJSON_AddStringToObject(doc, "cut_dtype", ep_cut_dtype_name(s->dtype));
    cJSON_AddNumberToObject(doc, "remote_runs", remote);
    cJSON_AddNumberToObject(doc, "upload_bytes", (double)up_bytes);
    if (o->verify) {
      cJSON_AddNumberToObject(doc, "max_abs_diff", worst_diff);
      cJSON_AddNumberToObject(doc, "top1_agreement", worst_top1);
    }
    if (rc == CLI_EXIT_OK) {
      char* text = cJSON_Print(doc);
      if (text == NULL || fputs(text, ep_output_stream(json)) == EOF ||
          fputc('\n', ep_output_stream(json)) == EOF) {
        rc = cli_fail(CLI_EXIT_RUNTIME, "offload: cannot write the JSON");
      }
      cJSON_free(text);
    }
    cJSON_Delete(doc);
  }
  return rc;
}

/* The remote model and the cut for an http(s):// server: --remote-model, else the last path
 * segment of a URL ending in /v2/models/NAME, else MODEL_from<K> (the name `edgeprof export
 * --from K` gives the tail) for --split K. --split auto takes the cut whose crossing tensors the
 * remote model takes, from its metadata. */
static int v2_setup(state* s, const offload_opts* o, const ep_offload_options* oo, int k,
                    bool automatic) {
  if (!ep_http_available()) {
    return cli_fail(CLI_EXIT_USAGE, "offload: KServe v2 over HTTP is not in this build "
                    "(libmicrohttpd-dev and libcurl-dev were not found)");
  }
  char name[256] = "";
  const char* path = strstr(o->server, "/v2/models/");
  if (o->remote_model != NULL) {
    snprintf(name, sizeof name, "%s", o->remote_model);
  } else if (path != NULL) {
    snprintf(name, sizeof name, "%.*s", (int)strcspn(path + 11, "/"), path + 11);
  } else if (!automatic && k < s->n) {
    const char* base = strrchr(s->model, '/') != NULL ? strrchr(s->model, '/') + 1 : s->model;
    int stem = (int)strlen(base);
    if (stem > 5 && strcmp(base + stem - 5, ".onnx") == 0) stem -= 5;
    snprintf(name, sizeof name, "%.*s_from%d", stem, base, k);
  } else {
    return cli_fail(CLI_EXIT_USAGE, "offload: name the server's model: --remote-model NAME, a "
                    "URL ending in /v2/models/NAME, or --split K (for MODEL_from<K>)");
  }
  ep_v2_offload_options vo;
  memset(&vo, 0, sizeof vo);
  ep_v2_client_options_default(&vo.client);
  vo.client.url = o->server;
  vo.client.token = oo->client.token;
  vo.client.token_length = oo->client.token_length;
  vo.client.ca_file = o->tls_ca;
  vo.client.json_tensors = o->v2_json;
  if (o->timeout_s > 0) vo.client.connect_timeout_s = vo.client.timeout_s = o->timeout_s;
  vo.backoff_s = o->backoff_s;
  vo.model = name;
  if (ep_v2_offload_create(s->session, &vo, &s->v2) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --server: %s", ep_last_error());
  }
  s->v2_k = k;
  if (automatic && ep_v2_offload_remote_split(s->v2, &s->v2_k) != EP_OK) {
    return cli_fail(CLI_EXIT_RUNTIME, "offload: %s", ep_last_error());
  }
  printf("KServe v2 model '%s': nodes [%d, %d) there%s\n", name, s->v2_k, s->n,
         automatic ? " (--split auto: it takes the cut at k = its inputs' cut)" : "");
  return CLI_EXIT_OK;
}

int cmd_offload(int argc, char** argv) {
  offload_opts o;
  memset(&o, 0, sizeof o);
  o.threshold = 0.25;
  o.probe_every = 4;
  o.edge_slowdown = 1;
  o.backoff_s = 30;
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      {.name = "--server", .kind = CLI_STRING, .target = &o.server, .metavar = "ADDRESS",
       .help = "the `edgeprof serve` to offload to, HOST:PORT (required); or any\n"
               "KServe v2 server, http(s)://HOST:PORT[/v2/models/NAME]"},
      {.name = "--split", .kind = CLI_STRING, .target = &o.split, .metavar = "S",
       .help = "auto (default: plan, then plan again on a moving average of the\n"
               "bandwidth requests see), K, local (k = n) or remote (k = 0)"},
      CLI_OPTION_RUNS(&args),
      {.name = "--bandwidth", .kind = CLI_RATE, .target = &o.pace_bps, .min = 1, .max = 1e12,
       .metavar = "RATE",
       .help = "send no faster than RATE (5.85Mbit, 500kbit/s): a slower link on\n"
               "loopback (a bare number is refused)"},
      {.name = "--token-file", .kind = CLI_STRING, .target = &o.token_file, .metavar = "FILE",
       .help = "the shared token the server wants (see `serve --token-file`)"},
      {.name = "--input", .kind = CLI_LIST, .target = o.inputs, .count = &o.n_inputs,
       .max_count = MAX_FILES, .metavar = "FILE",
       .help = "graph inputs as for `edgeprof run` (default: seeded random, the\n"
               "same as run's)"},
      {.name = "--output", .kind = CLI_LIST, .target = o.outputs, .count = &o.n_outputs,
       .max_count = MAX_FILES, .metavar = "FILE",
       .help = "where the i-th output of the last run goes (.npy or .pb)"},
      {.name = "--verify", .kind = CLI_FLAG, .target = &o.verify,
       .help = "also run locally and check every result is equal bit for bit"},
      {.name = "--plan", .kind = CLI_STRING, .target = &o.plan_file, .metavar = "FILE",
       .help = "run the partition of a `plan --json` document (any node set;\n"
               "three tiers go through --server to its `serve --next`)"},
      {.name = "--cuts", .kind = CLI_STRING, .target = &o.cuts, .metavar = "C",
       .help = "what --split auto searches: prefix (default) or dag (any node set)"},
      {.name = "--cut-dtype", .kind = CLI_STRING, .target = &o.cut_dtype, .metavar = "T",
       .help = "send the crossing tensors as fp32 (default), fp16, int8 (one\n"
               "scale) or int8-channel; --verify then reports the error"},
      {.name = "--trace-plan", .kind = CLI_FLAG, .target = &o.trace_plan,
       .help = "print each re-plan of --split auto: link, server slowdown, old -> new"},
      {.name = "--replan-threshold", .kind = CLI_NUMBER, .target = &o.threshold, .min = 0.01,
       .max = 100, .metavar = "X",
       .help = "re-plan when the bandwidth, the RTT (by 1 ms at least) or the server's\n"
               "slowdown moves by more than this fraction since the last plan (0.25)"},
      {.name = "--probe-every", .kind = CLI_INT, .target = &o.probe_every, .min = 0,
       .max = 1000000, .metavar = "N",
       .help = "while --split auto runs everything here, every N-th run uses the last\n"
               "split with the server to hear its load (default 4; 0: never)"},
      {.name = "--edge-slowdown", .kind = CLI_NUMBER, .target = &o.edge_slowdown, .min = 1,
       .max = 1000, .metavar = "F",
       .help = "this device sleeps so each node takes F x its time, and plans so:\n"
               "emulates a slower edge device (tests, demos)"},
      {.name = "--objective", .kind = CLI_STRING, .target = &o.objective, .metavar = "OBJ",
       .help = "what --split auto minimizes: latency (default) or energy of this device"},
      {.name = "--edge-power", .kind = CLI_STRING, .target = &o.edge_power, .metavar = "LIST",
       .help = "compute=W,idle=W,radio=W of this device for --objective energy\n"
               "(defaults 2.5, 0.3, 1.2: assumptions, as for plan)"},
      {.name = "--remote-model", .kind = CLI_STRING, .target = &o.remote_model, .metavar = "NAME",
       .help = "KServe v2: the server's model for nodes [k, n) (default: the URL's\n"
               "/v2/models/NAME, else MODEL_from<K> for --split K); --split auto then\n"
               "takes the cut whose tensors it takes, from its metadata"},
      {.name = "--timeout", .kind = CLI_DURATION, .target = &o.timeout_s, .min = 0.01,
       .max = 3600, .metavar = "TIME",
       .help = "give up on the server after TIME to connect, to say hello and for\n"
               "each answer (default 2s to connect, 30s for an answer)"},
      {.name = "--backoff", .kind = CLI_DURATION, .target = &o.backoff_s, .min = 0, .max = 86400,
       .metavar = "TIME",
       .help = "after the server timed out or was unreachable, run here without\n"
               "asking it for TIME (default 30s; 0: ask every time)"},
      {.name = "--fallback", .kind = CLI_STRING, .target = &o.fallback, .metavar = "MODE",
       .help = "local: finish here even when the server refuses the token or its\n"
               "TLS certificate is not trusted (default: those are errors, exit 1;\n"
               "other failures finish here)"},
      {.name = "--tls-ca", .kind = CLI_STRING, .target = &o.tls_ca, .metavar = "PEM",
       .help = "TLS: the CA to check the server's certificate with; for the native\n"
               "protocol it turns TLS on (https://: default the system's CAs)"},
      {.name = "--v2-json", .kind = CLI_FLAG, .target = &o.v2_json,
       .help = "KServe v2: tensors as JSON numbers (for servers without the binary\n"
               "tensor data extension)"},
      {.name = "--tolerance", .kind = CLI_NUMBER, .target = &o.tolerance, .min = 0, .max = 0.5,
       .metavar = "T",
       .help = "--verify passes when |result - local| <= T x max(1, |local|): another\n"
               "runtime rounds differently (default 0: bit for bit)"},
      CLI_OPTION_THREADS(&args),
      CLI_OPTION_CPUS(&args),
      CLI_OPTION_JSON(&args),
      CLI_OPTION_SEED(&args),
  };
  int rc = cli_parse("offload", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE,
                    "offload: %s (usage: edgeprof offload MODEL --server "
                    "HOST:PORT [options])",
                    args.n_positional == 0 ? "missing MODEL" : "one MODEL at a time");
  }
  if (o.server == NULL) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --server HOST:PORT is required");
  }
  ep_offload_options oo;
  memset(&oo, 0, sizeof oo);
  ep_client_options_default(&oo.client);
  char host[256] = "127.0.0.1";
  bool v2 = strncmp(o.server, "http://", 7) == 0 || strncmp(o.server, "https://", 8) == 0;
  if (!v2 && (o.remote_model != NULL || o.v2_json)) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --remote-model and --v2-json are for an "
                    "http:// or https:// --server");
  }
  if (v2 && (o.pace_bps > 0 || o.plan_file != NULL || o.cuts != NULL || o.cut_dtype != NULL)) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --bandwidth, --plan, --cuts and --cut-dtype are "
                    "for the native protocol: a KServe v2 server hosts one cut, in fp32");
  }
  if (v2) {
    oo.client.port = 1; /* unused: the URL names the server */
  } else if (ep_net_parse_address(o.server, host, sizeof host, &oo.client.port) != EP_OK ||
             oo.client.port == 0) {
    return cli_fail(
        CLI_EXIT_USAGE, "offload: --server: %s",
        oo.client.port == 0 ? "port 0 is for listening; give the server's port" : ep_last_error());
  }
  oo.client.host = host;
  oo.client.pace_bps = o.pace_bps;
  if (o.timeout_s > 0) oo.client.connect_timeout_s = oo.client.io_timeout_s = o.timeout_s;
  oo.backoff_s = o.backoff_s;
  if (o.tls_ca != NULL && access(o.tls_ca, R_OK) != 0) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --tls-ca: cannot read %s: %s", o.tls_ca,
                    strerror(errno));
  }
  if (!v2 && o.tls_ca != NULL) {
    oo.client.tls = true;
    oo.client.tls_ca_file = o.tls_ca;
  }
  if (o.fallback != NULL && strcmp(o.fallback, "local") != 0) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --fallback must be local, got '%s'", o.fallback);
  }
  o.fallback_local = o.fallback != NULL;
  uint8_t token[EP_NET_MAX_TOKEN];
  if (o.token_file != NULL) {
    if (ep_net_token_load(o.token_file, token, &oo.client.token_length) != EP_OK) {
      return cli_fail(CLI_EXIT_USAGE, "offload: --token-file: %s", ep_last_error());
    }
    oo.client.token = token;
  }
  state s;
  memset(&s, 0, sizeof s);
  s.model = args.positional[0];
  s.tolerance = o.tolerance;
  ep_power_model_default(&s.power);
  if (o.edge_power != NULL && ep_power_model_parse(o.edge_power, &s.power) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --edge-power: %s", ep_last_error());
  }
  if (o.objective != NULL && ep_plan_objective_parse(o.objective, &s.objective) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --objective: %s", ep_last_error());
  }
  if (o.cuts != NULL && ep_plan_cuts_parse(o.cuts, &s.cuts) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --cuts: %s", ep_last_error());
  }
  if (o.cut_dtype != NULL && ep_cut_dtype_parse(o.cut_dtype, &s.dtype) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --cut-dtype: %s", ep_last_error());
  }
  if (o.plan_file != NULL && o.split != NULL) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --plan and --split both name the placement: give one");
  }
  oo.cut_dtype = s.dtype;
  oo.edge_slowdown = o.edge_slowdown;
  /* The server knows zoo models by name and seed, model files by the SHA-256 of their bytes. */
  oo.model.seed = args.seed;
  if (ep_zoo_find(s.model) != NULL) {
    oo.model.model_kind = EP_NET_MODEL_ZOO;
    snprintf(oo.model.zoo_name, sizeof oo.model.zoo_name, "%s", s.model);
  } else {
    oo.model.model_kind = EP_NET_MODEL_SHA256;
    if (ep_sha256_file(s.model, oo.model.sha256) != EP_OK) {
      return cli_fail(CLI_EXIT_USAGE, "offload: '%s' is not a zoo model and %s", s.model,
                      ep_last_error());
    }
  }
  static int cpus[EP_MAX_CPUS];
  int n_cpus = 0;
  rc = cli_resolve_cpus("offload", args.cpus, cpus, &n_cpus);
  if (rc != CLI_EXIT_OK) return rc;
  ep_output* json = NULL;
  rc = cli_output_open("offload", args.json, &json);
  if (rc != CLI_EXIT_OK) return rc;
  rc = cli_load_model("offload", s.model, args.seed, NULL, &s.graph);
  if (rc != CLI_EXIT_OK) goto cleanup;
  s.n = ep_graph_node_count(s.graph);
  ep_session_options so = {args.threads, n_cpus > 0 ? cpus : NULL, n_cpus, NULL};
  ep_status st = ep_session_create(s.graph, &so, &s.session);
  if (st == EP_OK) st = ep_offload_create(s.session, &oo, &s.offload);
  if (st != EP_OK) {
    rc = cli_fail(cli_exit_code(st), "offload: %s", ep_last_error());
    goto cleanup;
  }
  if (o.n_outputs > ep_graph_output_count(s.graph)) {
    rc = cli_fail(CLI_EXIT_USAGE, "offload: %s has %d outputs, %d --output given", s.model,
                  ep_graph_output_count(s.graph), o.n_outputs);
    goto cleanup;
  }
  int gin = ep_graph_input_count(s.graph), gout = ep_graph_output_count(s.graph);
  s.input_values = alloc_tensors(s.graph, false);
  s.reference = alloc_tensors(s.graph, true);
  s.result = alloc_tensors(s.graph, true);
  s.edge_ms = calloc((size_t)s.n + 1, sizeof *s.edge_ms);
  s.server_ms = calloc((size_t)s.n + 1, sizeof *s.server_ms);
  s.server_now = calloc((size_t)s.n + 1, sizeof *s.server_now);
  s.plan_tier = calloc((size_t)s.n + 1, sizeof *s.plan_tier);
  s.tiers = calloc((size_t)s.n + 1, 1);
  s.last_remote = calloc((size_t)s.n + 1, 1);
  s.next_tiers = calloc((size_t)s.n + 1, 1);
  if (s.next_tiers == NULL || s.input_values == NULL || s.reference == NULL || s.result == NULL || s.edge_ms == NULL ||
      s.server_ms == NULL || s.server_now == NULL || s.plan_tier == NULL || s.tiers == NULL ||
      s.last_remote == NULL || (gin > 0 && s.input_values[gin - 1] == NULL) ||
      (gout > 0 && (s.reference[gout - 1] == NULL || s.result[gout - 1] == NULL))) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "offload: out of memory");
    goto cleanup;
  }
  rc = load_inputs(&s, &o, args.seed);
  if (rc != CLI_EXIT_OK) goto cleanup;
  /* Bad input is refused before anything goes to stdout (--split 99 printed a header first). */
  if (v2) {
    int k_check = 0;
    bool auto_check = false;
    rc = parse_split(&o, s.n, &k_check, &auto_check);
    if (rc == CLI_EXIT_OK) rc = v2_setup(&s, &o, &oo, k_check, auto_check);
  } else {
    rc = initial_placement(&s, &o, &s.automatic);
  }
  if (rc != CLI_EXIT_OK) goto cleanup;
  char pace[48] = "";
  if (o.pace_bps > 0) snprintf(pace, sizeof pace, ", uplink paced to %.4g Mbit/s", o.pace_bps / 1e6);
  printf("%s: %d nodes, server %s%s\n", s.model, s.n, o.server, pace);
  if (o.verify) {
    /* The reference: the whole network here, before anything else. */
    rc = set_inputs(&s);
    if (rc == CLI_EXIT_OK && ep_session_run(s.session) != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "offload: %s", ep_last_error());
    }
    if (rc == CLI_EXIT_OK) rc = get_outputs(&s, s.reference);
    if (rc != CLI_EXIT_OK) goto cleanup;
  }
  rc = run_all(&s, &o, &args, json);
  if (rc == CLI_EXIT_OK && json != NULL) {
    rc = cli_output_commit("offload", json);
    json = NULL;
  }

cleanup:
  cli_output_discard(json);
  ep_plan_partition_destroy(s.part);
  ep_offload_destroy(s.offload);
  ep_v2_offload_destroy(s.v2);
  ep_session_destroy(s.session);
  if (s.graph != NULL) {
    free_tensors(s.input_values, ep_graph_input_count(s.graph));
    free_tensors(s.reference, ep_graph_output_count(s.graph));
    free_tensors(s.result, ep_graph_output_count(s.graph));
  }
  free(s.edge_ms);
  free(s.server_ms);
  free(s.server_now);
  free(s.plan_tier);
  free(s.tiers);
  free(s.last_remote);
  free(s.next_tiers);
  ep_graph_destroy(s.graph);
  return rc;
}

/* edgeprof offload MODEL --server HOST:PORT: run a model split between this machine and a
 * server, next to the planner's prediction; finish locally whenever the server cannot answer. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_local_opts.h"
#include "edgeprof/net.h"
#include "edgeprof/onnx.h"
#include "edgeprof/plan.h"
#include "edgeprof/profile.h"
#include "edgeprof/zoo.h"

enum { MAX_FILES = 16, PROBE_BYTES = 64 * 1024 };
#define EMA_WEIGHT 0.3 /* of the newest bandwidth sample in the moving average */

typedef struct offload_opts {
  const char* server;
  const char* split;
  const char* bandwidth;
  const char* token_file;
  const char* objective;
  const char* edge_power;
  const char* inputs[MAX_FILES];
  int n_inputs;
  const char* outputs[MAX_FILES];
  int n_outputs;
  bool verify;
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
  int n;
  float** input_values; /* per graph input */
  float** reference;    /* per graph output, with --verify */
  float** result;       /* per graph output */
  double* edge_ms;
  double* server_ms;
  bool have_prediction;
  ep_plan* plan;
  ep_network net;
  ep_power_model power;
  ep_plan_objective objective;
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
    if (memcmp(s->reference[i], s->result[i], 4 * (size_t)ep_shape_numel(&t->shape)) != 0) {
      return false;
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

static int replan(state* s) {
  ep_plan_destroy(s->plan);
  s->plan = NULL;
  if (ep_plan_compute(s->graph, s->edge_ms, s->server_ms, &s->net, &s->power, s->objective,
                      &s->plan) != EP_OK) {
    return cli_fail(CLI_EXIT_RUNTIME, "offload: %s", ep_last_error());
  }
  return CLI_EXIT_OK;
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
  memcpy(s->edge_ms, p->node_ms, (size_t)s->n * sizeof *s->edge_ms);
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
  s->have_prediction = replan(s) == CLI_EXIT_OK;
  if (s->have_prediction) {
    printf(
        "Link: RTT %.3f ms, %.4g Mbit/s (a %d KiB ping). Server profile: %.3f ms in all; "
        "here: %.3f ms.\n",
        rtt * 1e3, bps / 1e6, PROBE_BYTES / 1024, s->plan->cuts[0].server_ms,
        s->plan->cuts[s->n].edge_ms);
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

static cJSON* run_json(const ep_offload_run_info* info, double predicted, bool verified,
                       bool same) {
  cJSON* r = cJSON_CreateObject();
  if (r == NULL) return NULL;
  cJSON_AddNumberToObject(r, "k", info->k);
  cJSON_AddStringToObject(r, "where", info->remote ? "split" : "local");
  if (info->failure != EP_NET_FAIL_NONE) {
    cJSON_AddStringToObject(r, "fallback", ep_net_failure_name(info->failure));
    cJSON_AddStringToObject(r, "reason", info->reason);
  }
  cJSON_AddNumberToObject(r, "edge_ms", info->edge_ms);
  cJSON_AddNumberToObject(r, "upload_ms", info->upload_ms);
  cJSON_AddNumberToObject(r, "server_ms", info->server_ms);
  cJSON_AddNumberToObject(r, "download_ms", info->download_ms);
  cJSON_AddNumberToObject(r, "local_tail_ms", info->local_tail_ms);
  cJSON_AddNumberToObject(r, "total_ms", info->total_ms);
  cJSON_AddNumberToObject(r, "upload_bytes", (double)info->upload_bytes);
  cJSON_AddNumberToObject(r, "download_bytes", (double)info->download_bytes);
  if (predicted >= 0) {
    cJSON_AddNumberToObject(r, "predicted_total_ms", predicted);
  } else {
    cJSON_AddNullToObject(r, "predicted_total_ms");
  }
  if (verified) cJSON_AddBoolToObject(r, "equal_to_local", same);
  return r;
}

static int run_all(state* s, const offload_opts* o, const cli_args* a, ep_output* json) {
  int k = 0;
  bool automatic = false;
  int rc = parse_split(o, s->n, &k, &automatic);
  if (rc != CLI_EXIT_OK) return rc;
  gather_prediction(s);
  if (automatic) {
    k = s->have_prediction ? s->plan->best : s->n;
    printf("--split auto: k = %d of %d for %s%s\n", k, s->n, ep_plan_objective_name(s->objective),
           s->have_prediction ? "" : " (no prediction: everything runs here)");
  }
  printf("\n%4s %4s %-7s %9s %9s %9s %9s %9s %9s %10s %s\n", "run", "k", "where", "edge ms",
         "up ms", "server ms", "down ms", "local ms", "total ms", "predicted", "");
  cJSON* doc = json != NULL ? cJSON_CreateObject() : NULL;
  cJSON* runs = doc != NULL ? cJSON_AddArrayToObject(doc, "runs") : NULL;
  int remote = 0, equal = 0;
  double bw = s->net.uplink_bps;
  for (int r = 0; r < a->runs; r++) {
    rc = set_inputs(s);
    if (rc != CLI_EXIT_OK) break;
    ep_offload_run_info info;
    if (ep_offload_run(s->offload, k, &info) != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "offload: %s", ep_last_error());
      break;
    }
    rc = get_outputs(s, s->result);
    if (rc != CLI_EXIT_OK) break;
    bool same = o->verify && same_outputs(s);
    remote += info.remote;
    equal += same;
    double predicted = s->have_prediction ? s->plan->cuts[k].total_ms : -1;
    char pred[32] = "-";
    if (predicted >= 0) snprintf(pred, sizeof pred, "%.3f", predicted);
    printf("%4d %4d %-7s %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %10s %s%s%s\n", r + 1, k,
           info.remote ? "split" : "local", info.edge_ms, info.upload_ms, info.server_ms,
           info.download_ms, info.local_tail_ms, info.total_ms, pred,
           o->verify ? (same ? "same " : "DIFFERENT ") : "",
           info.failure != EP_NET_FAIL_NONE ? "finished here: " : "",
           info.failure != EP_NET_FAIL_NONE ? info.reason : "");
    if (runs != NULL) cJSON_AddItemToArray(runs, run_json(&info, predicted, o->verify, same));
    /* --split auto: a moving average of the bandwidth seen by requests, then plan again. */
    double transfer_s = (info.upload_ms + info.download_ms) * 1e-3 - s->net.rtt_s;
    int64_t bytes = info.upload_bytes + info.download_bytes;
    if (automatic && s->have_prediction && info.remote && bytes >= 4096 && transfer_s > 1e-4) {
      double sample = (double)bytes * 8.0 / transfer_s;
      bw = (1 - EMA_WEIGHT) * bw + EMA_WEIGHT * sample;
      s->net.uplink_bps = s->net.downlink_bps = bw;
      if (replan(s) != CLI_EXIT_OK) break;
      if (s->plan->best != k) {
        printf("     re-planned at %.4g Mbit/s (moving average): k %d -> %d\n", bw / 1e6, k,
               s->plan->best);
        k = s->plan->best;
      }
    }
  }
  if (rc == CLI_EXIT_OK) {
    printf("\n%d run%s: %d split with the server, %d finished here", a->runs,
           a->runs == 1 ? "" : "s", remote, a->runs - remote);
    if (o->verify) printf("; %d of %d equal to the local run bit for bit", equal, a->runs);
    printf(".\n");
    rc = write_outputs(s, o);
  }
  if (rc == CLI_EXIT_OK && o->verify && equal != a->runs) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "offload: %d of %d results differ from the local run",
                  a->runs - equal, a->runs);
  }
  if (doc != NULL) {
    cJSON_AddStringToObject(doc, "kind", "offload");
    cJSON_AddStringToObject(doc, "model", s->model);
    cJSON_AddStringToObject(doc, "server", o->server);
    cJSON_AddNumberToObject(doc, "nodes", s->n);
    cJSON_AddNumberToObject(doc, "remote_runs", remote);
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

int cmd_offload(int argc, char** argv) {
  offload_opts o;
  memset(&o, 0, sizeof o);
  const cli_local_opt local[] = {
      {"--server", &o.server, NULL},       {"--split", &o.split, NULL},
      {"--bandwidth", &o.bandwidth, NULL}, {"--token-file", &o.token_file, NULL},
      {"--objective", &o.objective, NULL}, {"--edge-power", &o.edge_power, NULL},
      {"--verify", NULL, &o.verify},
  };
  int rc =
      cli_local_extract_list("offload", "--input", o.inputs, &o.n_inputs, MAX_FILES, &argc, argv);
  if (rc == 0) {
    rc = cli_local_extract_list("offload", "--output", o.outputs, &o.n_outputs, MAX_FILES, &argc,
                                argv);
  }
  if (rc == 0) {
    rc = cli_local_extract("offload", local, (int)(sizeof local / sizeof local[0]), &argc, argv);
  }
  if (rc != 0) return rc;
  cli_args args;
  rc = cli_parse_command("offload", argc, argv, &args);
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
  char host[256];
  if (ep_net_parse_address(o.server, host, sizeof host, &oo.client.port) != EP_OK ||
      oo.client.port == 0) {
    return cli_fail(
        CLI_EXIT_USAGE, "offload: --server: %s",
        oo.client.port == 0 ? "port 0 is for listening; give the server's port" : ep_last_error());
  }
  oo.client.host = host;
  if (o.bandwidth != NULL && ep_parse_bitrate(o.bandwidth, &oo.client.pace_bps) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --bandwidth: %s", ep_last_error());
  }
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
  ep_power_model_default(&s.power);
  if (o.edge_power != NULL && ep_power_model_parse(o.edge_power, &s.power) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --edge-power: %s", ep_last_error());
  }
  if (o.objective != NULL && ep_plan_objective_parse(o.objective, &s.objective) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "offload: --objective: %s", ep_last_error());
  }
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
  if (s.input_values == NULL || s.reference == NULL || s.result == NULL || s.edge_ms == NULL ||
      s.server_ms == NULL || (gin > 0 && s.input_values[gin - 1] == NULL) ||
      (gout > 0 && (s.reference[gout - 1] == NULL || s.result[gout - 1] == NULL))) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "offload: out of memory");
    goto cleanup;
  }
  rc = load_inputs(&s, &o, args.seed);
  if (rc != CLI_EXIT_OK) goto cleanup;
  printf("%s: %d nodes, server %s%s%s\n", s.model, s.n, o.server,
         o.bandwidth != NULL ? ", uplink paced to " : "", o.bandwidth != NULL ? o.bandwidth : "");
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
  ep_plan_destroy(s.plan);
  ep_offload_destroy(s.offload);
  ep_session_destroy(s.session);
  if (s.graph != NULL) {
    free_tensors(s.input_values, ep_graph_input_count(s.graph));
    free_tensors(s.reference, ep_graph_output_count(s.graph));
    free_tensors(s.result, ep_graph_output_count(s.graph));
  }
  free(s.edge_ms);
  free(s.server_ms);
  ep_graph_destroy(s.graph);
  return rc;
}

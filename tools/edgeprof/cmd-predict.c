/* edgeprof predict MODEL --device FILE: every node's time and the network's, predicted from a
 * device file (docs/predict.md), without running the model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "edgeprof/predict.h"
#include "edgeprof/profile.h"

static void print_table(const char* model, const char* device_path, const ep_predict_device* d,
                        const ep_graph* g, int threads, const double* ms, double total) {
  ep_predict_device_info in;
  ep_predict_device_info_get(d, &in);
  printf("%s: predicted for %s (%s, %s), %d thread%s\n\n", model, device_path, in.cpu, in.isa,
         threads, threads == 1 ? "" : "s");
  int width = 4, op_width = 2;
  char op[64];
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    int len = (int)strlen(ep_graph_node(g, i)->name);
    int op_len = (int)strlen(ep_node_op_label(ep_graph_node(g, i), op, sizeof op));
    if (len > width) width = len > 48 ? 48 : len;
    if (op_len > op_width) op_width = op_len;
  }
  printf("%4s  %-*s  %-*s  %-8s %10s %6s\n", "#", width, "node", op_width, "op", "class", "pred ms",
         "%");
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    const ep_node* n = ep_graph_node(g, i);
    printf("%4d  %-*.*s  %-*s  %-8s %10.4f %6.2f\n", i, width, width, n->name, op_width,
           ep_node_op_label(n, op, sizeof op), ep_predict_class_name(ep_predict_node_class(g, n)),
           ms[i], total > 0 ? 100.0 * ms[i] / total : 0.0);
  }
  double by_class[EP_PREDICT_CLASS_COUNT] = {0};
  int count[EP_PREDICT_CLASS_COUNT] = {0};
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    ep_predict_class c = ep_predict_node_class(g, ep_graph_node(g, i));
    by_class[c] += ms[i];
    count[c]++;
  }
  printf("\nBy class:\n");
  for (int c = 0; c < EP_PREDICT_CLASS_COUNT; c++) {
    if (count[c] == 0) continue;
    printf("  %-8s %5d %10.3f ms %6.2f%%\n", ep_predict_class_name((ep_predict_class)c), count[c],
           by_class[c], total > 0 ? 100.0 * by_class[c] / total : 0.0);
  }
  printf("\nPredicted latency: %.3f ms (the sum of the nodes)\n", total);
}

static void json_string(FILE* f, const char* s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
  }
  fputc('"', f);
}

/* The same form as `profile --json` (model, nodes with name and avg_ms), so that `plan` reads a
 * prediction where it reads a measured profile. */
static void write_json(FILE* f, const char* model, const char* device_path,
                       const ep_predict_device* d, const ep_graph* g, int threads,
                       const double* ms, double total) {
  ep_predict_device_info in;
  ep_predict_device_info_get(d, &in);
  /* kind "profile" with "predicted": true: a profile whose node times were predicted rather
   * than measured, in the form plan's reader takes (src/plan/profile_times.c). */
  fprintf(f, "{\n  \"schema_version\": 1,\n  \"kind\": \"profile\",\n  \"predicted\": true,"
          "\n  \"model\": ");
  json_string(f, model);
  fprintf(f, ",\n  \"device_file\": ");
  json_string(f, device_path);
  fprintf(f, ",\n  \"device_cpu\": ");
  json_string(f, in.cpu);
  fprintf(f, ",\n  \"threads\": %d,\n  \"total_ms\": %.6f,\n  \"nodes\": [", threads, total);
  char op[64];
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    const ep_node* n = ep_graph_node(g, i);
    fprintf(f, "%s\n    {\"index\": %d, \"name\": ", i ? "," : "", i);
    json_string(f, n->name);
    fprintf(f, ", \"op\": \"%s\", \"class\": \"%s\", \"avg_ms\": %.6f}",
            ep_node_op_label(n, op, sizeof op),
            ep_predict_class_name(ep_predict_node_class(g, n)), ms[i]);
  }
  fprintf(f, "\n  ]\n}\n");
}

int cmd_predict(int argc, char** argv) {
  cli_args args;
  cli_args_default(&args);
  const char* device_path = NULL;
  const cli_option options[] = {
      {.name = "--device", .kind = CLI_STRING, .target = &device_path, .metavar = "FILE",
       .help = "the device file `edgeprof predict-fit` wrote (required)"},
      CLI_OPTION_THREADS(&args),
      CLI_OPTION_JSON(&args),
      CLI_OPTION_SEED(&args),
      CLI_OPTION_SHAPE(&args),
  };
  int rc = cli_parse("predict", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE, "predict: %s (usage: edgeprof predict MODEL --device FILE)",
                    args.n_positional == 0 ? "missing MODEL" : "one MODEL at a time");
  }
  if (device_path == NULL) return cli_fail(CLI_EXIT_USAGE, "predict: --device FILE is required");
  const char* model = args.positional[0];
  ep_predict_device* device = NULL;
  ep_graph* graph = NULL;
  ep_output* json = NULL;
  double* ms = NULL;
  ep_status status = ep_predict_device_load(device_path, &device);
  if (status != EP_OK) {
    /* An unreadable or malformed device file is bad input, like a bad flag. */
    bool bad_input = status == EP_ERR_IO || status == EP_ERR_FORMAT;
    return cli_fail(bad_input ? CLI_EXIT_USAGE : cli_exit_code(status), "predict: %s",
                    ep_last_error());
  }
  rc = cli_output_open("predict", args.json, &json);
  if (rc != CLI_EXIT_OK) goto cleanup;
  rc = cli_load_model("predict", model, args.seed, NULL, &graph);
  if (rc != CLI_EXIT_OK) goto cleanup;
  int n = ep_graph_node_count(graph);
  ms = calloc((size_t)n + 1, sizeof *ms);
  if (ms == NULL) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "predict: out of memory");
    goto cleanup;
  }
  status = ep_predict_graph(device, graph, args.threads, ms);
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "predict: %s: %s", model, ep_last_error());
    goto cleanup;
  }
  double total = 0.0;
  for (int i = 0; i < n; i++) total += ms[i];
  if (!cli_is_stdout(args.json)) print_table(model, device_path, device, graph, args.threads, ms, total);
  if (json != NULL) {
    write_json(ep_output_stream(json), model, device_path, device, graph, args.threads, ms, total);
    rc = cli_output_commit("predict", json);
    json = NULL;
  }

cleanup:
  cli_output_discard(json);
  free(ms);
  ep_graph_destroy(graph);
  ep_predict_device_destroy(device);
  return rc;
}

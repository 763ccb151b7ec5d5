/* edgeprof export MODEL -o FILE.onnx: a model as an ONNX file with its weights; with --from K
 * [--to N], the nodes [K, N) of the optimized graph (a split's server half) as a model of their
 * own, optionally as a Triton model-repository entry. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "edgeprof/onnx.h"

static int parse_node(const char* text, const char* flag, int n, long* out) {
  char* end = NULL;
  long v = strtol(text, &end, 10);
  if (*text == '\0' || *end != '\0' || v < 0 || v > n) {
    return cli_fail(CLI_EXIT_USAGE, "export: %s must be a node index from 0 to %d, got '%s'", flag,
                    n, text);
  }
  *out = v;
  return CLI_EXIT_OK;
}

static int make_dir(const char* path) {
  if (mkdir(path, 0755) != 0 && errno != EEXIST) {
    return cli_fail(CLI_EXIT_RUNTIME, "export: cannot make %s: %s", path, strerror(errno));
  }
  return CLI_EXIT_OK;
}

static void put_tensors(FILE* f, const char* kind, const ep_graph* g, const int* ids, int n) {
  fprintf(f, "%s [\n", kind);
  for (int i = 0; i < n; i++) {
    const ep_tensor* t = ep_graph_tensor(g, ids[i]);
    fprintf(f, "  {\n    name: \"%s\"\n    data_type: TYPE_FP32\n    dims: [ ", t->name);
    for (int d = 0; d < t->shape.rank; d++) {
      fprintf(f, d > 0 ? ", %lld" : "%lld", (long long)t->shape.dims[d]);
    }
    fprintf(f, " ]\n  }%s\n", i + 1 < n ? "," : "");
  }
  fprintf(f, "]\n");
}

/* DIR/NAME/config.pbtxt and DIR/NAME/1/model.onnx: Triton's layout, which KServe and OVMS read
 * too. max_batch_size 0: the dims are the full shapes, batch included, as the cut carries them. */
static int write_repository(const ep_graph* g, int first, int end, const char* dir,
                            const char* name) {
  char path[4096];
  int rc = make_dir(dir);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (rc == CLI_EXIT_OK) rc = make_dir(path);
  snprintf(path, sizeof path, "%s/%s/1", dir, name);
  if (rc == CLI_EXIT_OK) rc = make_dir(path);
  if (rc != CLI_EXIT_OK) return rc;
  snprintf(path, sizeof path, "%s/%s/1/model.onnx", dir, name);
  if (ep_onnx_export_range(g, first, end, name, path) != EP_OK) {
    return cli_fail(CLI_EXIT_RUNTIME, "export: %s", ep_last_error());
  }
  int n_in = ep_graph_range_inputs(g, first, end, NULL, 0);
  int n_out = ep_graph_range_outputs(g, first, end, NULL, 0);
  int* ids = malloc(sizeof(int) * (size_t)(n_in + n_out + 1));
  if (ids == NULL) return cli_fail(CLI_EXIT_RUNTIME, "export: out of memory");
  ep_graph_range_inputs(g, first, end, ids, n_in);
  ep_graph_range_outputs(g, first, end, ids + n_in, n_out);
  snprintf(path, sizeof path, "%s/%s/config.pbtxt", dir, name);
  FILE* f = fopen(path, "w");
  if (f == NULL) {
    free(ids);
    return cli_fail(CLI_EXIT_RUNTIME, "export: cannot write %s: %s", path, strerror(errno));
  }
  fprintf(f, "# Nodes [%d, %d) of %s, exported by edgeprof: the server half of a split.\n", first,
          end, ep_graph_name(g));
  fprintf(f, "name: \"%s\"\nplatform: \"onnxruntime_onnx\"\nmax_batch_size: 0\n", name);
  put_tensors(f, "input", g, ids, n_in);
  put_tensors(f, "output", g, ids + n_in, n_out);
  fprintf(f, "instance_group [ { kind: KIND_CPU } ]\n");
  free(ids);
  if (fclose(f) != 0) return cli_fail(CLI_EXIT_RUNTIME, "export: cannot write %s", path);
  printf("  Triton model repository entry: %s/%s (config.pbtxt, 1/model.onnx)\n", dir, name);
  return CLI_EXIT_OK;
}

static int export_range(const char* model, const ep_graph* g, const char* from, const char* to,
                        const char* path, const char* repository, const char* name_opt) {
  int n = ep_graph_node_count(g);
  long first = 0, end = n;
  int rc = parse_node(from, "--from", n - 1, &first);
  if (rc == CLI_EXIT_OK && to != NULL) rc = parse_node(to, "--to", n, &end);
  if (rc != CLI_EXIT_OK) return rc;
  if (end <= first) {
    return cli_fail(CLI_EXIT_USAGE, "export: --to %ld must be after --from %ld", end, first);
  }
  char name[256];
  const char* base = strrchr(model, '/') != NULL ? strrchr(model, '/') + 1 : model;
  int stem = (int)strlen(base);
  if (stem > 5 && strcmp(base + stem - 5, ".onnx") == 0) stem -= 5;
  if (name_opt != NULL) {
    snprintf(name, sizeof name, "%s", name_opt);
  } else if (end == n) {
    snprintf(name, sizeof name, "%.*s_from%ld", stem, base, first);
  } else {
    snprintf(name, sizeof name, "%.*s_from%ld_to%ld", stem, base, first, end);
  }
  if (strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != strlen(name)) {
    return cli_fail(CLI_EXIT_USAGE, "export: --name '%s': letters, digits, '_', '.' and '-' only", name);
  }
  int n_in = ep_graph_range_inputs(g, (int)first, (int)end, NULL, 0);
  int n_out = ep_graph_range_outputs(g, (int)first, (int)end, NULL, 0);
  printf("%s nodes [%ld, %ld) of %d as '%s': %d input%s, %d output%s (the tensors crossing the cuts)\n",
         model, first, end, n, name, n_in, n_in == 1 ? "" : "s", n_out, n_out == 1 ? "" : "s");
  if (path != NULL) {
    if (ep_onnx_export_range(g, (int)first, (int)end, name, path) != EP_OK) {
      return cli_fail(CLI_EXIT_RUNTIME, "export: %s", ep_last_error());
    }
    printf("  ONNX model: %s\n", path);
  }
  if (repository != NULL) rc = write_repository(g, (int)first, (int)end, repository, name);
  return rc;
}

int cmd_export(int argc, char** argv) {
  const char* path = NULL;
  const char* from = NULL;
  const char* to = NULL;
  const char* repository = NULL;
  const char* name = NULL;
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      {.name = "--output", .alias = "-o", .kind = CLI_STRING, .target = &path, .metavar = "FILE",
       .help = "the .onnx file to write (atomically)"},
      {.name = "--from", .kind = CLI_STRING, .target = &from, .metavar = "K",
       .help = "only nodes [K, N) of the optimized graph (the indices of plan and\n"
               "offload): a split's server half, whose inputs are the tensors crossing\n"
               "the cut at K and outputs those crossing the cut at N"},
      {.name = "--to", .kind = CLI_STRING, .target = &to, .metavar = "N",
       .help = "the end of the --from range (default: after the last node)"},
      {.name = "--repository", .kind = CLI_STRING, .target = &repository, .metavar = "DIR",
       .help = "with --from, also a Triton model-repository entry: DIR/NAME/config.pbtxt\n"
               "and DIR/NAME/1/model.onnx (Triton, KServe and OVMS read it)"},
      {.name = "--name", .kind = CLI_STRING, .target = &name, .metavar = "NAME",
       .help = "with --from, the model's name (default MODEL_from<K>[_to<N>], the name\n"
               "`serve --http` gives the range and `offload --server http://...` asks for)"},
      CLI_OPTION_SEED(&args),
      CLI_OPTION_SHAPE(&args),
  };
  int rc = cli_parse("export", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE, "export: %s (usage: edgeprof export MODEL -o FILE.onnx)",
                    args.n_positional == 0 ? "missing MODEL" : "one MODEL at a time");
  }
  if (from == NULL && (to != NULL || repository != NULL || name != NULL)) {
    return cli_fail(CLI_EXIT_USAGE, "export: --to, --repository and --name go with --from K");
  }
  if (path == NULL && repository == NULL) {
    return cli_fail(CLI_EXIT_USAGE, "export: missing -o FILE.onnx%s", from != NULL ? " or --repository DIR" : "");
  }
  /* Fail on a bad path before building the model. */
  if (path != NULL) {
    ep_output* probe = NULL;
    rc = cli_output_open("export", path, &probe);
    if (rc != CLI_EXIT_OK) return rc;
    cli_output_discard(probe);
  }
  const char* model = args.positional[0];
  if (from != NULL) {
    /* Node indices are the optimized graph's, as in plan, offload and serve. */
    ep_graph* optimized = NULL;
    rc = cli_load_model("export", model, args.seed, NULL, &optimized);
    if (rc == CLI_EXIT_OK) rc = export_range(model, optimized, from, to, path, repository, name);
    ep_graph_destroy(optimized);
    return rc;
  }
  ep_graph* defined = NULL;
  rc = cli_load_model("export", model, args.seed, &defined, NULL);
  if (rc != CLI_EXIT_OK) return rc;
  ep_status st = ep_onnx_export(defined, path);
  if (st != EP_OK) {
    rc = cli_fail(st == EP_ERR_UNSUPPORTED ? CLI_EXIT_USAGE : CLI_EXIT_RUNTIME, "export: %s",
                  ep_last_error());
  } else {
    struct stat sb;
    ep_graph_totals t;
    ep_graph_totals_compute(defined, &t);
    long long bytes = stat(path, &sb) == 0 ? (long long)sb.st_size : -1;
    printf("%s -> %s: %d nodes, %lld parameters, %lld bytes (ONNX opset 13)\n", model, path,
           t.nodes, (long long)t.params, bytes);
  }
  ep_graph_destroy(defined);
  return rc;
}

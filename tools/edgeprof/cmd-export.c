/* edgeprof export MODEL -o FILE.onnx: a model as an ONNX file with its weights. */
#include <stdio.h>
#include <sys/stat.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_local_opts.h"
#include "edgeprof/onnx.h"

int cmd_export(int argc, char** argv) {
  const char* path = NULL;
  const char* path_long = NULL;
  const cli_local_opt local[] = {{"-o", &path, NULL}, {"--output", &path_long, NULL}};
  int rc = cli_local_extract("export", local, 2, &argc, argv);
  if (rc != 0) return rc;
  cli_args args;
  rc = cli_parse_command("export", argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (path == NULL) path = path_long;
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE, "export: %s (usage: edgeprof export MODEL -o FILE.onnx)",
                    args.n_positional == 0 ? "missing MODEL" : "one MODEL at a time");
  }
  if (path == NULL) return cli_fail(CLI_EXIT_USAGE, "export: missing -o FILE.onnx");
  /* Fail on a bad path before building the model. */
  ep_output* probe = NULL;
  rc = cli_output_open("export", path, &probe);
  if (rc != CLI_EXIT_OK) return rc;
  cli_output_discard(probe);
  const char* model = args.positional[0];
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

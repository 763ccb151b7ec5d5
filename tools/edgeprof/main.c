/* edgeprof: characterize DNN inference on this machine. Dispatches to the command table. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    {"models", cmd_models, "list the model zoo: the five networks of the paper's Table I", "models",
     "One line per model: name, input -> output shape, parameters, MACs (multiply-accumulates;\n"
     "FLOPs = 2 x MACs) of the graph as defined, and what the network is.\n"},
    {"info", cmd_info, "show a model's nodes and cost, or the paper's Table I",
     "info MODEL [--json FILE] [--seed N] [--no-fuse]\n       edgeprof info --table1 [--json FILE]",
     "With MODEL: one row per node of the graph that runs (batch norm folded, residual adds and\n"
     "activations fused: an op reads Conv+Relu or Conv+Add+Relu; attention written out as\n"
     "MatMul, scale, mask, Softmax, MatMul is one Attention node, GELU and LayerNorm written\n"
     "out are one Gelu and one LayerNormalization node), in run order: name, op, output shape,\n"
     "parameters, MACs and output bytes; then the totals of that graph and of the graph as\n"
     "defined. --no-fuse shows the graph without fusions.\n"
     "With --table1: the paper's Table I beside the figures computed for every zoo model\n"
     "(input, output, layers, parameters, MACs, FLOPs), and one line on each difference.\n"},
    {"bench", cmd_bench, "measure a model's latency, throughput and memory",
     "bench MODEL [options]",
     "Runs the whole network at batch 1 like TFLite's benchmark tool: --warmup untimed runs,\n"
     "then timed runs until at least --runs runs AND --min-time seconds. Prints count, min,\n"
     "median, mean, p90, p99, max and standard deviation of the latency (ms), the throughput\n"
     "(inferences/s, one at a time) and memory: packed weights, activation arena, per-thread\n"
     "scratch and the process's peak resident set.\n"
     "With --energy: the machine's energy meter (RAPL package counters, a Jetson's INA3221\n"
     "VDD_IN rail, a discharging battery's fuel gauge) is read over the timed runs, and the\n"
     "joules per inference and mean power (W) are printed beside the latency; where there is\n"
     "no meter, or it is not readable (RAPL is root-only since Linux 5.10), one line says so.\n"
     "See docs/edge-devices.md.\n"
     "With --scenario singlestream: MLPerf Inference's SingleStream rules as LoadGen applies\n"
     "them: one query after the previous completes, at least --min-queries queries (64) AND\n"
     "--min-duration seconds (600); the result is the 90th-percentile early-stopping estimate\n"
     "at 99% confidence (the t - 1 slowest queries discarded, the largest of the rest), and\n"
     "VALID or INVALID (too short, too few queries) as LoadGen says it.\n"},
    {"profile", cmd_profile, "time every node of a model, and the time by op type",
     "profile MODEL [options]",
     "Like TensorFlow's benchmark_model: first the whole network is timed as bench does, then\n"
     "as many runs again with a timer around each node. Prints every node in run order (avg\n"
     "ms, %, cumulative %, MACs, GFLOP/s, output KB, and with --backend the backend that ran\n"
     "it), the time by op type (count, ms, %), and the sum of the node times beside the\n"
     "whole-network median measured without the timers.\n"
     "With --energy: the energy meter is read over the whole-network runs as for bench, and\n"
     "the mean power goes into the JSON, where `plan --objective energy` takes it as the\n"
     "edge's compute power.\n"},
    {"run", cmd_run, "one inference on given or random inputs; write the outputs",
     "run MODEL [--input FILE ...] [--output FILE ...] [options]",
     "Runs the model once (the graph as optimized) and prints each output's shape, sum and max\n"
     "|y|, and the top-5 classes of the first output when it looks like class scores ([.., C],\n"
     "C >= 10). MODEL is a zoo name or an .onnx file.\n"},
    {"export", cmd_export, "write a model, or nodes [K, N) of it, as an ONNX file with its weights",
     "export MODEL -o FILE.onnx [--seed N] [--shape NAME=DxD ...]\n"
     "       edgeprof export MODEL --from K [--to N] [-o FILE.onnx] [--repository DIR]",
     "Writes the graph as defined (batch norm not folded) as ONNX opset 13 with every weight\n"
     "inline. ONNX Runtime and other runtimes load it; edgeprof loads it back to the same graph\n"
     "(nodes, names, shapes, weights bit for bit). The zoo's LSTM is written as ONNX LSTM + "
     "Squeeze;\n"
     "Gelu, Mish and HardSwish, which opset 13 lacks, as their ONNX function bodies (they load\n"
     "back as those pieces).\n"},
    {"characterize", cmd_characterize,
     "the main job: Table I, Fig. 1, Fig. 2, op types and findings on this machine",
     "characterize [options]",
     "Measures every model (default all five) on every core set of this machine (see\n"
     "`edgeprof platform`: big, little, all, ... or all and one) and thread count (default 1,\n"
     "2, 4, 8 and powers of two up to the CPU count; each set up to max(8, its size)), workers\n"
     "pinned round-robin over the set. Then, per model: the best configuration (Fig. 1), the\n"
     "per-node and per-op-type time there, and the findings computed from the numbers.\n"
     "Writes DIR/results.json, then draws from it fig1.svg, fig2.svg, layers.svg, report.html,\n"
     "report.md and CSV files (default DIR: results/<platform id>). Progress on stderr.\n"
     "Each configuration: 1 warm-up run, then at least 20 runs and 0.5 s, fewer (never under\n"
     "3) when that would take over 5 s (--quick: see below).\n"
     "A complete run in the folder is kept: the default folder moves to the next free one\n"
     "(said on stderr), --out DIR stops with an error. Ctrl-C or SIGTERM writes what finished\n"
     "as a partial results.json and prints the command that resumes it. Noisy configurations\n"
     "(other processes' CPU time, steal, run queue, frequency, spread: docs/results.md) are\n"
     "measured again, then marked and left out of the findings.\n"},
    {"sweep", cmd_sweep, "latency against thread count on named core sets (Fig. 2)",
     "sweep MODEL [options]",
     "For each core set (default: every set of this machine, see `edgeprof platform`) and thread\n"
     "count (default 1, 2, 4, 8 and powers of two up to the CPU count), a fresh session whose\n"
     "workers are pinned round-robin over the set's CPUs. Prints a table per set: threads,\n"
     "median and p90 latency (ms), runs; a count above the set's size still runs and is marked\n"
     "oversubscribed.\n"},
    {"report", cmd_report, "put machines side by side from their results.json files",
     "report DIR... [--out DIR]",
     "Reads the results.json of each DIR (folders written by `edgeprof characterize` on\n"
     "different machines, or the files themselves; at most 8) and writes into --out (default\n"
     "results/report): fig1.svg with every machine as a series, one fig2-<platform>.svg per\n"
     "machine, layers.svg, the CSV files with a platform_id column, report.html and report.md\n"
     "with the tables side by side and the findings across machines. A machine that lacks a\n"
     "network shows a gap, not a zero. Results of an older schema version are read and\n"
     "converted; a newer or unknown one is refused with a message.\n"},
    {"plan", cmd_plan, "the best edge/server split of a model for a network and an objective",
     "plan MODEL --edge E.json --server S.json [options]",
     "E.json and S.json are `edgeprof profile MODEL --json` files measured on the edge device\n"
     "and on the server. For every cut k (nodes [0, k) on the edge, [k, n) on the server; k = 0\n"
     "all on the server, k = n all on the edge) prints the edge time, the tensors and bytes\n"
     "uploaded, upload, RTT, server and download times, the total latency and the edge energy,\n"
     "and marks the best cut. Then the partition it chose: with --cuts dag the best node set\n"
     "over the whole graph (a minimum s-t cut), with --fog a third tier between device and\n"
     "server, with --cut-dtype the crossing tensors compressed. Formulas, algorithms and\n"
     "defaults: docs/plan.md.\n"},
    {"predict-fit", cmd_predict_fit,
     "measure this machine and fit the latency predictor: a device file",
     "predict-fit --out FILE [options]",
     "Times generated single-op configurations (convolutions, grouped and depthwise, pooling,\n"
     "fully connected, element-wise, concatenation, LSTM, attention's MatMul + Softmax), each\n"
     "inside the small block it sits in in real networks so that it is fused and laid out as\n"
     "there, per thread count, for --budget; then fits one gradient-boosted tree model per op\n"
     "class on each node's features (FLOPs, bytes, kernel, stride, channels, groups, plane,\n"
     "fused activation and residual, layout) and writes the device file. docs/predict.md.\n"},
    {"predict", cmd_predict, "predict a model's latency on a device from its device file",
     "predict MODEL --device FILE [options]",
     "Predicts every node of the graph that runs (batch norm folded, activations and residual\n"
     "adds fused) and the network as their sum, from a `predict-fit` device file, without\n"
     "running the model: a table (node, op, class, ms, %), the time by class and the total.\n"
     "--json writes the prediction in the form of `profile --json`, which `plan` reads.\n"},
    {"serve", cmd_serve, "serve the server side of split inference over TCP",
     "serve [FILE.onnx | NAME=FILE.onnx ...] [options]",
     "Serves nodes [k, n) of zoo models (by name and seed) and of the listed ONNX files (by the\n"
     "SHA-256 of their bytes) to `edgeprof offload` clients, with the protocol of\n"
     "docs/protocol.md, and with --http the same models over the KServe v2 protocol (Triton's,\n"
     "KServe's, tritonclient's) to any v2 client. Each model is loaded and compiled once and its\n"
     "sessions are reused, within --model-memory; only clients past the token check may make\n"
     "it load a model. SIGINT or SIGTERM drains: idle clients get ERROR SHUTDOWN, requests in\n"
     "flight finish.\n"},
    {"offload", cmd_offload, "run a model split between this machine and a server",
     "offload MODEL --server HOST:PORT|http(s)://HOST:PORT[/v2/models/NAME] [options]",
     "Runs nodes [0, k) here, sends the tensors crossing the cut, and the server runs [k, n).\n"
     "Prints per run the edge, upload, server, download (RTT included) and total times beside\n"
     "the planner's prediction (from a quick profile here, the server's profile and a measured\n"
     "link). If the server is unreachable, busy, times out or drops the connection, the rest\n"
     "runs here and the row says why: no request is lost. An http(s):// server is any KServe v2\n"
     "server (edgeprof serve --http, Triton, KServe, MLServer, OVMS) hosting nodes [k, n) as a\n"
     "model of its own (`edgeprof export --from K`): no server profile, so no prediction.\n"},
    {"platform", cmd_platform, "this machine: CPU, ISA levels, cores, caches, FP32 peak, bandwidth",
     "platform [--json FILE]",
     "Prints the CPU model, the ISA levels the kernels can use and the one in use (EDGEPROF_ISA=\n"
     "scalar|avx2|avx512 lowers it), the cores online and allowed, the caches of CPU 0, and two\n"
     "measurements on one core: the FP32 multiply-add peak of each ISA level (about 0.2 s each)\n"
     "and the read bandwidth of a 256 MiB buffer (about 0.3 s). Reports compare layers with the\n"
     "peak of the level in use. Also says whether sessions keep chains of convolutions in the\n"
     "blocked layout NCHW8c (EDGEPROF_LAYOUT=nchw turns it off; on neon it is off unless\n"
     "EDGEPROF_LAYOUT=auto or blocked).\n"},
};

#define N_COMMANDS (int)(sizeof commands / sizeof commands[0])

const cli_command* cli_find_command(const char* name) {
  for (int i = 0; i < N_COMMANDS; i++) {
    if (strcmp(commands[i].name, name) == 0) return &commands[i];
  }
  return NULL;
}

static void print_overview(FILE* out) {
  fprintf(out,
          "edgeprof %s: characterize DNN inference on this machine (batch 1, CPU)\n\n"
          "Usage: edgeprof COMMAND [options]\n\nCommands:\n",
          EP_CLI_VERSION);
  for (int i = 0; i < N_COMMANDS; i++) {
    fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].summary);
  }
  fprintf(out,
          "  %-13s show a command's help (also: edgeprof COMMAND --help)\n\n"
          "Examples:\n"
          "  edgeprof models\n"
          "  edgeprof bench resnet50 --threads 2 --json bench.json\n"
          "  edgeprof profile mobilenet_v1\n"
          "  edgeprof characterize --quick\n\n"
          "Options: --help, --version. Exit status: 0 success, 1 runtime failure, 2 bad input.\n",
          "help COMMAND");
}

typedef struct global_flag {
  const char* name;
  int (*run)(void);
} global_flag;

static int show_overview(void) {
  print_overview(stdout);
  return CLI_EXIT_OK;
}

static int show_version(void) {
  printf("edgeprof %s\n", EP_CLI_VERSION);
  return CLI_EXIT_OK;
}

static const global_flag global_flags[] = {
    {"--help", show_overview}, {"-h", show_overview}, {"--version", show_version},
};

static int help(int argc, char** argv) {
  if (argc < 2) return show_overview();
  if (argc > 2) return cli_fail(CLI_EXIT_USAGE, "help: one command at a time");
  const cli_command* c = cli_find_command(argv[1]);
  if (c == NULL) {
    return cli_fail(CLI_EXIT_USAGE, "help: unknown command '%s' (see 'edgeprof --help')",
                    argv[1]);
  }
  /* The command prints its own help: from the option table its parser uses. */
  char* help_argv[] = {(char*)c->name, (char*)"--help", NULL};
  return c->run(2, help_argv);
}

int main(int argc, char** argv) {
  if (argc < 2) return cli_fail(CLI_EXIT_USAGE, "no command given (see 'edgeprof --help')");
  const char* name = argv[1];
  for (size_t i = 0; i < sizeof global_flags / sizeof global_flags[0]; i++) {
    if (strcmp(global_flags[i].name, name) == 0) {
      if (argc > 2) return cli_fail(CLI_EXIT_USAGE, "%s takes no arguments", name);
      return global_flags[i].run();
    }
  }
  if (strcmp(name, "help") == 0) return help(argc - 1, argv + 1);
  const cli_command* c = cli_find_command(name);
  if (c == NULL) {
    if (name[0] == '-') {
      return cli_fail(CLI_EXIT_USAGE, "unknown option '%s' (see 'edgeprof --help')", name);
    }
    return cli_fail(CLI_EXIT_USAGE, "unknown command '%s' (see 'edgeprof --help')", name);
  }
  return c->run(argc - 1, argv + 1);
}

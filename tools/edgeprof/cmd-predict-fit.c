/* edgeprof predict-fit: measure this machine on generated configurations and fit the latency
 * predictor's per-op-class models into a device file (docs/predict.md). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "edgeprof/predict.h"
#include "edgeprof/sweep.h"

#define DEFAULT_BUDGET_S 300.0
#define QUICK_BUDGET_S 8.0
#define QUICK_RUNS 3

typedef struct fit_progress {
  double last;
} fit_progress;

static void on_progress(void* user, int configs, int samples, double elapsed) {
  fit_progress* p = user;
  if (elapsed - p->last < 2.0) return;
  p->last = elapsed;
  fprintf(stderr, "[predict-fit] %d configurations, %d node timings, %.0f s\n", configs, samples,
          elapsed);
}

static void print_fit(const ep_predict_device* d, const char* path) {
  ep_predict_device_info in;
  ep_predict_device_info_get(d, &in);
  printf("%s: %d configurations, %d node timings in %.1f s on %s (%s, layout %s, %s)\n\n", path,
         in.configs, in.samples, in.fit_seconds, in.cpu, in.isa, in.layout,
         in.cpus[0] ? in.cpus : "not pinned");
  printf("%-9s", "class");
  for (int t = 0; t < in.n_threads; t++) printf("  %4d thr: samples  fit err", in.threads[t]);
  printf("\n");
  for (int c = 0; c < EP_PREDICT_CLASS_COUNT; c++) {
    if (c == EP_PREDICT_VIEW) continue;
    printf("%-9s", ep_predict_class_name((ep_predict_class)c));
    for (int t = 0; t < in.n_threads; t++) {
      ep_predict_class_fit fit;
      if (ep_predict_device_class_fit(d, in.threads[t], (ep_predict_class)c, &fit) == EP_OK &&
          fit.samples > 0) {
        printf("  %18d %7.1f%%", fit.samples, 100.0 * fit.train_median_error);
      } else {
        printf("  %18s %8s", "-", "-");
      }
    }
    printf("\n");
  }
  printf("\n(fit err: median |predicted / measured - 1| over the configurations measured; the\n"
         "accuracy on whole networks is what bench/predict_accuracy.sh measures)\n");
}

int cmd_predict_fit(int argc, char** argv) {
  cli_args args;
  cli_args_default(&args);
  const char* out = NULL;
  const char* threads_text = "1,2";
  double budget = DEFAULT_BUDGET_S;
  bool budget_given = false, runs_given = false;
  int runs = 7;
  const cli_option options[] = {
      {.name = "--out", .alias = "-o", .kind = CLI_STRING, .target = &out, .metavar = "FILE",
       .help = "the device file to write (JSON, written atomically)"},
      {.name = "--threads", .kind = CLI_STRING, .target = &threads_text, .metavar = "LIST",
       .help = "thread counts to fit, one model set each (default 1,2)"},
      CLI_OPTION_CPUS(&args),
      {.name = "--budget", .kind = CLI_DURATION, .target = &budget, .min = 0.5, .max = 86400,
       .metavar = "TIME", .given = &budget_given,
       .help = "time measuring, all thread counts together (default 300s; 90s, 10m)"},
      {.name = "--runs", .kind = CLI_INT, .target = &runs, .min = 1, .max = 1000, .metavar = "N",
       .given = &runs_given,
       .help = "timed runs per configuration, the fastest kept per node (default 7)"},
      {.name = "--quick", .kind = CLI_FLAG, .target = &args.quick,
       .help = "a quick fit for tests: --budget 8s --runs 3 unless given"},
      CLI_OPTION_SEED(&args),
  };
  int rc = cli_parse("predict-fit", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional != 0) {
    return cli_fail(CLI_EXIT_USAGE, "predict-fit: takes no MODEL (usage: edgeprof predict-fit "
                    "--out FILE [options])");
  }
  if (out == NULL) return cli_fail(CLI_EXIT_USAGE, "predict-fit: --out FILE is required");
  if (args.quick) {
    if (!budget_given) budget = QUICK_BUDGET_S;
    if (!runs_given) runs = QUICK_RUNS;
  }
  int threads[EP_SWEEP_MAX_THREADS], n_threads = 0;
  if (ep_thread_list_parse(threads_text, threads, &n_threads) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "predict-fit: --threads: %s", ep_last_error());
  }
  if (n_threads > EP_PREDICT_MAX_THREAD_COUNTS) {
    return cli_fail(CLI_EXIT_USAGE, "predict-fit: --threads: at most %d thread counts",
                    EP_PREDICT_MAX_THREAD_COUNTS);
  }
  static int cpus[EP_MAX_CPUS];
  int n_cpus = 0;
  rc = cli_resolve_cpus("predict-fit", args.cpus, cpus, &n_cpus);
  if (rc != CLI_EXIT_OK) return rc;

  ep_output* file = NULL;
  ep_predict_device* device = NULL;
  rc = cli_output_open("predict-fit", out, &file);
  if (rc != CLI_EXIT_OK) return rc;
  fit_progress progress = {0.0};
  ep_predict_fit_options fo = {threads,  n_threads, n_cpus > 0 ? cpus : NULL, n_cpus, budget,
                               runs,     args.seed, on_progress,              &progress};
  ep_status status = ep_predict_fit(&fo, &device);
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "predict-fit: %s", ep_last_error());
    goto cleanup;
  }
  status = ep_predict_device_write(device, ep_output_stream(file));
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "predict-fit: %s", ep_last_error());
    goto cleanup;
  }
  rc = cli_output_commit("predict-fit", file);
  file = NULL;
  if (rc == CLI_EXIT_OK && !cli_is_stdout(out)) print_fit(device, out);

cleanup:
  cli_output_discard(file);
  ep_predict_device_destroy(device);
  return rc;
}

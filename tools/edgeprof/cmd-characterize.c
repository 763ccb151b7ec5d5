/* edgeprof characterize: the main job. Measures every zoo model on every core set and thread
 * count, writes results.json, then draws every chart and report from that file. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_energy.h"
#include "cli_options.h"
#include "cli_results.h"
#include "edgeprof/characterize.h"
#include "edgeprof/zoo.h"

#define MAX_MODELS 32

/* A terminal gets one line redrawn in place; a pipe or file gets every line. */
typedef struct progress_out {
  bool tty;
  bool open; /* a redrawn line is on the screen */
} progress_out;

static void on_progress(void* user, const char* line) {
  progress_out* p = user;
  if (p->tty) {
    fprintf(stderr, "\r\033[K%.*s", 150, line); /* clipped: a wrapped line cannot be redrawn */
    p->open = true;
  } else {
    fprintf(stderr, "%s\n", line);
  }
  fflush(stderr);
}

static void progress_end(progress_out* p) {
  if (p->open) fputc('\n', stderr);
  p->open = false;
}

/* The first SIGINT or SIGTERM asks the job to stop and write what finished; the handlers
 * before ours (which remove temporary files and end the process) take a second one. */
static volatile sig_atomic_t stop_signal;
static struct sigaction previous_int, previous_term;

static void on_stop_signal(int sig) {
  stop_signal = sig;
  sigaction(SIGINT, &previous_int, NULL);
  sigaction(SIGTERM, &previous_term, NULL);
}

static void catch_stop_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &previous_int);
  sigaction(SIGTERM, &sa, &previous_term);
}

static bool file_exists(const char* path) {
  struct stat st;
  return stat(path, &st) == 0;
}

/* The state of DIR/results.json: absent, partial or complete (anything unreadable counts as
 * complete: never replaced without --force). */
typedef enum previous_run { PREVIOUS_NONE, PREVIOUS_PARTIAL, PREVIOUS_COMPLETE } previous_run;

static previous_run previous_state(const char* json_path, ep_results** loaded_out) {
  *loaded_out = NULL;
  if (!file_exists(json_path)) return PREVIOUS_NONE;
  ep_results* r = NULL;
  if (ep_results_load(json_path, &r) != EP_OK) return PREVIOUS_COMPLETE;
  *loaded_out = r;
  return r->partial ? PREVIOUS_PARTIAL : PREVIOUS_COMPLETE;
}

typedef struct resume_check {
  const char* previous_path;
} resume_check;

static ep_status check_resumable(void* user, const struct ep_characterize_result* result) {
  resume_check* c = user;
  if (c->previous_path == NULL) return EP_OK;
  return ep_report_characterize_resumable(result, c->previous_path);
}

/* The command line again, with --resume, for the message of an interrupted run. */
/* One word as a shell reads it back: quoted when it holds anything but plain characters. */
static void put_shell_word(const char* word) {
  bool plain = *word != '\0';
  for (const char* p = word; plain && *p; p++) {
    plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./=,:@%+-",
                   *p) != NULL;
  }
  if (plain) {
    fprintf(stderr, " %s", word);
    return;
  }
  fputs(" '", stderr);
  for (const char* p = word; *p; p++) {
    if (*p == '\'') {
      fputs("'\\''", stderr);
    } else {
      fputc(*p, stderr);
    }
  }
  fputc('\'', stderr);
}

static void print_resume_hint(int argc, char** argv, const char* dir, bool out_given) {
  fprintf(stderr, "[characterize] resume with: edgeprof characterize");
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--resume") == 0 || strcmp(argv[i], "--force") == 0) continue;
    put_shell_word(argv[i]);
  }
  if (!out_given) {
    fputs(" --out", stderr);
    put_shell_word(dir);
  }
  fprintf(stderr, " --resume\n");
}

/* --models words (zoo names, paper, modern, all) -> zoo names, each once. */
static int select_models(const char** items, int n_items, const char** names, int* n_out) {
  if (ep_zoo_select(items, n_items, names, MAX_MODELS, n_out) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "characterize: --models: %s", ep_last_error());
  }
  return CLI_EXIT_OK;
}

/* The Fig. 1 data as a table on stdout. */
static void print_best(const ep_results* r) {
  printf("Best configuration of each network on %s (median and p90 of the latency, batch 1):\n",
         r->platform_id);
  if (r->latency_p90_estimate) {
    printf("(best by MLPerf's p90 early-stopping estimate at 99%% confidence: --latency p90est)\n");
  }
  printf("  %-14s %10s %10s %10s  %-8s %-10s %s\n", "network", "median ms", "p90 ms",
         "p90est ms", "backend", "core set", "threads");
  for (int i = 0; i < r->n_models; i++) {
    const ep_results_measurement* b = ep_results_best(&r->models[i], NULL);
    if (b == NULL) continue;
    char estimate[32] = "-";
    if (b->p90_estimate_ms > 0.0) snprintf(estimate, sizeof estimate, "%.3f", b->p90_estimate_ms);
    printf("  %-14s %10.3f %10.3f %10s  %-8s %-10s %d%s%s\n", r->models[i].name,
           b->stats.median, b->stats.p90, estimate, b->backend, b->core_set, b->threads,
           b->oversubscribed ? " (oversubscribed)" : "", b->noisy ? "  noisy" : "");
  }
  if (r->energy_meter[0] != '\0') {
    printf("\nEnergy at the best configuration of each core set (%s, %s):\n",
           r->energy_description, r->energy_scope);
    printf("  %-14s %-10s %7s %12s %10s\n", "network", "core set", "threads", "mJ/inference",
           "mean W");
    for (int i = 0; i < r->n_models; i++) {
      for (int k = 0; k < r->models[i].n_energy; k++) {
        const ep_results_energy* e = &r->models[i].energy[k];
        printf("  %-14s %-10s %7d %12.3f %10.2f%s\n", r->models[i].name, e->core_set, e->threads,
               e->joules_per_inference * 1e3, e->mean_power_w,
               e->short_window ? "  (short window)" : "");
      }
    }
  } else if (r->energy_note[0] != '\0') {
    printf("\nenergy: no meter here (%s)\n", r->energy_note);
  }
  printf("\nFindings:\n");
}

static int check_label(const char* label) {
  if (label == NULL) return CLI_EXIT_OK;
  size_t n = strlen(label);
  bool ok = n > 0 && n < 48;
  for (size_t i = 0; ok && i < n; i++) {
    char c = label[i];
    ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.';
  }
  if (!ok) {
    return cli_fail(CLI_EXIT_USAGE, "characterize: --label '%s': use 1 to 47 letters, digits, "
                    "'-', '_' or '.' (it names the default folder)", label);
  }
  return CLI_EXIT_OK;
}

/* The --quick help says what --quick does: from the library's own defaults, so it cannot
 * drift (it said 5 runs / 0.1 s where --quick was 3 runs / 0.05 s). */
static const char* quick_help(char* buf, size_t size) {
  ep_characterize_options full, quick;
  ep_characterize_options_default(&full, false);
  ep_characterize_options_default(&quick, true);
  snprintf(buf, size,
           "fewer runs per configuration for a first look: at least %d runs and %g s,\n"
           "at most %g s (default: %d runs, %g s, at most %g s)",
           quick.measure.min_runs, quick.measure.min_seconds, quick.measure.budget_seconds,
           full.measure.min_runs, full.measure.min_seconds, full.measure.budget_seconds);
  return buf;
}

int cmd_characterize(int argc, char** argv) {
  const char* threads_text = NULL;
  const char* sets_text = NULL;
  const char* label = NULL;
  const char* latency = NULL;
  int remeasure = 2;
  bool force = false, resume = false;
  const char* specs[CLI_MAX_CORE_SET_SPECS];
  int n_specs = 0;
  char quick_text[256];
  cli_args args;
  cli_args_default(&args);
  const cli_option flags[] = {
      {.name = "--quick", .kind = CLI_FLAG, .target = &args.quick,
       .help = quick_help(quick_text, sizeof quick_text)},
      {.name = "--out", .kind = CLI_STRING, .target = &args.out, .metavar = "DIR",
       .help = "output folder (default results/<platform id>)"},
      {.name = "--models", .kind = CLI_STRING, .target = &args.models, .metavar = "LIST",
       .help = "zoo models, comma-separated: names and the sets paper (the\n"
               "paper's five, the default), modern (bert_base, vit_b16,\n"
               "mobilenet_v3) and all, e.g. paper,bert_base"},
      {.name = "--core-sets", .kind = CLI_STRING, .target = &sets_text, .metavar = "LIST",
       .help = "measure only these core sets (default: every set)"},
      {.name = "--core-set", .kind = CLI_LIST, .target = specs, .count = &n_specs,
       .max_count = CLI_MAX_CORE_SET_SPECS, .metavar = "NAME=LIST",
       .help = "add or replace a set, e.g. fast=2-3 (repeatable)"},
      {.name = "--threads", .kind = CLI_STRING, .target = &threads_text, .metavar = "LIST",
       .help = "thread counts, e.g. 1,2,4,8: every count on every set"},
      {.name = "--cpus", .kind = CLI_STRING, .target = &args.cpus, .metavar = "LIST",
       .help = "only these CPUs (the sets are formed within them)"},
      {.name = "--backend", .kind = CLI_STRING, .target = &args.backend, .metavar = "LIST",
       .help = "backends to measure, one more axis, e.g. cpu,onednn (default cpu)"},
      CLI_OPTION_SEED(&args),
      {.name = "--label", .kind = CLI_STRING, .target = &label, .metavar = "NAME",
       .help = "names the run in results.json and reports (letters, digits, - _ .);\n"
               "the default folder becomes results/<platform id>-NAME"},
      {.name = "--remeasure", .kind = CLI_INT, .target = &remeasure, .min = 0, .max = 10,
       .metavar = "N",
       .help = "rounds of measuring noisy configurations again (default 2; 0: never)"},
      {.name = "--latency", .kind = CLI_STRING, .target = &latency, .metavar = "FIGURE",
       .help = "the latency figure that picks the best configuration and that the\n"
               "findings compare: median (default) or p90est, MLPerf's 90th-percentile\n"
               "early-stopping estimate (99% confidence; at least 64 runs each, no budget)"},
      {.name = "--force", .kind = CLI_FLAG, .target = &force,
       .help = "replace a complete or interrupted run in the folder"},
      {.name = "--resume", .kind = CLI_FLAG, .target = &resume,
       .help = "complete the interrupted (partial) run in the folder: the same flags\n"
               "as that run, plus this"},
  };
  int rc = cli_parse("characterize", flags, CLI_COUNT(flags), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  rc = check_label(label);
  if (rc != CLI_EXIT_OK) return rc;
  if (latency != NULL && strcmp(latency, "median") != 0 && strcmp(latency, "p90est") != 0) {
    return cli_fail(CLI_EXIT_USAGE, "characterize: --latency '%s': expected median or p90est",
                    latency);
  }
  if (force && resume) {
    return cli_fail(CLI_EXIT_USAGE, "characterize: --force and --resume exclude each other "
                    "(--force starts over, --resume completes)");
  }
  if (args.n_positional > 0) {
    return cli_fail(CLI_EXIT_USAGE, "characterize: unexpected argument '%s'", args.positional[0]);
  }
  char models_text[1024], sets_buf[1024], backends_buf[256];
  const char* items[MAX_MODELS];
  const char* names[MAX_MODELS];
  const char* backend_names[EP_CHARACTERIZE_MAX_BACKENDS];
  int n_backends = 0;
  const char* set_names[EP_TOPOLOGY_MAX_SETS];
  int n_names = 0, n_set_names = 0, n_threads = 0;
  int threads[EP_SWEEP_MAX_THREADS];
  if (args.models != NULL) {
    snprintf(models_text, sizeof models_text, "%s", args.models);
    int n_items = 0;
    rc = cli_split_names("characterize", "--models", models_text, items, MAX_MODELS, &n_items);
    if (rc == CLI_EXIT_OK) rc = select_models(items, n_items, names, &n_names);
    if (rc != CLI_EXIT_OK) return rc;
  }
  if (sets_text != NULL) {
    snprintf(sets_buf, sizeof sets_buf, "%s", sets_text);
    rc = cli_split_names("characterize", "--core-sets", sets_buf, set_names,
                         EP_TOPOLOGY_MAX_SETS, &n_set_names);
    if (rc != CLI_EXIT_OK) return rc;
  }
  if (args.backend != NULL) {
    rc = cli_check_backends("characterize", args.backend, true);
    if (rc != CLI_EXIT_OK) return rc;
    snprintf(backends_buf, sizeof backends_buf, "%s", args.backend);
    rc = cli_split_names("characterize", "--backend", backends_buf, backend_names,
                         EP_CHARACTERIZE_MAX_BACKENDS, &n_backends);
    if (rc != CLI_EXIT_OK) return rc;
  }
  if (threads_text != NULL && ep_thread_list_parse(threads_text, threads, &n_threads) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "characterize: --threads: %s", ep_last_error());
  }
  ep_topology* topology = NULL;
  rc = cli_topology("characterize", args.cpus, specs, n_specs, &topology);
  if (rc != CLI_EXIT_OK) return rc;
  for (int i = 0; i < n_set_names; i++) {
    if (ep_topology_find(topology, set_names[i]) == NULL) {
      char known[512] = "";
      for (int k = 0; k < topology->n_sets; k++) {
        if (k) strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, topology->sets[k].name, sizeof known - strlen(known) - 1);
      }
      ep_topology_destroy(topology);
      return cli_fail(CLI_EXIT_USAGE,
                      "characterize: --core-sets: unknown core set '%s' (this machine has: %s; "
                      "--core-set NAME=LIST defines one)", set_names[i], known);
    }
  }

  /* The folder and results.json first, so that a bad path fails before minutes of work. */
  char dir[1024], json_path[1100];
  if (args.out != NULL) {
    snprintf(dir, sizeof dir, "%s", args.out);
  } else {
    char host[256], id[128];
    ep_cpu_info cpu;
    ep_host_name(host, sizeof host);
    ep_cpu_info_get(&cpu);
    snprintf(dir, sizeof dir, "results/%s%s%s", ep_platform_id(host, cpu.model, id, sizeof id),
             label != NULL ? "-" : "", label != NULL ? label : "");
  }
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0';
  ep_output* json = NULL;
  cli_energy energy;
  memset(&energy, 0, sizeof energy);
  ep_characterize_result* result = NULL;
  ep_results* loaded = NULL;
  ep_results* previous = NULL;
  const char* skip[MAX_MODELS];
  int n_skip = 0;
  char previous_path[1100] = "";
  snprintf(json_path, sizeof json_path, "%s/results.json", dir);
  /* What is there already: a complete run is never replaced without --force, a partial one is
   * completed with --resume. */
  previous_run state = previous_state(json_path, &previous);
  if (resume && state != PREVIOUS_PARTIAL) {
    rc = cli_fail(CLI_EXIT_USAGE, "characterize: --resume: %s %s", json_path,
                  state == PREVIOUS_NONE ? "does not exist: nothing to resume"
                                         : "is a complete run: nothing to resume");
    goto cleanup;
  }
  if (state == PREVIOUS_PARTIAL && !resume && !force) {
    rc = cli_fail(CLI_EXIT_USAGE, "characterize: %s holds an interrupted run: --resume completes "
                  "it, --force starts over", json_path);
    goto cleanup;
  }
  if (state == PREVIOUS_COMPLETE && !force) {
    if (args.out != NULL) {
      rc = cli_fail(CLI_EXIT_USAGE, "characterize: %s holds a complete run: --force replaces "
                    "it, or choose another --out (or a --label)", json_path);
      goto cleanup;
    }
    /* The default folder is taken: the next free one, said aloud. */
    char base[1024];
    snprintf(base, sizeof base, "%s", dir);
    for (int k = 2; k < 1000; k++) {
      snprintf(dir, sizeof dir, "%.1000s-%d", base, k);
      snprintf(json_path, sizeof json_path, "%s/results.json", dir);
      if (!file_exists(json_path)) break;
    }
    fprintf(stderr, "[characterize] %s/results.json holds a complete run (use --force to replace "
            "it): writing to %s instead\n", base, dir);
  }
  if (resume) {
    snprintf(previous_path, sizeof previous_path, "%s", json_path);
    for (int i = 0; i < previous->n_models && n_skip < MAX_MODELS; i++) {
      if (previous->models[i].complete) skip[n_skip++] = previous->models[i].name;
    }
    fprintf(stderr, "[characterize] resuming %s: %d model%s done, measuring the rest\n",
            json_path, n_skip, n_skip == 1 ? "" : "s");
  }
  if (ep_make_dirs(dir) != EP_OK) {
    rc = cli_fail(CLI_EXIT_USAGE, "characterize: %s", ep_last_error());
    goto cleanup;
  }
  rc = cli_output_open("characterize", json_path, &json);
  if (rc != CLI_EXIT_OK) goto cleanup;

  ep_characterize_options options;
  ep_characterize_options_default(&options, args.quick);
  options.models = args.models != NULL ? names : NULL;
  options.n_models = n_names;
  options.seed = args.seed;
  options.topology = topology;
  options.core_sets = n_set_names > 0 ? set_names : NULL;
  options.n_core_sets = n_set_names;
  options.threads = n_threads > 0 ? threads : NULL;
  options.n_threads = n_threads;
  options.backends = n_backends > 0 ? backend_names : NULL;
  options.n_backends = n_backends;
  progress_out progress = {isatty(STDERR_FILENO) == 1, false};
  options.progress = on_progress;
  options.user = &progress;
  options.stop = &stop_signal;
  options.label = label;
  options.remeasure_rounds = remeasure;
  options.latency_p90_estimate = latency != NULL && strcmp(latency, "p90est") == 0;
  options.skip_models = n_skip > 0 ? skip : NULL;
  options.n_skip_models = n_skip;
  options.elapsed_before = resume ? previous->elapsed_seconds : 0.0;
  resume_check check = {resume ? previous_path : NULL};
  options.before_measuring = check_resumable;
  options.before_measuring_user = &check;
  /* Energy where the machine has a meter: at each model's best configuration per core set. */
  cli_energy_open(true, &energy);
  options.energy_meter = energy.meter;
  options.energy_note = energy.why;
  if (energy.meter != NULL) {
    fprintf(stderr, "[characterize] energy: %s\n", ep_energy_meter_description(energy.meter));
  } else {
    fprintf(stderr, "[characterize] energy: no meter here (%s)\n", energy.why);
  }
  fprintf(stderr, "[characterize] %s: core sets", dir);
  for (int i = 0; i < topology->n_sets; i++) {
    char list[256];
    fprintf(stderr, " %s=%s", topology->sets[i].name,
            ep_cpulist_format(topology->sets[i].cpus, topology->sets[i].n_cpus, list,
                              sizeof list));
  }
  fprintf(stderr, "%s\n", args.quick ? " (--quick)" : "");
  catch_stop_signals();
  ep_status status = ep_characterize_run(&options, &result);
  progress_end(&progress);
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "characterize: %s", ep_last_error());
    goto cleanup;
  }
  status = resume ? ep_report_characterize_json_resumed(result, previous_path,
                                                       ep_output_stream(json))
                  : ep_report_characterize_json(result, ep_output_stream(json));
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "characterize: %s", ep_last_error());
    goto cleanup;
  }
  rc = cli_output_commit("characterize", json);
  json = NULL;
  if (rc != CLI_EXIT_OK) goto cleanup;
  if (result->partial) {
    /* Stopped by a signal: what finished is on disk; say so and how to go on, then end as the
     * signal would have ended us (130 for SIGINT, 143 for SIGTERM). */
    int complete = 0;
    for (int i = 0; i < result->n_models; i++) complete += result->models[i].complete;
    fprintf(stderr, "[characterize] stopped by %s: %s written as a partial run (%d model%s "
            "finished in this run%s)\n", stop_signal == SIGTERM ? "SIGTERM" : "SIGINT",
            json_path, complete, complete == 1 ? "" : "s",
            resume ? ", besides those of the run resumed" : "");
    print_resume_hint(argc, argv, dir, args.out != NULL);
    rc = 128 + (stop_signal != 0 ? (int)stop_signal : SIGINT);
    goto cleanup;
  }

  /* Everything else is drawn from the file just written. */
  status = ep_results_load(json_path, &loaded);
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "characterize: %s", ep_last_error());
    goto cleanup;
  }
  const ep_results* machines[1] = {loaded};
  rc = cli_write_reports("characterize", dir, machines, 1);
  if (rc != CLI_EXIT_OK) goto cleanup;
  fflush(stderr);
  print_best(loaded);
  cli_print_findings(machines, 1);
  printf("\nResults: %s\nReport:  %s/report.html (and report.md, fig1.svg, fig2.svg, layers.svg, "
         "*.csv)\nTime:    %.1f s\n", json_path, dir, result->elapsed_seconds);

cleanup:
  ep_results_destroy(previous);
  cli_energy_close(&energy);
  cli_output_discard(json);
  ep_results_destroy(loaded);
  ep_characterize_result_destroy(result);
  ep_topology_destroy(topology);
  return rc;
}

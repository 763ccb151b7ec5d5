/* edgeprof characterize: the main job. Measures every zoo model on every core set and thread
 * count, writes results.json, then draws every chart and report from that file. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_energy.h"
#include "cli_local_opts.h"
#include "cli_results.h"
#include "edgeprof/characterize.h"
#include "edgeprof/zoo.h"

#define MAX_MODELS 32

static void on_progress(void* user, const char* line) {
  (void)user;
  fprintf(stderr, "%s\n", line);
}

static int check_models(const char** names, int n) {
  for (int i = 0; i < n; i++) {
    if (ep_zoo_find(names[i]) != NULL) continue;
    char known[256] = "";
    for (int k = 0; k < ep_zoo_count(); k++) {
      if (k) strncat(known, ", ", sizeof known - strlen(known) - 1);
      strncat(known, ep_zoo_entry_at(k)->name, sizeof known - strlen(known) - 1);
    }
    return cli_fail(CLI_EXIT_USAGE, "characterize: unknown model '%s' (known: %s)", names[i],
                    known);
  }
  return CLI_EXIT_OK;
}

/* The Fig. 1 data as a table on stdout. */
static void print_best(const ep_results* r) {
  printf("Best configuration of each network on %s (median and p90 of the latency, batch 1):\n",
         r->platform_id);
  printf("  %-14s %10s %10s  %-8s %-10s %s\n", "network", "median ms", "p90 ms", "backend",
         "core set", "threads");
  for (int i = 0; i < r->n_models; i++) {
    const ep_results_measurement* b = ep_results_best(&r->models[i], NULL);
    if (b == NULL) continue;
    printf("  %-14s %10.3f %10.3f  %-8s %-10s %d%s\n", r->models[i].name, b->stats.median,
           b->stats.p90, b->backend, b->core_set, b->threads,
           b->oversubscribed ? " (oversubscribed)" : "");
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

int cmd_characterize(int argc, char** argv) {
  const char* threads_text = NULL;
  const char* sets_text = NULL;
  const char* specs[CLI_MAX_CORE_SET_SPECS];
  int n_specs = 0;
  const cli_local_opt local[] = {{"--threads", &threads_text, NULL},
                                 {"--core-sets", &sets_text, NULL}};
  int rc = cli_local_extract_list("characterize", "--core-set", specs, &n_specs,
                                  CLI_MAX_CORE_SET_SPECS, &argc, argv);
  if (rc == 0) rc = cli_local_extract("characterize", local, 2, &argc, argv);
  if (rc != 0) return rc;
  cli_args args;
  rc = cli_parse_command("characterize", argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional > 0) {
    return cli_fail(CLI_EXIT_USAGE, "characterize: unexpected argument '%s'", args.positional[0]);
  }
  char models_text[1024], sets_buf[1024], backends_buf[256];
  const char* names[MAX_MODELS];
  const char* backend_names[EP_CHARACTERIZE_MAX_BACKENDS];
  int n_backends = 0;
  const char* set_names[EP_TOPOLOGY_MAX_SETS];
  int n_names = 0, n_set_names = 0, n_threads = 0;
  int threads[EP_SWEEP_MAX_THREADS];
  if (args.models != NULL) {
    snprintf(models_text, sizeof models_text, "%s", args.models);
    rc = cli_split_names("characterize", "--models", models_text, names, MAX_MODELS, &n_names);
    if (rc == CLI_EXIT_OK) rc = check_models(names, n_names);
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
    snprintf(dir, sizeof dir, "results/%s", ep_platform_id(host, cpu.model, id, sizeof id));
  }
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0';
  ep_output* json = NULL;
  cli_energy energy;
  memset(&energy, 0, sizeof energy);
  ep_characterize_result* result = NULL;
  ep_results* loaded = NULL;
  if (ep_make_dirs(dir) != EP_OK) {
    rc = cli_fail(CLI_EXIT_USAGE, "characterize: %s", ep_last_error());
    goto cleanup;
  }
  snprintf(json_path, sizeof json_path, "%s/results.json", dir);
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
  options.progress = on_progress;
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
  ep_status status = ep_characterize_run(&options, &result);
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "characterize: %s", ep_last_error());
    goto cleanup;
  }
  status = ep_report_characterize_json(result, ep_output_stream(json));
  if (status != EP_OK) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "characterize: %s", ep_last_error());
    goto cleanup;
  }
  rc = cli_output_commit("characterize", json);
  json = NULL;
  if (rc != CLI_EXIT_OK) goto cleanup;

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
  cli_energy_close(&energy);
  cli_output_discard(json);
  ep_results_destroy(loaded);
  ep_characterize_result_destroy(result);
  ep_topology_destroy(topology);
  return rc;
}

/* The characterization job: Table I, latency at 1..N threads, time by op type at N threads. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgeprof/characterize.h"
#include "edgeprof/model.h"

void ep_characterize_options_default(ep_characterize_options* options, bool quick) {
  memset(options, 0, sizeof *options);
  options->seed = EP_ZOO_DEFAULT_SEED;
  options->warmup_runs = 1;
  options->min_runs = quick ? 5 : 20;
  options->min_seconds = quick ? 0.1 : 0.5;
  options->budget_seconds = quick ? 1.0 : 5.0;
}

typedef struct job {
  const ep_characterize_options* options;
  int step, steps;   /* configurations done / in all, for "[3/10]" */
  char what[128];    /* "resnet50, 2 threads" */
  double last_said;  /* ep_now() of the last progress line */
} job;

static void say(job* j, const char* format, ...) __attribute__((format(printf, 2, 3)));
static void say(job* j, const char* format, ...) {
  if (j->options->progress == NULL) return;
  char line[256];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  j->options->progress(j->options->user, line);
  j->last_said = ep_now();
}

static void on_run(void* user, int run, double elapsed) {
  job* j = user;
  if (ep_now() - j->last_said >= 1.0) {
    say(j, "[%d/%d] %s: %d runs, %.1f s", j->step, j->steps, j->what, run, elapsed);
  }
}

/* Warms up, times one run and caps the run count so that slow models stay within budget. */
static ep_status plan_runs(ep_session* session, job* j, ep_bench_options* bench) {
  const ep_characterize_options* o = j->options;
  double one_run = 0.0;
  int warmups = o->warmup_runs > 0 ? o->warmup_runs : 1;
  for (int i = 0; i < warmups; i++) {
    double t0 = ep_now();
    ep_status status = ep_session_run(session);
    if (status != EP_OK) return status;
    one_run = ep_now() - t0;
  }
  ep_bench_options_default(bench);
  bench->warmup_runs = 0;
  bench->min_runs = o->min_runs;
  bench->min_seconds = o->min_seconds;
  bench->progress = on_run;
  bench->user = j;
  if (o->budget_seconds > 0.0 && one_run > 0.0 && one_run * o->min_runs > o->budget_seconds) {
    int cap = (int)(o->budget_seconds / one_run);
    bench->max_runs = cap < 3 ? 3 : cap;
  }
  return EP_OK;
}

static ep_status copy_nodes(const ep_graph* g, ep_characterize_model* m) {
  int n = ep_graph_node_count(g);
  m->nodes = calloc(n > 0 ? (size_t)n : 1, sizeof *m->nodes);
  if (m->nodes == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for results");
  m->n_nodes = n;
  for (int i = 0; i < n; i++) {
    const ep_node* node = ep_graph_node(g, i);
    ep_characterize_node* out = &m->nodes[i];
    out->name = strdup(node->name != NULL ? node->name : "");
    if (out->name == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for results");
    ep_node_op_label(node, out->op, sizeof out->op);
    out->params = node->cost.params;
    out->macs = node->cost.macs;
    out->output_bytes = node->cost.output_bytes;
  }
  return EP_OK;
}

/* One thread count: the whole-network latency, and at the last count the per-node profile. */
static ep_status measure(const ep_graph* g, int threads, const int* cpus, int n_cpus,
                         bool profile, job* j, ep_characterize_model* m) {
  ep_session_options so = {threads, cpus, n_cpus};
  ep_session* session = NULL;
  double* samples = NULL;
  int n_samples = 0;
  ep_bench_options bench;
  ep_status status = ep_session_create(g, &so, &session);
  if (status != EP_OK) goto cleanup;
  if (threads == 1) ep_session_memory_get(session, &m->memory);
  status = plan_runs(session, j, &bench);
  if (status != EP_OK) goto cleanup;
  if (profile) {
    /* A profile run is a pair (whole run, timed run): half as many pairs fit the budget. */
    if (bench.max_runs > 0) bench.max_runs = bench.max_runs / 2 > 3 ? bench.max_runs / 2 : 3;
    status = ep_profile_run(session, &bench, &m->profile);
    if (status != EP_OK) goto cleanup;
    m->latency[threads - 1] = m->profile->whole;
    m->profile_threads = threads;
  } else {
    status = ep_bench_run(session, &bench, &samples, &n_samples);
    if (status != EP_OK) goto cleanup;
    ep_latency_stats_compute(samples, n_samples, &m->latency[threads - 1]);
  }

cleanup:
  free(samples);
  ep_session_destroy(session);
  return status;
}

static ep_status characterize_model(const char* name, const int* cpus, int n_cpus,
                                    int max_threads, job* j, ep_characterize_model* m) {
  const ep_characterize_options* o = j->options;
  ep_graph* defined = NULL;
  ep_graph* optimized = NULL;
  say(j, "[%d/%d] %s: building the graph", j->step + 1, j->steps, name);
  ep_status status = ep_model_load(name, o->seed, &defined, &optimized);
  if (status != EP_OK) goto cleanup;
  ep_table1_row_from_graph(ep_zoo_find(name), defined, &m->table1);
  ep_graph_destroy(defined);
  defined = NULL;
  status = copy_nodes(optimized, m);
  if (status != EP_OK) goto cleanup;
  m->latency = calloc((size_t)max_threads, sizeof *m->latency);
  if (m->latency == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for results");
    goto cleanup;
  }
  m->n_threads = max_threads;
  for (int t = 1; t <= max_threads; t++) {
    bool profile = t == max_threads;
    j->step++;
    snprintf(j->what, sizeof j->what, "%s, %d thread%s", name, t, t > 1 ? "s" : "");
    say(j, "[%d/%d] %s%s ...", j->step, j->steps, j->what, profile ? " + per-node profile" : "");
    status = measure(optimized, t, cpus, n_cpus, profile, j, m);
    if (status != EP_OK) goto cleanup;
  }

cleanup:
  ep_graph_destroy(defined);
  ep_graph_destroy(optimized);
  return status;
}

static void format_date(char* buf, size_t size) {
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    snprintf(buf, size, "unknown");
  }
}

ep_status ep_characterize_run(const ep_characterize_options* options,
                              ep_characterize_result** result_out) {
  if (options == NULL || result_out == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_characterize_run: NULL argument");
  }
  int n_models = options->models != NULL ? options->n_models : ep_zoo_count();
  if (n_models <= 0) return ep_error(EP_ERR_INVALID_ARGUMENT, "no models to characterize");
  for (int i = 0; options->models != NULL && i < n_models; i++) {
    if (ep_zoo_find(options->models[i]) == NULL) {
      return ep_model_load(options->models[i], options->seed, NULL, NULL); /* the message */
    }
  }
  int allowed[EP_MAX_CPUS];
  const int* cpus = options->cpus;
  int n_cpus = options->n_cpus;
  bool pinned = cpus != NULL && n_cpus > 0;
  if (pinned) {
    ep_status status = ep_cpus_check(cpus, n_cpus);
    if (status != EP_OK) return status;
  } else {
    n_cpus = ep_cpus_allowed(allowed, EP_MAX_CPUS);
    cpus = allowed;
  }
  int max_threads = options->max_threads > 0 ? options->max_threads : n_cpus;

  ep_status status = EP_OK;
  ep_characterize_result* r = calloc(1, sizeof *r);
  if (r == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for results");
  r->models = calloc((size_t)n_models, sizeof *r->models);
  if (r->models == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for results");
    goto cleanup;
  }
  r->n_models = n_models;
  ep_host_name(r->host, sizeof r->host);
  format_date(r->date, sizeof r->date);
  r->seed = options->seed;
  ep_cpulist_format(cpus, n_cpus, r->cpus, sizeof r->cpus);
  r->pinned = pinned;
  r->warmup_runs = options->warmup_runs;
  r->min_runs = options->min_runs;
  r->min_seconds = options->min_seconds;
  r->budget_seconds = options->budget_seconds;

  job j = {options, 0, n_models * max_threads, "", ep_now()};
  double start = ep_now();
  for (int i = 0; i < n_models; i++) {
    const char* name =
        options->models != NULL ? options->models[i] : ep_zoo_entry_at(i)->name;
    status = characterize_model(name, pinned ? cpus : NULL, pinned ? n_cpus : 0, max_threads,
                                &j, &r->models[i]);
    if (status != EP_OK) goto cleanup;
  }
  r->elapsed_seconds = ep_now() - start;
  r->peak_rss_bytes = ep_peak_rss_bytes();

cleanup:
  if (status != EP_OK) {
    ep_characterize_result_destroy(r);
    return status;
  }
  *result_out = r;
  return EP_OK;
}

void ep_characterize_result_destroy(ep_characterize_result* result) {
  if (result == NULL) return;
  for (int i = 0; result->models != NULL && i < result->n_models; i++) {
    ep_characterize_model* m = &result->models[i];
    for (int k = 0; m->nodes != NULL && k < m->n_nodes; k++) free(m->nodes[k].name);
    free(m->nodes);
    free(m->latency);
    ep_profile_destroy(m->profile);
  }
  free(result->models);
  free(result);
}

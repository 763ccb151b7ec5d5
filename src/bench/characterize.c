/* The characterization job: Table I, every configuration's latency, the best one, and the
 * per-node profile there. */
#include <ctype.h>
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
  options->profile = true;
  options->remeasure_rounds = 2;
  options->quick = quick;
  options->measure.warmup_runs = 1;
  options->measure.min_runs = quick ? 3 : 20;
  options->measure.min_seconds = quick ? 0.05 : 0.5;
  options->measure.budget_seconds = quick ? 0.6 : 5.0;
}

const char* ep_graph_family(const ep_graph* g) {
  bool conv = false, rnn = false, fc = false, transformer = false;
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    switch (ep_graph_node(g, i)->op) {
      case EP_OP_ATTENTION:
      case EP_OP_LAYER_NORM: transformer = true; break;
      case EP_OP_CONV: conv = true; break;
      case EP_OP_LSTM:
      case EP_OP_GRU: rnn = true; break;
      case EP_OP_FULLY_CONNECTED:
      case EP_OP_GEMM:
      case EP_OP_MATMUL: fc = true; break;
      default: break;
    }
  }
  return transformer ? "transformer" : conv ? "cnn" : rnn ? "rnn" : fc ? "mlp" : "other";
}

char* ep_platform_id(const char* host, const char* cpu_model, char* buf, size_t size) {
  if (size == 0) return buf;
  size_t n = 0;
  bool dash = true; /* no leading dash, no double dashes */
  const char* parts[2] = {host, cpu_model};
  for (int k = 0; k < 2; k++) {
    const char* s = parts[k];
    if (s == NULL || *s == '\0' || strcmp(s, "unknown") == 0) continue;
    if (!dash && n + 1 < size) {
      buf[n++] = '-';
      dash = true;
    }
    for (; *s && n + 1 < size && n < 64; s++) {
      unsigned char ch = (unsigned char)tolower((unsigned char)*s);
      /* Trademark noise in brand strings: "(R)", "(TM)", "CPU @ 2.10GHz" stays readable. */
      if (isalnum(ch)) {
        buf[n++] = (char)ch;
        dash = false;
      } else if (!dash) {
        buf[n++] = '-';
        dash = true;
      }
    }
  }
  while (n > 0 && buf[n - 1] == '-') n--;
  buf[n] = '\0';
  if (n == 0) snprintf(buf, size, "unknown");
  return buf;
}

typedef struct job {
  const ep_characterize_options* options;
  int step, steps;  /* configurations started / in all, for "[3/40]" */
  char what[320];   /* "resnet50: big, 2 threads" */
  double last_said; /* ep_now() of the last progress line */
  double start;     /* ep_now() when measuring began */
  ep_measure_options measure; /* the result's: options->measure as the latency figure needs */
} job;

static bool stop_requested(const ep_characterize_options* o) {
  return o->stop != NULL && *o->stop != 0;
}

/* "1:05", "1:02:03". */
static void format_duration(double seconds, char* buf, size_t size) {
  long s = seconds > 0.0 ? (long)(seconds + 0.5) : 0;
  if (s >= 3600) {
    snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  } else {
    snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
  }
}

/* Every line starts with where the job stands: the step, the time so far and, once a
 * configuration has finished, the time left at the pace so far. */
static void say(job* j, const char* format, ...) __attribute__((format(printf, 2, 3)));
static void say(job* j, const char* format, ...) {
  if (j->options->progress == NULL) return;
  char line[512], elapsed[32], left[32];
  double spent = ep_now() - j->start;
  format_duration(spent, elapsed, sizeof elapsed);
  int done = j->step > 0 ? j->step - 1 : 0;
  int n = snprintf(line, sizeof line, "[%d/%d %s elapsed", j->step > 0 ? j->step : 1, j->steps,
                   elapsed);
  if (done > 0 && j->steps > done) {
    format_duration(spent / done * (j->steps - done), left, sizeof left);
    n += snprintf(line + n, sizeof line - (size_t)n, ", ~%s left", left);
  }
  n += snprintf(line + n, sizeof line - (size_t)n, "] ");
  va_list args;
  va_start(args, format);
  vsnprintf(line + n, sizeof line - (size_t)n, format, args);
  va_end(args);
  j->options->progress(j->options->user, line);
  j->last_said = ep_now();
}

/* A heartbeat while one configuration runs: says what is being measured, never a latency, so
 * that it cannot be taken for a result. */
static void on_run(void* user, int run, double elapsed) {
  job* j = user;
  if (ep_now() - j->last_said >= 1.0) {
    say(j, "measuring %s (run %d, %.1f s)", j->what, run, elapsed);
  }
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

/* The thread counts measured on `set`. */
static int set_threads(const ep_characterize_result* r, const ep_core_set* set, int* out) {
  int n = 0;
  int limit = set->n_cpus > 8 ? set->n_cpus : 8;
  for (int i = 0; i < r->n_threads; i++) {
    if (r->threads_given || r->threads[i] <= limit) out[n++] = r->threads[i];
  }
  return n;
}

/* The profile's runs, watched like a measurement's. */
typedef struct profile_watch {
  ep_noise_monitor monitor;
  job* j;
} profile_watch;

static void on_profile_run(void* user, int run, double elapsed) {
  profile_watch* w = user;
  ep_noise_monitor_tick(&w->monitor);
  on_run(w->j, run, elapsed);
}

/* The per-node profile at the best configuration. */
static ep_status profile_best(const ep_graph* g, const ep_core_set* set, job* j,
                              ep_characterize_model* m) {
  const ep_measurement* best = &m->measurements[m->best];
  const ep_measure_options* mo = &j->measure;
  ep_session_options so = {best->threads, set->cpus, set->n_cpus, best->backend};
  ep_session* session = NULL;
  ep_status status = ep_session_create(g, &so, &session);
  if (status != EP_OK) return status;
  ep_bench_options bench;
  ep_bench_options_default(&bench);
  bench.warmup_runs = mo->warmup_runs > 0 ? mo->warmup_runs : 1;
  bench.min_runs = mo->min_runs > 0 ? mo->min_runs : 1;
  bench.min_seconds = mo->min_seconds;
  profile_watch* w = malloc(sizeof *w);
  if (w == NULL) {
    ep_session_destroy(session);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory");
  }
  w->j = j;
  bench.progress = on_profile_run;
  bench.user = w;
  bench.stop = j->options->stop;
  /* A profile run is a pair (whole run, timed run): half the budget's runs, never under 3. */
  double one_run = best->stats.median / 1e3;
  if (mo->budget_seconds > 0.0 && one_run > 0.0 &&
      2.0 * one_run * bench.min_runs > mo->budget_seconds) {
    int cap = (int)(mo->budget_seconds / (2.0 * one_run));
    bench.max_runs = cap < 3 ? 3 : cap;
  }
  ep_noise_monitor_start(&w->monitor, set->cpus, set->n_cpus, best->threads);
  status = ep_profile_run(session, &bench, &m->profile);
  if (status == EP_OK) {
    /* The spread judged is that of the whole runs (the node-timed ones are not latencies). */
    ep_noise_monitor_stop(&w->monitor, NULL, 0, &m->profile_noise);
    const ep_latency_stats* whole = &m->profile->whole;
    m->profile_noise.spread = whole->median > 0.0 ? (whole->p90 - whole->median) / whole->median
                                                  : 0.0;
    ep_noise_judge(&m->profile_noise, m->profile_noise.other_ticks);
  }
  free(w);
  ep_session_destroy(session);
  return status;
}

/* Energy at `m`'s best configuration on each set: a fresh session, warm-up, then runs with the
 * meter reading. */
static ep_status measure_energy(const ep_graph* g, const ep_core_set* const* sets, int n_sets,
                                job* j, ep_characterize_model* m) {
  const ep_characterize_options* o = j->options;
  double seconds = ep_energy_meter_min_seconds(o->energy_meter);
  if (o->quick && seconds > 1.0) seconds = 1.0;
  if (o->measure.min_seconds > seconds) seconds = o->measure.min_seconds;
  for (int s = 0; s < n_sets; s++) {
    int best = -1;
    for (int i = 0; i < m->n_measurements; i++) {
      if (strcmp(m->measurements[i].core_set, sets[s]->name) != 0) continue;
      if (best < 0 || m->measurements[i].stats.median < m->measurements[best].stats.median) best = i;
    }
    if (best < 0) continue;
    const ep_measurement* b = &m->measurements[best];
    snprintf(j->what, sizeof j->what, "%s: energy on %s (%s, %d thread%s, %.1f s)",
             m->table1.zoo->name, sets[s]->name, b->backend, b->threads,
             b->threads > 1 ? "s" : "", seconds);
    say(j, "%s ...", j->what);
    ep_session_options so = {b->threads, sets[s]->cpus, sets[s]->n_cpus, b->backend};
    ep_session* session = NULL;
    ep_status status = ep_session_create(g, &so, &session);
    if (status != EP_OK) return status;
    status = ep_session_run(session);
    double* samples = NULL;
    int n = 0;
    if (status == EP_OK) status = ep_energy_meter_start(o->energy_meter);
    if (status == EP_OK) {
      ep_bench_options bench;
      ep_bench_options_default(&bench);
      bench.warmup_runs = 0;
      bench.min_runs = 3;
      bench.min_seconds = seconds;
      bench.progress = on_run;
      bench.user = j;
      status = ep_bench_run(session, &bench, &samples, &n);
      ep_energy_reading reading;
      ep_status stopped = ep_energy_meter_stop(o->energy_meter, &reading);
      if (status == EP_OK) status = stopped;
      if (status == EP_OK) {
        ep_characterize_energy* e = &m->energy[m->n_energy++];
        snprintf(e->backend, sizeof e->backend, "%s", b->backend);
        snprintf(e->core_set, sizeof e->core_set, "%s", b->core_set);
        e->threads = b->threads;
        ep_energy_result_fill(o->energy_meter, &reading, n, &e->result);
      }
    }
    free(samples);
    ep_session_destroy(session);
    if (status != EP_OK) return status;
  }
  return EP_OK;
}

/* What ep_measure needs to measure a configuration again. */
typedef struct measured_config {
  const ep_core_set* set;
  const char* backend;
  int threads;
} measured_config;

/* The figure configurations are compared by: the median, or the p90 early-stopping estimate
 * (a configuration without one, too few runs, ranks last). */
static double figure(const ep_characterize_options* o, const ep_measurement* m) {
  if (!o->latency_p90_estimate) return m->stats.median;
  return m->p90_estimate_ms > 0.0 ? m->p90_estimate_ms : 1e300;
}

/* Whether attempt `b` should replace `a`: a passed attempt beats a noisy one; between two
 * noisy ones the lower median is the less disturbed. */
static bool better_attempt(const ep_characterize_options* o, const ep_measurement* a,
                           const ep_measurement* b) {
  if (a->noise.noisy != b->noise.noisy) return a->noise.noisy;
  return a->noise.noisy && figure(o, b) < figure(o, a);
}

/* Rounds over the noisy configurations, each measured again in turn, so that a burst of other
 * work lands on several of them alike rather than on one measured over and over. */
static ep_status remeasure_noisy(const ep_graph* g, const measured_config* config,
                                 double first_pass, job* j, ep_characterize_model* m) {
  const ep_characterize_options* o = j->options;
  double start = ep_now();
  for (int round = 1; round <= o->remeasure_rounds; round++) {
    int noisy = 0;
    for (int i = 0; i < m->n_measurements; i++) noisy += m->measurements[i].noise.noisy;
    if (noisy == 0) break;
    for (int i = 0; i < m->n_measurements; i++) {
      ep_measurement* old = &m->measurements[i];
      if (!old->noise.noisy) continue;
      if (ep_now() - start > first_pass || stop_requested(o)) return EP_OK;
      snprintf(j->what, sizeof j->what, "%s: %s, %d thread%s again (round %d of %d: %s)",
               m->table1.zoo->name, old->core_set, old->threads, old->threads > 1 ? "s" : "",
               round, o->remeasure_rounds, old->noise.reasons);
      say(j, "measuring %s ...", j->what);
      ep_measure_options mo = j->measure;
      mo.on_run = on_run;
      mo.user = j;
      mo.stop = o->stop;
      mo.backend = config[i].backend;
      ep_measurement again;
      ep_status status = ep_measure(g, config[i].set, config[i].threads, &mo, &again, NULL);
      if (status != EP_OK) return status;
      if (stop_requested(o)) {
        ep_measurements_clear(&again, 1);
        return EP_OK;
      }
      int attempts = old->noise.attempts + 1;
      if (better_attempt(o, old, &again)) {
        ep_measurements_clear(old, 1);
        *old = again;
      } else {
        ep_measurements_clear(&again, 1);
      }
      old->noise.attempts = attempts;
    }
  }
  return EP_OK;
}

static ep_status characterize_model(const char* name, const ep_core_set* const* sets,
                                    int n_sets, job* j, ep_characterize_result* r,
                                    ep_characterize_model* m) {
  const ep_characterize_options* o = j->options;
  ep_graph* defined = NULL;
  ep_graph* optimized = NULL;
  measured_config* config = NULL;
  say(j, "%s: building the graph", name);
  ep_status status = ep_model_load(name, o->seed, &defined, &optimized);
  if (status != EP_OK) goto cleanup;
  ep_table1_row_from_graph(ep_zoo_find(name), defined, &m->table1);
  ep_graph_destroy(defined);
  defined = NULL;
  snprintf(m->family, sizeof m->family, "%s", ep_graph_family(optimized));
  status = copy_nodes(optimized, m);
  if (status != EP_OK) goto cleanup;

  int total = 0;
  int threads[EP_SWEEP_MAX_THREADS];
  for (int s = 0; s < n_sets; s++) total += set_threads(r, sets[s], threads);
  total *= r->n_backends;
  m->measurements = calloc((size_t)(total > 0 ? total : 1), sizeof *m->measurements);
  if (m->measurements == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for results");
    goto cleanup;
  }
  config = calloc((size_t)(total > 0 ? total : 1), sizeof *config);
  if (config == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for results");
    goto cleanup;
  }
  ep_measure_options mo = j->measure;
  mo.on_run = on_run;
  mo.user = j;
  mo.stop = o->stop;
  double first_pass = ep_now();
  for (int b = 0; b < r->n_backends; b++) {
    mo.backend = r->backends[b];
    for (int s = 0; s < n_sets; s++) {
      int n_threads = set_threads(r, sets[s], threads);
      for (int k = 0; k < n_threads; k++) {
        j->step++;
        snprintf(j->what, sizeof j->what, "%s: %s%s%s, %d thread%s%s", name,
                 r->n_backends > 1 ? r->backends[b] : "", r->n_backends > 1 ? ", " : "",
                 sets[s]->name, threads[k], threads[k] > 1 ? "s" : "",
                 threads[k] > sets[s]->n_cpus ? " (oversubscribed)" : "");
        if (stop_requested(o)) goto cleanup; /* m->complete stays false */
        say(j, "measuring %s ...", j->what);
        ep_measurement* meas = &m->measurements[m->n_measurements];
        status = ep_measure(optimized, sets[s], threads[k], &mo, meas,
                            m->n_measurements == 0 ? &m->memory : NULL);
        if (status != EP_OK) goto cleanup;
        if (stop_requested(o)) { /* cut short: not a measurement */
          ep_measurements_clear(meas, 1);
          goto cleanup;
        }
        config[m->n_measurements] = (measured_config){sets[s], r->backends[b], threads[k]};
        m->n_measurements++;
      }
    }
  }
  first_pass = ep_now() - first_pass;
  status = remeasure_noisy(optimized, config, first_pass, j, m);
  if (status != EP_OK || stop_requested(o)) goto cleanup;
  /* The best configuration among those that passed the noise check (of all when none did). */
  m->best = 0;
  for (int i = 1; i < m->n_measurements; i++) {
    const ep_measurement* x = &m->measurements[i];
    const ep_measurement* b = &m->measurements[m->best];
    if ((b->noise.noisy && !x->noise.noisy) ||
        (b->noise.noisy == x->noise.noisy && figure(o, x) < figure(o, b))) {
      m->best = i;
    }
  }
  if (o->profile && m->n_measurements > 0) {
    const ep_measurement* b = &m->measurements[m->best];
    const ep_core_set* set = NULL;
    for (int s = 0; s < n_sets && set == NULL; s++) {
      if (strcmp(sets[s]->name, b->core_set) == 0) set = sets[s];
    }
    snprintf(j->what, sizeof j->what, "%s: per-node profile at the best configuration (%s, %s, "
             "%d thread%s)", name, b->backend, b->core_set, b->threads, b->threads > 1 ? "s" : "");
    say(j, "%s ...", j->what);
    status = profile_best(optimized, set, j, m);
    if (status == EP_OK && stop_requested(o)) { /* cut short: not a profile */
      ep_profile_destroy(m->profile);
      m->profile = NULL;
      goto cleanup;
    }
  }
  if (status == EP_OK && o->energy_meter != NULL && m->n_measurements > 0) {
    status = measure_energy(optimized, sets, n_sets, j, m);
    if (status == EP_OK && stop_requested(o)) {
      m->n_energy = 0;
      goto cleanup;
    }
  }
  m->complete = status == EP_OK;

cleanup:
  free(config);
  ep_graph_destroy(defined);
  ep_graph_destroy(optimized);
  return status;
}

/* Other work on the machine skews every number (thread scaling most): recorded so that reports
 * can say so. */
static double load_average(void) {
  double load = -1.0;
  FILE* f = fopen("/proc/loadavg", "r");
  if (f != NULL) {
    if (fscanf(f, "%lf", &load) != 1) load = -1.0;
    fclose(f);
  }
  return load;
}

static void format_date(char* buf, size_t size) {
  time_t now = time(NULL);
  struct tm tm;
  if (gmtime_r(&now, &tm) == NULL || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
    snprintf(buf, size, "unknown");
  }
}

/* The i-th zoo model of the paper's set (the default selection), NULL past the last. */
static const char* paper_model(int i) {
  for (int k = 0; k < ep_zoo_count(); k++) {
    const ep_zoo_entry* e = ep_zoo_entry_at(k);
    if (e->set == EP_ZOO_PAPER && i-- == 0) return e->name;
  }
  return NULL;
}

static int paper_model_count(void) {
  int n = 0;
  while (paper_model(n) != NULL) n++;
  return n;
}

static const char* model_name(const ep_characterize_options* o, int i) {
  return o->models != NULL ? o->models[i] : paper_model(i);
}

static bool skipped(const ep_characterize_options* o, const char* name) {
  for (int i = 0; o->skip_models != NULL && i < o->n_skip_models; i++) {
    if (strcmp(o->skip_models[i], name) == 0) return true;
  }
  return false;
}

ep_status ep_characterize_run(const ep_characterize_options* options,
                              ep_characterize_result** result_out) {
  if (options == NULL || result_out == NULL || options->topology == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_characterize_run: NULL argument");
  }
  int n_models = options->models != NULL ? options->n_models : paper_model_count();
  if (n_models <= 0) return ep_error(EP_ERR_INVALID_ARGUMENT, "no models to characterize");
  for (int i = 0; options->models != NULL && i < n_models; i++) {
    if (ep_zoo_find(options->models[i]) == NULL) {
      return ep_model_load(options->models[i], options->seed, NULL, NULL); /* the message */
    }
  }
  const ep_topology* topo = options->topology;
  const ep_core_set* sets[EP_TOPOLOGY_MAX_SETS];
  int n_sets = 0;
  if (options->core_sets != NULL && options->n_core_sets > 0) {
    for (int i = 0; i < options->n_core_sets && n_sets < EP_TOPOLOGY_MAX_SETS; i++) {
      const ep_core_set* s = ep_topology_find(topo, options->core_sets[i]);
      if (s == NULL) {
        char known[512] = "";
        for (int k = 0; k < topo->n_sets; k++) {
          if (k) strncat(known, ", ", sizeof known - strlen(known) - 1);
          strncat(known, topo->sets[k].name, sizeof known - strlen(known) - 1);
        }
        return ep_error(EP_ERR_INVALID_ARGUMENT, "unknown core set '%s' (this machine has: %s)",
                        options->core_sets[i], known);
      }
      sets[n_sets++] = s;
    }
  } else {
    for (int i = 0; i < topo->n_sets; i++) sets[n_sets++] = &topo->sets[i];
  }
  if (n_sets == 0) return ep_error(EP_ERR_INVALID_ARGUMENT, "no core set to measure");

  ep_status status = EP_OK;
  ep_characterize_result* r = calloc(1, sizeof *r);
  if (r == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for results");
  r->topology = malloc(sizeof *r->topology);
  r->models = calloc((size_t)n_models, sizeof *r->models);
  if (r->topology == NULL || r->models == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for results");
    goto cleanup;
  }
  memcpy(r->topology, topo, sizeof *topo);
  r->n_models = n_models;
  ep_host_name(r->host, sizeof r->host);
  format_date(r->date, sizeof r->date);
  ep_cpu_info_get(&r->cpu);
  snprintf(r->isa, sizeof r->isa, "%s", ep_cpu_isa_name(ep_cpu_isa_active()));
  ep_platform_id(r->host, r->cpu.model, r->platform_id, sizeof r->platform_id);
  r->n_core_sets = n_sets;
  for (int i = 0; i < n_sets; i++) {
    snprintf(r->core_sets[i], sizeof r->core_sets[i], "%s", sets[i]->name);
  }
  if (options->threads != NULL && options->n_threads > 0) {
    r->threads_given = true;
    r->n_threads = options->n_threads < EP_SWEEP_MAX_THREADS ? options->n_threads
                                                             : EP_SWEEP_MAX_THREADS;
    memcpy(r->threads, options->threads, (size_t)r->n_threads * sizeof *r->threads);
  } else {
    r->n_threads = ep_sweep_default_threads(topo->n_allowed, r->threads, EP_SWEEP_MAX_THREADS);
  }
  if (options->backends != NULL && options->n_backends > 0) {
    if (options->n_backends > EP_CHARACTERIZE_MAX_BACKENDS) {
      status = ep_error(EP_ERR_INVALID_ARGUMENT, "at most %d backends", EP_CHARACTERIZE_MAX_BACKENDS);
      goto cleanup;
    }
    for (int b = 0; b < options->n_backends; b++) {
      snprintf(r->backends[b], sizeof r->backends[b], "%s", options->backends[b]);
    }
    r->n_backends = options->n_backends;
  } else {
    snprintf(r->backends[0], sizeof r->backends[0], "%s", EP_BACKEND_CPU);
    r->n_backends = 1;
  }
  r->seed = options->seed;
  r->quick = options->quick;
  r->latency_p90_estimate = options->latency_p90_estimate;
  snprintf(r->label, sizeof r->label, "%s", options->label != NULL ? options->label : "");
  r->load_average = load_average();
  if (options->energy_meter != NULL) {
    r->has_energy_meter = true;
    snprintf(r->energy_meter, sizeof r->energy_meter, "%s",
             ep_energy_meter_name(options->energy_meter));
    snprintf(r->energy_description, sizeof r->energy_description, "%s",
             ep_energy_meter_description(options->energy_meter));
    snprintf(r->energy_scope, sizeof r->energy_scope, "%s",
             ep_energy_meter_scope(options->energy_meter));
  } else if (options->energy_note != NULL) {
    snprintf(r->energy_note, sizeof r->energy_note, "%s", options->energy_note);
  }
  r->measure = options->measure;
  if (options->latency_p90_estimate) {
    /* The least with an estimate, for every configuration: no budget may cut runs below it. */
    if (r->measure.min_runs < EP_SINGLESTREAM_MIN_QUERIES) {
      r->measure.min_runs = EP_SINGLESTREAM_MIN_QUERIES;
    }
    r->measure.budget_seconds = 0.0;
  }
  r->measure.on_run = NULL;
  r->measure.user = NULL;

  if (options->before_measuring != NULL) {
    r->n_models = 0; /* the settings alone: nothing measured yet */
    status = options->before_measuring(options->before_measuring_user, r);
    r->n_models = n_models;
    if (status != EP_OK) goto cleanup;
  }
  double start = ep_now();
  job j = {options, 0, 0, "", start, start, r->measure};
  int threads[EP_SWEEP_MAX_THREADS];
  /* The models this run measures (--resume skips those a partial run finished). */
  int n_to_measure = 0;
  for (int i = 0; i < n_models; i++) n_to_measure += !skipped(options, model_name(options, i));
  for (int s = 0; s < n_sets; s++) j.steps += set_threads(r, sets[s], threads);
  j.steps *= n_to_measure * r->n_backends;
  int n_out = 0;
  for (int i = 0; i < n_models; i++) {
    const char* name = model_name(options, i);
    if (skipped(options, name)) continue;
    if (stop_requested(options)) break;
    ep_characterize_model* m = &r->models[n_out];
    status = characterize_model(name, sets, n_sets, &j, r, m);
    if (m->table1.zoo != NULL) n_out++; /* stopped before the graph was built: nothing */
    if (status != EP_OK) {
      r->n_models = n_out < n_models ? n_out + 1 : n_models; /* the failed one is freed too */
      goto cleanup;
    }
  }
  r->n_models = n_out;
  r->partial = stop_requested(options);
  r->elapsed_seconds = options->elapsed_before + ep_now() - start;
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
    ep_measurements_clear(m->measurements, m->n_measurements);
    free(m->measurements);
    ep_profile_destroy(m->profile);
  }
  free(result->models);
  free(result->topology);
  free(result);
}

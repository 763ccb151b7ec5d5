/* One configuration's latency (backend x core set x threads), thread lists. */
#include "edgeprof/sweep.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/platform.h"

void ep_measurements_clear(ep_measurement* measurements, int n) {
  for (int i = 0; measurements != NULL && i < n; i++) {
    free(measurements[i].samples_ms);
    measurements[i].samples_ms = NULL;
    measurements[i].n_samples = 0;
  }
}

/* Between runs: the noise monitor's sample, then the caller's progress callback. */
typedef struct watch {
  ep_noise_monitor monitor;
  const ep_measure_options* options;
} watch;

static void on_timed_run(void* user, int run, double elapsed) {
  watch* w = user;
  ep_noise_monitor_tick(&w->monitor);
  if (w->options->on_run != NULL) w->options->on_run(w->options->user, run, elapsed);
}

ep_status ep_measure(const ep_graph* graph, const ep_core_set* set, int threads,
                     const ep_measure_options* o, ep_measurement* out,
                     ep_session_memory* memory_out) {
  if (graph == NULL || set == NULL || o == NULL || out == NULL || set->n_cpus <= 0 ||
      threads <= 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_measure: bad argument");
  }
  memset(out, 0, sizeof *out);
  snprintf(out->backend, sizeof out->backend, "%s", o->backend != NULL ? o->backend : EP_BACKEND_CPU);
  snprintf(out->core_set, sizeof out->core_set, "%s", set->name);
  ep_cpulist_format(set->cpus, set->n_cpus, out->cpus, sizeof out->cpus);
  out->set_size = set->n_cpus;
  out->threads = threads;
  out->oversubscribed = threads > set->n_cpus;

  double start = ep_now();
  ep_session_options so = {threads, set->cpus, set->n_cpus, o->backend};
  ep_session* session = NULL;
  ep_status status = ep_session_create(graph, &so, &session);
  if (status != EP_OK) return status;
  if (memory_out != NULL) ep_session_memory_get(session, memory_out);

  /* Warm-up runs, the last one timed to cap the run count of slow configurations. */
  int warmups = o->warmup_runs > 0 ? o->warmup_runs : 1;
  double one_run = 0.0;
  for (int i = 0; i < warmups && status == EP_OK; i++) {
    double t0 = ep_now();
    status = ep_session_run(session);
    one_run = ep_now() - t0;
  }
  out->warmup_runs = warmups;
  watch* w = status == EP_OK ? malloc(sizeof *w) : NULL;
  if (status == EP_OK && w == NULL) status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory");
  if (status == EP_OK) {
    ep_bench_options bench;
    ep_bench_options_default(&bench);
    bench.warmup_runs = 0;
    bench.min_runs = o->min_runs > 0 ? o->min_runs : 1;
    bench.min_seconds = o->min_seconds;
    w->options = o;
    bench.stop = o->stop;
    bench.progress = on_timed_run;
    bench.user = w;
    if (o->budget_seconds > 0.0 && one_run > 0.0 &&
        one_run * bench.min_runs > o->budget_seconds) {
      int cap = (int)(o->budget_seconds / one_run);
      bench.max_runs = cap < 3 ? 3 : cap;
    }
    ep_noise_monitor_start(&w->monitor, set->cpus, set->n_cpus, threads);
    status = ep_bench_run(session, &bench, &out->samples_ms, &out->n_samples);
    if (status == EP_OK) {
      ep_noise_monitor_stop(&w->monitor, out->samples_ms, out->n_samples, &out->noise);
    }
  }
  free(w);
  ep_session_destroy(session);
  if (status != EP_OK) return status;
  ep_latency_stats_compute(out->samples_ms, out->n_samples, &out->stats);
  double estimate = 0.0;
  if (ep_early_stopping_estimate(out->samples_ms, out->n_samples, EP_SINGLESTREAM_PERCENTILE,
                                 EP_SINGLESTREAM_CONFIDENCE, &estimate) >= 0) {
    out->p90_estimate_ms = estimate;
  }
  out->seconds = ep_now() - start;
  return EP_OK;
}

static int cmp_int(const void* a, const void* b) {
  int x = *(const int*)a, y = *(const int*)b;
  return (x > y) - (x < y);
}

static int add_unique(int* threads, int n, int max, int t) {
  for (int i = 0; i < n; i++) {
    if (threads[i] == t) return n;
  }
  if (n < max) threads[n++] = t;
  return n;
}

int ep_sweep_default_threads(int n_cpus, int* threads, int max) {
  int n = 0;
  for (int t = 1; t <= 8; t *= 2) n = add_unique(threads, n, max, t);
  for (int t = 16; t <= n_cpus && t <= EP_MAX_CPUS; t *= 2) n = add_unique(threads, n, max, t);
  if (n_cpus >= 1 && n_cpus <= EP_MAX_CPUS) n = add_unique(threads, n, max, n_cpus);
  qsort(threads, (size_t)n, sizeof *threads, cmp_int);
  return n;
}

ep_status ep_thread_list_parse(const char* text, int* threads, int* count_out) {
  if (text == NULL || *text == '\0') return ep_error(EP_ERR_INVALID_ARGUMENT, "empty thread list");
  int n = 0;
  for (const char* p = text;;) {
    if (!isdigit((unsigned char)*p)) {
      return ep_error(EP_ERR_INVALID_ARGUMENT,
                      "bad thread list '%s': expected a number at '%s' (e.g. 1,2,4,8)", text, p);
    }
    char* end;
    errno = 0;
    long v = strtol(p, &end, 10);
    if (errno != 0 || v < 1 || v > EP_MAX_CPUS) {
      return ep_error(EP_ERR_INVALID_ARGUMENT,
                      "bad thread list '%s': thread counts go from 1 to %d", text, EP_MAX_CPUS);
    }
    bool seen = false;
    for (int i = 0; i < n; i++) seen |= threads[i] == (int)v;
    if (!seen && n == EP_SWEEP_MAX_THREADS) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "bad thread list '%s': more than %d counts", text,
                      EP_SWEEP_MAX_THREADS);
    }
    if (!seen) threads[n++] = (int)v;
    if (*end == '\0') break;
    if (*end != ',') {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "bad thread list '%s': unexpected '%c'", text,
                      *end);
    }
    p = end + 1;
  }
  qsort(threads, (size_t)n, sizeof *threads, cmp_int);
  *count_out = n;
  return EP_OK;
}

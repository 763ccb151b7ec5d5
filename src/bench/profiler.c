/* Per-node profile through the session's node callback. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/platform.h"
#include "edgeprof/profile.h"

typedef struct accumulator {
  double* seconds; /* [n_nodes] sums over the timed runs */
  /* [run * n_nodes + node] each timed run's node times, for per-node medians: on a shared
   * machine a preemption inflates one run's node, which moves the mean but not the median. */
  double* by_run;
  int run_capacity;
  int n_nodes;
  /* With a trace: spans in time order. */
  ep_profile_event* events;
  int n_events, max_events, dropped;
  int run;
  double origin;
} accumulator;

static void record(accumulator* acc, int node, double start, double seconds) {
  if (acc->events == NULL) return;
  if (acc->n_events == acc->max_events) {
    acc->dropped++;
    return;
  }
  ep_profile_event* e = &acc->events[acc->n_events++];
  e->node = node;
  e->run = acc->run;
  e->start_s = start - acc->origin;
  e->dur_s = seconds;
}

static void on_node(void* user, int node_index, double seconds) {
  accumulator* acc = user;
  if (node_index < 0 || node_index >= acc->n_nodes) return; /* the timer-cost calibration */
  acc->seconds[node_index] += seconds;
  if (acc->run < acc->run_capacity)
    acc->by_run[(size_t)acc->run * acc->n_nodes + node_index] += seconds;
  if (acc->events != NULL) record(acc, node_index, ep_now() - seconds, seconds);
}

static int cmp_op_time(const void* a, const void* b) {
  const ep_op_type_profile* x = a;
  const ep_op_type_profile* y = b;
  if (x->ms != y->ms) return x->ms < y->ms ? 1 : -1;
  return (int)x->op - (int)y->op;
}

static ep_status summarize_by_op(const ep_graph* graph, ep_profile* p) {
  double ms_by_op[EP_OP_COUNT] = {0};
  int count_by_op[EP_OP_COUNT] = {0};
  for (int i = 0; i < p->n_nodes; i++) {
    ep_op op = ep_graph_node(graph, i)->op;
    if ((int)op < 0 || op >= EP_OP_COUNT) continue;
    ms_by_op[op] += p->node_ms[i];
    count_by_op[op]++;
  }
  p->by_op_type = calloc(EP_OP_COUNT, sizeof *p->by_op_type);
  if (p->by_op_type == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a profile");
  for (int op = 0; op < EP_OP_COUNT; op++) {
    if (count_by_op[op] == 0) continue;
    ep_op_type_profile* row = &p->by_op_type[p->n_op_types++];
    row->op = (ep_op)op;
    row->count = count_by_op[op];
    row->ms = ms_by_op[op];
    row->percent = p->total_ms > 0.0 ? 100.0 * ms_by_op[op] / p->total_ms : 0.0;
  }
  qsort(p->by_op_type, (size_t)p->n_op_types, sizeof *p->by_op_type, cmp_op_time);
  return EP_OK;
}

static int cmp_double(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

/* node_median_ms[i]: the median over the runs of node i's time; column is scratch of `runs`. */
static void node_medians(const accumulator* acc, int runs, double* column, double* out_ms) {
  for (int i = 0; i < acc->n_nodes; i++) {
    for (int r = 0; r < runs; r++) column[r] = acc->by_run[(size_t)r * acc->n_nodes + i];
    qsort(column, (size_t)runs, sizeof *column, cmp_double);
    const double mid =
        runs % 2 ? column[runs / 2] : 0.5 * (column[runs / 2 - 1] + column[runs / 2]);
    out_ms[i] = mid * 1e3;
  }
}

/* Room for the node times of `runs` timed runs (zeroed); false without memory. */
static bool grow_by_run(accumulator* acc, int runs) {
  if (runs <= acc->run_capacity) return true;
  const size_t row = acc->n_nodes > 0 ? (size_t)acc->n_nodes : 1;
  double* bigger = realloc(acc->by_run, (size_t)runs * row * sizeof *bigger);
  if (bigger == NULL) return false;
  memset(bigger + (size_t)acc->run_capacity * row, 0,
         (size_t)(runs - acc->run_capacity) * row * sizeof *bigger);
  acc->by_run = bigger;
  acc->run_capacity = runs;
  return true;
}

/* One node's timing as ep_session_run_range does it (a clock read, the node, a clock read, the
 * callback through its pointer), without the node: the best of a few batches of many, so that
 * a preemption does not count. */
static double timer_cost_seconds(void (*callback)(void*, int, double), void* user) {
  enum { BATCH = 2000, BATCHES = 5 };
  double best = 0.0;
  for (int b = 0; b < BATCHES; b++) {
    double start = ep_now();
    for (int i = 0; i < BATCH; i++) {
      double t0 = ep_now();
      callback(user, -1, ep_now() - t0); /* index -1: counted nowhere */
    }
    double each = (ep_now() - start) / BATCH;
    if (b == 0 || each < best) best = each;
  }
  return best;
}

static int keep_running(const ep_bench_options* o, int done, double elapsed) {
  if (o->max_runs > 0 && done >= o->max_runs) return 0;
  if (o->max_seconds > 0.0 && done > 0 && elapsed >= o->max_seconds) return 0;
  return done < o->min_runs || elapsed < o->min_seconds;
}

ep_status ep_profile_run(ep_session* session, const ep_bench_options* options,
                         ep_profile** profile_out) {
  return ep_profile_run_traced(session, options, 0, profile_out);
}

ep_status ep_profile_run_traced(ep_session* session, const ep_bench_options* options,
                                int max_events, ep_profile** profile_out) {
  if (session == NULL || options == NULL || profile_out == NULL || max_events < 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_profile_run: NULL argument");
  }
  const ep_graph* graph = ep_session_graph(session);
  ep_status status = EP_OK;
  int capacity = options->min_runs > 16 ? options->min_runs : 16;
  double* samples = malloc((size_t)capacity * sizeof *samples);
  int n_samples = 0;
  accumulator acc = {NULL, NULL, 0, ep_graph_node_count(graph), NULL, 0, max_events, 0, 0, 0.0};
  ep_profile* p = calloc(1, sizeof *p);
  size_t n_alloc = acc.n_nodes > 0 ? (size_t)acc.n_nodes : 1;
  acc.seconds = calloc(n_alloc, sizeof *acc.seconds);
  if (p != NULL) p->node_ms = calloc(n_alloc, sizeof *p->node_ms);
  if (p != NULL) p->node_median_ms = calloc(n_alloc, sizeof *p->node_median_ms);
  if (max_events > 0) acc.events = malloc((size_t)max_events * sizeof *acc.events);
  if (samples == NULL || p == NULL || acc.seconds == NULL || p->node_ms == NULL ||
      p->node_median_ms == NULL || !grow_by_run(&acc, capacity) ||
      (max_events > 0 && acc.events == NULL)) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a profile");
    goto cleanup;
  }
  p->n_nodes = acc.n_nodes;
  void (*volatile callback)(void*, int, double) = on_node; /* called as the session calls it */
  p->timer_cost_ms = timer_cost_seconds(callback, &acc) * 1e3;
  p->timer_overhead_ms = p->timer_cost_ms * acc.n_nodes;

  ep_session_set_node_callback(session, NULL, NULL);
  for (int i = 0; i < options->warmup_runs && status == EP_OK; i++) {
    status = ep_session_run(session);
  }
  /* Whole runs (no callback, as bench times them) alternate with per-node timed runs, so that
   * both see the same machine: a busy spell on a shared machine then cannot skew one side. */
  double start = ep_now();
  double elapsed = 0.0;
  acc.origin = start;
  while (status == EP_OK && (n_samples == 0 || keep_running(options, n_samples, elapsed))) {
    if (n_samples == capacity) {
      double* bigger = realloc(samples, (size_t)capacity * 2 * sizeof *samples);
      if (bigger == NULL) {
        status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for %d samples", capacity * 2);
        break;
      }
      samples = bigger;
      capacity *= 2;
    }
    if (!grow_by_run(&acc, capacity)) {
      status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for the node times of %d runs", capacity);
      break;
    }
    double t0 = ep_now();
    status = ep_session_run(session);
    double t1 = ep_now();
    if (status != EP_OK) break;
    samples[n_samples++] = (t1 - t0) * 1e3;
    record(&acc, EP_PROFILE_RUN_WHOLE, t0, t1 - t0);
    /* The run's own span goes before its nodes' (time order); its length is known after. */
    int run_event = acc.n_events;
    record(&acc, EP_PROFILE_RUN_TIMED, ep_now(), 0.0);
    ep_session_set_node_callback(session, on_node, &acc);
    double t2 = ep_now();
    status = ep_session_run(session);
    double t3 = ep_now();
    ep_session_set_node_callback(session, NULL, NULL);
    if (acc.events != NULL && run_event < acc.n_events) {
      acc.events[run_event].start_s = t2 - acc.origin;
      acc.events[run_event].dur_s = t3 - t2;
    }
    acc.run++;
    elapsed = ep_now() - start;
    if (options->progress != NULL) options->progress(options->user, n_samples, elapsed);
  }
  if (status != EP_OK) goto cleanup;

  p->runs = n_samples;
  ep_latency_stats_compute(samples, n_samples, &p->whole);
  for (int i = 0; i < acc.n_nodes; i++) {
    p->node_ms[i] = acc.seconds[i] * 1e3 / p->runs;
    p->total_ms += p->node_ms[i];
  }
  node_medians(&acc, n_samples, samples, p->node_median_ms); /* samples: no longer needed */
  status = summarize_by_op(graph, p);
  p->events = acc.events;
  p->n_events = acc.n_events;
  p->events_dropped = acc.dropped;
  acc.events = NULL;

cleanup:
  free(acc.events);
  ep_session_set_node_callback(session, NULL, NULL);
  free(samples);
  free(acc.seconds);
  free(acc.by_run);
  if (status != EP_OK) {
    ep_profile_destroy(p);
    return status;
  }
  *profile_out = p;
  return EP_OK;
}

void ep_profile_destroy(ep_profile* profile) {
  if (profile == NULL) return;
  free(profile->node_ms);
  free(profile->node_median_ms);
  free(profile->by_op_type);
  free(profile->events);
  free(profile);
}

char* ep_node_op_label(const ep_node* node, char* buf, size_t size) {
  bool residual = node->op == EP_OP_CONV && node->n_inputs > 3 && node->inputs[3] >= 0;
  bool pre = node->op == EP_OP_CONV && node->n_inputs > 5 && node->inputs[4] >= 0;
  snprintf(buf, size, "%s%s%s%s%s", pre ? "BN+Relu+" : "", ep_op_name(node->op),
           residual ? "+Add" : "",
           node->attrs.act != EP_ACT_NONE ? "+" : "", ep_activation_name(node->attrs.act));
  return buf;
}

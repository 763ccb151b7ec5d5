/* predict-fit: measure the generated configurations on this machine, then fit each class.
 *
 * Every node of a configuration is timed through the session's node callback over `runs` runs
 * and its fastest run kept: on a shared machine other processes only ever add time (a worker
 * descheduled in the middle of a layer), so the least disturbed run is the best estimate of the
 * layer's own time; the accuracy script compares with the fastest whole-network run likewise. Half the
 * configurations run after the caches were flushed (a buffer twice the last-level cache written
 * before each run), half warm: a network larger than the cache meets every layer's weights cold,
 * a small one keeps them warm, and prediction blends the two by the network's size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/cpu.h"
#include "edgeprof/platform.h"
#include "edgeprof/session.h"
#include "predict/predict_internal.h"

typedef struct sample_set {
  int n, cap;
  float* x;
  double *macs, *bytes, *ms;
} sample_set;

static ep_status sample_add(sample_set* s, const float* x, double macs, double bytes, double ms) {
  if (s->n == s->cap) {
    int cap = s->cap ? s->cap * 2 : 256;
    float* nx = realloc(s->x, (size_t)cap * EP_PF_COUNT * sizeof *nx);
    if (nx != NULL) s->x = nx;
    double* a = realloc(s->macs, (size_t)cap * sizeof *a);
    if (a != NULL) s->macs = a;
    double* b = realloc(s->bytes, (size_t)cap * sizeof *b);
    if (b != NULL) s->bytes = b;
    double* c = realloc(s->ms, (size_t)cap * sizeof *c);
    if (c != NULL) s->ms = c;
    if (nx == NULL || a == NULL || b == NULL || c == NULL) {
      return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for %d samples", cap);
    }
    s->cap = cap;
  }
  memcpy(s->x + (size_t)s->n * EP_PF_COUNT, x, EP_PF_COUNT * sizeof *x);
  s->macs[s->n] = macs;
  s->bytes[s->n] = bytes;
  s->ms[s->n] = ms;
  s->n++;
  return EP_OK;
}

static void sample_free(sample_set* s) {
  free(s->x);
  free(s->macs);
  free(s->bytes);
  free(s->ms);
}

typedef struct node_times {
  double* seconds; /* [run][node] */
  int n_nodes, run;
} node_times;

static void on_node(void* user, int node, double seconds) {
  node_times* t = user;
  if (node >= 0 && node < t->n_nodes) t->seconds[(size_t)t->run * t->n_nodes + node] = seconds;
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

double ep_predict_llc_bytes(void) {
  ep_cpu_info info;
  ep_cpu_info_get(&info);
  double llc = 0.0;
  for (int i = 0; i < info.n_caches; i++) {
    if (info.caches[i].level >= 2 && strcmp(info.caches[i].type, "Instruction") != 0 &&
        (double)info.caches[i].size_bytes > llc) {
      llc = (double)info.caches[i].size_bytes;
    }
  }
  return llc > 0 ? llc : 8.0 * 1024 * 1024;
}

/* Times every node of `graph` with `threads` threads and adds one sample per timed node. */
static ep_status measure(const ep_graph* graph, const bool* blocked, int threads, const int* cpus,
                         int n_cpus, int runs, double seconds_left, bool cold,
                         unsigned char* flush, size_t flush_size, const double* cap_ms,
                         double* node_ms, sample_set* sets) {
  ep_session* session = NULL;
  ep_session_options so = {threads, n_cpus > 0 ? cpus : NULL, n_cpus, "cpu"};
  ep_status status = ep_session_create(graph, &so, &session);
  if (status != EP_OK) return status;
  int n = ep_graph_node_count(graph);
  node_times t = {calloc((size_t)runs * n + 1, sizeof(double)), n, 0};
  double* one = malloc((size_t)runs * sizeof *one);
  if (t.seconds == NULL || one == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to time %d nodes", n);
    goto cleanup;
  }
  double t0 = ep_now();
  status = ep_session_run(session); /* warm-up: first-touch pages, thread start */
  /* A configuration far slower than most (a busy spell, a VGG-sized layer) gets fewer runs
   * rather than overrunning the budget; never under 1. */
  double once = ep_now() - t0;
  if (once > 0 && runs > 1 && once * runs > seconds_left) {
    runs = seconds_left > once ? (int)(seconds_left / once) : 1;
    if (runs < 1) runs = 1;
  }
  ep_session_set_node_callback(session, on_node, &t);
  for (t.run = 0; t.run < runs && status == EP_OK; t.run++) {
    if (cold) memset(flush, t.run & 0xff, flush_size);
    status = ep_session_run(session);
  }
  ep_session_set_node_callback(session, NULL, NULL);
  if (status != EP_OK) goto cleanup;
  for (int i = 0; i < n && status == EP_OK; i++) {
    const ep_node* node = ep_graph_node(graph, i);
    ep_predict_class c = ep_predict_node_class(graph, node);
    if (c == EP_PREDICT_VIEW) continue; /* views do not run */
    for (int r = 0; r < runs; r++) one[r] = t.seconds[(size_t)r * n + i];
    qsort(one, (size_t)runs, sizeof *one, cmp_double);
    double ms = one[0] * 1e3;
    if (!(ms > 0)) ms = 1e-5;
    /* More threads never make a layer slower than on fewer, beyond the pool's few microseconds
     * of overhead: a longer time is a worker the machine descheduled in every run (on a loaded
     * two-core machine both workers are rarely scheduled together), not the layer's own. */
    if (cap_ms != NULL && ms > cap_ms[i] * 1.1 + 0.01) ms = cap_ms[i] * 1.1 + 0.01;
    node_ms[i] = ms;
    float f[EP_PF_COUNT];
    ep_pf_compute(graph, i, blocked, f);
    f[EP_PF_COLD] = cold ? 1.0f : 0.0f;
    double macs, bytes;
    ep_pf_work(graph, node, &macs, &bytes);
    status = sample_add(&sets[c], f, macs, bytes, ms);
  }

cleanup:
  free(t.seconds);
  free(one);
  ep_session_destroy(session);
  return status;
}

/* How often each family is drawn once every family has had its turns: convolutions dominate
 * CNN time, so their families get most configurations. */
static const double family_weight[EP_PROBE_FAMILY_COUNT] = {
    /* conv */ 4, /* bottleneck */ 4, /* inverted */ 4, /* separable */ 2, /* pool */ 1.5,
    /* classifier */ 1.5, /* concat */ 2, /* eltwise */ 1.5, /* lstm */ 0.7, /* attention */ 0.7,
    /* memory */ 1, /* stem */ 1};

/* The family that produces each class (for the classes that are still short of samples). */
static const int family_of_class[EP_PREDICT_CLASS_COUNT] = {
    /* conv */ 0, /* dwconv */ 3, /* gconv */ 1, /* fc */ 5, /* matmul */ 9, /* pool */ 4,
    /* gpool */ 5, /* eltwise */ 7, /* softmax */ 10, /* memory */ 6, /* rnn */ 8, /* view */ 5};

enum { MIN_CLASS_SAMPLES = 6, MIN_FIT_SAMPLES = 3 };

/* Whether a class (at the first thread count: every count measures the same nodes) has fewer
 * samples than a model needs. */
static bool short_class(const sample_set* sets) {
  for (int c = 0; c < EP_PREDICT_CLASS_COUNT; c++) {
    if (c != EP_PREDICT_VIEW && sets[c].n < MIN_FIT_SAMPLES) return true;
  }
  return false;
}

/* Every family once, then a family for each class short of MIN_CLASS_SAMPLES, then by weight. */
static int draw_family(uint64_t* rng, int configs, const sample_set* sets) {
  if (configs < EP_PROBE_FAMILY_COUNT) return configs;
  for (int c = 0; c < EP_PREDICT_CLASS_COUNT; c++) {
    if (c != EP_PREDICT_VIEW && sets[c].n < MIN_CLASS_SAMPLES) {
      return family_of_class[c];
    }
  }
  double total = 0.0;
  for (int f = 0; f < EP_PROBE_FAMILY_COUNT; f++) total += family_weight[f];
  double u = ep_predict_rng_unit(rng) * total;
  for (int f = 0; f < EP_PROBE_FAMILY_COUNT; f++) {
    if (u < family_weight[f]) return f;
    u -= family_weight[f];
  }
  return 0;
}

ep_status ep_predict_fit(const ep_predict_fit_options* o, ep_predict_device** device_out) {
  if (o == NULL || device_out == NULL || o->n_threads < 1 ||
      o->n_threads > EP_PREDICT_MAX_THREAD_COUNTS || o->threads == NULL || !(o->budget_s > 0)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT,
                    "predict-fit: 1 to %d thread counts and a budget > 0 s are needed",
                    EP_PREDICT_MAX_THREAD_COUNTS);
  }
  for (int i = 0; i < o->n_threads; i++) {
    if (o->threads[i] < 1 || o->threads[i] > 256) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "predict-fit: thread count %d out of 1..256",
                      o->threads[i]);
    }
    for (int j = 0; j < i; j++) {
      if (o->threads[j] == o->threads[i]) {
        return ep_error(EP_ERR_INVALID_ARGUMENT, "predict-fit: thread count %d given twice",
                        o->threads[i]);
      }
    }
  }
  ep_status status = EP_OK;
  int runs = o->runs > 0 ? o->runs : 7;
  double start = ep_now();
  ep_predict_device* d = calloc(1, sizeof *d);
  sample_set* sets = calloc((size_t)o->n_threads * EP_PREDICT_CLASS_COUNT, sizeof *sets);
  double llc = ep_predict_llc_bytes();
  size_t flush_size = (size_t)(2 * llc);
  unsigned char* flush = malloc(flush_size);
  if (d == NULL || sets == NULL || flush == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for predict-fit");
    goto cleanup;
  }
  memset(flush, 0, flush_size);
  uint64_t rng = o->seed ^ 0x5eedull;
  int fewest = 0;
  for (int c = 1; c < o->n_threads; c++) {
    if (o->threads[c] < o->threads[fewest]) fewest = c;
  }
  int configs = 0, samples = 0;
  /* Until the budget is spent, and past it while a class still lacks the samples for a model
   * (a heavily loaded machine gets few configurations into a short budget), but never past
   * three budgets: the fit's time stays bounded. */
  while (ep_now() - start < o->budget_s ||
         (short_class(sets) && ep_now() - start < 3.0 * o->budget_s)) {
    int family = draw_family(&rng, configs, sets);
    ep_graph* g = NULL;
    status = ep_probe_build(family, &rng, &g);
    if (status != EP_OK) {
      status = ep_error(status, "predict-fit: building a %s configuration: %s",
                        ep_probe_family_name(family), ep_last_error());
      goto cleanup;
    }
    bool* blocked = ep_pf_blocked_tensors(g);
    bool cold = configs % 2 == 1;
    int n_nodes = ep_graph_node_count(g);
    double* first_ms = calloc((size_t)n_nodes + 1, sizeof *first_ms);
    double* other_ms = calloc((size_t)n_nodes + 1, sizeof *other_ms);
    if (first_ms == NULL || other_ms == NULL) status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory");
    for (int k = 0; k < o->n_threads && status == EP_OK && blocked != NULL; k++) {
      /* The fewest threads first: its times bound the others' (see measure). */
      int c = k == 0 ? fewest : k <= fewest ? k - 1 : k;
      double left = (o->budget_s - (ep_now() - start)) / (o->n_threads - k);
      if (left < 0.0) left = 0.0; /* past the budget (a class short of samples): 1 run */
      status = measure(g, blocked, o->threads[c], o->cpus, o->n_cpus, runs, left, cold, flush,
                       flush_size, k == 0 ? NULL : first_ms, k == 0 ? first_ms : other_ms,
                       sets + (size_t)c * EP_PREDICT_CLASS_COUNT);
    }
    free(first_ms);
    free(other_ms);
    if (blocked == NULL) status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a layout plan");
    free(blocked);
    ep_graph_destroy(g);
    if (status != EP_OK) goto cleanup;
    configs++;
    samples = 0;
    for (int i = 0; i < o->n_threads * EP_PREDICT_CLASS_COUNT; i++) samples += sets[i].n;
    if (o->progress != NULL) o->progress(o->user, configs, samples, ep_now() - start);
  }

  /* Fit: more trees where there are more samples; a few hundred samples take well under a
   * second. */
  for (int c = 0; c < o->n_threads; c++) {
    ep_predict_config* cfg = &d->configs[d->n_configs++];
    cfg->threads = o->threads[c];
    for (int k = 0; k < EP_PREDICT_CLASS_COUNT; k++) {
      sample_set* s = &sets[(size_t)c * EP_PREDICT_CLASS_COUNT + k];
      if (s->n < MIN_FIT_SAMPLES) continue;
      ep_gbdt_params p = {s->n < 50 ? 40 : s->n < 400 ? 120 : 200, s->n < 50 ? 2 : 4,
                          s->n < 50 ? 2 : 3, 0.1};
      status = ep_gbdt_fit(s->x, s->macs, s->bytes, s->ms, s->n, &p, &cfg->models[k]);
      if (status != EP_OK) goto cleanup;
    }
  }
  ep_cpu_info cpu;
  ep_cpu_info_get(&cpu);
  ep_predict_device_info* info = &d->info;
  snprintf(info->cpu, sizeof info->cpu, "%s", cpu.model);
  snprintf(info->isa, sizeof info->isa, "%s", ep_cpu_isa_name(ep_cpu_isa_active()));
  const char* layout = ep_session_blocked_layout();
  snprintf(info->layout, sizeof info->layout, "%s", layout != NULL ? layout : "none");
  if (o->n_cpus > 0) ep_cpulist_format(o->cpus, o->n_cpus, info->cpus, sizeof info->cpus);
  info->llc_bytes = llc;
  info->n_threads = o->n_threads;
  for (int c = 0; c < o->n_threads; c++) info->threads[c] = o->threads[c];
  info->configs = configs;
  info->samples = samples;
  info->fit_seconds = ep_now() - start;

cleanup:
  if (sets != NULL) {
    for (int i = 0; i < o->n_threads * EP_PREDICT_CLASS_COUNT; i++) sample_free(&sets[i]);
  }
  free(sets);
  free(flush);
  if (status != EP_OK) {
    ep_predict_device_destroy(d);
    return status;
  }
  *device_out = d;
  return EP_OK;
}

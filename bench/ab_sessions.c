/* Two configurations of one model, timed run for run in one process (a benchmark, not a test):
 * for telling whether a change helps when the machine's speed drifts by tens of percent from
 * second to second, as shared hosts do. Alternate processes, even in many rounds, each see
 * several seconds of one phase; here every run of A has a run of B beside it.
 *
 *   ab_sessions MODEL [--threads N] [--threads-b N] [--runs N] [--nodes] [--a NAME=VALUE]...
 *               [--b NAME=VALUE]...
 *
 * Each --a / --b sets an environment variable while that session is created and while it runs
 * (EDGEPROF_LAYOUT, EDGEPROF_ISA, or a knob a kernel reads while tuning it); it is unset between.
 * Runs A, B, B, A, A, B, ... (so that neither always goes first) and prints each one's median,
 * and the median over pairs of B / A. --threads-b gives B another thread count (how each node
 * scales). --nodes also times every node (with the timers' small
 * overhead) and prints each node's medians and their ratio. Built and run by
 * bench/ab_sessions.sh.
 *
 * With more than one thread each session has its own pool, whose workers spin for a while after
 * a run before they sleep (src/runtime/threadpool.c): the next run, of the other session, would
 * share the cores with them. So runs are then GAP_MS apart, longer than that spin. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgeprof/model.h"
#include "edgeprof/session.h"

enum { MAX_SETTINGS = 8, GAP_MS = 40 };

typedef struct settings {
  const char* names[MAX_SETTINGS];
  const char* values[MAX_SETTINGS];
  int count;
} settings;

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void pause_ms(int ms) {
  struct timespec t = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
  nanosleep(&t, NULL);
}

static int compare_doubles(const void* a, const void* b) {
  const double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double median(double* v, int n) {
  qsort(v, (size_t)n, sizeof *v, compare_doubles);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static int add_setting(settings* s, char* arg) {
  char* eq = strchr(arg, '=');
  if (eq == NULL || eq == arg || s->count == MAX_SETTINGS) return -1;
  *eq = '\0';
  s->names[s->count] = arg;
  s->values[s->count] = eq + 1;
  s->count++;
  return 0;
}

/* Per-node times of one session: run r's node i at seconds[r * nodes + i]. */
typedef struct node_times {
  double* seconds;
  int nodes, run;
} node_times;

static void record_node(void* user, int node_index, double seconds) {
  node_times* t = user;
  t->seconds[(size_t)t->run * (size_t)t->nodes + (size_t)node_index] = seconds;
}

/* Each node's median over the runs, A against B. */
static void print_nodes(const ep_graph* graph, const node_times* a, const node_times* b, int runs) {
  double* va = malloc((size_t)runs * sizeof *va);
  double* vb = malloc((size_t)runs * sizeof *vb);
  if (va == NULL || vb == NULL) return;
  printf("%-48s %-16s %10s %10s %7s\n", "node", "op", "A ms", "B ms", "B / A");
  for (int i = 0; i < a->nodes; i++) {
    for (int r = 0; r < runs; r++) {
      va[r] = a->seconds[(size_t)r * (size_t)a->nodes + (size_t)i];
      vb[r] = b->seconds[(size_t)r * (size_t)b->nodes + (size_t)i];
    }
    const double ma = median(va, runs), mb = median(vb, runs);
    const ep_node* node = ep_graph_node(graph, i);
    printf("%-48.48s %-16.16s %10.3f %10.3f %7.3f\n", node->name, ep_op_name(node->op), ma * 1e3,
           mb * 1e3, ma > 0 ? mb / ma : 0.0);
  }
  free(va);
  free(vb);
}

static void apply(const settings* s) {
  for (int i = 0; i < s->count; i++) setenv(s->names[i], s->values[i], 1);
}

static void clear(const settings* s) {
  for (int i = 0; i < s->count; i++) unsetenv(s->names[i]);
}

/* One run with the side's environment set (kernels that read it at run time see it too). */
static double timed_run(ep_session* session, const settings* s, int threads) {
  if (threads > 1) pause_ms(GAP_MS);
  apply(s);
  const double t0 = now();
  ep_session_run(session);
  const double t = now() - t0;
  clear(s);
  return t;
}

static ep_session* create(const ep_graph* graph, int threads, const settings* s) {
  apply(s);
  const ep_session_options options = {.threads = threads};
  ep_session* session = NULL;
  const ep_status status = ep_session_create(graph, &options, &session);
  clear(s);
  return status == EP_OK ? session : NULL;
}

int main(int argc, char** argv) {
  const char* model = NULL;
  int threads = 1, threads_b = 0, runs = 100;
  bool nodes = false;
  settings a = {0}, b = {0};
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--threads-b") == 0 && i + 1 < argc) {
      threads_b = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--nodes") == 0) {
      nodes = true;
    } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = atoi(argv[++i]);
    } else if ((strcmp(argv[i], "--a") == 0 || strcmp(argv[i], "--b") == 0) && i + 1 < argc) {
      settings* s = argv[i][2] == 'a' ? &a : &b;
      if (add_setting(s, argv[++i]) != 0) {
        fprintf(stderr, "ab_sessions: '%s' is not NAME=VALUE (at most %d per side)\n", argv[i],
                MAX_SETTINGS);
        return 2;
      }
    } else if (argv[i][0] != '-' && model == NULL) {
      model = argv[i];
    } else {
      fprintf(stderr,
              "usage: ab_sessions MODEL [--threads N] [--threads-b N] [--runs N] [--nodes] "
              "[--a NAME=VALUE]... "
              "[--b NAME=VALUE]...\n");
      return 2;
    }
  }
  if (threads_b == 0) threads_b = threads;
  if (model == NULL || threads < 1 || threads_b < 1 || runs < 2) {
    fprintf(stderr, "ab_sessions: a MODEL, thread counts >= 1 and --runs >= 2 are needed\n");
    return 2;
  }
  ep_graph* graph = NULL;
  if (ep_model_load(model, 2018, NULL, &graph) != EP_OK) {
    fprintf(stderr, "ab_sessions: cannot load %s\n", model);
    return 2;
  }
  ep_session* sa = create(graph, threads, &a);
  ep_session* sb = create(graph, threads_b, &b);
  double* ta = malloc((size_t)runs * sizeof *ta);
  double* tb = malloc((size_t)runs * sizeof *tb);
  double* ratio = malloc((size_t)runs * sizeof *ratio);
  if (sa == NULL || sb == NULL || ta == NULL || tb == NULL || ratio == NULL) {
    fprintf(stderr, "ab_sessions: cannot create the sessions\n");
    return 1;
  }
  const int n_nodes = ep_graph_node_count(graph);
  node_times na = {NULL, n_nodes, 0}, nb = {NULL, n_nodes, 0};
  if (nodes) {
    na.seconds = calloc((size_t)runs * (size_t)n_nodes, sizeof(double));
    nb.seconds = calloc((size_t)runs * (size_t)n_nodes, sizeof(double));
    if (na.seconds == NULL || nb.seconds == NULL) {
      fprintf(stderr, "ab_sessions: out of memory\n");
      return 1;
    }
    ep_session_set_node_callback(sa, record_node, &na);
    ep_session_set_node_callback(sb, record_node, &nb);
  }
  /* One warm-up run each. */
  if (ep_session_run(sa) != EP_OK || ep_session_run(sb) != EP_OK) {
    fprintf(stderr, "ab_sessions: a run failed\n");
    return 1;
  }
  for (int r = 0; r < runs; r++) {
    na.run = nb.run = r;
    const bool a_first = (r + r / 2) % 2 == 0; /* A B B A A B B A ... */
    for (int k = 0; k < 2; k++) {
      const bool is_a = (k == 0) == a_first;
      const double t =
          timed_run(is_a ? sa : sb, is_a ? &a : &b, threads > threads_b ? threads : threads_b);
      if (is_a)
        ta[r] = t;
      else
        tb[r] = t;
    }
    ratio[r] = tb[r] / ta[r];
  }
  const double ma = median(ta, runs), mb = median(tb, runs), mr = median(ratio, runs);
  printf("%s, %d / %d thread(s), %d runs each: A median %.3f ms, B median %.3f ms, B / A %.3f\n",
         model, threads, threads_b, runs, ma * 1e3, mb * 1e3, mr);
  if (nodes) print_nodes(graph, &na, &nb, runs);
  ep_session_destroy(sa);
  ep_session_destroy(sb);
  ep_graph_destroy(graph);
  free(ta);
  free(tb);
  free(ratio);
  free(na.seconds);
  free(nb.seconds);
  return 0;
}

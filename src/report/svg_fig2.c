/* fig2.svg: the paper's Fig. 2 for one machine as small multiples: a panel per network, a line
 * per core set (and backend, when several were measured), median latency against threads with a
 * whisker up to the p90 (svg_threads.c draws it). One panel per network keeps ten lines from
 * crossing in one chart; hollow points are oversubscribed, ringed ones noisy. */
#include <stdlib.h>
#include <string.h>

#include "edgeprof/report.h"
#include "report/svg_threads.h"
#include "report/svg_util.h"

#define MAX_SERIES 64

typedef struct series_key {
  const char* set;
  const char* backend;
  char label[320];
} series_key;

static int series_index(const series_key* keys, int n, const char* set, const char* backend) {
  for (int i = 0; i < n; i++) {
    if (strcmp(keys[i].set, set) == 0 && strcmp(keys[i].backend, backend) == 0) return i;
  }
  return -1;
}

static void add_series(series_key* keys, int* n, const char* set, const char* backend) {
  if (*n < MAX_SERIES && series_index(keys, *n, set, backend) < 0) {
    keys[*n].set = set;
    keys[*n].backend = backend;
    (*n)++;
  }
}

/* (core set, backend) pairs with measurements: the machine's sets in listing order, then any
 * other set; backends in order of first appearance within a set. */
static int list_series(const ep_results* r, series_key* keys) {
  int n = 0;
  for (int s = 0; s <= r->n_sets; s++) {
    for (int i = 0; i < r->n_models; i++) {
      for (int k = 0; k < r->models[i].n_measurements; k++) {
        const ep_results_measurement* m = &r->models[i].measurements[k];
        if (s == r->n_sets || strcmp(m->core_set, r->sets[s].name) == 0) {
          add_series(keys, &n, m->core_set, m->backend);
        }
      }
    }
  }
  return n;
}

ep_status ep_report_fig2_svg(const ep_results* r, FILE* out) {
  series_key keys[MAX_SERIES];
  int n_series = list_series(r, keys);
  bool multi_backend = false;
  for (int i = 1; i < n_series; i++) multi_backend |= strcmp(keys[i].backend, keys[0].backend);
  svg_thread_series series[MAX_SERIES];
  for (int s = 0; s < n_series; s++) {
    const char* cpus = NULL;
    for (int k = 0; k < r->n_sets; k++) {
      if (strcmp(r->sets[k].name, keys[s].set) == 0) cpus = r->sets[k].cpus;
    }
    snprintf(keys[s].label, sizeof keys[s].label, "%s%s%s%s%s%s", keys[s].set,
             multi_backend ? " · " : "", multi_backend ? keys[s].backend : "",
             cpus != NULL ? " (CPUs " : "", cpus != NULL ? cpus : "", cpus != NULL ? ")" : "");
    series[s] = (svg_thread_series){keys[s].set, keys[s].backend, keys[s].label};
  }

  int total = 0;
  for (int i = 0; i < r->n_models; i++) total += r->models[i].n_measurements;
  svg_thread_point* points = calloc((size_t)(total > 0 ? total : 1), sizeof *points);
  svg_thread_panel* panels = calloc((size_t)(r->n_models > 0 ? r->n_models : 1), sizeof *panels);
  if (points == NULL || panels == NULL) {
    free(points);
    free(panels);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a Fig. 2 chart");
  }
  int n_points = 0;
  for (int i = 0; i < r->n_models; i++) {
    const ep_results_model* m = &r->models[i];
    panels[i] = (svg_thread_panel){m->name, points + n_points, 0};
    for (int k = 0; k < m->n_measurements; k++) {
      const ep_results_measurement* x = &m->measurements[k];
      int s = series_index(keys, n_series, x->core_set, x->backend);
      if (s < 0) continue; /* beyond MAX_SERIES */
      points[n_points++] = (svg_thread_point){s, x->threads, x->stats.median, x->stats.p90,
                                              x->oversubscribed, x->noisy, x->noise_reasons};
      panels[i].n_points++;
    }
  }
  char title[300];
  snprintf(title, sizeof title, "Fig. 2: latency vs threads on each core set · %s",
           r->platform_id);
  bool ok = ep_svg_thread_panels(out, title, series, n_series, panels, r->n_models);
  free(points);
  free(panels);
  if (!ok) return ep_error(EP_ERR_IO, "cannot write a Fig. 2 chart");
  return EP_OK;
}

/* sweep --svg: the thread sweep of one model, drawn like a panel of Fig. 2 (svg_threads.c). */
#include <stdlib.h>
#include <string.h>

#include "edgeprof/report.h"
#include "report/svg_threads.h"
#include "report/svg_util.h"

#define MAX_SERIES 64

ep_status ep_report_sweep_svg(const ep_sweep_report* report, FILE* out) {
  int n = report->n_measurements;
  svg_thread_series series[MAX_SERIES];
  char labels[MAX_SERIES][320];
  int n_series = 0;
  bool multi_backend = false;
  for (int k = 1; k < n; k++) {
    multi_backend |= strcmp(report->measurements[k].backend, report->measurements[0].backend);
  }
  svg_thread_point* points = calloc((size_t)(n > 0 ? n : 1), sizeof *points);
  if (points == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for the sweep chart");
  int n_points = 0;
  for (int k = 0; k < n; k++) {
    const ep_measurement* m = &report->measurements[k];
    int s = 0;
    while (s < n_series && !(strcmp(series[s].core_set, m->core_set) == 0 &&
                             strcmp(series[s].backend, m->backend) == 0)) {
      s++;
    }
    if (s == n_series) {
      if (n_series == MAX_SERIES) continue;
      snprintf(labels[s], sizeof labels[s], "%s%s%s (CPUs %s)", m->core_set,
               multi_backend ? " · " : "", multi_backend ? m->backend : "", m->cpus);
      series[n_series++] = (svg_thread_series){m->core_set, m->backend, labels[s]};
    }
    points[n_points++] = (svg_thread_point){s, m->threads, m->stats.median, m->stats.p90,
                                            m->oversubscribed, m->noise.noisy,
                                            m->noise.reasons};
  }
  svg_thread_panel panel = {report->model, points, n_points};
  char title[300];
  snprintf(title, sizeof title, "%s: latency vs threads on each core set", report->model);
  bool ok = ep_svg_thread_panels(out, title, series, n_series, &panel, 1);
  free(points);
  if (!ok) return ep_error(EP_ERR_IO, "cannot write the sweep chart");
  return EP_OK;
}

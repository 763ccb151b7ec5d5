/* Latency against thread count as small multiples (internal to src/report): one panel per
 * network, one line per series (a core set, or a core set and backend), median points with a
 * whisker up to the p90. Fig. 2 of a characterization and the chart of `sweep --svg` both draw
 * through it.
 *
 * Each panel has its own logarithmic latency axis (an MLP's 9 ms and a ResNet's 980 ms would
 * flatten each other on a shared one); the thread axis (log2) is the same in every panel, so
 * perfect scaling is the same slope everywhere. */
#ifndef EDGEPROF_REPORT_SVG_THREADS_H
#define EDGEPROF_REPORT_SVG_THREADS_H

#include <stdbool.h>
#include <stdio.h>

typedef struct svg_thread_point {
  int series; /* index into the series */
  int threads;
  double median, p90; /* ms */
  bool oversubscribed; /* more threads than the set has CPUs: drawn hollow */
  bool noisy;          /* the noise check failed: drawn with the noisy mark */
  const char* noise_reasons; /* why (the point's tooltip); NULL or "" when none */
} svg_thread_point;

typedef struct svg_thread_series {
  const char* core_set; /* data-core-set */
  const char* backend;  /* data-backend */
  const char* label;    /* the legend's text: "big (CPUs 4-7)" */
} svg_thread_series;

typedef struct svg_thread_panel {
  const char* name; /* the network (panel title, data-model) */
  const svg_thread_point* points;
  int n_points;
} svg_thread_panel;

/* Writes the whole <svg> with `title` on top. Returns false when writing failed. */
bool ep_svg_thread_panels(FILE* out, const char* title, const svg_thread_series* series,
                          int n_series, const svg_thread_panel* panels, int n_panels);

#endif /* EDGEPROF_REPORT_SVG_THREADS_H */

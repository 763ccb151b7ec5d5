/* fig2.svg: the paper's Fig. 2 for one machine, median latency against thread count, one line
 * per network (colour) and core set (dash). Both axes are logarithmic (threads base 2), so that
 * the CNNs and the small LSTM/MLP share one chart and perfect scaling is a straight line.
 * Oversubscribed points (more threads than the set has CPUs) are hollow. */
#include <math.h>
#include <string.h>

#include "edgeprof/report.h"
#include "report/svg_util.h"

#define MAX_THREADS 64

static int thread_counts(const ep_results* r, int* out) {
  int n = 0;
  for (int i = 0; i < r->n_models; i++) {
    for (int k = 0; k < r->models[i].n_measurements; k++) {
      int t = r->models[i].measurements[k].threads;
      bool seen = false;
      for (int j = 0; j < n && !seen; j++) seen = out[j] == t;
      if (!seen && n < MAX_THREADS) out[n++] = t;
    }
  }
  for (int i = 1; i < n; i++) { /* insertion sort */
    int v = out[i], j = i;
    for (; j > 0 && out[j - 1] > v; j--) out[j] = out[j - 1];
    out[j] = v;
  }
  return n;
}

static bool has_set(const ep_results* r, const char* set) {
  for (int i = 0; i < r->n_models; i++) {
    for (int k = 0; k < r->models[i].n_measurements; k++) {
      if (strcmp(r->models[i].measurements[k].core_set, set) == 0) return true;
    }
  }
  return false;
}

/* Core sets that have measurements: the machine's sets in listing order, then any other. */
static int measured_sets(const ep_results* r, const char** out, int max) {
  int n = 0;
  for (int s = 0; s < r->n_sets && n < max; s++) {
    if (has_set(r, r->sets[s].name)) out[n++] = r->sets[s].name;
  }
  for (int i = 0; i < r->n_models; i++) {
    for (int k = 0; k < r->models[i].n_measurements; k++) {
      const char* set = r->models[i].measurements[k].core_set;
      bool seen = false;
      for (int j = 0; j < n && !seen; j++) seen = strcmp(out[j], set) == 0;
      if (!seen && n < max) out[n++] = set;
    }
  }
  return n;
}

ep_status ep_report_fig2_svg(const ep_results* r, FILE* out) {
  int threads[MAX_THREADS];
  int n_threads = thread_counts(r, threads);
  const char* sets[32];
  int n_sets = measured_sets(r, sets, 32);
  double vmin = INFINITY, vmax = 0.0;
  for (int i = 0; i < r->n_models; i++) {
    for (int k = 0; k < r->models[i].n_measurements; k++) {
      double v = r->models[i].measurements[k].stats.median;
      if (v < vmin) vmin = v;
      if (v > vmax) vmax = v;
    }
  }
  if (vmax <= 0.0) {
    vmin = 1.0;
    vmax = 10.0;
  }
  const int left = 72, top = 46, plot_w = 520, plot_h = 330, legend_x = left + plot_w + 30;
  int legend_rows = r->n_models + n_sets + 3;
  int height = top + plot_h + 56;
  if (top + legend_rows * 18 + 20 > height) height = top + legend_rows * 18 + 20;
  int width = legend_x + 250;
  svg_scale y = {0, 0, top + plot_h, top, 10};
  ep_svg_log_range(vmin, vmax, &y.lo, &y.hi);
  int tmin = n_threads > 0 ? threads[0] : 1, tmax = n_threads > 0 ? threads[n_threads - 1] : 1;
  svg_scale x = {tmin, tmax > tmin ? tmax : tmin * 2, left + 20, left + plot_w - 20, 2};

  char title[300];
  snprintf(title, sizeof title, "Fig. 2: latency vs threads on each core set · %s",
           r->platform_id);
  ep_svg_begin(out, width, height, title);
  double ticks[32];
  int n_ticks = ep_svg_log_ticks(y.lo, y.hi, ticks, 32);
  for (int t = 0; t < n_ticks; t++) {
    double py = ep_svg_map(&y, ticks[t]);
    bool decade = fabs(log10(ticks[t]) - round(log10(ticks[t]))) < 1e-9;
    fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\"/>\n", left, py,
            left + plot_w, py, decade ? "#cccccc" : "#eeeeee");
    char label[32];
    ep_svg_text(out, left - 6, py + 4, "end", 11, "fill=\"#444444\"",
             ep_svg_format_tick(ticks[t], label, sizeof label));
  }
  for (int t = 0; t < n_threads; t++) {
    double px = ep_svg_map(&x, threads[t]);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eeeeee\"/>\n", px,
            top, px, top + plot_h);
    char label[16];
    snprintf(label, sizeof label, "%d", threads[t]);
    ep_svg_text(out, px, top + plot_h + 16, "middle", 11, "fill=\"#444444\"", label);
  }
  fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
               "stroke=\"#333333\"/>\n", left, top, plot_w, plot_h);
  ep_svg_text(out, left + plot_w / 2.0, top + plot_h + 34, "middle", 12, "fill=\"#333333\"",
           "threads (log scale)");
  fprintf(out, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" "
               "fill=\"#333333\" transform=\"rotate(-90 16 %.1f)\">median latency (ms, log "
               "scale)</text>\n", top + plot_h / 2.0, top + plot_h / 2.0);

  for (int i = 0; i < r->n_models; i++) {
    const ep_results_model* m = &r->models[i];
    const char* color = ep_svg_series_color(i);
    char model[160];
    ep_svg_escape_buf(m->name, model, sizeof model);
    for (int s = 0; s < n_sets; s++) {
      int n_points = 0;
      for (int t = 0; t < n_threads; t++) {
        n_points += ep_results_point(m, sets[s], threads[t]) != NULL;
      }
      if (n_points == 0) continue;
      char set[96];
      ep_svg_escape_buf(sets[s], set, sizeof set);
      fprintf(out, "<g class=\"series\" data-model=\"%s\" data-core-set=\"%s\">\n", model, set);
      fprintf(out, "<polyline class=\"line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s "
                   "points=\"", color, ep_svg_dash(s)[0] ? " stroke-dasharray=\"" : "",
              ep_svg_dash(s), ep_svg_dash(s)[0] ? "\"" : "");
      for (int t = 0; t < n_threads; t++) {
        const ep_results_measurement* p = ep_results_point(m, sets[s], threads[t]);
        if (p != NULL) {
          fprintf(out, "%.1f,%.1f ", ep_svg_map(&x, p->threads), ep_svg_map(&y, p->stats.median));
        }
      }
      fprintf(out, "\"/>\n");
      for (int t = 0; t < n_threads; t++) {
        const ep_results_measurement* p = ep_results_point(m, sets[s], threads[t]);
        if (p == NULL) continue;
        char value[32];
        ep_svg_format_value(p->stats.median, value, sizeof value);
        fprintf(out,
                "<circle class=\"point\" data-model=\"%s\" data-core-set=\"%s\" "
                "data-threads=\"%d\" data-ms=\"%.4f\" data-oversubscribed=\"%s\" cx=\"%.1f\" "
                "cy=\"%.1f\" r=\"4\" fill=\"%s\" stroke=\"%s\" stroke-width=\"1.5\"><title>%s, "
                "%s, %d thread%s: %s ms median, p90 %.3g ms%s</title></circle>\n",
                model, set, p->threads, p->stats.median, p->oversubscribed ? "true" : "false",
                ep_svg_map(&x, p->threads), ep_svg_map(&y, p->stats.median),
                p->oversubscribed ? "#ffffff" : color, color, model, set, p->threads,
                p->threads == 1 ? "" : "s", value, p->stats.p90,
                p->oversubscribed ? " (oversubscribed)" : "");
      }
      fprintf(out, "</g>\n");
    }
  }

  /* Legend: networks by colour, core sets by dash, hollow = oversubscribed. */
  double ly = top + 8;
  ep_svg_text(out, legend_x, ly, "start", 12, "font-weight=\"bold\" fill=\"#222222\"", "network");
  for (int i = 0; i < r->n_models; i++) {
    ly += 18;
    fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\" "
                 "stroke-width=\"3\"/>\n", legend_x, ly - 4, legend_x + 24, ly - 4,
            ep_svg_series_color(i));
    ep_svg_text(out, legend_x + 30, ly, "start", 11, "fill=\"#222222\"", r->models[i].name);
  }
  ly += 26;
  ep_svg_text(out, legend_x, ly, "start", 12, "font-weight=\"bold\" fill=\"#222222\"", "core set");
  for (int s = 0; s < n_sets; s++) {
    ly += 18;
    fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#555555\" "
                 "stroke-width=\"2\"%s%s%s/>\n", legend_x, ly - 4, legend_x + 24, ly - 4,
            ep_svg_dash(s)[0] ? " stroke-dasharray=\"" : "", ep_svg_dash(s), ep_svg_dash(s)[0] ? "\"" : "");
    char label[400] = "";
    for (int k = 0; k < r->n_sets; k++) {
      if (strcmp(r->sets[k].name, sets[s]) == 0) {
        snprintf(label, sizeof label, "%s (CPUs %s)", sets[s], r->sets[k].cpus);
      }
    }
    if (label[0] == '\0') snprintf(label, sizeof label, "%s", sets[s]);
    ep_svg_text(out, legend_x + 30, ly, "start", 11, "fill=\"#222222\"", label);
  }
  ly += 22;
  fprintf(out, "<circle cx=\"%d\" cy=\"%.1f\" r=\"4\" fill=\"#ffffff\" stroke=\"#555555\" "
               "stroke-width=\"1.5\"/>\n", legend_x + 12, ly - 4);
  ep_svg_text(out, legend_x + 30, ly, "start", 11, "fill=\"#222222\"",
           "oversubscribed (threads > CPUs)");
  ep_svg_end(out);
  if (ferror(out)) return ep_error(EP_ERR_IO, "cannot write a Fig. 2 chart");
  return EP_OK;
}

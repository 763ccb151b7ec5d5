/* fig1.svg: the paper's Fig. 1, best latency of each network on each machine (and backend) as
 * grouped bars on a log-scale axis. A machine without a network shows a gap ("n/a"), never a
 * zero-height bar. */
#include <math.h>
#include <string.h>

#include "edgeprof/report.h"
#include "report/svg_util.h"

#define MAX_MODELS 64
#define MAX_SERIES 64

typedef struct series {
  const ep_results* machine;
  char backend[16];
} series;

/* One series per machine and backend, backends in order of first appearance. */
static int list_series(const ep_results* const* machines, int n, series* out, bool* multi) {
  int count = 0;
  *multi = false;
  for (int m = 0; m < n; m++) {
    int first = count;
    for (int i = 0; i < machines[m]->n_models; i++) {
      const ep_results_model* model = &machines[m]->models[i];
      for (int k = 0; k < model->n_measurements; k++) {
        const char* b = model->measurements[k].backend;
        bool seen = false;
        for (int s = first; s < count && !seen; s++) seen = strcmp(out[s].backend, b) == 0;
        if (!seen && count < MAX_SERIES) {
          out[count].machine = machines[m];
          snprintf(out[count].backend, sizeof out[count].backend, "%s", b);
          count++;
        }
      }
    }
    if (count - first > 1) *multi = true;
  }
  return count;
}

ep_status ep_report_fig1_svg(const ep_results* const* machines, int n, FILE* out) {
  const char* models[MAX_MODELS];
  int n_models = ep_svg_model_names(machines, n, models, MAX_MODELS);
  series ser[MAX_SERIES];
  bool multi_backend = false;
  int n_series = list_series(machines, n, ser, &multi_backend);

  double vmin = INFINITY, vmax = 0.0;
  for (int s = 0; s < n_series; s++) {
    for (int i = 0; i < n_models; i++) {
      const ep_results_measurement* b =
          ep_results_best(ep_results_find_model(ser[s].machine, models[i]), ser[s].backend);
      if (b == NULL) continue;
      if (b->stats.median < vmin) vmin = b->stats.median;
      if (b->stats.median > vmax) vmax = b->stats.median;
    }
  }
  if (vmax <= 0.0) {
    vmin = 1.0;
    vmax = 10.0;
  }
  svg_scale y = {0, 0, 0, 0, 10};
  ep_svg_log_range(vmin, vmax, &y.lo, &y.hi);

  const int left = 72, right = 20, top = 46, plot_h = 300;
  int bar_w = n_series <= 1 ? 34 : n_series <= 4 ? 22 : n_series <= 8 ? 16 : 10;
  int group_w = n_series * bar_w + 28;
  if (group_w < 96) group_w = 96;
  int width = left + (n_models > 0 ? n_models : 1) * group_w + right;
  if (width < 560) width = 560;
  int per_row = (width - left) / 250 > 0 ? (width - left) / 250 : 1;
  int legend_rows = (n_series + per_row - 1) / per_row;
  int height = top + plot_h + 44 + legend_rows * 20 + 16;
  y.px_lo = top + plot_h;
  y.px_hi = top;
  double plot_w = width - left - right;
  group_w = n_models > 0 ? (int)(plot_w / n_models) : (int)plot_w;

  ep_svg_begin(out, width, height, "Fig. 1: best latency of each network (batch 1, log scale)");
  /* Grid and the y axis. */
  double ticks[32];
  int n_ticks = ep_svg_log_ticks(y.lo, y.hi, ticks, 32);
  for (int t = 0; t < n_ticks; t++) {
    double py = ep_svg_map(&y, ticks[t]);
    bool decade = fabs(log10(ticks[t]) - round(log10(ticks[t]))) < 1e-9;
    fprintf(out,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"1\"/>\n",
            left, py, width - right + 0.0, py, decade ? "#cccccc" : "#eeeeee");
    char label[32];
    ep_svg_text(out, left - 6, py + 4, "end", 11, "fill=\"#444444\"",
             ep_svg_format_tick(ticks[t], label, sizeof label));
  }
  fprintf(out, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" "
               "fill=\"#333333\" transform=\"rotate(-90 16 %.1f)\">latency (ms, log scale)"
               "</text>\n", top + plot_h / 2.0, top + plot_h / 2.0);
  fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n", left, top,
          left, top + plot_h);
  fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n", left,
          top + plot_h, width - right, top + plot_h);

  /* Bars, grouped by network. */
  for (int i = 0; i < n_models; i++) {
    double gx = left + i * group_w;
    double x0 = gx + (group_w - n_series * bar_w) / 2.0;
    fprintf(out, "<g class=\"group\" data-model=\"");
    ep_svg_escape(out, models[i]);
    fprintf(out, "\">\n");
    for (int s = 0; s < n_series; s++) {
      const ep_results_model* m = ep_results_find_model(ser[s].machine, models[i]);
      const ep_results_measurement* b = ep_results_best(m, ser[s].backend);
      double bx = x0 + s * bar_w;
      char id[160], model[160], backend[64];
      ep_svg_escape_buf(ser[s].machine->platform_id, id, sizeof id);
      ep_svg_escape_buf(models[i], model, sizeof model);
      ep_svg_escape_buf(ser[s].backend, backend, sizeof backend);
      if (b == NULL) {
        fprintf(out,
                "<text class=\"missing\" data-machine=\"%s\" data-model=\"%s\" "
                "data-backend=\"%s\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\" font-size=\"9\" "
                "fill=\"#999999\">n/a</text>\n",
                id, model, backend, bx + bar_w / 2.0, top + plot_h - 4);
        continue;
      }
      /* A median just above the axis' lowest decade (100.3 ms over 100) maps a hair above the
       * floor: keep every measured bar at least 1 px tall, so it is seen and never zero. */
      double py = fmin(ep_svg_map(&y, b->stats.median), top + plot_h - 1.0);
      char value[32], set[64];
      ep_svg_format_value(b->stats.median, value, sizeof value);
      ep_svg_escape_buf(b->core_set, set, sizeof set);
      fprintf(out,
              "<rect class=\"bar\" data-machine=\"%s\" data-model=\"%s\" data-backend=\"%s\" "
              "data-core-set=\"%s\" data-threads=\"%d\" data-ms=\"%.4f\" x=\"%.1f\" y=\"%.1f\" "
              "width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s on %s: %s ms median "
              "(%s, core set %s, %d thread%s)</title></rect>\n",
              id, model, backend, set, b->threads, b->stats.median, bx + 1, py, bar_w - 2.0,
              top + plot_h - py, ep_svg_series_color(s), model, id, value, backend, set, b->threads,
              b->threads == 1 ? "" : "s");
      if (bar_w >= 16) {
        ep_svg_text(out, bx + bar_w / 2.0, py - 3, "middle", 9, "fill=\"#333333\"", value);
      }
    }
    fprintf(out, "</g>\n");
    ep_svg_text(out, gx + group_w / 2.0, top + plot_h + 18, "middle", 12, "fill=\"#222222\"",
             models[i]);
  }

  /* Legend: one entry per series. */
  int col_w = (width - left) / per_row;
  for (int s = 0; s < n_series; s++) {
    double lx = left + (s % per_row) * col_w;
    double ly = top + plot_h + 40 + (s / per_row) * 20;
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx,
            ly - 10, ep_svg_series_color(s));
    char label[256];
    snprintf(label, sizeof label, "%s%s%s", ser[s].machine->platform_id,
             multi_backend ? " · " : "", multi_backend ? ser[s].backend : "");
    ep_svg_text(out, lx + 16, ly, "start", 11, "fill=\"#222222\"", label);
  }
  ep_svg_end(out);
  if (ferror(out)) return ep_error(EP_ERR_IO, "cannot write fig1.svg");
  return EP_OK;
}

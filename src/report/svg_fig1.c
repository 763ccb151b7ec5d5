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

static bool measurement_noisy(const ep_results_measurement* m) { return m->noisy; }

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

/* How the value above each bar is written: across when every value fits its bar's width, else
 * upright (rotated) when the bars are wide enough for a line of 9-px text, else not at all (the
 * report's table beside the chart has the numbers). */
typedef enum { VALUES_NONE, VALUES_ACROSS, VALUES_UPRIGHT } value_style;
#define VALUE_FONT 9

ep_status ep_report_fig1_svg(const ep_results* const* machines, int n, FILE* out) {
  const char* models[MAX_MODELS];
  int n_models = ep_svg_model_names(machines, n, models, MAX_MODELS);
  series ser[MAX_SERIES];
  bool multi_backend = false;
  int n_series = list_series(machines, n, ser, &multi_backend);

  int bar_w = n_series <= 1 ? 34 : n_series <= 4 ? 22 : n_series <= 8 ? 16 : 10;
  double vmin = INFINITY, vmax = 0.0, widest_value = 0.0, widest_name = 0.0;
  bool any_noisy = false;
  for (int i = 0; i < n_models; i++) {
    widest_name = fmax(widest_name, ep_svg_text_width(models[i], 12, false));
    for (int s = 0; s < n_series; s++) {
      const ep_results_measurement* b =
          ep_results_best(ep_results_find_model(ser[s].machine, models[i]), ser[s].backend);
      if (b == NULL) continue;
      vmin = fmin(vmin, b->stats.median);
      vmax = fmax(vmax, fmax(b->stats.median, b->stats.p90));
      char value[32];
      ep_svg_format_value(b->stats.median, value, sizeof value);
      widest_value = fmax(widest_value, ep_svg_text_width(value, VALUE_FONT, false));
      any_noisy |= measurement_noisy(b);
    }
  }
  if (vmax <= 0.0) {
    vmin = 1.0;
    vmax = 10.0;
  }
  value_style values = widest_value <= bar_w - 2 ? VALUES_ACROSS
                       : bar_w >= 14             ? VALUES_UPRIGHT
                                                 : VALUES_NONE;
  svg_scale y = {0, 0, 0, 0, 10};
  ep_svg_log_range(vmin, vmax, &y.lo, &y.hi);

  /* A group is as wide as its bars or its network's name, whichever is wider. */
  const char* title = "Fig. 1: best latency of each network (batch 1, log scale)";
  const int left = 72, right = 20, plot_h = 300;
  double group_w = fmax(fmax(n_series * bar_w + 28.0, widest_name + 16.0), 72.0);
  double width = left + (n_models > 0 ? n_models : 1) * group_w + right;
  svg_legend_item items[MAX_SERIES + 2];
  char labels[MAX_SERIES][256];
  int n_items = 0;
  for (int s = 0; s < n_series; s++) {
    snprintf(labels[s], sizeof labels[s], "%s%s%s", ser[s].machine->platform_id,
             multi_backend ? " · " : "", multi_backend ? ser[s].backend : "");
    items[n_items++] = (svg_legend_item){SVG_SWATCH_BOX, ep_svg_series_color(s), NULL, labels[s]};
  }
  items[n_items++] = (svg_legend_item){SVG_SWATCH_WHISKER, "#333333", NULL,
                                       "median (bar), whisker to p90"};
  if (any_noisy) {
    items[n_items++] = (svg_legend_item){SVG_SWATCH_NOISY, NULL, NULL,
                                         "noisy: failed the noise check (results.json says why)"};
  }
  width = fmax(width, 560.0);
  width = fmax(width, ep_svg_text_width(title, 15, true) + 28.0);
  width = fmax(width, ep_svg_legend_min_width(items, n_items) + 32.0);
  width = ceil(width);
  group_w = n_models > 0 ? (width - left - right) / n_models : width - left - right;
  int legend_rows = ep_svg_legend_rows(items, n_items, width - 32.0);
  double headroom = values == VALUES_UPRIGHT ? widest_value + 12.0 : 18.0;
  double top = 44 + legend_rows * SVG_LEGEND_ROW + headroom;
  int height = (int)ceil(top + plot_h + 30);
  y.px_lo = top + plot_h;
  y.px_hi = top;

  ep_svg_begin(out, (int)width, height, title);
  ep_svg_legend_draw(out, items, n_items, 16, 44, width - 32.0);
  /* Grid and the y axis. */
  double ticks[32];
  int n_ticks = ep_svg_log_ticks(y.lo, y.hi, ticks, 32);
  for (int t = 0; t < n_ticks; t++) {
    double py = ep_svg_map(&y, ticks[t]);
    bool decade = fabs(log10(ticks[t]) - round(log10(ticks[t]))) < 1e-9;
    fprintf(out,
            "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"1\"/>\n",
            left, py, width - right, py, decade ? "#cccccc" : "#eeeeee");
    char label[32];
    ep_svg_text(out, left - 6, py + 4, "end", 11, "class=\"tick\" fill=\"#444444\"",
                ep_svg_format_tick(ticks[t], label, sizeof label));
  }
  fprintf(out, "<text x=\"16\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" "
               "fill=\"#333333\" transform=\"rotate(-90 16 %.1f)\">latency (ms, log scale)"
               "</text>\n", top + plot_h / 2.0, top + plot_h / 2.0);
  fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#333333\"/>\n", left,
          top, left, top + plot_h);
  fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#333333\"/>\n", left,
          top + plot_h, width - right, top + plot_h);

  /* Bars, grouped by network, each with its p90 whisker. */
  for (int i = 0; i < n_models; i++) {
    double gx = left + i * group_w;
    double x0 = gx + (group_w - n_series * bar_w) / 2.0;
    fprintf(out, "<g class=\"group\" data-model=\"");
    ep_svg_escape(out, models[i]);
    fprintf(out, "\">\n");
    for (int s = 0; s < n_series; s++) {
      const ep_results_model* m = ep_results_find_model(ser[s].machine, models[i]);
      const ep_results_measurement* b = ep_results_best(m, ser[s].backend);
      double bx = x0 + s * bar_w, cx = bx + bar_w / 2.0;
      char id[160], model[160], backend[64];
      ep_svg_escape_buf(ser[s].machine->platform_id, id, sizeof id);
      ep_svg_escape_buf(models[i], model, sizeof model);
      ep_svg_escape_buf(ser[s].backend, backend, sizeof backend);
      if (b == NULL) {
        /* Across where it fits the bar's width, else upright so that neighbouring gaps do not
         * overlap. */
        double base = top + plot_h - 4;
        bool across = ep_svg_text_width("n/a", 9, false) <= bar_w - 1;
        char rotate[64] = "";
        if (!across) snprintf(rotate, sizeof rotate, " transform=\"rotate(-90 %.1f %.1f)\"", cx + 3, base);
        fprintf(out,
                "<text class=\"missing\" data-machine=\"%s\" data-model=\"%s\" "
                "data-backend=\"%s\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"9\" "
                "fill=\"#999999\"%s>n/a</text>\n",
                id, model, backend, across ? cx : cx + 3, base, across ? "middle" : "start",
                rotate);
        continue;
      }
      /* A median just above the axis' lowest decade (100.3 ms over 100) maps a hair above the
       * floor: keep every measured bar at least 1 px tall, so it is seen and never zero. */
      double py = fmin(ep_svg_map(&y, b->stats.median), top + plot_h - 1.0);
      double py90 = fmin(ep_svg_map(&y, fmax(b->stats.p90, b->stats.median)), py);
      bool noisy = measurement_noisy(b);
      char value[32], set[64], reasons[256];
      ep_svg_format_value(b->stats.median, value, sizeof value);
      ep_svg_escape_buf(b->noise_reasons, reasons, sizeof reasons);
      ep_svg_escape_buf(b->core_set, set, sizeof set);
      fprintf(out,
              "<rect class=\"bar\" data-machine=\"%s\" data-model=\"%s\" data-backend=\"%s\" "
              "data-core-set=\"%s\" data-threads=\"%d\" data-ms=\"%.4f\" data-p90=\"%.4f\" "
              "data-noisy=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
              "fill=\"%s\"%s><title>%s on %s: %s ms median, p90 %.3g ms (%s, core set %s, %d "
              "thread%s)%s%s%s</title></rect>\n",
              id, model, backend, set, b->threads, b->stats.median, b->stats.p90,
              noisy ? "true" : "false", bx + 1, py, bar_w - 2.0, top + plot_h - py,
              ep_svg_series_color(s),
              noisy ? " stroke=\"" SVG_NOISY_COLOR "\" stroke-width=\"2\" stroke-dasharray=\""
                      SVG_NOISY_DASH "\""
                    : "",
              model, id, value, b->stats.p90, backend, set, b->threads,
              b->threads == 1 ? "" : "s", noisy ? ", noisy" : "",
              noisy && reasons[0] ? ": " : "", noisy ? reasons : "");
      double cap = fmax(2.0, bar_w / 4.0);
      fprintf(out,
              "<line class=\"whisker\" data-ms=\"%.4f\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
              "y2=\"%.1f\" stroke=\"#333333\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
              "y2=\"%.1f\" stroke=\"#333333\"/>\n",
              b->stats.p90, cx, py, cx, py90, cx - cap, py90, cx + cap, py90);
      if (values == VALUES_ACROSS) {
        ep_svg_text(out, cx, py90 - 4, "middle", VALUE_FONT, "class=\"value\" fill=\"#333333\"",
                    value);
      } else if (values == VALUES_UPRIGHT) {
        char extra[96];
        snprintf(extra, sizeof extra, "class=\"value\" fill=\"#333333\" transform=\"rotate(-90 "
                 "%.1f %.1f)\"", cx + 3, py90 - 4);
        ep_svg_text(out, cx + 3, py90 - 4, "start", VALUE_FONT, extra, value);
      }
    }
    fprintf(out, "</g>\n");
    ep_svg_text(out, gx + group_w / 2.0, top + plot_h + 18, "middle", 12,
                "class=\"model\" fill=\"#222222\"", models[i]);
  }
  ep_svg_end(out);
  if (ferror(out)) return ep_error(EP_ERR_IO, "cannot write fig1.svg");
  return EP_OK;
}

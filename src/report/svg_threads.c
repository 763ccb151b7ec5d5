/* Small multiples of latency against threads (see svg_threads.h). */
#include "report/svg_threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/svg_util.h"

#define MAX_THREADS 64

/* Panel geometry (px): the plot inside a panel, and the margins for its title and ticks. */
enum {
  PANEL_W = 300,
  PANEL_H = 236,
  PLOT_LEFT = 48,  /* y tick labels */
  PLOT_RIGHT = 14,
  PLOT_TOP = 26,   /* the network's name */
  PLOT_BOTTOM = 40 /* x tick labels and "threads" */
};
#define FIG_LEFT 16
#define TICK_FONT 10

static int thread_counts(const svg_thread_panel* panels, int n_panels, int* out) {
  int n = 0;
  for (int p = 0; p < n_panels; p++) {
    for (int i = 0; i < panels[p].n_points; i++) {
      int t = panels[p].points[i].threads;
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

static const svg_thread_point* find(const svg_thread_panel* panel, int series, int threads) {
  for (int i = 0; i < panel->n_points; i++) {
    const svg_thread_point* p = &panel->points[i];
    if (p->series == series && p->threads == threads) return p;
  }
  return NULL;
}

static void dashed(FILE* out, const char* dash) {
  if (dash[0]) fprintf(out, " stroke-dasharray=\"%s\"", dash);
}

static void draw_panel(FILE* out, const svg_thread_panel* panel, const svg_thread_series* series,
                       int n_series, const int* threads, int n_threads, double x0, double y0) {
  double plot_l = x0 + PLOT_LEFT, plot_r = x0 + PANEL_W - PLOT_RIGHT;
  double plot_t = y0 + PLOT_TOP, plot_b = y0 + PANEL_H - PLOT_BOTTOM;
  double vmin = INFINITY, vmax = 0.0;
  for (int i = 0; i < panel->n_points; i++) {
    vmin = fmin(vmin, panel->points[i].median);
    vmax = fmax(vmax, fmax(panel->points[i].median, panel->points[i].p90));
  }
  if (!(vmax > 0.0)) {
    vmin = 1.0;
    vmax = 10.0;
  }
  svg_scale y = {0, 0, plot_b, plot_t, 10};
  ep_svg_log_range(vmin, vmax, &y.lo, &y.hi);
  int tmin = n_threads > 0 ? threads[0] : 1, tmax = n_threads > 0 ? threads[n_threads - 1] : 1;
  svg_scale x = {tmin, tmax > tmin ? tmax : tmin * 2.0, plot_l + 14, plot_r - 14, 2};

  char model[160];
  ep_svg_escape_buf(panel->name, model, sizeof model);
  fprintf(out, "<g class=\"panel\" data-model=\"%s\">\n", model);
  char name[160];
  ep_svg_fit_text(panel->name, 12, PANEL_W - PLOT_LEFT - PLOT_RIGHT, name, sizeof name);
  ep_svg_text(out, plot_l, y0 + 16, "start", 12,
              "class=\"panel-title\" font-weight=\"bold\" fill=\"#222222\"", name);

  double ticks[32];
  int n_ticks = ep_svg_log_ticks(y.lo, y.hi, ticks, 32);
  for (int t = 0; t < n_ticks; t++) {
    double py = ep_svg_map(&y, ticks[t]);
    bool decade = fabs(log10(ticks[t]) - round(log10(ticks[t]))) < 1e-9;
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
            plot_l, py, plot_r, py, decade ? "#cccccc" : "#eeeeee");
    char label[32];
    ep_svg_text(out, plot_l - 5, py + 3.5, "end", TICK_FONT, "class=\"tick\" fill=\"#444444\"",
                ep_svg_format_tick(ticks[t], label, sizeof label));
  }
  /* Thread ticks: a label only where it clears the previous one (1,2,3,4 on a long axis). */
  double last_right = -INFINITY;
  for (int t = 0; t < n_threads; t++) {
    double px = ep_svg_map(&x, threads[t]);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#eeeeee\"/>\n",
            px, plot_t, px, plot_b);
    char label[16];
    snprintf(label, sizeof label, "%d", threads[t]);
    double half = ep_svg_text_width(label, TICK_FONT, false) / 2.0;
    if (px - half < last_right + 4.0) continue;
    last_right = px + half;
    ep_svg_text(out, px, plot_b + 14, "middle", TICK_FONT, "class=\"tick\" fill=\"#444444\"",
                label);
  }
  fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
               "stroke=\"#333333\"/>\n", plot_l, plot_t, plot_r - plot_l, plot_b - plot_t);
  ep_svg_text(out, (plot_l + plot_r) / 2.0, plot_b + 30, "middle", 11, "fill=\"#333333\"",
              "threads");

  for (int s = 0; s < n_series; s++) {
    int n_points = 0;
    for (int t = 0; t < n_threads; t++) n_points += find(panel, s, threads[t]) != NULL;
    if (n_points == 0) continue;
    /* Series side by side at a thread count, so that their whiskers do not hide each other. */
    double dodge = (s - (n_series - 1) / 2.0) * (n_series > 1 ? fmin(4.0, 16.0 / n_series) : 0);
    const char* color = ep_svg_series_color(s);
    char set[96], backend[48];
    ep_svg_escape_buf(series[s].core_set, set, sizeof set);
    ep_svg_escape_buf(series[s].backend, backend, sizeof backend);
    fprintf(out, "<g class=\"series\" data-model=\"%s\" data-core-set=\"%s\" data-backend=\"%s\">\n",
            model, set, backend);
    fprintf(out, "<polyline class=\"line\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"", color);
    dashed(out, ep_svg_dash(s));
    fputs(" points=\"", out);
    for (int t = 0; t < n_threads; t++) {
      const svg_thread_point* p = find(panel, s, threads[t]);
      if (p != NULL) {
        fprintf(out, "%.1f,%.1f ", ep_svg_map(&x, p->threads) + dodge, ep_svg_map(&y, p->median));
      }
    }
    fputs("\"/>\n", out);
    for (int t = 0; t < n_threads; t++) {
      const svg_thread_point* p = find(panel, s, threads[t]);
      if (p == NULL) continue;
      double px = ep_svg_map(&x, p->threads) + dodge, py = ep_svg_map(&y, p->median);
      double p90 = fmax(p->p90, p->median), py90 = ep_svg_map(&y, p90);
      fprintf(out,
              "<line class=\"whisker\" data-ms=\"%.4f\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
              "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.2\"/>\n<line x1=\"%.1f\" y1=\"%.1f\" "
              "x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.2\"/>\n",
              p->p90, px, py, px, py90, color, px - 3, py90, px + 3, py90, color);
      char value[32], reasons[256] = "";
      ep_svg_format_value(p->median, value, sizeof value);
      if (p->noisy && p->noise_reasons != NULL && p->noise_reasons[0]) {
        ep_svg_escape_buf(p->noise_reasons, reasons, sizeof reasons);
      }
      fprintf(out,
              "<circle class=\"point\" data-model=\"%s\" data-core-set=\"%s\" data-backend=\"%s\" "
              "data-threads=\"%d\" data-ms=\"%.4f\" data-p90=\"%.4f\" data-oversubscribed=\"%s\" "
              "data-noisy=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\" stroke=\"%s\" "
              "stroke-width=\"1.5\"><title>%s, %s, %d thread%s: %s ms median, p90 %.3g ms%s%s%s%s%s"
              "</title></circle>\n",
              model, set, backend, p->threads, p->median, p->p90,
              p->oversubscribed ? "true" : "false", p->noisy ? "true" : "false", px, py,
              p->oversubscribed ? "#ffffff" : color, color, model, set, p->threads,
              p->threads == 1 ? "" : "s", value, p->p90,
              p->oversubscribed ? " (oversubscribed)" : "", p->noisy ? " (noisy" : "",
              reasons[0] ? ": " : "", reasons, p->noisy ? ")" : "");
      if (p->noisy) {
        fprintf(out, "<circle class=\"noisy-mark\" cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" "
                     "stroke=\"" SVG_NOISY_COLOR "\" stroke-width=\"1.5\" stroke-dasharray=\""
                     SVG_NOISY_DASH "\"/>\n", px, py);
      }
    }
    fputs("</g>\n", out);
  }
  fputs("</g>\n", out);
}

bool ep_svg_thread_panels(FILE* out, const char* title, const svg_thread_series* series,
                          int n_series, const svg_thread_panel* panels, int n_panels) {
  int threads[MAX_THREADS];
  int n_threads = thread_counts(panels, n_panels, threads);
  bool any_over = false, any_noisy = false;
  for (int p = 0; p < n_panels; p++) {
    for (int i = 0; i < panels[p].n_points; i++) {
      any_over |= panels[p].points[i].oversubscribed;
      any_noisy |= panels[p].points[i].noisy;
    }
  }
  svg_legend_item* items = calloc((size_t)n_series + 3, sizeof *items);
  if (items == NULL) return false;
  int n_items = 0;
  for (int s = 0; s < n_series; s++) {
    items[n_items++] = (svg_legend_item){SVG_SWATCH_LINE, ep_svg_series_color(s),
                                         ep_svg_dash(s), series[s].label};
  }
  items[n_items++] = (svg_legend_item){SVG_SWATCH_WHISKER, NULL, NULL, "median, whisker to p90"};
  if (any_over) {
    items[n_items++] =
        (svg_legend_item){SVG_SWATCH_HOLLOW, NULL, NULL, "oversubscribed (threads > CPUs)"};
  }
  if (any_noisy) {
    items[n_items++] = (svg_legend_item){SVG_SWATCH_NOISY_POINT, NULL, NULL,
                                         "noisy: failed the noise check (results.json says why)"};
  }
  static const char subtitle[] =
      "median latency (ms, log scale) against threads (log scale), one panel per network";
  int cols = n_panels <= 1 ? 1 : n_panels == 2 || n_panels == 4 ? 2 : 3;
  int rows = n_panels > 0 ? (n_panels + cols - 1) / cols : 1;
  double width = FIG_LEFT * 2 + cols * PANEL_W;
  width = fmax(width, ep_svg_text_width(title, 15, true) + 2 * 12 + 4);
  width = fmax(width, ep_svg_text_width(subtitle, 11, false) + 2 * 12 + 4);
  width = fmax(width, ep_svg_legend_min_width(items, n_items) + 2 * FIG_LEFT);
  width = ceil(width);
  double legend_w = width - 2 * FIG_LEFT;
  int legend_rows = ep_svg_legend_rows(items, n_items, legend_w);
  double legend_y = 58;
  double panels_y = legend_y + legend_rows * SVG_LEGEND_ROW;
  int height = (int)ceil(panels_y + rows * PANEL_H + 8);

  ep_svg_begin(out, (int)width, height, title);
  ep_svg_text(out, 12, 40, "start", 11, "fill=\"#555555\"", subtitle);
  ep_svg_legend_draw(out, items, n_items, FIG_LEFT, legend_y, legend_w);
  double panels_x = (width - cols * PANEL_W) / 2.0;
  for (int p = 0; p < n_panels; p++) {
    draw_panel(out, &panels[p], series, n_series, threads, n_threads,
               panels_x + (p % cols) * PANEL_W, panels_y + (p / cols) * PANEL_H);
  }
  if (n_panels == 0) {
    ep_svg_text(out, FIG_LEFT, panels_y + 20, "start", 12, "fill=\"#999999\"", "nothing measured");
  }
  ep_svg_end(out);
  free(items);
  return !ferror(out);
}

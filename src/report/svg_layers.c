/* layers.svg: where the time goes, as 100% stacked bars of the time share by op type, one row
 * per network (and machine), at each network's best configuration. Op types keep one colour
 * across rows; beyond the nine largest overall they are drawn together as "other". */
#include <math.h>
#include <string.h>

#include "edgeprof/report.h"
#include "report/svg_util.h"

#define MAX_OPS 64
#define MAX_MODELS 64
#define SHOWN_OPS 9

typedef struct op_total {
  const char* op;
  double share; /* sum of percents over rows */
} op_total;

static int op_index(const op_total* ops, int n, const char* op) {
  for (int i = 0; i < n; i++) {
    if (strcmp(ops[i].op, op) == 0) return i;
  }
  return -1;
}

ep_status ep_report_layers_svg(const ep_results* const* machines, int n, FILE* out) {
  const char* models[MAX_MODELS];
  int n_models = ep_svg_model_names(machines, n, models, MAX_MODELS);
  op_total ops[MAX_OPS];
  int n_ops = 0, n_rows = 0;
  for (int i = 0; i < n_models; i++) {
    for (int k = 0; k < n; k++) {
      const ep_results_model* m = ep_results_find_model(machines[k], models[i]);
      if (m == NULL || !m->has_profile) continue;
      n_rows++;
      for (int o = 0; o < m->n_ops; o++) {
        int idx = op_index(ops, n_ops, m->ops[o].op);
        if (idx < 0 && n_ops < MAX_OPS) {
          idx = n_ops++;
          ops[idx].op = m->ops[o].op;
          ops[idx].share = 0.0;
        }
        if (idx >= 0) ops[idx].share += m->ops[o].percent;
      }
    }
  }
  for (int i = 1; i < n_ops; i++) { /* by total share, largest first */
    op_total v = ops[i];
    int j = i;
    for (; j > 0 && ops[j - 1].share < v.share; j--) ops[j] = ops[j - 1];
    ops[j] = v;
  }
  int n_shown = n_ops > SHOWN_OPS + 1 ? SHOWN_OPS : n_ops;
  bool have_other = n_ops > n_shown;

  /* Room for the longest row label, measured. */
  double longest = ep_svg_text_width("no per-node profile", 12, false);
  for (int i = 0; i < n_models; i++) {
    for (int k = 0; k < n; k++) {
      char label[300];
      snprintf(label, sizeof label, "%s%s%s", models[i], n > 1 ? " · " : "",
               n > 1 ? machines[k]->platform_id : "");
      longest = fmax(longest, ep_svg_text_width(label, 12, false));
    }
  }
  const char* title = "Time share by op type at the best configuration";
  const int top = 46, row_h = 24, gap = 10, plot_w = 560;
  const int left = 20 + (int)ceil(longest);
  svg_legend_item items[SHOWN_OPS + 2];
  int n_items = 0;
  for (int s = 0; s < n_shown; s++) {
    items[n_items++] = (svg_legend_item){SVG_SWATCH_BOX, ep_svg_series_color(s), NULL, ops[s].op};
  }
  if (have_other) items[n_items++] = (svg_legend_item){SVG_SWATCH_BOX, "#bbbbbb", NULL, "other"};
  double fwidth = left + plot_w + 30.0;
  fwidth = fmax(fwidth, ep_svg_text_width(title, 15, true) + 28.0);
  fwidth = fmax(fwidth, left + ep_svg_legend_min_width(items, n_items) + 16.0);
  int width = (int)ceil(fwidth);
  double legend_w = width - left - 16.0;
  int legend_rows = ep_svg_legend_rows(items, n_items, legend_w);
  int height = top + (n_rows > 0 ? n_rows : 1) * (row_h + gap) + 30 +
               legend_rows * SVG_LEGEND_ROW + 10;
  ep_svg_begin(out, width, height, title);
  for (int t = 0; t <= 4; t++) {
    double px = left + plot_w * t / 4.0;
    fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#dddddd\"/>\n", px,
            top - 4, px, top + n_rows * (row_h + gap));
    char label[16];
    snprintf(label, sizeof label, "%d%%", t * 25);
    ep_svg_text(out, px, top + n_rows * (row_h + gap) + 12, "middle", 10, "fill=\"#555555\"", label);
  }
  if (n_rows == 0) {
    ep_svg_text(out, left, top + 16, "start", 12, "fill=\"#999999\"", "no per-node profile");
  }
  int row = 0;
  for (int i = 0; i < n_models; i++) {
    for (int k = 0; k < n; k++) {
      const ep_results_model* m = ep_results_find_model(machines[k], models[i]);
      if (m == NULL || !m->has_profile) continue;
      double y = top + row * (row_h + gap);
      char model[160], id[160];
      ep_svg_escape_buf(m->name, model, sizeof model);
      ep_svg_escape_buf(machines[k]->platform_id, id, sizeof id);
      fprintf(out, "<g class=\"row\" data-model=\"%s\" data-machine=\"%s\">\n", model, id);
      char label[300];
      if (n > 1) {
        snprintf(label, sizeof label, "%s · %s", m->name, machines[k]->platform_id);
      } else {
        snprintf(label, sizeof label, "%s", m->name);
      }
      ep_svg_text(out, left - 8, y + row_h / 2.0 + 4, "end", 12, "fill=\"#222222\"", label);
      /* Shown ops in legend order, then "other". */
      double x = left;
      double total = 0.0;
      for (int o = 0; o < m->n_ops; o++) total += m->ops[o].percent;
      if (!(total > 0.0)) total = 100.0;
      for (int s = 0; s <= n_shown; s++) {
        double pct = 0.0;
        const char* name = s < n_shown ? ops[s].op : "other";
        if (s == n_shown && !have_other) break;
        for (int o = 0; o < m->n_ops; o++) {
          int idx = op_index(ops, n_ops, m->ops[o].op);
          bool mine = s < n_shown ? idx == s : idx >= n_shown || idx < 0;
          if (mine) pct += m->ops[o].percent;
        }
        if (pct <= 0.0) continue;
        double w = plot_w * pct / total;
        char op[96];
        ep_svg_escape_buf(name, op, sizeof op);
        const char* color = s < n_shown ? ep_svg_series_color(s) : "#bbbbbb";
        fprintf(out,
                "<rect class=\"segment\" data-model=\"%s\" data-machine=\"%s\" data-op=\"%s\" "
                "data-percent=\"%.4f\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%d\" "
                "fill=\"%s\"><title>%s: %s %.1f%%</title></rect>\n",
                model, id, op, pct, x, y, w, row_h, color, model, op, pct);
        char text[16];
        snprintf(text, sizeof text, "%.0f%%", pct);
        if (ep_svg_text_width(text, 10, false) + 6.0 <= w) {
          ep_svg_text(out, x + w / 2, y + row_h / 2.0 + 4, "middle", 10, "fill=\"#ffffff\"", text);
        }
        x += w;
      }
      fprintf(out, "</g>\n");
      row++;
    }
  }
  ep_svg_legend_draw(out, items, n_items, left, top + n_rows * (row_h + gap) + 36, legend_w);
  ep_svg_end(out);
  if (ferror(out)) return ep_error(EP_ERR_IO, "cannot write layers.svg");
  return EP_OK;
}

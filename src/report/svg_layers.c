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

  /* Room for the longest row label (about 7 px per character at 12 px). */
  size_t longest = 8;
  for (int i = 0; i < n_models; i++) {
    for (int k = 0; k < n; k++) {
      size_t len = strlen(models[i]) + (n > 1 ? 3 + strlen(machines[k]->platform_id) : 0);
      if (len > longest) longest = len;
    }
  }
  const int left = 20 + (int)(7 * longest), top = 46, row_h = 24, gap = 10, plot_w = 560;
  int width = left + plot_w + 30;
  int per_row = 5;
  int legend_rows = (n_shown + (have_other ? 1 : 0) + per_row - 1) / per_row;
  int height = top + (n_rows > 0 ? n_rows : 1) * (row_h + gap) + 30 + legend_rows * 20 + 10;
  ep_svg_begin(out, width, height, "Time share by op type at the best configuration");
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
        if (w >= 34) {
          char text[16];
          snprintf(text, sizeof text, "%.0f%%", pct);
          ep_svg_text(out, x + w / 2, y + row_h / 2.0 + 4, "middle", 10, "fill=\"#ffffff\"", text);
        }
        x += w;
      }
      fprintf(out, "</g>\n");
      row++;
    }
  }
  double ly = top + n_rows * (row_h + gap) + 36;
  int col_w = plot_w / per_row;
  for (int s = 0; s < n_shown + (have_other ? 1 : 0); s++) {
    double lx = left + (s % per_row) * col_w;
    double yy = ly + (s / per_row) * 20;
    fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", lx,
            yy - 10, s < n_shown ? ep_svg_series_color(s) : "#bbbbbb");
    ep_svg_text(out, lx + 16, yy, "start", 11, "fill=\"#222222\"", s < n_shown ? ops[s].op : "other");
  }
  ep_svg_end(out);
  if (ferror(out)) return ep_error(EP_ERR_IO, "cannot write layers.svg");
  return EP_OK;
}

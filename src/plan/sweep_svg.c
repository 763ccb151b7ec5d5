/* split.svg: where the best cut falls as the uplink bandwidth changes (a step chart). */
#include <math.h>
#include <stdio.h>

#include "edgeprof/plan.h"

enum { WIDTH = 760, HEIGHT = 420, LEFT = 70, RIGHT = 30, TOP = 50, BOTTOM = 60 };

/* Escapes the few characters XML cares about. */
static void put_text(FILE* out, const char* s) {
  for (; *s != '\0'; s++) {
    switch (*s) {
      case '<':
        fputs("&lt;", out);
        break;
      case '>':
        fputs("&gt;", out);
        break;
      case '&':
        fputs("&amp;", out);
        break;
      case '"':
        fputs("&quot;", out);
        break;
      default:
        fputc(*s, out);
    }
  }
}

ep_status ep_plan_sweep_svg(const char* model, const ep_graph* graph, ep_plan_objective objective,
                            const ep_plan_sweep_point* points, int count, FILE* out) {
  if (count < 2) return ep_error(EP_ERR_INVALID_ARGUMENT, "a sweep chart needs 2 points");
  int n = ep_graph_node_count(graph);
  double lo = log10(points[0].uplink_bps), hi = log10(points[count - 1].uplink_bps);
  double pw = WIDTH - LEFT - RIGHT, ph = HEIGHT - TOP - BOTTOM;
#define X(bps) (LEFT + (log10(bps) - lo) / (hi - lo) * pw)
#define Y(k) (TOP + ph - (double)(k) / (n > 0 ? n : 1) * ph)
  fprintf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "font-family=\"sans-serif\" font-size=\"12\">\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          WIDTH, HEIGHT);
  fprintf(out, "<text x=\"%d\" y=\"24\" font-size=\"15\">", LEFT);
  put_text(out, model);
  fprintf(out, ": best cut for %s vs uplink bandwidth</text>\n", ep_plan_objective_name(objective));
  /* Axes and grid: a line per decade, a line per labelled cut. */
  fprintf(out, "<g stroke=\"#ccc\">\n");
  for (int d = (int)ceil(lo); d <= (int)floor(hi); d++) {
    double x = X(pow(10, d));
    fprintf(out, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, TOP, x, TOP + ph);
  }
  /* A line at each labelled cut (quarters of the nodes, rounded; each cut once). */
  for (int q = 0, prev = -1; q <= 4; q++) {
    int k = (int)lround((double)q * n / 4);
    if (k == prev) continue;
    prev = k;
    fprintf(out, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", LEFT, Y(k), LEFT + pw,
            Y(k));
  }
  fprintf(out, "</g>\n<g fill=\"#333\">\n");
  for (int d = (int)ceil(lo); d <= (int)floor(hi); d++) {
    double bps = pow(10, d);
    const char* label = bps >= 1e9   ? "Gbit/s"
                        : bps >= 1e6 ? "Mbit/s"
                        : bps >= 1e3 ? "kbit/s"
                                     : "bit/s";
    double scaled = bps >= 1e9 ? bps / 1e9 : bps >= 1e6 ? bps / 1e6 : bps >= 1e3 ? bps / 1e3 : bps;
    fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%g %s</text>\n", X(bps),
            TOP + ph + 18, scaled, label);
  }
  for (int q = 0, prev = -1; q <= 4; q++) {
    int k = (int)lround((double)q * n / 4);
    if (k == prev) continue;
    prev = k;
    fprintf(out, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d</text>\n", LEFT - 8, Y(k) + 4,
            k);
  }
  fprintf(out,
          "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">uplink bandwidth (log scale)</text>\n"
          "<text transform=\"translate(18,%.1f) rotate(-90)\" text-anchor=\"middle\">best cut k "
          "(0: all on the server, %d: all on the edge)</text>\n</g>\n",
          LEFT + pw / 2, HEIGHT - 16, TOP + ph / 2, n);
  /* Presets inside the range: dashed verticals. */
  for (int i = 0; i < ep_network_preset_count(); i++) {
    const ep_network_preset* p = ep_network_preset_at(i);
    if (p->uplink_bps < points[0].uplink_bps || p->uplink_bps > points[count - 1].uplink_bps) {
      continue;
    }
    double x = X(p->uplink_bps);
    fprintf(out,
            "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#d62728\" "
            "stroke-dasharray=\"4 3\"/>\n<text x=\"%.1f\" y=\"%d\" fill=\"#d62728\" "
            "text-anchor=\"middle\">%s</text>\n",
            x, TOP, x, TOP + ph, x, TOP - 6, p->name);
  }
  /* The step line: the best cut holds until the next sampled bandwidth. */
  fprintf(out, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"");
  for (int i = 0; i < count; i++) {
    double x = X(points[i].uplink_bps);
    if (i > 0) fprintf(out, " %.1f,%.1f", x, Y(points[i - 1].best));
    fprintf(out, " %.1f,%.1f", x, Y(points[i].best));
  }
  fprintf(out, "\"/>\n");
  for (int i = 0; i < count; i++) {
    const ep_plan_sweep_point* p = &points[i];
    fprintf(out,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"#1f77b4\"><title>%.4g Mbit/s: "
            "k=%d%s",
            X(p->uplink_bps), Y(p->best), p->uplink_bps / 1e6, p->best,
            p->best < n ? " (server from " : "");
    if (p->best < n) {
      put_text(out, ep_graph_node(graph, p->best)->name);
      fputc(')', out);
    }
    fprintf(out, ", %.2f ms, %.2f mJ</title></circle>\n", p->total_ms, p->energy_mj);
  }
  fprintf(out, "</svg>\n");
#undef X
#undef Y
  if (ferror(out)) return ep_error(EP_ERR_IO, "cannot write the sweep chart");
  return EP_OK;
}

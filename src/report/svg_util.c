/* SVG helpers shared by the charts. */
#include "report/svg_util.h"

#include <math.h>
#include <string.h>

double ep_svg_map(const svg_scale* s, double v) {
  double a = s->lo, b = s->hi;
  if (s->log_base > 0) {
    double base = log((double)s->log_base);
    v = v > 0.0 ? log(v) / base : log(a) / base;
    a = log(a) / base;
    b = log(b) / base;
  }
  if (b == a) return s->px_lo;
  return s->px_lo + (v - a) / (b - a) * (s->px_hi - s->px_lo);
}

void ep_svg_log_range(double min, double max, double* lo, double* hi) {
  if (!(min > 0.0)) min = 1e-3;
  if (!(max >= min)) max = min;
  *lo = pow(10.0, floor(log10(min) + 1e-9));
  *hi = pow(10.0, ceil(log10(max) - 1e-9));
  if (*hi <= *lo) *hi = *lo * 10.0;
}

int ep_svg_log_ticks(double lo, double hi, double* ticks, int max) {
  int n = 0;
  bool dense = log10(hi / lo) <= 3.0 + 1e-9;
  static const double steps[3] = {1.0, 2.0, 5.0};
  for (double decade = lo; decade <= hi * (1 + 1e-9) && n < max; decade *= 10.0) {
    for (int k = 0; k < (dense ? 3 : 1) && n < max; k++) {
      double v = decade * steps[k];
      if (v <= hi * (1 + 1e-9)) ticks[n++] = v;
    }
  }
  return n;
}

void ep_svg_escape(FILE* out, const char* text) {
  for (const char* p = text != NULL ? text : ""; *p; p++) {
    switch (*p) {
      case '&': fputs("&amp;", out); break;
      case '<': fputs("&lt;", out); break;
      case '>': fputs("&gt;", out); break;
      case '"': fputs("&quot;", out); break;
      case '\'': fputs("&#39;", out); break;
      default:
        /* Control characters are not allowed in XML 1.0. */
        if ((unsigned char)*p >= 0x20 || *p == '\n' || *p == '\t') fputc(*p, out);
    }
  }
}

char* ep_svg_escape_buf(const char* text, char* buf, size_t size) {
  size_t n = 0;
  if (size == 0) return buf;
  for (const char* p = text != NULL ? text : ""; *p; p++) {
    const char* rep = NULL;
    char one[2] = {*p, '\0'};
    switch (*p) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': rep = "&quot;"; break;
      case '\'': rep = "&#39;"; break;
      default: rep = (unsigned char)*p >= 0x20 ? one : "";
    }
    size_t len = strlen(rep);
    if (n + len + 1 > size) break;
    memcpy(buf + n, rep, len);
    n += len;
  }
  buf[n] = '\0';
  return buf;
}

char* ep_svg_format_value(double v, char* buf, size_t size) {
  if (!isfinite(v)) {
    snprintf(buf, size, "–");
  } else if (v >= 10000.0) {
    snprintf(buf, size, "%.3gk", v / 1000.0);
  } else if (v >= 100.0) {
    snprintf(buf, size, "%.0f", v);
  } else if (v >= 10.0) {
    snprintf(buf, size, "%.1f", v);
  } else if (v >= 1.0) {
    snprintf(buf, size, "%.2f", v);
  } else {
    snprintf(buf, size, "%.3g", v);
  }
  return buf;
}

char* ep_svg_format_tick(double v, char* buf, size_t size) {
  snprintf(buf, size, "%g", v);
  return buf;
}

void ep_svg_begin(FILE* out, int width, int height, const char* title) {
  fprintf(out,
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\" " SVG_FONT " font-size=\"12\" role=\"img\">\n",
          width, height, width, height);
  fputs("<title>", out);
  ep_svg_escape(out, title);
  fputs("</title>\n", out);
  fprintf(out, "<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", width, height);
  ep_svg_text(out, 12, 22, "start", 15, "font-weight=\"bold\" fill=\"#222222\"", title);
}

void ep_svg_end(FILE* out) { fputs("</svg>\n", out); }

void ep_svg_text(FILE* out, double x, double y, const char* anchor, int size, const char* extra,
              const char* text) {
  fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%d\"%s%s>", x, y,
          anchor, size, extra != NULL && extra[0] ? " " : "", extra != NULL ? extra : "");
  ep_svg_escape(out, text);
  fputs("</text>\n", out);
}

const char* ep_svg_series_color(int i) {
  static const char* colors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                 "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  int n = (int)(sizeof colors / sizeof colors[0]);
  return colors[((i % n) + n) % n];
}

const char* ep_svg_dash(int i) {
  static const char* dashes[] = {"", "7,4", "2,3", "9,3,2,3", "12,4", "4,2,1,2"};
  int n = (int)(sizeof dashes / sizeof dashes[0]);
  return dashes[((i % n) + n) % n];
}

int ep_svg_model_names(const ep_results* const* machines, int n, const char** names, int max) {
  int count = 0;
  for (int m = 0; m < n; m++) {
    for (int i = 0; i < machines[m]->n_models; i++) {
      const char* name = machines[m]->models[i].name;
      bool seen = false;
      for (int k = 0; k < count && !seen; k++) seen = strcmp(names[k], name) == 0;
      if (!seen && count < max) names[count++] = name;
    }
  }
  return count;
}

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

/* Advance widths of DejaVu Sans in 1/1000 em for ASCII 32..126, as Chromium measures them
 * (canvas measureText at 1000 px). */
static const short dejavu_regular[95] = {
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337,
    636, 636, 636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531,
    1000, 684, 686, 698, 770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787,
    603, 787, 695, 635, 611, 732, 684, 989, 685, 611, 685, 390, 337, 390, 838, 500,
    500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579, 278, 974, 634, 612,
    635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
};
static const short dejavu_bold[95] = {
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365,
    696, 696, 696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580,
    1000, 774, 762, 734, 830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850,
    733, 850, 770, 720, 682, 812, 774, 1103, 771, 724, 725, 457, 365, 457, 838, 500,
    500, 675, 716, 593, 716, 678, 435, 716, 712, 343, 343, 665, 343, 1042, 712, 687,
    716, 716, 493, 595, 478, 712, 652, 924, 645, 652, 582, 712, 365, 712, 838,
};

double ep_svg_text_width(const char* text, double size, bool bold) {
  const short* table = bold ? dejavu_bold : dejavu_regular;
  double units = 0.0;
  for (const unsigned char* p = (const unsigned char*)(text != NULL ? text : ""); *p;) {
    if (*p >= 32 && *p < 127) {
      units += table[*p - 32];
      p++;
      continue;
    }
    /* One code point of UTF-8: its lead byte and continuation bytes. */
    unsigned cp = *p;
    int extra = *p >= 0xf0 ? 3 : *p >= 0xe0 ? 2 : *p >= 0xc0 ? 1 : 0;
    cp &= extra == 3 ? 0x07 : extra == 2 ? 0x0f : extra == 1 ? 0x1f : 0x7f;
    p++;
    for (; extra > 0 && (*p & 0xc0) == 0x80; extra--, p++) cp = (cp << 6) | (*p & 0x3f);
    units += cp == 0xb7 ? 380 : cp == 0x2013 ? 500 : cp == 0xd7 ? 838 : cp == 0x2026 ? 1000
             : cp < 32 ? 0 : 1000;
  }
  return units * size / 1000.0;
}

char* ep_svg_fit_text(const char* text, double size, double max_px, char* buf, size_t bufsize) {
  if (bufsize == 0) return buf;
  snprintf(buf, bufsize, "%s", text != NULL ? text : "");
  if (ep_svg_text_width(buf, size, false) <= max_px) return buf;
  static const char ellipsis[] = "\xe2\x80\xa6"; /* … */
  size_t len = strlen(buf);
  while (len > 0) {
    len--;
    while (len > 0 && ((unsigned char)buf[len] & 0xc0) == 0x80) len--; /* whole code points */
    if (len + sizeof ellipsis > bufsize) continue;
    memcpy(buf + len, ellipsis, sizeof ellipsis);
    if (ep_svg_text_width(buf, size, false) <= max_px) return buf;
  }
  snprintf(buf, bufsize, "%s", ellipsis);
  return buf;
}

/* Legend geometry: a 24-px swatch, 6 px to the label, 18 px to the next entry; 11-px labels. */
#define SWATCH_W 24.0
#define LABEL_GAP 6.0
#define ENTRY_GAP 18.0
#define LEGEND_FONT 11

static double entry_width(const svg_legend_item* item) {
  return SWATCH_W + LABEL_GAP + ep_svg_text_width(item->label, LEGEND_FONT, false);
}

double ep_svg_legend_min_width(const svg_legend_item* items, int n) {
  double w = 0.0;
  for (int i = 0; i < n; i++) w = fmax(w, entry_width(&items[i]));
  return w;
}

/* Calls place(i, x, row) for each entry; returns the number of lines. */
static int flow(const svg_legend_item* items, int n, double width,
                void (*place)(void*, int, double, int), void* user) {
  double x = 0.0;
  int row = 0;
  for (int i = 0; i < n; i++) {
    double w = entry_width(&items[i]);
    if (x > 0.0 && x + w > width) {
      row++;
      x = 0.0;
    }
    if (place != NULL) place(user, i, x, row);
    x += w + ENTRY_GAP;
  }
  return n > 0 ? row + 1 : 0;
}

int ep_svg_legend_rows(const svg_legend_item* items, int n, double width) {
  return flow(items, n, width, NULL, NULL);
}

typedef struct legend_ctx {
  FILE* out;
  const svg_legend_item* items;
  double x, y;
} legend_ctx;

static void draw_entry(void* user, int i, double dx, int row) {
  legend_ctx* c = user;
  const svg_legend_item* it = &c->items[i];
  double x = c->x + dx, y = c->y + row * SVG_LEGEND_ROW, mid = y - 4.0;
  const char* color = it->color != NULL ? it->color : "#555555";
  const char* dash = it->dash != NULL ? it->dash : "";
  FILE* out = c->out;
  switch (it->swatch) {
    case SVG_SWATCH_BOX:
      fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
              x + 6, y - 10, color);
      break;
    case SVG_SWATCH_LINE:
      fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                   "stroke-width=\"2.5\"%s%s%s/>\n", x, mid, x + SWATCH_W, mid, color,
              dash[0] ? " stroke-dasharray=\"" : "", dash, dash[0] ? "\"" : "");
      break;
    case SVG_SWATCH_HOLLOW:
      fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"#ffffff\" stroke=\"%s\" "
                   "stroke-width=\"1.5\"/>\n", x + 12, mid, color);
      break;
    case SVG_SWATCH_WHISKER:
      fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n"
                   "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n"
                   "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n",
              x + 12, mid, x + 12, y - 12, color, x + 9, y - 12, x + 15, y - 12, color, x + 12,
              mid, color);
      break;
    case SVG_SWATCH_NOISY:
      fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"#ffffff\" "
                   "stroke=\"" SVG_NOISY_COLOR "\" stroke-width=\"2\" stroke-dasharray=\""
                   SVG_NOISY_DASH "\"/>\n", x + 6, y - 10);
      break;
    case SVG_SWATCH_NOISY_POINT:
      fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#555555\"/>\n<circle "
                   "cx=\"%.1f\" cy=\"%.1f\" r=\"7\" fill=\"none\" stroke=\"" SVG_NOISY_COLOR "\" "
                   "stroke-width=\"1.5\" stroke-dasharray=\"" SVG_NOISY_DASH "\"/>\n",
              x + 12, mid, x + 12, mid);
      break;
  }
  fprintf(out, "<text class=\"legend\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"start\" "
               "font-size=\"%d\" fill=\"#222222\">", x + SWATCH_W + LABEL_GAP, y, LEGEND_FONT);
  ep_svg_escape(out, it->label);
  fputs("</text>\n", out);
}

void ep_svg_legend_draw(FILE* out, const svg_legend_item* items, int n, double x, double y,
                        double width) {
  legend_ctx c = {out, items, x, y};
  flow(items, n, width, draw_entry, &c);
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

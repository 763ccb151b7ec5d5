/* The charts' text measure and legend layout (src/report/svg_util.c): widths that grow with the
 * text and the font, labels cut to fit with a whole "…", legends whose lines never run past
 * their width. The browser test measures the drawn charts; this pins the arithmetic. */
#define _GNU_SOURCE
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/svg_util.h"
#include "test_support.h"

static void test_text_width(void) {
  EP_CHECK(ep_svg_text_width("", 12, false) == 0.0);
  EP_CHECK(ep_svg_text_width(NULL, 12, false) == 0.0);
  double w11 = ep_svg_text_width("GlobalAveragePool", 11, false);
  double w22 = ep_svg_text_width("GlobalAveragePool", 22, false);
  EP_CHECK_MSG(w22 > 2 * w11 - 1e-9 && w22 < 2 * w11 + 1e-9, "%g vs %g", w11, w22);
  /* DejaVu Sans at 11 px: the label the old layers legend gave 96 px (112 - 16) is wider. */
  EP_CHECK_MSG(w11 > 100.0 && w11 < 112.0, "GlobalAveragePool at 11 px: %g", w11);
  EP_CHECK(ep_svg_text_width("iiii", 12, false) < ep_svg_text_width("MMMM", 12, false));
  EP_CHECK(ep_svg_text_width("Conv", 12, true) > ep_svg_text_width("Conv", 12, false));
  /* UTF-8: one code point each, the middle dot narrow, anything unknown one em. */
  EP_CHECK(ep_svg_text_width("\xc2\xb7", 10, false) == 3.8);
  EP_CHECK(ep_svg_text_width("\xe6\xbc\xa2", 10, false) == 10.0);
  EP_CHECK(ep_svg_text_width("a\xe2\x80\xa6", 10, false) == ep_svg_text_width("a", 10, false) + 10);
}

static void test_fit_text(void) {
  char buf[64];
  EP_CHECK(strcmp(ep_svg_fit_text("resnet50", 12, 200, buf, sizeof buf), "resnet50") == 0);
  const char* name = "a_network_with_a_very_long_name_from_an_onnx_file";
  ep_svg_fit_text(name, 12, 120, buf, sizeof buf);
  EP_CHECK_MSG(ep_svg_text_width(buf, 12, false) <= 120.0, "'%s'", buf);
  size_t len = strlen(buf);
  EP_CHECK_MSG(len > 3 && strcmp(buf + len - 3, "\xe2\x80\xa6") == 0, "'%s' ends in …", buf);
  EP_CHECK(strncmp(buf, name, len - 3) == 0);
  /* Never half a code point: cutting "ééééé" leaves whole two-byte characters. */
  ep_svg_fit_text("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 10, 30, buf, sizeof buf);
  len = strlen(buf);
  EP_CHECK_MSG((len - 3) % 2 == 0 && ep_svg_text_width(buf, 10, false) <= 30.0, "'%s'", buf);
  /* Too narrow for anything: the ellipsis alone. */
  EP_CHECK(strcmp(ep_svg_fit_text(name, 12, 1, buf, sizeof buf), "\xe2\x80\xa6") == 0);
}

/* Draws the legend into memory and checks that every label ends inside [x, x + width]. */
static void check_legend(const svg_legend_item* items, int n, double width, int want_rows) {
  char* text = NULL;
  size_t size = 0;
  FILE* out = open_memstream(&text, &size);
  EP_CHECK(out != NULL);
  if (out == NULL) return;
  const double x0 = 16.0;
  ep_svg_legend_draw(out, items, n, x0, 100.0, width);
  fclose(out);
  int rows = ep_svg_legend_rows(items, n, width);
  EP_CHECK_MSG(rows == want_rows, "width %g: %d lines, expected %d", width, rows, want_rows);
  int seen = 0;
  double max_y = 0.0;
  for (const char* p = strstr(text, "<text class=\"legend\""); p != NULL;
       p = strstr(p + 1, "<text class=\"legend\"")) {
    double x = 0.0, y = 0.0;
    EP_CHECK(sscanf(p, "<text class=\"legend\" x=\"%lf\" y=\"%lf\"", &x, &y) == 2);
    const char* label = strchr(p, '>') + 1;
    const char* end = strchr(label, '<');
    char copy[128]; /* the label as drawn: XML escapes undone */
    size_t k = 0;
    for (const char* c = label; c < end && k + 1 < sizeof copy; c++) {
      static const char* const escapes[][2] = {{"&gt;", ">"}, {"&lt;", "<"}, {"&amp;", "&"}};
      bool done = false;
      for (int e = 0; e < 3 && !done; e++) {
        size_t el = strlen(escapes[e][0]);
        if (strncmp(c, escapes[e][0], el) == 0) {
          copy[k++] = escapes[e][1][0];
          c += el - 1;
          done = true;
        }
      }
      if (!done) copy[k++] = *c;
    }
    copy[k] = '\0';
    double right = x + ep_svg_text_width(copy, 11, false);
    EP_CHECK_MSG(right <= x0 + width + 1e-6, "'%s' ends at %g, past %g", copy, right, x0 + width);
    if (y > max_y) max_y = y;
    seen++;
  }
  EP_CHECK_MSG(seen == n, "%d of %d entries drawn", seen, n);
  EP_CHECK_MSG(max_y == 100.0 + (want_rows - 1) * SVG_LEGEND_ROW, "last line at %g", max_y);
  free(text);
}

static void test_legend(void) {
  const svg_legend_item items[] = {
      {SVG_SWATCH_BOX, "#4e79a7", NULL, "Conv"},
      {SVG_SWATCH_BOX, "#f28e2b", NULL, "FullyConnected"},
      {SVG_SWATCH_BOX, "#e15759", NULL, "GlobalAveragePool"},
      {SVG_SWATCH_LINE, "#76b7b2", "7,4", "little (CPUs 0-3)"},
      {SVG_SWATCH_HOLLOW, NULL, NULL, "oversubscribed (threads > CPUs)"},
      {SVG_SWATCH_NOISY, NULL, NULL, "noisy"},
  };
  int n = (int)(sizeof items / sizeof items[0]);
  double widest = ep_svg_legend_min_width(items, n);
  EP_CHECK_MSG(widest > ep_svg_text_width("oversubscribed (threads > CPUs)", 11, false),
               "min width %g", widest);
  check_legend(items, n, 5000.0, 1);      /* all on one line */
  /* As narrow as the widest entry: that one alone on its line, short ones may pair up. */
  int narrow = ep_svg_legend_rows(items, n, widest);
  EP_CHECK_MSG(narrow >= n - 2 && narrow <= n, "%g px: %d lines", widest, narrow);
  check_legend(items, n, widest, narrow);
  int rows = ep_svg_legend_rows(items, n, 400.0);
  EP_CHECK_MSG(rows > 1 && rows < n, "400 px: %d lines", rows);
  check_legend(items, n, 400.0, rows);
  EP_CHECK(ep_svg_legend_rows(items, 0, 400.0) == 0);
}

int main(void) {
  test_text_width();
  test_fit_text();
  test_legend();
  return ep_test_finish();
}

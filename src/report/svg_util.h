/* Hand-written SVG: escaping, scales, ticks, palettes (internal to src/report).
 *
 * Charts use presentation attributes rather than CSS so that several of them can sit inline in
 * one HTML page without their styles meeting. Elements a test or a script may want to find carry
 * a class ("bar", "point", "line", "segment", "missing") and data-* attributes with the values. */
#ifndef EDGEPROF_REPORT_SVG_UTIL_H
#define EDGEPROF_REPORT_SVG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "edgeprof/results.h"

#define SVG_FONT "font-family=\"Helvetica, Arial, sans-serif\""

/* A value range mapped onto pixels, linear or log10 (log2 for thread counts). */
typedef struct svg_scale {
  double lo, hi;       /* values */
  double px_lo, px_hi; /* pixels (px_lo for lo) */
  int log_base;        /* 0: linear, 2 or 10 */
} svg_scale;

double ep_svg_map(const svg_scale* scale, double value);

/* Widens [min, max] to whole decades (log10): 0.37..620 -> 0.1..1000. */
void ep_svg_log_range(double min, double max, double* lo, double* hi);
/* Ticks at 1, 2, 5 x 10^k within [lo, hi] (only 10^k when the range spans over 3 decades).
 * Returns the count (at most max). */
int ep_svg_log_ticks(double lo, double hi, double* ticks, int max);

/* Writes text with &, <, >, " and ' escaped. */
void ep_svg_escape(FILE* out, const char* text);
/* The same into a buffer (truncated to fit). Returns buf. */
char* ep_svg_escape_buf(const char* text, char* buf, size_t size);
/* "0.52", "12.3", "456", "1.2k" (for ms). Returns buf. */
char* ep_svg_format_value(double value, char* buf, size_t size);
/* An axis tick: "0.1", "2", "50", "1000". Returns buf. */
char* ep_svg_format_tick(double value, char* buf, size_t size);

/* <svg ...> with a white background, a <title> and a heading line. */
void ep_svg_begin(FILE* out, int width, int height, const char* title);
void ep_svg_end(FILE* out);
/* Text at (x, y); anchor "start", "middle" or "end"; size in px; `extra` more attributes or "". */
void ep_svg_text(FILE* out, double x, double y, const char* anchor, int size, const char* extra,
              const char* text);

/* The width in px of `text` (UTF-8) at `size` px, from DejaVu Sans' advance widths: the widest
 * of the fonts SVG_FONT resolves to (Helvetica and Arial are narrower; Debian without
 * fonts-liberation draws DejaVu Sans), so a layout sized by it never clips. Characters outside
 * ASCII count as one em, except the few the charts use. */
double ep_svg_text_width(const char* text, double size, bool bold);
/* `text` cut to at most max_px wide at `size` px, with "…" where cut. Returns buf. */
char* ep_svg_fit_text(const char* text, double size, double max_px, char* buf, size_t bufsize);

/* Legend entries laid out left to right, a new line when the next does not fit `width`. */
typedef enum svg_swatch {
  SVG_SWATCH_BOX,     /* a filled square (bars, segments) */
  SVG_SWATCH_LINE,    /* a line in `color` with `dash` (lines of a chart) */
  SVG_SWATCH_HOLLOW,  /* a hollow point: oversubscribed */
  SVG_SWATCH_WHISKER, /* a point with a whisker up to p90 */
  SVG_SWATCH_NOISY,   /* the mark of a noisy bar: a red dashed outline */
  SVG_SWATCH_NOISY_POINT /* the mark of a noisy point: a red dashed ring */
} svg_swatch;

typedef struct svg_legend_item {
  svg_swatch swatch;
  const char* color; /* NULL: grey */
  const char* dash;  /* NULL or "": solid */
  const char* label;
} svg_legend_item;

#define SVG_LEGEND_ROW 18 /* px per legend line */
/* The widest single entry (a legend narrower than this cannot hold it). */
double ep_svg_legend_min_width(const svg_legend_item* items, int n);
/* Lines the entries take in `width` px. */
int ep_svg_legend_rows(const svg_legend_item* items, int n, double width);
/* Draws them from (x, y): y is the baseline of the first line. */
void ep_svg_legend_draw(FILE* out, const svg_legend_item* items, int n, double x, double y,
                        double width);
/* The noisy mark around a point or on a bar: red, dashed. */
#define SVG_NOISY_COLOR "#d62728"
#define SVG_NOISY_DASH "3,2"

/* Categorical colours (Tableau 10, readable on white and for most colour-blind readers). */
const char* ep_svg_series_color(int index);
/* Dash patterns for core sets: "" (solid), "6,3", "2,3", "8,3,2,3", ... */
const char* ep_svg_dash(int index);

/* The models of all machines, in order of first appearance (names point into the results). */
int ep_svg_model_names(const ep_results* const* machines, int n, const char** names, int max);

#endif /* EDGEPROF_REPORT_SVG_UTIL_H */

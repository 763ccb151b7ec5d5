/* Durations, bit rates and sizes with units: the CLI's one grammar for typed values. */
#include "cli_values.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct unit {
  const char* suffix;
  double scale;
} unit;

/* Splits "<number><unit>" (spaces allowed between them); the unit may be empty. */
static int split_number(const char* text, double* value_out, const char** unit_out) {
  if (text == NULL || *text == '\0') return -1;
  char* end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || errno != 0 || !isfinite(v)) return -1;
  /* strtod also takes "nan", "inf" and hex floats: none is a value a user means here. */
  for (const char* p = text; p < end; p++) {
    if (strchr("0123456789.eE+-", *p) == NULL) return -1;
  }
  while (*end == ' ') end++;
  *value_out = v;
  *unit_out = end;
  return 0;
}

static const unit* find_unit(const unit* units, size_t n, const char* suffix, bool exact_case) {
  for (size_t i = 0; i < n; i++) {
    if ((exact_case ? strcmp(suffix, units[i].suffix) : strcasecmp(suffix, units[i].suffix)) == 0)
      return &units[i];
  }
  return NULL;
}

static const unit time_units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"ms", 1e-3}, {"s", 1},
                                  {"m", 60},    {"min", 60},  {"h", 3600}};

int cli_value_duration(const char* text, bool bare_is_seconds, double* seconds_out, char* why,
                       size_t why_size) {
  double v;
  const char* suffix;
  if (split_number(text, &v, &suffix) != 0) {
    snprintf(why, why_size, "a duration such as 500ms, 1s or 2m");
    return -1;
  }
  if (*suffix == '\0') {
    if (!bare_is_seconds) {
      snprintf(why, why_size, "a duration with a unit, such as 40ms or 0.04s");
      return -1;
    }
    *seconds_out = v;
    return 0;
  }
  /* Case matters: "m" is minutes, "M" would be a mistake (mega?). */
  const unit* u = find_unit(time_units, sizeof time_units / sizeof time_units[0], suffix, true);
  if (u == NULL) {
    snprintf(why, why_size, "a duration with a unit of ns, us, ms, s, m or h, such as 500ms");
    return -1;
  }
  *seconds_out = v * u->scale;
  return 0;
}

static const unit rate_units[] = {
    {"bit", 1},      {"kbit", 1e3},   {"Mbit", 1e6},   {"Gbit", 1e9},  {"bit/s", 1},
    {"kbit/s", 1e3}, {"Mbit/s", 1e6}, {"Gbit/s", 1e9}, {"bps", 1},     {"kbps", 1e3},
    {"Mbps", 1e6},   {"Gbps", 1e9},   {"B/s", 8},      {"kB/s", 8e3},  {"MB/s", 8e6},
    {"GB/s", 8e9},   {"KiB/s", 8192}, {"MiB/s", 8388608},
};

int cli_value_rate(const char* text, double* bps_out, char* why, size_t why_size) {
  double v;
  const char* suffix;
  if (split_number(text, &v, &suffix) != 0) {
    snprintf(why, why_size, "a bit rate such as 5Mbit, 500kbit or 1Gbit");
    return -1;
  }
  if (*suffix == '\0') {
    snprintf(why, why_size,
             "a bit rate with a unit, such as %sMbit or %skbit (a bare number would be bit/s)",
             text, text);
    return -1;
  }
  /* Bits and bytes differ by case ("Mb" is ambiguous, "MB/s" is bytes): exact case first, then
   * a case-insensitive match for the spelled-out bit units only. */
  const unit* u = find_unit(rate_units, sizeof rate_units / sizeof rate_units[0], suffix, true);
  if (u == NULL) u = find_unit(rate_units, 8, suffix, false);
  if (u == NULL) {
    snprintf(why, why_size, "a bit rate with a unit of bit, kbit, Mbit, Gbit (or /s, bps) or "
                            "B/s, kB/s, MB/s, GB/s");
    return -1;
  }
  *bps_out = v * u->scale;
  return 0;
}

static const unit size_units[] = {{"B", 1}, {"KiB", 1024}, {"MiB", 1048576},
                                  {"GiB", 1073741824}};

int cli_value_size(const char* text, int64_t* bytes_out, char* why, size_t why_size) {
  double v;
  const char* suffix;
  if (split_number(text, &v, &suffix) != 0) {
    snprintf(why, why_size, "a size such as 4096, 64KiB or 16MiB");
    return -1;
  }
  double scale = 1;
  if (*suffix != '\0') {
    const unit* u = find_unit(size_units, sizeof size_units / sizeof size_units[0], suffix, false);
    if (u == NULL) {
      snprintf(why, why_size, "a size in B, KiB, MiB or GiB (binary units), such as 64KiB");
      return -1;
    }
    scale = u->scale;
  }
  double bytes = v * scale;
  if (bytes < 0 || bytes > 9.0e18 || bytes != floor(bytes)) {
    snprintf(why, why_size, "a whole number of bytes, such as 4096, 64KiB or 16MiB");
    return -1;
  }
  *bytes_out = (int64_t)bytes;
  return 0;
}

const char* cli_format_duration(double seconds, char* buf, size_t size) {
  if (seconds >= 120) {
    snprintf(buf, size, "%.4g min", seconds / 60);
  } else if (seconds >= 1 || seconds == 0) {
    snprintf(buf, size, "%.4g s", seconds);
  } else if (seconds >= 1e-3) {
    snprintf(buf, size, "%.4g ms", seconds * 1e3);
  } else {
    snprintf(buf, size, "%.4g us", seconds * 1e6);
  }
  return buf;
}

/* Human-readable counts and byte sizes for tables and reports. */
#include <stdio.h>

#include "edgeprof/report.h"

char* ep_format_count(int64_t value, char* buf, size_t size) {
  static const char* const suffix[] = {"", "K", "M", "G", "T", "P"};
  double v = (double)value;
  int i = 0;
  while ((v >= 1000.0 || v <= -1000.0) && i < 5) {
    v /= 1000.0;
    i++;
  }
  if (i == 0) {
    snprintf(buf, size, "%lld", (long long)value);
  } else {
    double a = v < 0 ? -v : v;
    snprintf(buf, size, a >= 100.0 ? "%.1f%s" : "%.2f%s", v, suffix[i]);
  }
  return buf;
}

char* ep_format_bytes(int64_t bytes, char* buf, size_t size) {
  static const char* const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)bytes;
  int i = 0;
  while (v >= 1024.0 && i < 4) {
    v /= 1024.0;
    i++;
  }
  if (i == 0) {
    snprintf(buf, size, "%lld B", (long long)bytes);
  } else {
    snprintf(buf, size, "%.1f %s", v, unit[i]);
  }
  return buf;
}

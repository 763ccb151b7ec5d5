/* Monotonic clock, peak memory and host name. */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "edgeprof/platform.h"

double ep_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

size_t ep_peak_rss_bytes(void) {
  struct rusage usage;
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  return (size_t)usage.ru_maxrss * 1024u; /* Linux reports kilobytes */
}

void ep_host_name(char* buf, size_t size) {
  if (size == 0) return;
  if (gethostname(buf, size) != 0 || buf[0] == '\0') {
    snprintf(buf, size, "unknown");
    return;
  }
  buf[size - 1] = '\0';
  /* Keep it usable as a folder name. */
  for (char* p = buf; *p; p++) {
    if (*p == '/' || *p == ' ') *p = '_';
  }
}

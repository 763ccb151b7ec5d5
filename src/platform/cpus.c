/* CPU lists ("0-3,6") and the CPUs this process may use. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgeprof/platform.h"

static int cmp_int(const void* a, const void* b) {
  int x = *(const int*)a, y = *(const int*)b;
  return (x > y) - (x < y);
}

static const char* parse_number(const char* p, long* value) {
  if (!isdigit((unsigned char)*p)) return NULL;
  char* end;
  errno = 0;
  *value = strtol(p, &end, 10);
  if (errno != 0) return NULL;
  return end;
}

ep_status ep_cpulist_parse(const char* text, int* cpus, int max, int* count_out) {
  if (text == NULL || *text == '\0') {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "empty CPU list");
  }
  static _Thread_local unsigned char seen[EP_MAX_CPUS];
  memset(seen, 0, sizeof seen);
  int count = 0;
  const char* p = text;
  for (;;) {
    long lo, hi;
    const char* q = parse_number(p, &lo);
    if (q == NULL) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "bad CPU list '%s': expected a number at '%s'",
                      text, p);
    }
    hi = lo;
    if (*q == '-') {
      q = parse_number(q + 1, &hi);
      if (q == NULL) {
        return ep_error(EP_ERR_INVALID_ARGUMENT, "bad CPU list '%s': incomplete range", text);
      }
    }
    if (lo > hi) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "bad CPU list '%s': range %ld-%ld is reversed",
                      text, lo, hi);
    }
    if (hi >= EP_MAX_CPUS) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "bad CPU list '%s': CPU %ld is beyond %d", text,
                      hi, EP_MAX_CPUS - 1);
    }
    for (long c = lo; c <= hi; c++) seen[c] = 1;
    if (*q == '\0') break;
    if (*q != ',') {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "bad CPU list '%s': unexpected '%c'", text, *q);
    }
    p = q + 1;
  }
  for (int c = 0; c < EP_MAX_CPUS; c++) {
    if (!seen[c]) continue;
    if (count == max) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "CPU list '%s' names more than %d CPUs", text, max);
    }
    cpus[count++] = c;
  }
  qsort(cpus, (size_t)count, sizeof *cpus, cmp_int);
  *count_out = count;
  return EP_OK;
}

char* ep_cpulist_format(const int* cpus, int count, char* buf, size_t size) {
  size_t used = 0;
  if (size == 0) return buf;
  buf[0] = '\0';
  for (int i = 0; i < count;) {
    int j = i;
    while (j + 1 < count && cpus[j + 1] == cpus[j] + 1) j++;
    int n = (j > i) ? snprintf(buf + used, size - used, "%s%d-%d", i ? "," : "", cpus[i], cpus[j])
                    : snprintf(buf + used, size - used, "%s%d", i ? "," : "", cpus[i]);
    if (n < 0 || (size_t)n >= size - used) break;
    used += (size_t)n;
    i = j + 1;
  }
  return buf;
}

int ep_cpus_allowed(int* cpus, int max) {
  cpu_set_t set;
  int count = 0;
  if (sched_getaffinity(0, sizeof set, &set) != 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    for (int c = 0; c < n && count < max; c++) cpus[count++] = c;
    return count > 0 ? count : 1;
  }
  for (int c = 0; c < CPU_SETSIZE && count < max; c++) {
    if (CPU_ISSET(c, &set)) cpus[count++] = c;
  }
  return count;
}

ep_status ep_cpus_check(const int* cpus, int count) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) != 0) {
    return ep_error(EP_ERR_SYSTEM, "cannot read this process's CPU affinity: %s",
                    strerror(errno));
  }
  long configured = sysconf(_SC_NPROCESSORS_CONF);
  for (int i = 0; i < count; i++) {
    int c = cpus[i];
    if (c < 0 || c >= CPU_SETSIZE || (configured > 0 && c >= configured)) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "CPU %d does not exist (this machine has %ld)", c,
                      configured);
    }
    if (!CPU_ISSET(c, &set)) {
      return ep_error(EP_ERR_INVALID_ARGUMENT,
                      "CPU %d is not available to this process (affinity or cgroup)", c);
    }
  }
  return EP_OK;
}

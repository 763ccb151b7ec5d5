/* Platform facts: CPU lists, the CPUs this process may use, clocks, memory use.
 * All functions are thread-safe. */
#ifndef EDGEPROF_PLATFORM_H
#define EDGEPROF_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_MAX_CPUS 1024

/* Parses a Linux CPU list ("0-3,6", "1", "0-7:2" is not accepted) into ascending unique ids.
 * Fails with a message naming the bad part on syntax errors, ids >= EP_MAX_CPUS or more than
 * `max` CPUs. Does not check that the CPUs exist. */
ep_status ep_cpulist_parse(const char* text, int* cpus, int max, int* count_out);
/* Formats ids as a compact list ("0-3,6"). Returns buf. */
char* ep_cpulist_format(const int* cpus, int count, char* buf, size_t size);

/* CPUs this process may run on (sched_getaffinity), ascending. Returns the count (>= 1). */
int ep_cpus_allowed(int* cpus, int max);
/* Checks that every listed CPU exists and is allowed for this process; the message names the
 * first that is not. */
ep_status ep_cpus_check(const int* cpus, int count);

/* Monotonic time in seconds. */
double ep_now(void);
/* Peak resident set size of this process in bytes (0 if unknown). */
size_t ep_peak_rss_bytes(void);
/* Host name for result folders ("unknown" if it cannot be read). */
void ep_host_name(char* buf, size_t size);

/* Where and with what a result was made: written into every JSON document (docs/results.md,
 * "environment"). */
typedef struct ep_environment {
  char host[256];
  char cpu[128];      /* brand string */
  char isa[16];       /* ISA level the kernels use (EDGEPROF_ISA may lower it) */
  char version[32];   /* edgeprof's version (CMake's project version) */
  char git_hash[48];  /* the source tree's commit at build time, "-dirty" if modified; "unknown" */
  char date[32];      /* now, UTC, ISO 8601: 2026-12-07T07:20:00Z */
} ep_environment;
void ep_environment_get(ep_environment* env_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_PLATFORM_H */

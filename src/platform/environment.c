/* The provenance written into every JSON document: machine, CPU, ISA level, version, commit,
 * date. The version and commit come from CMake (generated/ep_git_hash.h, refreshed each build). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "edgeprof/cpu.h"
#include "edgeprof/platform.h"
#include "ep_git_hash.h"

#ifndef EP_VERSION
#define EP_VERSION "unknown"
#endif

void ep_environment_get(ep_environment* env) {
  memset(env, 0, sizeof *env);
  ep_host_name(env->host, sizeof env->host);
  ep_cpu_info cpu;
  ep_cpu_info_get(&cpu);
  snprintf(env->cpu, sizeof env->cpu, "%s", cpu.model);
  snprintf(env->isa, sizeof env->isa, "%s", ep_cpu_isa_name(ep_cpu_isa_active()));
  snprintf(env->version, sizeof env->version, "%s", EP_VERSION);
  snprintf(env->git_hash, sizeof env->git_hash, "%s", EP_GIT_HASH);
  time_t now = time(NULL);
  struct tm utc;
  if (gmtime_r(&now, &utc) == NULL ||
      strftime(env->date, sizeof env->date, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0) {
    snprintf(env->date, sizeof env->date, "unknown");
  }
}

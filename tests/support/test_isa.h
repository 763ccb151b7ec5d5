/* Runs a kernel test at every ISA level this machine supports (header-only, for the kernel
 * and integration tests): each level is forced with ep_cpu_isa_force, so the kernels' dispatch
 * picks that level's variants, and the levels the CPU cannot run are named as skipped, so that
 * a log shows what was covered ("ISA levels: tested scalar avx2; skipped avx512 (not supported
 * by this CPU)"). The level active before is restored. */
#ifndef EDGEPROF_TEST_ISA_H
#define EDGEPROF_TEST_ISA_H

#include <stdio.h>
#include <string.h>

#include "edgeprof/cpu.h"

/* Calls body(isa, ctx) once per supported level, scalar first; returns how many ran. */
static inline int ep_test_for_each_isa(const char* what, void (*body)(ep_cpu_isa isa, void* ctx),
                                       void* ctx) {
  const ep_cpu_isa before = ep_cpu_isa_active();
  char tested[64] = "", skipped[64] = "";
  int ran = 0;
  for (int i = 0; i < EP_ISA_COUNT; i++) {
    const ep_cpu_isa isa = (ep_cpu_isa)i;
    char* list = ep_cpu_isa_supported(isa) ? tested : skipped;
    snprintf(list + strlen(list), sizeof tested - strlen(list), " %s", ep_cpu_isa_name(isa));
    if (!ep_cpu_isa_supported(isa)) continue;
    ep_cpu_isa_force(isa);
    fprintf(stderr, "%s: ISA level %s\n", what, ep_cpu_isa_name(isa));
    body(isa, ctx);
    ran++;
  }
  ep_cpu_isa_force(before);
  printf("%s: ISA levels tested:%s; skipped:%s%s\n", what, tested, skipped[0] ? skipped : " none",
         skipped[0] ? " (not supported by this CPU or build)" : "");
  return ran;
}

#endif /* EDGEPROF_TEST_ISA_H */

/* CPU features as read by cpuid and XGETBV (internal), and the per-ISA measurement loops.
 *
 * EP_HAVE_X86_KERNELS is defined by the build on x86-64, where the *-avx2.c and *-avx512f.c files
 * are compiled (each with its own flags), EP_HAVE_NEON_KERNELS on AArch64, where the *-neon.c
 * files are; elsewhere only the scalar variants exist. */
#ifndef EDGEPROF_PLATFORM_CPU_INTERNAL_H
#define EDGEPROF_PLATFORM_CPU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "edgeprof/cpu.h"

typedef struct ep_cpu_features {
  char vendor[13];
  char brand[64];
  bool has_fma, has_avx2, has_avx512f;
  bool os_ymm;   /* the OS saves YMM state (XCR0 bits 1-2) */
  bool os_zmm;   /* ... and opmask and ZMM state (XCR0 bits 5-7) */
  bool has_neon; /* AArch64 Advanced SIMD: always, on AArch64 builds */
} ep_cpu_features;

/* Read once; never NULL. */
const ep_cpu_features* ep_cpu_features_get(void);

/* `iterations` rounds of independent multiply-adds; each returns the FLOPs it did, and writes
 * a value derived from the accumulators to *sink so that nothing is optimised away. */
double ep_cpu_fma_loop__scalar(size_t iterations, float* sink);
#if defined(EP_HAVE_X86_KERNELS)
double ep_cpu_fma_loop__avx2(size_t iterations, float* sink);
double ep_cpu_fma_loop__avx512f(size_t iterations, float* sink);
#endif
#if defined(EP_HAVE_NEON_KERNELS)
double ep_cpu_fma_loop__neon(size_t iterations, float* sink);
#endif

#endif /* EDGEPROF_PLATFORM_CPU_INTERNAL_H */

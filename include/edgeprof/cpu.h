/* The CPU this process runs on: instruction set levels, model, cores, caches, and a measured
 * FP32 peak and memory bandwidth (`edgeprof platform`).
 *
 * ISA levels. The kernels come in one variant per level, each compiled with its own flags, and
 * every kernel family picks the variant of the active level:
 *   scalar  plain C (compiled for the base ISA of the build: SSE2 on x86-64);
 *   avx2    AVX2 + FMA3, used when the CPU has both and the OS saves YMM state (XGETBV);
 *   avx512  AVX-512F (+ FMA), used when the CPU has it and the OS saves ZMM and opmask state;
 *   neon    AArch64 Advanced SIMD (NEON, with FMA): part of the base ISA, so always there on
 *           AArch64 builds.
 * The levels of one architecture are ordered (x86-64: scalar < avx2 < avx512; AArch64: scalar <
 * neon); a build supports scalar and the levels of its own architecture up to the best one the
 * CPU has. The CPU is read once (thread-safe). The active level is the best supported one,
 * unless the environment variable EDGEPROF_ISA=scalar|avx2|avx512|neon asks for another: a level
 * this CPU or build does not support gives the best supported one, and an unknown value is
 * ignored; neither prints anything, and ep_cpu_isa_env_note() says what happened so that tools
 * can show it. Builds for other architectures have only the scalar level. */
#ifndef EDGEPROF_CPU_H
#define EDGEPROF_CPU_H

#include <stdbool.h>
#include <stddef.h>

#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ep_cpu_isa {
  EP_ISA_SCALAR = 0,
  EP_ISA_AVX2 = 1,
  EP_ISA_AVX512 = 2,
  EP_ISA_NEON = 3,
} ep_cpu_isa;

#define EP_ISA_COUNT 4

/* "scalar", "avx2", "avx512", "neon"; "?" for a value outside the enum. */
const char* ep_cpu_isa_name(ep_cpu_isa isa);
/* Parses one of the names above (case-sensitive). */
ep_status ep_cpu_isa_parse(const char* text, ep_cpu_isa* out);
/* Whether this CPU, OS and build can run kernels of the level. Scalar always can. */
bool ep_cpu_isa_supported(ep_cpu_isa isa);
/* The best supported level. */
ep_cpu_isa ep_cpu_isa_best(void);
/* The level the kernels use now (see above). */
ep_cpu_isa ep_cpu_isa_active(void);
/* Makes the kernels use `isa`, or the best supported level when `isa` is not supported; returns
 * the level now in use. For tests and tools that compare levels: packed weights are only valid
 * for the level that packed them, so call it only while no session exists (sessions pack at
 * creation). */
ep_cpu_isa ep_cpu_isa_force(ep_cpu_isa isa);
/* NULL when EDGEPROF_ISA is unset or was applied as given; otherwise one sentence, e.g.
 * "EDGEPROF_ISA=avx512 is not supported by this CPU; using avx2". Static storage. */
const char* ep_cpu_isa_env_note(void);

/* --- the machine ------------------------------------------------------------------------- */

typedef struct ep_cpu_cache {
  int level;     /* 1, 2, 3 */
  char type[16]; /* "Data", "Instruction", "Unified" */
  size_t size_bytes;
  int shared_by; /* logical CPUs sharing one instance (0 if unknown) */
} ep_cpu_cache;

#define EP_CPU_MAX_CACHES 8

typedef struct ep_cpu_info {
  char model[128]; /* brand string, e.g. "AMD EPYC 7B13"; "unknown" if unreadable */
  char vendor[16]; /* "GenuineIntel", "AuthenticAMD", ... or "" */
  int family, model_id,
      stepping;     /* x86 family/model/stepping as Linux reports them; -1 elsewhere */
  int cpus_online;  /* logical CPUs online */
  int cpus_allowed; /* logical CPUs this process may run on */
  int n_caches;
  ep_cpu_cache caches[EP_CPU_MAX_CACHES]; /* of CPU 0, in sysfs order */
  /* Feature flags (x86; false elsewhere). */
  bool has_fma, has_avx2, has_avx512f, os_ymm, os_zmm;
} ep_cpu_info;

/* Fills `info` from cpuid, /proc/cpuinfo and /sys/devices/system/cpu. Never fails: what cannot
 * be read stays "unknown" / 0. */
void ep_cpu_info_get(ep_cpu_info* info);

/* Measured FP32 multiply-add throughput of the calling thread, in GFLOP/s (one FMA = 2 FLOPs),
 * with the vector width of `isa` (capped at the best supported level), over about `seconds`. */
double ep_cpu_measure_peak_gflops(ep_cpu_isa isa, double seconds);

/* Measured read bandwidth of the calling thread, in GB/s (1e9 bytes/s): repeated streaming
 * sums over a buffer of `bytes` (at least 64 MiB to leave the caches), about `seconds` long.
 * Fails only when the buffer cannot be allocated. */
ep_status ep_cpu_measure_read_bandwidth(size_t bytes, double seconds, double* gbps_out);

/* --- `edgeprof platform` ------------------------------------------------------------------ */

#define EP_PLATFORM_MAX_BACKENDS 8

typedef struct ep_platform_backend {
  const char* name;    /* "cpu", "onednn" */
  bool available;      /* can run on this host */
  char why[160];       /* why not, when not available */
  const char* version; /* the engine's version line, or NULL */
} ep_platform_backend;

typedef struct ep_platform_summary {
  ep_cpu_info cpu;
  ep_cpu_isa best;            /* best level supported here */
  ep_cpu_isa active;          /* level the kernels use (EDGEPROF_ISA may lower it) */
  const char* isa_note;       /* ep_cpu_isa_env_note(), or NULL */
  /* Filled by the caller, who knows the runtime (the platform layer is below it):
   * ep_session_blocked_layout(), "NCHW8c" or NULL, and the backends of the build. */
  const char* blocked_layout;
  int n_backends;
  ep_platform_backend backends[EP_PLATFORM_MAX_BACKENDS];
  /* Measured on the calling thread: GFLOP/s per level (0 for unsupported levels), the
   * active level's value (what "% of peak" compares with), and read bandwidth in GB/s. */
  double peak_gflops_by_isa[EP_ISA_COUNT];
  double peak_gflops;
  double read_bandwidth_gbps;
} ep_platform_summary;

/* Reads the machine and runs both measurements: about `peak_seconds` per supported ISA level
 * (0.2 is enough) and `bandwidth_seconds` over a 256 MiB buffer (0.3). Fails only when the
 * buffer cannot be allocated. */
ep_status ep_platform_summary_measure(double peak_seconds, double bandwidth_seconds,
                                      ep_platform_summary* out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_CPU_H */

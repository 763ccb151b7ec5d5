/* ISA levels: cpuid and XGETBV read once, EDGEPROF_ISA applied once, the active level kept in
 * an atomic so that tests can force another one between sessions. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/cpu.h"
#include "platform/cpu_internal.h"

#if defined(__x86_64__) && defined(EP_HAVE_X86_KERNELS)
#include <cpuid.h>
#define EP_X86 1
#else
#define EP_X86 0
#endif

/* NEON (Advanced SIMD) is mandatory on AArch64: every AArch64 CPU has the level. */
#if defined(__aarch64__) && defined(EP_HAVE_NEON_KERNELS)
#define EP_NEON 1
#else
#define EP_NEON 0
#endif

static const char* const isa_names[EP_ISA_COUNT] = {"scalar", "avx2", "avx512", "neon"};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static ep_cpu_features features;
static ep_cpu_isa best = EP_ISA_SCALAR;
static atomic_int active = EP_ISA_SCALAR;
static char env_note[160];
static bool has_env_note;

#if EP_X86
/* XCR0 without -mxsave: the instruction is valid whenever cpuid says OSXSAVE. */
static unsigned long long read_xcr0(void) {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}

static void read_features(ep_cpu_features* f) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return;
  const unsigned max_leaf = eax;
  memcpy(f->vendor + 0, &ebx, 4);
  memcpy(f->vendor + 4, &edx, 4);
  memcpy(f->vendor + 8, &ecx, 4);
  f->vendor[12] = '\0';
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return;
  const bool osxsave = (ecx >> 27) & 1;
  const bool avx = (ecx >> 28) & 1;
  f->has_fma = (ecx >> 12) & 1;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, eax, ebx, ecx, edx);
    f->has_avx2 = (ebx >> 5) & 1;
    f->has_avx512f = (ebx >> 16) & 1;
  }
  if (osxsave && avx) {
    const unsigned long long xcr0 = read_xcr0();
    f->os_ymm = (xcr0 & 0x6) == 0x6;                /* XMM and YMM state */
    f->os_zmm = f->os_ymm && (xcr0 & 0xe0) == 0xe0; /* opmask, ZMM0-15 upper, ZMM16-31 */
  }
  /* The brand string, leaves 0x80000002..4. */
  if (__get_cpuid(0x80000000, &eax, &ebx, &ecx, &edx) && eax >= 0x80000004) {
    unsigned words[12];
    for (unsigned leaf = 0; leaf < 3; leaf++) {
      __get_cpuid(0x80000002 + leaf, &words[4 * leaf], &words[4 * leaf + 1], &words[4 * leaf + 2],
                  &words[4 * leaf + 3]);
    }
    char brand[49];
    memcpy(brand, words, 48);
    brand[48] = '\0';
    const char* p = brand;
    while (*p == ' ') p++;
    snprintf(f->brand, sizeof f->brand, "%s", p);
    size_t n = strlen(f->brand);
    while (n > 0 && f->brand[n - 1] == ' ') f->brand[--n] = '\0';
  }
}
#else
static void read_features(ep_cpu_features* f) { (void)f; }
#endif

/* Whether `isa` is scalar or a level of this build's architecture at or below `best`. */
static bool supported(ep_cpu_isa isa) {
  switch (isa) {
    case EP_ISA_SCALAR:
      return true;
    case EP_ISA_AVX2:
    case EP_ISA_AVX512:
      return EP_X86 && (best == EP_ISA_AVX2 || best == EP_ISA_AVX512) && isa <= best;
    case EP_ISA_NEON:
      return EP_NEON && best == EP_ISA_NEON;
  }
  return false;
}

static void init(void) {
  read_features(&features);
  if (features.has_avx2 && features.has_fma && features.os_ymm) best = EP_ISA_AVX2;
  if (best == EP_ISA_AVX2 && features.has_avx512f && features.os_zmm) best = EP_ISA_AVX512;
  if (EP_NEON) {
    features.has_neon = true;
    best = EP_ISA_NEON;
  }
  ep_cpu_isa level = best;
  const char* env = getenv("EDGEPROF_ISA");
  if (env != NULL && *env != '\0') {
    ep_cpu_isa asked = best;
    if (ep_cpu_isa_parse(env, &asked) != EP_OK) {
      snprintf(env_note, sizeof env_note,
               "EDGEPROF_ISA=%.40s is not scalar, avx2, avx512 or neon; ignored, using %s", env,
               isa_names[level]);
      has_env_note = true;
    } else if (!supported(asked)) {
      snprintf(env_note, sizeof env_note, "EDGEPROF_ISA=%s is not supported here; using %s",
               isa_names[asked], isa_names[best]);
      has_env_note = true;
    } else {
      level = asked;
    }
  }
  atomic_store(&active, (int)level);
}

static void ensure_init(void) { pthread_once(&once, init); }

const ep_cpu_features* ep_cpu_features_get(void) {
  ensure_init();
  return &features;
}

const char* ep_cpu_isa_name(ep_cpu_isa isa) {
  return (int)isa >= 0 && (int)isa < EP_ISA_COUNT ? isa_names[isa] : "?";
}

ep_status ep_cpu_isa_parse(const char* text, ep_cpu_isa* out) {
  for (int i = 0; text != NULL && i < EP_ISA_COUNT; i++) {
    if (strcmp(text, isa_names[i]) == 0) {
      *out = (ep_cpu_isa)i;
      return EP_OK;
    }
  }
  return ep_error(EP_ERR_INVALID_ARGUMENT, "unknown ISA level '%s' (scalar, avx2, avx512, neon)",
                  text != NULL ? text : "");
}

bool ep_cpu_isa_supported(ep_cpu_isa isa) {
  ensure_init();
  return (int)isa >= 0 && (int)isa < EP_ISA_COUNT && supported(isa);
}

ep_cpu_isa ep_cpu_isa_best(void) {
  ensure_init();
  return best;
}

ep_cpu_isa ep_cpu_isa_active(void) {
  ensure_init();
  return (ep_cpu_isa)atomic_load_explicit(&active, memory_order_relaxed);
}

ep_cpu_isa ep_cpu_isa_force(ep_cpu_isa isa) {
  ensure_init();
  ep_cpu_isa level = (int)isa < 0 ? EP_ISA_SCALAR : ep_cpu_isa_supported(isa) ? isa : best;
  atomic_store(&active, (int)level);
  return level;
}

const char* ep_cpu_isa_env_note(void) {
  ensure_init();
  return has_env_note ? env_note : NULL;
}

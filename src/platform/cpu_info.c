/* The machine as `edgeprof platform` shows it: model, cores, caches (sysfs), and two short
 * measurements: one core's multiply-add peak and its streaming read bandwidth. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgeprof/cpu.h"
#include "edgeprof/platform.h"
#include "platform/cpu_internal.h"

/* First line of a small sysfs file, without the newline; false if unreadable. */
static bool read_line(const char* path, char* buf, size_t size) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return false;
  bool ok = fgets(buf, (int)size, f) != NULL;
  fclose(f);
  if (ok) buf[strcspn(buf, "\n")] = '\0';
  return ok;
}

/* "32K", "1024K", "32M" -> bytes. */
static size_t parse_size(const char* text) {
  char* end;
  unsigned long long v = strtoull(text, &end, 10);
  if (*end == 'K') v <<= 10;
  if (*end == 'M') v <<= 20;
  if (*end == 'G') v <<= 30;
  return (size_t)v;
}

/* Counts the CPUs of a list such as "0-3,8". */
static int count_cpulist(const char* text) {
  int cpus[EP_MAX_CPUS], n = 0;
  if (ep_cpulist_parse(text, cpus, EP_MAX_CPUS, &n) != EP_OK) return 0;
  return n;
}

static void read_caches(ep_cpu_info* info) {
  for (int index = 0; index < 16 && info->n_caches < EP_CPU_MAX_CACHES; index++) {
    char path[128], buf[256];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", index);
    if (!read_line(path, buf, sizeof buf)) break;
    ep_cpu_cache* c = &info->caches[info->n_caches];
    memset(c, 0, sizeof *c);
    c->level = atoi(buf);
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", index);
    if (!read_line(path, c->type, sizeof c->type)) c->type[0] = '\0';
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
    if (read_line(path, buf, sizeof buf)) c->size_bytes = parse_size(buf);
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/shared_cpu_list",
             index);
    if (read_line(path, buf, sizeof buf)) c->shared_by = count_cpulist(buf);
    info->n_caches++;
  }
}

/* model name, family, model and stepping from /proc/cpuinfo (first processor). */
static void read_proc_cpuinfo(ep_cpu_info* info, char* model_name, size_t size) {
  FILE* f = fopen("/proc/cpuinfo", "r");
  if (f == NULL) return;
  char line[512];
  bool seen_processor = false;
  while (fgets(line, sizeof line, f) != NULL) {
    if (strncmp(line, "processor", 9) == 0) {
      if (seen_processor) break; /* the first processor is enough */
      seen_processor = true;
    }
    char* colon = strchr(line, ':');
    if (colon == NULL) continue;
    char* value = colon + 1;
    while (*value == ' ' || *value == '\t') value++;
    value[strcspn(value, "\n")] = '\0';
    if (strncmp(line, "model name", 10) == 0) {
      snprintf(model_name, size, "%s", value);
    } else if (strncmp(line, "cpu family", 10) == 0) {
      info->family = atoi(value);
    } else if (strncmp(line, "model\t", 6) == 0 || strncmp(line, "model ", 6) == 0) {
      info->model_id = atoi(value);
    } else if (strncmp(line, "stepping", 8) == 0) {
      info->stepping = atoi(value);
    }
  }
  fclose(f);
}

void ep_cpu_info_get(ep_cpu_info* info) {
  memset(info, 0, sizeof *info);
  info->family = info->model_id = info->stepping = -1;
  const ep_cpu_features* f = ep_cpu_features_get();
  snprintf(info->vendor, sizeof info->vendor, "%s", f->vendor);
  char proc_model[128] = "";
  read_proc_cpuinfo(info, proc_model, sizeof proc_model);
  /* cpuid's brand string is the model as the vendor names it; /proc/cpuinfo has the same on
   * bare metal, and the only one off x86. Prefer the longer (VMs sometimes shorten one). */
  const char* model = strlen(f->brand) >= strlen(proc_model) ? f->brand : proc_model;
  snprintf(info->model, sizeof info->model, "%s", *model != '\0' ? model : "unknown");
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  info->cpus_online = online > 0 ? (int)online : 1;
  int allowed[EP_MAX_CPUS];
  info->cpus_allowed = ep_cpus_allowed(allowed, EP_MAX_CPUS);
  read_caches(info);
  info->has_fma = f->has_fma;
  info->has_avx2 = f->has_avx2;
  info->has_avx512f = f->has_avx512f;
  info->os_ymm = f->os_ymm;
  info->os_zmm = f->os_zmm;
}

typedef double (*fma_loop_fn)(size_t iterations, float* sink);

double ep_cpu_measure_peak_gflops(ep_cpu_isa isa, double seconds) {
  if (!ep_cpu_isa_supported(isa)) isa = ep_cpu_isa_best();
  fma_loop_fn loop = ep_cpu_fma_loop__scalar;
#if defined(EP_HAVE_X86_KERNELS)
  if (isa == EP_ISA_AVX2) loop = ep_cpu_fma_loop__avx2;
  if (isa == EP_ISA_AVX512) loop = ep_cpu_fma_loop__avx512f;
#endif
#if defined(EP_HAVE_NEON_KERNELS)
  if (isa == EP_ISA_NEON) loop = ep_cpu_fma_loop__neon;
#endif
  /* Rounds of ~1 ms; the best one is the peak (others lost time to interrupts and neighbours). */
  float sink = 0.0f;
  size_t iterations = 1000;
  double t0 = ep_now();
  double flops = loop(iterations, &sink);
  double dt = ep_now() - t0;
  while (dt < 1e-3 && iterations < ((size_t)1 << 40)) {
    iterations *= 2;
    t0 = ep_now();
    flops = loop(iterations, &sink);
    dt = ep_now() - t0;
  }
  double best = dt > 0 ? flops / dt : 0.0;
  const double start = ep_now();
  while (ep_now() - start < seconds) {
    t0 = ep_now();
    flops = loop(iterations, &sink);
    dt = ep_now() - t0;
    if (dt > 0 && flops / dt > best) best = flops / dt;
  }
  volatile float keep = sink;
  (void)keep;
  return best * 1e-9;
}

/* Sum of 64-bit words: integer adds are associative, so the compiler vectorizes it without
 * fast-math, and the loop is bound by the memory rather than by an add chain. */
static uint64_t sum_words(const uint64_t* p, size_t n) {
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i + 4 <= n; i += 4) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
  }
  return s0 + s1 + s2 + s3;
}

ep_status ep_cpu_measure_read_bandwidth(size_t bytes, double seconds, double* gbps_out) {
  if (bytes < ((size_t)1 << 20)) bytes = (size_t)1 << 20;
  const size_t words = bytes / sizeof(uint64_t);
  uint64_t* buf = NULL;
  if (posix_memalign((void**)&buf, 4096, words * sizeof *buf) != 0) {
    return ep_error(EP_ERR_OUT_OF_MEMORY, "cannot allocate %zu MiB for the bandwidth test",
                    bytes >> 20);
  }
  /* Touch every page so that the measurement does not include page faults. */
  for (size_t i = 0; i < words; i++) buf[i] = i;
  /* Passes over one slice at a time (a slice is far larger than any cache), best one wins. */
  const size_t slice = words / 4;
  uint64_t sink = 0;
  double best = 0.0;
  const double start = ep_now();
  size_t at = 0;
  do {
    const double t0 = ep_now();
    sink += sum_words(buf + at, slice);
    const double dt = ep_now() - t0;
    if (dt > 0 && (double)(slice * sizeof *buf) / dt > best) {
      best = (double)(slice * sizeof *buf) / dt;
    }
    at = (at + slice) % (slice * 4);
  } while (ep_now() - start < seconds);
  volatile uint64_t keep = sink;
  (void)keep;
  free(buf);
  *gbps_out = best * 1e-9;
  return EP_OK;
}

ep_status ep_platform_summary_measure(double peak_seconds, double bandwidth_seconds,
                                      ep_platform_summary* out) {
  ep_platform_summary s;
  memset(&s, 0, sizeof s);
  ep_cpu_info_get(&s.cpu);
  s.best = ep_cpu_isa_best();
  s.active = ep_cpu_isa_active();
  s.isa_note = ep_cpu_isa_env_note();
  for (int isa = 0; isa < EP_ISA_COUNT; isa++) {
    if (ep_cpu_isa_supported((ep_cpu_isa)isa)) {
      s.peak_gflops_by_isa[isa] = ep_cpu_measure_peak_gflops((ep_cpu_isa)isa, peak_seconds);
    }
  }
  s.peak_gflops = s.peak_gflops_by_isa[s.active];
  ep_status status =
      ep_cpu_measure_read_bandwidth((size_t)256 << 20, bandwidth_seconds, &s.read_bandwidth_gbps);
  if (status != EP_OK) return status;
  *out = s;
  return EP_OK;
}

/* Noise monitor: other processes' CPU time, steal, run queue and frequency while one
 * configuration is timed (edgeprof/noise.h). */
#include "edgeprof/noise.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgeprof/bench.h"
#include "edgeprof/platform.h"

#define TICK_INTERVAL_S 0.01
#define FREQ_CPUS_READ 4 /* sysfs reads are slow: the set's first few CPUs tell a drop */

typedef struct proc_stat {
  uint64_t busy, steal, total; /* ticks, summed over the watched CPUs */
  int procs_running;
} proc_stat;

static bool watched(const ep_noise_monitor* m, int cpu) {
  for (int i = 0; i < m->n_cpus; i++) {
    if (m->cpus[i] == cpu) return true;
  }
  return false;
}

/* Sums the set's CPU lines of /proc/stat. */
static bool read_proc_stat(const ep_noise_monitor* m, proc_stat* out) {
  memset(out, 0, sizeof *out);
  FILE* f = fopen("/proc/stat", "r");
  if (f == NULL) return false;
  char line[512];
  bool any = false;
  while (fgets(line, sizeof line, f) != NULL) {
    int cpu;
    unsigned long long v[8] = {0};
    if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9') {
      if (sscanf(line + 3, "%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
                 &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8 ||
          !watched(m, cpu)) {
        continue;
      }
      /* user nice system idle iowait irq softirq steal (guest time is inside user). */
      out->busy += v[0] + v[1] + v[2] + v[5] + v[6];
      out->steal += v[7];
      out->total += v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
      any = true;
    } else if (sscanf(line, "procs_running %d", &out->procs_running) == 1) {
      break; /* after the CPU lines */
    }
  }
  fclose(f);
  return any;
}

/* utime + stime of this process, in ticks. */
static bool read_self_ticks(uint64_t* out) {
  FILE* f = fopen("/proc/self/stat", "r");
  if (f == NULL) return false;
  char buf[1024];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  const char* p = strrchr(buf, ')'); /* the command name may hold spaces */
  if (p == NULL) return false;
  unsigned long long utime = 0, stime = 0;
  /* After ')': state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
   * utime(14) stime(15). */
  if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) !=
      2) {
    return false;
  }
  *out = utime + stime;
  return true;
}

static void read_freq(ep_noise_monitor* m) {
  for (int i = 0; i < m->n_cpus && i < FREQ_CPUS_READ; i++) {
    char path[96];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_cur_freq",
             m->cpus[i]);
    FILE* f = fopen(path, "r");
    if (f == NULL) return;
    double khz = 0.0;
    if (fscanf(f, "%lf", &khz) == 1 && khz > 0.0) {
      if (m->freq_min_khz == 0.0 || khz < m->freq_min_khz) m->freq_min_khz = khz;
      if (khz > m->freq_max_khz) m->freq_max_khz = khz;
    }
    fclose(f);
  }
}

void ep_noise_monitor_start(ep_noise_monitor* m, const int* cpus, int n_cpus, int threads) {
  memset(m, 0, sizeof *m);
  if (n_cpus > EP_NOISE_MAX_CPUS) n_cpus = EP_NOISE_MAX_CPUS;
  if (n_cpus > 0) memcpy(m->cpus, cpus, (size_t)n_cpus * sizeof *cpus);
  m->n_cpus = n_cpus;
  m->threads = threads;
  long online = sysconf(_SC_NPROCESSORS_ONLN);
  m->cpus_online = online > 0 ? (int)online : n_cpus;
  proc_stat s;
  m->ok = read_proc_stat(m, &s) && read_self_ticks(&m->self0);
  m->busy0 = s.busy;
  m->steal0 = s.steal;
  m->total0 = s.total;
  read_freq(m);
  m->start = m->last_tick = ep_now();
}

void ep_noise_monitor_tick(ep_noise_monitor* m) {
  double now = ep_now();
  if (!m->ok || now - m->last_tick < TICK_INTERVAL_S) return;
  m->last_tick = now;
  proc_stat s;
  if (read_proc_stat(m, &s)) {
    int excess = s.procs_running - m->threads;
    m->run_queue_sum += excess > 0 ? excess : 0;
    m->run_queue_samples++;
  }
  read_freq(m);
}

static void add_reason(ep_noise* n, const char* format, double value) {
  size_t len = strlen(n->reasons);
  snprintf(n->reasons + len, sizeof n->reasons - len, "%s", len > 0 ? "; " : "");
  len = strlen(n->reasons);
  snprintf(n->reasons + len, sizeof n->reasons - len, format, value);
}

void ep_noise_judge(ep_noise* n, double other_ticks) {
  n->noisy = false;
  n->reasons[0] = '\0';
  if (n->measured) {
    if (n->other_cpu_share > EP_NOISE_MAX_OTHER_SHARE && other_ticks >= EP_NOISE_MIN_OTHER_TICKS) {
      add_reason(n, "other processes %.0f%% of the set's CPU time", 100.0 * n->other_cpu_share);
    }
    if (n->steal_share > EP_NOISE_MAX_STEAL_SHARE) {
      add_reason(n, "steal %.0f%%", 100.0 * n->steal_share);
    }
    if (n->run_queue_samples > 0 && n->run_queue_excess > n->free_cpus + 0.5) {
      add_reason(n, "%.1f other runnable threads on average", n->run_queue_excess);
    }
  }
  if (n->freq_max_mhz > 0.0 && 1.0 - n->freq_min_mhz / n->freq_max_mhz > EP_NOISE_MAX_FREQ_DROP) {
    add_reason(n, "frequency fell %.0f%%", 100.0 * (1.0 - n->freq_min_mhz / n->freq_max_mhz));
  }
  if (n->spread > EP_NOISE_MAX_SPREAD) add_reason(n, "spread (p90 - median) / median %.2f",
                                                  n->spread);
  n->noisy = n->reasons[0] != '\0';
}

void ep_noise_monitor_stop(ep_noise_monitor* m, const double* samples_ms, int n,
                           ep_noise* out) {
  memset(out, 0, sizeof *out);
  out->attempts = 1;
  out->seconds = ep_now() - m->start;
  double other_ticks = 0.0;
  proc_stat s;
  uint64_t self1 = 0;
  if (m->ok && read_proc_stat(m, &s) && read_self_ticks(&self1) && s.total >= m->total0) {
    double total = (double)(s.total - m->total0);
    double busy = (double)(s.busy - m->busy0);
    double self = (double)(self1 - m->self0);
    other_ticks = busy > self ? busy - self : 0.0;
    out->other_ticks = other_ticks;
    out->measured = true;
    out->other_cpu_share = total > 0.0 ? other_ticks / total : 0.0;
    out->steal_share = total > 0.0 ? (double)(s.steal - m->steal0) / total : 0.0;
  }
  out->run_queue_samples = m->run_queue_samples;
  out->run_queue_excess = m->run_queue_samples > 0 ? m->run_queue_sum / m->run_queue_samples : 0;
  int free_cpus = m->cpus_online - m->threads;
  out->free_cpus = free_cpus > 0 ? free_cpus : 0;
  read_freq(m);
  out->freq_min_mhz = m->freq_min_khz / 1e3;
  out->freq_max_mhz = m->freq_max_khz / 1e3;
  ep_latency_stats stats;
  ep_latency_stats_compute(samples_ms, n, &stats);
  out->spread = stats.median > 0.0 ? (stats.p90 - stats.median) / stats.median : 0.0;
  ep_noise_judge(out, other_ticks);
}

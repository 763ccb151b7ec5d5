/* Noise monitor: what else the machine did while one configuration was timed, measured rather
 * than guessed from a load average taken before the run.
 *
 * During the timed runs it reads, from Linux's /proc and /sys:
 *  - other processes' CPU time on the configuration's CPUs: the busy time /proc/stat gives those
 *    CPUs, minus this process's own CPU time (/proc/self/stat; its threads are pinned to the
 *    set, so its time is spent there), as a share of the CPU time the set had;
 *  - steal time on those CPUs (a hypervisor gave them to another guest);
 *  - the run queue (procs_running of /proc/stat, sampled between runs) beyond this process's
 *    threads: more runnable threads than free CPUs means someone shares ours;
 *  - the CPU frequency (scaling_cur_freq of the set's CPUs) where readable: its lowest and
 *    highest reading;
 *  - the spread of the configuration's own samples, (p90 - median) / median.
 * A configuration is noisy when any of these crosses its threshold (EP_NOISE_*, documented in
 * docs/results.md); the verdict lists which. /proc/stat counts in clock ticks (USER_HZ, 10 ms):
 * the CPU-time shares need at least EP_NOISE_MIN_OTHER_TICKS ticks of others to call a short
 * configuration noisy, so one tick cannot condemn a 50 ms measurement.
 *
 * Library code: it never prints. Thread-safety: a monitor belongs to one thread. */
#ifndef EDGEPROF_NOISE_H
#define EDGEPROF_NOISE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EP_NOISE_MAX_OTHER_SHARE 0.10 /* others' CPU time / the set's CPU time */
#define EP_NOISE_MIN_OTHER_TICKS 2    /* ...and at least this many ticks of it */
#define EP_NOISE_MAX_STEAL_SHARE 0.05 /* steal / the set's CPU time */
#define EP_NOISE_MAX_SPREAD 0.25      /* (p90 - median) / median of the samples */
#define EP_NOISE_MAX_FREQ_DROP 0.10   /* 1 - lowest / highest frequency reading */
#define EP_NOISE_MAX_CPUS 1024

typedef struct ep_noise {
  bool measured;          /* /proc/stat and /proc/self/stat were readable */
  bool noisy;             /* a threshold was crossed (also when !measured, by spread) */
  char reasons[192];      /* "other processes 35% of the set's CPU time; spread 0.41"; "" */
  double seconds;         /* wall time watched */
  double other_cpu_share; /* 0..1 (more with SMT siblings counted); 0 when !measured */
  double other_ticks;     /* the clock ticks behind other_cpu_share (for ep_noise_judge again) */
  double steal_share;     /* 0..1 */
  double run_queue_excess; /* mean runnable threads beyond ours, between runs */
  int run_queue_samples;
  double free_cpus;       /* CPUs of the machine our threads left free (others may use them) */
  double freq_min_mhz, freq_max_mhz; /* 0: not readable */
  double spread;          /* (p90 - median) / median of the samples */
  int attempts;           /* measurements of this configuration (1 + re-measurements) */
} ep_noise;

typedef struct ep_noise_monitor {
  int cpus[EP_NOISE_MAX_CPUS];
  int n_cpus;
  int threads;
  int cpus_online;
  double start, last_tick;
  uint64_t busy0, steal0, total0, self0; /* ticks at start */
  bool ok;
  double run_queue_sum;
  int run_queue_samples;
  double freq_min_khz, freq_max_khz;
} ep_noise_monitor;

/* Starts watching `n_cpus` CPUs (`cpus`) on which `threads` of our threads run. */
void ep_noise_monitor_start(ep_noise_monitor* m, const int* cpus, int n_cpus, int threads);
/* Samples the run queue and frequency; call between runs (it reads at most every 10 ms). */
void ep_noise_monitor_tick(ep_noise_monitor* m);
/* Stops and judges, with the configuration's samples (ms). attempts is set to 1. */
void ep_noise_monitor_stop(ep_noise_monitor* m, const double* samples_ms, int n,
                           ep_noise* out);

/* Judges figures already in `noise` (the thresholds above): sets noisy and reasons. Exposed
 * so that tests can check the thresholds without a loaded machine. */
void ep_noise_judge(ep_noise* noise, double other_ticks);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_NOISE_H */

/* The noise verdict's thresholds (edgeprof/noise.h), and a monitor over an idle stretch and a
 * busy one of our own (our CPU time is not "other processes"). */
#include <stdio.h>
#include <string.h>

#include "edgeprof/noise.h"
#include "edgeprof/platform.h"

static int failures;
#define CHECK(cond, ...)                 \
  do {                                   \
    if (!(cond)) {                       \
      failures++;                        \
      printf("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf(__VA_ARGS__);               \
      printf("\n");                      \
    }                                    \
  } while (0)

static ep_noise quiet(void) {
  ep_noise n;
  memset(&n, 0, sizeof n);
  n.measured = true;
  n.free_cpus = 1;
  n.run_queue_samples = 10;
  n.spread = 0.02;
  return n;
}

int main(void) {
  ep_noise n = quiet();
  ep_noise_judge(&n, 0);
  CHECK(!n.noisy && n.reasons[0] == '\0', "quiet: %s", n.reasons);

  n = quiet();
  n.other_cpu_share = 0.35;
  ep_noise_judge(&n, 30);
  CHECK(n.noisy && strstr(n.reasons, "other processes 35%") != NULL, "others: %s", n.reasons);
  /* One tick of others cannot condemn a short configuration. */
  ep_noise_judge(&n, 1);
  CHECK(!n.noisy, "one tick: %s", n.reasons);
  n.other_cpu_share = 0.09;
  ep_noise_judge(&n, 30);
  CHECK(!n.noisy, "below 10%%: %s", n.reasons);

  n = quiet();
  n.steal_share = 0.06;
  ep_noise_judge(&n, 0);
  CHECK(n.noisy && strstr(n.reasons, "steal 6%") != NULL, "steal: %s", n.reasons);

  n = quiet();
  n.run_queue_excess = 1.4; /* one free CPU: 1.5 would mean someone shares ours */
  ep_noise_judge(&n, 0);
  CHECK(!n.noisy, "run queue within the free CPUs: %s", n.reasons);
  n.run_queue_excess = 2.0;
  ep_noise_judge(&n, 0);
  CHECK(n.noisy && strstr(n.reasons, "runnable") != NULL, "run queue: %s", n.reasons);

  n = quiet();
  n.freq_min_mhz = 2000;
  n.freq_max_mhz = 3000;
  ep_noise_judge(&n, 0);
  CHECK(n.noisy && strstr(n.reasons, "frequency fell 33%") != NULL, "freq: %s", n.reasons);

  n = quiet();
  n.spread = 0.3;
  n.measured = false; /* without /proc the spread is still judged */
  n.other_cpu_share = 0.9;
  ep_noise_judge(&n, 100);
  CHECK(n.noisy && strstr(n.reasons, "spread") != NULL && strstr(n.reasons, "other") == NULL,
        "spread only: %s", n.reasons);

  /* A live monitor: our own busy loop on CPU 0 is ours, not another process's. */
  int cpu = 0;
  ep_noise_monitor m;
  ep_noise_monitor_start(&m, &cpu, 1, 1);
  double start = ep_now();
  volatile double x = 0;
  while (ep_now() - start < 0.05) {
    x += 1.0;
    ep_noise_monitor_tick(&m);
  }
  double samples[5] = {1, 1, 1, 1, 1};
  ep_noise_monitor_stop(&m, samples, 5, &n);
  CHECK(n.attempts == 1 && n.seconds >= 0.05 && n.spread == 0.0, "live: attempts %d, %.3f s",
        n.attempts, n.seconds);
  CHECK(n.other_cpu_share >= 0.0 && n.other_cpu_share <= 1.0, "share %.3f", n.other_cpu_share);
  if (failures == 0) printf("test_noise: all passed\n");
  return failures == 0 ? 0 : 1;
}

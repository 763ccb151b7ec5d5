/* LD_PRELOAD shim (a measuring aid, not part of edgeprof): clock_gettime of CLOCK_MONOTONIC,
 * CLOCK_MONOTONIC_RAW and CLOCK_REALTIME reads the calling thread's CPU clock instead. Under it, a
 * one-thread per-node profile (`edgeprof profile --threads 1`, ONNX Runtime's profiler at one
 * intra-op thread, so bench/compare-layers.sh) times each node by the CPU time its thread spent,
 * and leaves out the time it was descheduled: on a machine shared by many processes, wall-clock
 * node times swung 2x between runs where CPU times kept within a few percent. Caches are still
 * shared, and anything that sleeps or times out on these clocks misbehaves: one-thread
 * profiles only.
 *
 *   cc -O2 -shared -fPIC -o build/thread_cpu_clock.so bench/thread_cpu_clock.c
 *   LD_PRELOAD=$PWD/build/thread_cpu_clock.so bench/compare-layers.sh build MODEL --threads 1 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int clock_gettime(clockid_t id, struct timespec* ts) {
  if (id == CLOCK_MONOTONIC || id == CLOCK_MONOTONIC_RAW || id == CLOCK_REALTIME) {
    id = CLOCK_THREAD_CPUTIME_ID;
  }
  return (int)syscall(SYS_clock_gettime, id, ts);
}

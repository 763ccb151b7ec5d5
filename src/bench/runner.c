/* The benchmark loop: warm-up runs, then timed runs until both the minimum count and the
 * minimum time are reached (TFLite benchmark tool conventions), capped by max_runs. */
#include <stdlib.h>

#include "edgeprof/bench.h"
#include "edgeprof/platform.h"

void ep_bench_options_default(ep_bench_options* options) {
  options->warmup_runs = 1;
  options->min_runs = 50;
  options->min_seconds = 1.0;
  options->max_runs = 0;
  options->max_seconds = 0.0;
  options->progress = NULL;
  options->user = NULL;
  options->stop = NULL;
}

static int keep_running(const ep_bench_options* o, int done, double elapsed) {
  if (o->stop != NULL && *o->stop) return 0;
  if (o->max_runs > 0 && done >= o->max_runs) return 0;
  if (o->max_seconds > 0.0 && done > 0 && elapsed >= o->max_seconds) return 0;
  return done < o->min_runs || elapsed < o->min_seconds;
}

ep_status ep_bench_run(ep_session* session, const ep_bench_options* options,
                       double** samples_out, int* count_out) {
  if (session == NULL || options == NULL || samples_out == NULL || count_out == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_bench_run: NULL argument");
  }
  if (options->warmup_runs < 0 || options->min_runs < 0 || options->max_runs < 0 ||
      !(options->min_seconds >= 0.0)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_bench_run: negative run count or time");
  }
  ep_status status = EP_OK;
  int capacity = options->min_runs > 16 ? options->min_runs : 16;
  if (options->max_runs > 0 && options->max_runs < capacity) capacity = options->max_runs;
  double* samples = malloc((size_t)capacity * sizeof *samples);
  int count = 0;
  if (samples == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for %d samples", capacity);

  for (int i = 0; i < options->warmup_runs; i++) {
    status = ep_session_run(session);
    if (status != EP_OK) goto cleanup;
  }
  double start = ep_now();
  double elapsed = 0.0;
  while (keep_running(options, count, elapsed)) {
    if (count == capacity) {
      int grown = capacity * 2;
      double* bigger = realloc(samples, (size_t)grown * sizeof *samples);
      if (bigger == NULL) {
        status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for %d samples", grown);
        goto cleanup;
      }
      samples = bigger;
      capacity = grown;
    }
    double t0 = ep_now();
    status = ep_session_run(session);
    double t1 = ep_now();
    if (status != EP_OK) goto cleanup;
    samples[count++] = (t1 - t0) * 1e3;
    elapsed = t1 - start;
    if (options->progress != NULL) options->progress(options->user, count, elapsed);
  }

cleanup:
  if (status != EP_OK) {
    free(samples);
    return status;
  }
  *samples_out = samples;
  *count_out = count;
  return EP_OK;
}

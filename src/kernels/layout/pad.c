/* Pad (constant, reflect, edge, wrap; negative pads crop): output rows (every dim but the last)
 * split over the pool. A row whose outer coordinates fall in constant padding is filled; others
 * copy the middle of an input row and fill or mirror its ends. */
#include <string.h>

#include "kernels/tensor_ops.h"

typedef struct pad_job {
  int rank, mode;
  float value;
  int64_t x_dims[EP_MAX_RANK], y_dims[EP_MAX_RANK], begin[EP_MAX_RANK];
  const float* x;
  float* y;
} pad_job;

/* The input coordinate that output coordinate o reads, or -1 for the constant. */
static int64_t source(int64_t o, int64_t n, int64_t begin, int mode) {
  const int64_t i = o - begin;
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case EP_PAD_REFLECT:
      return i < 0 ? -i : 2 * (n - 1) - i;
    case EP_PAD_EDGE:
      return i < 0 ? 0 : n - 1;
    case EP_PAD_WRAP:
      return ((i % n) + n) % n;
    default:
      return -1;
  }
}

static void pad_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const pad_job* j = ctx;
  const int last = j->rank - 1;
  const int64_t n_in = j->x_dims[last], n_out = j->y_dims[last], b = j->begin[last];
  for (size_t row = begin; row < end; row++) {
    float* y = j->y + row * (size_t)n_out;
    size_t rest = row, from = 0, stride = (size_t)n_in;
    bool constant = false;
    for (int i = last - 1; i >= 0; i--) {
      const int64_t s =
          source((int64_t)(rest % (size_t)j->y_dims[i]), j->x_dims[i], j->begin[i], j->mode);
      rest /= (size_t)j->y_dims[i];
      if (s < 0) {
        constant = true;
        break;
      }
      from += (size_t)s * stride;
      stride *= (size_t)j->x_dims[i];
    }
    if (constant) {
      for (int64_t k = 0; k < n_out; k++) y[k] = j->value;
      continue;
    }
    const float* x = j->x + from;
    /* Output k reads input k - b; the middle [lo, hi) of the output is a plain copy. */
    const int64_t lo = b > 0 ? b : 0;
    const int64_t hi = b + n_in < n_out ? b + n_in : n_out;
    for (int64_t k = 0; k < lo && k < n_out; k++) {
      const int64_t s = source(k, n_in, b, j->mode);
      y[k] = s < 0 ? j->value : x[s];
    }
    if (hi > lo) memcpy(y + lo, x + (lo - b), (size_t)(hi - lo) * sizeof *y);
    for (int64_t k = hi > lo ? hi : lo; k < n_out; k++) {
      const int64_t s = source(k, n_in, b, j->mode);
      y[k] = s < 0 ? j->value : x[s];
    }
  }
}

void ep_pad_run(const ep_shape* x_shape, const int* pads, int mode, float value, const float* x,
                float* y, ep_threadpool* pool) {
  pad_job job;
  memset(&job, 0, sizeof job);
  job.rank = x_shape->rank > 0 ? x_shape->rank : 1;
  job.mode = mode;
  job.value = value;
  job.x_dims[0] = job.y_dims[0] = 1;
  size_t rows = 1;
  for (int i = 0; i < x_shape->rank; i++) {
    job.x_dims[i] = x_shape->dims[i];
    job.begin[i] = pads[i];
    job.y_dims[i] = x_shape->dims[i] + pads[i] + pads[x_shape->rank + i];
    if (i < x_shape->rank - 1) rows *= (size_t)job.y_dims[i];
  }
  job.x = x;
  job.y = y;
  const size_t inner = (size_t)job.y_dims[job.rank - 1];
  const size_t grain = inner >= 4096 ? 1 : 4096 / inner;
  ep_threadpool_parallel_for(pool, rows, grain, pad_rows, &job);
}

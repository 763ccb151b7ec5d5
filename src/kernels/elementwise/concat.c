/* Concatenation along the inner dimension: every (row, input) pair is one copy. With a single
 * outer row (channel concat at batch 1) that is one large copy per input, so items are further
 * cut into pieces of at most PIECE floats to share them between threads. An input that already
 * lies where it would be copied to (the session had its producer write it there) is left as is. */
#include <string.h>

#include "kernels/kernels.h"

enum { PIECE = 65536 };

typedef struct concat_job {
  int n_inputs;
  const float* const* x;
  const size_t* inner;
  size_t total;  /* sum of inner */
  size_t pieces; /* pieces per (row, input) pair: of the largest input */
  float* y;
} concat_job;

static void concat_items(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const concat_job* job = ctx;
  for (size_t item = begin; item < end; item++) {
    const size_t piece = item % job->pieces;
    const size_t pair = item / job->pieces;
    const size_t input = pair % (size_t)job->n_inputs;
    const size_t row = pair / (size_t)job->n_inputs;
    size_t offset = 0;
    for (size_t i = 0; i < input; i++) offset += job->inner[i];
    const size_t len = job->inner[input];
    const size_t start = piece * PIECE;
    if (start >= len) continue;
    const size_t count = len - start < PIECE ? len - start : PIECE;
    float* dst = job->y + row * job->total + offset + start;
    const float* src = job->x[input] + row * len + start;
    if (dst != src) memcpy(dst, src, count * sizeof(float));
  }
}

void ep_concat_run(size_t outer, int n_inputs, const float* const* x, const size_t* inner, float* y,
                   ep_threadpool* pool) {
  size_t total = 0, largest = 0;
  for (int i = 0; i < n_inputs; i++) {
    total += inner[i];
    if (inner[i] > largest) largest = inner[i];
  }
  if (n_inputs <= 0 || largest == 0) return;
  concat_job job = {
      .n_inputs = n_inputs,
      .x = x,
      .inner = inner,
      .total = total,
      .pieces = (largest + PIECE - 1) / PIECE,
      .y = y,
  };
  /* Small rows: several per chunk, so a chunk is not a single tiny copy. */
  const size_t grain = largest >= 4096 ? 1 : 4096 / largest;
  ep_threadpool_parallel_for(pool, outer * (size_t)n_inputs * job.pieces, grain, concat_items,
                             &job);
}

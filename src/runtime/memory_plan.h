/* Activation arena planning: buffers whose lifetimes overlap get disjoint ranges. */
#ifndef EDGEPROF_RUNTIME_MEMORY_PLAN_H
#define EDGEPROF_RUNTIME_MEMORY_PLAN_H

#include <stddef.h>

#include "edgeprof/status.h"

typedef struct ep_buffer_request {
  size_t bytes;
  int first; /* first step the buffer is live (written) */
  int last;  /* last step it is live (read); inclusive */
} ep_buffer_request;

/* Greedy by size (largest first, lowest offset that fits), the planner TFLite uses: close to
 * optimal on inference graphs. Offsets are 64-byte aligned. */
ep_status ep_memory_plan(const ep_buffer_request* requests, int n, size_t* offsets_out,
                         size_t* total_out);

#endif /* EDGEPROF_RUNTIME_MEMORY_PLAN_H */

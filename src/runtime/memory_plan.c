#include "runtime/memory_plan.h"

#include <stdint.h>
#include <stdlib.h>

enum { ALIGNMENT = 64 };

static size_t align_up(size_t v) { return (v + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT; }

/* Largest first, ties by index so plans are deterministic. Insertion sort: graphs have at most
 * a few thousand tensors, and it keeps the planner re-entrant (qsort has no context). */
static void sort_by_size_desc(int* order, int n, const ep_buffer_request* r) {
  for (int i = 1; i < n; i++) {
    int v = order[i], j = i - 1;
    while (j >= 0 && (r[order[j]].bytes < r[v].bytes ||
                      (r[order[j]].bytes == r[v].bytes && order[j] > v))) {
      order[j + 1] = order[j];
      j--;
    }
    order[j + 1] = v;
  }
}

static void insertion_sort_by_offset(int* idx, int n, size_t* offsets) {
  for (int i = 1; i < n; i++) {
    int v = idx[i], j = i - 1;
    while (j >= 0 && offsets[idx[j]] > offsets[v]) {
      idx[j + 1] = idx[j];
      j--;
    }
    idx[j + 1] = v;
  }
}

ep_status ep_memory_plan(const ep_buffer_request* requests, int n, size_t* offsets_out,
                         size_t* total_out) {
  int* order = malloc((size_t)(n > 0 ? n : 1) * sizeof *order);
  int* live = malloc((size_t)(n > 0 ? n : 1) * sizeof *live);
  if (order == NULL || live == NULL) {
    free(order);
    free(live);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory planning the activation arena");
  }
  for (int i = 0; i < n; i++) order[i] = i;
  sort_by_size_desc(order, n, requests);

  size_t total = 0;
  for (int k = 0; k < n; k++) {
    int r = order[k];
    size_t size = align_up(requests[r].bytes);
    int n_live = 0;
    for (int j = 0; j < k; j++) {
      int o = order[j];
      if (requests[o].first <= requests[r].last && requests[r].first <= requests[o].last) {
        live[n_live++] = o;
      }
    }
    insertion_sort_by_offset(live, n_live, offsets_out);
    size_t offset = 0;
    for (int j = 0; j < n_live; j++) {
      size_t start = offsets_out[live[j]];
      if (start >= offset + size) break; /* the gap before this buffer fits */
      size_t end = start + align_up(requests[live[j]].bytes);
      if (end > offset) offset = end;
    }
    offsets_out[r] = offset;
    if (offset + size > total) total = offset + size;
  }
  free(order);
  free(live);
  *total_out = total;
  return EP_OK;
}

/* Arena planner: buffers alive at the same step never overlap, and the arena is never larger
 * than the sum of the buffers. */
#include <stdlib.h>

#include "runtime/memory_plan.h"
#include "test_support.h"

static void check_plan(const ep_buffer_request* r, int n) {
  size_t* off = calloc((size_t)n + 1, sizeof *off);
  size_t total = 0, sum = 0;
  EP_CHECK_OK(ep_memory_plan(r, n, off, &total));
  for (int i = 0; i < n; i++) {
    sum += (r[i].bytes + 63) / 64 * 64;
    EP_CHECK(off[i] % 64 == 0);
    EP_CHECK(off[i] + r[i].bytes <= total);
    for (int j = i + 1; j < n; j++) {
      int live_together = r[i].first <= r[j].last && r[j].first <= r[i].last;
      int overlap = off[i] < off[j] + r[j].bytes && off[j] < off[i] + r[i].bytes;
      EP_CHECK_MSG(!(live_together && overlap && r[i].bytes && r[j].bytes),
                   "buffers %d and %d overlap", i, j);
    }
  }
  EP_CHECK(total <= sum);
  free(off);
}

int main(void) {
  /* A chain: each buffer is read by the next step only, so two slots suffice. */
  ep_buffer_request chain[6];
  for (int i = 0; i < 6; i++) chain[i] = (ep_buffer_request){1000, i, i + 1};
  size_t off[6], total;
  EP_CHECK_OK(ep_memory_plan(chain, 6, off, &total));
  EP_CHECK_MSG(total == 2 * 1024, "chain arena %zu", total);
  check_plan(chain, 6);

  ep_test_rng rng = {7};
  for (int rep = 0; rep < 200; rep++) {
    int n = ep_test_rng_int(&rng, 1, 40);
    ep_buffer_request r[40];
    for (int i = 0; i < n; i++) {
      int a = ep_test_rng_int(&rng, -1, 30), b = ep_test_rng_int(&rng, 0, 12);
      r[i] = (ep_buffer_request){(size_t)ep_test_rng_int(&rng, 0, 5000), a, a + b};
    }
    check_plan(r, n);
  }
  EP_CHECK_OK(ep_memory_plan(NULL, 0, NULL, &total));
  EP_CHECK(total == 0);
  return ep_test_finish();
}

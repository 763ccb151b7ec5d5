/* The recurrences' step-ordered items (kernels/rnn/step-items.h) over pools of 1 to 4 threads:
 * every item runs exactly once, and none starts before every item of the steps before it has
 * finished, whichever end of a step each thread claims from. */
#include <stdatomic.h>
#include <stdlib.h>

#include "kernels/rnn/step-items.h"
#include "test_support.h"

enum { MAX_ITEMS = 4096 };

typedef struct probe {
  size_t per_step;
  atomic_int runs[MAX_ITEMS];
  atomic_size_t finished[MAX_ITEMS / 2]; /* per step */
  atomic_int early;                      /* items that started before their step was due */
} probe;

static void record(void* ctx, size_t item) {
  probe* p = ctx;
  const size_t step = item / p->per_step;
  if (step > 0 && atomic_load(&p->finished[step - 1]) != p->per_step) atomic_fetch_add(&p->early, 1);
  for (volatile int spin = 0; spin < 50; spin++) {
  }
  atomic_fetch_add(&p->runs[item], 1);
  /* Counted as finished only once the step before is: "finished[s] == per_step" then means all
   * of steps 0..s are done. */
  atomic_fetch_add(&p->finished[step], 1);
}

static void check(ep_threadpool* pool, size_t steps, size_t per_step) {
  probe* p = calloc(1, sizeof *p);
  p->per_step = per_step;
  ep_run_step_items(pool, true, steps, per_step, record, p);
  int wrong = 0;
  for (size_t i = 0; i < steps * per_step; i++) wrong += atomic_load(&p->runs[i]) != 1;
  EP_CHECK_MSG(wrong == 0, "%d threads, %zu steps of %zu: %d items not run exactly once",
               ep_threadpool_threads(pool), steps, per_step, wrong);
  EP_CHECK_MSG(atomic_load(&p->early) == 0,
               "%d threads, %zu steps of %zu: %d items started before the step before ended",
               ep_threadpool_threads(pool), steps, per_step, atomic_load(&p->early));
  free(p);
}

int main(void) {
  const size_t shapes[][2] = {{1, 2}, {20, 13}, {7, 2}, {3, 31}, {50, 5}, {200, 3}, {1, 1}, {16, 1}};
  check(NULL, 20, 13);
  for (int threads = 1; threads <= 4; threads++) {
    ep_threadpool* pool = NULL;
    EP_CHECK_OK(ep_threadpool_create(threads, NULL, 0, &pool));
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
      for (int round = 0; round < 20; round++) check(pool, shapes[s][0], shapes[s][1]);
    }
    ep_threadpool_destroy(pool);
  }
  return ep_test_finish();
}

/* Step-ordered items over a pool (step-items.h). */
#include "kernels/rnn/step-items.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>

enum { YIELD_AFTER = 2000 };

typedef struct step_items {
  void (*fn)(void* ctx, size_t item);
  void* ctx;
  size_t items, per_step;
  atomic_size_t next, done;
} step_items;

static void claim_items(void* ctx, size_t begin, size_t end, int worker) {
  (void)begin;
  (void)end;
  (void)worker;
  step_items* s = ctx;
  for (;;) {
    const size_t item = atomic_fetch_add_explicit(&s->next, 1, memory_order_relaxed);
    if (item >= s->items) return;
    const size_t needed = item / s->per_step * s->per_step;
    for (int spins = 0; atomic_load_explicit(&s->done, memory_order_acquire) < needed;) {
      if (++spins > YIELD_AFTER) sched_yield();
    }
    s->fn(s->ctx, item);
    atomic_fetch_add_explicit(&s->done, 1, memory_order_release);
  }
}

void ep_run_step_items(ep_threadpool* pool, bool split, size_t steps, size_t per_step,
                       void (*fn)(void* ctx, size_t item), void* ctx) {
  const int threads = ep_threadpool_threads(pool);
  if (!split || threads < 2 || per_step < 2) {
    for (size_t item = 0; item < steps * per_step; item++) fn(ctx, item);
    return;
  }
  step_items s = {.fn = fn, .ctx = ctx, .items = steps * per_step, .per_step = per_step};
  atomic_init(&s.next, 0);
  atomic_init(&s.done, 0);
  ep_threadpool_parallel_for(pool, (size_t)threads, 1, claim_items, &s);
}

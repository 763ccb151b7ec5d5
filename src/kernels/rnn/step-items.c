/* Step-ordered items over a pool (step-items.h). */
#include "kernels/rnn/step-items.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum { YIELD_AFTER = 2000 };

/* The claim state, one word: the step being handed out and the range [lo, hi) of its items not
 * yet claimed. The calling thread claims from the front, the other workers from the back. */
enum { FIELD_BITS = 21, STEP_BITS = 64 - 2 * FIELD_BITS };
#define FIELD_MASK ((UINT64_C(1) << FIELD_BITS) - 1)

typedef struct step_items {
  void (*fn)(void* ctx, size_t item);
  void* ctx;
  size_t steps, per_step;
  _Atomic uint64_t claim;
  atomic_size_t done;
} step_items;

static uint64_t pack_claim(uint64_t step, uint64_t lo, uint64_t hi) {
  return step << (2 * FIELD_BITS) | lo << FIELD_BITS | hi;
}

/* Claims the next item, from the front of its step or from the back; false when none is left. A
 * step's items are all claimed before any of the next step's. */
static bool claim_item(step_items* s, bool back, size_t* item_out) {
  uint64_t old = atomic_load_explicit(&s->claim, memory_order_relaxed);
  for (;;) {
    uint64_t step = old >> (2 * FIELD_BITS), lo = old >> FIELD_BITS & FIELD_MASK,
             hi = old & FIELD_MASK;
    if (lo >= hi) {
      if (++step >= s->steps) return false;
      lo = 0;
      hi = s->per_step;
    }
    const uint64_t item = back ? hi - 1 : lo;
    const uint64_t next = back ? pack_claim(step, lo, hi - 1) : pack_claim(step, lo + 1, hi);
    if (atomic_compare_exchange_weak_explicit(&s->claim, &old, next, memory_order_relaxed,
                                              memory_order_relaxed)) {
      *item_out = (size_t)(step * s->per_step + item);
      return true;
    }
  }
}

static void claim_items(void* ctx, size_t begin, size_t end, int worker) {
  (void)begin;
  (void)end;
  step_items* s = ctx;
  size_t item;
  while (claim_item(s, worker != 0, &item)) {
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
  if (!split || threads < 2 || per_step < 2 || per_step > FIELD_MASK ||
      steps >= UINT64_C(1) << STEP_BITS) {
    for (size_t item = 0; item < steps * per_step; item++) fn(ctx, item);
    return;
  }
  step_items s = {.fn = fn, .ctx = ctx, .steps = steps, .per_step = per_step};
  atomic_init(&s.claim, pack_claim(0, 0, per_step));
  atomic_init(&s.done, 0);
  ep_threadpool_parallel_for(pool, (size_t)threads, 1, claim_items, &s);
}

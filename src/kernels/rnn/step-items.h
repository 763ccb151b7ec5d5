/* A recurrence's work as items in step order, over a thread pool (internal): the LSTM and GRU
 * cells of one step are independent, each step needs the whole previous one. */
#ifndef EDGEPROF_KERNELS_RNN_STEP_ITEMS_H
#define EDGEPROF_KERNELS_RNN_STEP_ITEMS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/threadpool.h"

/* Runs fn(ctx, item) for item in [0, steps * per_step), item / per_step being its step. Split,
 * the pool's threads enter once and claim items one at a time, step by step: the calling thread
 * from the front of the step, the other workers from the back, so that at two threads each core
 * keeps taking the same blocks and their recurrent weights stay in its own L2 (a shared counter
 * in item order handed each core different blocks from step to step). An item waits until every
 * item of the steps before it is done (a done counter: items of step s cannot complete before it
 * reaches s's first item, so that count is reached by earlier steps' items alone). No wait is on
 * an item nobody has claimed, so a worker that never arrives costs nothing and one thread alone
 * runs them all. Not split (a NULL or one-thread pool, split false, or over 2^21 - 1 items a
 * step), the calling thread runs them in order. */
void ep_run_step_items(ep_threadpool* pool, bool split, size_t steps, size_t per_step,
                       void (*fn)(void* ctx, size_t item), void* ctx);

/* Below this much work per step (at one thread) the threads' wait for each other at every step
 * (~0.2-0.5 us: the last item's cache lines move to the other core) eats what the split saves. A
 * step's recurrent weights stream from L2 at ~25 multiply-adds per ns on a Zen 4 core. */
enum { EP_STEP_SPLIT_MIN_NS = 2000, EP_STEP_MACS_PER_NS = 25 };

#endif /* EDGEPROF_KERNELS_RNN_STEP_ITEMS_H */

/* Channel scale: y[n, c, p] = act(x[n, c, p] * s[n, c]), squeeze-and-excitation's last step
 * (Mul of [N, C, H, W] by [N, C, 1, 1]), on NCHW or on NCHW8c without leaving it. Each item is
 * one channel plane (NCHW) or one block of 8 channel planes (NCHW8c, whose 8 scales are one
 * [N, C] row's 8 floats: an [N, C, 1, 1] tensor is the same memory in either layout). The ISA
 * level's vector loop (ep_vmath scale) does the multiply: the portable loop below stays scalar
 * on NCHW8c (GCC does not vectorize its 8-lane pattern), and MobileNetV3-Large's eight SE scales
 * took 0.17 ms of its 5.5 ms at one thread that way. */
#include "kernels/kernels.h"
#include "kernels/tensor_ops.h"
#include "kernels/vmath/vmath.h"

enum { BLOCK = 8, MIN_WORK = 4096 /* floats per claimed chunk of items */ };

typedef struct scale_job {
  const float* x;
  const float* s;
  float* y;
  size_t hw;
  bool blocked;
  ep_activation act;
} scale_job;

static void scale_items(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const scale_job* j = ctx;
  const size_t lanes = j->blocked ? BLOCK : 1, len = j->hw * lanes;
  const ep_vmath* vm = ep_vmath_get();
  for (size_t item = begin; item < end; item++) {
    const float* x = j->x + item * len;
    const float* s = j->s + item * lanes;
    float* y = j->y + item * len;
    if (vm != NULL) {
      vm->scale(len, x, s, lanes, y);
    } else if (j->blocked) {
      float sc[BLOCK];
      for (int c = 0; c < BLOCK; c++) sc[c] = s[c];
      for (size_t p = 0; p < j->hw; p++) {
        for (int c = 0; c < BLOCK; c++) y[p * BLOCK + c] = x[p * BLOCK + c] * sc[c];
      }
    } else {
      const float v = s[0];
      for (size_t p = 0; p < j->hw; p++) y[p] = x[p] * v;
    }
    if (j->act != EP_ACT_NONE) ep_activation_apply(j->act, y, len);
  }
}

void ep_channel_scale_run(size_t n, size_t c, size_t hw, bool blocked, const float* x,
                          const float* s, ep_activation act, float* y, ep_threadpool* pool) {
  scale_job job = {x, s, y, hw, blocked, act};
  const size_t items = n * (blocked ? c / BLOCK : c);
  const size_t per_item = hw * (blocked ? BLOCK : 1);
  const size_t grain = per_item >= MIN_WORK ? 1 : MIN_WORK / (per_item ? per_item : 1);
  ep_threadpool_parallel_for(pool, items, grain, scale_items, &job);
}

/* Binary ops with numpy broadcasting. The broadcast is reduced to as few dims as possible (size-1
 * output dims dropped, neighbours merged where both operands are contiguous or both broadcast
 * across them), so that the innermost dim is one long run in which each operand either advances
 * (stride 1) or stays (stride 0). The outer dims are split over the pool. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/tensor_ops.h"

void ep_broadcast_desc_init(ep_broadcast_desc* d, const ep_shape* a, const ep_shape* b) {
  const int rank = a->rank > b->rank ? a->rank : b->rank;
  int64_t da[EP_MAX_RANK], db[EP_MAX_RANK], sa[EP_MAX_RANK], sb[EP_MAX_RANK];
  int64_t stride_a = 1, stride_b = 1;
  for (int i = rank - 1; i >= 0; i--) {
    const int ia = a->rank - rank + i, ib = b->rank - rank + i;
    da[i] = ia >= 0 ? a->dims[ia] : 1;
    db[i] = ib >= 0 ? b->dims[ib] : 1;
    sa[i] = da[i] == 1 ? 0 : stride_a;
    sb[i] = db[i] == 1 ? 0 : stride_b;
    stride_a *= da[i];
    stride_b *= db[i];
  }
  memset(d, 0, sizeof *d);
  for (int i = 0; i < rank; i++) {
    const int64_t dim = da[i] > db[i] ? da[i] : db[i];
    if (dim == 1) continue;
    const int last = d->rank - 1;
    if (last >= 0 && d->a_stride[last] == sa[i] * dim && d->b_stride[last] == sb[i] * dim) {
      d->dims[last] *= dim; /* the previous dim continues this one for both operands */
      d->a_stride[last] = sa[i];
      d->b_stride[last] = sb[i];
      continue;
    }
    d->dims[d->rank] = dim;
    d->a_stride[d->rank] = sa[i];
    d->b_stride[d->rank] = sb[i];
    d->rank++;
  }
  if (d->rank == 0) { /* every dim is 1: one element */
    d->rank = 1;
    d->dims[0] = 1;
  }
}

/* One run of n outputs; sa and sb are 0 or 1. Written per case so that compilers vectorize. */
#define BINARY_RUN(name, expr)                                                                 \
  static void name(size_t n, const float* a, size_t sa, const float* b, size_t sb, float* y) { \
    if (sa == 1 && sb == 1) {                                                                  \
      for (size_t i = 0; i < n; i++) {                                                         \
        const float va = a[i], vb = b[i];                                                      \
        y[i] = expr;                                                                           \
      }                                                                                        \
    } else if (sa == 1) {                                                                      \
      const float vb = b[0];                                                                   \
      for (size_t i = 0; i < n; i++) {                                                         \
        const float va = a[i];                                                                 \
        y[i] = expr;                                                                           \
      }                                                                                        \
    } else if (sb == 1) {                                                                      \
      const float va = a[0];                                                                   \
      for (size_t i = 0; i < n; i++) {                                                         \
        const float vb = b[i];                                                                 \
        y[i] = expr;                                                                           \
      }                                                                                        \
    } else {                                                                                   \
      const float va = a[0], vb = b[0];                                                        \
      const float v = expr;                                                                    \
      for (size_t i = 0; i < n; i++) y[i] = v;                                                 \
    }                                                                                          \
  }

BINARY_RUN(run_add, va + vb)
BINARY_RUN(run_sub, va - vb)
BINARY_RUN(run_mul, va* vb)
BINARY_RUN(run_div, va / vb)
BINARY_RUN(run_pow, powf(va, vb))
BINARY_RUN(run_min, va != va || va < vb ? va : vb)
BINARY_RUN(run_max, va != va || va > vb ? va : vb)
BINARY_RUN(run_first, ((void)vb, va))

typedef void (*run_fn)(size_t n, const float* a, size_t sa, const float* b, size_t sb, float* y);

typedef struct binary_job {
  run_fn fn;
  const ep_broadcast_desc* d;
  const float* a;
  const float* b;
  ep_activation act;
  float* y;
  size_t inner; /* outputs per row */
  size_t chunk; /* rank 1: outputs per item */
} binary_job;

static void binary_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const binary_job* j = ctx;
  const ep_broadcast_desc* d = j->d;
  const int last = d->rank - 1;
  const size_t sa = (size_t)d->a_stride[last], sb = (size_t)d->b_stride[last];
  for (size_t row = begin; row < end; row++) {
    size_t rest = row, oa = 0, ob = 0;
    for (int i = last - 1; i >= 0; i--) {
      const size_t coord = rest % (size_t)d->dims[i];
      rest /= (size_t)d->dims[i];
      oa += coord * (size_t)d->a_stride[i];
      ob += coord * (size_t)d->b_stride[i];
    }
    float* y = j->y + row * j->inner;
    j->fn(j->inner, j->a + oa, sa, j->b + ob, sb, y);
    if (j->act != EP_ACT_NONE) ep_activation_apply(j->act, y, j->inner);
  }
}

static void binary_chunks(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const binary_job* j = ctx;
  const size_t sa = (size_t)j->d->a_stride[0], sb = (size_t)j->d->b_stride[0];
  for (size_t c = begin; c < end; c++) {
    const size_t first = c * j->chunk;
    const size_t n = first + j->chunk <= j->inner ? j->chunk : j->inner - first;
    float* y = j->y + first;
    j->fn(n, j->a + first * sa, sa, j->b + first * sb, sb, y);
    if (j->act != EP_ACT_NONE) ep_activation_apply(j->act, y, n);
  }
}

enum { MIN_WORK = 8192 }; /* outputs per claimed item, so that claiming one costs little */

void ep_binary_run(ep_binary_op op, const ep_broadcast_desc* d, const float* a, const float* b,
                   ep_activation act, float* y, ep_threadpool* pool) {
  static const run_fn fns[] = {
      [EP_BINARY_ADD] = run_add,
      [EP_BINARY_SUB] = run_sub,
      [EP_BINARY_MUL] = run_mul,
      [EP_BINARY_DIV] = run_div,
      [EP_BINARY_POW] = run_pow,
      [EP_BINARY_MIN] = run_min,
      [EP_BINARY_MAX] = run_max,
      [EP_BINARY_FIRST] = run_first,
  };
  binary_job job = {fns[op], d, a, b, act, y, (size_t)d->dims[d->rank - 1], MIN_WORK};
  if (d->rank == 1) {
    ep_threadpool_parallel_for(pool, (job.inner + job.chunk - 1) / job.chunk, 1, binary_chunks,
                               &job);
    return;
  }
  size_t rows = 1;
  for (int i = 0; i < d->rank - 1; i++) rows *= (size_t)d->dims[i];
  const size_t grain = job.inner >= MIN_WORK ? 1 : MIN_WORK / job.inner;
  ep_threadpool_parallel_for(pool, rows, grain, binary_rows, &job);
}

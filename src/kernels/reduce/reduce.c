/* Reductions: the merged description, the row and column fast paths over the ISA's ukernels
 * (scalar loops where the level has none), the generic loop, and the threading of all three. */
#include "kernels/reduce/reduce.h"

#include <math.h>
#include <string.h>

#include "kernels/config/kernel-config.h"

bool ep_reduce_kind_of(ep_op op, ep_reduce_kind* kind_out) {
  static const struct {
    ep_op op;
    ep_reduce_kind kind;
  } map[] = {
      {EP_OP_REDUCE_SUM, EP_REDUCE_SUM},       {EP_OP_REDUCE_MEAN, EP_REDUCE_MEAN},
      {EP_OP_REDUCE_MAX, EP_REDUCE_MAX},       {EP_OP_REDUCE_MIN, EP_REDUCE_MIN},
      {EP_OP_REDUCE_PROD, EP_REDUCE_PROD},     {EP_OP_REDUCE_L1, EP_REDUCE_L1},
      {EP_OP_REDUCE_L2, EP_REDUCE_L2},         {EP_OP_REDUCE_SUM_SQUARE, EP_REDUCE_SUM_SQUARE},
      {EP_OP_REDUCE_LOG_SUM, EP_REDUCE_LOG_SUM}, {EP_OP_REDUCE_LOG_SUM_EXP, EP_REDUCE_LOG_SUM_EXP},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    if (map[i].op == op) {
      *kind_out = map[i].kind;
      return true;
    }
  }
  return false;
}

void ep_reduce_desc_init(ep_reduce_desc* d, ep_reduce_kind kind, const ep_shape* x,
                         unsigned axes) {
  memset(d, 0, sizeof *d);
  d->kind = kind;
  d->count = 1;
  if (axes == 0) axes = x->rank > 0 ? (1u << x->rank) - 1 : 0;
  for (int i = 0; i < x->rank; i++) {
    const bool red = (axes >> i) & 1u;
    if (red) d->count *= x->dims[i];
    if (x->dims[i] == 1) continue;
    if (d->rank > 0 && d->reduced[d->rank - 1] == red) {
      d->dims[d->rank - 1] *= x->dims[i];
    } else {
      d->dims[d->rank] = x->dims[i];
      d->reduced[d->rank++] = red;
    }
  }
}

static ep_reduce_acc acc_of(ep_reduce_kind kind) {
  switch (kind) {
    case EP_REDUCE_MAX: return EP_ACC_MAX;
    case EP_REDUCE_MIN: return EP_ACC_MIN;
    case EP_REDUCE_PROD: return EP_ACC_PROD;
    case EP_REDUCE_L1: return EP_ACC_SUM_ABS;
    case EP_REDUCE_L2:
    case EP_REDUCE_SUM_SQUARE: return EP_ACC_SUM_SQUARE;
    default: return EP_ACC_SUM;
  }
}

/* The output from the accumulation of `count` elements. */
static float finish(ep_reduce_kind kind, float acc, int64_t count) {
  switch (kind) {
    case EP_REDUCE_MEAN: return acc / (float)count;
    case EP_REDUCE_L2: return sqrtf(acc);
    case EP_REDUCE_LOG_SUM: return logf(acc);
    default: return acc;
  }
}

/* --- scalar ukernels ---------------------------------------------------------------------- */

static float step1(ep_reduce_acc acc, float a, float x) {
  switch (acc) {
    case EP_ACC_SUM: return a + x;
    case EP_ACC_SUM_ABS: return a + fabsf(x);
    case EP_ACC_SUM_SQUARE: return a + x * x;
    case EP_ACC_MAX: return x > a ? x : a;
    case EP_ACC_MIN: return x < a ? x : a;
    case EP_ACC_PROD: return a * x;
  }
  return a;
}

static float init1(ep_reduce_acc acc) {
  return acc == EP_ACC_MAX ? -INFINITY : acc == EP_ACC_MIN ? INFINITY : acc == EP_ACC_PROD ? 1.0f : 0.0f;
}

static float row_scalar(ep_reduce_acc acc, size_t n, const float* x) {
  float r = init1(acc);
  for (size_t i = 0; i < n; i++) r = step1(acc, r, x[i]);
  return r;
}

static void cols_scalar(ep_reduce_acc acc, size_t n, size_t m, size_t stride, const float* x,
                        float* y) {
  for (size_t j = 0; j < m; j++) y[j] = init1(acc);
  for (size_t i = 0; i < n; i++) {
    for (size_t j = 0; j < m; j++) y[j] = step1(acc, y[j], x[i * stride + j]);
  }
}

static const ep_reduce_ukernels* ukernels(void) {
  static const ep_reduce_ukernels scalar = {row_scalar, cols_scalar, NULL};
  const ep_reduce_ukernels* u = ep_kernel_config_get()->reduce;
  return u != NULL ? u : &scalar;
}

/* --- paths -------------------------------------------------------------------------------- */

enum { COL_TILE = 256 };

typedef struct reduce_job {
  const ep_reduce_desc* d;
  const ep_reduce_ukernels* u;
  size_t outer, n, inner, tiles; /* fast paths: x as [outer, n, inner] */
  const float* x;
  float* y;
} reduce_job;

static float log_sum_exp(size_t n, size_t stride, const float* x) {
  float max = -INFINITY;
  for (size_t i = 0; i < n; i++) max = x[i * stride] > max ? x[i * stride] : max;
  if (isinf(max)) return max;
  double sum = 0.0;
  for (size_t i = 0; i < n; i++) sum += exp((double)(x[i * stride] - max));
  return max + (float)log(sum);
}

static void rows_task(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const reduce_job* j = ctx;
  const ep_reduce_kind kind = j->d->kind;
  const ep_reduce_acc acc = acc_of(kind);
  for (size_t r = begin; r < end; r++) {
    const float* x = j->x + r * j->n;
    j->y[r] = kind == EP_REDUCE_LOG_SUM_EXP ? log_sum_exp(j->n, 1, x)
                                            : finish(kind, j->u->row(acc, j->n, x), j->d->count);
  }
}

static void cols_task(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const reduce_job* j = ctx;
  const ep_reduce_kind kind = j->d->kind;
  for (size_t item = begin; item < end; item++) {
    const size_t o = item / j->tiles, c0 = (item % j->tiles) * COL_TILE;
    const size_t m = j->inner - c0 < COL_TILE ? j->inner - c0 : COL_TILE;
    const float* x = j->x + o * j->n * j->inner + c0;
    float* y = j->y + o * j->inner + c0;
    if (kind == EP_REDUCE_LOG_SUM_EXP) {
      for (size_t c = 0; c < m; c++) y[c] = log_sum_exp(j->n, j->inner, x + c);
      continue;
    }
    j->u->cols(acc_of(kind), j->n, m, j->inner, x, y);
    if (kind == EP_REDUCE_MEAN || kind == EP_REDUCE_L2 || kind == EP_REDUCE_LOG_SUM) {
      for (size_t c = 0; c < m; c++) y[c] = finish(kind, y[c], j->d->count);
    }
  }
}

/* Any other pattern: each output walks its reduced elements with an odometer. */
static float reduce_one(const ep_reduce_desc* d, const float* x, size_t out_index) {
  int64_t stride[EP_MAX_RANK], coord[EP_MAX_RANK];
  size_t base = 0, s = 1, rest = out_index;
  for (int i = d->rank - 1; i >= 0; i--) {
    stride[i] = (int64_t)s;
    s *= (size_t)d->dims[i];
  }
  for (int i = d->rank - 1; i >= 0; i--) {
    coord[i] = 0;
    if (d->reduced[i]) continue;
    base += (rest % (size_t)d->dims[i]) * (size_t)stride[i];
    rest /= (size_t)d->dims[i];
  }
  const ep_reduce_acc acc = acc_of(d->kind);
  double max = -INFINITY;
  if (d->kind == EP_REDUCE_LOG_SUM_EXP) {
    for (int64_t k = 0; k < d->count; k++) {
      size_t off = base;
      for (int i = 0; i < d->rank; i++) off += (size_t)(coord[i] * stride[i]);
      max = fmax(max, x[off]);
      for (int i = d->rank - 1; i >= 0; i--) {
        if (!d->reduced[i]) continue;
        if (++coord[i] < d->dims[i]) break;
        coord[i] = 0;
      }
    }
    if (isinf(max)) return (float)max;
  }
  float r = init1(acc);
  double sum = 0.0;
  for (int64_t k = 0; k < d->count; k++) {
    size_t off = base;
    for (int i = 0; i < d->rank; i++) off += (size_t)(coord[i] * stride[i]);
    if (d->kind == EP_REDUCE_LOG_SUM_EXP) {
      sum += exp(x[off] - max);
    } else {
      r = step1(acc, r, x[off]);
    }
    for (int i = d->rank - 1; i >= 0; i--) {
      if (!d->reduced[i]) continue;
      if (++coord[i] < d->dims[i]) break;
      coord[i] = 0;
    }
  }
  if (d->kind == EP_REDUCE_LOG_SUM_EXP) return (float)(max + log(sum));
  return finish(d->kind, r, d->count);
}

static void generic_task(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const reduce_job* j = ctx;
  for (size_t o = begin; o < end; o++) j->y[o] = reduce_one(j->d, j->x, o);
}

void ep_reduce_run(const ep_reduce_desc* d, const float* x, float* y, ep_threadpool* pool) {
  reduce_job job = {d, ukernels(), 1, 1, 1, 1, x, y};
  /* Which dims are reduced: a single run of them (or none) is a fast path. */
  int first = -1, last = -1, runs = 0;
  for (int i = 0; i < d->rank; i++) {
    if (!d->reduced[i]) continue;
    if (first < 0 || last != i - 1) runs++;
    if (first < 0) first = i;
    last = i;
  }
  size_t outputs = 1;
  for (int i = 0; i < d->rank; i++) {
    if (!d->reduced[i]) outputs *= (size_t)d->dims[i];
  }
  if (runs > 1) {
    const size_t grain = (size_t)d->count >= 4096 ? 1 : 4096 / (size_t)d->count;
    ep_threadpool_parallel_for(pool, outputs, grain, generic_task, &job);
    return;
  }
  for (int i = 0; i < d->rank; i++) {
    size_t* part = first < 0 || i < first ? &job.outer : i <= last ? &job.n : &job.inner;
    *part *= (size_t)d->dims[i];
  }
  if (job.inner == 1) {
    const size_t grain = job.n >= 4096 ? 1 : 4096 / job.n;
    ep_threadpool_parallel_for(pool, job.outer, grain, rows_task, &job);
    return;
  }
  job.tiles = (job.inner + COL_TILE - 1) / COL_TILE;
  const size_t per_item = job.n * (job.inner < COL_TILE ? job.inner : COL_TILE);
  const size_t grain = per_item >= 4096 ? 1 : 4096 / per_item;
  ep_threadpool_parallel_for(pool, job.outer * job.tiles, grain, cols_task, &job);
}

/* The int64 and bool ops: plain loops over elements of any size (see index_ops.h). */
#include "kernels/index/index_ops.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

void ep_index_map_init(ep_index_map* m, const ep_shape* out, const ep_shape* const* in, int n_in) {
  memset(m, 0, sizeof *m);
  m->rank = out->rank;
  for (int d = 0; d < out->rank; d++) m->dims[d] = out->dims[d];
  for (int k = 0; k < n_in; k++) {
    const ep_shape* s = in[k];
    int64_t acc = 1;
    for (int d = s->rank - 1; d >= 0; d--) {
      int od = d + out->rank - s->rank;
      m->stride[k][od] = s->dims[d] == 1 ? 0 : acc;
      acc *= s->dims[d];
    }
  }
}

static int64_t numel_of(const ep_index_map* m) {
  int64_t n = 1;
  for (int d = 0; d < m->rank; d++) n *= m->dims[d];
  return n;
}

/* Walks the output in order, keeping each input's offset: off[k] for element i. */
typedef struct cursor {
  int64_t idx[EP_MAX_RANK];
  int64_t off[3];
} cursor;

static void cursor_seek(const ep_index_map* m, cursor* c, int64_t i) {
  memset(c, 0, sizeof *c);
  for (int d = m->rank - 1; d >= 0; d--) {
    c->idx[d] = i % m->dims[d];
    i /= m->dims[d];
    for (int k = 0; k < 3; k++) c->off[k] += c->idx[d] * m->stride[k][d];
  }
}

static void cursor_next(const ep_index_map* m, cursor* c) {
  for (int d = m->rank - 1; d >= 0; d--) {
    for (int k = 0; k < 3; k++) c->off[k] += m->stride[k][d];
    if (++c->idx[d] < m->dims[d]) return;
    for (int k = 0; k < 3; k++) c->off[k] -= m->stride[k][d] * m->dims[d];
    c->idx[d] = 0;
  }
}

/* --- gather ---------------------------------------------------------------------------------- */

typedef struct gather_job {
  size_t esize;
  int64_t dim, inner, n_idx;
  const int64_t* idx;
  const uint8_t* x;
  uint8_t* y;
} gather_job;

/* One task per (outer, index) row. */
static void gather_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const gather_job* j = ctx;
  size_t row_bytes = (size_t)j->inner * j->esize;
  for (size_t r = begin; r < end; r++) {
    int64_t o = (int64_t)r / j->n_idx, k = (int64_t)r % j->n_idx;
    int64_t v = j->idx[k];
    if (v < 0) v += j->dim;
    uint8_t* dst = j->y + r * row_bytes;
    if (v < 0 || v >= j->dim) {
      memset(dst, 0, row_bytes);
    } else {
      memcpy(dst, j->x + (size_t)(o * j->dim + v) * row_bytes, row_bytes);
    }
  }
}

void ep_gather_run(size_t esize, int64_t outer, int64_t dim, int64_t inner, const int64_t* idx,
                   int64_t n_idx, const void* x, void* y, ep_threadpool* pool) {
  gather_job j = {esize, dim, inner, n_idx, idx, x, y};
  size_t rows = (size_t)(outer * n_idx);
  /* Rows of an embedding table are 1-4 KiB: 16 per task keeps the pool's overhead small. */
  ep_threadpool_parallel_for(pool, rows, 16, gather_rows, &j);
}

/* --- cast ------------------------------------------------------------------------------------ */

static int64_t float_to_i64(float v) {
  /* C leaves NaN and out-of-range conversions undefined; x86's cvttss2si gives INT64_MIN. */
  if (!(v >= -9.2233720368547758e18f && v < 9.2233720368547758e18f)) return INT64_MIN;
  return (int64_t)v;
}

void ep_cast_run(ep_dtype from, ep_dtype to, int64_t n, const void* x, void* y) {
  const float* xf = x;
  const int64_t* xi = x;
  const uint8_t* xb = x;
  if (from == to) {
    memcpy(y, x, (size_t)n * ep_dtype_size(from));
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    double v = from == EP_DTYPE_FLOAT32 ? xf[i] : from == EP_DTYPE_INT64 ? (double)xi[i] : xb[i];
    switch (to) {
      case EP_DTYPE_FLOAT32:
        ((float*)y)[i] = from == EP_DTYPE_INT64 ? (float)xi[i] : (float)v;
        break;
      case EP_DTYPE_INT64:
        ((int64_t*)y)[i] = from == EP_DTYPE_FLOAT32 ? float_to_i64(xf[i]) : (int64_t)xb[i];
        break;
      case EP_DTYPE_BOOL:
        ((uint8_t*)y)[i] = from == EP_DTYPE_INT64 ? xi[i] != 0 : v != 0.0;
        break;
    }
  }
}

/* --- comparisons and logic ------------------------------------------------------------------ */

#define COMPARE_LOOP(T)                                                               \
  do {                                                                                \
    const T* pa = a;                                                                  \
    const T* pb = b;                                                                  \
    for (int64_t i = 0; i < n; i++, cursor_next(m, &c)) {                             \
      T u = pa[c.off[0]], v = pb[c.off[1]];                                           \
      bool r;                                                                         \
      switch (op) {                                                                   \
        case EP_COMPARE_EQUAL: r = u == v; break;                                     \
        case EP_COMPARE_LESS: r = u < v; break;                                       \
        case EP_COMPARE_GREATER: r = u > v; break;                                    \
        case EP_COMPARE_LESS_OR_EQUAL: r = u <= v; break;                             \
        default: r = u >= v; break;                                                   \
      }                                                                               \
      y[i] = r;                                                                       \
    }                                                                                 \
  } while (0)

void ep_compare_run(ep_compare_op op, ep_dtype dtype, const ep_index_map* m, const void* a,
                    const void* b, uint8_t* y) {
  int64_t n = numel_of(m);
  cursor c;
  cursor_seek(m, &c, 0);
  switch (dtype) {
    case EP_DTYPE_FLOAT32: COMPARE_LOOP(float); break;
    case EP_DTYPE_INT64: COMPARE_LOOP(int64_t); break;
    case EP_DTYPE_BOOL: COMPARE_LOOP(uint8_t); break;
  }
}

void ep_logic_run(ep_logic_op op, const ep_index_map* m, const uint8_t* a, const uint8_t* b,
                  uint8_t* y) {
  int64_t n = numel_of(m);
  cursor c;
  cursor_seek(m, &c, 0);
  for (int64_t i = 0; i < n; i++, cursor_next(m, &c)) {
    uint8_t u = a[c.off[0]], v = b[c.off[1]];
    y[i] = op == EP_LOGIC_AND ? (u & v) : op == EP_LOGIC_OR ? (u | v) : (u ^ v);
  }
}

void ep_not_run(int64_t n, const uint8_t* x, uint8_t* y) {
  for (int64_t i = 0; i < n; i++) y[i] = !x[i];
}

/* --- where and expand: strided copies split over the pool ------------------------------------ */

typedef struct select_job {
  size_t esize;
  const ep_index_map* m;
  const uint8_t* cond; /* NULL: expand (copy input 0) */
  const uint8_t* x;
  const uint8_t* y;
  uint8_t* out;
} select_job;

static void select_range(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const select_job* j = ctx;
  cursor c;
  cursor_seek(j->m, &c, (int64_t)begin);
  size_t es = j->esize;
  for (size_t i = begin; i < end; i++, cursor_next(j->m, &c)) {
    const uint8_t* src;
    if (j->cond == NULL) {
      src = j->x + (size_t)c.off[0] * es;
    } else {
      src = j->cond[c.off[0]] ? j->x + (size_t)c.off[1] * es : j->y + (size_t)c.off[2] * es;
    }
    memcpy(j->out + i * es, src, es);
  }
}

void ep_where_run(size_t esize, const ep_index_map* m, const uint8_t* cond, const void* x,
                  const void* y, void* out, ep_threadpool* pool) {
  select_job j = {esize, m, cond, x, y, out};
  ep_threadpool_parallel_for(pool, (size_t)numel_of(m), 4096, select_range, &j);
}

/* Expand by rows of the last dim: each a copy (x contiguous along it), a fill (broadcast along
 * it) or a strided gather. Element by element, Swin V2's 24 Expands (F.normalize's norm, [..., 1]
 * -> [..., 32]) took 14% of swin_v2_t's time at one thread (83 of 592 ms). */
typedef struct expand_job {
  size_t esize, inner;
  const ep_index_map* m;
  const uint8_t* x;
  uint8_t* y;
} expand_job;

/* The row's n elements of `esize` bytes, all equal to *src. */
static void fill_row(size_t esize, size_t n, const uint8_t* src, uint8_t* dst) {
  if (esize == 4) {
    uint32_t v;
    memcpy(&v, src, 4);
    for (size_t i = 0; i < n; i++) memcpy(dst + 4 * i, &v, 4);
  } else if (esize == 8) {
    uint64_t v;
    memcpy(&v, src, 8);
    for (size_t i = 0; i < n; i++) memcpy(dst + 8 * i, &v, 8);
  } else if (esize == 1) {
    memset(dst, *src, n);
  } else {
    for (size_t i = 0; i < n; i++) memcpy(dst + esize * i, src, esize);
  }
}

static void expand_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const expand_job* j = ctx;
  const ep_index_map* m = j->m;
  const int last = m->rank - 1;
  const size_t es = j->esize, inner = j->inner;
  const int64_t stride = m->stride[0][last];
  cursor c;
  cursor_seek(m, &c, (int64_t)(begin * inner));
  for (size_t row = begin; row < end; row++) {
    const uint8_t* src = j->x + (size_t)c.off[0] * es;
    uint8_t* dst = j->y + row * inner * es;
    if (stride == 1) {
      memcpy(dst, src, inner * es);
    } else if (stride == 0) {
      fill_row(es, inner, src, dst);
    } else {
      for (size_t i = 0; i < inner; i++) memcpy(dst + i * es, src + i * (size_t)stride * es, es);
    }
    /* The next row: the cursor steps over dims [0, last), idx[last] staying 0. */
    for (int d = last - 1; d >= 0; d--) {
      c.off[0] += m->stride[0][d];
      if (++c.idx[d] < m->dims[d]) break;
      c.off[0] -= m->stride[0][d] * m->dims[d];
      c.idx[d] = 0;
    }
  }
}

void ep_expand_run(size_t esize, const ep_index_map* m, const void* x, void* y,
                   ep_threadpool* pool) {
  const size_t n = (size_t)numel_of(m);
  if (m->rank == 0 || n == 0) {
    select_job j = {esize, m, NULL, x, NULL, y};
    ep_threadpool_parallel_for(pool, n, 4096, select_range, &j);
    return;
  }
  expand_job j = {esize, (size_t)m->dims[m->rank - 1], m, x, y};
  const size_t rows = n / j.inner;
  /* About 4096 elements per task, as Where's. */
  const size_t grain = j.inner >= 4096 ? 1 : 4096 / j.inner;
  ep_threadpool_parallel_for(pool, rows, grain, expand_rows, &j);
}

/* --- slice, fill, range ---------------------------------------------------------------------- */

/* Copies runs, not elements: the trailing dims that the slice takes whole (start 0, step 1, all
 * of them) and the step-1 dim before them make one contiguous run of the input per output run.
 * A channel slice at batch 1 (ShuffleNet's split) is a single memcpy; element by element it
 * cost ShuffleNet v2 x1.0 43% of its time (12.4 of 28.4 ms, 26 Slices). */
void ep_slice_run(size_t esize, const ep_shape* in, const ep_shape* out, const int64_t* starts,
                  const int64_t* steps, const void* x, void* y) {
  ep_index_map m;
  memset(&m, 0, sizeof m);
  int64_t base = 0, acc = 1, run = 1;
  int d = in->rank - 1;
  bool whole = true; /* dims d+1.. are taken whole */
  for (; d >= 0; d--) {
    base += starts[d] * acc;
    if (!whole || steps[d] != 1) break;
    run *= out->dims[d];
    whole = out->dims[d] == in->dims[d]; /* starts[d] is then 0 */
    acc *= in->dims[d];
  }
  /* Dims [0, d] are walked run by run; d is the first one not part of the run. */
  m.rank = d + 1;
  for (int k = d; k >= 0; k--) {
    if (k < d) base += starts[k] * acc;
    m.dims[k] = out->dims[k];
    m.stride[0][k] = steps[k] * acc;
    acc *= in->dims[k];
  }
  const uint8_t* src = (const uint8_t*)x;
  uint8_t* dst = y;
  const size_t run_bytes = (size_t)run * esize;
  int64_t n = numel_of(&m);
  if (run == 0 || n == 0) return;
  cursor c;
  cursor_seek(&m, &c, 0);
  for (int64_t i = 0; i < n; i++, cursor_next(&m, &c)) {
    memcpy(dst + (size_t)i * run_bytes, src + (size_t)(base + c.off[0]) * esize, run_bytes);
  }
}

void ep_fill_run(size_t esize, int64_t n, const void* value, void* y) {
  uint8_t* dst = y;
  for (int64_t i = 0; i < n; i++) memcpy(dst + (size_t)i * esize, value, esize);
}

void ep_range_run(ep_dtype dtype, int64_t n, const void* start, const void* delta, void* y) {
  if (dtype == EP_DTYPE_INT64) {
    int64_t s = *(const int64_t*)start, d = *(const int64_t*)delta;
    for (int64_t i = 0; i < n; i++) ((int64_t*)y)[i] = (int64_t)((uint64_t)s + (uint64_t)i * (uint64_t)d);
    return;
  }
  /* ONNX Range accumulates: y[i] = y[i-1] + delta, in float. */
  float v = *(const float*)start, d = *(const float*)delta;
  for (int64_t i = 0; i < n; i++, v += d) ((float*)y)[i] = v;
}

/* --- int64 arithmetic and concat ------------------------------------------------------------- */

void ep_i64_binary_run(ep_i64_op op, const ep_index_map* m, const int64_t* a, const int64_t* b,
                       int64_t* y) {
  int64_t n = numel_of(m);
  cursor c;
  cursor_seek(m, &c, 0);
  for (int64_t i = 0; i < n; i++, cursor_next(m, &c)) {
    uint64_t u = (uint64_t)a[c.off[0]], v = (uint64_t)b[c.off[1]];
    switch (op) {
      case EP_I64_ADD: y[i] = (int64_t)(u + v); break;
      case EP_I64_SUB: y[i] = (int64_t)(u - v); break;
      case EP_I64_MUL: y[i] = (int64_t)(u * v); break;
      default: {
        int64_t p = (int64_t)u, q = (int64_t)v;
        y[i] = q == 0 ? 0 : (p == INT64_MIN && q == -1) ? INT64_MIN : p / q;
        break;
      }
    }
  }
}

void ep_concat_bytes_run(size_t esize, size_t outer, int n_inputs, const void* const* x,
                         const size_t* inner, void* y) {
  uint8_t* dst = y;
  for (size_t o = 0; o < outer; o++) {
    for (int k = 0; k < n_inputs; k++) {
      size_t bytes = inner[k] * esize;
      memcpy(dst, (const uint8_t*)x[k] + o * bytes, bytes);
      dst += bytes;
    }
  }
}

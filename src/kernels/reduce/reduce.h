/* Reductions, LayerNormalization, Split and Tile (internal): the kernels behind the ONNX ops
 * Reduce*, LayerNormalization, Split and Tile.
 *
 * A reduction is described over x's dims with the reduced ones marked; ep_reduce_desc_init
 * merges neighbouring dims of one kind and drops dims of 1, so the hot patterns become one of
 * two fast paths: rows (the reduced dims are the last ones: a transformer's ReduceMean over the
 * channels, a global average pool written as ReduceMean over H and W) and columns (one run of
 * reduced dims between kept ones: [outer, n, inner]). Anything else takes a generic loop.
 *
 * The vector loops are the per-ISA ukernels of the kernel configuration (ep_reduce_ukernels);
 * as in kernels.h, every run function splits its work over the pool, never allocates and never
 * fails, and every family has a naive reference (ep_ref_*) for the tests. */
#ifndef EDGEPROF_KERNELS_REDUCE_REDUCE_H
#define EDGEPROF_KERNELS_REDUCE_REDUCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/graph.h"
#include "core/threadpool.h"

typedef enum ep_reduce_kind {
  EP_REDUCE_SUM,
  EP_REDUCE_MEAN,
  EP_REDUCE_MAX,
  EP_REDUCE_MIN,
  EP_REDUCE_PROD,
  EP_REDUCE_L1,
  EP_REDUCE_L2,
  EP_REDUCE_SUM_SQUARE,
  EP_REDUCE_LOG_SUM,
  EP_REDUCE_LOG_SUM_EXP,
} ep_reduce_kind;

/* The kind of a Reduce* op; false for other ops. */
bool ep_reduce_kind_of(ep_op op, ep_reduce_kind* kind_out);

/* What the ukernels accumulate: the sum of x, |x| or x^2, the max, the min or the product. */
typedef enum ep_reduce_acc {
  EP_ACC_SUM,
  EP_ACC_SUM_ABS,
  EP_ACC_SUM_SQUARE,
  EP_ACC_MAX,
  EP_ACC_MIN,
  EP_ACC_PROD,
} ep_reduce_acc;

/* One ISA level's loops (kernel configuration: NULL means the scalar loops in reduce.c). */
typedef struct ep_reduce_ukernels {
  /* The accumulation of x[0..n), n >= 1. */
  float (*row)(ep_reduce_acc acc, size_t n, const float* x);
  /* y[j] = the accumulation of x[i * stride + j] over i < n, for j < m (n, m >= 1). */
  void (*cols)(ep_reduce_acc acc, size_t n, size_t m, size_t stride, const float* x, float* y);
  /* One row of LayerNormalization: y = (x - mean) * inv_std * scale + bias over n values (bias
   * may be NULL); mean and inv_std = 1 / sqrt(var + epsilon) written when not NULL. */
  void (*layer_norm_row)(size_t n, const float* x, const float* scale, const float* bias,
                         float epsilon, float* y, float* mean, float* inv_std);
} ep_reduce_ukernels;

/* --- reductions --------------------------------------------------------------------------- */

typedef struct ep_reduce_desc {
  ep_reduce_kind kind;
  /* x's dims merged: neighbouring dims of one kind joined, dims of 1 dropped. */
  int rank;
  int64_t dims[EP_MAX_RANK];
  bool reduced[EP_MAX_RANK];
  int64_t count; /* elements reduced into each output */
} ep_reduce_desc;

/* axes: bit d set when dim d of x is reduced (0: every dim). */
void ep_reduce_desc_init(ep_reduce_desc* d, ep_reduce_kind kind, const ep_shape* x,
                         unsigned axes);
/* y holds the kept dims in x's order (keepdims changes nothing in memory). */
void ep_ref_reduce(const ep_reduce_desc* d, const float* x, float* y);
void ep_reduce_run(const ep_reduce_desc* d, const float* x, float* y, ep_threadpool* pool);

/* --- LayerNormalization over rows of n values ------------------------------------------ */

/* scale and bias hold n values (bias may be NULL); mean and inv_std (may be NULL) one per row. */
void ep_ref_layer_norm(size_t rows, size_t n, const float* x, const float* scale,
                       const float* bias, float epsilon, float* y, float* mean, float* inv_std);
void ep_layer_norm_run(size_t rows, size_t n, const float* x, const float* scale,
                       const float* bias, float epsilon, float* y, float* mean, float* inv_std,
                       ep_threadpool* pool);

/* --- Split and Tile --------------------------------------------------------------------- */

/* x viewed as [outer, sum of sizes, inner]: output k gets [outer, sizes[k], inner]. */
void ep_ref_split(size_t outer, size_t inner, int n_outputs, const int* sizes, const float* x,
                  float* const* y);
void ep_split_run(size_t outer, size_t inner, int n_outputs, const int* sizes, const float* x,
                  float* const* y, ep_threadpool* pool);

/* y dim d = x dim d * repeats[d]. */
void ep_ref_tile(const ep_shape* x_shape, const int* repeats, const float* x, float* y);
void ep_tile_run(const ep_shape* x_shape, const int* repeats, const float* x, float* y,
                 ep_threadpool* pool);

#endif /* EDGEPROF_KERNELS_REDUCE_REDUCE_H */

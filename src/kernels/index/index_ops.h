/* Kernels of the int64 and bool ops (and their float cases): Gather, Cast, comparisons, logic,
 * Where, Slice, Expand, ConstantOfShape, Range, int64 arithmetic and a Concat of any element size.
 *
 * These ops build token embeddings, masks and index tensors: they move few bytes beside the layers
 * around them, so each is one plain loop (split over the pool where a tensor can be large: Gather
 * of an embedding table, Where and Expand of attention-sized masks). Elements are addressed as
 * bytes of a given size, so one kernel serves float32, int64 and bool. Shapes and dtypes are
 * checked by the graph before they get here; nothing here allocates or fails. */
#ifndef EDGEPROF_KERNELS_INDEX_OPS_H
#define EDGEPROF_KERNELS_INDEX_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "core/threadpool.h"
#include "edgeprof/graph.h"

/* An output of `rank` dims read from up to three inputs: element (i0, ...) of y reads input k at
 * sum i_d * stride[k][d] (0 along a broadcast dim). rank may be 0 (one element). */
typedef struct ep_index_map {
  int rank;
  int64_t dims[EP_MAX_RANK];
  int64_t stride[3][EP_MAX_RANK];
} ep_index_map;

/* Numpy broadcasting of up to three input shapes onto `out` (which they must broadcast to). */
void ep_index_map_init(ep_index_map* m, const ep_shape* out, const ep_shape* const* in, int n_in);

/* y[o, j, i] = x[o, idx[j], i] for outer o, inner i (elements of `esize` bytes); a negative index
 * counts from the end of the axis (dim); one still out of range gives zeros. */
void ep_gather_run(size_t esize, int64_t outer, int64_t dim, int64_t inner, const int64_t* idx,
                   int64_t n_idx, const void* x, void* y, ep_threadpool* pool);

/* y = x converted (see EP_OP_CAST). */
void ep_cast_run(ep_dtype from, ep_dtype to, int64_t n, const void* x, void* y);

typedef enum ep_compare_op {
  EP_COMPARE_EQUAL,
  EP_COMPARE_LESS,
  EP_COMPARE_GREATER,
  EP_COMPARE_LESS_OR_EQUAL,
  EP_COMPARE_GREATER_OR_EQUAL,
} ep_compare_op;

/* y (bool) = a op b over m (inputs 0 and 1), a and b of `dtype`. */
void ep_compare_run(ep_compare_op op, ep_dtype dtype, const ep_index_map* m, const void* a,
                    const void* b, uint8_t* y);

typedef enum ep_logic_op { EP_LOGIC_AND, EP_LOGIC_OR, EP_LOGIC_XOR } ep_logic_op;

/* y = a op b over m, bools. */
void ep_logic_run(ep_logic_op op, const ep_index_map* m, const uint8_t* a, const uint8_t* b,
                  uint8_t* y);
/* y = !x over n bools. */
void ep_not_run(int64_t n, const uint8_t* x, uint8_t* y);

/* out = cond ? x : y over m (inputs cond, x, y), x and y of `esize` bytes. */
void ep_where_run(size_t esize, const ep_index_map* m, const uint8_t* cond, const void* x,
                  const void* y, void* out, ep_threadpool* pool);

/* y = x broadcast over m (input 0): Expand, and any strided copy. */
void ep_expand_run(size_t esize, const ep_index_map* m, const void* x, void* y,
                   ep_threadpool* pool);

/* y[i0, ...] = x[starts[d] + i_d * steps[d] ...] for x of shape `in` and y of shape `out`. */
void ep_slice_run(size_t esize, const ep_shape* in, const ep_shape* out, const int64_t* starts,
                  const int64_t* steps, const void* x, void* y);

/* y[i] = value (esize bytes) for n elements. */
void ep_fill_run(size_t esize, int64_t n, const void* value, void* y);

/* y[i] = start + i * delta, n values of `dtype` (float32 or int64). */
void ep_range_run(ep_dtype dtype, int64_t n, const void* start, const void* delta, void* y);

typedef enum ep_i64_op { EP_I64_ADD, EP_I64_SUB, EP_I64_MUL, EP_I64_DIV } ep_i64_op;

/* y = a op b over m, int64: wrapping add, sub and mul; division truncates, by 0 gives 0. */
void ep_i64_binary_run(ep_i64_op op, const ep_index_map* m, const int64_t* a, const int64_t* b,
                       int64_t* y);

/* Concat of elements of `esize` bytes: y[o] is x[0][o] (inner[0] elements) then x[1][o] ... */
void ep_concat_bytes_run(size_t esize, size_t outer, int n_inputs, const void* const* x,
                         const size_t* inner, void* y);

#endif /* EDGEPROF_KERNELS_INDEX_OPS_H */

/* Inside load-time constant folding (src/onnx/shape_fold.c and the fold_*.c files): the helpers
 * every fold shares, and the folds the table in shape_fold.c dispatches to.
 *
 * A fold reads constant inputs (host tensors: float32, int64, or bool where the IR has it) and
 * writes one host tensor; it never sees the graph being built, except Shape and Size, which read
 * a computed tensor's inferred shape. */
#ifndef EDGEPROF_ONNX_FOLD_INTERNAL_H
#define EDGEPROF_ONNX_FOLD_INTERNAL_H

#include "onnx/onnx_internal.h"

/* Constants computed at load are small in real models (shapes, masks, a few weights). */
#define FOLD_MAX_NUMEL (INT64_C(1) << 24)

/* The host element type of comparison and logic results: ONNX bools are held as int64 0 / 1 by
 * the importer's host tensors, their value marked is_bool (shape_fold.c) so that a graph
 * constant made of one is bool. */
#define FOLD_BOOL EP_DTYPE_INT64

typedef ep_status (*fold_fn)(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);

/* --- helpers (fold_util.c) --------------------------------------------------------------------- */

/* Input i, which the driver has checked is a constant (NULL when absent). */
const ep_host_tensor* ep_fold_in(onnx_imp* c, const Onnx__NodeProto* n, int i);
/* Normalizes a possibly negative axis into [0, rank); false when out of range. */
bool ep_fold_axis(int64_t* axis, int rank);
/* An int64 vector from input `input` (when >= 0 and present) or else attribute `attr` (when not
 * NULL): up to `max` values; *count is -1 when neither is given. */
ep_status ep_fold_int_list(onnx_imp* c, const Onnx__NodeProto* n, const char* attr, int input,
                           int64_t* out, int max, int* count);
/* A shape from an int64 vector input (Expand, ConstantOfShape, Reshape): rank <= EP_MAX_RANK. */
ep_status ep_fold_shape_input(onnx_imp* c, const Onnx__NodeProto* n, int input, ep_shape* out);
/* A zeroed host tensor of dtype and shape; refuses more than FOLD_MAX_NUMEL elements. */
ep_status ep_fold_make(onnx_imp* c, ep_dtype dtype, const ep_shape* shape, ep_host_tensor* out);
/* numpy broadcasting of two shapes; false when they do not broadcast. */
bool ep_fold_broadcast(const ep_shape* a, const ep_shape* b, ep_shape* out);
/* Offset into a tensor of shape s of the output element at multi-index idx (of rank out_rank),
 * broadcasting s against the output. */
int64_t ep_fold_broadcast_offset(const ep_shape* s, const int64_t* idx, int out_rank);
/* Row-major strides of s. */
void ep_fold_strides(const ep_shape* s, int64_t* strides);
/* The multi-index of flat element i of shape s. */
void ep_fold_unravel(int64_t i, const ep_shape* s, int64_t* idx);
/* dst[di] = src[si], converting between the dtypes. */
void ep_fold_copy(ep_host_tensor* dst, int64_t di, const ep_host_tensor* src, int64_t si);
/* dst[i] = v (as an integer: int64 and bool destinations) or f (float32). */
void ep_fold_put_i(ep_host_tensor* dst, int64_t i, int64_t v);
void ep_fold_put_f(ep_host_tensor* dst, int64_t i, double f);
/* Shape of input i of the current node: a computed tensor's inferred shape or a constant's. */
const ep_shape* ep_fold_input_shape(onnx_imp* c, const Onnx__NodeProto* n, int i);

/* --- shape and data movement (fold_shape.c) ------------------------------------------------- */

ep_status ep_fold_constant(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
ep_status ep_fold_shape(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
ep_status ep_fold_size(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
ep_status ep_fold_gather(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
/* Unsqueeze, Squeeze, Reshape, Flatten: the data with a new shape. */
ep_status ep_fold_view(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
ep_status ep_fold_concat(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
ep_status ep_fold_expand(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
ep_status ep_fold_constant_of_shape(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
ep_status ep_fold_slice(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
ep_status ep_fold_transpose(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
ep_status ep_fold_range(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);

/* --- scatter (fold_scatter.c) --------------------------------------------------------------- */

ep_status ep_fold_scatter_nd(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);

/* --- arithmetic, comparisons and logic (fold_math.c) ------------------------------------------ */

ep_status ep_fold_cast(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
/* Add, Sub, Mul, Div, Mod, Pow, and variadic Min, Max, Sum, Mean. */
ep_status ep_fold_arith(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
/* Equal, Less, LessOrEqual, Greater, GreaterOrEqual, And, Or, Xor. */
ep_status ep_fold_compare(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
ep_status ep_fold_where(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);
/* Not, Neg, Abs, Sign, Sqrt, Reciprocal, Floor, Ceil, Round, Exp, Log. */
ep_status ep_fold_unary(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);

#endif /* EDGEPROF_ONNX_FOLD_INTERNAL_H */

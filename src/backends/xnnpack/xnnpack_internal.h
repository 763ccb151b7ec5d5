/* The XNNPACK backend's internals (never in a public header: XNNPACK's types stay in this folder).
 *
 * XNNPACK (the engine inside TensorFlow Lite) runs operators on NHWC tensors; the session's are
 * NCHW. A node's state is a short program of steps built once by prepare: XNNPACK operators
 * (created, weights packed, once) and NCHW <-> NHWC transposes around the ones that care about
 * the layout (convolution, pooling), through scratch in the session's workspace. Element-wise
 * ops, softmax, fully connected and concat run on the NCHW tensors as they are.
 *
 * Files: xnnpack_backend.c (interface, context, thread pool, program runner), xnnpack_layout.c
 * (the transposes), xnnpack_conv.c (convolution, fully connected), xnnpack_pool.c (max, average,
 * global average pooling), xnnpack_ops.c (activations, binary, softmax, concat). */
#ifndef EDGEPROF_BACKENDS_XNNPACK_INTERNAL_H
#define EDGEPROF_BACKENDS_XNNPACK_INTERNAL_H

#include <pthreadpool.h>
#include <stdbool.h>
#include <stddef.h>
#include <xnnpack.h>

#include "edgeprof/graph.h"
#include "edgeprof/status.h"
#include "runtime/backend.h"

typedef struct xnnpack_ctx {
  pthreadpool_t pool; /* NULL for one thread: XNNPACK then runs on the caller */
  int threads;
} xnnpack_ctx;

/* Where a step reads or writes: a tensor of the node (io->in[index], io->out[index]), scratch
 * (io->workspace + index floats, worker 0's share), or a buffer the node owns (a constant
 * copied with XNNPACK's read-past-the-end margin). `offset` floats further in. */
typedef enum xnnpack_ref_kind { REF_INPUT, REF_OUTPUT, REF_SCRATCH, REF_OWNED } xnnpack_ref_kind;

typedef struct xnnpack_ref {
  xnnpack_ref_kind kind;
  size_t index;
  size_t offset;
  const float* owned;
} xnnpack_ref;

typedef enum xnnpack_step_kind {
  STEP_CONV,       /* NHWC convolution: batch, h, w */
  STEP_MAX_POOL,   /* NHWC: batch, h, w */
  STEP_AVG_POOL,   /* NHWC: batch, h, w */
  STEP_GLOBAL_AVG, /* NWC: batch, w (= H * W) */
  STEP_ROWS,       /* an nc operator over `batch` rows: fully connected, unary, softmax */
  STEP_COPY,       /* copy_nc_x32 over `batch` rows (concat) */
  STEP_BINARY,     /* an nd operator: shape_a, shape_b */
  STEP_TO_NHWC,    /* transpose [batch][c][hw] -> [batch][hw][c] */
  STEP_TO_NCHW,    /* transpose [batch][hw][c] -> [batch][c][hw] */
} xnnpack_step_kind;

typedef enum xnn_status (*xnnpack_rows_setup)(xnn_operator_t op, size_t batch, const float* x,
                                              float* y, pthreadpool_t pool);
typedef enum xnn_status (*xnnpack_binary_setup)(xnn_operator_t op, size_t rank_a,
                                                const size_t* shape_a, size_t rank_b,
                                                const size_t* shape_b, const float* a,
                                                const float* b, float* y, pthreadpool_t pool);

typedef struct xnnpack_step {
  xnnpack_step_kind kind;
  xnn_operator_t op; /* owned; NULL for transposes */
  xnnpack_rows_setup rows_setup;
  xnnpack_binary_setup binary_setup;
  xnnpack_ref x, x2, y;
  size_t batch, h, w, c;
  size_t rank_a, rank_b;
  size_t shape_a[XNN_MAX_TENSOR_DIMS], shape_b[XNN_MAX_TENSOR_DIMS];
} xnnpack_step;

enum { XNNPACK_MAX_OWNED = 16 };

typedef struct xnnpack_node {
  xnnpack_step* steps;
  int n_steps, cap_steps;
  float* owned[XNNPACK_MAX_OWNED];
  int n_owned;
  size_t packed_bytes;
  size_t workspace_floats; /* scratch, in worker 0's share of the session's */
} xnnpack_node;

/* --- building a node program (xnnpack_backend.c) ----------------------------------------- */

const char* ep_xnnpack_status_name(enum xnn_status s);
/* An EP_ERR_UNSUPPORTED (out of memory: EP_ERR_OUT_OF_MEMORY) naming the node and the call. */
ep_status ep_xnnpack_fail(const ep_node* node, const char* what, enum xnn_status s);
/* Appends a step (zeroed but for kind); NULL when out of memory. */
xnnpack_step* ep_xnnpack_add_step(xnnpack_node* n, xnnpack_step_kind kind);
/* `floats` of scratch for this node (with XNNPACK's margin): where it starts. */
size_t ep_xnnpack_scratch(xnnpack_node* n, size_t floats);
/* Input i as XNNPACK may read it: the session tensor, or a constant copied once with the margin
 * XNNPACK reads past an array's end (XNN_EXTRA_BYTES). */
ep_status ep_xnnpack_input_ref(xnnpack_node* n, const ep_graph* g, const ep_node* node, int i,
                               xnnpack_ref* ref_out);
/* Output-range clamp of a fused activation (none, Relu, Relu6); false for the others. */
bool ep_xnnpack_act_range(ep_activation act, float* min_out, float* max_out);
/* Whether the activation can follow the op: a clamp, or Sigmoid as a step of its own. */
static inline bool xnnpack_act_ok(ep_activation act) {
  return act == EP_ACT_NONE || act == EP_ACT_RELU || act == EP_ACT_RELU6 || act == EP_ACT_SIGMOID;
}
/* A Sigmoid step over output 0 in place (count floats) when act is Sigmoid; else nothing. */
ep_status ep_xnnpack_add_sigmoid(xnnpack_node* n, const ep_node* node, ep_activation act,
                                 size_t count);
/* Steps transposing between the NCHW tensor `nchw` and NHWC scratch (to_nhwc: NCHW -> NHWC). */
void ep_xnnpack_set_transpose(xnnpack_step* s, bool to_nhwc, xnnpack_ref from, xnnpack_ref to,
                              size_t batch, size_t c, size_t hw);

static inline xnnpack_ref xnnpack_ref_of(xnnpack_ref_kind kind, size_t index) {
  return (xnnpack_ref){kind, index, 0, NULL};
}

/* --- the transposes (xnnpack_layout.c) ----------------------------------------------------- */

/* y [batch][cols][rows] = x [batch][rows][cols] transposed, on `pool` (NULL: the caller). */
void ep_xnnpack_transpose(pthreadpool_t pool, size_t batch, size_t rows, size_t cols,
                          const float* x, float* y);

/* --- shared checks ------------------------------------------------------------------------- */

static inline bool xnnpack_has_input(const ep_node* node, int i) {
  return node->n_inputs > i && node->inputs[i] != EP_TENSOR_ABSENT;
}
static inline const ep_shape* xnnpack_in_shape(const ep_graph* g, const ep_node* node, int i) {
  return &ep_graph_tensor(g, node->inputs[i])->shape;
}
static inline const ep_shape* xnnpack_out_shape(const ep_graph* g, const ep_node* node, int i) {
  return &ep_graph_tensor(g, node->outputs[i])->shape;
}
static inline bool xnnpack_is_constant(const ep_graph* g, const ep_node* node, int i) {
  return xnnpack_has_input(node, i) &&
         ep_graph_tensor(g, node->inputs[i])->kind == EP_TENSOR_CONSTANT;
}
static inline int xnnpack_or_one(int v) { return v > 0 ? v : 1; }

/* --- the op families: whether XNNPACK runs the node exactly as the IR defines it, and its
 * program ------------------------------------------------------------------------------------ */

bool ep_xnnpack_conv_supports(const ep_graph* g, const ep_node* node);
ep_status ep_xnnpack_conv_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n);
bool ep_xnnpack_fc_supports(const ep_graph* g, const ep_node* node);
ep_status ep_xnnpack_fc_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n);
bool ep_xnnpack_pool_supports(const ep_graph* g, const ep_node* node);
ep_status ep_xnnpack_pool_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n);
bool ep_xnnpack_unary_supports(const ep_graph* g, const ep_node* node);
ep_status ep_xnnpack_unary_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n);
bool ep_xnnpack_binary_supports(const ep_graph* g, const ep_node* node);
ep_status ep_xnnpack_binary_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n);
bool ep_xnnpack_softmax_supports(const ep_graph* g, const ep_node* node);
ep_status ep_xnnpack_softmax_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n);
bool ep_xnnpack_concat_supports(const ep_graph* g, const ep_node* node);
ep_status ep_xnnpack_concat_prepare(const ep_graph* g, const ep_node* node, xnnpack_node* n);

#endif /* EDGEPROF_BACKENDS_XNNPACK_INTERNAL_H */

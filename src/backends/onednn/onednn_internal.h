/* The oneDNN backend's internals (never in a public header: oneDNN's types stay in this folder).
 *
 * A node's state is a short program of oneDNN primitives built once by prepare: the memory
 * objects that stand for the session's tensors ("binds", pointed at io->in / io->out by
 * dnnl_memory_set_data_handle on every run), the memory objects the node owns (packed weights,
 * internal buffers), and the steps to execute in order. Files: onednn_backend.c (interface,
 * context, node program), onednn_layout.c (which tensors stay blocked between oneDNN nodes),
 * onednn_conv.c (convolution, inner product), onednn_ops.c (pooling, eltwise, softmax, LRN,
 * concat, binary), onednn_rnn.c (LSTM). */
#ifndef EDGEPROF_BACKENDS_ONEDNN_INTERNAL_H
#define EDGEPROF_BACKENDS_ONEDNN_INTERNAL_H

#include <oneapi/dnnl/dnnl.h>
#include <stdbool.h>
#include <stddef.h>

#include "edgeprof/graph.h"
#include "edgeprof/status.h"
#include "runtime/backend.h"

/* Concat is the op with the most tensors; a node with more inputs stays on the CPU backend. */
enum { ONEDNN_MAX_INPUTS = 16 };
enum { ONEDNN_MAX_STEPS = 4, ONEDNN_MAX_ARGS = ONEDNN_MAX_INPUTS + 4, ONEDNN_MAX_MEMORIES = 48 };

typedef struct onednn_ctx {
  dnnl_engine_t engine;
  /* oneDNN's blocked activation layout on this host (nChw8c on AVX2, nChw16c on AVX-512): where
   * its kernel for plain NCHW is a slow reference one (pooling), the node runs on this. */
  dnnl_format_tag_t blocked_tag;
  dnnl_stream_t stream;
  int threads;
  /* Convolutions' (and slow pools') src and dst: the format oneDNN prefers, with the tensors
   * between oneDNN nodes kept in it (onednn_layout.c) and reorders from and to the others (the
   * default), or every tensor plain NCHW and used as it is (EDGEPROF_ONEDNN_LAYOUT=nchw). See
   * onednn_conv.c and onednn_layout.c for the numbers. */
  bool any_layout;
} onednn_ctx;

typedef struct onednn_step {
  dnnl_primitive_t primitive;
  int n_args;
  dnnl_exec_arg_t args[ONEDNN_MAX_ARGS];
} onednn_step;

/* A memory object pointed at the session's buffers on every run: a tensor (io->in[index] or
 * io->out[index]) or a node-internal buffer in the session's scratch (io->workspace + index). */
typedef enum onednn_bind_kind { BIND_INPUT, BIND_OUTPUT, BIND_WORKSPACE } onednn_bind_kind;

typedef struct onednn_bind {
  dnnl_memory_t memory;
  onednn_bind_kind kind;
  size_t index;
} onednn_bind;

typedef struct onednn_node {
  onednn_step steps[ONEDNN_MAX_STEPS];
  int n_steps;
  onednn_bind binds[ONEDNN_MAX_MEMORIES];
  int n_binds;
  dnnl_memory_t memories[ONEDNN_MAX_MEMORIES]; /* every memory object above, owned */
  int n_memories;
  /* Before the steps: copy input copy_input to output 0 (a convolution's residual, added by a
   * sum post-op), copy_bytes of it; 0: none. */
  size_t copy_bytes;
  int copy_input;
  size_t packed_bytes;
  size_t workspace_floats; /* internal buffers, in worker 0's share of the session's scratch */
} onednn_node;

/* --- building a node program (onednn_backend.c) ------------------------------------------ */

/* The message of a oneDNN status ("invalid arguments", ...). */
const char* ep_onednn_status_name(dnnl_status_t s);
/* An EP_ERR_UNSUPPORTED naming the node, the call and oneDNN's status. */
ep_status ep_onednn_fail(const ep_node* node, const char* what, dnnl_status_t s);

/* A plain (dense, row-major) descriptor of `rank` dims. */
dnnl_status_t ep_onednn_plain_md(dnnl_memory_desc_t* md, int rank, const int64_t* dims);
/* The same dims in the format the primitive chooses (format_tag any). */
dnnl_status_t ep_onednn_any_md(dnnl_memory_desc_t* md, int rank, const int64_t* dims);
/* The descriptor of session tensor `tensor` (`rank` dims `dims`) in its layout: nChw8c where
 * layouts[tensor] is EP_LAYOUT_NCHW8C (then rank 4 and C % 8 == 0, else invalid arguments),
 * else plain. */
dnnl_status_t ep_onednn_tensor_md(dnnl_memory_desc_t* md, const ep_layout* layouts, int tensor,
                                  int rank, const int64_t* dims);
/* A memory object for the session tensor io->in[index] (output: io->out[index]) with md. */
ep_status ep_onednn_bind_tensor(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                const dnnl_memory_desc_t* md, bool output, int index,
                                dnnl_memory_t* memory_out);
/* A buffer of the node's own (a convolution's blocked src or dst) in the session's scratch:
 * needed only while the node runs, so one scratch serves every node. */
ep_status ep_onednn_scratch_memory(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                   const dnnl_memory_desc_t* md, dnnl_memory_t* memory_out);
/* The memory object for a session tensor (user_out, described by `user`: its layout) and the
 * one the primitive uses (prim_out): the same where the primitive wants that layout, else a
 * scratch buffer in the layout `want`; the caller adds the reorder between them. */
ep_status ep_onednn_tensor_memory(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                  const dnnl_memory_desc_t* user, const dnnl_memory_desc_t* want,
                                  bool output, int index, dnnl_memory_t* user_out,
                                  dnnl_memory_t* prim_out);
/* A memory object the node owns, allocated by oneDNN (counted in packed_bytes). */
ep_status ep_onednn_owned_memory(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                 const dnnl_memory_desc_t* md, dnnl_memory_t* memory_out);
/* Creates the primitive of `pd` as the next step; add its arguments with ep_onednn_arg. */
ep_status ep_onednn_add_step(onednn_node* n, const ep_node* node, const_dnnl_primitive_desc_t pd,
                             onednn_step** step_out);
void ep_onednn_arg(onednn_step* step, int arg, dnnl_memory_t memory);
/* Converts a constant (plain, `plain` describing it) into the layout `packed` once, into a
 * memory object the node owns; counts it in packed_bytes. */
ep_status ep_onednn_pack_constant(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                  const dnnl_memory_desc_t* plain, const float* data,
                                  const dnnl_memory_desc_t* packed, dnnl_memory_t* memory_out);
/* A step that reorders `from` into `to` (both already in the node). */
ep_status ep_onednn_add_reorder(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                dnnl_memory_t from, dnnl_memory_t to);
/* Post-ops for a fused activation (appended to `ops`). */
dnnl_status_t ep_onednn_append_activation(dnnl_post_ops_t ops, ep_activation act);

/* --- the layout plan (onednn_layout.c) ---------------------------------------------------- */

/* backend.h's plan_layouts: blocks (EP_LAYOUT_NCHW8C) the 4-D tensors with C % 8 == 0 that only
 * oneDNN nodes able to read them blocked write and read. */
ep_status ep_onednn_plan_layouts(void* ctx, const ep_graph* graph, const bool* owned,
                                 ep_layout* layouts);

/* --- shared checks --------------------------------------------------------------------------- */

static inline bool onednn_has_input(const ep_node* node, int i) {
  return node->n_inputs > i && node->inputs[i] != EP_TENSOR_ABSENT;
}
static inline const ep_shape* onednn_in_shape(const ep_graph* g, const ep_node* node, int i) {
  return &ep_graph_tensor(g, node->inputs[i])->shape;
}
static inline const ep_shape* onednn_out_shape(const ep_graph* g, const ep_node* node, int i) {
  return &ep_graph_tensor(g, node->outputs[i])->shape;
}
static inline bool onednn_is_constant(const ep_graph* g, const ep_node* node, int i) {
  return onednn_has_input(node, i) &&
         ep_graph_tensor(g, node->inputs[i])->kind == EP_TENSOR_CONSTANT;
}
static inline int onednn_or_one(int v) { return v > 0 ? v : 1; }

/* --- the op families: whether oneDNN runs the node exactly as the IR defines it, and its
 * program over the tensors in the session's `layouts` (only the families of the plan's
 * converting and uniform ops get blocked tensors: onednn_backend.c checks) ----------------- */

bool ep_onednn_conv_supports(const ep_graph* g, const ep_node* node);
ep_status ep_onednn_conv_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                 const ep_layout* layouts, onednn_node* n);
bool ep_onednn_fc_supports(const ep_graph* g, const ep_node* node);
ep_status ep_onednn_fc_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                               const ep_layout* layouts, onednn_node* n);
bool ep_onednn_pool_supports(const ep_graph* g, const ep_node* node);
ep_status ep_onednn_pool_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                 const ep_layout* layouts, onednn_node* n);
bool ep_onednn_eltwise_supports(const ep_graph* g, const ep_node* node);
ep_status ep_onednn_eltwise_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                    const ep_layout* layouts, onednn_node* n);
bool ep_onednn_softmax_supports(const ep_graph* g, const ep_node* node);
ep_status ep_onednn_softmax_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                    const ep_layout* layouts, onednn_node* n);
bool ep_onednn_lrn_supports(const ep_graph* g, const ep_node* node);
ep_status ep_onednn_lrn_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                const ep_layout* layouts, onednn_node* n);
bool ep_onednn_concat_supports(const ep_graph* g, const ep_node* node);
ep_status ep_onednn_concat_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                   const ep_layout* layouts, onednn_node* n);
bool ep_onednn_binary_supports(const ep_graph* g, const ep_node* node);
ep_status ep_onednn_binary_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                   const ep_layout* layouts, onednn_node* n);
bool ep_onednn_lstm_supports(const ep_graph* g, const ep_node* node);
ep_status ep_onednn_lstm_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                 const ep_layout* layouts, onednn_node* n);

#endif /* EDGEPROF_BACKENDS_ONEDNN_INTERNAL_H */

/* The oneDNN backend (Debian's libdnnl-dev, oneDNN 2.x C API, the library behind the MKL-DNN
 * TensorFlow builds of the paper): the interface of runtime/backend.h, the per-session context
 * (engine, stream, threads) and the node programs of onednn_internal.h.
 *
 * Threads: oneDNN's CPU runtime here is OpenMP. The session's thread count is set with
 * omp_set_num_threads before primitives are created (oneDNN's JIT kernels choose their blocking
 * for the thread count they see then) and before every run, for the calling thread. OpenMP's
 * threads are not the session pool's: where the session has a CPU set, create pins OpenMP thread
 * i (i >= 1) to cpus[i % n_cpus] as the pool does for its worker i; thread 0 is the caller, which
 * the pool pins. libgomp keeps the threads of a team for the thread that started it, so
 * sessions created on one thread share them and the last one created sets their pinning. */
#define _GNU_SOURCE
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/onednn/onednn_internal.h"

typedef struct op_entry {
  bool (*supports)(const ep_graph* g, const ep_node* node);
  ep_status (*prepare)(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                       const ep_layout* layouts, onednn_node* n);
  bool blocked; /* whether prepare handles blocked (NCHW8c) tensors */
} op_entry;

/* The ops this backend runs; every other op, and every node its `supports` declines, runs on
 * the CPU backend. */
static const op_entry ops[EP_OP_COUNT] = {
    [EP_OP_CONV] = {ep_onednn_conv_supports, ep_onednn_conv_prepare, true},
    [EP_OP_FULLY_CONNECTED] = {ep_onednn_fc_supports, ep_onednn_fc_prepare, false},
    [EP_OP_MAX_POOL] = {ep_onednn_pool_supports, ep_onednn_pool_prepare, true},
    [EP_OP_AVG_POOL] = {ep_onednn_pool_supports, ep_onednn_pool_prepare, true},
    [EP_OP_GLOBAL_AVG_POOL] = {ep_onednn_pool_supports, ep_onednn_pool_prepare, true},
    [EP_OP_GLOBAL_MAX_POOL] = {ep_onednn_pool_supports, ep_onednn_pool_prepare, true},
    [EP_OP_RELU] = {ep_onednn_eltwise_supports, ep_onednn_eltwise_prepare, true},
    [EP_OP_RELU6] = {ep_onednn_eltwise_supports, ep_onednn_eltwise_prepare, true},
    [EP_OP_SIGMOID] = {ep_onednn_eltwise_supports, ep_onednn_eltwise_prepare, true},
    [EP_OP_TANH] = {ep_onednn_eltwise_supports, ep_onednn_eltwise_prepare, true},
    [EP_OP_LEAKY_RELU] = {ep_onednn_eltwise_supports, ep_onednn_eltwise_prepare, true},
    [EP_OP_CLIP] = {ep_onednn_eltwise_supports, ep_onednn_eltwise_prepare, true},
    [EP_OP_SOFTMAX] = {ep_onednn_softmax_supports, ep_onednn_softmax_prepare, false},
    [EP_OP_LOG_SOFTMAX] = {ep_onednn_softmax_supports, ep_onednn_softmax_prepare, false},
    [EP_OP_LRN] = {ep_onednn_lrn_supports, ep_onednn_lrn_prepare, true},
    [EP_OP_CONCAT] = {ep_onednn_concat_supports, ep_onednn_concat_prepare, true},
    [EP_OP_ADD] = {ep_onednn_binary_supports, ep_onednn_binary_prepare, true},
    [EP_OP_SUB] = {ep_onednn_binary_supports, ep_onednn_binary_prepare, true},
    [EP_OP_MUL] = {ep_onednn_binary_supports, ep_onednn_binary_prepare, true},
    [EP_OP_DIV] = {ep_onednn_binary_supports, ep_onednn_binary_prepare, true},
    [EP_OP_LSTM] = {ep_onednn_lstm_supports, ep_onednn_lstm_prepare, false},
};

/* --- availability and version -------------------------------------------------------------- */

static pthread_once_t probe_once = PTHREAD_ONCE_INIT;
static char probe_error[128]; /* "" when a CPU engine can be created */
static char version_line[160];

static const char* isa_name(dnnl_cpu_isa_t isa) {
  switch (isa) {
    case dnnl_cpu_isa_sse41:
      return "sse41";
    case dnnl_cpu_isa_avx:
      return "avx";
    case dnnl_cpu_isa_avx2:
      return "avx2";
    case dnnl_cpu_isa_avx2_vnni:
      return "avx2_vnni";
    case dnnl_cpu_isa_avx512_mic:
      return "avx512_mic";
    case dnnl_cpu_isa_avx512_mic_4ops:
      return "avx512_mic_4ops";
    case dnnl_cpu_isa_avx512_core:
      return "avx512_core";
    case dnnl_cpu_isa_avx512_core_vnni:
      return "avx512_core_vnni";
    case dnnl_cpu_isa_avx512_core_bf16:
      return "avx512_core_bf16";
    case dnnl_cpu_isa_avx512_core_amx:
      return "avx512_core_amx";
    default:
      return "generic";
  }
}

static void probe(void) {
  dnnl_engine_t engine = NULL;
  dnnl_status_t s = dnnl_engine_get_count(dnnl_cpu) > 0 ? dnnl_engine_create(&engine, dnnl_cpu, 0)
                                                        : dnnl_invalid_arguments;
  if (s != dnnl_success) {
    snprintf(probe_error, sizeof probe_error, "oneDNN cannot create a CPU engine (%s)",
             ep_onednn_status_name(s));
  }
  dnnl_engine_destroy(engine);
  const dnnl_version_t* v = dnnl_version();
  const char* runtime = v->cpu_runtime == DNNL_RUNTIME_OMP   ? "OpenMP"
                        : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB"
                        : v->cpu_runtime == DNNL_RUNTIME_SEQ ? "sequential"
                                                             : "threadpool";
  snprintf(version_line, sizeof version_line, "oneDNN %d.%d.%d (cpu runtime %s, ISA %s)", v->major,
           v->minor, v->patch, runtime, isa_name(dnnl_get_effective_cpu_isa()));
}

static bool onednn_available(char* why, size_t why_size) {
  pthread_once(&probe_once, probe);
  if (probe_error[0] == '\0') return true;
  if (why != NULL && why_size > 0) snprintf(why, why_size, "%s", probe_error);
  return false;
}

static const char* onednn_describe(void) {
  pthread_once(&probe_once, probe);
  return version_line;
}

/* --- helpers for the op files ------------------------------------------------------------ */

const char* ep_onednn_status_name(dnnl_status_t s) {
  switch (s) {
    case dnnl_success:
      return "success";
    case dnnl_out_of_memory:
      return "out of memory";
    case dnnl_invalid_arguments:
      return "invalid arguments";
    case dnnl_unimplemented:
      return "unimplemented";
    case dnnl_iterator_ends:
      return "iterator ends";
    case dnnl_runtime_error:
      return "runtime error";
    case dnnl_not_required:
      return "not required";
    default:
      return "unknown status";
  }
}

ep_status ep_onednn_fail(const ep_node* node, const char* what, dnnl_status_t s) {
  return ep_error(s == dnnl_out_of_memory ? EP_ERR_OUT_OF_MEMORY : EP_ERR_UNSUPPORTED,
                  "node %s (%s): oneDNN %s failed: %s", node->name, ep_op_name(node->op), what,
                  ep_onednn_status_name(s));
}

/* oneDNN's functions take dnnl_dims_t (12 dims): copy into one so that they read no further
 * than the caller's array. */
static dnnl_status_t md_init(dnnl_memory_desc_t* md, int rank, const int64_t* dims,
                             dnnl_format_tag_t tag) {
  dnnl_dims_t d = {1};
  if (rank < 1 || rank > 6) return dnnl_invalid_arguments;
  memcpy(d, dims, (size_t)rank * sizeof *dims);
  return dnnl_memory_desc_init_by_tag(md, rank, d, dnnl_f32, tag);
}

dnnl_status_t ep_onednn_plain_md(dnnl_memory_desc_t* md, int rank, const int64_t* dims) {
  static const dnnl_format_tag_t tags[] = {dnnl_a,    dnnl_a,     dnnl_ab,    dnnl_abc,
                                           dnnl_abcd, dnnl_abcde, dnnl_abcdef};
  if (rank == 0) {
    const int64_t one = 1;
    return md_init(md, 1, &one, dnnl_a);
  }
  if (rank < 0 || rank > 6) return dnnl_invalid_arguments;
  return md_init(md, rank, dims, tags[rank]);
}

dnnl_status_t ep_onednn_any_md(dnnl_memory_desc_t* md, int rank, const int64_t* dims) {
  return md_init(md, rank, dims, dnnl_format_tag_any);
}

static ep_status add_memory(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                            const dnnl_memory_desc_t* md, void* handle, dnnl_memory_t* memory_out) {
  if (n->n_memories == ONEDNN_MAX_MEMORIES) {
    return ep_error(EP_ERR_UNSUPPORTED, "node %s: too many oneDNN memory objects", node->name);
  }
  dnnl_memory_t m = NULL;
  dnnl_status_t s = dnnl_memory_create(&m, md, ctx->engine, handle);
  if (s != dnnl_success) return ep_onednn_fail(node, "memory_create", s);
  n->memories[n->n_memories++] = m;
  *memory_out = m;
  return EP_OK;
}

ep_status ep_onednn_bind_tensor(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                const dnnl_memory_desc_t* md, bool output, int index,
                                dnnl_memory_t* memory_out) {
  dnnl_memory_t m = NULL;
  ep_status status = add_memory(n, ctx, node, md, DNNL_MEMORY_NONE, &m);
  if (status != EP_OK) return status;
  n->binds[n->n_binds++] = (onednn_bind){m, output ? BIND_OUTPUT : BIND_INPUT, (size_t)index};
  *memory_out = m;
  return EP_OK;
}

ep_status ep_onednn_tensor_memory(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                  const dnnl_memory_desc_t* user, const dnnl_memory_desc_t* want,
                                  bool output, int index, dnnl_memory_t* user_out,
                                  dnnl_memory_t* prim_out) {
  ep_status status = ep_onednn_bind_tensor(n, ctx, node, user, output, index, user_out);
  if (status != EP_OK) return status;
  if (dnnl_memory_desc_equal(user, want)) {
    *prim_out = *user_out;
    return EP_OK;
  }
  return ep_onednn_scratch_memory(n, ctx, node, want, prim_out);
}

ep_status ep_onednn_scratch_memory(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                   const dnnl_memory_desc_t* md, dnnl_memory_t* memory_out) {
  enum { ALIGN_FLOATS = 16 }; /* 64 bytes, as the session aligns each worker's scratch */
  dnnl_memory_t m = NULL;
  ep_status status = add_memory(n, ctx, node, md, DNNL_MEMORY_NONE, &m);
  if (status != EP_OK) return status;
  n->binds[n->n_binds++] = (onednn_bind){m, BIND_WORKSPACE, n->workspace_floats};
  size_t floats = (dnnl_memory_desc_get_size(md) + sizeof(float) - 1) / sizeof(float);
  n->workspace_floats += (floats + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
  *memory_out = m;
  return EP_OK;
}

ep_status ep_onednn_owned_memory(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                 const dnnl_memory_desc_t* md, dnnl_memory_t* memory_out) {
  ep_status status = add_memory(n, ctx, node, md, DNNL_MEMORY_ALLOCATE, memory_out);
  if (status == EP_OK) n->packed_bytes += dnnl_memory_desc_get_size(md);
  return status;
}

ep_status ep_onednn_add_step(onednn_node* n, const ep_node* node, const_dnnl_primitive_desc_t pd,
                             onednn_step** step_out) {
  if (n->n_steps == ONEDNN_MAX_STEPS) {
    return ep_error(EP_ERR_UNSUPPORTED, "node %s: too many oneDNN steps", node->name);
  }
  onednn_step* step = &n->steps[n->n_steps];
  dnnl_status_t s = dnnl_primitive_create(&step->primitive, pd);
  if (s != dnnl_success) return ep_onednn_fail(node, "primitive_create", s);
  step->n_args = 0;
  n->n_steps++;
  *step_out = step;
  return EP_OK;
}

void ep_onednn_arg(onednn_step* step, int arg, dnnl_memory_t memory) {
  if (step->n_args < ONEDNN_MAX_ARGS) step->args[step->n_args++] = (dnnl_exec_arg_t){arg, memory};
}

ep_status ep_onednn_pack_constant(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                  const dnnl_memory_desc_t* plain, const float* data,
                                  const dnnl_memory_desc_t* packed, dnnl_memory_t* memory_out) {
  ep_status status = EP_OK;
  dnnl_memory_t src = NULL, dst = NULL;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_primitive_t reorder = NULL;
  status = ep_onednn_owned_memory(n, ctx, node, packed, &dst);
  if (status != EP_OK) goto cleanup;
  /* oneDNN only reads a reorder's source: the graph's constant is not written. */
  dnnl_status_t s = dnnl_memory_create(&src, plain, ctx->engine, (void*)data);
  if (s == dnnl_success) {
    s = dnnl_reorder_primitive_desc_create(&pd, plain, ctx->engine, packed, ctx->engine, NULL);
  }
  if (s == dnnl_success) s = dnnl_primitive_create(&reorder, pd);
  if (s == dnnl_success) {
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}};
    s = dnnl_primitive_execute(reorder, ctx->stream, 2, args);
  }
  if (s == dnnl_success) s = dnnl_stream_wait(ctx->stream);
  if (s != dnnl_success) {
    status = ep_onednn_fail(node, "weight reorder", s);
    goto cleanup;
  }
  *memory_out = dst;

cleanup:
  dnnl_primitive_destroy(reorder);
  dnnl_primitive_desc_destroy(pd);
  dnnl_memory_destroy(src);
  return status;
}

ep_status ep_onednn_add_reorder(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                                dnnl_memory_t from, dnnl_memory_t to) {
  const dnnl_memory_desc_t *from_md = NULL, *to_md = NULL;
  dnnl_primitive_desc_t pd = NULL;
  dnnl_status_t s = dnnl_memory_get_memory_desc(from, &from_md);
  if (s == dnnl_success) s = dnnl_memory_get_memory_desc(to, &to_md);
  if (s == dnnl_success) {
    s = dnnl_reorder_primitive_desc_create(&pd, from_md, ctx->engine, to_md, ctx->engine, NULL);
  }
  if (s != dnnl_success) return ep_onednn_fail(node, "reorder", s);
  onednn_step* step = NULL;
  ep_status status = ep_onednn_add_step(n, node, pd, &step);
  dnnl_primitive_desc_destroy(pd);
  if (status != EP_OK) return status;
  ep_onednn_arg(step, DNNL_ARG_FROM, from);
  ep_onednn_arg(step, DNNL_ARG_TO, to);
  return EP_OK;
}

dnnl_status_t ep_onednn_append_activation(dnnl_post_ops_t ops, ep_activation act) {
  switch (act) {
    case EP_ACT_NONE:
      return dnnl_success;
    case EP_ACT_RELU:
      return dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f);
    case EP_ACT_RELU6:
      return dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_clip, 0.0f, 6.0f);
    case EP_ACT_SIGMOID:
      return dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_logistic, 0.0f, 0.0f);
    case EP_ACT_TANH:
      return dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_tanh, 0.0f, 0.0f);
    case EP_ACT_SILU: /* swish: x * sigmoid(alpha x), alpha 1 */
      return dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_swish, 1.0f, 0.0f);
    case EP_ACT_HARD_SWISH:
      return dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_hardswish, 0.0f, 0.0f);
    case EP_ACT_HARD_SIGMOID: {
      /* oneDNN 2.6 has no hardsigmoid: x / 6 + 1 / 2, then clipped to [0, 1]. */
      dnnl_status_t s =
          dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_linear, 1.0f / 6.0f, 0.5f);
      if (s != dnnl_success) return s;
      return dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_clip, 0.0f, 1.0f);
    }
    case EP_ACT_GELU:
      return dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_gelu_erf, 0.0f, 0.0f);
    case EP_ACT_GELU_TANH:
      return dnnl_post_ops_append_eltwise(ops, 1.0f, dnnl_eltwise_gelu_tanh, 0.0f, 0.0f);
  }
  return dnnl_unimplemented;
}

/* --- the interface ----------------------------------------------------------------------- */

/* Pins OpenMP thread i (i >= 1) as the session's pool pins its worker i. */
static void pin_openmp_threads(int threads, const int* cpus, int n_cpus) {
#pragma omp parallel num_threads(threads)
  {
    int i = omp_get_thread_num();
    if (i > 0) {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(cpus[i % n_cpus], &set);
      pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
  }
}

static ep_status onednn_create(const ep_graph* graph, const ep_backend_config* config,
                               void** ctx_out) {
  (void)graph;
  onednn_ctx* ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for a oneDNN context");
  ep_status status = EP_OK;
  ctx->threads = config->threads;
  const char* layout = getenv("EDGEPROF_ONEDNN_LAYOUT");
  ctx->any_layout = layout == NULL || strcmp(layout, "nchw") != 0;
  dnnl_status_t s = dnnl_engine_create(&ctx->engine, dnnl_cpu, 0);
  if (s == dnnl_success)
    s = dnnl_stream_create(&ctx->stream, ctx->engine, dnnl_stream_default_flags);
  if (s != dnnl_success) {
    status = ep_error(EP_ERR_UNSUPPORTED, "oneDNN cannot create a CPU engine and stream (%s)",
                      ep_onednn_status_name(s));
    goto cleanup;
  }
  /* ISA values are feature masks (avx2_vnni is numerically above avx512_core). */
  const bool avx512 =
      (dnnl_get_effective_cpu_isa() & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core;
  ctx->blocked_tag = avx512 ? dnnl_aBcd16b : dnnl_aBcd8b;
  omp_set_num_threads(ctx->threads);
  if (config->cpus != NULL && config->n_cpus > 0 && ctx->threads > 1) {
    pin_openmp_threads(ctx->threads, config->cpus, config->n_cpus);
  }
  *ctx_out = ctx;
  return EP_OK;

cleanup:
  dnnl_stream_destroy(ctx->stream);
  dnnl_engine_destroy(ctx->engine);
  free(ctx);
  return status;
}

static void onednn_destroy(void* ctx_) {
  onednn_ctx* ctx = ctx_;
  if (ctx == NULL) return;
  dnnl_stream_destroy(ctx->stream);
  dnnl_engine_destroy(ctx->engine);
  free(ctx);
}

static bool onednn_supports_node(void* ctx, const ep_graph* graph, const ep_node* node) {
  (void)ctx;
  if ((unsigned)node->op >= EP_OP_COUNT || ops[node->op].supports == NULL) return false;
  return ops[node->op].supports(graph, node);
}

static void destroy_program(onednn_node* n) {
  if (n == NULL) return;
  for (int i = 0; i < n->n_steps; i++) dnnl_primitive_destroy(n->steps[i].primitive);
  for (int i = 0; i < n->n_memories; i++) dnnl_memory_destroy(n->memories[i]);
  free(n);
}

static ep_status onednn_prepare_node(void* ctx_, const ep_graph* graph, const ep_node* node,
                                     const ep_layout* layouts, ep_node_prepared* prepared) {
  const onednn_ctx* ctx = ctx_;
  /* Only this backend's plan blocks the tensors of its nodes, and only for the ops that read
   * and write them so (onednn_layout.c): anything else is a bug of the plan's. */
  for (int k = 0; k < node->n_inputs + node->n_outputs; k++) {
    int t = k < node->n_inputs ? node->inputs[k] : node->outputs[k - node->n_inputs];
    if (t < 0 || layouts[t] == EP_LAYOUT_NCHW) continue;
    const ep_shape* shape = &ep_graph_tensor(graph, t)->shape;
    if (layouts[t] != EP_LAYOUT_NCHW8C || !ops[node->op].blocked || shape->rank != 4 ||
        shape->dims[1] % 8 != 0) {
      return ep_error(EP_ERR_UNSUPPORTED, "node %s (%s): oneDNN cannot take tensor %s blocked",
                      node->name, ep_op_name(node->op), ep_graph_tensor(graph, t)->name);
    }
  }
  onednn_node* n = calloc(1, sizeof *n);
  if (n == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  omp_set_num_threads(ctx->threads);
  ep_status status = ops[node->op].prepare(ctx, graph, node, layouts, n);
  if (status != EP_OK) {
    destroy_program(n);
    return status;
  }
  prepared->state = n;
  prepared->packed_bytes = n->packed_bytes;
  prepared->workspace_floats = n->workspace_floats;
  return EP_OK;
}

static void onednn_run_node(void* ctx_, const void* state, const ep_graph* graph,
                            const ep_node* node, const ep_node_io* io) {
  (void)graph;
  (void)node;
  const onednn_ctx* ctx = ctx_;
  const onednn_node* n = state;
  omp_set_num_threads(ctx->threads);
  for (int i = 0; i < n->n_binds; i++) {
    const onednn_bind* b = &n->binds[i];
    /* oneDNN never writes a source: dropping const for an input is safe. Worker 0's share of
     * the scratch is the calling thread's, which runs the node (OpenMP's thread 0). */
    void* data = b->kind == BIND_OUTPUT  ? (void*)io->out[b->index]
                 : b->kind == BIND_INPUT ? (void*)io->in[b->index]
                                         : (void*)(io->workspace + b->index);
    dnnl_memory_set_data_handle(b->memory, data);
  }
  if (n->copy_bytes > 0) memcpy(io->out[0], io->in[n->copy_input], n->copy_bytes);
  for (int i = 0; i < n->n_steps; i++) {
    const onednn_step* s = &n->steps[i];
    dnnl_primitive_execute(s->primitive, ctx->stream, s->n_args, s->args);
  }
  dnnl_stream_wait(ctx->stream);
}

static void onednn_destroy_node(void* ctx, const ep_node* node, void* state) {
  (void)ctx;
  (void)node;
  destroy_program(state);
}

const ep_backend_i ep_backend_onednn = {
    .name = "onednn",
    .available = onednn_available,
    .describe = onednn_describe,
    .create = onednn_create,
    .destroy = onednn_destroy,
    .supports_node = onednn_supports_node,
    .plan_layouts = ep_onednn_plan_layouts,
    .prepare_node = onednn_prepare_node,
    .run_node = onednn_run_node,
    .destroy_node = onednn_destroy_node,
};

/* The XNNPACK backend (Debian's libxnnpack-dev, a 2022 snapshot of the operator API): the
 * interface of runtime/backend.h, the per-session context (a pthreadpool) and the node programs
 * of xnnpack_internal.h.
 *
 * Threads: XNNPACK parallelizes on a pthreadpool, one per session context with the session's
 * thread count (none for one thread: XNNPACK then runs on the caller). The calling thread is the
 * pool's thread 0, as in the session's own pool, which pins it; where the session has a CPU set,
 * create pins pthreadpool worker i (i >= 1) to cpus[i % n_cpus] as the session pool pins its
 * worker i (pthreadpool has no affinity API: one task per thread, held at a barrier so that no
 * thread takes two, pins the thread that runs it). */
#define _GNU_SOURCE
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backends/xnnpack/xnnpack_internal.h"

#ifndef EP_XNNPACK_VERSION
#define EP_XNNPACK_VERSION "unknown version"
#endif

typedef struct op_entry {
  bool (*supports)(const ep_graph* g, const ep_node* node);
  ep_status (*prepare)(const ep_graph* g, const ep_node* node, xnnpack_node* n);
} op_entry;

/* The ops this backend runs; every other op (Tanh: this XNNPACK has no f32 one; LogSoftmax, LRN,
 * LSTM, ...), and every node its `supports` declines, runs on the CPU backend. */
static const op_entry ops[EP_OP_COUNT] = {
    [EP_OP_CONV] = {ep_xnnpack_conv_supports, ep_xnnpack_conv_prepare},
    [EP_OP_FULLY_CONNECTED] = {ep_xnnpack_fc_supports, ep_xnnpack_fc_prepare},
    [EP_OP_MAX_POOL] = {ep_xnnpack_pool_supports, ep_xnnpack_pool_prepare},
    [EP_OP_AVG_POOL] = {ep_xnnpack_pool_supports, ep_xnnpack_pool_prepare},
    [EP_OP_GLOBAL_AVG_POOL] = {ep_xnnpack_pool_supports, ep_xnnpack_pool_prepare},
    [EP_OP_RELU] = {ep_xnnpack_unary_supports, ep_xnnpack_unary_prepare},
    [EP_OP_RELU6] = {ep_xnnpack_unary_supports, ep_xnnpack_unary_prepare},
    [EP_OP_SIGMOID] = {ep_xnnpack_unary_supports, ep_xnnpack_unary_prepare},
    [EP_OP_LEAKY_RELU] = {ep_xnnpack_unary_supports, ep_xnnpack_unary_prepare},
    [EP_OP_CLIP] = {ep_xnnpack_unary_supports, ep_xnnpack_unary_prepare},
    [EP_OP_SOFTMAX] = {ep_xnnpack_softmax_supports, ep_xnnpack_softmax_prepare},
    [EP_OP_CONCAT] = {ep_xnnpack_concat_supports, ep_xnnpack_concat_prepare},
    [EP_OP_ADD] = {ep_xnnpack_binary_supports, ep_xnnpack_binary_prepare},
    [EP_OP_SUB] = {ep_xnnpack_binary_supports, ep_xnnpack_binary_prepare},
    [EP_OP_MUL] = {ep_xnnpack_binary_supports, ep_xnnpack_binary_prepare},
    [EP_OP_DIV] = {ep_xnnpack_binary_supports, ep_xnnpack_binary_prepare},
};

/* --- availability and version -------------------------------------------------------------- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static enum xnn_status init_status;

/* XNNPACK is initialized once for the process and never deinitialized (sessions come and go). */
static void init(void) { init_status = xnn_initialize(NULL); }

static bool xnnpack_available(char* why, size_t why_size) {
  pthread_once(&init_once, init);
  if (init_status == xnn_status_success) return true;
  if (why != NULL && why_size > 0) {
    snprintf(
        why, why_size, "xnn_initialize failed: %s%s", ep_xnnpack_status_name(init_status),
        init_status == xnn_status_unsupported_hardware ? " (this CPU lacks what it needs)" : "");
  }
  return false;
}

static const char* xnnpack_describe(void) {
  return "XNNPACK " EP_XNNPACK_VERSION " (operator API, pthreadpool; NCHW <-> NHWC per node)";
}

/* --- helpers for the op files -------------------------------------------------------------- */

const char* ep_xnnpack_status_name(enum xnn_status s) {
  switch (s) {
    case xnn_status_success:
      return "success";
    case xnn_status_uninitialized:
      return "uninitialized";
    case xnn_status_invalid_parameter:
      return "invalid parameter";
    case xnn_status_invalid_state:
      return "invalid state";
    case xnn_status_unsupported_parameter:
      return "unsupported parameter";
    case xnn_status_unsupported_hardware:
      return "unsupported hardware";
    case xnn_status_out_of_memory:
      return "out of memory";
  }
  return "unknown status";
}

ep_status ep_xnnpack_fail(const ep_node* node, const char* what, enum xnn_status s) {
  return ep_error(s == xnn_status_out_of_memory ? EP_ERR_OUT_OF_MEMORY : EP_ERR_UNSUPPORTED,
                  "node %s (%s): XNNPACK %s failed: %s", node->name, ep_op_name(node->op), what,
                  ep_xnnpack_status_name(s));
}

xnnpack_step* ep_xnnpack_add_step(xnnpack_node* n, xnnpack_step_kind kind) {
  if (n->n_steps == n->cap_steps) {
    int cap = n->cap_steps > 0 ? 2 * n->cap_steps : 4;
    xnnpack_step* steps = realloc(n->steps, (size_t)cap * sizeof *steps);
    if (steps == NULL) return NULL;
    n->steps = steps;
    n->cap_steps = cap;
  }
  xnnpack_step* s = &n->steps[n->n_steps++];
  memset(s, 0, sizeof *s);
  s->kind = kind;
  return s;
}

enum { ALIGN_FLOATS = 16, MARGIN_FLOATS = (XNN_EXTRA_BYTES + sizeof(float) - 1) / sizeof(float) };

size_t ep_xnnpack_scratch(xnnpack_node* n, size_t floats) {
  size_t start = n->workspace_floats;
  floats += MARGIN_FLOATS;
  n->workspace_floats += (floats + ALIGN_FLOATS - 1) / ALIGN_FLOATS * ALIGN_FLOATS;
  return start;
}

ep_status ep_xnnpack_input_ref(xnnpack_node* n, const ep_graph* g, const ep_node* node, int i,
                               xnnpack_ref* ref_out) {
  const ep_tensor* t = ep_graph_tensor(g, node->inputs[i]);
  if (t->kind != EP_TENSOR_CONSTANT) {
    *ref_out = xnnpack_ref_of(REF_INPUT, (size_t)i);
    return EP_OK;
  }
  if (n->n_owned == XNNPACK_MAX_OWNED) {
    return ep_error(EP_ERR_UNSUPPORTED, "node %s: too many constant inputs", node->name);
  }
  size_t count = (size_t)ep_shape_numel(&t->shape);
  float* copy = calloc(count + MARGIN_FLOATS, sizeof *copy);
  if (copy == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  memcpy(copy, t->data, count * sizeof *copy);
  n->owned[n->n_owned++] = copy;
  n->packed_bytes += count * sizeof *copy;
  *ref_out = (xnnpack_ref){REF_OWNED, 0, 0, copy};
  return EP_OK;
}

bool ep_xnnpack_act_range(ep_activation act, float* min_out, float* max_out) {
  switch (act) {
    case EP_ACT_NONE:
    case EP_ACT_SIGMOID: /* a step of its own after the op */
      *min_out = -INFINITY, *max_out = INFINITY;
      return true;
    case EP_ACT_RELU:
      *min_out = 0.0f, *max_out = INFINITY;
      return true;
    case EP_ACT_RELU6:
      *min_out = 0.0f, *max_out = 6.0f;
      return true;
    case EP_ACT_TANH:
    case EP_ACT_SILU: /* no f32 swish in this XNNPACK: the node runs on cpu */
    case EP_ACT_HARD_SWISH: /* this XNNPACK has hardswish as an op, not as a clamp */
    case EP_ACT_HARD_SIGMOID:
    case EP_ACT_GELU: /* no GELU clamp: the node runs on cpu */
    case EP_ACT_GELU_TANH:
      return false;
  }
  return false;
}

ep_status ep_xnnpack_add_sigmoid(xnnpack_node* n, const ep_node* node, ep_activation act,
                                 size_t count) {
  if (act != EP_ACT_SIGMOID) return EP_OK;
  xnnpack_step* s = ep_xnnpack_add_step(n, STEP_ROWS);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  enum xnn_status st = xnn_create_sigmoid_nc_f32(count, count, count, 0, &s->op);
  if (st != xnn_status_success) return ep_xnnpack_fail(node, "create_sigmoid_nc_f32", st);
  s->rows_setup = xnn_setup_sigmoid_nc_f32;
  s->x = xnnpack_ref_of(REF_OUTPUT, 0); /* in place: XNNPACK's element-wise ops allow it */
  s->y = xnnpack_ref_of(REF_OUTPUT, 0);
  s->batch = 1;
  return EP_OK;
}

void ep_xnnpack_set_transpose(xnnpack_step* s, bool to_nhwc, xnnpack_ref from, xnnpack_ref to,
                              size_t batch, size_t c, size_t hw) {
  s->kind = to_nhwc ? STEP_TO_NHWC : STEP_TO_NCHW;
  s->x = from;
  s->y = to;
  s->batch = batch;
  s->c = c;
  s->h = hw;
}

/* --- the interface ----------------------------------------------------------------------- */

typedef struct pin_job {
  atomic_int arrived, next_worker;
  int threads;
  pthread_t caller;
  const int* cpus;
  int n_cpus;
} pin_job;

static void pin_task(void* job_, size_t index) {
  (void)index;
  pin_job* job = job_;
  atomic_fetch_add(&job->arrived, 1);
  /* Every thread holds its one task until all have one: none finishes early and steals another.
   * Bounded (1 s) so that a pool that runs tasks otherwise cannot hang a session's creation. */
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (atomic_load(&job->arrived) < job->threads) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec > 1) break;
    sched_yield();
  }
  if (pthread_equal(pthread_self(), job->caller)) return; /* the session pool pins it */
  int i = atomic_fetch_add(&job->next_worker, 1);
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(job->cpus[i % job->n_cpus], &set);
  pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static ep_status xnnpack_create(const ep_graph* graph, const ep_backend_config* config,
                                void** ctx_out) {
  (void)graph;
  pthread_once(&init_once, init);
  if (init_status != xnn_status_success) {
    return ep_error(EP_ERR_UNSUPPORTED, "xnn_initialize failed: %s",
                    ep_xnnpack_status_name(init_status));
  }
  xnnpack_ctx* ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for an XNNPACK context");
  ctx->threads = config->threads;
  if (ctx->threads > 1) {
    ctx->pool = pthreadpool_create((size_t)ctx->threads);
    if (ctx->pool == NULL) {
      free(ctx);
      return ep_error(EP_ERR_OUT_OF_MEMORY, "cannot create a pthreadpool of %d threads",
                      config->threads);
    }
    if (config->cpus != NULL && config->n_cpus > 0) {
      pin_job job = {.threads = ctx->threads,
                     .caller = pthread_self(),
                     .cpus = config->cpus,
                     .n_cpus = config->n_cpus};
      atomic_init(&job.arrived, 0);
      atomic_init(&job.next_worker, 1);
      pthreadpool_parallelize_1d(ctx->pool, pin_task, &job, (size_t)ctx->threads, 0);
    }
  }
  *ctx_out = ctx;
  return EP_OK;
}

static void xnnpack_destroy(void* ctx_) {
  xnnpack_ctx* ctx = ctx_;
  if (ctx == NULL) return;
  if (ctx->pool != NULL) pthreadpool_destroy(ctx->pool);
  free(ctx);
}

static bool xnnpack_supports_node(void* ctx, const ep_graph* graph, const ep_node* node) {
  (void)ctx;
  if ((unsigned)node->op >= EP_OP_COUNT || ops[node->op].supports == NULL) return false;
  for (int i = 0; i < node->n_outputs; i++) {
    if (ep_shape_numel(xnnpack_out_shape(graph, node, i)) == 0) return false;
  }
  return ops[node->op].supports(graph, node);
}

static void destroy_program(xnnpack_node* n) {
  if (n == NULL) return;
  for (int i = 0; i < n->n_steps; i++) {
    if (n->steps[i].op != NULL) xnn_delete_operator(n->steps[i].op);
  }
  for (int i = 0; i < n->n_owned; i++) free(n->owned[i]);
  free(n->steps);
  free(n);
}

static ep_status xnnpack_prepare_node(void* ctx, const ep_graph* graph, const ep_node* node,
                                      const ep_layout* layouts, ep_node_prepared* prepared) {
  (void)ctx;
  /* Only the CPU backend's plan blocks tensors, and only between its own nodes. */
  for (int k = 0; k < node->n_inputs + node->n_outputs; k++) {
    int t = k < node->n_inputs ? node->inputs[k] : node->outputs[k - node->n_inputs];
    if (t >= 0 && layouts[t] != EP_LAYOUT_NCHW) {
      return ep_error(EP_ERR_UNSUPPORTED, "node %s (%s): XNNPACK cannot take tensor %s blocked",
                      node->name, ep_op_name(node->op), ep_graph_tensor(graph, t)->name);
    }
  }
  xnnpack_node* n = calloc(1, sizeof *n);
  if (n == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  ep_status status = ops[node->op].prepare(graph, node, n);
  if (status != EP_OK) {
    destroy_program(n);
    return status;
  }
  prepared->state = n;
  prepared->packed_bytes = n->packed_bytes;
  prepared->workspace_floats = n->workspace_floats;
  return EP_OK;
}

static float* resolve(const xnnpack_ref* r, const ep_node_io* io) {
  float* base = r->kind == REF_INPUT    ? (float*)io->in[r->index]
                : r->kind == REF_OUTPUT ? io->out[r->index]
                : r->kind == REF_OWNED  ? (float*)r->owned
                                        : io->workspace + r->index;
  return base + r->offset;
}

/* Setup takes the buffers of this run (the same on every run of a session: XNNPACK then keeps
 * its indirection buffers and only checks); it cannot fail after prepare's checks. */
static void run_step(const xnnpack_step* s, const ep_node_io* io, pthreadpool_t pool) {
  const float* x = resolve(&s->x, io);
  float* y = resolve(&s->y, io);
  enum xnn_status st = xnn_status_success;
  switch (s->kind) {
    case STEP_TO_NHWC:
      ep_xnnpack_transpose(pool, s->batch, s->c, s->h, x, y);
      return;
    case STEP_TO_NCHW:
      ep_xnnpack_transpose(pool, s->batch, s->h, s->c, x, y);
      return;
    case STEP_CONV:
      st = xnn_setup_convolution2d_nhwc_f32(s->op, s->batch, s->h, s->w, x, y, pool);
      break;
    case STEP_MAX_POOL:
      st = xnn_setup_max_pooling2d_nhwc_f32(s->op, s->batch, s->h, s->w, x, y, pool);
      break;
    case STEP_AVG_POOL:
      st = xnn_setup_average_pooling2d_nhwc_f32(s->op, s->batch, s->h, s->w, x, y, pool);
      break;
    case STEP_GLOBAL_AVG:
      st = xnn_setup_global_average_pooling_nwc_f32(s->op, s->batch, s->w, x, y, pool);
      break;
    case STEP_ROWS:
      st = s->rows_setup(s->op, s->batch, x, y, pool);
      break;
    case STEP_COPY:
      st = xnn_setup_copy_nc_x32(s->op, s->batch, x, y, pool);
      break;
    case STEP_BINARY:
      st = s->binary_setup(s->op, s->rank_a, s->shape_a, s->rank_b, s->shape_b, x,
                           resolve(&s->x2, io), y, pool);
      break;
  }
  if (st == xnn_status_success) xnn_run_operator(s->op, pool);
}

static void xnnpack_run_node(void* ctx_, const void* state, const ep_graph* graph,
                             const ep_node* node, const ep_node_io* io) {
  (void)graph;
  (void)node;
  const xnnpack_ctx* ctx = ctx_;
  const xnnpack_node* n = state;
  for (int i = 0; i < n->n_steps; i++) run_step(&n->steps[i], io, ctx->pool);
}

static void xnnpack_destroy_node(void* ctx, const ep_node* node, void* state) {
  (void)ctx;
  (void)node;
  destroy_program(state);
}

const ep_backend_i ep_backend_xnnpack = {
    .name = "xnnpack",
    .available = xnnpack_available,
    .describe = xnnpack_describe,
    .create = xnnpack_create,
    .destroy = xnnpack_destroy,
    .supports_node = xnnpack_supports_node,
    .prepare_node = xnnpack_prepare_node,
    .run_node = xnnpack_run_node,
    .destroy_node = xnnpack_destroy_node,
};

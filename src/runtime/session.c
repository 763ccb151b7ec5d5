/* Session: compile a graph once (backends per node, packed weights, arena plan, pool), run it
 * many times. Backend-agnostic: runtime/backend.h says what a backend provides. */
#include "edgeprof/session.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/platform.h"
#include "kernels/f32-nchwc/nchwc.h"
#include "core/aligned_alloc.h"
#include "core/threadpool.h"
#include "runtime/backend.h"
#include "runtime/memory_plan.h"
#include "runtime/node_work.h"
#include "runtime/session_internal.h"

/* The backends one session uses: the one asked for, and the CPU backend for what it lacks. */
enum { MAX_SESSION_BACKENDS = 2 };

typedef struct session_backend {
  const ep_backend_i* iface;
  void* ctx;
} session_backend;

typedef struct node_exec {
  const session_backend* backend;
  ep_node_prepared prepared;
  bool prepared_ok; /* prepared.state is the backend's to release */
  bool in_place;    /* a concat whose inputs were written into its output: nothing to run */
  bool split;       /* enough work to hand to the thread pool; else run on the calling thread */
  const float** in;
  float** out;
} node_exec;

struct ep_session {
  const ep_graph* graph;
  ep_graph* consumable; /* the graph again when created consuming it, else NULL */
  int threads;
  session_backend backends[MAX_SESSION_BACKENDS]; /* [0]: the one asked for */
  int n_backends;
  ep_threadpool* pool;
  float* arena;
  size_t arena_bytes;
  float** tensor_ptr; /* per tensor; constants point into the graph */
  ep_layout* layout;  /* per tensor (backends/cpu/layout_plan.h) */
  /* Where a range starts or ends between blocked tensors' producer and reader, those tensors
   * are converted in place, 8 channels at a time, through this buffer (the largest 8-channel
   * block of a blocked tensor); NULL if none. */
  float* layout_scratch;
  size_t layout_scratch_floats;
  int* cut_ids; /* ep_graph_cut_tensors' list, sized for every tensor; NULL if none blocked */
  node_exec* nodes;
  int n_nodes;
  float* workspace;
  size_t workspace_stride; /* floats per thread */
  size_t packed_bytes;
  ep_node_callback callback;
  void* callback_user;
};

enum { WORKSPACE_ALIGN_FLOATS = 16 };

/* Where each tensor's storage lies: inside tensor parent[t] at offset[t] bytes, or its own
 * buffer (parent -1). A view (reshape, flatten) lies at its input's start; an input of a
 * concatenation written in place lies in the concat's output at its offset along the axis. */
typedef struct storage_map {
  int* parent;
  size_t* offset;
} storage_map;

/* The tensor that owns t's buffer, and t's offset in it. */
static int storage_root(const storage_map* m, int t, size_t* offset_out) {
  size_t offset = 0;
  while (m->parent[t] >= 0) {
    offset += m->offset[t];
    t = m->parent[t];
  }
  *offset_out = offset;
  return t;
}

static void map_views(const ep_session* s, storage_map* m) {
  const ep_graph* g = s->graph;
  for (int t = 0; t < ep_graph_tensor_count(g); t++) {
    const ep_tensor* tensor = ep_graph_tensor(g, t);
    m->parent[t] = -1;
    m->offset[t] = 0;
    if (tensor->producer < 0) continue;
    const ep_backend_i* b = s->nodes[tensor->producer].backend->iface;
    const ep_node* node = ep_graph_node(g, tensor->producer);
    if (b->is_view != NULL && b->is_view(g, node)) m->parent[t] = node->inputs[0];
  }
}

/* Whether input t of a concatenation may be written straight into its output: an activation
 * with its own buffer (not a view, not placed in another concat yet) that is not where the
 * output itself lies. Other readers of t are no obstacle: they read it there. */
static bool placeable(const ep_session* s, const storage_map* m, int t, int y) {
  const ep_tensor* tensor = ep_graph_tensor(s->graph, t);
  size_t unused;
  return tensor->kind == EP_TENSOR_ACTIVATION && tensor->producer >= 0 && m->parent[t] < 0 &&
         storage_root(m, y, &unused) != t;
}

static size_t tensor_bytes(const ep_graph* g, int t) {
  const ep_tensor* tensor = ep_graph_tensor(g, t);
  return (size_t)ep_shape_numel(&tensor->shape) * ep_dtype_size(tensor->dtype);
}

/* Concatenations without copies (DenseNet, Inception): along an axis with nothing but size-1
 * dims before it (channels at batch 1), each input is one contiguous run of the output, so its
 * producer can write it there. Walking the concats of the CPU backend from the last to the
 * first: a concat whose inputs already lie side by side, in order, in one buffer (DenseNet's
 * layer inputs, prefixes of the block's final concat) becomes a view of them; otherwise its
 * inputs that can are placed in its output (which may itself lie in a later concat's). A concat
 * whose inputs all lie where it would copy them runs nothing. EDGEPROF_CONCAT=copy turns this
 * off (to compare). */
static void plan_concats(ep_session* s, storage_map* m) {
  const char* env = getenv("EDGEPROF_CONCAT");
  if (env != NULL && strcmp(env, "copy") == 0) return;
  const ep_graph* g = s->graph;
  for (int i = s->n_nodes - 1; i >= 0; i--) {
    const ep_node* node = ep_graph_node(g, i);
    if (node->op != EP_OP_CONCAT || s->nodes[i].backend->iface != &ep_backend_cpu) continue;
    const int y = node->outputs[0];
    const ep_shape* ys = &ep_graph_tensor(g, y)->shape;
    const int axis = node->attrs.axis < 0 ? node->attrs.axis + ys->rank : node->attrs.axis;
    int64_t outer = 1;
    for (int d = 0; d < axis; d++) outer *= ys->dims[d];
    /* Float tensors only: the int64 ones are small shape arithmetic. */
    bool inputs_ok = outer == 1 && node->n_inputs > 0 &&
                     ep_graph_tensor(g, y)->dtype == EP_DTYPE_FLOAT32;
    for (int k = 0; k < node->n_inputs && inputs_ok; k++) inputs_ok = node->inputs[k] >= 0;
    if (!inputs_ok) continue;
    /* Already side by side: the output is a view of them. */
    size_t first_offset = 0, expect = 0;
    const int root = storage_root(m, node->inputs[0], &first_offset);
    bool adjacent = m->parent[y] < 0 && m->parent[node->inputs[0]] >= 0 && root != y;
    for (int k = 0; k < node->n_inputs && adjacent; k++) {
      size_t off;
      adjacent = storage_root(m, node->inputs[k], &off) == root && off == first_offset + expect;
      expect += tensor_bytes(g, node->inputs[k]);
    }
    if (adjacent) {
      m->parent[y] = root;
      m->offset[y] = first_offset;
      s->nodes[i].in_place = true;
      continue;
    }
    size_t y_offset;
    const int y_root = storage_root(m, y, &y_offset);
    bool all_in_place = true;
    size_t at = 0;
    for (int k = 0; k < node->n_inputs; k++) {
      const int t = node->inputs[k];
      bool repeated = false; /* concat(a, a): a lies at its first offset only */
      for (int j = 0; j < k; j++) repeated = repeated || node->inputs[j] == t;
      if (!repeated && placeable(s, m, t, y)) {
        m->parent[t] = y;
        m->offset[t] = at;
      }
      size_t off;
      all_in_place = all_in_place && storage_root(m, t, &off) == y_root && off == y_offset + at;
      at += tensor_bytes(g, t);
    }
    s->nodes[i].in_place = all_in_place;
  }
}

/* EDGEPROF_SPLIT_MIN_US (a number of microseconds, 0 splits every node) in nanoseconds, or -1
 * where it is unset or not a number: then EP_THREADPOOL_SPLIT_MIN_NS applies. */
static double split_min_ns(void) {
  const char* env = getenv("EDGEPROF_SPLIT_MIN_US");
  if (env == NULL || *env == '\0') return -1.0;
  char* end = NULL;
  const double us = strtod(env, &end);
  return *end == '\0' && us >= 0.0 ? us * 1000.0 : -1.0;
}

/* Starts the backends: the one asked for (default "cpu") and, behind it, the CPU backend. */
static ep_status create_backends(ep_session* s, const ep_session_options* options) {
  const char* name = options->backend != NULL ? options->backend : "cpu";
  const ep_backend_i* asked = ep_backend_find(name);
  if (asked == NULL) {
    char names[128] = "";
    size_t used = 0;
    for (int i = 0; i < ep_backend_count() && used < sizeof names - 1; i++) {
      int n = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                       ep_backend_at(i)->name);
      if (n > 0) used += (size_t)n;
    }
    return ep_error(EP_ERR_INVALID_ARGUMENT, "no backend named '%s' in this build (it has: %s)",
                    name, names);
  }
  char why[256] = "";
  if (asked->available != NULL && !asked->available(why, sizeof why)) {
    return ep_error(EP_ERR_UNSUPPORTED, "backend %s is not available here: %s", name, why);
  }
  ep_backend_config config = {s->threads, options->cpus, options->n_cpus};
  const ep_backend_i* list[MAX_SESSION_BACKENDS] = {asked, &ep_backend_cpu};
  int n = asked == &ep_backend_cpu ? 1 : 2;
  for (int i = 0; i < n; i++) {
    session_backend* b = &s->backends[s->n_backends];
    b->iface = list[i];
    if (list[i]->create != NULL) {
      ep_status status = list[i]->create(s->graph, &config, &b->ctx);
      if (status != EP_OK) return status;
    }
    s->n_backends++;
  }
  return EP_OK;
}

/* Whether every tensor the node reads or writes is float32: only the CPU backend is given
 * nodes with int64 or bool tensors (the others' interfaces are float-only). */
static bool all_float(const ep_graph* g, const ep_node* node) {
  for (int k = 0; k < node->n_inputs; k++) {
    if (node->inputs[k] >= 0 && ep_graph_tensor(g, node->inputs[k])->dtype != EP_DTYPE_FLOAT32) {
      return false;
    }
  }
  for (int k = 0; k < node->n_outputs; k++) {
    if (ep_graph_tensor(g, node->outputs[k])->dtype != EP_DTYPE_FLOAT32) return false;
  }
  return true;
}

/* Gives every node to the first backend that runs it; fails naming the nodes none runs. */
static ep_status assign_nodes(ep_session* s) {
  const ep_graph* g = s->graph;
  char list[400] = "";
  size_t used = 0;
  int missing = 0;
  for (int i = 0; i < s->n_nodes; i++) {
    const ep_node* node = ep_graph_node(g, i);
    for (int k = 0; k < s->n_backends && s->nodes[i].backend == NULL; k++) {
      const session_backend* b = &s->backends[k];
      if (b->iface != &ep_backend_cpu && !all_float(g, node)) continue;
      if (b->iface->supports_node(b->ctx, g, node)) s->nodes[i].backend = b;
    }
    if (s->nodes[i].backend != NULL) continue;
    missing++;
    if (used < sizeof list - 1) {
      int n = snprintf(list + used, sizeof list - used, "%s%s (%s)", missing > 1 ? ", " : "",
                       node->name, ep_op_name(node->op));
      if (n > 0) used += (size_t)n;
    }
  }
  if (missing > 0) {
    return ep_error(EP_ERR_UNSUPPORTED, "the CPU backend cannot run %d node(s): %s", missing, list);
  }
  return EP_OK;
}

static ep_status plan_arena(ep_session* s) {
  const ep_graph* g = s->graph;
  int n_tensors = ep_graph_tensor_count(g);
  int n_nodes = ep_graph_node_count(g);
  ep_status status = EP_OK;
  int* root = malloc((size_t)n_tensors * sizeof *root);
  size_t* root_offset = malloc((size_t)n_tensors * sizeof *root_offset);
  int* request_of = malloc((size_t)n_tensors * sizeof *request_of);
  ep_buffer_request* requests = calloc((size_t)n_tensors, sizeof *requests);
  size_t* offsets = calloc((size_t)n_tensors, sizeof *offsets);
  storage_map map = {malloc((size_t)n_tensors * sizeof(int)),
                     malloc((size_t)n_tensors * sizeof(size_t))};
  if (!root || !root_offset || !request_of || !requests || !offsets || !map.parent ||
      !map.offset) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory planning the activation arena");
    goto cleanup;
  }
  map_views(s, &map);
  plan_concats(s, &map);
  int n_requests = 0;
  for (int t = 0; t < n_tensors; t++) {
    root[t] = storage_root(&map, t, &root_offset[t]);
    request_of[t] = -1;
  }
  /* One request per storage root; its lifetime covers every tensor that lies in it: views, and
   * concat inputs written before the concat's output would be. */
  for (int t = 0; t < n_tensors; t++) {
    const ep_tensor* tensor = ep_graph_tensor(g, t);
    const ep_tensor* owner = ep_graph_tensor(g, root[t]);
    if (owner->kind == EP_TENSOR_CONSTANT) continue;
    int first = tensor->kind == EP_TENSOR_INPUT ? -1 : tensor->producer;
    int r = request_of[root[t]];
    if (r < 0) {
      r = request_of[root[t]] = n_requests++;
      requests[r].bytes = (size_t)ep_shape_numel(&owner->shape) * ep_dtype_size(owner->dtype);
      requests[r].first = requests[r].last = first;
    }
    if (first < requests[r].first) requests[r].first = first;
    /* Graph inputs and outputs live through the whole run: inputs so that a session can run
     * again on the same input (as benchmarks do), outputs so that they can be read after it. */
    bool whole_run = tensor->is_output || owner->kind == EP_TENSOR_INPUT;
    int last = whole_run ? n_nodes : tensor->last_consumer;
    if (last > requests[r].last) requests[r].last = last;
  }
  status = ep_memory_plan(requests, n_requests, offsets, &s->arena_bytes);
  if (status != EP_OK) goto cleanup;
  s->arena = ep_aligned_alloc(s->arena_bytes);
  if (s->arena == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for a %zu-byte activation arena",
                      s->arena_bytes);
    goto cleanup;
  }
  memset(s->arena, 0, s->arena_bytes);
  for (int t = 0; t < n_tensors; t++) {
    const ep_tensor* owner = ep_graph_tensor(g, root[t]);
    s->tensor_ptr[t] = owner->kind == EP_TENSOR_CONSTANT
                           ? owner->data
                           : (float*)((char*)s->arena + offsets[request_of[root[t]]] +
                                      root_offset[t]);
  }

cleanup:
  free(map.parent);
  free(map.offset);
  free(root_offset);
  free(root);
  free(request_of);
  free(requests);
  free(offsets);
  return status;
}

/* Each backend that plans layouts does so over its own nodes; the rest stays NCHW. */
static ep_status plan_layouts(ep_session* s) {
  const ep_graph* g = s->graph;
  int n_tensors = ep_graph_tensor_count(g);
  bool* owned = malloc(((size_t)s->n_nodes + 1) * sizeof *owned);
  if (owned == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory planning layouts");
  ep_status status = EP_OK;
  for (int k = 0; k < s->n_backends && status == EP_OK; k++) {
    const session_backend* b = &s->backends[k];
    if (b->iface->plan_layouts == NULL) continue;
    for (int i = 0; i < s->n_nodes; i++) owned[i] = s->nodes[i].backend == b;
    status = b->iface->plan_layouts(b->ctx, g, owned, s->layout);
  }
  free(owned);
  if (status != EP_OK) return status;
  for (int t = 0; t < n_tensors; t++) {
    if (s->layout[t] != EP_LAYOUT_NCHW8C) continue;
    const ep_shape* shape = &ep_graph_tensor(g, t)->shape;
    size_t block = (size_t)(EP_NCHWC_BLOCK * shape->dims[2] * shape->dims[3]);
    if (block > s->layout_scratch_floats) s->layout_scratch_floats = block;
  }
  if (s->layout_scratch_floats == 0) return EP_OK;
  s->layout_scratch = ep_aligned_alloc(s->layout_scratch_floats * sizeof(float));
  s->cut_ids = malloc((size_t)n_tensors * sizeof *s->cut_ids);
  if (s->layout_scratch == NULL || s->cut_ids == NULL) {
    return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for a %zu-byte layout buffer",
                    s->layout_scratch_floats * sizeof(float));
  }
  return EP_OK;
}

/* A consuming session: per constant, the readers not prepared yet, and whether one of them
 * reads it at run time (then it stays). */
typedef struct release_plan {
  int* readers_left;
  bool* keep;
} release_plan;

/* After node `node` is prepared: its packed constants are unread from now on (the pointers to
 * them go); the last reader of one that no reader keeps releases it from the graph. */
static void release_packed(ep_session* s, release_plan* r, const ep_node* node, node_exec* e) {
  const ep_graph* g = s->graph;
  for (int k = 0; k < node->n_inputs; k++) {
    const int t = node->inputs[k];
    if (t < 0 || ep_graph_tensor(g, t)->kind != EP_TENSOR_CONSTANT) continue;
    const bool packed = k < 32 && (e->prepared.packed_inputs >> k & 1u);
    if (packed) {
      e->in[k] = NULL;
    } else {
      r->keep[t] = true;
    }
    if (--r->readers_left[t] == 0 && !r->keep[t]) {
      ep_graph_release_constant(s->consumable, t);
      s->tensor_ptr[t] = NULL;
    }
  }
}

static ep_status prepare_nodes(ep_session* s) {
  const ep_graph* g = s->graph;
  size_t max_workspace = 0;
  release_plan r = {NULL, NULL};
  if (s->consumable != NULL) {
    const int n_tensors = ep_graph_tensor_count(g);
    r.readers_left = calloc((size_t)n_tensors + 1, sizeof *r.readers_left);
    r.keep = calloc((size_t)n_tensors + 1, sizeof *r.keep);
    if (r.readers_left == NULL || r.keep == NULL) {
      free(r.readers_left);
      free(r.keep);
      return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory preparing the nodes");
    }
    for (int i = 0; i < s->n_nodes; i++) {
      const ep_node* node = ep_graph_node(g, i);
      for (int k = 0; k < node->n_inputs; k++) {
        if (node->inputs[k] >= 0) r.readers_left[node->inputs[k]]++;
      }
    }
    for (int t = 0; t < n_tensors; t++) r.keep[t] = ep_graph_tensor(g, t)->is_output;
  }
  ep_status status = EP_OK;
  for (int i = 0; i < s->n_nodes; i++) {
    const ep_node* node = ep_graph_node(g, i);
    node_exec* e = &s->nodes[i];
    e->in = calloc((size_t)node->n_inputs + 1, sizeof *e->in);
    e->out = calloc((size_t)node->n_outputs + 1, sizeof *e->out);
    if (e->in == NULL || e->out == NULL) {
      status = ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory preparing node %s", node->name);
      goto cleanup;
    }
    for (int k = 0; k < node->n_inputs; k++) {
      e->in[k] = node->inputs[k] >= 0 ? s->tensor_ptr[node->inputs[k]] : NULL; /* absent */
    }
    for (int k = 0; k < node->n_outputs; k++) e->out[k] = s->tensor_ptr[node->outputs[k]];
    const session_backend* b = e->backend;
    status = b->iface->prepare_node(b->ctx, g, node, s->layout, &e->prepared);
    if (status != EP_OK) goto cleanup;
    e->prepared_ok = true;
    if (s->consumable != NULL) release_packed(s, &r, node, e);
    s->packed_bytes += e->prepared.packed_bytes;
    if (e->prepared.workspace_floats > max_workspace) max_workspace = e->prepared.workspace_floats;
  }
  s->workspace_stride = (max_workspace + WORKSPACE_ALIGN_FLOATS - 1) / WORKSPACE_ALIGN_FLOATS *
                        WORKSPACE_ALIGN_FLOATS;
  if (s->workspace_stride > 0) {
    s->workspace = ep_aligned_alloc(s->workspace_stride * (size_t)s->threads * sizeof(float));
    if (s->workspace == NULL) {
      status = ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for kernel scratch (%zu bytes)",
                        s->workspace_stride * (size_t)s->threads * sizeof(float));
    }
  }

cleanup:
  free(r.readers_left);
  free(r.keep);
  return status;
}

/* A constant released by an earlier consuming session cannot be packed again. */
static ep_status check_constants_present(const ep_graph* graph) {
  for (int i = 0; i < ep_graph_node_count(graph); i++) {
    const ep_node* node = ep_graph_node(graph, i);
    for (int k = 0; k < node->n_inputs; k++) {
      const ep_tensor* t = node->inputs[k] >= 0 ? ep_graph_tensor(graph, node->inputs[k]) : NULL;
      if (t != NULL && t->kind == EP_TENSOR_CONSTANT && t->raw == NULL) {
        return ep_error(EP_ERR_INVALID_ARGUMENT,
                        "graph %s: constant %s was released by a session that consumed the graph",
                        ep_graph_name(graph), t->name);
      }
    }
  }
  return EP_OK;
}

static ep_status create_session(const ep_graph* graph, ep_graph* consumable,
                                const ep_session_options* options, ep_session** session_out) {
  if (graph == NULL || session_out == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_session_create: graph and output are required");
  }
  if (!ep_graph_is_finalized(graph)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "graph %s is not finalized", ep_graph_name(graph));
  }
  ep_status present = check_constants_present(graph);
  if (present != EP_OK) return present;
  ep_session_options defaults = {1, NULL, 0, NULL};
  if (options == NULL) options = &defaults;
  int threads = options->threads == 0 ? 1 : options->threads;
  if (threads < 1 || threads > 1024) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "thread count %d is out of range 1..1024", threads);
  }
  if (options->n_cpus > 0) {
    ep_status st = ep_cpus_check(options->cpus, options->n_cpus);
    if (st != EP_OK) return st;
  }
  ep_status status = EP_OK;
  ep_session* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for a session");
  s->graph = graph;
  s->consumable = consumable;
  s->threads = threads;
  s->n_nodes = ep_graph_node_count(graph);
  s->tensor_ptr = calloc((size_t)ep_graph_tensor_count(graph) + 1, sizeof *s->tensor_ptr);
  s->layout = calloc((size_t)ep_graph_tensor_count(graph) + 1, sizeof *s->layout);
  s->nodes = calloc((size_t)s->n_nodes + 1, sizeof *s->nodes);
  if (s->tensor_ptr == NULL || s->layout == NULL || s->nodes == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for a session");
    goto cleanup;
  }
  status = create_backends(s, options);
  if (status != EP_OK) goto cleanup;
  status = assign_nodes(s);
  if (status != EP_OK) goto cleanup;
  status = plan_arena(s);
  if (status != EP_OK) goto cleanup;
  status = plan_layouts(s);
  if (status != EP_OK) goto cleanup;
  status = prepare_nodes(s);
  if (status != EP_OK) goto cleanup;
  status = ep_threadpool_create(threads, options->cpus, options->n_cpus, &s->pool);
  if (status != EP_OK) goto cleanup;
  /* A node too small to split runs on the calling thread: waking a worker, handing out chunks
   * and waiting for the last one would cost more than the half of the work it saves.
   * EDGEPROF_SPLIT_MIN_US moves the threshold (to measure which nodes gain from splitting). */
  const double min_ns = split_min_ns();
  for (int i = 0; i < s->n_nodes; i++) {
    const double work = ep_node_work_ns(graph, ep_graph_node(graph, i));
    s->nodes[i].split = min_ns < 0 ? ep_threadpool_worth_splitting(s->pool, work)
                                   : ep_threadpool_threads(s->pool) > 1 && work >= min_ns;
  }
  *session_out = s;
  return EP_OK;

cleanup:
  ep_session_destroy(s);
  return status;
}

ep_status ep_session_create(const ep_graph* graph, const ep_session_options* options,
                            ep_session** session_out) {
  return create_session(graph, NULL, options, session_out);
}

ep_status ep_session_create_consuming(ep_graph* graph, const ep_session_options* options,
                                      ep_session** session_out) {
  return create_session(graph, graph, options, session_out);
}

void ep_session_destroy(ep_session* s) {
  if (s == NULL) return;
  ep_threadpool_destroy(s->pool);
  if (s->nodes != NULL) {
    for (int i = 0; i < s->n_nodes; i++) {
      node_exec* e = &s->nodes[i];
      if (e->prepared_ok && e->backend->iface->destroy_node != NULL) {
        e->backend->iface->destroy_node(e->backend->ctx, ep_graph_node(s->graph, i),
                                        e->prepared.state);
      } else {
        free(e->prepared.state);
      }
      free(e->in);
      free(e->out);
    }
  }
  for (int k = 0; k < s->n_backends; k++) {
    if (s->backends[k].iface->destroy != NULL) s->backends[k].iface->destroy(s->backends[k].ctx);
  }
  free(s->nodes);
  free(s->tensor_ptr);
  free(s->layout);
  free(s->layout_scratch);
  free(s->cut_ids);
  free(s->arena);
  free(s->workspace);
  free(s);
}

const ep_graph* ep_session_graph(const ep_session* s) { return s->graph; }

int ep_session_threads(const ep_session* s) { return s->threads; }

float* ep_session_tensor_data(ep_session* s, int tensor) {
  if (tensor < 0 || tensor >= ep_graph_tensor_count(s->graph)) return NULL;
  if (ep_graph_tensor(s->graph, tensor)->kind == EP_TENSOR_CONSTANT) return NULL;
  return s->tensor_ptr[tensor];
}

static ep_status check_count(const ep_session* s, int tensor, size_t count, const char* what) {
  const ep_tensor* t = ep_graph_tensor(s->graph, tensor);
  size_t numel = (size_t)ep_shape_numel(&t->shape);
  if (count != numel) {
    char dims[64];
    return ep_error(EP_ERR_INVALID_ARGUMENT, "%s %s has %zu values (%s), got %zu", what, t->name,
                    numel, ep_shape_format(&t->shape, dims, sizeof dims), count);
  }
  return EP_OK;
}

static ep_status check_dtype(const ep_session* s, int tensor, ep_dtype dtype, const char* what) {
  const ep_tensor* t = ep_graph_tensor(s->graph, tensor);
  if (t->dtype != dtype) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "%s %s is %s, not %s%s", what, t->name,
                    ep_dtype_name(t->dtype), ep_dtype_name(dtype),
                    dtype == EP_DTYPE_FLOAT32 ? " (use the _typed call)" : "");
  }
  return EP_OK;
}

static ep_status check_index(int index, int count, const char* what) {
  if (index < 0 || index >= count) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "%s index %d is out of range (the graph has %d)",
                    what, index, count);
  }
  return EP_OK;
}

ep_status ep_session_set_input_typed(ep_session* s, int input_index, ep_dtype dtype,
                                     const void* data, size_t count) {
  ep_status status = check_index(input_index, ep_graph_input_count(s->graph), "input");
  if (status != EP_OK) return status;
  int tensor = ep_graph_input(s->graph, input_index);
  status = check_dtype(s, tensor, dtype, "input");
  if (status == EP_OK) status = check_count(s, tensor, count, "input");
  if (status != EP_OK) return status;
  memcpy(s->tensor_ptr[tensor], data, count * ep_dtype_size(dtype));
  if (dtype == EP_DTYPE_BOOL) {
    /* Kernels read bools as 0 or 1. */
    uint8_t* b = (uint8_t*)s->tensor_ptr[tensor];
    for (size_t i = 0; i < count; i++) b[i] = b[i] != 0;
  }
  return EP_OK;
}

ep_status ep_session_get_output_typed(ep_session* s, int output_index, ep_dtype dtype, void* data,
                                      size_t count) {
  ep_status status = check_index(output_index, ep_graph_output_count(s->graph), "output");
  if (status != EP_OK) return status;
  int tensor = ep_graph_output(s->graph, output_index);
  status = check_dtype(s, tensor, dtype, "output");
  if (status == EP_OK) status = check_count(s, tensor, count, "output");
  if (status != EP_OK) return status;
  memcpy(data, s->tensor_ptr[tensor], count * ep_dtype_size(dtype));
  return EP_OK;
}

ep_status ep_session_set_input(ep_session* s, int input_index, const float* data, size_t count) {
  return ep_session_set_input_typed(s, input_index, EP_DTYPE_FLOAT32, data, count);
}

ep_status ep_session_get_output(ep_session* s, int output_index, float* data, size_t count) {
  return ep_session_get_output_typed(s, output_index, EP_DTYPE_FLOAT32, data, count);
}

static void run_node(ep_session* s, int i) {
  node_exec* e = &s->nodes[i];
  if (e->in_place) return;
  ep_node_io io = {e->in, e->out, s->workspace, s->workspace_stride, e->split ? s->pool : NULL};
  e->backend->iface->run_node(e->backend->ctx, e->prepared.state, s->graph,
                              ep_graph_node(s->graph, i), &io);
}

/* Converts the blocked tensors crossing the cut at k, in place: to NCHW8c before a range starts
 * there, back to NCHW after one ends there. The cut tensors of a whole run are the graph's
 * inputs and outputs, never blocked, so ep_session_run converts nothing. */
static void convert_cut(ep_session* s, int k, bool to_blocked) {
  if (s->cut_ids == NULL) return;
  const ep_graph* g = s->graph;
  int n = ep_graph_cut_tensors(g, k, s->cut_ids, ep_graph_tensor_count(g));
  for (int i = 0; i < n; i++) {
    int t = s->cut_ids[i];
    if (s->layout[t] != EP_LAYOUT_NCHW8C) continue;
    /* 8 channels of NCHW and one block of NCHW8c occupy the same floats: convert each block's
     * range on its own. */
    const ep_shape* shape = &ep_graph_tensor(g, t)->shape;
    size_t hw = (size_t)(shape->dims[2] * shape->dims[3]);
    size_t blocks = (size_t)(shape->dims[0] * shape->dims[1]) / EP_NCHWC_BLOCK;
    for (size_t b = 0; b < blocks; b++) {
      float* data = s->tensor_ptr[t] + b * EP_NCHWC_BLOCK * hw;
      memcpy(s->layout_scratch, data, EP_NCHWC_BLOCK * hw * sizeof(float));
      if (to_blocked) {
        ep_nchwc_from_nchw(1, EP_NCHWC_BLOCK, hw, s->layout_scratch, data);
      } else {
        ep_nchwc_to_nchw(1, EP_NCHWC_BLOCK, hw, s->layout_scratch, data);
      }
    }
  }
}

ep_status ep_session_run_range(ep_session* s, int first, int end) {
  if (first < 0 || end > s->n_nodes || first > end) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "node range [%d, %d) is outside [0, %d]", first, end,
                    s->n_nodes);
  }
  if (first > 0) convert_cut(s, first, true);
  if (s->callback == NULL) {
    for (int i = first; i < end; i++) run_node(s, i);
  } else {
    for (int i = first; i < end; i++) {
      double start = ep_now();
      run_node(s, i);
      s->callback(s->callback_user, i, ep_now() - start);
    }
  }
  if (end < s->n_nodes) convert_cut(s, end, false);
  return EP_OK;
}

ep_status ep_session_run(ep_session* s) { return ep_session_run_range(s, 0, s->n_nodes); }

void ep_session_set_node_callback(ep_session* s, ep_node_callback callback, void* user) {
  s->callback = callback;
  s->callback_user = user;
}

void ep_session_memory_get(const ep_session* s, ep_session_memory* memory_out) {
  memory_out->weight_bytes = s->packed_bytes;
  memory_out->arena_bytes = s->arena_bytes;
  memory_out->scratch_bytes =
      (s->workspace_stride * (size_t)s->threads + s->layout_scratch_floats) * sizeof(float);
}

ep_layout ep_session_tensor_layout(const ep_session* s, int tensor) {
  if (tensor < 0 || tensor >= ep_graph_tensor_count(s->graph)) return EP_LAYOUT_NCHW;
  return s->layout[tensor];
}

bool ep_session_node_split(const ep_session* s, int node) {
  return node >= 0 && node < s->n_nodes && s->nodes[node].split;
}

const char* ep_session_backend(const ep_session* s) { return s->backends[0].iface->name; }

const char* ep_session_node_backend(const ep_session* s, int node) {
  if (node < 0 || node >= s->n_nodes) return NULL;
  return s->nodes[node].backend->iface->name;
}

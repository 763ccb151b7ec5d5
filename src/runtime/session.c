/* Session: compile a graph once (kernels, packed weights, arena plan, pool), run it many times. */
#include "edgeprof/session.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/platform.h"
#include "kernels/f32-nchwc/nchwc.h"
#include "runtime/layout_plan.h"
#include "runtime/memory_plan.h"
#include "runtime/ops.h"
#include "runtime/threadpool.h"

typedef struct node_exec {
  const op_kernel* kernel;
  op_prepared prepared;
  const float** in;
  float** out;
} node_exec;

struct ep_session {
  const ep_graph* graph;
  int threads;
  ep_threadpool* pool;
  float* arena;
  size_t arena_bytes;
  float** tensor_ptr; /* per tensor; constants point into the graph */
  ep_layout* layout;  /* per tensor (runtime/layout_plan.h) */
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

/* A view (reshape, flatten) shares its input's buffer: follow views back to the tensor that
 * owns the storage. */
static int storage_root(const ep_graph* g, int tensor) {
  for (;;) {
    const ep_tensor* t = ep_graph_tensor(g, tensor);
    if (t->producer < 0) return tensor;
    const ep_node* node = ep_graph_node(g, t->producer);
    const op_kernel* k = ep_op_kernel(node->op);
    if (k == NULL || !k->is_view) return tensor;
    tensor = node->inputs[0];
  }
}

static ep_status check_supported(const ep_graph* g) {
  char list[400] = "";
  size_t used = 0;
  int missing = 0;
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    const ep_node* node = ep_graph_node(g, i);
    if (ep_op_kernel(node->op) != NULL) continue;
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
  int* request_of = malloc((size_t)n_tensors * sizeof *request_of);
  ep_buffer_request* requests = calloc((size_t)n_tensors, sizeof *requests);
  size_t* offsets = calloc((size_t)n_tensors, sizeof *offsets);
  if (!root || !request_of || !requests || !offsets) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory planning the activation arena");
    goto cleanup;
  }
  int n_requests = 0;
  for (int t = 0; t < n_tensors; t++) {
    root[t] = storage_root(g, t);
    request_of[t] = -1;
  }
  /* One request per storage root; its lifetime covers every view of it. */
  for (int t = 0; t < n_tensors; t++) {
    const ep_tensor* tensor = ep_graph_tensor(g, t);
    const ep_tensor* owner = ep_graph_tensor(g, root[t]);
    if (owner->kind == EP_TENSOR_CONSTANT) continue;
    int r = request_of[root[t]];
    if (r < 0) {
      r = request_of[root[t]] = n_requests++;
      requests[r].bytes = (size_t)ep_shape_numel(&owner->shape) * sizeof(float);
      requests[r].first = owner->kind == EP_TENSOR_INPUT ? -1 : owner->producer;
      requests[r].last = requests[r].first;
    }
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
                           : s->arena + offsets[request_of[root[t]]] / sizeof(float);
  }

cleanup:
  free(root);
  free(request_of);
  free(requests);
  free(offsets);
  return status;
}

static ep_status plan_layouts(ep_session* s) {
  const ep_graph* g = s->graph;
  int n_tensors = ep_graph_tensor_count(g);
  ep_status status = ep_layout_plan(g, s->layout);
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

static ep_status prepare_nodes(ep_session* s) {
  const ep_graph* g = s->graph;
  size_t max_workspace = 0;
  for (int i = 0; i < s->n_nodes; i++) {
    const ep_node* node = ep_graph_node(g, i);
    node_exec* e = &s->nodes[i];
    e->kernel = ep_op_kernel(node->op);
    e->in = calloc((size_t)node->n_inputs + 1, sizeof *e->in);
    e->out = calloc((size_t)node->n_outputs + 1, sizeof *e->out);
    if (e->in == NULL || e->out == NULL) {
      return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory preparing node %s", node->name);
    }
    for (int k = 0; k < node->n_inputs; k++) {
      e->in[k] = node->inputs[k] >= 0 ? s->tensor_ptr[node->inputs[k]] : NULL; /* absent */
    }
    for (int k = 0; k < node->n_outputs; k++) e->out[k] = s->tensor_ptr[node->outputs[k]];
    ep_status status = e->kernel->prepare(g, node, s->layout, &e->prepared);
    if (status != EP_OK) return status;
    s->packed_bytes += e->prepared.packed_bytes;
    if (e->prepared.workspace_floats > max_workspace) max_workspace = e->prepared.workspace_floats;
  }
  s->workspace_stride = (max_workspace + WORKSPACE_ALIGN_FLOATS - 1) / WORKSPACE_ALIGN_FLOATS *
                        WORKSPACE_ALIGN_FLOATS;
  if (s->workspace_stride > 0) {
    s->workspace = ep_aligned_alloc(s->workspace_stride * (size_t)s->threads * sizeof(float));
    if (s->workspace == NULL) {
      return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for kernel scratch (%zu bytes)",
                      s->workspace_stride * (size_t)s->threads * sizeof(float));
    }
  }
  return EP_OK;
}

ep_status ep_session_create(const ep_graph* graph, const ep_session_options* options,
                            ep_session** session_out) {
  if (graph == NULL || session_out == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_session_create: graph and output are required");
  }
  if (!ep_graph_is_finalized(graph)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "graph %s is not finalized", ep_graph_name(graph));
  }
  ep_session_options defaults = {1, NULL, 0};
  if (options == NULL) options = &defaults;
  int threads = options->threads == 0 ? 1 : options->threads;
  if (threads < 1 || threads > 1024) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "thread count %d is out of range 1..1024", threads);
  }
  if (options->n_cpus > 0) {
    ep_status st = ep_cpus_check(options->cpus, options->n_cpus);
    if (st != EP_OK) return st;
  }
  ep_status status = check_supported(graph);
  if (status != EP_OK) return status;

  ep_session* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for a session");
  s->graph = graph;
  s->threads = threads;
  s->n_nodes = ep_graph_node_count(graph);
  s->tensor_ptr = calloc((size_t)ep_graph_tensor_count(graph) + 1, sizeof *s->tensor_ptr);
  s->layout = calloc((size_t)ep_graph_tensor_count(graph) + 1, sizeof *s->layout);
  s->nodes = calloc((size_t)s->n_nodes + 1, sizeof *s->nodes);
  if (s->tensor_ptr == NULL || s->layout == NULL || s->nodes == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for a session");
    goto cleanup;
  }
  status = plan_arena(s);
  if (status != EP_OK) goto cleanup;
  status = plan_layouts(s);
  if (status != EP_OK) goto cleanup;
  status = prepare_nodes(s);
  if (status != EP_OK) goto cleanup;
  status = ep_threadpool_create(threads, options->cpus, options->n_cpus, &s->pool);
  if (status != EP_OK) goto cleanup;
  *session_out = s;
  return EP_OK;

cleanup:
  ep_session_destroy(s);
  return status;
}

void ep_session_destroy(ep_session* s) {
  if (s == NULL) return;
  ep_threadpool_destroy(s->pool);
  if (s->nodes != NULL) {
    for (int i = 0; i < s->n_nodes; i++) {
      node_exec* e = &s->nodes[i];
      if (e->kernel != NULL && e->kernel->destroy != NULL) {
        e->kernel->destroy(e->prepared.state);
      } else {
        free(e->prepared.state);
      }
      free(e->in);
      free(e->out);
    }
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

ep_status ep_session_set_input(ep_session* s, int input_index, const float* data, size_t count) {
  if (input_index < 0 || input_index >= ep_graph_input_count(s->graph)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "input index %d is out of range (the graph has %d)",
                    input_index, ep_graph_input_count(s->graph));
  }
  int tensor = ep_graph_input(s->graph, input_index);
  ep_status status = check_count(s, tensor, count, "input");
  if (status != EP_OK) return status;
  memcpy(s->tensor_ptr[tensor], data, count * sizeof(float));
  return EP_OK;
}

ep_status ep_session_get_output(ep_session* s, int output_index, float* data, size_t count) {
  if (output_index < 0 || output_index >= ep_graph_output_count(s->graph)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "output index %d is out of range (the graph has %d)",
                    output_index, ep_graph_output_count(s->graph));
  }
  int tensor = ep_graph_output(s->graph, output_index);
  ep_status status = check_count(s, tensor, count, "output");
  if (status != EP_OK) return status;
  memcpy(data, s->tensor_ptr[tensor], count * sizeof(float));
  return EP_OK;
}

static void run_node(ep_session* s, int i) {
  node_exec* e = &s->nodes[i];
  if (e->kernel->run == NULL) return; /* a view: its output already aliases its input */
  op_io io = {e->in, e->out, s->workspace, s->workspace_stride, s->pool};
  e->kernel->run(e->prepared.state, ep_graph_node(s->graph, i), s->graph, &io);
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

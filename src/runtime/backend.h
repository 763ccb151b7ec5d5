/* The backend interface: what a session needs of an engine that runs graph nodes.
 *
 * A session (runtime/session.c) asks each backend in turn which nodes it runs (supports_node),
 * gives every node to the requested backend where it can and to the CPU backend otherwise, lets
 * the CPU backend plan blocked layouts over its own nodes (every tensor another backend reads or
 * writes stays plain NCHW: that is the conversion at the boundary), plans one activation arena
 * for all, then has each backend prepare (pack weights for) its nodes once and run them, node
 * by node, in graph order. So every backend shares the session's tensors in host memory, and
 * node ranges, per-node callbacks (the profiler) and edge/cloud splits work whatever the mix.
 *
 * Modelled on ggml's ggml_backend_i (supports_op) and ONNX Runtime's execution providers
 * (GetCapability). Members marked optional may be NULL. A backend's context is created per
 * session and used by one thread at a time. */
#ifndef EDGEPROF_RUNTIME_BACKEND_H
#define EDGEPROF_RUNTIME_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/threadpool.h"
#include "edgeprof/graph.h"
#include "edgeprof/status.h"
#include "kernels/kernels.h"

/* What the session passes to a node's run: its tensors and the shared resources. */
typedef struct ep_node_io {
  const float* const* in; /* one pointer per node input (constants point into the graph) */
  float* const* out;      /* one pointer per node output */
  float* workspace;       /* worker w's scratch starts at workspace + w * workspace_stride */
  size_t workspace_stride;
  ep_threadpool* pool;    /* the session's pool (threads and CPU pinning of the session) */
} ep_node_io;

/* What a backend's prepare gives back for one node. */
typedef struct ep_node_prepared {
  void* state;             /* owned by the backend: released by destroy_node */
  size_t packed_bytes;     /* packed weights and other constants, for memory reports */
  size_t workspace_floats; /* per thread, from the session's shared scratch */
  /* Bit k: input k is a constant that prepare copied into `state` (packed weights, bias) and
   * that run never reads again, through its io nor the graph: a consuming session
   * (ep_session_create_consuming) frees it once every reader has said so. */
  uint32_t packed_inputs;
} ep_node_prepared;

typedef struct ep_backend_config {
  int threads;     /* >= 1 */
  const int* cpus; /* the session's CPU set (NULL: not pinned) */
  int n_cpus;
} ep_backend_config;

typedef struct ep_backend_i {
  const char* name; /* "cpu", "onednn", "xnnpack": what --backend takes */
  /* optional: whether this build and host can use it; writes why not (NULL means always). */
  bool (*available)(char* why, size_t why_size);
  /* optional: the engine's version and configuration, for platform and results files. */
  const char* (*describe)(void);
  /* optional: per-session context (NULL: the backend keeps none). */
  ep_status (*create)(const ep_graph* graph, const ep_backend_config* config, void** ctx_out);
  void (*destroy)(void* ctx); /* optional */
  /* Whether it runs this node, as the graph has it (op, attributes, shapes). */
  bool (*supports_node)(void* ctx, const ep_graph* graph, const ep_node* node);
  /* optional: whether the node's output 0 is a view of its input 0 (same storage, nothing to
   * run): reshape and flatten. */
  bool (*is_view)(const ep_graph* graph, const ep_node* node);
  /* optional: the layout of each tensor between nodes this backend owns (owned[i] for node i).
   * `layouts` starts all NCHW and each backend's plan runs in turn: a backend may change only a
   * tensor whose producer and readers are all its own nodes, never a graph input or output, and
   * leaves every other entry as it found it. NCHW8c is the same memory order as oneDNN's
   * nChw8c. */
  ep_status (*plan_layouts)(void* ctx, const ep_graph* graph, const bool* owned,
                            ep_layout* layouts);
  /* Packs what the node needs, once per session. `layouts` has one entry per tensor. */
  ep_status (*prepare_node)(void* ctx, const ep_graph* graph, const ep_node* node,
                            const ep_layout* layouts, ep_node_prepared* prepared);
  /* Runs the node; cannot fail (prepare validated everything). */
  void (*run_node)(void* ctx, const void* state, const ep_graph* graph, const ep_node* node,
                   const ep_node_io* io);
  /* optional: NULL means free(state) */
  void (*destroy_node)(void* ctx, const ep_node* node, void* state);
} ep_backend_i;

/* The backends of this build, the CPU backend first (the registry, runtime/backend.c). */
int ep_backend_count(void);
const ep_backend_i* ep_backend_at(int index);
/* NULL when no backend of this build has that name. */
const ep_backend_i* ep_backend_find(const char* name);

/* Each backend's interface (one line each in the registry). */
extern const ep_backend_i ep_backend_cpu;
#ifdef EP_HAVE_ONEDNN
extern const ep_backend_i ep_backend_onednn;
#endif
#ifdef EP_HAVE_XNNPACK
extern const ep_backend_i ep_backend_xnnpack;
#endif

#endif /* EDGEPROF_RUNTIME_BACKEND_H */

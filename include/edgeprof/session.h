/* A session: one graph compiled for a backend, a thread count and a CPU set.
 *
 * Backends: "cpu" (edgeprof's own kernels, always there) and those the build found (ep_backend_name
 * lists them: "onednn" where Debian's libdnnl-dev was installed). A session runs every node the
 * asked backend supports there, and every other node on the CPU backend, all in one arena of
 * plain host memory; ep_session_node_backend says which ran a node.
 *
 * Lifecycle: ep_session_create (assigns nodes to backends, chooses kernels, packs weights once,
 * plans one activation arena, starts the thread pool) -> set inputs -> ep_session_run or ep_session_run_range, any number of
 * times -> read outputs -> ep_session_destroy.
 *
 * Thread-safety: one session is used by one thread at a time; distinct sessions are independent.
 * The graph must outlive the session and stay unchanged. */
#ifndef EDGEPROF_SESSION_H
#define EDGEPROF_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/graph.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_session ep_session;

typedef struct ep_session_options {
  int threads;     /* >= 1; 0 means 1 */
  const int* cpus; /* worker i (the calling thread is worker 0) is pinned to cpus[i % n_cpus] */
  int n_cpus;      /* 0: no pinning */
  const char* backend; /* NULL or "cpu": edgeprof's own; "onednn": see ep_backend_name */
} ep_session_options;

/* Called after each node when set; `seconds` is that node's wall time. */
typedef void (*ep_node_callback)(void* user, int node_index, double seconds);

ep_status ep_session_create(const ep_graph* graph, const ep_session_options* options,
                            ep_session** session_out);
/* ep_session_create for a caller that keeps `graph` for this session alone (bench, profile,
 * run): each weight constant that all its readers copied into their packed form is released
 * from the graph (ep_graph_release_constant) as soon as the last of them is prepared, so the
 * weights are not held twice, as the graph's constants and as packed copies. Afterwards those
 * constants' data is NULL: the graph can no longer be exported, nor given to another session.
 * A constant some node reads at run time (or a backend that does not pack) stays. */
ep_status ep_session_create_consuming(ep_graph* graph, const ep_session_options* options,
                                      ep_session** session_out);
/* Stops the workers and frees everything. NULL is a no-op. */
void ep_session_destroy(ep_session* session);

const ep_graph* ep_session_graph(const ep_session* session);
int ep_session_threads(const ep_session* session);
/* The backend the session was asked for ("cpu" by default). */
const char* ep_session_backend(const ep_session* session);
/* The backend that runs node `node` (the asked one, or "cpu" where it lacks the node); NULL for
 * an index out of range. */
const char* ep_session_node_backend(const ep_session* session, int node);

/* The backends of this build, "cpu" first: the name of the index-th, NULL past the end. */
const char* ep_backend_name(int index);
/* Whether backend `name` is in this build and can run on this host; if not, writes why into
 * `why` (which may be NULL). */
bool ep_backend_available(const char* name, char* why, size_t why_size);
/* The engine's version line ("oneDNN 2.6.3 (...)"), or NULL for none / an unknown name. */
const char* ep_backend_version(const char* name);

/* Buffer of any non-constant tensor (graph inputs, activations, outputs): write inputs of a
 * run range there and read its results. Valid for the session's lifetime; numel elements of the
 * tensor's dtype (floats for float32; cast the pointer for int64 and bool, 64-byte aligned).
 * Graph inputs and outputs, and the tensors crossing the cut at either end of the last range
 * run (ep_graph_cut_tensors), are in the graph's plain layout (NCHW for images). Other
 * intermediate tensors may be in the session's internal layout (the blocked NCHW8c, see
 * docs/architecture.md, "Tensor layouts"): their contents are not meant for callers. */
float* ep_session_tensor_data(ep_session* session, int tensor);

/* Copies `count` floats (must equal the tensor's numel) into the i-th graph input, which must be
 * float32 (EP_ERR_INVALID_ARGUMENT otherwise). */
ep_status ep_session_set_input(ep_session* session, int input_index, const float* data,
                               size_t count);
/* Copies the i-th graph output into `data` (`count` must equal its numel; float32 only). */
ep_status ep_session_get_output(ep_session* session, int output_index, float* data, size_t count);
/* The same for any dtype: `dtype` must be the tensor's (ep_graph_tensor(...)->dtype), `data`
 * holds `count` elements of it (bool: one byte each, nonzero is true). */
ep_status ep_session_set_input_typed(ep_session* session, int input_index, ep_dtype dtype,
                                     const void* data, size_t count);
ep_status ep_session_get_output_typed(ep_session* session, int output_index, ep_dtype dtype,
                                      void* data, size_t count);

/* Runs every node. */
ep_status ep_session_run(ep_session* session);
/* Runs nodes [first, end). Tensors crossing the cut at `first` (ep_graph_cut_tensors) must
 * hold their values in NCHW, either from an earlier range of this session or written by the
 * caller; after the run, those crossing the cut at `end` are NCHW too. (The session converts
 * its blocked tensors among them in place at both ends: a small copy per tensor.) */
ep_status ep_session_run_range(ep_session* session, int first, int end);

/* The blocked layout that sessions created now keep between convolutions: "NCHW8c", or NULL
 * when EDGEPROF_LAYOUT=nchw or the active ISA level has no blocked kernels (scalar; the kernel
 * configuration, src/kernels/config/kernel-config.c, says which levels have them).
 * See docs/architecture.md, "Tensor layouts". */
const char* ep_session_blocked_layout(void);

/* Per-node timing hook; NULL turns it off (then the hot path has no timer calls). */
void ep_session_set_node_callback(ep_session* session, ep_node_callback callback, void* user);

typedef struct ep_session_memory {
  size_t weight_bytes;  /* packed weights and other per-session constants */
  size_t arena_bytes;   /* planned activation arena */
  size_t scratch_bytes; /* kernel workspace of every thread, and the layout buffer of
                         * ep_session_run_range */
} ep_session_memory;

void ep_session_memory_get(const ep_session* session, ep_session_memory* memory_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_SESSION_H */

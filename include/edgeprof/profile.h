/* Per-node profile of a session (TensorFlow benchmark_model style): the average time of every
 * node over N runs through the session's node callback, a summary by op type, and the
 * whole-network latency measured without the callback to show what the timing itself costs.
 *
 * Thread-safety: a profile is plain data; ep_profile_run uses the session exclusively while it
 * runs (it sets and then clears the session's node callback). */
#ifndef EDGEPROF_PROFILE_H
#define EDGEPROF_PROFILE_H

#include <stddef.h>

#include "edgeprof/bench.h"
#include "edgeprof/graph.h"
#include "edgeprof/session.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_op_type_profile {
  ep_op op;       /* base op: fused activations count with their producer */
  int count;      /* nodes of this op */
  double ms;      /* sum of their average times */
  double percent; /* of ep_profile.total_ms */
} ep_op_type_profile;

typedef struct ep_profile {
  int runs;          /* runs timed with the callback (as many again without it) */
  int n_nodes;
  double* node_ms;   /* [n_nodes] average time per node, in the graph's run order */
  double total_ms;   /* sum of node_ms */
  ep_latency_stats whole; /* whole-network latency without the callback */
  int n_op_types;
  ep_op_type_profile* by_op_type; /* sorted by time, largest first */
} ep_profile;

/* Profiles the session with ep_bench_run's conventions (`options`: warm-up runs, then at
 * least min_runs runs and min_seconds, at most max_runs; at least one run): each run is a pair,
 * a whole run without the node callback (the `whole` statistics) followed by one with it
 * (the per-node times). Alternating keeps both under the same machine load. The session's
 * node callback is cleared afterwards. Free the result with ep_profile_destroy. */
ep_status ep_profile_run(ep_session* session, const ep_bench_options* options,
                         ep_profile** profile_out);
/* NULL is a no-op. */
void ep_profile_destroy(ep_profile* profile);

/* The op as shown in profiles: "Conv", "Conv+Relu" with a fused activation, "Conv+Add+Relu"
 * with a fused residual add as well. Returns buf. */
char* ep_node_op_label(const ep_node* node, char* buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_PROFILE_H */

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

/* One timed span of a profile run, for a trace (profile --trace: Chrome trace events). */
typedef struct ep_profile_event {
  int node;       /* node index; EP_PROFILE_RUN_TIMED: a run timed node by node;
                     EP_PROFILE_RUN_WHOLE: a whole run without the node timers */
  int run;        /* pair number, from 0 */
  double start_s; /* since the first measured run started */
  double dur_s;
} ep_profile_event;
#define EP_PROFILE_RUN_TIMED (-1)
#define EP_PROFILE_RUN_WHOLE (-2)

typedef struct ep_profile {
  int runs;          /* runs timed with the callback (as many again without it) */
  int n_nodes;
  double* node_ms;   /* [n_nodes] average time per node, in the graph's run order */
  double* node_median_ms; /* [n_nodes] median over the runs of each node's time */
  double total_ms;   /* sum of node_ms */
  ep_latency_stats whole; /* whole-network latency without the callback */
  /* What the per-node timing itself costs: one node's two clock reads and the callback,
   * measured before the runs (mean of many), and that times the node count: the part of
   * total_ms - whole.mean that is the timers' own. */
  double timer_cost_ms;
  double timer_overhead_ms;
  int n_op_types;
  ep_op_type_profile* by_op_type; /* sorted by time, largest first */
  /* ep_profile_run_traced only: the first max_events spans in time order, and how many did
   * not fit. */
  ep_profile_event* events;
  int n_events;
  int events_dropped;
} ep_profile;

/* Profiles the session with ep_bench_run's conventions (`options`: warm-up runs, then at
 * least min_runs runs and min_seconds, at most max_runs; at least one run): each run is a pair,
 * a whole run without the node callback (the `whole` statistics) followed by one with it
 * (the per-node times). Alternating keeps both under the same machine load. The session's
 * node callback is cleared afterwards. Free the result with ep_profile_destroy. */
ep_status ep_profile_run(ep_session* session, const ep_bench_options* options,
                         ep_profile** profile_out);
/* The same, also recording every run and node as a span (at most max_events, the earliest;
 * beyond that events_dropped counts them) for a timeline. The node spans end where the node
 * callback is called, so they include no time of the callback itself. */
ep_status ep_profile_run_traced(ep_session* session, const ep_bench_options* options,
                                int max_events, ep_profile** profile_out);
/* NULL is a no-op. */
void ep_profile_destroy(ep_profile* profile);

/* The op as shown in profiles: "Conv", "Conv+Relu" with a fused activation, "Conv+Add+Relu"
 * with a fused residual add as well. Returns buf. */
char* ep_node_op_label(const ep_node* node, char* buf, size_t size);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_PROFILE_H */

/* Shared inside the planner: request checks and tensor sizes (partition.c), the max-flow
 * solver (mincut.c) and the DAG construction (solve_dag.c). */
#ifndef EDGEPROF_PLAN_PARTITION_INTERNAL_H
#define EDGEPROF_PLAN_PARTITION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/plan.h"

ep_status ep_plan_check_request(const ep_plan_request* request);
ep_status ep_plan_check_monotone(const ep_graph* graph, const int* tier, bool have_fog);
bool ep_plan_has_fog(const ep_plan_request* request);
/* Bytes of tensor `id` encoded as `dtype`. */
int64_t ep_plan_tensor_bytes(const ep_graph* graph, int id, ep_cut_dtype dtype);

/* The whole file (at most 64 MiB) NUL-terminated, its length in *length_out; NULL with
 * *status_out set on failure. Free with free(). */
char* ep_plan_read_document(const char* path, size_t* length_out, ep_status* status_out);

/* Maximum flow / minimum s-t cut (Dinic) over double capacities; INFINITY is an edge that is
 * never cut. */
typedef struct ep_plan_flow ep_plan_flow;
ep_plan_flow* ep_plan_flow_create(int n_vertices);
void ep_plan_flow_destroy(ep_plan_flow* flow);
/* Adds a vertex; returns its index, -1 without memory. */
int ep_plan_flow_add_vertex(ep_plan_flow* flow);
/* Adds from -> to with capacity cap >= 0; returns 0, -1 without memory. */
int ep_plan_flow_add_edge(ep_plan_flow* flow, int from, int to, double cap);
/* The maximum flow from s to t. */
double ep_plan_flow_run(ep_plan_flow* flow, int s, int t);
/* After ep_plan_flow_run: sink_side_out[v] is true when v still reaches t in the residual graph.
 * The complement is the largest source side of a minimum cut. */
void ep_plan_flow_sink_side(const ep_plan_flow* flow, int t, bool* sink_side_out);
int ep_plan_flow_vertex_count(const ep_plan_flow* flow);

/* The exact best assignment over the chain of tiers `chain_tiers[0..n_positions)` (device first)
 * without the round trips (a minimum cut), written into tier_out; back_and_forth lifts the
 * one-crossing constraint (two positions only) and reports the tensors sent back. value_out:
 * the weighted cost without round trips. */
ep_status ep_plan_dag_min_cut(const ep_plan_request* request, const int* chain_tiers, int n_positions,
                           bool back_and_forth, int* tier_out, double* value_out,
                           int* back_tensors_out);

#endif /* EDGEPROF_PLAN_PARTITION_INTERNAL_H */

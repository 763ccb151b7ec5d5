/* plan: the text of a partition (any node set over two or three tiers). */
#ifndef EDGEPROF_CLI_PLAN_PARTITION_H
#define EDGEPROF_CLI_PLAN_PARTITION_H

#include "edgeprof/plan.h"

/* The partition's summary: nodes per tier, each hop's tensors, bytes and times, the totals, the
 * gain over the best prefix cut, the back-and-forth bound, and `error` when not NULL, measured on
 * `error_input` ("a seeded calibration input", "x.npy"). */
void cli_plan_print_partition(const ep_graph* graph, const ep_plan_request* request,
                              const ep_plan_partition* partition, const ep_plan_cut_error* error,
                              const char* error_input);

#endif /* EDGEPROF_CLI_PLAN_PARTITION_H */

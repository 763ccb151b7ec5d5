/* A node's work at one thread, estimated from the cost model: what decides whether the executor
 * hands the node to the thread pool or runs it on the calling thread. */
#ifndef EDGEPROF_RUNTIME_NODE_WORK_H
#define EDGEPROF_RUNTIME_NODE_WORK_H

#include "edgeprof/graph.h"

/* Nanoseconds the node takes on one core: its multiply-accumulates at a small layer's rate plus
 * the bytes it reads and writes (activations and weights; a Gather or a Slice reads only what it
 * writes, not its whole input 0) at an L2-resident copy's rate. A rough
 * figure (within 2-3x of a measured node), enough to tell a 2 us node from a 50 us one. */
double ep_node_work_ns(const ep_graph* graph, const ep_node* node);

#endif /* EDGEPROF_RUNTIME_NODE_WORK_H */

/* Session internals that tests and the CPU backend's tools read. */
#ifndef EDGEPROF_RUNTIME_SESSION_INTERNAL_H
#define EDGEPROF_RUNTIME_SESSION_INTERNAL_H

#include <stdbool.h>

#include "edgeprof/session.h"
#include "kernels/kernels.h"

/* The layout the session chose for a tensor (for tests); NCHW for an id out of range. */
ep_layout ep_session_tensor_layout(const ep_session* session, int tensor);

/* Whether node `node` is handed to the session's thread pool (its estimated work reaches
 * EP_THREADPOOL_SPLIT_MIN_NS on a pool of 2 or more threads) or runs on the calling thread;
 * false for an index out of range. */
bool ep_session_node_split(const ep_session* session, int node);

#endif /* EDGEPROF_RUNTIME_SESSION_INTERNAL_H */

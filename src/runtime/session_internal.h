/* Session internals that tests and the CPU backend's tools read. */
#ifndef EDGEPROF_RUNTIME_SESSION_INTERNAL_H
#define EDGEPROF_RUNTIME_SESSION_INTERNAL_H

#include "edgeprof/session.h"
#include "kernels/kernels.h"

/* The layout the session chose for a tensor (for tests); NCHW for an id out of range. */
ep_layout ep_session_tensor_layout(const ep_session* session, int tensor);

#endif /* EDGEPROF_RUNTIME_SESSION_INTERNAL_H */

/* Helpers shared by the reference kernels (internal). */
#ifndef EDGEPROF_KERNELS_REFERENCE_H
#define EDGEPROF_KERNELS_REFERENCE_H

#include "edgeprof/graph.h"

/* The activation in double precision, from its mathematical definition. */
double ep_ref_activate(ep_activation act, double v);

#endif /* EDGEPROF_KERNELS_REFERENCE_H */

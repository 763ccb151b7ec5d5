/* Aligned allocation for large buffers (packed weights, arenas, scratch). */
#ifndef EDGEPROF_CORE_ALIGNED_ALLOC_H
#define EDGEPROF_CORE_ALIGNED_ALLOC_H

#include <stddef.h>

/* 64-byte aligned allocation (free with free()); NULL on failure. Buffers of 2 MiB or more are
 * backed by transparent huge pages where the kernel offers them (see aligned_alloc.c). */
void* ep_aligned_alloc(size_t bytes);

#endif /* EDGEPROF_CORE_ALIGNED_ALLOC_H */

/* Max and average pooling planes, AArch64 NEON. */
#include "kernels/simd/vec-neon.h"

#define EP_POOL_NAME ep_pool_plane__neon
#include "kernels/pool/pool-impl.h"

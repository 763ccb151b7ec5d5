/* Max and average pooling planes, AVX2. */
#include "kernels/simd/vec-avx2.h"

#define EP_POOL_NAME ep_pool_plane__avx2
#include "kernels/pool/pool-impl.h"

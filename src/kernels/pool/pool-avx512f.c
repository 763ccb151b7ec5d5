/* Max and average pooling planes, AVX-512F. */
#include "kernels/simd/vec-avx512f.h"

#define EP_POOL_NAME ep_pool_plane__avx512f
#include "kernels/pool/pool-impl.h"

/* Element-wise math, AVX-512F. */
#include "kernels/simd/vec-avx512f.h"

#define EP_UN_NAME(name) ep_unary_##name##__avx512f
#include "kernels/unary/unary-impl.h"

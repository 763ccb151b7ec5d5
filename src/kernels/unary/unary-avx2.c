/* Element-wise math, AVX2 + FMA. */
#include "kernels/simd/vec-avx2.h"

#define EP_UN_NAME(name) ep_unary_##name##__avx2
#include "kernels/unary/unary-impl.h"

/* Element-wise math, AArch64 NEON. */
#include "kernels/simd/vec-neon.h"

#define EP_UN_NAME(name) ep_unary_##name##__neon
#include "kernels/unary/unary-impl.h"

/* Element-wise math, the scalar level (one float per vector, any architecture). */
#include "kernels/simd/vec-scalar.h"

#define EP_UN_NAME(name) ep_unary_##name##__scalar
#include "kernels/unary/unary-impl.h"

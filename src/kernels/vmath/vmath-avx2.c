/* Vector math, AVX2 + FMA. */
#include "kernels/simd/vec-avx2.h"

#define EP_VM_NAME(name) ep_vmath_##name##__avx2
#include "kernels/vmath/vmath-impl.h"

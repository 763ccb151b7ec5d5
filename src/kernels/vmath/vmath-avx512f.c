/* Vector math, AVX-512F. */
#include "kernels/simd/vec-avx512f.h"

#define EP_VM_NAME(name) ep_vmath_##name##__avx512f
#include "kernels/vmath/vmath-impl.h"

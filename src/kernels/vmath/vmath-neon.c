/* Vector math, AArch64 NEON. */
#include "kernels/simd/vec-neon.h"

#define EP_VM_NAME(name) ep_vmath_##name##__neon
#include "kernels/vmath/vmath-impl.h"

/* Reductions and LayerNormalization, AArch64 NEON. */
#include "kernels/simd/vec-neon.h"

#define EP_RD_NAME(name) ep_reduce_##name##__neon
#include "kernels/reduce/reduce-impl.h"

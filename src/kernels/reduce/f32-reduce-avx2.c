/* Reductions and LayerNormalization, AVX2 + FMA. */
#include "kernels/simd/vec-avx2.h"

#define EP_RD_NAME(name) ep_reduce_##name##__avx2
#include "kernels/reduce/reduce-impl.h"

/* Reductions and LayerNormalization, AVX-512F. */
#include "kernels/simd/vec-avx512f.h"

#define EP_RD_NAME(name) ep_reduce_##name##__avx512f
#include "kernels/reduce/reduce-impl.h"

/* The NCHW8c cells, AVX2 + FMA: one YMM register is the 8 channels of a pixel. */
#include "kernels/simd/vec-avx2.h"

#define EP_NCHWC_NAME(name) ep_nchwc_##name##__avx2
#include "kernels/f32-nchwc/f32-nchwc-impl.h"

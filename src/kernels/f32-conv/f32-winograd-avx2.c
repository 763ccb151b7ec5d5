/* Winograd F(4x4, 3x3) and F(2x2, 3x3) transforms, AVX2 + FMA: 8 tiles per vector. */
#include "kernels/simd/vec-avx2.h"

#define EP_WG_NAME(name) ep_wg_##name##__avx2
#include "kernels/f32-conv/winograd-impl.h"
#include "kernels/f32-conv/winograd2-impl.h"
#include "kernels/f32-conv/winograd-weights-impl.h"

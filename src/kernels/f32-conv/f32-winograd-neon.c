/* Winograd F(4x4, 3x3) and F(2x2, 3x3) transforms, AArch64 NEON: 4 tiles per vector. */
#include "kernels/simd/vec-neon.h"

#define EP_WG_NAME(name) ep_wg_##name##__neon
#include "kernels/f32-conv/winograd-impl.h"
#include "kernels/f32-conv/winograd2-impl.h"
#include "kernels/f32-conv/winograd-weights-impl.h"

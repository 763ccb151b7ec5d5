/* Depthwise convolution planes, AArch64 NEON: 4 output pixels per vector. */
#include "kernels/simd/vec-neon.h"

#define EP_DW_NAME ep_f32_dwconv_plane__neon
#include "kernels/f32-dwconv/dwconv-impl.h"

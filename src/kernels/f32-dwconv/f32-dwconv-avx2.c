/* Depthwise convolution planes, AVX2 + FMA: 8 output pixels per vector. */
#include "kernels/simd/vec-avx2.h"

#define EP_DW_NAME ep_f32_dwconv_plane__avx2
#include "kernels/f32-dwconv/dwconv-impl.h"

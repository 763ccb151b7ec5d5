/* Depthwise convolution planes, AVX-512F: 16 output pixels per vector. */
#include "kernels/simd/vec-avx512f.h"

#define EP_DW_NAME ep_f32_dwconv_plane__avx512f
#include "kernels/f32-dwconv/dwconv-impl.h"

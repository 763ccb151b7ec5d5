/* The 2-D transpose of transpose-2d.h over a vector shim (internal). Included once per ISA
 * variant after a shim that has vf_interleave2, with EP_TRANSPOSE_2D_NAME the function to
 * define. Each VF_LANES x VF_LANES block of x is loaded a row per vector, transposed in
 * registers (simd/vec-transpose.h, shared with f32-gemm's A packing) and stored a row of y per
 * vector; the columns and rows left over take the element loop. */
#include <stddef.h>

#include "kernels/simd/vec-transpose.h"

void EP_TRANSPOSE_2D_NAME(size_t r, size_t n, const float* x, size_t ldx, float* y, size_t ldy) {
  size_t i0 = 0;
  for (; i0 + VF_LANES <= r; i0 += VF_LANES) {
    size_t c0 = 0;
    for (; c0 + VF_LANES <= n; c0 += VF_LANES) {
      vf v[VF_LANES];
      _Pragma("GCC unroll 16") for (int c = 0; c < VF_LANES; c++) {
        v[c] = vf_load(x + (c0 + (size_t)c) * ldx + i0);
      }
      vf_transpose_block(v);
      _Pragma("GCC unroll 16") for (int i = 0; i < VF_LANES; i++) {
        vf_store(y + (i0 + (size_t)i) * ldy + c0, v[i]);
      }
    }
    for (; c0 < n; c0++) {
      for (size_t i = 0; i < VF_LANES; i++) y[(i0 + i) * ldy + c0] = x[c0 * ldx + i0 + i];
    }
  }
  for (; i0 < r; i0++) {
    for (size_t c = 0; c < n; c++) y[i0 * ldy + c] = x[c * ldx + i0];
  }
}


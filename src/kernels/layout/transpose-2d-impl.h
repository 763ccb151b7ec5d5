/* The 2-D transpose of transpose-2d.h over a vector shim (internal). Included once per ISA
 * variant after a shim that has vf_interleave2, with EP_TRANSPOSE_2D_NAME the function to
 * define. Each VF_LANES x VF_LANES block of x is loaded a row per vector, transposed by
 * log2(VF_LANES) rounds of interleaving row i with row i + VF_LANES / 2 (the perfect shuffle, as
 * f32-gemm's pack-a-impl.h) and stored a row of y per vector; the columns and rows left over take
 * the element loop. */
#include <stddef.h>

#define EP_TRANSPOSE_2D_ALWAYS_INLINE static inline __attribute__((always_inline))

EP_TRANSPOSE_2D_ALWAYS_INLINE void transpose_block(vf v[VF_LANES]) {
  _Pragma("GCC unroll 8") for (int width = 1; width < VF_LANES; width *= 2) {
    vf t[VF_LANES];
    _Pragma("GCC unroll 16") for (int i = 0; i < VF_LANES / 2; i++) {
      vf_interleave2(v[i], v[i + VF_LANES / 2], &t[2 * i], &t[2 * i + 1]);
    }
    _Pragma("GCC unroll 16") for (int i = 0; i < VF_LANES; i++) v[i] = t[i];
  }
}

void EP_TRANSPOSE_2D_NAME(size_t r, size_t n, const float* x, size_t ldx, float* y, size_t ldy) {
  size_t i0 = 0;
  for (; i0 + VF_LANES <= r; i0 += VF_LANES) {
    size_t c0 = 0;
    for (; c0 + VF_LANES <= n; c0 += VF_LANES) {
      vf v[VF_LANES];
      _Pragma("GCC unroll 16") for (int c = 0; c < VF_LANES; c++) {
        v[c] = vf_load(x + (c0 + (size_t)c) * ldx + i0);
      }
      transpose_block(v);
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

#undef EP_TRANSPOSE_2D_ALWAYS_INLINE

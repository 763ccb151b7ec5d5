/* A VF_LANES x VF_LANES block transposed in registers over whichever vector shim (simd/vec-*.h)
 * the including file put before it (internal; the shim must have vf_interleave2): log2(VF_LANES)
 * rounds of interleaving row i with row i + VF_LANES / 2 (the perfect shuffle). f32-gemm's A
 * packing and the layout kernels' 2-D transpose use it. */
#ifndef EDGEPROF_KERNELS_SIMD_VEC_TRANSPOSE_H
#define EDGEPROF_KERNELS_SIMD_VEC_TRANSPOSE_H

static inline __attribute__((always_inline)) void vf_transpose_block(vf v[VF_LANES]) {
  _Pragma("GCC unroll 8") for (int width = 1; width < VF_LANES; width *= 2) {
    vf t[VF_LANES];
    _Pragma("GCC unroll 16") for (int i = 0; i < VF_LANES / 2; i++) {
      vf_interleave2(v[i], v[i + VF_LANES / 2], &t[2 * i], &t[2 * i + 1]);
    }
    _Pragma("GCC unroll 16") for (int i = 0; i < VF_LANES; i++) v[i] = t[i];
  }
}

#endif /* EDGEPROF_KERNELS_SIMD_VEC_TRANSPOSE_H */

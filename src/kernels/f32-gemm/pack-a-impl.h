/* A-panel packing with an in-register transpose (internal), for variants whose panel height is
 * one vector (mr == VF_LANES: the 16-row AVX-512 kernel).
 *
 * Included once per ISA variant after a vector shim that has vf_interleave2, with EP_PACK_A_NAME
 * the function to define (ep_f32_gemm_pack_a_fn). Each VF_LANES x VF_LANES block of A is loaded
 * a row per vector and transposed in registers (simd/vec-transpose.h: the perfect shuffle);
 * partial panels and the last k < VF_LANES columns take the element loop. The element loop costs
 * about a cycle per float: 4% of BERT-base's time went to packing its 128 x 768 and 128 x 3072
 * activations. */
#include <stddef.h>

#include "kernels/simd/vec-transpose.h"

void EP_PACK_A_NAME(size_t m, size_t k, const float* a, size_t lda, float* out) {
  for (size_t p = 0; p < m; p += VF_LANES) {
    const size_t rows = m - p < VF_LANES ? m - p : VF_LANES;
    const float* src = a + p * lda;
    float* panel = out + p * k;
    size_t kk = 0;
    if (rows == VF_LANES) {
      for (; kk + VF_LANES <= k; kk += VF_LANES) {
        vf r[VF_LANES];
        _Pragma("GCC unroll 16") for (int i = 0; i < VF_LANES; i++) {
          r[i] = vf_load(src + (size_t)i * lda + kk);
        }
        vf_transpose_block(r);
        _Pragma("GCC unroll 16") for (int i = 0; i < VF_LANES; i++) {
          vf_store(panel + (kk + (size_t)i) * VF_LANES, r[i]);
        }
      }
    }
    for (; kk < k; kk++) {
      size_t r = 0;
      for (; r < rows; r++) panel[kk * VF_LANES + r] = src[r * lda + kk];
      for (; r < VF_LANES; r++) panel[kk * VF_LANES + r] = 0.0f;
    }
  }
}


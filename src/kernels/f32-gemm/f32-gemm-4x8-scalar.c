/* 4 x 8 GEMM microkernel in plain C. The 32 accumulators live in a local array and the loops
 * are fully unrolled so that GCC keeps them in registers. A must be packed: with a run-time k
 * stride GCC turns the A loads into element-wise gathers and runs at a fifth of the speed. */
#include "kernels/f32-gemm/gemm.h"
#include "kernels/kernels.h"

enum { MR = 4, NR = 8 };

/* Bias, clamp activations and store; the transcendental ones run afterwards on the stored rows
 * with the vectorized helpers. Written once for the full tile so that its bounds are constants. */
static inline void finish(float acc[MR][NR], size_t mr, size_t nr, float* c, size_t ldc,
                          bool accumulate, const ep_f32_gemm_epilogue* epilogue) {
  if (accumulate) {
    for (size_t r = 0; r < mr; r++) {
      for (size_t j = 0; j < nr; j++) acc[r][j] += c[r * ldc + j];
    }
  }
  if (epilogue != NULL) {
    if (epilogue->row_bias != NULL) {
      for (size_t r = 0; r < mr; r++) {
        for (size_t j = 0; j < NR; j++) acc[r][j] += epilogue->row_bias[r];
      }
    }
    if (epilogue->col_bias != NULL) {
      for (size_t r = 0; r < MR; r++) {
        for (size_t j = 0; j < nr; j++) acc[r][j] += epilogue->col_bias[j];
      }
    }
    if (epilogue->residual != NULL) {
      for (size_t r = 0; r < mr; r++) {
        for (size_t j = 0; j < nr; j++)
          acc[r][j] += epilogue->residual[r * epilogue->residual_ld + j];
      }
    }
    if (epilogue->act == EP_ACT_RELU || epilogue->act == EP_ACT_RELU6) {
      const float hi = epilogue->act == EP_ACT_RELU6 ? 6.0f : 3.4e38f;
      for (size_t r = 0; r < MR; r++) {
        for (size_t j = 0; j < NR; j++) {
          float v = acc[r][j] > 0.0f ? acc[r][j] : 0.0f;
          acc[r][j] = v < hi ? v : hi;
        }
      }
    }
  }
  for (size_t r = 0; r < mr; r++) {
    for (size_t j = 0; j < nr; j++) c[r * ldc + j] = acc[r][j];
  }
  if (epilogue != NULL && epilogue->act != EP_ACT_NONE && epilogue->act != EP_ACT_RELU &&
      epilogue->act != EP_ACT_RELU6) {
    for (size_t r = 0; r < mr; r++) ep_activation_apply(epilogue->act, c + r * ldc, nr);
  }
}

void ep_f32_gemm_ukernel_4x8__scalar(size_t mr, size_t nr, size_t kc, const float* restrict a,
                                     const float* restrict b, float* restrict c, size_t ldc,
                                     bool accumulate, const ep_f32_gemm_epilogue* epilogue) {
  float acc[MR][NR];
  for (int r = 0; r < MR; r++) {
    for (int j = 0; j < NR; j++) acc[r][j] = 0.0f;
  }
  for (size_t k = 0; k < kc; k++) {
    const float* restrict ak = a + k * MR;
    const float* restrict bk = b + k * NR;
    _Pragma("GCC unroll 4") for (int r = 0; r < MR; r++) {
      const float ar = ak[r];
      _Pragma("GCC unroll 8") for (int j = 0; j < NR; j++) acc[r][j] += ar * bk[j];
    }
  }
  if (mr == MR && nr == NR) {
    finish(acc, MR, NR, c, ldc, accumulate, epilogue);
  } else {
    finish(acc, mr, nr, c, ldc, accumulate, epilogue);
  }
}

/* One-row GEMM against a packed B panel: the batch-1 fully connected and LSTM step. Memory
 * bound, so the point is to stream the panel (k x 8 contiguous floats) at full bandwidth: four
 * independent accumulator rows over k hide the add latency, and they vectorize over columns. */
#include "kernels/f32-gemm/gemm.h"
#include "kernels/kernels.h"

enum { NR = 8, KU = 4 };

void ep_f32_gemv_ukernel_1x8__scalar(size_t nr, size_t kc, const float* x, const float* b, float* y,
                                     bool accumulate, const ep_f32_gemm_epilogue* epilogue) {
  float acc[KU][NR];
  for (int u = 0; u < KU; u++) {
    for (int j = 0; j < NR; j++) acc[u][j] = 0.0f;
  }
  size_t k = 0;
  for (; k + KU <= kc; k += KU) {
    const float* restrict bk = b + k * NR;
    _Pragma("GCC unroll 4") for (int u = 0; u < KU; u++) {
      const float xk = x[k + (size_t)u];
      _Pragma("GCC unroll 8") for (int j = 0; j < NR; j++) acc[u][j] += xk * bk[u * NR + j];
    }
  }
  for (; k < kc; k++) {
    for (int j = 0; j < NR; j++) acc[0][j] += x[k] * b[k * NR + (size_t)j];
  }
  float sum[NR];
  for (int j = 0; j < NR; j++) sum[j] = (acc[0][j] + acc[1][j]) + (acc[2][j] + acc[3][j]);
  if (accumulate) {
    for (size_t j = 0; j < nr; j++) sum[j] += y[j];
  }
  if (epilogue != NULL && epilogue->row_bias != NULL) {
    for (size_t j = 0; j < nr; j++) sum[j] += epilogue->row_bias[0];
  }
  if (epilogue != NULL && epilogue->col_bias != NULL) {
    for (size_t j = 0; j < nr; j++) sum[j] += epilogue->col_bias[j];
  }
  for (size_t j = 0; j < nr; j++) y[j] = sum[j];
  if (epilogue != NULL) ep_activation_apply(epilogue->act, y, nr);
}

/* Reference Gemm and MatMul: each output a dot product summed in double. */
#include "kernels/tensor_ops.h"

void ep_ref_gemm(int64_t m, int64_t n, int64_t k, bool trans_a, bool trans_b, float alpha,
                 float beta, const float* a, const float* b, const float* c,
                 const ep_shape* c_shape, float* y) {
  for (int64_t i = 0; i < m; i++) {
    for (int64_t j = 0; j < n; j++) {
      double sum = 0.0;
      for (int64_t p = 0; p < k; p++) {
        const double av = trans_a ? a[p * m + i] : a[i * k + p];
        const double bv = trans_b ? b[j * k + p] : b[p * n + j];
        sum += av * bv;
      }
      double v = alpha * sum;
      if (c != NULL) {
        /* C's dims align with [m, n] at the right; a dim of 1 stretches. */
        int64_t ci = 0;
        if (c_shape->rank == 2) {
          ci = (c_shape->dims[0] == 1 ? 0 : i) * c_shape->dims[1] + (c_shape->dims[1] == 1 ? 0 : j);
        } else if (c_shape->rank == 1) {
          ci = c_shape->dims[0] == 1 ? 0 : j;
        }
        v += (double)beta * c[ci];
      }
      y[i * n + j] = (float)v;
    }
  }
}

void ep_ref_matmul(const ep_shape* a_shape, const float* a, const ep_shape* b_shape, const float* b,
                   float* y) {
  /* Promote 1-D operands to matrices, then give both the same batch rank (leading 1s). */
  const int ra = a_shape->rank, rb = b_shape->rank;
  const int64_t m = ra >= 2 ? a_shape->dims[ra - 2] : 1, k = a_shape->dims[ra - 1];
  const int64_t n = rb >= 2 ? b_shape->dims[rb - 1] : 1;
  const int batch_a = ra > 2 ? ra - 2 : 0, batch_b = rb > 2 ? rb - 2 : 0;
  const int batch_rank = batch_a > batch_b ? batch_a : batch_b;
  int64_t dims[EP_MAX_RANK], da[EP_MAX_RANK], db[EP_MAX_RANK];
  int64_t total = 1;
  for (int i = 0; i < batch_rank; i++) {
    const int ia = i - (batch_rank - batch_a), ib = i - (batch_rank - batch_b);
    da[i] = ia >= 0 ? a_shape->dims[ia] : 1;
    db[i] = ib >= 0 ? b_shape->dims[ib] : 1;
    dims[i] = da[i] > db[i] ? da[i] : db[i];
    total *= dims[i];
  }
  for (int64_t index = 0; index < total; index++) {
    int64_t rest = index, oa = 0, ob = 0, sa = 1, sb = 1;
    for (int i = batch_rank - 1; i >= 0; i--) {
      const int64_t coord = rest % dims[i];
      rest /= dims[i];
      oa += (da[i] == 1 ? 0 : coord) * sa;
      ob += (db[i] == 1 ? 0 : coord) * sb;
      sa *= da[i];
      sb *= db[i];
    }
    const float* am = a + oa * m * k;
    const float* bm = b + ob * k * n;
    float* ym = y + index * m * n;
    for (int64_t i = 0; i < m; i++) {
      for (int64_t j = 0; j < n; j++) {
        double sum = 0.0;
        for (int64_t p = 0; p < k; p++) sum += (double)am[i * k + p] * bm[p * n + j];
        ym[i * n + j] = (float)sum;
      }
    }
  }
}

/* Naive scaled dot-product attention: the unfused graph's order of operations (product, scale,
 * mask, softmax, product), one head and row at a time, sums in double. */
#include <math.h>
#include <stdlib.h>

#include "kernels/attention/attention.h"

void ep_ref_attention(const ep_attention_desc* a, const float* q, const float* k, const float* v,
                      const float* mask, float* y) {
  size_t heads = 1;
  for (int t = 0; t < a->batch_rank; t++) heads *= a->batch[t];
  double* p = malloc((a->sk ? a->sk : 1) * sizeof *p);
  if (p == NULL) return;
  for (size_t h = 0; h < heads; h++) {
    size_t rest = h, oq = 0, ok = 0, ov = 0, oy = 0, om = 0;
    for (int t = a->batch_rank - 1; t >= 0; t--) {
      const size_t coord = rest % a->batch[t];
      rest /= a->batch[t];
      oq += coord * a->q_batch[t];
      ok += coord * a->k_batch[t];
      ov += coord * a->v_batch[t];
      oy += coord * a->y_batch[t];
      om += coord * a->mask_batch[t];
    }
    for (size_t i = 0; i < a->sq; i++) {
      double max = -INFINITY;
      for (size_t j = 0; j < a->sk; j++) {
        double dot = 0.0;
        for (size_t e = 0; e < a->d; e++) {
          dot += (double)q[oq + i * a->q_row + e] * k[ok + e * a->k_depth + j * a->k_seq];
        }
        float s = (float)dot * a->scale;
        if (mask != NULL) s += mask[om + i * a->mask_row + j * a->mask_col];
        p[j] = s;
        if (p[j] > max) max = p[j];
      }
      double sum = 0.0;
      for (size_t j = 0; j < a->sk; j++) {
        p[j] = exp(p[j] - max);
        sum += p[j];
      }
      for (size_t e = 0; e < a->dv; e++) {
        double acc = 0.0;
        for (size_t j = 0; j < a->sk; j++) acc += p[j] / sum * v[ov + j * a->v_row + e];
        y[oy + i * a->y_row + e] = (float)acc;
      }
    }
  }
  free(p);
}

/* Reference LSTM (ONNX, one direction, zero initial state, gates i, o, f, c), in double:
 *   i = s(W_i x + R_i h + b_i), o = s(...), f = s(...), g = tanh(...),
 *   c = f c + i g, h = o tanh(c). */
#include <math.h>
#include <stdlib.h>

#include "kernels/kernels.h"

static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

void ep_ref_lstm(const ep_lstm_desc* d, const float* x, const float* w, const float* r,
                 const float* bias, float* y) {
  const int t_len = d->seq_len, n_batch = d->batch, in = d->input_size, h = d->hidden_size;
  /* The reference may allocate: it is for tests, never on a run path. On failure it leaves y
   * untouched, which any comparison then reports. */
  double* state = calloc((size_t)n_batch * (size_t)h * 2, sizeof *state);
  double* gates = malloc((size_t)4 * (size_t)h * sizeof *gates);
  if (state == NULL || gates == NULL) goto cleanup;
  double* hs = state;
  double* cs = state + (size_t)n_batch * h;
  for (int t = 0; t < t_len; t++) {
    for (int n = 0; n < n_batch; n++) {
      const float* xt = x + ((size_t)t * n_batch + n) * in;
      double* hn = hs + (size_t)n * h;
      double* cn = cs + (size_t)n * h;
      for (int g = 0; g < 4 * h; g++) {
        double sum = d->has_bias && bias != NULL ? bias[g] : 0.0;
        for (int k = 0; k < in; k++) sum += (double)w[(size_t)g * in + k] * xt[k];
        for (int k = 0; k < h; k++) sum += (double)r[(size_t)g * h + k] * hn[k];
        gates[g] = sum;
      }
      /* All gates read h_{t-1}, so h is only updated once they are computed. */
      for (int j = 0; j < h; j++) {
        const double i_gate = sigmoid(gates[j]);
        const double o_gate = sigmoid(gates[h + j]);
        const double f_gate = sigmoid(gates[2 * h + j]);
        const double candidate = tanh(gates[3 * h + j]);
        cn[j] = f_gate * cn[j] + i_gate * candidate;
        hn[j] = o_gate * tanh(cn[j]);
        y[((size_t)t * n_batch + n) * h + j] = (float)hn[j];
      }
    }
  }
cleanup:
  free(gates);
  free(state);
}

/* Reference ONNX LSTM and GRU, in double, straight from the ONNX operator definitions:
 *   LSTM (gates i, o, f, c):  i = s(Xi + Hi + Pi . c), f = s(Xf + Hf + Pf . c), g = tanh(Xc + Hc),
 *                              c' = f . c + i . g, o = s(Xo + Ho + Po . c'), h' = o . tanh(c')
 *   GRU (gates z, r, h):       z = s(Xz + Hz), r = s(Xr + Hr),
 *                              g = tanh(Xh + (r . h) Rh^T + Rbh)     (linear_before_reset 0)
 *                              g = tanh(Xh + r . (h Rh^T + Rbh))     (linear_before_reset 1)
 *                              h' = (1 - z) . g + z . h
 * where Xq = x Wq^T + Wbq and Hq = h Rq^T + Rbq. Steps at or past a sequence's length leave the
 * state alone and write zeros to Y. */
#include <math.h>
#include <stdlib.h>

#include "kernels/tensor_ops.h"

static double sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

static double clip(const ep_rnn_desc* d, double v) {
  if (d->clip <= 0.0f) return v;
  return v < -d->clip ? -d->clip : v > d->clip ? d->clip : v;
}

/* Offsets of x [t, n], y [t, dir, n] and the states [dir, n] in the chosen layout. */
static size_t x_at(const ep_rnn_desc* d, int t, int n) {
  const size_t row = d->layout ? (size_t)n * d->seq_len + t : (size_t)t * d->batch + n;
  return row * d->input_size;
}

static size_t y_at(const ep_rnn_desc* d, int t, int dir, int n) {
  const size_t row = d->layout ? ((size_t)n * d->seq_len + t) * d->directions + dir
                               : ((size_t)t * d->directions + dir) * d->batch + n;
  return row * d->hidden_size;
}

static size_t state_at(const ep_rnn_desc* d, int dir, int n) {
  const size_t row = d->layout ? (size_t)n * d->directions + dir : (size_t)dir * d->batch + n;
  return row * d->hidden_size;
}

void ep_ref_rnn(const ep_rnn_desc* d, const float* x, const float* w, const float* r,
                const float* bias, const float* seq_lens, const float* h0, const float* c0,
                const float* p, float* y, float* y_h, float* y_c) {
  const int H = d->hidden_size, I = d->input_size, G = d->lstm ? 4 : 3;
  double* h = calloc((size_t)H, sizeof *h);
  double* c = calloc((size_t)H, sizeof *c);
  double* xg = calloc((size_t)G * H, sizeof *xg);
  double* hg = calloc((size_t)G * H, sizeof *hg);
  double* rh = calloc((size_t)H, sizeof *rh);
  if (!h || !c || !xg || !hg || !rh) goto cleanup; /* outputs left untouched: tests report it */
  for (int dir = 0; dir < d->directions; dir++) {
    const bool backwards = d->directions == 2 ? dir == 1 : d->reverse;
    const float* wd = w + (size_t)dir * G * H * I;
    const float* rd = r + (size_t)dir * G * H * H;
    const float* wb = bias ? bias + (size_t)dir * 2 * G * H : NULL;
    const float* rb = bias ? wb + (size_t)G * H : NULL;
    const float* pd = p ? p + (size_t)dir * 3 * H : NULL;
    for (int n = 0; n < d->batch; n++) {
      const int len = seq_lens ? (int)seq_lens[n] : d->seq_len;
      for (int j = 0; j < H; j++) {
        h[j] = h0 ? h0[state_at(d, dir, n) + j] : 0.0;
        c[j] = c0 ? c0[state_at(d, dir, n) + j] : 0.0;
      }
      for (int step = 0; step < d->seq_len; step++) {
        const int t = backwards ? d->seq_len - 1 - step : step;
        if (t >= len) {
          if (y) {
            for (int j = 0; j < H; j++) y[y_at(d, t, dir, n) + j] = 0.0f;
          }
          continue;
        }
        const float* xt = x + x_at(d, t, n);
        for (int g = 0; g < G * H; g++) {
          double sx = wb ? wb[g] : 0.0, sh = rb ? rb[g] : 0.0;
          for (int k = 0; k < I; k++) sx += (double)wd[(size_t)g * I + k] * xt[k];
          for (int k = 0; k < H; k++) sh += (double)rd[(size_t)g * H + k] * h[k];
          xg[g] = sx;
          hg[g] = sh;
        }
        if (d->lstm) {
          for (int j = 0; j < H; j++) {
            const double pi = pd ? pd[j] : 0.0, po = pd ? pd[H + j] : 0.0;
            const double pf = pd ? pd[2 * H + j] : 0.0;
            const double i_gate = sigmoid(clip(d, xg[j] + hg[j] + pi * c[j]));
            const double f_gate = sigmoid(clip(d, xg[2 * H + j] + hg[2 * H + j] + pf * c[j]));
            const double cand = tanh(clip(d, xg[3 * H + j] + hg[3 * H + j]));
            c[j] = f_gate * c[j] + i_gate * cand;
            const double o_gate = sigmoid(clip(d, xg[H + j] + hg[H + j] + po * c[j]));
            rh[j] = o_gate * tanh(c[j]); /* new h, kept apart until every unit is done */
          }
        } else {
          for (int j = 0; j < H; j++) {
            const double z = sigmoid(clip(d, xg[j] + hg[j]));
            const double rg = sigmoid(clip(d, xg[H + j] + hg[H + j]));
            double cand;
            if (d->linear_before_reset) {
              cand = tanh(clip(d, xg[2 * H + j] + rg * hg[2 * H + j]));
            } else {
              double s = rb ? rb[2 * H + j] : 0.0;
              for (int k = 0; k < H; k++) {
                const double rk = sigmoid(clip(d, xg[H + k] + hg[H + k]));
                s += (double)rd[(size_t)(2 * H + j) * H + k] * rk * h[k];
              }
              cand = tanh(clip(d, xg[2 * H + j] + s));
            }
            rh[j] = (1.0 - z) * cand + z * h[j];
          }
        }
        for (int j = 0; j < H; j++) {
          h[j] = rh[j];
          if (y) y[y_at(d, t, dir, n) + j] = (float)h[j];
        }
      }
      for (int j = 0; j < H; j++) {
        if (y_h) y_h[state_at(d, dir, n) + j] = (float)h[j];
        if (y_c) y_c[state_at(d, dir, n) + j] = (float)c[j];
      }
    }
  }
cleanup:
  free(h);
  free(c);
  free(xg);
  free(hg);
  free(rh);
}

/* Reference pooling: every window from its definition. Windows partly outside the input use only
 * the inside values; a window with none gives 0. */
#include "kernels/kernels.h"

static void pool_ref(const ep_pool_desc* d, const float* x, float* y, bool max) {
  for (int plane = 0; plane < d->batch * d->channels; plane++) {
    const float* xp = x + (size_t)plane * d->in_h * d->in_w;
    for (int oy = 0; oy < d->out_h; oy++) {
      for (int ox = 0; ox < d->out_w; ox++) {
        double acc = 0.0;
        int count = 0;
        for (int ky = 0; ky < d->kernel_h; ky++) {
          const int iy = oy * d->stride_h - d->pad_top + ky;
          if (iy < 0 || iy >= d->in_h) continue;
          for (int kx = 0; kx < d->kernel_w; kx++) {
            const int ix = ox * d->stride_w - d->pad_left + kx;
            if (ix < 0 || ix >= d->in_w) continue;
            const double v = xp[(size_t)iy * d->in_w + ix];
            if (max) {
              acc = count == 0 || v > acc ? v : acc;
            } else {
              acc += v;
            }
            count++;
          }
        }
        double out = 0.0;
        if (count > 0) {
          if (max) {
            out = acc;
          } else {
            out = acc / (d->count_include_pad ? d->kernel_h * d->kernel_w : count);
          }
        }
        y[((size_t)plane * d->out_h + oy) * d->out_w + ox] = (float)out;
      }
    }
  }
}

void ep_ref_max_pool(const ep_pool_desc* d, const float* x, float* y) { pool_ref(d, x, y, true); }

void ep_ref_avg_pool(const ep_pool_desc* d, const float* x, float* y) { pool_ref(d, x, y, false); }

void ep_ref_global_avg_pool(int batch, int channels, int hw, const float* x, float* y) {
  for (int plane = 0; plane < batch * channels; plane++) {
    double sum = 0.0;
    for (int i = 0; i < hw; i++) sum += x[(size_t)plane * hw + i];
    y[plane] = (float)(sum / hw);
  }
}

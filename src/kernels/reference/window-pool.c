/* Reference pooling with ONNX semantics (dilations, end padding, ceil mode) and global max
 * pooling: every window from its definition. */
#include <math.h>

#include "kernels/tensor_ops.h"

void ep_ref_window_pool(const ep_window_pool_desc* d, bool max, const float* x, float* y) {
  for (int plane = 0; plane < d->batch * d->channels; plane++) {
    const float* xp = x + (size_t)plane * d->in_h * d->in_w;
    for (int oy = 0; oy < d->out_h; oy++) {
      for (int ox = 0; ox < d->out_w; ox++) {
        double acc = max ? -INFINITY : 0.0;
        int inside = 0, padded = 0;
        for (int ky = 0; ky < d->kernel_h; ky++) {
          const int iy = oy * d->stride_h - d->pad_top + ky * d->dilation_h;
          const bool y_in = iy >= 0 && iy < d->in_h;
          const bool y_pad = iy >= -d->pad_top && iy < d->in_h + d->pad_bottom;
          for (int kx = 0; kx < d->kernel_w; kx++) {
            const int ix = ox * d->stride_w - d->pad_left + kx * d->dilation_w;
            const bool x_in = ix >= 0 && ix < d->in_w;
            const bool x_pad = ix >= -d->pad_left && ix < d->in_w + d->pad_right;
            if (y_pad && x_pad) padded++;
            if (!y_in || !x_in) continue;
            const double v = xp[(size_t)iy * d->in_w + ix];
            acc = max ? (v > acc ? v : acc) : acc + v;
            inside++;
          }
        }
        double out = 0.0;
        if (inside > 0) out = max ? acc : acc / (d->count_include_pad ? padded : inside);
        y[((size_t)plane * d->out_h + oy) * d->out_w + ox] = (float)out;
      }
    }
  }
}

void ep_ref_global_max_pool(size_t planes, size_t hw, const float* x, float* y) {
  for (size_t plane = 0; plane < planes; plane++) {
    float m = -INFINITY;
    for (size_t i = 0; i < hw; i++) m = x[plane * hw + i] > m ? x[plane * hw + i] : m;
    y[plane] = m;
  }
}

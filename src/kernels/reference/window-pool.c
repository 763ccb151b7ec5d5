/* Reference pooling with ONNX semantics (1-D to 3-D windows, dilations, end padding, ceil mode)
 * and global max pooling: every window from its definition. */
#include <math.h>

#include "kernels/tensor_ops.h"

void ep_ref_window_pool(const ep_window_pool_desc* d, bool max, const float* x, float* y) {
  const size_t in_plane = (size_t)d->in_d * d->in_h * d->in_w;
  const size_t out_plane = (size_t)d->out_d * d->out_h * d->out_w;
  for (int plane = 0; plane < d->batch * d->channels; plane++) {
    const float* xp = x + (size_t)plane * in_plane;
    float* yp = y + (size_t)plane * out_plane;
    for (int oz = 0; oz < d->out_d; oz++) {
      for (int oy = 0; oy < d->out_h; oy++) {
        for (int ox = 0; ox < d->out_w; ox++) {
          double acc = max ? -INFINITY : 0.0;
          int inside = 0, padded = 0;
          for (int kz = 0; kz < d->kernel_d; kz++) {
            const int iz = oz * d->stride_d - d->pad_front + kz * d->dilation_d;
            const bool z_in = iz >= 0 && iz < d->in_d;
            const bool z_pad = iz >= -d->pad_front && iz < d->in_d + d->pad_back;
            for (int ky = 0; ky < d->kernel_h; ky++) {
              const int iy = oy * d->stride_h - d->pad_top + ky * d->dilation_h;
              const bool y_in = iy >= 0 && iy < d->in_h;
              const bool y_pad = iy >= -d->pad_top && iy < d->in_h + d->pad_bottom;
              for (int kx = 0; kx < d->kernel_w; kx++) {
                const int ix = ox * d->stride_w - d->pad_left + kx * d->dilation_w;
                const bool x_in = ix >= 0 && ix < d->in_w;
                const bool x_pad = ix >= -d->pad_left && ix < d->in_w + d->pad_right;
                if (z_pad && y_pad && x_pad) padded++;
                if (!z_in || !y_in || !x_in) continue;
                const double v = xp[((size_t)iz * d->in_h + iy) * d->in_w + ix];
                acc = max ? (v > acc ? v : acc) : acc + v;
                inside++;
              }
            }
          }
          double out = 0.0;
          if (inside > 0) out = max ? acc : acc / (d->count_include_pad ? padded : inside);
          yp[((size_t)oz * d->out_h + oy) * d->out_w + ox] = (float)out;
        }
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

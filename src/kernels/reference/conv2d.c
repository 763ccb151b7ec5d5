/* Reference convolution: the definition, one output at a time, summed in double. */
#include "kernels/kernels.h"
#include "kernels/reference/reference.h"

void ep_ref_conv2d(const ep_conv_desc* d, const float* x, const float* w, const float* bias,
                   float* y) {
  const int cin_g = d->in_channels / d->groups;
  const int cout_g = d->out_channels / d->groups;
  for (int b = 0; b < d->batch; b++) {
    for (int co = 0; co < d->out_channels; co++) {
      const int g = co / cout_g;
      for (int oy = 0; oy < d->out_h; oy++) {
        for (int ox = 0; ox < d->out_w; ox++) {
          double sum = d->has_bias && bias != NULL ? bias[co] : 0.0;
          for (int c = 0; c < cin_g; c++) {
            const int ci = g * cin_g + c;
            for (int ky = 0; ky < d->kernel_h; ky++) {
              const int iy = oy * d->stride_h - d->pad_top + ky * d->dilation_h;
              if (iy < 0 || iy >= d->in_h) continue;
              for (int kx = 0; kx < d->kernel_w; kx++) {
                const int ix = ox * d->stride_w - d->pad_left + kx * d->dilation_w;
                if (ix < 0 || ix >= d->in_w) continue;
                const double xv =
                    x[(((size_t)b * d->in_channels + ci) * d->in_h + iy) * d->in_w + ix];
                const double wv =
                    w[(((size_t)co * cin_g + c) * d->kernel_h + ky) * d->kernel_w + kx];
                sum += xv * wv;
              }
            }
          }
          y[(((size_t)b * d->out_channels + co) * d->out_h + oy) * d->out_w + ox] =
              (float)ep_ref_activate(d->act, sum);
        }
      }
    }
  }
}

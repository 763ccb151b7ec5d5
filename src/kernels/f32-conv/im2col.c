/* im2col straight into GEMM B panels. Each panel is nr consecutive output pixels; when they sit
 * on one output row (the common case for wide images) a tap reads one input row segment, which
 * for stride 1 is a plain copy. Other panels (row wrap, image edge) go element by element. */
#include "kernels/f32-conv/im2col.h"

#include <string.h>

#include "kernels/f32-gemm/gemm.h"

void ep_f32_im2col_pack(const ep_conv_desc* d, const float* x, size_t k0, size_t kc, size_t p0,
                        size_t np, size_t nr, float* out) {
  const int in_h = d->in_h, in_w = d->in_w, out_w = d->out_w;
  const int kw = d->kernel_w, sw = d->stride_w;
  const size_t khw = (size_t)d->kernel_h * (size_t)kw;
  const size_t plane = (size_t)in_h * (size_t)in_w;
  int iy0[EP_F32_GEMM_MAX_NR], ix0[EP_F32_GEMM_MAX_NR];
  for (size_t pp = 0; pp < np; pp += nr) {
    const size_t cols = np - pp < nr ? np - pp : nr;
    float* panel = out + pp * kc;
    for (size_t c = 0; c < cols; c++) {
      const int p = (int)(p0 + pp + c);
      iy0[c] = (p / out_w) * d->stride_h - d->pad_top;
      ix0[c] = (p % out_w) * sw - d->pad_left;
    }
    const bool one_row = cols == nr && iy0[0] == iy0[cols - 1];
    size_t ci = k0 / khw;
    int ky = (int)(k0 % khw) / kw;
    int kx = (int)(k0 % khw) % kw;
    for (size_t kk = 0; kk < kc; kk++) {
      float* dst = panel + kk * nr;
      const float* xc = x + ci * plane;
      const int dy = ky * d->dilation_h, dx = kx * d->dilation_w;
      if (one_row) {
        const int iy = iy0[0] + dy;
        const int ix_first = ix0[0] + dx, ix_last = ix0[cols - 1] + dx;
        if (iy < 0 || iy >= in_h) {
          memset(dst, 0, nr * sizeof *dst);
        } else if (ix_first >= 0 && ix_last < in_w) {
          const float* src = xc + (size_t)iy * (size_t)in_w + (size_t)ix_first;
          if (sw == 1) {
            memcpy(dst, src, nr * sizeof *dst);
          } else {
            for (size_t c = 0; c < nr; c++) dst[c] = src[c * (size_t)sw];
          }
        } else {
          const float* row = xc + (size_t)iy * (size_t)in_w;
          for (size_t c = 0; c < nr; c++) {
            const int ix = ix0[c] + dx;
            dst[c] = ix >= 0 && ix < in_w ? row[ix] : 0.0f;
          }
        }
      } else {
        size_t c = 0;
        for (; c < cols; c++) {
          const int iy = iy0[c] + dy, ix = ix0[c] + dx;
          dst[c] = iy >= 0 && iy < in_h && ix >= 0 && ix < in_w
                       ? xc[(size_t)iy * (size_t)in_w + (size_t)ix]
                       : 0.0f;
        }
        for (; c < nr; c++) dst[c] = 0.0f;
      }
      if (++kx == kw) {
        kx = 0;
        if (++ky == d->kernel_h) {
          ky = 0;
          ci++;
        }
      }
    }
  }
}

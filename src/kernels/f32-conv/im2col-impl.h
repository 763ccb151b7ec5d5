/* Vector im2col template (internal): the same packed B panels as im2col.c, built two steps at a
 * time per k row (channel, ky, kx): the row's pixels are first gathered contiguously into a
 * small buffer, one run per output row, with vector copies (stride 1) or even/odd splits
 * (stride 2) and zeros where the tap is in the padding; then the buffer is cut into the panels
 * with whole-panel copies. Per output row rather than per panel-cut segment, and no per-pixel
 * test: stride-2 layers such as ResNet's 7x7 stem spend a third of the time im2col.c does.
 *
 * Included once per ISA variant after a vector shim and EP_IM2COL_NAME; im2col.c calls it for
 * strides 1 and 2 and blocks of at most EP_IM2COL_MAX_PIXELS pixels. */
#include <string.h>

#include "kernels/f32-conv/im2col.h"
#include "kernels/f32-gemm/gemm.h"

/* out[0, n) = row[ix0 + i * stride] for columns inside [0, in_w), zeros outside. */
static inline __attribute__((always_inline)) void gather_run(float* restrict out, size_t n,
                                                             const float* row, int ix0, int stride,
                                                             int in_w) {
  /* Outputs [lo, hi) read inside the row. */
  int lo = ix0 >= 0 ? 0 : (-ix0 + stride - 1) / stride;
  int hi = in_w - 1 - ix0 < 0 ? 0 : (in_w - 1 - ix0) / stride + 1;
  if (lo > (int)n) lo = (int)n;
  if (hi > (int)n) hi = (int)n;
  if (hi < lo) hi = lo;
  for (int i = 0; i < lo; i++) out[i] = 0.0f;
  const float* src = row + ix0 + lo * stride;
  float* dst = out + lo;
  const size_t count = (size_t)(hi - lo);
  size_t i = 0;
  if (stride == 1) {
    for (; i + VF_LANES <= count; i += VF_LANES) vf_store(dst + i, vf_load(src + i));
    if (i < count) vf_store(dst + i, vf_load_tail(src + i, count - i));
  } else {
    /* A split reads 2 * VF_LANES floats: only while they are all inside the row. */
    const size_t avail = (size_t)(in_w - (ix0 + lo * stride));
    for (; i + VF_LANES <= count && 2 * i + 2 * VF_LANES <= avail; i += VF_LANES) {
      vf even, odd;
      vf_load_deinterleave(src + 2 * i, &even, &odd);
      vf_store(dst + i, even);
    }
    for (; i < count; i++) dst[i] = src[2 * i];
  }
  /* The vector tail may have written past hi: the zeros go after it. */
  for (int j = hi; j < (int)n; j++) out[j] = 0.0f;
}

void EP_IM2COL_NAME(const ep_conv_desc* d, const float* x, size_t k0, size_t kc, size_t p0,
                    size_t np, size_t nr, float* out) {
  const int in_h = d->in_h, in_w = d->in_w, out_w = d->out_w;
  const int kw = d->kernel_w, sw = d->stride_w;
  const size_t khw = (size_t)d->kernel_h * (size_t)kw;
  const size_t plane = (size_t)in_h * (size_t)in_w;
  float row[EP_IM2COL_MAX_PIXELS + 2 * VF_LANES];
  const size_t full = np / nr * nr;
  size_t ci = k0 / khw;
  int ky = (int)(k0 % khw) / kw;
  int kx = (int)(k0 % khw) % kw;
  for (size_t kk = 0; kk < kc; kk++) {
    const float* xc = x + ci * plane;
    const int dy = ky * d->dilation_h, dx = kx * d->dilation_w;
    /* Gather pixels [p0, p0 + np) of this k row, one output row at a time. */
    for (size_t j = 0; j < np;) {
      const size_t p = p0 + j;
      const int oy = (int)(p / (size_t)out_w), ox = (int)(p % (size_t)out_w);
      size_t len = (size_t)(out_w - ox);
      if (len > np - j) len = np - j;
      const int iy = oy * d->stride_h - d->pad_top + dy;
      if (iy < 0 || iy >= in_h) {
        memset(row + j, 0, len * sizeof *row);
      } else {
        gather_run(row + j, len, xc + (size_t)iy * (size_t)in_w, ox * sw - d->pad_left + dx, sw,
                   in_w);
      }
      j += len;
    }
    /* Cut it into the panels: row kk of each. */
    float* dst = out + kk * nr;
    size_t q = 0;
    for (; q < full; q += nr) ep_f32_copy_row(dst + q * kc, row + q, nr);
    if (q < np) {
      memcpy(dst + q * kc, row + q, (np - q) * sizeof *row);
      memset(dst + q * kc + (np - q), 0, (nr - (np - q)) * sizeof *row);
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

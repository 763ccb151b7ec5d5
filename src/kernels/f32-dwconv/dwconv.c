/* Depthwise convolution, one output row at a time: every tap adds a scaled input row segment to
 * the output row, so the inner loop is a contiguous (stride 1) or strided axpy over the row that
 * compilers vectorize, and the valid range of each tap is computed once instead of testing
 * every pixel against the padding. */
#include "kernels/f32-dwconv/dwconv.h"

#include <string.h>

bool ep_f32_dwconv_supports(const ep_conv_desc* d) {
  return d->groups == d->in_channels && d->out_channels % d->in_channels == 0;
}

size_t ep_f32_dwconv_packed_size(const ep_conv_desc* d) {
  return (size_t)d->out_channels * ((size_t)d->kernel_h * (size_t)d->kernel_w + 1);
}

void ep_f32_dwconv_pack(const ep_conv_desc* d, const float* w, const float* bias, float* packed) {
  const size_t taps = (size_t)d->out_channels * (size_t)d->kernel_h * (size_t)d->kernel_w;
  memcpy(packed, w, taps * sizeof *packed);
  for (int c = 0; c < d->out_channels; c++) {
    packed[taps + (size_t)c] = d->has_bias && bias != NULL ? bias[c] : 0.0f;
  }
}

typedef struct dwconv_job {
  const ep_conv_desc* d;
  const float* packed;
  const float* x;
  float* y;
} dwconv_job;

/* First output column whose tap at input offset `offset` (ix = ox * stride + offset) lands at
 * or after column 0, and one past the last that lands before `in_w`; clamped to [0, out_w]. */
static void valid_columns(int offset, int stride, int in_w, int out_w, int* lo, int* hi) {
  int first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int last = in_w - 1 - offset < 0 ? -1 : (in_w - 1 - offset) / stride;
  *lo = first < out_w ? first : out_w;
  *hi = last + 1 < out_w ? last + 1 : out_w;
  if (*hi < *lo) *hi = *lo;
}

static void dwconv_planes(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const dwconv_job* job = ctx;
  const ep_conv_desc* d = job->d;
  const int kh = d->kernel_h, kw = d->kernel_w, sh = d->stride_h, sw = d->stride_w;
  const int in_h = d->in_h, in_w = d->in_w, out_h = d->out_h, out_w = d->out_w;
  const size_t multiplier = (size_t)(d->out_channels / d->in_channels);
  const size_t taps = (size_t)kh * (size_t)kw;
  const float* bias = job->packed + (size_t)d->out_channels * taps;
  for (size_t plane = begin; plane < end; plane++) {
    const size_t b = plane / (size_t)d->out_channels;
    const size_t co = plane % (size_t)d->out_channels;
    const size_t ci = co / multiplier;
    const float* w = job->packed + co * taps;
    const float* x = job->x + (b * (size_t)d->in_channels + ci) * (size_t)in_h * (size_t)in_w;
    float* y = job->y + plane * (size_t)out_h * (size_t)out_w;
    for (int oy = 0; oy < out_h; oy++) {
      float* restrict yrow = y + (size_t)oy * (size_t)out_w;
      for (int ox = 0; ox < out_w; ox++) yrow[ox] = bias[co];
      for (int ky = 0; ky < kh; ky++) {
        const int iy = oy * sh - d->pad_top + ky * d->dilation_h;
        if (iy < 0 || iy >= in_h) continue;
        const float* restrict xrow = x + (size_t)iy * (size_t)in_w;
        for (int kx = 0; kx < kw; kx++) {
          const float wv = w[ky * kw + kx];
          const int offset = kx * d->dilation_w - d->pad_left;
          int lo, hi;
          valid_columns(offset, sw, in_w, out_w, &lo, &hi);
          /* x + offset may point before the row; index from the first valid column instead. */
          if (lo == hi) continue;
          const float* restrict src = xrow + (lo * sw + offset);
          float* restrict dst = yrow + lo;
          const int n = hi - lo;
          if (sw == 1) {
            for (int i = 0; i < n; i++) dst[i] += wv * src[i];
          } else if (sw == 2) {
            for (int i = 0; i < n; i++) dst[i] += wv * src[2 * i];
          } else {
            for (int i = 0; i < n; i++) dst[i] += wv * src[i * sw];
          }
        }
      }
      ep_activation_apply(d->act, yrow, (size_t)out_w);
    }
  }
}

void ep_f32_dwconv_run(const ep_conv_desc* d, const float* packed, const float* x, float* y,
                       ep_threadpool* pool) {
  dwconv_job job = {.d = d, .packed = packed, .x = x, .y = y};
  const size_t planes = (size_t)d->batch * (size_t)d->out_channels;
  ep_threadpool_parallel_for(pool, planes, 1, dwconv_planes, &job);
}

/* im2col straight into GEMM B panels.
 *
 * The pixels of a block are described once as row segments: runs of consecutive output pixels
 * on one output row, cut at panel boundaries. Every k row (channel, ky, kx) then copies each
 * segment from one input row: a plain copy for stride 1, a strided gather otherwise, with zeros
 * where the tap falls in the padding. No per-pixel division or bounds test in the inner loops,
 * and wrapped rows (images narrower than a panel, e.g. 7x7) cost no more than aligned ones. */
#include "kernels/f32-conv/im2col.h"

#include <string.h>

#include "kernels/config/kernel-config.h"
#include "kernels/f32-gemm/gemm.h"


/* Pixels described at a time: bounds the segment table on the stack. */
enum { GROUP_PIXELS = 256 };

typedef struct segment {
  float* dst; /* panel column where the run starts, at k row 0 */
  int len;
  int iy, ix; /* input position of the first pixel's (0, 0) tap */
} segment;

static void copy_segment(float* restrict dst, const float* restrict row, int len, int ix, int sw,
                         int in_w) {
  int c = 0;
  /* Leading taps left of the image, the inside run, trailing taps right of it. */
  for (; c < len && ix + c * sw < 0; c++) dst[c] = 0.0f;
  int inside_end = len;
  if (ix + (len - 1) * sw >= in_w) {
    inside_end = in_w - 1 - ix < 0 ? 0 : (in_w - 1 - ix) / sw + 1;
    if (inside_end < c) inside_end = c;
  }
  if (c < inside_end) {
    const float* src = row + (ix + c * sw);
    const int n = inside_end - c;
    if (sw == 1) {
      for (int i = 0; i < n; i++) dst[c + i] = src[i];
    } else {
      for (int i = 0; i < n; i++) dst[c + i] = src[i * sw];
    }
  }
  for (c = inside_end; c < len; c++) dst[c] = 0.0f;
}

void ep_f32_im2col_pack(const ep_conv_desc* d, const float* x, size_t k0, size_t kc, size_t p0,
                        size_t np, size_t nr, float* out) {
  /* The vector variants (im2col-impl.h) for strides 1 and 2; only speed depends on the level. */
  const ep_f32_im2col_fn vector = ep_kernel_config_get()->im2col;
  if (vector != NULL && d->stride_w <= 2 && np <= EP_IM2COL_MAX_PIXELS) {
    vector(d, x, k0, kc, p0, np, nr, out);
    return;
  }
  const int in_h = d->in_h, in_w = d->in_w, out_w = d->out_w;
  const int kw = d->kernel_w, sw = d->stride_w;
  const size_t khw = (size_t)d->kernel_h * (size_t)kw;
  const size_t plane = (size_t)in_h * (size_t)in_w;
  segment segs[GROUP_PIXELS]; /* a segment holds at least one pixel */
  /* Groups of whole panels. */
  const size_t group = GROUP_PIXELS / nr * nr;
  for (size_t g0 = 0; g0 < np; g0 += group) {
    const size_t gn = np - g0 < group ? np - g0 : group;
    /* Describe the group's pixels as segments. */
    size_t n_segs = 0;
    bool padded_tail = false;
    for (size_t j = 0; j < gn;) {
      const size_t p = p0 + g0 + j;
      const int oy = (int)(p / (size_t)out_w), ox = (int)(p % (size_t)out_w);
      const size_t in_panel = nr - j % nr;
      size_t len = (size_t)(out_w - ox);
      if (len > in_panel) len = in_panel;
      if (len > gn - j) len = gn - j;
      segs[n_segs++] = (segment){
          .dst = out + (g0 + j - j % nr) * kc + j % nr,
          .len = (int)len,
          .iy = oy * d->stride_h - d->pad_top,
          .ix = ox * sw - d->pad_left,
      };
      j += len;
      padded_tail = j == gn && j % nr != 0;
    }
    const size_t tail_start = gn % nr;
    float* tail = out + (g0 + gn - tail_start) * kc;

    size_t ci = k0 / khw;
    int ky = (int)(k0 % khw) / kw;
    int kx = (int)(k0 % khw) % kw;
    for (size_t kk = 0; kk < kc; kk++) {
      const float* xc = x + ci * plane;
      const int dy = ky * d->dilation_h, dx = kx * d->dilation_w;
      const size_t row_offset = kk * nr;
      for (size_t s = 0; s < n_segs; s++) {
        const segment* seg = &segs[s];
        float* dst = seg->dst + row_offset;
        const int iy = seg->iy + dy;
        const int ix = seg->ix + dx;
        if (iy < 0 || iy >= in_h) {
          memset(dst, 0, (size_t)seg->len * sizeof *dst);
        } else if ((size_t)seg->len == nr && sw == 1 && ix >= 0 && ix + (int)nr <= in_w) {
          ep_f32_copy_row(dst, xc + (size_t)iy * (size_t)in_w + (size_t)ix, nr);
        } else {
          copy_segment(dst, xc + (size_t)iy * (size_t)in_w, seg->len, ix, sw, in_w);
        }
      }
      if (padded_tail) {
        memset(tail + row_offset + tail_start, 0, (nr - tail_start) * sizeof *tail);
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

/* Depthwise convolution template (internal): one output plane from a zero-padded input plane.
 *
 * Included once per ISA variant after a vector shim and EP_DW_NAME (an ep_f32_dwconv_plane_fn).
 * The input plane is first copied with its padding into the worker's scratch (only the interior:
 * the zero borders stay from the worker's first plane), so every tap of every output pixel is in
 * bounds and the loops have no edge cases: an output row is computed a
 * vector of pixels at a time with all taps accumulated in a register, then biased, clamped and
 * stored once. Stride 2 loads two vectors and splits even and odd columns. 3x3 filters with
 * dilation 1, the MobileNet case, keep their nine weights in registers and compute two output
 * rows per pass, which share two of their four input rows. */
#include <stdbool.h>
#include <stddef.h>

#include "kernels/activation.h"
#include "kernels/f32-dwconv/dwconv.h"

#define EP_DW_INLINE static inline __attribute__((always_inline))

/* The tap at column offset `o` (dilation included) of a vector of pixels whose first tap-0 input
 * is at r; stride 1 or 2. */
EP_DW_INLINE vf tap_load(const float* r, int o, int stride) {
  if (stride == 1) return vf_load(r + o);
  vf even, odd;
  vf_load_deinterleave(r + (o & ~1), &even, &odd);
  return (o & 1) ? odd : even;
}

EP_DW_INLINE vf finish(vf acc, ep_activation act) {
  if (act == EP_ACT_RELU || act == EP_ACT_RELU6) {
    acc = vf_max(acc, vf_zero());
    if (act == EP_ACT_RELU6) acc = vf_min(acc, vf_set1(6.0f));
  }
  return acc;
}

EP_DW_INLINE void store(float* y, size_t n, vf v) {
  if (n == VF_LANES) {
    vf_store(y, v);
  } else {
    vf_store_tail(y, n, v);
  }
}

/* 3x3, dilation 1; sw (1 or 2) is a constant after inlining, the row stride is not. */
EP_DW_INLINE void plane_3x3(const ep_f32_dwconv_plane* p, const float* xp, const float* w,
                            float bias, float* y, const int sw) {
  const size_t pw = p->padded_w, out_w = (size_t)p->out_w;
  const int sh = p->stride_h;
  vf k[9];
  for (int t = 0; t < 9; t++) k[t] = vf_set1(w[t]);
  const vf b = vf_set1(bias);
  int oy = 0;
  /* Two output rows at a time: row oy reads input rows sh*oy + 0..2 and row oy + 1 reads
   * sh*oy + sh + 0..2; with sh = 1 they share two rows, with sh = 2 one. */
  if (sh <= 2) {
    for (; oy + 2 <= p->out_h; oy += 2) {
      const float* r0 = xp + (size_t)oy * (size_t)sh * pw;
      float* y0 = y + (size_t)oy * out_w;
      float* y1 = y0 + out_w;
      for (size_t ox = 0; ox < out_w; ox += VF_LANES) {
        const size_t n = out_w - ox < VF_LANES ? out_w - ox : VF_LANES;
        const float* r = r0 + ox * (size_t)sw;
        vf a0 = b, a1 = b;
        for (int row = 0; row < 3 + sh; row++) {
          const float* rr = r + (size_t)row * pw;
          const vf x0 = tap_load(rr, 0, sw), x1 = tap_load(rr, 1, sw), x2 = tap_load(rr, 2, sw);
          if (row < 3) {
            a0 = vf_fmadd(k[3 * row], x0, a0);
            a0 = vf_fmadd(k[3 * row + 1], x1, a0);
            a0 = vf_fmadd(k[3 * row + 2], x2, a0);
          }
          if (row >= sh) {
            const int ky = row - sh;
            a1 = vf_fmadd(k[3 * ky], x0, a1);
            a1 = vf_fmadd(k[3 * ky + 1], x1, a1);
            a1 = vf_fmadd(k[3 * ky + 2], x2, a1);
          }
        }
        store(y0 + ox, n, finish(a0, p->act));
        store(y1 + ox, n, finish(a1, p->act));
      }
    }
  }
  for (; oy < p->out_h; oy++) {
    const float* r0 = xp + (size_t)oy * (size_t)sh * pw;
    float* y0 = y + (size_t)oy * out_w;
    for (size_t ox = 0; ox < out_w; ox += VF_LANES) {
      const size_t n = out_w - ox < VF_LANES ? out_w - ox : VF_LANES;
      const float* r = r0 + ox * (size_t)sw;
      vf a0 = b;
      for (int ky = 0; ky < 3; ky++) {
        const float* rr = r + (size_t)ky * pw;
        a0 = vf_fmadd(k[3 * ky], tap_load(rr, 0, sw), a0);
        a0 = vf_fmadd(k[3 * ky + 1], tap_load(rr, 1, sw), a0);
        a0 = vf_fmadd(k[3 * ky + 2], tap_load(rr, 2, sw), a0);
      }
      store(y0 + ox, n, finish(a0, p->act));
    }
  }
}

/* Any filter size and dilation; sw is 1 or 2. */
EP_DW_INLINE void plane_any(const ep_f32_dwconv_plane* p, const float* xp, const float* w,
                            float bias, float* y, const int sw) {
  const size_t pw = p->padded_w, out_w = (size_t)p->out_w;
  for (int oy = 0; oy < p->out_h; oy++) {
    const float* r0 = xp + (size_t)oy * (size_t)p->stride_h * pw;
    float* y0 = y + (size_t)oy * out_w;
    for (size_t ox = 0; ox < out_w; ox += VF_LANES) {
      const size_t n = out_w - ox < VF_LANES ? out_w - ox : VF_LANES;
      const float* r = r0 + ox * (size_t)sw;
      vf acc = vf_set1(bias);
      for (int ky = 0; ky < p->kernel_h; ky++) {
        const float* rr = r + (size_t)ky * (size_t)p->dilation_h * pw;
        for (int kx = 0; kx < p->kernel_w; kx++) {
          const vf xv = tap_load(rr, kx * p->dilation_w, sw);
          acc = vf_fmadd(vf_bcast(w + ky * p->kernel_w + kx), xv, acc);
        }
      }
      store(y0 + ox, n, finish(acc, p->act));
    }
  }
}

/* Copies input plane x into the interior of xp (zeroing all of xp first when asked). Rows are
 * short (7 to 112 pixels): vector copies, the last vector ending at the row's end (overlapping
 * the one before), masked when the row is narrower than a vector. */
static void pad_copy(const ep_f32_dwconv_plane* p, const float* x, float* xp, bool zero) {
  const size_t pw = p->padded_w, in_w = (size_t)p->in_w;
  if (zero) {
    const size_t n = p->padded_rows * pw + EP_F32_DWCONV_SLACK;
    size_t i = 0;
    for (; i + VF_LANES <= n; i += VF_LANES) vf_store(xp + i, vf_zero());
    for (; i < n; i++) xp[i] = 0.0f;
  }
  float* row = xp + (size_t)p->pad_top * pw + (size_t)p->pad_left;
  for (int iy = 0; iy < p->in_h; iy++, row += pw, x += in_w) {
    if (in_w < VF_LANES) {
      vf_store_tail(row, in_w, vf_load_tail(x, in_w));
      continue;
    }
    size_t i = 0;
    for (; i + VF_LANES <= in_w; i += VF_LANES) vf_store(row + i, vf_load(x + i));
    if (i < in_w) vf_store(row + in_w - VF_LANES, vf_load(x + in_w - VF_LANES));
  }
}

/* stride_w must be 1 or 2 (ep_f32_dwconv_plane_fn). */
void EP_DW_NAME(const ep_f32_dwconv_plane* p, const float* x, float* xp, bool zero, const float* w,
                float bias, float* y) {
  if (x != NULL) pad_copy(p, x, xp, zero);
  const bool is_3x3 =
      p->kernel_h == 3 && p->kernel_w == 3 && p->dilation_h == 1 && p->dilation_w == 1;
  if (p->stride_w == 1) {
    if (is_3x3) {
      plane_3x3(p, xp, w, bias, y, 1);
    } else {
      plane_any(p, xp, w, bias, y, 1);
    }
  } else if (is_3x3) {
    plane_3x3(p, xp, w, bias, y, 2);
  } else {
    plane_any(p, xp, w, bias, y, 2);
  }
  /* Sigmoid and tanh are not fused: one pass over the finished plane. */
  if (p->act == EP_ACT_SIGMOID || p->act == EP_ACT_TANH) {
    ep_activation_apply(p->act, y, (size_t)p->out_h * (size_t)p->out_w);
  }
}

#undef EP_DW_INLINE

/* Depthwise convolution template (internal): one output plane from a zero-padded input plane.
 *
 * Included once per ISA variant after a vector shim and EP_DW_NAME (an ep_f32_dwconv_plane_fn).
 * The input plane is first copied with its padding into the worker's scratch (only the interior:
 * the zero borders stay from the worker's first plane), so every tap of every output pixel is in
 * bounds and the loops have no edge cases: an output row is computed a
 * vector of pixels at a time with all taps accumulated in a register, then biased, clamped and
 * stored once. Stride 2 loads two vectors and splits even and odd columns; 3x3 stride 2 planes
 * are instead copied with each row already split (pad_copy_split), so that their taps are plain
 * loads. 3x3 filters with dilation 1, the MobileNet case, keep their nine weights in registers
 * and compute two output rows per pass, which share two of their four input rows; 7x7 stride 1
 * filters (ConvNeXt) compute four rows per pass, four independent FMA chains instead of one
 * (convnext_tiny's 18 depthwise layers 0.6x the time of the one-row loop). Rows narrower
 * than a vector (7 or 14 pixels) are stored as whole vectors where that stays inside the plane,
 * and a row's last partial vector overlaps the one before: no masked stores but the plane's last
 * row's. */
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

/* Stores the n pixels of v at y. A row narrower than a vector (n < VF_LANES only then) stores the
 * whole vector when that stays inside the plane (y + VF_LANES <= end): the extra lanes land in
 * later rows, which are computed and stored after this one. Masked stores are slow on some
 * cores (AMD Zen), so only the plane's last row takes one. */
EP_DW_INLINE void store(float* y, size_t n, vf v, const float* end) {
  if (n == VF_LANES || y + VF_LANES <= end) {
    vf_store(y, v);
  } else {
    vf_store_tail(y, n, v);
  }
}

/* The first output column of the vector at ox: a row's last, partial vector is moved back to end
 * at the row's end (overlapping the one before) when the row holds a whole vector. */
EP_DW_INLINE size_t vector_start(size_t ox, size_t out_w) {
  return ox + VF_LANES > out_w && out_w >= VF_LANES ? out_w - VF_LANES : ox;
}

/* The three taps of a 3x3 filter for the vector of pixels whose row data starts at rr. Stride 1:
 * plain rows. Stride 2: rows split by pad_copy_split into their even columns (first he floats)
 * and odd columns, where taps 0, 1 and 2 of output ox are even[ox], odd[ox] and even[ox + 1]. */
EP_DW_INLINE void taps3(const float* rr, int sw, size_t he, vf* x0, vf* x1, vf* x2) {
  if (sw == 1) {
    *x0 = vf_load(rr);
    *x1 = vf_load(rr + 1);
    *x2 = vf_load(rr + 2);
  } else {
    *x0 = vf_load(rr);
    *x1 = vf_load(rr + he);
    *x2 = vf_load(rr + 1);
  }
}

/* 3x3, dilation 1; sw (1 or 2) is a constant after inlining, the row stride is not. With sw 2,
 * xp holds split rows (pad_copy_split). */
EP_DW_INLINE void plane_3x3(const ep_f32_dwconv_plane* p, const float* xp, const float* w,
                            float bias, float* y, const int sw) {
  const size_t pw = p->padded_w, out_w = (size_t)p->out_w;
  const size_t he = (pw + 1) / 2;
  const int sh = p->stride_h;
  vf k[9];
  for (int t = 0; t < 9; t++) k[t] = vf_set1(w[t]);
  const vf b = vf_set1(bias);
  const float* end = y + (size_t)p->out_h * out_w;
  int oy = 0;
  /* Two output rows at a time: row oy reads input rows sh*oy + 0..2 and row oy + 1 reads
   * sh*oy + sh + 0..2; with sh = 1 they share two rows, with sh = 2 one. */
  if (sh <= 2) {
    for (; oy + 2 <= p->out_h; oy += 2) {
      const float* r0 = xp + (size_t)oy * (size_t)sh * pw;
      float* y0 = y + (size_t)oy * out_w;
      float* y1 = y0 + out_w;
      for (size_t ox = 0; ox < out_w; ox += VF_LANES) {
        ox = vector_start(ox, out_w);
        const size_t n = out_w - ox < VF_LANES ? out_w - ox : VF_LANES;
        const float* r = r0 + ox;
        vf a0 = b, a1 = b;
        for (int row = 0; row < 3 + sh; row++) {
          vf x0, x1, x2;
          taps3(r + (size_t)row * pw, sw, he, &x0, &x1, &x2);
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
        store(y0 + ox, n, finish(a0, p->act), end);
        store(y1 + ox, n, finish(a1, p->act), end);
      }
    }
  }
  for (; oy < p->out_h; oy++) {
    const float* r0 = xp + (size_t)oy * (size_t)sh * pw;
    float* y0 = y + (size_t)oy * out_w;
    for (size_t ox = 0; ox < out_w; ox += VF_LANES) {
      ox = vector_start(ox, out_w);
      const size_t n = out_w - ox < VF_LANES ? out_w - ox : VF_LANES;
      const float* r = r0 + ox;
      vf a0 = b;
      for (int ky = 0; ky < 3; ky++) {
        vf x0, x1, x2;
        taps3(r + (size_t)ky * pw, sw, he, &x0, &x1, &x2);
        a0 = vf_fmadd(k[3 * ky], x0, a0);
        a0 = vf_fmadd(k[3 * ky + 1], x1, a0);
        a0 = vf_fmadd(k[3 * ky + 2], x2, a0);
      }
      store(y0 + ox, n, finish(a0, p->act), end);
    }
  }
}

/* Any filter size and dilation; sw is 1 or 2. */
EP_DW_INLINE void plane_any(const ep_f32_dwconv_plane* p, const float* xp, const float* w,
                            float bias, float* y, const int sw) {
  const size_t pw = p->padded_w, out_w = (size_t)p->out_w;
  const float* end = y + (size_t)p->out_h * out_w;
  for (int oy = 0; oy < p->out_h; oy++) {
    const float* r0 = xp + (size_t)oy * (size_t)p->stride_h * pw;
    float* y0 = y + (size_t)oy * out_w;
    for (size_t ox = 0; ox < out_w; ox += VF_LANES) {
      ox = vector_start(ox, out_w);
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
      store(y0 + ox, n, finish(acc, p->act), end);
    }
  }
}

/* 7x7, stride 1, dilation 1 (ConvNeXt's depthwise layers): four output rows per pass. A single
 * output vector's 49 taps are one chain of dependent FMAs (latency-bound: 49 x 4 cycles per
 * vector); four rows give four independent chains, and each input vector loaded (rows oy to
 * oy + 9) serves every row whose window holds it, 70 loads for 196 FMAs instead of 196. Rows
 * left over (out_h not a multiple of 4) go through plane_any. */
EP_DW_INLINE void plane_7x7(const ep_f32_dwconv_plane* p, const float* xp, const float* w,
                            float bias, float* y) {
  enum { K = 7, R = 4 };
  const size_t pw = p->padded_w, out_w = (size_t)p->out_w;
  const float* end = y + (size_t)p->out_h * out_w;
  const vf b = vf_set1(bias);
  int oy = 0;
  for (; oy + R <= p->out_h; oy += R) {
    const float* r0 = xp + (size_t)oy * pw;
    float* y0 = y + (size_t)oy * out_w;
    for (size_t ox = 0; ox < out_w; ox += VF_LANES) {
      ox = vector_start(ox, out_w);
      const size_t n = out_w - ox < VF_LANES ? out_w - ox : VF_LANES;
      const float* r = r0 + ox;
      vf a0 = b, a1 = b, a2 = b, a3 = b;
#pragma GCC unroll 10
      for (int row = 0; row < K + R - 1; row++) {
        const float* rr = r + (size_t)row * pw;
#pragma GCC unroll 7
        for (int kx = 0; kx < K; kx++) {
          const vf xv = vf_load(rr + kx);
          if (row < K) a0 = vf_fmadd(vf_bcast(w + row * K + kx), xv, a0);
          if (row >= 1 && row < K + 1) a1 = vf_fmadd(vf_bcast(w + (row - 1) * K + kx), xv, a1);
          if (row >= 2 && row < K + 2) a2 = vf_fmadd(vf_bcast(w + (row - 2) * K + kx), xv, a2);
          if (row >= 3) a3 = vf_fmadd(vf_bcast(w + (row - 3) * K + kx), xv, a3);
        }
      }
      /* In row order: a row narrower than a vector spills into the rows after it (store). */
      store(y0 + ox, n, finish(a0, p->act), end);
      store(y0 + out_w + ox, n, finish(a1, p->act), end);
      store(y0 + 2 * out_w + ox, n, finish(a2, p->act), end);
      store(y0 + 3 * out_w + ox, n, finish(a3, p->act), end);
    }
  }
  if (oy < p->out_h) {
    ep_f32_dwconv_plane rest = *p;
    rest.out_h = p->out_h - oy;
    plane_any(&rest, xp + (size_t)oy * pw, w, bias, y + (size_t)oy * out_w, 1);
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
      /* A whole vector, its extra lanes zero: they land in the right padding, the next row
       * (copied after this one) or the bottom padding and slack, all of which end up as they
       * should. Masked stores are slow on some cores (AMD Zen); masked loads are not. */
      vf_store(row, vf_load_tail(x, in_w));
      continue;
    }
    size_t i = 0;
    for (; i + VF_LANES <= in_w; i += VF_LANES) vf_store(row + i, vf_load(x + i));
    if (i < in_w) vf_store(row + in_w - VF_LANES, vf_load(x + in_w - VF_LANES));
  }
}

/* As pad_copy, but each padded row is stored split: its even columns (padded column c at c / 2),
 * then from he = (padded_w + 1) / 2 on its odd columns, for stride 2 3x3 planes: the even/odd
 * split is done once per input float instead of once per tap row read. */
static void pad_copy_split(const ep_f32_dwconv_plane* p, const float* x, float* xp, bool zero) {
  const size_t pw = p->padded_w, in_w = (size_t)p->in_w, pl = (size_t)p->pad_left;
  const size_t he = (pw + 1) / 2;
  if (zero) {
    const size_t n = p->padded_rows * pw + EP_F32_DWCONV_SLACK;
    size_t i = 0;
    for (; i + VF_LANES <= n; i += VF_LANES) vf_store(xp + i, vf_zero());
    for (; i < n; i++) xp[i] = 0.0f;
  }
  float* row = xp + (size_t)p->pad_top * pw;
  for (int iy = 0; iy < p->in_h; iy++, row += pw, x += in_w) {
    /* Input column ix is padded column pl + ix: the even input columns go to a and the odd
     * ones to b, both at ix / 2. */
    float* a = pl % 2 == 0 ? row + pl / 2 : row + he + (pl - 1) / 2;
    float* b = pl % 2 == 0 ? row + he + pl / 2 : row + (pl + 1) / 2;
    if (in_w < 2 * VF_LANES) {
      /* One split of a row loaded with zeros past its end, stored as whole vectors: the even
       * half first, whose zeros land in the right padding and the odd half's left padding, then
       * the odd half, whose zeros land in its right padding and the next row (copied after this
       * one) or the bottom padding and slack. No scalar copies, no masked stores. */
      const vf lo = in_w < VF_LANES ? vf_load_tail(x, in_w) : vf_load(x);
      const vf hi = in_w > VF_LANES ? vf_load_tail(x + VF_LANES, in_w - VF_LANES) : vf_zero();
      vf even, odd;
      vf_deinterleave2(lo, hi, &even, &odd);
      if (pl % 2 == 0) {
        vf_store(a, even);
        vf_store(b, odd);
      } else {
        vf_store(b, odd);
        vf_store(a, even);
      }
      continue;
    }
    size_t ix = 0;
    for (; ix + 2 * VF_LANES <= in_w; ix += 2 * VF_LANES) {
      vf even, odd;
      vf_load_deinterleave(x + ix, &even, &odd);
      vf_store(a + ix / 2, even);
      vf_store(b + ix / 2, odd);
    }
    if (ix < in_w && in_w % 2 == 0) {
      /* The last whole split, overlapping the one before: ix stays even. */
      ix = in_w - 2 * VF_LANES;
      vf even, odd;
      vf_load_deinterleave(x + ix, &even, &odd);
      vf_store(a + ix / 2, even);
      vf_store(b + ix / 2, odd);
      ix = in_w;
    }
    for (; ix + 1 < in_w; ix += 2) {
      a[ix / 2] = x[ix];
      b[ix / 2] = x[ix + 1];
    }
    if (ix < in_w) a[ix / 2] = x[ix];
  }
}

/* stride_w must be 1 or 2 (ep_f32_dwconv_plane_fn). */
void EP_DW_NAME(const ep_f32_dwconv_plane* p, const float* x, float* xp, bool zero, const float* w,
                float bias, float* y) {
  const bool is_3x3 =
      p->kernel_h == 3 && p->kernel_w == 3 && p->dilation_h == 1 && p->dilation_w == 1;
  if (x != NULL) {
    if (p->stride_w == 2 && is_3x3) {
      pad_copy_split(p, x, xp, zero);
    } else {
      pad_copy(p, x, xp, zero);
    }
  }
  const bool is_7x7 = p->kernel_h == 7 && p->kernel_w == 7 && p->stride_h == 1 &&
                      p->dilation_h == 1 && p->dilation_w == 1;
  if (p->stride_w == 1) {
    if (is_3x3) {
      plane_3x3(p, xp, w, bias, y, 1);
    } else if (is_7x7) {
      plane_7x7(p, xp, w, bias, y);
    } else {
      plane_any(p, xp, w, bias, y, 1);
    }
  } else if (is_3x3) {
    plane_3x3(p, xp, w, bias, y, 2);
  } else {
    plane_any(p, xp, w, bias, y, 2);
  }
  /* Activations other than the clamps are not fused: one pass over the finished plane. */
  if (p->act != EP_ACT_NONE && p->act != EP_ACT_RELU && p->act != EP_ACT_RELU6) {
    ep_activation_apply(p->act, y, (size_t)p->out_h * (size_t)p->out_w);
  }
}

#undef EP_DW_INLINE

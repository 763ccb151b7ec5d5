/* Max and average pooling template (internal): one plane, separably. For each output row the
 * valid input rows are reduced column by column into a row buffer that carries the horizontal
 * padding (-inf for max, 0 for average), then each output pixel reduces its kernel_w taps of
 * that buffer: stride 1 with shifted loads, stride 2 by splitting even and odd columns. Both
 * passes are whole vectors; the caller (pool.c) handles what does not fit the buffers. Masked
 * stores are slow on some cores (AMD Zen) and narrow planes (7, 14, 28 columns) would take one
 * per row: a row's last partial vector is loaded and stored whole wherever that stays inside the
 * plane (the extra lanes land in the next row, computed after), and only the plane's last row
 * uses masks.
 *
 * Included once per ISA variant after a vector shim and EP_POOL_NAME (an ep_pool_plane_fn). */
#include <stdbool.h>
#include <stddef.h>

#include "kernels/pool/pool.h"

#define EP_POOL_INLINE static inline __attribute__((always_inline))

EP_POOL_INLINE vf combine(vf a, vf b, bool max) { return max ? vf_max(a, b) : vf_add(a, b); }

EP_POOL_INLINE vf tap_load(const float* r, int k, int stride) {
  if (stride == 1) return vf_load(r + k);
  vf even, odd;
  vf_load_deinterleave(r + (k & ~1), &even, &odd);
  return (k & 1) ? odd : even;
}

EP_POOL_INLINE void plane(const ep_pool_plane* p, const float* x, float* y, float* row,
                          const bool max, const int sw) {
  const size_t in_w = (size_t)p->in_w, out_w = (size_t)p->out_w;
  const size_t pad_left = (size_t)p->pad_left;
  const float fill = max ? -__builtin_inff() : 0.0f;
  for (size_t i = 0; i < p->row_floats; i++) row[i] = fill;
  float* inside = row + pad_left;
  const vf fill_v = vf_set1(fill);
  const float* x_end = x + (size_t)p->in_h * in_w;
  const float* y_end = y + (size_t)p->out_h * out_w;
  for (int oy = 0; oy < p->out_h; oy++) {
    const int iy0 = oy * p->stride_h - p->pad_top;
    const int ky_lo = iy0 < 0 ? -iy0 : 0;
    const int ky_hi = p->in_h - iy0 < p->kernel_h ? p->in_h - iy0 : p->kernel_h;
    float* yr = y + (size_t)oy * out_w;
    if (ky_hi <= ky_lo) {
      /* The window lies wholly in the padding: no value, 0 by convention. */
      for (size_t ox = 0; ox < out_w; ox++) yr[ox] = 0.0f;
      continue;
    }
    /* Vertical pass into the row buffer. */
    const float* x0 = x + (size_t)(iy0 + ky_lo) * in_w;
    size_t c = 0;
    for (; c + VF_LANES <= in_w; c += VF_LANES) {
      vf acc = vf_load(x0 + c);
      for (int ky = ky_lo + 1; ky < ky_hi; ky++) {
        acc = combine(acc, vf_load(x0 + (size_t)(ky - ky_lo) * in_w + c), max);
      }
      vf_store(inside + c, acc);
    }
    if (c < in_w) {
      const size_t n = in_w - c;
      const float* last = x0 + (size_t)(ky_hi - 1 - ky_lo) * in_w + c;
      if (last + VF_LANES <= x_end) {
        /* Whole vectors: the lanes past the row are another row's, and the store that puts
         * them past `inside`'s columns is undone by restoring the padding right after. */
        vf acc = vf_load(x0 + c);
        for (int ky = ky_lo + 1; ky < ky_hi; ky++) {
          acc = combine(acc, vf_load(x0 + (size_t)(ky - ky_lo) * in_w + c), max);
        }
        vf_store(inside + c, acc);
        vf_store(inside + in_w, fill_v);
      } else {
        vf acc = vf_load_tail(x0 + c, n);
        for (int ky = ky_lo + 1; ky < ky_hi; ky++) {
          acc = combine(acc, vf_load_tail(x0 + (size_t)(ky - ky_lo) * in_w + c, n), max);
        }
        vf_store_tail(inside + c, n, acc);
      }
    }
    /* Horizontal pass. */
    const vf row_scale = vf_set1(max ? 1.0f : p->row_scale[ky_hi - ky_lo]);
    for (size_t ox = 0; ox < out_w; ox += VF_LANES) {
      const size_t n = out_w - ox < VF_LANES ? out_w - ox : VF_LANES;
      const float* r = row + ox * (size_t)sw;
      vf acc = tap_load(r, 0, sw);
      for (int kx = 1; kx < p->kernel_w; kx++) acc = combine(acc, tap_load(r, kx, sw), max);
      if (!max) {
        const vf col =
            n == VF_LANES ? vf_load(p->col_scale + ox) : vf_load_tail(p->col_scale + ox, n);
        acc = vf_mul(vf_mul(acc, row_scale), col);
      }
      if (n == VF_LANES || yr + ox + VF_LANES <= y_end) {
        vf_store(yr + ox, acc);
      } else {
        vf_store_tail(yr + ox, n, acc);
      }
    }
    if (max) {
      for (int ox = 0; ox < p->first_col; ox++) yr[ox] = 0.0f;
      for (int ox = p->end_col; ox < p->out_w; ox++) yr[ox] = 0.0f;
    }
  }
}

void EP_POOL_NAME(const ep_pool_plane* p, bool max, const float* x, float* y, float* row) {
  if (p->stride_w == 1) {
    if (max) {
      plane(p, x, y, row, true, 1);
    } else {
      plane(p, x, y, row, false, 1);
    }
  } else if (max) {
    plane(p, x, y, row, true, 2);
  } else {
    plane(p, x, y, row, false, 2);
  }
}

#undef EP_POOL_INLINE

/* Winograd F(4x4, 3x3) transforms template (internal): see winograd.h.
 *
 * A vector holds one value of VF_LANES horizontally adjacent tiles. Tile column tx starts at
 * input column 4 tx, so the 6 columns of a tile row's patches are the 4 phases of a stride-4
 * split of the row (columns 0-3) and the first two phases of the split that starts one tile
 * later (columns 4, 5); the output goes back through the inverse interleave. The transform
 * matrices are constants: with the loops unrolled, the compiler drops the zero terms.
 *
 * Included once per ISA variant after a vector shim and EP_WG_NAME(name). */
#include <stddef.h>

#include "kernels/f32-conv/winograd.h"

#define EP_WG_INLINE static inline __attribute__((always_inline))

static const float BT[6][6] = {
    {4, 0, -5, 0, 1, 0},  {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
    {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1},
};
static const float AT[4][6] = {
    {1, 1, 1, 1, 1, 0},
    {0, 1, -1, 2, -2, 0},
    {0, 1, 1, 4, 4, 0},
    {0, 1, -1, 8, -8, 1},
};

/* sum_i c[i] x[i] over 6 terms with constant coefficients. */
EP_WG_INLINE vf combine6(const float c[6], const vf x[6]) {
  vf acc = vf_zero();
  int first = 1;
  _Pragma("GCC unroll 6") for (int i = 0; i < 6; i++) {
    if (c[i] == 0.0f) continue;
    if (first) {
      acc = c[i] == 1.0f    ? x[i]
            : c[i] == -1.0f ? vf_sub(vf_zero(), x[i])
                            : vf_mul(vf_set1(c[i]), x[i]);
    } else {
      acc = c[i] == 1.0f    ? vf_add(acc, x[i])
            : c[i] == -1.0f ? vf_sub(acc, x[i])
                            : vf_fmadd(vf_set1(c[i]), x[i], acc);
    }
    first = 0;
  }
  return acc;
}

/* The 4 phases of the 4 * VF_LANES floats at p: out[q] lane i = p[4 i + q]. */
EP_WG_INLINE void deinterleave4(const float* p, vf out[4]) {
  vf e0, o0, e1, o1;
  vf_deinterleave2(vf_load(p), vf_load(p + VF_LANES), &e0, &o0);
  vf_deinterleave2(vf_load(p + 2 * VF_LANES), vf_load(p + 3 * VF_LANES), &e1, &o1);
  vf_deinterleave2(e0, e1, &out[0], &out[2]);
  vf_deinterleave2(o0, o1, &out[1], &out[3]);
}

/* The inverse: the 4 * VF_LANES floats whose element 4 i + q is in[q] lane i. */
EP_WG_INLINE void interleave4(const vf in[4], vf out[4]) {
  vf a0, a1, b0, b1;
  vf_interleave2(in[0], in[2], &a0, &a1);
  vf_interleave2(in[1], in[3], &b0, &b1);
  vf_interleave2(a0, b0, &out[0], &out[1]);
  vf_interleave2(a1, b1, &out[2], &out[3]);
}

void EP_WG_NAME(input)(const ep_wg_geometry* g, const float* xp, size_t ci, float* v) {
  float* v_row = v + ci * g->v_ld;
  for (size_t ty = 0; ty < g->tiles_h; ty++) {
    for (size_t tx = 0; tx < g->tiles_w; tx += VF_LANES) {
      const float* patch = xp + ty * EP_WG_M * g->padded_w + tx * EP_WG_M;
      /* t[r][nu] = sum_c d[r][c] BT[nu][c]: one input row at a time. */
      vf t[6][6];
      _Pragma("GCC unroll 6") for (int r = 0; r < 6; r++) {
        const float* row = patch + (size_t)r * g->padded_w;
        vf d[6], next[4];
        deinterleave4(row, d);
        deinterleave4(row + EP_WG_M, next);
        d[4] = next[0];
        d[5] = next[1];
        _Pragma("GCC unroll 6") for (int nu = 0; nu < 6; nu++) t[r][nu] = combine6(BT[nu], d);
      }
      /* V[xi][nu] = sum_r BT[xi][r] t[r][nu]. Whole vectors: lanes past the tile row land on
       * the next row's tiles, written after this, or in the rows' slack. */
      float* dst = v_row + ty * g->tiles_w + tx;
      _Pragma("GCC unroll 6") for (int nu = 0; nu < 6; nu++) {
        vf col[6];
        _Pragma("GCC unroll 6") for (int r = 0; r < 6; r++) col[r] = t[r][nu];
        _Pragma("GCC unroll 6") for (int xi = 0; xi < 6; xi++) {
          vf_store(dst + (size_t)(xi * 6 + nu) * g->v_stride, combine6(BT[xi], col));
        }
      }
    }
  }
}

/* Stores the first `cols` floats (at most nvec * VF_LANES) of the vectors w at yr: the interleaved
 * output row of a vector of tiles, cut at the image's right edge. Shared with winograd2-impl.h. */
EP_WG_INLINE void store_tile_row(float* yr, const vf* w, int nvec, size_t cols) {
  _Pragma("GCC unroll 4") for (int q = 0; q < nvec; q++) {
    const size_t first = (size_t)q * VF_LANES;
    if (first >= cols) break;
    if (cols - first >= VF_LANES) {
      vf_store(yr + first, w[q]);
    } else {
      vf_store_tail(yr + first, cols - first, w[q]);
    }
  }
}

void EP_WG_NAME(output)(const ep_wg_geometry* g, const float* m, size_t co, float bias,
                        ep_activation act, float* y) {
  const vf b = vf_set1(bias);
  const vf lo = vf_zero();
  const vf hi = vf_set1(act == EP_ACT_RELU6 ? 6.0f : 3.4028235e38f);
  const int clamp = act == EP_ACT_RELU || act == EP_ACT_RELU6;
  const float* m_row = m + co * g->m_ld;
  for (size_t ty = 0; ty < g->tiles_h; ty++) {
    for (size_t tx = 0; tx < g->tiles_w; tx += VF_LANES) {
      const size_t n = g->tiles_w - tx < VF_LANES ? g->tiles_w - tx : VF_LANES;
      const size_t t0 = ty * g->tiles_w + tx;
      /* s[i][nu] = sum_xi AT[i][xi] M[xi][nu]. */
      vf s[4][6];
      _Pragma("GCC unroll 6") for (int nu = 0; nu < 6; nu++) {
        vf col[6];
        _Pragma("GCC unroll 6") for (int xi = 0; xi < 6; xi++) {
          /* Lanes past the tile row read the next row's tiles (or M's slack): discarded. */
          col[xi] = vf_load(m_row + (size_t)(xi * 6 + nu) * g->m_stride + t0);
        }
        _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) s[i][nu] = combine6(AT[i], col);
      }
      const size_t x0 = tx * EP_WG_M;
      const size_t cols = g->out_w - x0 < EP_WG_M * n ? g->out_w - x0 : EP_WG_M * n;
      _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
        const size_t oy = ty * EP_WG_M + (size_t)i;
        if (oy >= g->out_h) break;
        vf o[4], w[4];
        _Pragma("GCC unroll 4") for (int j = 0; j < 4; j++) {
          vf x = vf_add(combine6(AT[j], s[i]), b);
          if (clamp) x = vf_min(vf_max(x, lo), hi);
          o[j] = x;
        }
        interleave4(o, w);
        store_tile_row(y + oy * g->out_w + x0, w, 4, cols);
      }
    }
  }
}

#undef EP_WG_INLINE

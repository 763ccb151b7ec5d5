/* Winograd F(2x2, 3x3) transforms template (internal): see winograd.h.
 *
 * The small-image variant: each 2x2 output tile comes from a 4x4 input patch, 16 products per
 * tile and channel pair instead of 36, and U is 16/9 times the weights (F(4x4, 3x3): 4 times).
 * As in winograd-impl.h a vector holds one value of VF_LANES horizontally adjacent tiles: tile
 * column tx starts at input column 2 tx, so a patch row is the 2 phases of a stride-2 split of
 * the row and the 2 phases of the split that starts one tile later.
 *
 * Included once per ISA variant after winograd-impl.h, whose store_tile_row it uses. */
#include <stddef.h>

#include "kernels/f32-conv/winograd.h"

#define EP_WG_INLINE static inline __attribute__((always_inline))

static const float BT2[4][4] = {
    {1, 0, -1, 0},
    {0, 1, 1, 0},
    {0, -1, 1, 0},
    {0, 1, 0, -1},
};
static const float AT2[2][4] = {
    {1, 1, 1, 0},
    {0, 1, -1, -1},
};

/* sum_i c[i] x[i] over 4 terms whose coefficients are 0, 1 or -1. */
EP_WG_INLINE vf combine4(const float c[4], const vf x[4]) {
  vf acc = vf_zero();
  int first = 1;
  _Pragma("GCC unroll 4") for (int i = 0; i < 4; i++) {
    if (c[i] == 0.0f) continue;
    if (first) {
      acc = c[i] == 1.0f ? x[i] : vf_sub(vf_zero(), x[i]);
    } else {
      acc = c[i] == 1.0f ? vf_add(acc, x[i]) : vf_sub(acc, x[i]);
    }
    first = 0;
  }
  return acc;
}

void EP_WG_NAME(input2)(const ep_wg_geometry* g, const float* xp, size_t ci, float* v) {
  float* v_row = v + ci * g->v_ld;
  for (size_t ty = 0; ty < g->tiles_h; ty++) {
    for (size_t tx = 0; tx < g->tiles_w; tx += VF_LANES) {
      const float* patch = xp + ty * EP_WG2_M * g->padded_w + tx * EP_WG2_M;
      /* t[r][nu] = sum_c d[r][c] BT2[nu][c]: one input row at a time. */
      vf t[4][4];
      _Pragma("GCC unroll 4") for (int r = 0; r < 4; r++) {
        const float* row = patch + (size_t)r * g->padded_w;
        vf d[4];
        vf_deinterleave2(vf_load(row), vf_load(row + VF_LANES), &d[0], &d[1]);
        vf_deinterleave2(vf_load(row + EP_WG2_M), vf_load(row + EP_WG2_M + VF_LANES), &d[2], &d[3]);
        _Pragma("GCC unroll 4") for (int nu = 0; nu < 4; nu++) t[r][nu] = combine4(BT2[nu], d);
      }
      /* V[xi][nu] = sum_r BT2[xi][r] t[r][nu]; lanes past the tile row as in winograd-impl.h. */
      float* dst = v_row + ty * g->tiles_w + tx;
      _Pragma("GCC unroll 4") for (int nu = 0; nu < 4; nu++) {
        vf col[4];
        _Pragma("GCC unroll 4") for (int r = 0; r < 4; r++) col[r] = t[r][nu];
        _Pragma("GCC unroll 4") for (int xi = 0; xi < 4; xi++) {
          vf_store(dst + (size_t)(xi * 4 + nu) * g->v_stride, combine4(BT2[xi], col));
        }
      }
    }
  }
}

void EP_WG_NAME(output2)(const ep_wg_geometry* g, const float* m, size_t co, float bias,
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
      /* s[i][nu] = sum_xi AT2[i][xi] M[xi][nu]. */
      vf s[2][4];
      _Pragma("GCC unroll 4") for (int nu = 0; nu < 4; nu++) {
        vf col[4];
        _Pragma("GCC unroll 4") for (int xi = 0; xi < 4; xi++) {
          col[xi] = vf_load(m_row + (size_t)(xi * 4 + nu) * g->m_stride + t0);
        }
        _Pragma("GCC unroll 2") for (int i = 0; i < 2; i++) s[i][nu] = combine4(AT2[i], col);
      }
      const size_t x0 = tx * EP_WG2_M;
      const size_t cols = g->out_w - x0 < EP_WG2_M * n ? g->out_w - x0 : EP_WG2_M * n;
      _Pragma("GCC unroll 2") for (int i = 0; i < 2; i++) {
        const size_t oy = ty * EP_WG2_M + (size_t)i;
        if (oy >= g->out_h) break;
        vf o[2], w[2];
        _Pragma("GCC unroll 2") for (int j = 0; j < 2; j++) {
          vf x = vf_add(combine4(AT2[j], s[i]), b);
          if (clamp) x = vf_min(vf_max(x, lo), hi);
          o[j] = x;
        }
        vf_interleave2(o[0], o[1], &w[0], &w[1]);
        store_tile_row(y + oy * g->out_w + x0, w, 2, cols);
      }
    }
  }
}

#undef EP_WG_INLINE

/* Window convolutions over NCHW8c input (grouped and dense layers), AVX-512F: block pairs in one
 * vector.
 *
 * A pair of output blocks that read the same input blocks (groups of 16 channels or more:
 * RegNetX's, ResNeXt's later stages; every dense layer: Inception's 1x7, 7x1, 5x5 and 3x3 stride-2
 * ones) has its 16 weights of one input channel interleaved in one vector (nchwc.c's
 * pack_window), so each input value is one broadcast (folded into the FMA as an embedded
 * broadcast) against the pair's 16 outputs. A tile holds up to 28 pixels in flight (28 of the 32
 * registers), where the AVX2 kernel (f32-nchwc-impl.h) holds 6 pixels of two 8-lane vectors,
 * with two weight loads per input channel. Every other window layer (one block per unit, 4-channel
 * groups) runs the AVX2 kernel.
 *
 * Tiles. A row is cut into the fewest tiles of at most 28 pixels, of equal widths (17 = one tile
 * of 17, 35 = 18 + 17, 147 = 3 x 25 + 3 x 24): tiles of 14 left 17-pixel rows a 3-pixel tail,
 * whose 3 accumulators wait on the FMA latency while every weight is loaded for 3 pixels. Rows of
 * at most 14 pixels go two at a time (8 x 8 planes: 16 accumulators, not 8). The stride across
 * is a constant in the tiles of strides 1 and 2, so that every broadcast's address is a register
 * plus a constant: with the stride read at run time, GCC held each pixel's offset in its own
 * register, spilled to the stack, one reload per FMA. 192 -> 192 1x7 on 17x17, best of 60 runs,
 * Zen 4: 1.51 -> 1.28 ms (99 -> 116 GFLOP/s, the core's peak; docs/performance.md "incv3b").
 * Other strides keep 14-pixel tiles. */
#include <stdbool.h>
#include <stddef.h>

#include "kernels/f32-nchwc/nchwc-ukernels.h"
#include "kernels/simd/vec-avx512f.h"
#include "kernels/simd/vec-act.h"

#define EP_NCHWC_INLINE static inline __attribute__((always_inline))

enum {
  BLOCK = 8,
  PAIR = 2 * BLOCK,
  /* Accumulators per tile: 28 of the 32 registers, beside the weight vector. */
  MAX_PIXELS = 28,
  /* Rows of up to this many pixels take two rows per tile. */
  ROW_PAIR_MAX = MAX_PIXELS / 2,
  /* Pixels per tile where the stride across is not 1 or 2. */
  TILE = 14,
};

#define UNROLL_PIXELS _Pragma("GCC unroll 28")

EP_NCHWC_INLINE vf clamp(vf acc, ep_activation act) {
  if (act == EP_ACT_RELU || act == EP_ACT_RELU6) {
    acc = vf_max(acc, vf_zero());
    if (act == EP_ACT_RELU6) acc = vf_min(acc, vf_set1(6.0f));
  }
  if (vf_act_is_hard(act)) acc = vf_hard_act(acc, act == EP_ACT_HARD_SWISH);
  if (vf_act_is_logistic(act)) acc = vf_logistic_act(acc, act == EP_ACT_SILU);
  return acc;
}

/* The activation and the stores of a tile of R rows x P pixels (each pixel the pair's 16
 * outputs), shared by every tile shape: inlined, the clamp of each activation was copied into
 * each of the 98 shapes. */
static void store_tile(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy, int ox, int R,
                       int P, float tile[][PAIR]) {
  const ep_activation act = cw->act;
  const size_t out_w = (size_t)d->out_w;
  const int n = R * P;
  if (cw->y_nchw) {
    /* Into the pair's 16 channel planes. */
    const size_t out_plane = (size_t)d->out_h * out_w;
    for (int i = 0; i < n; i++) vf_store(tile[i], clamp(vf_load(tile[i]), act));
    if (!ep_activation_in_register(act)) ep_activation_apply(act, &tile[0][0], (size_t)n * PAIR);
    for (int r = 0; r < R; r++) {
      for (int j = 0; j < 2; j++) {
        float* yc = cw->y + (size_t)j * cw->y_block_stride + (size_t)(oy + r) * out_w + (size_t)ox;
        for (int c = 0; c < BLOCK; c++, yc += out_plane) {
          for (int i = 0; i < P; i++) yc[i] = tile[r * P + i][j * BLOCK + c];
        }
      }
    }
    return;
  }
  /* Each vector's halves go to the two blocks' planes. */
  for (int r = 0; r < R; r++) {
    float* y0 = cw->y + ((size_t)(oy + r) * out_w + (size_t)ox) * BLOCK;
    float* y1 = y0 + cw->y_block_stride;
    for (int i = 0; i < P; i++) {
      const vf v = clamp(vf_load(tile[r * P + i]), act);
      _mm256_storeu_ps(y0 + (size_t)i * BLOCK, _mm512_castps512_ps256(v));
      _mm256_storeu_ps(y1 + (size_t)i * BLOCK,
                       _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
    }
  }
}

/* R output rows from oy, P pixels each from column ox, both blocks of the pair; SW is the
 * stride across (1 or 2), or 0 to read d's. Every tap is inside (the input is padded). */
EP_NCHWC_INLINE void pair_tile(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy, int ox,
                               const int R, const int P, const int SW) {
  const size_t row = (size_t)d->in_w * BLOCK;
  const size_t sw = (size_t)(SW ? SW : d->stride_w) * BLOCK;
  const size_t rs = (size_t)d->stride_h * row; /* from one output row's inputs to the next's */
  const size_t dx = (size_t)d->dilation_w * BLOCK, dy = (size_t)d->dilation_h * row;
  const float* xb = cw->x + (size_t)oy * rs + (size_t)ox * sw;
  const vf b = vf_load(cw->bias);
  vf acc[MAX_PIXELS];
  UNROLL_PIXELS for (int i = 0; i < R * P; i++) acc[i] = b;
  const float* w = cw->w;
  for (int ib = 0; ib < cw->in_blocks; ib++, xb += cw->x_block_stride) {
    for (int ky = 0; ky < d->kernel_h; ky++) {
      const float* xt = xb + (size_t)ky * dy;
      for (int kx = 0; kx < d->kernel_w; kx++, xt += dx, w += BLOCK * PAIR) {
        _Pragma("GCC unroll 8") for (int c = 0; c < BLOCK; c++) {
          const vf wv = vf_load(w + c * PAIR);
          _Pragma("GCC unroll 2") for (int r = 0; r < R; r++) {
            const float* xr = xt + (size_t)r * rs + (size_t)c;
            UNROLL_PIXELS for (int i = 0; i < P; i++) {
              acc[r * P + i] = vf_fmadd(wv, vf_bcast(xr + (size_t)i * sw), acc[r * P + i]);
            }
          }
        }
      }
    }
  }
  float tile[MAX_PIXELS][PAIR] __attribute__((aligned(64)));
  UNROLL_PIXELS for (int i = 0; i < R * P; i++) vf_store(tile[i], acc[i]);
  store_tile(d, cw, oy, ox, R, P, tile);
}

/* One function per tile shape: R rows x P pixels, stride across SW (0: d's). */
typedef void (*tile_fn)(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy, int ox);

#define DEFINE_TILE(R, P, SW)                                                            \
  static void tile_##R##x##P##_s##SW(const ep_conv_desc* d, const ep_nchwc_window* cw, \
                                     int oy, int ox) {                                 \
    pair_tile(d, cw, oy, ox, R, P, SW);                                                \
  }
#define TILE_ENTRY(R, P, SW) tile_##R##x##P##_s##SW,

#define EACH_P14(M, R, SW)                                                                     \
  M(R, 1, SW) M(R, 2, SW) M(R, 3, SW) M(R, 4, SW) M(R, 5, SW) M(R, 6, SW) M(R, 7, SW)         \
  M(R, 8, SW) M(R, 9, SW) M(R, 10, SW) M(R, 11, SW) M(R, 12, SW) M(R, 13, SW) M(R, 14, SW)
#define EACH_P28(M, R, SW)                                                                     \
  EACH_P14(M, R, SW)                                                                           \
  M(R, 15, SW) M(R, 16, SW) M(R, 17, SW) M(R, 18, SW) M(R, 19, SW) M(R, 20, SW) M(R, 21, SW) \
  M(R, 22, SW) M(R, 23, SW) M(R, 24, SW) M(R, 25, SW) M(R, 26, SW) M(R, 27, SW) M(R, 28, SW)

EACH_P28(DEFINE_TILE, 1, 1)
EACH_P28(DEFINE_TILE, 1, 2)
EACH_P14(DEFINE_TILE, 2, 1)
EACH_P14(DEFINE_TILE, 2, 2)
EACH_P14(DEFINE_TILE, 1, 0)

/* [stride across - 1][pixels]: one row, and two rows of up to ROW_PAIR_MAX pixels. */
static const tile_fn row_tiles[2][MAX_PIXELS + 1] = {
    {NULL, EACH_P28(TILE_ENTRY, 1, 1)},
    {NULL, EACH_P28(TILE_ENTRY, 1, 2)},
};
static const tile_fn row_pair_tiles[2][ROW_PAIR_MAX + 1] = {
    {NULL, EACH_P14(TILE_ENTRY, 2, 1)},
    {NULL, EACH_P14(TILE_ENTRY, 2, 2)},
};
/* Any other stride: tiles of TILE pixels, then the last ones. */
static const tile_fn strided_tiles[TILE + 1] = {NULL, EACH_P14(TILE_ENTRY, 1, 0)};

/* Rows [oy0, oy1) of the pair. */
static void pair_rows(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy0, int oy1) {
  const int W = cw->cols;
  if (d->stride_w > 2) {
    for (int oy = oy0; oy < oy1; oy++) {
      int ox = 0;
      for (; ox + TILE <= W; ox += TILE) strided_tiles[TILE](d, cw, oy, ox);
      if (ox < W) strided_tiles[W - ox](d, cw, oy, ox);
    }
    return;
  }
  const int s = d->stride_w - 1;
  int oy = oy0;
  if (W <= ROW_PAIR_MAX) {
    for (; oy + 2 <= oy1; oy += 2) row_pair_tiles[s][W](d, cw, oy, 0);
    if (oy < oy1) row_tiles[s][W](d, cw, oy, 0);
    return;
  }
  /* The fewest tiles, as wide as each other (the first W % n one pixel wider). */
  const int n = (W + MAX_PIXELS - 1) / MAX_PIXELS, narrow = W / n, wide = W % n;
  for (; oy < oy1; oy++) {
    int ox = 0;
    for (int t = 0; t < n; t++) {
      const int p = narrow + (t < wide ? 1 : 0);
      row_tiles[s][p](d, cw, oy, ox);
      ox += p;
    }
  }
}

void ep_nchwc_window_rows__avx512f(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy0,
                                   int oy1) {
  if (cw->quads || cw->nb != 2) {
    ep_nchwc_window_rows__avx2(d, cw, oy0, oy1);
    return;
  }
  pair_rows(d, cw, oy0, oy1);
  if (!cw->y_nchw && !ep_activation_in_register(cw->act)) {
    /* Whole rows are contiguous in each block's plane; a part of each row goes on its own. */
    const size_t row = (size_t)d->out_w * BLOCK, cols = (size_t)cw->cols * BLOCK;
    const bool whole = cols == row;
    for (int j = 0; j < 2; j++) {
      float* y = cw->y + (size_t)j * cw->y_block_stride;
      for (int oy = oy0; oy < oy1; oy = whole ? oy1 : oy + 1) {
        ep_activation_apply(cw->act, y + (size_t)oy * row, whole ? (size_t)(oy1 - oy) * row : cols);
      }
    }
  }
}

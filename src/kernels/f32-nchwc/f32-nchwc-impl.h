/* NCHW8c convolution loops (see nchwc-ukernels.h), written once over an 8-lane vector shim: one
 * vector is the 8 channels of one pixel, so no loop here has a channel tail, and the only edge
 * cases are the pixels whose window crosses the image border, which take a per-pixel path that
 * skips the outside taps.
 *
 * Included once per ISA variant after an 8-lane shim (simd/vec-avx2.h: one YMM register;
 * simd/vec8-neon.h: two NEON registers) and EP_NCHWC_NAME(name), which names the five entry
 * points (f32-nchwc-8c-avx2.c, f32-nchwc-8c-neon.c). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/f32-nchwc/nchwc-ukernels.h"

#if VF_LANES != 8
#error "f32-nchwc-impl.h needs an 8-lane vector shim (one vector per pixel's block)"
#endif

/* One output vector is one block of a pixel. Sigmoid, SiLU and tanh are applied over long
 * stored runs (a row, or a pointwise cell's chunk of pixels) through ep_activation_apply
 * instead of in registers: in these 8-lane registers a SiLU cost as much as a pass over the
 * stored output, and on AVX-512 that pass takes 16 lanes: a 16 -> 96 channel 1x1 convolution at
 * 112x112 with SiLU took 0.91 ms in registers and 0.69 ms with a pass per chunk, against
 * 0.40 ms without an activation (one Zen 4 core). */
#define NCHWC_LOGISTIC_IN_REGISTER 0
#define NCHWC_OUT_LOAD(p, plane) ((void)(plane), vf_load(p))
#define NCHWC_OUT_STORE(p, plane, v) ((void)(plane), vf_store((p), (v)))
#include "kernels/f32-nchwc/nchwc-epilogue.h"

#define EP_NCHWC_INLINE static inline __attribute__((always_inline))
/* Loops over accumulators must be unrolled completely, or GCC keeps the arrays on the stack. */
#define UNROLL _Pragma("GCC unroll 8")

enum {
  BLOCK = 8,
  PW_TILE = 6, /* pixels per pointwise tile: 6 x 2 accumulators + 2 weights + 1 broadcast */
  DIRECT_TILE = 6,
  /* A pointwise cell walks its pixels in chunks whose input stays in L2 while every output
   * block pair passes over it (unless its weights are larger than its input). */
  X_CHUNK_BYTES = 256 * 1024,
  /* Input blocks per pointwise k block: 64 blocks (512 channels) of a pair's weights are 32 KiB,
   * so larger layers take two k blocks or more, with partial sums through y. */
  KC_BLOCKS_MAX = 64,
};

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* --- pointwise --------------------------------------------------------------------------- */

/* The tile's accumulators (acc[j][i]: block j of pixel i) from or to a plain NCHW tensor
 * (channel rows of P pixels, starting at src / dst), through a small buffer: how a blocked
 * chain ends, once per tile. */
EP_NCHWC_INLINE void nchw_tile_load(const ep_nchwc_pointwise* pw, const float* src,
                                    vf acc[2][PW_TILE], const int P, const int NB) {
  float tile[2][PW_TILE][BLOCK];
  for (int j = 0; j < NB * BLOCK; j++) {
    for (int i = 0; i < P; i++) tile[j / BLOCK][i][j % BLOCK] = src[(size_t)j * pw->pixels + i];
  }
  UNROLL for (int i = 0; i < P; i++) {
    acc[0][i] = vf_load(tile[0][i]);
    acc[1][i] = NB == 2 ? vf_load(tile[1][i]) : vf_zero();
  }
}

EP_NCHWC_INLINE void nchw_tile_store(const ep_nchwc_pointwise* pw, float* dst,
                                     vf acc[2][PW_TILE], ep_activation act, const int P,
                                     const int NB) {
  float tile[2][PW_TILE][BLOCK];
  UNROLL for (int i = 0; i < P; i++) {
    vf_store(tile[0][i], nchwc_clamp(acc[0][i], act));
    if (NB == 2) vf_store(tile[1][i], nchwc_clamp(acc[1][i], act));
  }
  for (int j = 0; j < NB * BLOCK; j++) {
    for (int i = 0; i < P; i++) dst[(size_t)j * pw->pixels + i] = tile[j / BLOCK][i][j % BLOCK];
  }
}

/* P pixels from p times NB output blocks from ob, over input blocks [cb0, cb1) of the pair's
 * weights w. The first k block starts from the bias, later ones from the partial sums in y; the
 * last one adds the residual and applies the activation (nchwc-epilogue.h, as the AVX-512
 * pointwise file). X_NCHW: x is plain NCHW, whose broadcasts are then a channel row apart
 * instead of one float; pw->y_nchw: so is y (and the residual), through nchw_tile_load /
 * nchw_tile_store. */
EP_NCHWC_INLINE void pointwise_tile(const ep_nchwc_pointwise* pw, const float* w, size_t ob,
                                    size_t p, size_t cb0, size_t cb1, bool first, bool last,
                                    const int P, const int NB, const int X_NCHW, const int XS) {
  const size_t plane = pw->pixels * BLOCK;
  /* Blocked y: the tile's first vector; NCHW y: its first channel row's first pixel. Both
   * layouts put the tile at the same offset from the image's start for the residual too. */
  const size_t y_offset = pw->y_nchw ? ob * plane + p : ob * plane + p * BLOCK;
  float* y = pw->y + y_offset;
  vf acc[2][PW_TILE];
  if (pw->y_nchw && !first) {
    nchw_tile_load(pw, y, acc, P, NB);
  } else {
    nchwc_pointwise_begin(acc[0], P, first, vf_load(pw->bias + ob * BLOCK), y, plane);
    if (NB == 2) {
      nchwc_pointwise_begin(acc[1], P, first, vf_load(pw->bias + ob * BLOCK + BLOCK), y + plane,
                            plane);
    }
  }
  /* Blocked x: channel c of block cb at xb + c; NCHW x: at xb + c * pixels. XS 2: blocked x
   * read in place by a stride-2 layer, its pixels 2 apart along the tile's row. */
  const size_t c_step = X_NCHW ? pw->pixels : 1, p_step = X_NCHW ? 1 : (size_t)XS * BLOCK;
  const size_t x_plane = XS == 2 ? pw->x_plane : plane;
  const float* xb =
      pw->x + cb0 * x_plane + (XS == 2 ? ep_nchwc_pointwise_x_offset(pw, p) : p * p_step);
  w += cb0 * BLOCK * NB * BLOCK;
  for (size_t cb = cb0; cb < cb1; cb++, xb += x_plane) {
    UNROLL for (int c = 0; c < BLOCK; c++, w += NB * BLOCK) {
      const vf w0 = vf_load(w);
      const vf w1 = NB == 2 ? vf_load(w + BLOCK) : vf_zero();
      UNROLL for (int i = 0; i < P; i++) {
        const vf xv = vf_bcast(xb + (size_t)i * p_step + (size_t)c * c_step);
        acc[0][i] = vf_fmadd(w0, xv, acc[0][i]);
        if (NB == 2) acc[1][i] = vf_fmadd(w1, xv, acc[1][i]);
      }
    }
  }
  if (pw->y_nchw) {
    if (last && pw->residual != NULL) {
      vf res[2][PW_TILE];
      nchw_tile_load(pw, pw->residual + y_offset, res, P, NB);
      UNROLL for (int i = 0; i < P; i++) {
        acc[0][i] = vf_add(acc[0][i], res[0][i]);
        acc[1][i] = vf_add(acc[1][i], res[1][i]);
      }
    }
    /* The others: by the cell, over its chunk (pointwise_chunk_act). */
    const ep_activation act = last && nchwc_act_in_register(pw->act) ? pw->act : EP_ACT_NONE;
    nchw_tile_store(pw, y, acc, act, P, NB);
    return;
  }
  const float* r = pw->residual != NULL ? pw->residual + y_offset : NULL;
  nchwc_pointwise_end(acc[0], P, last, y, r, plane, pw->act);
  if (NB == 2) nchwc_pointwise_end(acc[1], P, last, y + plane, r ? r + plane : NULL, plane, pw->act);
}

/* The activation that the tiles leave to the cell (nchwc_act_in_register): over output blocks
 * [ob, ob + nb) of pixels [p0, p1), all stored, one call per block (per channel row for an NCHW
 * y). */
static void pointwise_chunk_act(const ep_nchwc_pointwise* pw, size_t ob, size_t nb, size_t p0,
                                size_t p1) {
  if (pw->y_nchw) {
    for (size_t c = ob * BLOCK; c < (ob + nb) * BLOCK; c++) {
      ep_activation_apply(pw->act, pw->y + c * pw->pixels + p0, p1 - p0);
    }
    return;
  }
  for (size_t j = ob; j < ob + nb; j++) {
    ep_activation_apply(pw->act, pw->y + (j * pw->pixels + p0) * BLOCK, (p1 - p0) * BLOCK);
  }
}

#define POINTWISE_TILE_CASE(P, NB, X_NCHW, XS)                             \
  case P:                                                                   \
    pointwise_tile(pw, w, ob, p, cb0, cb1, first, last, P, NB, X_NCHW, XS); \
    break;
#define POINTWISE_TILES(NB, X_NCHW, XS, NAME)                                                   \
  static void NAME(const ep_nchwc_pointwise* pw, const float* w, size_t ob, size_t p, size_t n, \
                   size_t cb0, size_t cb1, bool first, bool last) {                             \
    switch (n) {                                                                                \
      POINTWISE_TILE_CASE(1, NB, X_NCHW, XS)                                                    \
      POINTWISE_TILE_CASE(2, NB, X_NCHW, XS)                                                    \
      POINTWISE_TILE_CASE(3, NB, X_NCHW, XS)                                                    \
      POINTWISE_TILE_CASE(4, NB, X_NCHW, XS)                                                    \
      POINTWISE_TILE_CASE(5, NB, X_NCHW, XS)                                                    \
      default:                                                                                  \
        pointwise_tile(pw, w, ob, p, cb0, cb1, first, last, PW_TILE, NB, X_NCHW, XS);           \
        break;                                                                                  \
    }                                                                                           \
  }
POINTWISE_TILES(1, 0, 1, pointwise_tile_1)
POINTWISE_TILES(2, 0, 1, pointwise_tile_2)
POINTWISE_TILES(1, 1, 1, pointwise_tile_1_nchw_x)
POINTWISE_TILES(2, 1, 1, pointwise_tile_2_nchw_x)
POINTWISE_TILES(1, 0, 2, pointwise_tile_1_stride2)
POINTWISE_TILES(2, 0, 2, pointwise_tile_2_stride2)

typedef void (*pointwise_tile_fn)(const ep_nchwc_pointwise* pw, const float* w, size_t ob, size_t p,
                                  size_t n, size_t cb0, size_t cb1, bool first, bool last);

void EP_NCHWC_NAME(pointwise_cell)(const ep_nchwc_pointwise* pw, size_t ob0, size_t ob1,
                                   size_t p0, size_t p1) {
  if (p0 >= p1 || ob0 >= ob1) return;
  /* Input blocks per k block: a pair's weights for one k block stay in half of L1. */
  const size_t in_blocks = pw->cin / BLOCK;
  const size_t k_blocks = (in_blocks + KC_BLOCKS_MAX - 1) / KC_BLOCKS_MAX;
  const size_t kc = (in_blocks + k_blocks - 1) / k_blocks;
  /* Chunks re-read the cell's weights once per chunk, no chunks re-read its input once per
   * pair: where the weights are the larger (14x14 x 512 channels), the input goes through L2
   * whole. */
  /* A stride-2 layer reading x in place uses half of each cache line it touches. */
  const size_t x_pixel_bytes = kc * BLOCK * sizeof(float) * (pw->x_stride2 ? 2 : 1);
  size_t chunk_max = X_CHUNK_BYTES / x_pixel_bytes / PW_TILE * PW_TILE;
  if (chunk_max < 4 * PW_TILE) chunk_max = 4 * PW_TILE;
  if ((ob1 - ob0) * BLOCK >= p1 - p0) chunk_max = p1 - p0;
  const size_t chunks = (p1 - p0 + chunk_max - 1) / chunk_max;
  const size_t chunk = ((p1 - p0 + chunks - 1) / chunks + PW_TILE - 1) / PW_TILE * PW_TILE;
  for (size_t c0 = p0; c0 < p1; c0 += chunk) {
    const size_t c1 = min_size(p1, c0 + chunk);
    for (size_t cb0 = 0; cb0 < in_blocks; cb0 += kc) {
      const size_t cb1 = min_size(in_blocks, cb0 + kc);
      const bool first = cb0 == 0, last = cb1 == in_blocks;
      for (size_t ob = ob0; ob < ob1; ob += 2) {
        const float* w = pw->w + ob * BLOCK * pw->cin;
        const bool pair = ob + 1 < ob1;
        const pointwise_tile_fn tile =
            pw->x_nchw     ? (pair ? pointwise_tile_2_nchw_x : pointwise_tile_1_nchw_x)
            : pw->x_stride2 ? (pair ? pointwise_tile_2_stride2 : pointwise_tile_1_stride2)
                            : (pair ? pointwise_tile_2 : pointwise_tile_1);
        /* With x_stride2 tiles end where the output row does: their x pixels are then evenly
         * spaced. */
        for (size_t p = c0, n; p < c1; p += n) {
          n = ep_nchwc_pointwise_run(pw, p, min_size(PW_TILE, c1 - p));
          tile(pw, w, ob, p, n, cb0, cb1, first, last);
        }
        if (last && !nchwc_act_in_register(pw->act)) pointwise_chunk_act(pw, ob, pair ? 2 : 1, c0, c1);
      }
    }
  }
}

/* --- window helpers ------------------------------------------------------------------------ */

/* Taps [*lo, *hi) of a kernel of k taps (dilation d) starting at input coordinate i0 that fall
 * inside [0, size). */
static void valid_taps(int i0, int k, int d, int size, int* lo, int* hi) {
  int first = i0 >= 0 ? 0 : (-i0 + d - 1) / d;
  int last = i0 >= size ? 0 : (size - 1 - i0) / d + 1;
  if (last > k) last = k;
  if (first > last) first = last;
  *lo = first;
  *hi = last;
}

/* Output columns [*lo, *hi) whose every tap is inside the row. */
static void interior_columns(const ep_conv_desc* d, int* lo, int* hi) {
  const int first = (d->pad_left + d->stride_w - 1) / d->stride_w;
  const int reach = d->in_w - 1 + d->pad_left - (d->kernel_w - 1) * d->dilation_w;
  int last = reach < 0 ? 0 : reach / d->stride_w + 1;
  if (last > d->out_w) last = d->out_w;
  *lo = first < last ? first : last;
  *hi = last;
}

/* --- depthwise over padded rows --------------------------------------------------------- */

/* Pixels per depthwise tile: 8 accumulators beside a weight and an input vector, enough to keep
 * both FMA pipes busy (4-cycle latency). A row's last tile takes the remainder with it, up to
 * DW_MAX_PIXELS accumulators (13 + weight + input: 15 of AVX2's 16 registers, 30 of NEON's 32
 * at two registers a vector), so that no tile of 1-5 pixels waits on its own chain of
 * multiply-adds: a 19- or 10-pixel row ran as 8 + 8 + 3 or 8 + 2 pixels, the short tile as long
 * as a full one. */
enum { DW_PIXELS = 8, DW_MAX_PIXELS = 13, DW_MERGE_TAPS = 25 };
/* Vector registers of the level (AVX2's 16; NEON's 32 at two a vector) and the widest kernel row
 * whose weights a stride-1 tile keeps in registers beside its accumulators and one input. 3x3
 * rows gained 5-12% on 14x14 planes (184 and 672 channels; 28x28 and wider: within noise); 5x5
 * ones (7-pixel tiles on 7x7 and 14x14) measured -2% to +5%, so they keep the tap-major loop. */
enum { DW_REGISTERS = 16, DW_REUSE_MAX_KW = 3 };
#define DW_UNROLL _Pragma("GCC unroll 16")

/* P output pixels at y of one row: rows[ky] is kernel row ky's padded input row, offset to the
 * first pixel's tap 0. Every tap is inside a padded row, so there is nothing to test; KH, KW, SW
 * and DW are constants in the specialized instances below, which unroll completely. */
EP_NCHWC_INLINE void dw_tile(const float* const* rows, const float* w, vf bias, ep_activation act,
                             float* y, const int KH, const int KW, const int SW, const int DW,
                             const int P) {
  vf acc[DW_MAX_PIXELS];
  DW_UNROLL for (int i = 0; i < P; i++) acc[i] = bias;
  if (SW == 1 && DW == 1 && KW <= DW_REUSE_MAX_KW && P + KW + 1 <= DW_REGISTERS) {
    /* Stride 1: each of a kernel row's P + KW - 1 input columns is loaded once and multiplied
     * into the (up to KW) accumulators that read it, with the row's KW weights in registers:
     * KW + P + KW - 1 loads per kernel row instead of KW x (P + 1). Each accumulator still takes
     * its taps in the order ky, kx, so the sums are the same to the bit. */
    for (int ky = 0; ky < KH; ky++) {
      const float* r = rows[ky];
      vf wv[DW_REUSE_MAX_KW];
      DW_UNROLL for (int kx = 0; kx < DW_REUSE_MAX_KW; kx++) {
        wv[kx] = kx < KW ? vf_load(w + (size_t)(ky * KW + kx) * BLOCK) : vf_zero();
      }
      DW_UNROLL for (int c = 0; c < P + KW - 1; c++) {
        const vf xv = vf_load(r + (size_t)c * BLOCK);
        DW_UNROLL for (int kx = 0; kx < KW; kx++) {
          const int i = c - kx;
          if (i >= 0 && i < P) acc[i] = vf_fmadd(wv[kx], xv, acc[i]);
        }
      }
    }
    DW_UNROLL for (int i = 0; i < P; i++) vf_store(y + (size_t)i * BLOCK, nchwc_clamp(acc[i], act));
    return;
  }
  for (int ky = 0; ky < KH; ky++) {
    const float* r = rows[ky];
    for (int kx = 0; kx < KW; kx++) {
      const vf wv = vf_load(w + (size_t)(ky * KW + kx) * BLOCK);
      const float* xt = r + (size_t)(kx * DW) * BLOCK;
      DW_UNROLL for (int i = 0; i < P; i++) {
        acc[i] = vf_fmadd(wv, vf_load(xt + (size_t)(i * SW) * BLOCK), acc[i]);
      }
    }
  }
  DW_UNROLL for (int i = 0; i < P; i++) vf_store(y + (size_t)i * BLOCK, nchwc_clamp(acc[i], act));
}

#define DW_TAIL_CASE(P)                                              \
  case P:                                                            \
    dw_tile(at, w, vb, act, yr + (size_t)ox * BLOCK, KH, KW, SW, DW, P); \
    break;

/* Output columns [ox0, ox1) of one row, tile by tile: kernel row ky's input for column ox is at
 * base[ky] + (ox x SW) x 8 + shift. Tiles of DW_PIXELS, then one tile of the remainder; with
 * at least DW_MERGE_TAPS taps the last full tile takes the remainder with it (9 to DW_MAX_PIXELS
 * pixels), or two of about half when that is more. */
EP_NCHWC_INLINE void dw_span(const float* const* base, ptrdiff_t shift, const float* w, vf vb,
                             ep_activation act, float* yr, int ox0, int ox1, const int KH,
                             const int KW, const int SW, const int DW) {
  const float* at[EP_NCHWC_DEPTHWISE_MAX_KERNEL];
  const int n = ox1 - ox0;
  const bool merge = KH * KW >= DW_MERGE_TAPS;
  const int full_end =
      merge && n > DW_PIXELS && n % DW_PIXELS ? ox1 - DW_PIXELS - n % DW_PIXELS : ox1;
  int ox = ox0;
  for (; ox + DW_PIXELS <= full_end; ox += DW_PIXELS) {
    for (int ky = 0; ky < KH; ky++) at[ky] = base[ky] + (ptrdiff_t)(ox * SW) * BLOCK + shift;
    dw_tile(at, w, vb, act, yr + (size_t)ox * BLOCK, KH, KW, SW, DW, DW_PIXELS);
  }
  /* The remainder: with fewer taps the loop above left at most DW_PIXELS - 1 pixels, one tile
   * (the cap says so to the compiler, which then leaves out the wider tiles' code: with them
   * the 3x3 rows' functions took twice the code). */
  while (ox < ox1) {
    const int rest = ox1 - ox;
    const int p = !merge ? (rest < DW_PIXELS ? rest : DW_PIXELS - 1)
                  : rest > DW_MAX_PIXELS ? rest / 2
                                         : rest;
    for (int ky = 0; ky < KH; ky++) at[ky] = base[ky] + (ptrdiff_t)(ox * SW) * BLOCK + shift;
    switch (p) {
      DW_TAIL_CASE(1)
      DW_TAIL_CASE(2)
      DW_TAIL_CASE(3)
      DW_TAIL_CASE(4)
      DW_TAIL_CASE(5)
      DW_TAIL_CASE(6)
      DW_TAIL_CASE(7)
      DW_TAIL_CASE(8)
      DW_TAIL_CASE(9)
      DW_TAIL_CASE(10)
      DW_TAIL_CASE(11)
      DW_TAIL_CASE(12)
      default:
        dw_tile(at, w, vb, act, yr + (size_t)ox * BLOCK, KH, KW, SW, DW, DW_MAX_PIXELS);
        break;
    }
    ox += p;
  }
}

/* Rows narrow beside the tile take every column from the padded copies, one tile or two per
 * row. On rows whose inside columns hold at least EDGE_TILES tiles (stride 1; EDGE_TILES_STRIDED
 * with a column stride, which copies stride x stride inputs per output), those columns read the
 * input in place and only the border columns' inputs are copied: the copy of every input row
 * cost 3x3 layers on 112x112 planes 10% (stride 1) and 50% (stride 2), and on 56x56 and 28x28
 * ones 10-40% (stride 2), where each output pixel has 9 multiply-adds beside 1 or 4 copied
 * vectors. Stride 1 takes the inside in place from 2 tiles: MobileNetV3's 5x5 layers on 28x28
 * (24 inside columns) ran at 47 GFLOP/s from the copies and 65 in place (one Zen 4 core, 120
 * channels; 3x3 on 28x28 gained 5%). On narrower rows (14x14 and 7x7 planes) the border pixels'
 * short tiles would cost more than the copies. */
enum { EDGE_TILES = 2, EDGE_TILES_STRIDED = 1 };

EP_NCHWC_INLINE void dw_rows(const ep_conv_desc* d, const float* x, const float* w,
                             const float* bias, ep_activation act, float* y, int oy0, int oy1,
                             float* scratch, const int KH, const int KW, const int SW,
                             const int DW) {
  const int span = (d->kernel_h - 1) * d->dilation_h + 1;
  const size_t row_floats = ep_nchwc_depthwise_padded_width(d) * BLOCK;
  const size_t in_w = (size_t)d->in_w, in_row = in_w * BLOCK, left = (size_t)d->pad_left;
  int lo, hi;
  interior_columns(d, &lo, &hi);
  const bool edges = hi - lo >= (SW > 1 ? EDGE_TILES_STRIDED : EDGE_TILES) * DW_PIXELS;
  /* The input columns the padded copies need: all, or with edges those the border columns
   * [0, lo) and [hi, out_w) read: [0, left_end) and [right_begin, in_w). */
  size_t left_end = in_w, right_begin = in_w;
  if (edges) {
    const size_t reach = lo > 0 ? (size_t)((lo - 1) * SW + (KW - 1) * DW + 1) : 0;
    left_end = reach > left ? reach - left : 0;
    if (left_end > in_w) left_end = in_w;
    const size_t first = (size_t)hi * (size_t)SW;
    right_begin = first > left ? first - left : 0;
    /* Border columns past the image (a right pad wider than a stride) read only padding. */
    if (right_begin > in_w) right_begin = in_w;
    if (right_begin < left_end) right_begin = left_end;
  }
  /* The ring of padded rows, then the row of zeros, then the ring's tags: which input row each
   * slot holds (-1: none yet). The padding columns are zeroed once and never written again; the
   * image columns are copied before they are read (those between left_end and right_begin are
   * never read), so only the padding is zeroed: the whole ring's memset took 7% of a 5x5 layer
   * on 7x7 planes (960 channels, where each block's rows are a few hundred multiply-adds). */
  float* ring = scratch;
  float* zeros = ring + (size_t)span * row_floats;
  int32_t* tags = (int32_t*)(scratch + (size_t)(span + 1) * row_floats);
  const size_t image_end = (left + in_w) * BLOCK;
  for (int s = 0; s < span; s++) {
    float* slot = ring + (size_t)s * row_floats;
    memset(slot, 0, left * BLOCK * sizeof *slot);
    memset(slot + image_end, 0, (row_floats - image_end) * sizeof *slot);
  }
  memset(zeros, 0, row_floats * sizeof *zeros);
  for (int s = 0; s < span; s++) tags[s] = -1;
  const vf vb = vf_load(bias);
  const float* padded[EP_NCHWC_DEPTHWISE_MAX_KERNEL]; /* padded column 0 of each kernel row */
  const float* direct[EP_NCHWC_DEPTHWISE_MAX_KERNEL]; /* image column 0 of each kernel row */
  for (int oy = oy0; oy < oy1; oy++) {
    const int iy0 = oy * d->stride_h - d->pad_top;
    for (int ky = 0; ky < KH; ky++) {
      const int iy = iy0 + ky * d->dilation_h;
      if (iy < 0 || iy >= d->in_h) {
        padded[ky] = zeros;
        direct[ky] = zeros + left * BLOCK;
        continue;
      }
      float* slot = ring + (size_t)(iy % span) * row_floats;
      const float* src = x + (size_t)iy * in_row;
      if (tags[iy % span] != iy) {
        memcpy(slot + left * BLOCK, src, left_end * BLOCK * sizeof *slot);
        memcpy(slot + (left + right_begin) * BLOCK, src + right_begin * BLOCK,
               (in_w - right_begin) * BLOCK * sizeof *slot);
        tags[iy % span] = iy;
      }
      padded[ky] = slot;
      direct[ky] = src;
    }
    float* yr = y + (size_t)oy * (size_t)d->out_w * BLOCK;
    if (edges) {
      dw_span(padded, 0, w, vb, act, yr, 0, lo, KH, KW, SW, DW);
      dw_span(direct, -(ptrdiff_t)(left * BLOCK), w, vb, act, yr, lo, hi, KH, KW, SW, DW);
      dw_span(padded, 0, w, vb, act, yr, hi, d->out_w, KH, KW, SW, DW);
    } else {
      dw_span(padded, 0, w, vb, act, yr, 0, d->out_w, KH, KW, SW, DW);
    }
    if (!nchwc_act_in_register(act)) ep_activation_apply(act, yr, (size_t)d->out_w * BLOCK);
  }
}

/* One function per unrolled window, so that each one's code is laid out on its own: with all of
 * them inlined into one, adding the 5x5 layers' longer tiles slowed the 3x3 ones by 10%. */
#define DW_ROWS_FN(NAME, KH, KW, SW)                                                           \
  static __attribute__((noinline)) void NAME(const ep_conv_desc* d, const float* x,            \
                                             const float* w, const float* bias,                 \
                                             ep_activation act, float* y, int oy0, int oy1,     \
                                             float* scratch) {                                  \
    dw_rows(d, x, w, bias, act, y, oy0, oy1, scratch, KH, KW, SW, 1);                           \
  }
DW_ROWS_FN(dw_rows_3x3s1, 3, 3, 1)
DW_ROWS_FN(dw_rows_3x3s2, 3, 3, 2)
DW_ROWS_FN(dw_rows_5x5s1, 5, 5, 1)
DW_ROWS_FN(dw_rows_5x5s2, 5, 5, 2)
#undef DW_ROWS_FN

void EP_NCHWC_NAME(depthwise_rows)(const ep_conv_desc* d, const float* x, const float* w,
                                   const float* bias, ep_activation act, float* y, int oy0,
                                   int oy1, float* scratch) {
  const bool square = d->kernel_h == d->kernel_w && d->dilation_h == 1 && d->dilation_w == 1;
  /* The layers of MobileNets and EfficientNets, unrolled; any other window loops. */
  if (square && d->kernel_h == 3 && d->stride_w == 1) {
    dw_rows_3x3s1(d, x, w, bias, act, y, oy0, oy1, scratch);
  } else if (square && d->kernel_h == 3 && d->stride_w == 2) {
    dw_rows_3x3s2(d, x, w, bias, act, y, oy0, oy1, scratch);
  } else if (square && d->kernel_h == 5 && d->stride_w == 1) {
    dw_rows_5x5s1(d, x, w, bias, act, y, oy0, oy1, scratch);
  } else if (square && d->kernel_h == 5 && d->stride_w == 2) {
    dw_rows_5x5s2(d, x, w, bias, act, y, oy0, oy1, scratch);
  } else {
    dw_rows(d, x, w, bias, act, y, oy0, oy1, scratch, d->kernel_h, d->kernel_w, d->stride_w,
            d->dilation_w);
  }
}

/* --- direct (NCHW input) ------------------------------------------------------------------ */

/* One output pixel of NB blocks with only its inside taps, rows [ky0, ky1). */
EP_NCHWC_INLINE void direct_pixel(const ep_conv_desc* d, int cin, const float* x, const float* w,
                                  const float* bias, ep_activation act, float* y,
                                  size_t y_block_stride, int iy0, int ky0, int ky1, int ox,
                                  const int NB) {
  const int ix0 = ox * d->stride_w - d->pad_left;
  int kx0, kx1;
  valid_taps(ix0, d->kernel_w, d->dilation_w, d->in_w, &kx0, &kx1);
  const size_t plane = (size_t)d->in_h * (size_t)d->in_w;
  vf acc0 = vf_load(bias), acc1 = NB == 2 ? vf_load(bias + BLOCK) : vf_zero();
  for (int ic = 0; ic < cin; ic++) {
    for (int ky = ky0; ky < ky1; ky++) {
      const float* row =
          x + (size_t)ic * plane + (size_t)(iy0 + ky * d->dilation_h) * (size_t)d->in_w;
      const float* wt = w + ((size_t)(ic * d->kernel_h + ky) * (size_t)d->kernel_w) * NB * BLOCK;
      for (int kx = kx0; kx < kx1; kx++) {
        const vf xv = vf_bcast(row + ix0 + kx * d->dilation_w);
        acc0 = vf_fmadd(vf_load(wt + (size_t)kx * NB * BLOCK), xv, acc0);
        if (NB == 2) acc1 = vf_fmadd(vf_load(wt + (size_t)kx * NB * BLOCK + BLOCK), xv, acc1);
      }
    }
  }
  vf_store(y + (size_t)ox * BLOCK, nchwc_clamp(acc0, act));
  if (NB == 2) vf_store(y + y_block_stride + (size_t)ox * BLOCK, nchwc_clamp(acc1, act));
}

/* The taps of output row iy0 whose kernel rows [ky0, ky1) lie inside: x_off[t] is the tap's
 * input offset from the row's first tap-0 input, w_tap[t] its index in the packed weights. One
 * flat loop over them keeps the tile's loop free of the kernel's three nested dimensions (a 3x3
 * kernel over 3 channels is 27 taps, each a short inner loop otherwise). Returns the count. */
static int row_taps(const ep_conv_desc* d, int cin, int ky0, int ky1, int32_t* x_off,
                    int32_t* w_tap) {
  const int plane = d->in_h * d->in_w;
  int n = 0;
  for (int ic = 0; ic < cin; ic++) {
    for (int ky = ky0; ky < ky1; ky++) {
      for (int kx = 0; kx < d->kernel_w; kx++, n++) {
        x_off[n] = ic * plane + ky * d->dilation_h * d->in_w + kx * d->dilation_w;
        w_tap[n] = (ic * d->kernel_h + ky) * d->kernel_w + kx;
      }
    }
  }
  return n;
}

/* P (at most DIRECT_TILE) interior pixels from ox; xs is the first pixel's tap-0 input. */
EP_NCHWC_INLINE void direct_tile(const float* xs, int sw, const int32_t* x_off,
                                 const int32_t* w_tap, int n_taps, const float* w,
                                 const float* bias, ep_activation act, float* y,
                                 size_t y_block_stride, int ox, const int NB, const int P) {
  vf acc[DIRECT_TILE][2];
  UNROLL for (int i = 0; i < P; i++) {
    acc[i][0] = vf_load(bias);
    acc[i][1] = NB == 2 ? vf_load(bias + BLOCK) : vf_zero();
  }
  for (int t = 0; t < n_taps; t++) {
    const float* wt = w + (size_t)w_tap[t] * NB * BLOCK;
    const vf w0 = vf_load(wt);
    const vf w1 = NB == 2 ? vf_load(wt + BLOCK) : vf_zero();
    const float* xt = xs + x_off[t];
    UNROLL for (int i = 0; i < P; i++) {
      const vf xv = vf_bcast(xt + i * sw);
      acc[i][0] = vf_fmadd(w0, xv, acc[i][0]);
      if (NB == 2) acc[i][1] = vf_fmadd(w1, xv, acc[i][1]);
    }
  }
  UNROLL for (int i = 0; i < P; i++) {
    vf_store(y + (size_t)(ox + i) * BLOCK, nchwc_clamp(acc[i][0], act));
    if (NB == 2) vf_store(y + y_block_stride + (size_t)(ox + i) * BLOCK, nchwc_clamp(acc[i][1], act));
  }
}

#define DIRECT_TILE_CASE(P)                                                                      \
  case P:                                                                                        \
    direct_tile(xs, d->stride_w, x_off, w_tap, n_taps, w, bias, act, yr, y_block_stride, ox, NB, \
                P);                                                                              \
    break;

EP_NCHWC_INLINE void direct_rows(const ep_conv_desc* d, int cin, const float* x, const float* w,
                                 const float* bias, ep_activation act, float* y,
                                 size_t y_block_stride, int oy0, int oy1, int32_t* scratch,
                                 const int NB) {
  const int taps = cin * d->kernel_h * d->kernel_w;
  int32_t* x_off = scratch;
  int32_t* w_tap = scratch + taps;
  int lo, hi;
  interior_columns(d, &lo, &hi);
  int listed_ky0 = -1, listed_ky1 = -1, n_taps = 0;
  for (int oy = oy0; oy < oy1; oy++) {
    const int iy0 = oy * d->stride_h - d->pad_top;
    int ky0, ky1;
    valid_taps(iy0, d->kernel_h, d->dilation_h, d->in_h, &ky0, &ky1);
    if (ky0 != listed_ky0 || ky1 != listed_ky1) {
      n_taps = row_taps(d, cin, ky0, ky1, x_off, w_tap);
      listed_ky0 = ky0;
      listed_ky1 = ky1;
    }
    float* yr = y + (size_t)oy * (size_t)d->out_w * BLOCK;
    int ox = 0;
    for (; ox < lo; ox++) {
      direct_pixel(d, cin, x, w, bias, act, yr, y_block_stride, iy0, ky0, ky1, ox, NB);
    }
    /* Rows above the image are never read: offsets start at kernel row ky0. */
    const float* row = x + (ptrdiff_t)iy0 * d->in_w - d->pad_left;
    for (; ox + DIRECT_TILE <= hi; ox += DIRECT_TILE) {
      direct_tile(row + (ptrdiff_t)ox * d->stride_w, d->stride_w, x_off, w_tap, n_taps, w, bias,
                  act, yr, y_block_stride, ox, NB, DIRECT_TILE);
    }
    /* The last interior pixels as one narrower tile: the per-pixel path below has one
     * accumulator chain per block and waits on each multiply-add. */
    if (ox < hi) {
      const float* xs = row + (ptrdiff_t)ox * d->stride_w;
      switch (hi - ox) {
        DIRECT_TILE_CASE(1)
        DIRECT_TILE_CASE(2)
        DIRECT_TILE_CASE(3)
        DIRECT_TILE_CASE(4)
        default:
          direct_tile(xs, d->stride_w, x_off, w_tap, n_taps, w, bias, act, yr, y_block_stride, ox,
                      NB, 5);
          break;
      }
      ox = hi;
    }
    for (; ox < d->out_w; ox++) {
      direct_pixel(d, cin, x, w, bias, act, yr, y_block_stride, iy0, ky0, ky1, ox, NB);
    }
    if (!nchwc_act_in_register(act)) {
      for (int j = 0; j < NB; j++) {
        ep_activation_apply(act, yr + (size_t)j * y_block_stride, (size_t)d->out_w * BLOCK);
      }
    }
  }
}

void EP_NCHWC_NAME(direct_rows)(const ep_conv_desc* d, int cin, const float* x, const float* w,
                                int nb, const float* bias, ep_activation act, float* y,
                                size_t y_block_stride, int oy0, int oy1, int32_t* scratch) {
  if (nb == 2) {
    direct_rows(d, cin, x, w, bias, act, y, y_block_stride, oy0, oy1, scratch, 2);
  } else {
    direct_rows(d, cin, x, w, bias, act, y, y_block_stride, oy0, oy1, scratch, 1);
  }
}

/* --- window convolutions over blocked input (grouped) ------------------------------------ */

/* Loops over a tile's pixels (up to 12) unrolled completely. */
#define UNROLL_PIXELS _Pragma("GCC unroll 12")

/* Pixels per tile: one output block takes 12 accumulators, two take 6 x 2, beside one or two
 * weight vectors and a broadcast (16 registers); 4-channel groups take 8, beside their 4 weight
 * vectors, an input and its splat. */
enum { WINDOW_TILE_1 = 12, WINDOW_TILE_2 = 6, WINDOW_TILE_QUADS = 8 };

/* P pixels of output row oy from column ox, NB output blocks. Every tap is inside (the input
 * is padded), so the loops have no bounds to test: input blocks, kernel rows and columns, then
 * the 8 channels of the block, each broadcast against the blocks' weight vectors. */
EP_NCHWC_INLINE void window_tile(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy, int ox,
                                 const int NB, const int P, const int Q) {
  const size_t row = (size_t)d->in_w * BLOCK;
  const size_t sw = (size_t)d->stride_w * BLOCK;
  const size_t dx = (size_t)d->dilation_w * BLOCK, dy = (size_t)d->dilation_h * row;
  const float* xb = cw->x + (size_t)oy * (size_t)d->stride_h * row + (size_t)ox * sw;
  vf acc[WINDOW_TILE_1][2];
  const vf b0 = vf_load(cw->bias);
  const vf b1 = NB == 2 ? vf_load(cw->bias + BLOCK) : vf_zero();
  UNROLL_PIXELS for (int i = 0; i < P; i++) {
    acc[i][0] = b0;
    acc[i][1] = b1;
  }
  const float* w0 = cw->w;
  if (Q) {
    /* One load per pixel and tap, each of its 4 channels splat within its group's half: 4
     * multiply-adds where whole 8x8 blocks take 8, half of them on zeros. */
    for (int ky = 0; ky < d->kernel_h; ky++) {
      const float* xt = xb + (size_t)ky * dy;
      for (int kx = 0; kx < d->kernel_w; kx++, xt += dx, w0 += 4 * BLOCK) {
        const vf wq0 = vf_load(w0), wq1 = vf_load(w0 + BLOCK);
        const vf wq2 = vf_load(w0 + 2 * BLOCK), wq3 = vf_load(w0 + 3 * BLOCK);
        UNROLL_PIXELS for (int i = 0; i < P; i++) {
          const vf xv = vf_load(xt + (size_t)i * sw);
          acc[i][0] = vf_fmadd(wq0, vf_splat_half_lane(xv, 0), acc[i][0]);
          acc[i][0] = vf_fmadd(wq1, vf_splat_half_lane(xv, 1), acc[i][0]);
          acc[i][0] = vf_fmadd(wq2, vf_splat_half_lane(xv, 2), acc[i][0]);
          acc[i][0] = vf_fmadd(wq3, vf_splat_half_lane(xv, 3), acc[i][0]);
        }
      }
    }
  }
  for (int ib = 0; ib < (Q ? 0 : cw->in_blocks); ib++, xb += cw->x_block_stride) {
    for (int ky = 0; ky < d->kernel_h; ky++) {
      const float* xt = xb + (size_t)ky * dy;
      for (int kx = 0; kx < d->kernel_w; kx++) {
        UNROLL for (int c = 0; c < BLOCK; c++) {
          const vf wv0 = vf_load(w0 + c * NB * BLOCK);
          const vf wv1 = NB == 2 ? vf_load(w0 + c * NB * BLOCK + BLOCK) : vf_zero();
          UNROLL_PIXELS for (int i = 0; i < P; i++) {
            const vf xv = vf_bcast(xt + (size_t)i * sw + (size_t)c);
            acc[i][0] = vf_fmadd(wv0, xv, acc[i][0]);
            if (NB == 2) acc[i][1] = vf_fmadd(wv1, xv, acc[i][1]);
          }
        }
        xt += dx;
        w0 += NB * BLOCK * BLOCK;
      }
    }
  }
  const ep_activation act = cw->act;
  const size_t out_w = (size_t)d->out_w;
  if (cw->y_nchw) {
    /* Through a small transposed tile into the blocks' 8 channel planes. */
    const size_t out_plane = (size_t)d->out_h * out_w;
    float tile[WINDOW_TILE_1][BLOCK];
    UNROLL for (int j = 0; j < NB; j++) {
      UNROLL_PIXELS for (int i = 0; i < P; i++) vf_store(tile[i], nchwc_clamp(acc[i][j], act));
      if (!nchwc_act_in_register(act)) ep_activation_apply(act, &tile[0][0], (size_t)P * BLOCK);
      float* yc = cw->y + (size_t)j * cw->y_block_stride + (size_t)oy * out_w + (size_t)ox;
      for (int c = 0; c < BLOCK; c++, yc += out_plane) {
        for (int i = 0; i < P; i++) yc[i] = tile[i][c];
      }
    }
    return;
  }
  float* y = cw->y + ((size_t)oy * out_w + (size_t)ox) * BLOCK;
  UNROLL for (int j = 0; j < NB; j++) {
    UNROLL_PIXELS for (int i = 0; i < P; i++) {
      vf_store(y + (size_t)j * cw->y_block_stride + (size_t)i * BLOCK, nchwc_clamp(acc[i][j], act));
    }
  }
}

#define WINDOW_TAIL_CASE(NB, P)               \
  case P:                                     \
    window_tile(d, cw, oy, ox, NB, P, Q);     \
    break;

/* n (< the tile) pixels of a row as one narrower tile. */
EP_NCHWC_INLINE void window_tail_1(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy,
                                   int ox, int n, const int Q) {
  switch (n) {
    WINDOW_TAIL_CASE(1, 1)
    WINDOW_TAIL_CASE(1, 2)
    WINDOW_TAIL_CASE(1, 3)
    WINDOW_TAIL_CASE(1, 4)
    WINDOW_TAIL_CASE(1, 5)
    WINDOW_TAIL_CASE(1, 6)
    WINDOW_TAIL_CASE(1, 7)
    WINDOW_TAIL_CASE(1, 8)
    WINDOW_TAIL_CASE(1, 9)
    WINDOW_TAIL_CASE(1, 10)
    WINDOW_TAIL_CASE(1, 11)
    default:
      break;
  }
}

EP_NCHWC_INLINE void window_tail_2(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy,
                                   int ox, int n, const int Q) {
  switch (n) {
    WINDOW_TAIL_CASE(2, 1)
    WINDOW_TAIL_CASE(2, 2)
    WINDOW_TAIL_CASE(2, 3)
    WINDOW_TAIL_CASE(2, 4)
    WINDOW_TAIL_CASE(2, 5)
    default:
      break;
  }
}

/* A row is cut into the fewest tiles of at most P pixels, of equal widths (14 = 7 + 7 single
 * blocks, 5 + 5 + 4 pairs): whole tiles and a tail left 14-pixel rows a 2-pixel tile, whose 2 or
 * 4 accumulators wait on the FMA latency while every weight of the unit is loaded for them
 * (RegNetY-8GF's 14x14 layers: the single block that ends each 7-block group). */
EP_NCHWC_INLINE void window_rows(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy0,
                                 int oy1, const int NB, const int P, const int Q) {
  if (cw->cols < 1) return;
  const int tiles = (cw->cols + P - 1) / P;
  const int base = cw->cols / tiles, wider = cw->cols % tiles;
  for (int oy = oy0; oy < oy1; oy++) {
    for (int t = 0, ox = 0; t < tiles; t++) {
      const int n = base + (t < wider ? 1 : 0);
      if (n == P) {
        window_tile(d, cw, oy, ox, NB, P, Q);
      } else if (NB == 2) {
        window_tail_2(d, cw, oy, ox, n, Q);
      } else {
        window_tail_1(d, cw, oy, ox, n, Q);
      }
      ox += n;
    }
    if (!cw->y_nchw && !nchwc_act_in_register(cw->act)) {
      for (int j = 0; j < NB; j++) {
        ep_activation_apply(cw->act,
                            cw->y + (size_t)j * cw->y_block_stride +
                                (size_t)oy * (size_t)d->out_w * BLOCK,
                            (size_t)cw->cols * BLOCK);
      }
    }
  }
}

void EP_NCHWC_NAME(window_rows)(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy0,
                                int oy1) {
  if (cw->quads) {
    window_rows(d, cw, oy0, oy1, 1, WINDOW_TILE_QUADS, 1);
  } else if (cw->nb == 2) {
    window_rows(d, cw, oy0, oy1, 2, WINDOW_TILE_2, 0);
  } else {
    window_rows(d, cw, oy0, oy1, 1, WINDOW_TILE_1, 0);
  }
}

/* --- pooling ------------------------------------------------------------------------------- */

/* One output pixel from input columns [kx0, kx1) of rows [ky0, ky1) of a window starting at
 * input pixel (iy0, ix0). */
EP_NCHWC_INLINE vf pool_pixel(const ep_pool_desc* d, bool max, const float* x, int iy0, int ky0,
                              int ky1, int ix0, int kx0, int kx1) {
  vf acc = max ? vf_set1(-3.4028235e38f) : vf_zero();
  for (int ky = ky0; ky < ky1; ky++) {
    const float* row = x + ((size_t)(iy0 + ky) * (size_t)d->in_w + (size_t)(ix0 + kx0)) * BLOCK;
    for (int kx = 0; kx < kx1 - kx0; kx++) {
      const vf v = vf_load(row + (size_t)kx * BLOCK);
      acc = max ? vf_max(acc, v) : vf_add(acc, v);
    }
  }
  const int inside = (ky1 - ky0) * (kx1 - kx0);
  if (max) return inside > 0 ? acc : vf_zero(); /* a window wholly in the padding gives 0 */
  const int count = d->count_include_pad ? d->kernel_h * d->kernel_w : inside;
  return vf_mul(acc, vf_set1(count > 0 ? 1.0f / (float)count : 0.0f));
}

/* The maximum or the sum of one input column over `rows` rows from p. */
EP_NCHWC_INLINE vf pool_column(const float* p, size_t row, int rows, bool max) {
  vf acc = vf_load(p);
  for (int r = 1; r < rows; r++) {
    const vf v = vf_load(p + (size_t)r * row);
    acc = max ? vf_max(acc, v) : vf_add(acc, v);
  }
  return acc;
}

/* Output columns [lo, hi) of row oy of a 3-wide window that lies inside the row (Inception's
 * 3x3 stride-1 average pools, the 3x3 stride-2 max pools): each input column's maximum or sum
 * over the window's rows once, then three columns per output, the columns that neighbours
 * share carried (strides 1 and 2): 3 loads per output where the pixel loop took 9. */
EP_NCHWC_INLINE void pool_row_3wide(const ep_pool_desc* d, bool max, const float* x, float* out,
                                    int iy0, int ky0, int ky1, int lo, int hi) {
  const size_t row = (size_t)d->in_w * BLOCK;
  const int rows = ky1 - ky0, sw = d->stride_w;
  const float* base = x + (size_t)(iy0 + ky0) * row;
  const int count = d->count_include_pad ? d->kernel_h * 3 : rows * 3;
  const vf scale = vf_set1(1.0f / (float)count);
#define POOL_COLUMN(ix) pool_column(base + (size_t)(ix) * BLOCK, row, rows, max)
  vf c0 = vf_zero(), c1 = vf_zero(), c2 = vf_zero();
  for (int ox = lo; ox < hi; ox++) {
    const int ix = ox * sw - d->pad_left;
    if (ox > lo && sw == 1) {
      c0 = c1;
      c1 = c2;
    } else if (ox > lo && sw == 2) {
      c0 = c2;
      c1 = POOL_COLUMN(ix + 1);
    } else {
      c0 = POOL_COLUMN(ix);
      c1 = POOL_COLUMN(ix + 1);
    }
    c2 = POOL_COLUMN(ix + 2);
    const vf acc = max ? vf_max(vf_max(c0, c1), c2) : vf_mul(vf_add(vf_add(c0, c1), c2), scale);
    vf_store(out + (size_t)ox * BLOCK, acc);
  }
#undef POOL_COLUMN
}

void EP_NCHWC_NAME(pool_rows)(const ep_pool_desc* d, bool max, const float* x, float* y,
                              int oy0, int oy1) {
  /* Output columns whose window lies inside the row: no clipping there. */
  const int first = (d->pad_left + d->stride_w - 1) / d->stride_w;
  const int reach = d->in_w + d->pad_left - d->kernel_w;
  int last = reach < 0 ? 0 : reach / d->stride_w + 1;
  if (last > d->out_w) last = d->out_w;
  const int lo = first < last ? first : last, hi = last;
  for (int oy = oy0; oy < oy1; oy++) {
    const int iy0 = oy * d->stride_h - d->pad_top;
    int ky0, ky1;
    valid_taps(iy0, d->kernel_h, 1, d->in_h, &ky0, &ky1);
    float* out = y + (size_t)oy * (size_t)d->out_w * BLOCK;
    const bool wide3 = d->kernel_w == 3 && ky1 > ky0 && lo < hi;
    if (wide3) pool_row_3wide(d, max, x, out, iy0, ky0, ky1, lo, hi);
    for (int ox = 0; ox < d->out_w; ox++) {
      if (wide3 && ox == lo) ox = hi;
      if (ox >= d->out_w) break;
      const int ix0 = ox * d->stride_w - d->pad_left;
      int kx0 = 0, kx1 = d->kernel_w;
      if (ox < lo || ox >= hi) valid_taps(ix0, d->kernel_w, 1, d->in_w, &kx0, &kx1);
      vf_store(out + (size_t)ox * BLOCK, pool_pixel(d, max, x, iy0, ky0, ky1, ix0, kx0, kx1));
    }
  }
}

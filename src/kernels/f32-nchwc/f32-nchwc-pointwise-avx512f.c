/* 1x1 convolutions between NCHW8c tensors, AVX-512F: a pair of output blocks in one vector.
 *
 * The packed weights of a block pair are [cin][16] (nchwc-ukernels.h), so a pair's 16 weights of
 * one input channel are one 16-lane vector, and each input value is one broadcast (an embedded
 * broadcast in the FMA) against both blocks: 14 pixels in flight, where the AVX2 kernel holds 6
 * pixels of two 8-lane vectors with two weight loads per input channel. Same k blocks and chunks
 * as the AVX2 cell (f32-nchwc-impl.h), and the same epilogue code (nchwc-epilogue.h); a plain
 * NCHW input or output and a last odd block run the AVX2 cell. */
#include <stdbool.h>
#include <stddef.h>

#include "kernels/f32-nchwc/nchwc-ukernels.h"
#include "kernels/f32-nchwc/nchwc-pair-avx512f.h"
#include "kernels/simd/vec-avx512f.h"

#define EP_NCHWC_INLINE static inline __attribute__((always_inline))
#define UNROLL_PIXELS _Pragma("GCC unroll 14")

enum {
  BLOCK = 8,
  PAIR = 2 * BLOCK,
  TILE = 14, /* pixels per tile: 14 accumulators beside the weight vector */
  /* As the AVX2 cell: chunks of input that stay in L2 while the pairs pass over them, k blocks
   * of at most 64 input blocks (a pair's weights 32 KiB). */
  X_CHUNK_BYTES = 256 * 1024,
  KC_BLOCKS_MAX = 64,
};

static size_t min_size(size_t a, size_t b) { return a < b ? a : b; }

/* P pixels from p of the pair at block ob, over input blocks [cb0, cb1) of the pair's weights
 * w. The first k block starts from the bias, later ones from the partial sums in y; the last
 * one adds the residual and applies the activation. */
EP_NCHWC_INLINE void pair_tile(const ep_nchwc_pointwise* pw, const float* w, size_t ob, size_t p,
                               size_t cb0, size_t cb1, bool first, bool last, const int P,
                               const int XS) {
  const size_t plane = pw->pixels * BLOCK;
  const size_t y_offset = ob * plane + p * BLOCK;
  float* y = pw->y + y_offset;
  vf acc[TILE];
  nchwc_pointwise_begin(acc, P, first, vf_load(pw->bias + ob * BLOCK), y, plane);
  /* XS 2: x read in place by a stride-2 layer, its pixels 2 apart along the tile's row. */
  const size_t x_plane = XS == 2 ? pw->x_plane : plane;
  const float* xb =
      pw->x + cb0 * x_plane + (XS == 2 ? ep_nchwc_pointwise_x_offset(pw, p) : p * BLOCK);
  w += cb0 * BLOCK * PAIR;
  for (size_t cb = cb0; cb < cb1; cb++, xb += x_plane) {
    _Pragma("GCC unroll 8") for (int c = 0; c < BLOCK; c++, w += PAIR) {
      const vf wv = vf_load(w);
      UNROLL_PIXELS for (int i = 0; i < P; i++) {
        acc[i] = vf_fmadd(wv, vf_bcast(xb + (size_t)(i * XS * BLOCK + c)), acc[i]);
      }
    }
  }
  nchwc_pointwise_end(acc, P, last, y, pw->residual != NULL ? pw->residual + y_offset : NULL, plane,
                      pw->act);
  if (last && !nchwc_act_in_register(pw->act)) {
    ep_activation_apply(pw->act, y, (size_t)P * BLOCK);
    ep_activation_apply(pw->act, y + plane, (size_t)P * BLOCK);
  }
}

#define PAIR_TILE_CASE(P, XS)                                \
  case P:                                                    \
    pair_tile(pw, w, ob, p, cb0, cb1, first, last, P, XS);   \
    break;
#define PAIR_TILES(XS, NAME)                                                                      \
  static void NAME(const ep_nchwc_pointwise* pw, const float* w, size_t ob, size_t p, size_t n,   \
                   size_t cb0, size_t cb1, bool first, bool last) {                               \
    switch (n) {                                                                                  \
      PAIR_TILE_CASE(1, XS)                                                                       \
      PAIR_TILE_CASE(2, XS)                                                                       \
      PAIR_TILE_CASE(3, XS)                                                                       \
      PAIR_TILE_CASE(4, XS)                                                                       \
      PAIR_TILE_CASE(5, XS)                                                                       \
      PAIR_TILE_CASE(6, XS)                                                                       \
      PAIR_TILE_CASE(7, XS)                                                                       \
      PAIR_TILE_CASE(8, XS)                                                                       \
      PAIR_TILE_CASE(9, XS)                                                                       \
      PAIR_TILE_CASE(10, XS)                                                                      \
      PAIR_TILE_CASE(11, XS)                                                                      \
      PAIR_TILE_CASE(12, XS)                                                                      \
      PAIR_TILE_CASE(13, XS)                                                                      \
      default:                                                                                    \
        pair_tile(pw, w, ob, p, cb0, cb1, first, last, TILE, XS);                                 \
        break;                                                                                    \
    }                                                                                             \
  }
PAIR_TILES(1, pair_tiles)
PAIR_TILES(2, pair_tiles_stride2)

void ep_nchwc_pointwise_cell__avx512f(const ep_nchwc_pointwise* pw, size_t ob0, size_t ob1,
                                      size_t p0, size_t p1) {
  if (p0 >= p1 || ob0 >= ob1) return;
  if (pw->x_nchw || pw->y_nchw) {
    ep_nchwc_pointwise_cell__avx2(pw, ob0, ob1, p0, p1);
    return;
  }
  const size_t pairs_end = ob0 + (ob1 - ob0) / 2 * 2;
  if (pairs_end < ob1) ep_nchwc_pointwise_cell__avx2(pw, pairs_end, ob1, p0, p1);
  if (pairs_end == ob0) return;
  const size_t in_blocks = pw->cin / BLOCK;
  const size_t k_blocks = (in_blocks + KC_BLOCKS_MAX - 1) / KC_BLOCKS_MAX;
  const size_t kc = (in_blocks + k_blocks - 1) / k_blocks;
  /* A stride-2 layer reading x in place uses half of each cache line it touches. */
  const size_t x_pixel_bytes = kc * BLOCK * sizeof(float) * (pw->x_stride2 ? 2 : 1);
  size_t chunk_max = X_CHUNK_BYTES / x_pixel_bytes / TILE * TILE;
  if (chunk_max < 4 * TILE) chunk_max = 4 * TILE;
  if ((pairs_end - ob0) * BLOCK >= p1 - p0) chunk_max = p1 - p0;
  const size_t chunks = (p1 - p0 + chunk_max - 1) / chunk_max;
  const size_t chunk = ((p1 - p0 + chunks - 1) / chunks + TILE - 1) / TILE * TILE;
  for (size_t c0 = p0; c0 < p1; c0 += chunk) {
    const size_t c1 = min_size(p1, c0 + chunk);
    for (size_t cb0 = 0; cb0 < in_blocks; cb0 += kc) {
      const size_t cb1 = min_size(in_blocks, cb0 + kc);
      const bool first = cb0 == 0, last = cb1 == in_blocks;
      for (size_t ob = ob0; ob < pairs_end; ob += 2) {
        const float* w = pw->w + ob * BLOCK * pw->cin;
        if (pw->x_stride2) {
          /* Tiles end where the output row does: their x pixels are then evenly spaced. */
          for (size_t p = c0, n; p < c1; p += n) {
            n = ep_nchwc_pointwise_run(pw, p, min_size(TILE, c1 - p));
            pair_tiles_stride2(pw, w, ob, p, n, cb0, cb1, first, last);
          }
          continue;
        }
        for (size_t p = c0; p < c1; p += TILE) {
          pair_tiles(pw, w, ob, p, min_size(TILE, c1 - p), cb0, cb1, first, last);
        }
      }
    }
  }
}

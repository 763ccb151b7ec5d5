/* Window convolutions over NCHW8c input (grouped layers), AVX-512F: block pairs in one vector.
 *
 * A pair of output blocks that read the same input blocks (groups of 16 channels or more:
 * RegNetX's, ResNeXt's later stages) has its 16 weights of one input channel interleaved in one
 * vector (nchwc.c's pack_window), so each input value is one broadcast (folded into the FMA as
 * an embedded broadcast) against the pair's 16 outputs, with up to 14 pixels in flight: 14
 * accumulators where the AVX2 kernel (f32-nchwc-impl.h) holds 6 pixels of two 8-lane vectors,
 * with two weight loads per input channel. Every other window layer (one block per unit, 4-channel
 * groups) runs the AVX2 kernel. */
#include <stdbool.h>
#include <stddef.h>

#include "kernels/f32-nchwc/nchwc-ukernels.h"
#include "kernels/simd/vec-avx512f.h"
#include "kernels/simd/vec-act.h"

#define EP_NCHWC_INLINE static inline __attribute__((always_inline))
#define UNROLL_PIXELS _Pragma("GCC unroll 14")

enum {
  BLOCK = 8,
  PAIR = 2 * BLOCK,
  /* Pixels per tile: 14 accumulators, a weight vector; RegNet's and ResNeXt's rows of 56, 28
   * and 14 pixels split into whole tiles. */
  TILE = 14,
};

EP_NCHWC_INLINE vf clamp(vf acc, ep_activation act) {
  if (act == EP_ACT_RELU || act == EP_ACT_RELU6) {
    acc = vf_max(acc, vf_zero());
    if (act == EP_ACT_RELU6) acc = vf_min(acc, vf_set1(6.0f));
  }
  if (vf_act_is_hard(act)) acc = vf_hard_act(acc, act == EP_ACT_HARD_SWISH);
  if (vf_act_is_logistic(act)) acc = vf_logistic_act(acc, act == EP_ACT_SILU);
  return acc;
}

/* P pixels of output row oy from column ox, both blocks of the pair. Every tap is inside (the
 * input is padded). */
EP_NCHWC_INLINE void pair_tile(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy, int ox,
                               const int P) {
  const size_t row = (size_t)d->in_w * BLOCK;
  const size_t sw = (size_t)d->stride_w * BLOCK;
  const size_t dx = (size_t)d->dilation_w * BLOCK, dy = (size_t)d->dilation_h * row;
  const float* xb = cw->x + (size_t)oy * (size_t)d->stride_h * row + (size_t)ox * sw;
  const vf b = vf_load(cw->bias);
  vf acc[TILE];
  UNROLL_PIXELS for (int i = 0; i < P; i++) acc[i] = b;
  const float* w = cw->w;
  for (int ib = 0; ib < cw->in_blocks; ib++, xb += cw->x_block_stride) {
    for (int ky = 0; ky < d->kernel_h; ky++) {
      const float* xt = xb + (size_t)ky * dy;
      for (int kx = 0; kx < d->kernel_w; kx++, xt += dx, w += BLOCK * PAIR) {
        _Pragma("GCC unroll 8") for (int c = 0; c < BLOCK; c++) {
          const vf wv = vf_load(w + c * PAIR);
          UNROLL_PIXELS for (int i = 0; i < P; i++) {
            acc[i] = vf_fmadd(wv, vf_bcast(xt + (size_t)i * sw + (size_t)c), acc[i]);
          }
        }
      }
    }
  }
  const ep_activation act = cw->act;
  const size_t out_w = (size_t)d->out_w;
  if (cw->y_nchw) {
    /* Through a small tile into the pair's 16 channel planes. */
    const size_t out_plane = (size_t)d->out_h * out_w;
    float tile[TILE][PAIR];
    UNROLL_PIXELS for (int i = 0; i < P; i++) vf_store(tile[i], clamp(acc[i], act));
    if (!ep_activation_in_register(act)) ep_activation_apply(act, &tile[0][0], (size_t)P * PAIR);
    for (int j = 0; j < 2; j++) {
      float* yc = cw->y + (size_t)j * cw->y_block_stride + (size_t)oy * out_w + (size_t)ox;
      for (int c = 0; c < BLOCK; c++, yc += out_plane) {
        for (int i = 0; i < P; i++) yc[i] = tile[i][j * BLOCK + c];
      }
    }
    return;
  }
  /* Each vector's halves go to the two blocks' planes. */
  float* y0 = cw->y + ((size_t)oy * out_w + (size_t)ox) * BLOCK;
  float* y1 = y0 + cw->y_block_stride;
  UNROLL_PIXELS for (int i = 0; i < P; i++) {
    const vf v = clamp(acc[i], act);
    _mm256_storeu_ps(y0 + (size_t)i * BLOCK, _mm512_castps512_ps256(v));
    _mm256_storeu_ps(y1 + (size_t)i * BLOCK,
                     _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
  }
}

#define PAIR_TAIL_CASE(P)          \
  case P:                          \
    pair_tile(d, cw, oy, ox, P);   \
    break;

/* The last n (< TILE) pixels of a row as one narrower tile. */
static void pair_tail(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy, int ox, int n) {
  switch (n) {
    PAIR_TAIL_CASE(1)
    PAIR_TAIL_CASE(2)
    PAIR_TAIL_CASE(3)
    PAIR_TAIL_CASE(4)
    PAIR_TAIL_CASE(5)
    PAIR_TAIL_CASE(6)
    PAIR_TAIL_CASE(7)
    PAIR_TAIL_CASE(8)
    PAIR_TAIL_CASE(9)
    PAIR_TAIL_CASE(10)
    PAIR_TAIL_CASE(11)
    PAIR_TAIL_CASE(12)
    PAIR_TAIL_CASE(13)
    default:
      break;
  }
}

void ep_nchwc_window_rows__avx512f(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy0,
                                   int oy1) {
  if (cw->quads || cw->nb != 2) {
    ep_nchwc_window_rows__avx2(d, cw, oy0, oy1);
    return;
  }
  for (int oy = oy0; oy < oy1; oy++) {
    int ox = 0;
    for (; ox + TILE <= d->out_w; ox += TILE) pair_tile(d, cw, oy, ox, TILE);
    if (ox < d->out_w) pair_tail(d, cw, oy, ox, d->out_w - ox);
    if (!cw->y_nchw && !ep_activation_in_register(cw->act)) {
      for (int j = 0; j < 2; j++) {
        ep_activation_apply(cw->act,
                            cw->y + (size_t)j * cw->y_block_stride +
                                (size_t)oy * (size_t)d->out_w * BLOCK,
                            (size_t)d->out_w * BLOCK);
      }
    }
  }
}

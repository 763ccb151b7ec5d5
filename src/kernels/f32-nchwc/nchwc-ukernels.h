/* NCHW8c microkernels (internal): the vector work of f32-nchwc, between nchwc.c (packing,
 * splitting the work over threads) and f32-nchwc-impl.h (the loops). One vector holds the 8
 * channels of one pixel: one YMM register (__avx2), or two NEON registers through the 8-lane
 * shim simd/vec8-neon.h (__neon); at the avx512 level the pointwise and the grouped (window)
 * kernels have variants of their own, which hold two output blocks in one 16-lane vector.
 *
 * Fused activations: ReLU, ReLU6, hard swish and hard sigmoid are applied in registers; sigmoid,
 * SiLU and tanh by ep_activation_apply over each stored row or pointwise chunk (16 lanes where
 * the ISA level has them: f32-nchwc-impl.h's act_in_register). */
#ifndef EDGEPROF_KERNELS_F32_NCHWC_UKERNELS_H
#define EDGEPROF_KERNELS_F32_NCHWC_UKERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernels/kernels.h"

/* Packed pointwise and direct weights group output blocks in pairs (16 channels): a pair's
 * weights are [taps][16], taps = cin for pointwise and cin x kh x kw for direct, and a last odd
 * block's are [taps][8]. The pair starting at block ob (even) starts at ob * 8 * taps. */

/* One image of a 1x1 convolution, output blocks [ob0, ob1) (ob0 even) times pixels [p0, p1).
 * x [cin/8][pixels][8] or, with x_nchw, [cin][pixels]; y [cout/8][pixels][8] or, with y_nchw,
 * [cout][pixels]; residual NULL or laid out as y; bias [cout] (zeros without one).
 *
 * x_stride2: a stride-2 layer (ResNet's downsampling shortcuts) that reads its blocked input in
 * place, where otherwise the kept pixels are first copied out (15% of the layer's time at
 * 56x56, 256 -> 512): x is then [cin/8][x_h][x_w][8], out_w the output's row, and output pixel
 * (oy, ox) reads x's pixel (2 oy, 2 ox). The cells then keep each tile within one output row. */
typedef struct ep_nchwc_pointwise {
  const float* x;
  const float* w;
  const float* bias;
  const float* residual;
  float* y;
  size_t cin, cout, pixels;
  bool x_nchw, y_nchw;
  bool x_stride2;
  size_t x_w, x_plane, out_w; /* with x_stride2: x's row, x's floats per block, y's row */
  ep_activation act;
} ep_nchwc_pointwise;

/* Where pointwise tile starting at output pixel p reads x (floats from the block's plane start),
 * and the most pixels from p that a tile may take: the rest of the output row with x_stride2. */
static inline size_t ep_nchwc_pointwise_x_offset(const ep_nchwc_pointwise* pw, size_t p) {
  if (!pw->x_stride2) return p * 8;
  return ((p / pw->out_w) * 2 * pw->x_w + (p % pw->out_w) * 2) * 8;
}
static inline size_t ep_nchwc_pointwise_run(const ep_nchwc_pointwise* pw, size_t p, size_t n) {
  if (!pw->x_stride2) return n;
  const size_t row_left = pw->out_w - p % pw->out_w;
  return n < row_left ? n : row_left;
}

void ep_nchwc_pointwise_cell__avx2(const ep_nchwc_pointwise* pw, size_t ob0, size_t ob1, size_t p0,
                                   size_t p1);
void ep_nchwc_pointwise_cell__neon(const ep_nchwc_pointwise* pw, size_t ob0, size_t ob1, size_t p0,
                                   size_t p1);
/* The same at the avx512 level: a block pair as one 16-lane vector between blocked tensors
 * (f32-nchwc-pointwise-avx512f.c), plain NCHW sides and a last odd block through the AVX2 cell. */
void ep_nchwc_pointwise_cell__avx512f(const ep_nchwc_pointwise* pw, size_t ob0, size_t ob1,
                                      size_t p0, size_t p1);

/* The row kernels read only d's window: image sizes, kernel, strides, dilations, padding. */

/* Output rows [oy0, oy1) of one 8-channel block of a depthwise convolution: x [in_h][in_w][8],
 * w [kh x kw][8], bias [8], y [out_h][out_w][8], any window, stride, padding and dilation, kernel
 * heights up to EP_NCHWC_DEPTHWISE_MAX_KERNEL. The padding is made in scratch
 * (ep_nchwc_depthwise_scratch floats): input rows are copied into a ring of the rows a window
 * spans, between zero columns, and a row of zeros stands for the rows above and below the image,
 * so that every output pixel, border or not, takes the same tile of 8 pixels with no tap tested
 * (unrolled for 3x3 and 5x5, strides 1 and 2). Wide rows read their inside columns in place and
 * copy only what the border columns read (f32-nchwc-impl.h). */
#define EP_NCHWC_DEPTHWISE_MAX_KERNEL 16
static inline size_t ep_nchwc_depthwise_padded_width(const ep_conv_desc* d) {
  const size_t need = (size_t)(d->out_w - 1) * (size_t)d->stride_w +
                      (size_t)(d->kernel_w - 1) * (size_t)d->dilation_w + 1;
  const size_t held = (size_t)d->pad_left + (size_t)d->in_w;
  return need > held ? need : held;
}
static inline size_t ep_nchwc_depthwise_scratch(const ep_conv_desc* d) {
  const size_t span = (size_t)(d->kernel_h - 1) * (size_t)d->dilation_h + 1;
  return (span + 1) * ep_nchwc_depthwise_padded_width(d) * 8 + span;
}
void ep_nchwc_depthwise_rows__avx2(const ep_conv_desc* d, const float* x, const float* w,
                                   const float* bias, ep_activation act, float* y, int oy0,
                                   int oy1, float* scratch);
void ep_nchwc_depthwise_rows__neon(const ep_conv_desc* d, const float* x, const float* w,
                                   const float* bias, ep_activation act, float* y, int oy0,
                                   int oy1, float* scratch);

/* Output rows [oy0, oy1) of nb (1 or 2) output blocks of a direct convolution from an NCHW image
 * x [cin][in_h][in_w]: w is the pair's packed weights [cin][kh][kw][nb x 8], bias [nb x 8], and
 * block j of y is the plane y + j * y_block_stride, [out_h][out_w][8]. scratch holds
 * EP_NCHWC_DIRECT_SCRATCH(taps) ints, taps = cin x kh x kw. */
#define EP_NCHWC_DIRECT_SCRATCH(taps) (2 * (size_t)(taps))
void ep_nchwc_direct_rows__avx2(const ep_conv_desc* d, int cin, const float* x, const float* w,
                                int nb, const float* bias, ep_activation act, float* y,
                                size_t y_block_stride, int oy0, int oy1, int32_t* scratch);
void ep_nchwc_direct_rows__neon(const ep_conv_desc* d, int cin, const float* x, const float* w,
                                int nb, const float* bias, ep_activation act, float* y,
                                size_t y_block_stride, int oy0, int oy1, int32_t* scratch);

/* Output rows [oy0, oy1) of nb (1 or 2) output blocks of a window convolution over blocked
 * input (grouped layers: each output block reads the few input blocks of its groups), cols
 * pixels of each row. d's padding is not read: every tap of every pixel computed is inside x,
 * output pixel (oy, ox) reading x from x + (oy * stride_h * in_w + ox * stride_w) * 8 and writing
 * y's pixel oy * out_w + ox (nchwc.c points x and y at the region it computes: the pixels whose
 * windows lie inside the image in place, the border ones from a few rows or columns padded with
 * zeros). */
typedef struct ep_nchwc_window {
  const float* x;        /* the first input block read: [in_blocks][in_h][in_w][8] */
  size_t x_block_stride; /* floats from one input block to the next */
  int in_blocks;         /* input blocks per output block */
  const float* w;        /* the nb blocks' weights: [in_blocks][kh][kw][8 inputs][nb x 8 outputs] */
  const float* bias;     /* [nb x 8] */
  float* y;              /* block j at y + j * y_block_stride: [out_h][out_w][8], or with y_nchw
                            its 8 channel planes [8][out_h x out_w] */
  size_t y_block_stride;
  int nb;
  int cols; /* output pixels per row from y's column 0; rows of y are out_w apart */
  bool y_nchw;
  /* Groups of 4 input and 4 output channels, two per block (ResNeXt's first stage): w is
   * [kh][kw][4][8], the weights of each group's 4 inputs against the block's 8 outputs, and nb
   * is 1. */
  bool quads;
  ep_activation act;
} ep_nchwc_window;

void ep_nchwc_window_rows__avx2(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy0,
                                int oy1);
void ep_nchwc_window_rows__neon(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy0,
                                int oy1);
/* The same at the avx512 level: block pairs as one 16-lane vector (f32-nchwc-window-avx512f.c),
 * anything else through the AVX2 kernel. */
void ep_nchwc_window_rows__avx512f(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy0,
                                   int oy1);

/* Output rows [oy0, oy1) of one 8-channel block of a max or average pool: x [in_h][in_w][8],
 * y [out_h][out_w][8]; d's batch and channels are not read. Windows use their inside values
 * (average: divided by their count, or by the whole window with count_include_pad); a window
 * with none gives 0, as ep_ref_max_pool / ep_ref_avg_pool. */
void ep_nchwc_pool_rows__avx2(const ep_pool_desc* d, bool max, const float* x, float* y, int oy0,
                              int oy1);
void ep_nchwc_pool_rows__neon(const ep_pool_desc* d, bool max, const float* x, float* y, int oy0,
                              int oy1);

#endif /* EDGEPROF_KERNELS_F32_NCHWC_UKERNELS_H */

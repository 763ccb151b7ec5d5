/* The CPU kernel configuration of each ISA level: every ISA choice of the kernel families in
 * one place (XNNPACK's src/configs/, MLAS's platform table).
 *
 * One entry per level (kernel-config.c, the decision table documented in
 * docs/architecture.md): the GEMM microkernels and their tile, the vector planes of depthwise
 * convolution and pooling, im2col, the Winograd transforms, vector math, element-wise math, and
 * the blocked layout
 * with its kernels. Family drivers read the entry of the level in use (ep_kernel_config_get) or
 * the one their packed weights were made with (ep_kernel_config_for) and never test the ISA
 * themselves; a NULL kernel means the driver's scalar code.
 *
 * Narrow and wide vectors: on a row of few pixels (7 on a 7x7 plane) 16 lanes compute 9 for
 * nothing, so a level with a wide variant keeps the 8-lane one beside it, and a driver takes
 * the wide one only when its rows fill wide_lanes as well as 8 (ep_kernel_config_wide_pays).
 *
 * Adding an ISA level: a vec shim, the family files of that level, and one entry here. */
#ifndef EDGEPROF_KERNELS_CONFIG_KERNEL_CONFIG_H
#define EDGEPROF_KERNELS_CONFIG_KERNEL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/cpu.h"
#include "kernels/f32-conv/winograd.h"
#include "kernels/f32-dwconv/dwconv.h"
#include "kernels/f32-gemm/gemm.h"
#include "kernels/f32-nchwc/nchwc-ukernels.h"
#include "kernels/layout/transpose-2d.h"
#include "kernels/lstm/lstm-cell.h"
#include "kernels/pool/pool.h"
#include "kernels/rnn/gru-cell.h"
#include "kernels/unary/unary-math.h"
#include "kernels/reduce/reduce.h"
#include "kernels/vmath/vmath.h"

typedef void (*ep_f32_im2col_fn)(const ep_conv_desc* d, const float* x, size_t k0, size_t kc,
                                 size_t p0, size_t np, size_t nr, float* out);

/* The 8-channel blocked layout's kernels (f32-nchwc, Winograd's layout rows). */
typedef struct ep_nchwc_kernels {
  void (*pointwise_cell)(const ep_nchwc_pointwise* pw, size_t ob0, size_t ob1, size_t p0,
                         size_t p1);
  void (*depthwise_rows)(const ep_conv_desc* d, const float* x, const float* w, const float* bias,
                         ep_activation act, float* y, int oy0, int oy1, float* scratch);
  void (*direct_rows)(const ep_conv_desc* d, int cin, const float* x, const float* w, int nb,
                      const float* bias, ep_activation act, float* y, size_t y_block_stride,
                      int oy0, int oy1, int32_t* scratch);
  void (*window_rows)(const ep_conv_desc* d, const ep_nchwc_window* cw, int oy0, int oy1);
  void (*pool_rows)(const ep_pool_desc* d, bool max, const float* x, float* y, int oy0, int oy1);
  void (*unblock_row)(const float* src, size_t n, float* const dst[8]);
  void (*block_row)(const float* const src[8], size_t n, float* dst);
} ep_nchwc_kernels;

/* Winograd transforms of F(4x4, 3x3) ([0]) and F(2x2, 3x3) ([1]). */
typedef struct ep_wg_transforms {
  ep_wg_input_fn input[2];
  ep_wg_output_fn output[2];
} ep_wg_transforms;

typedef struct ep_kernel_config {
  ep_cpu_isa isa;
  ep_f32_gemm_config gemm;
  const ep_vmath* vmath;                  /* NULL: scalar loops */
  const ep_unary_kernels* unary;          /* element-wise math; every level has one */
  const ep_reduce_ukernels* reduce;       /* reductions, LayerNormalization; NULL: scalar */
  size_t wide_lanes;                      /* lanes of the *_wide variants; 0: none */
  ep_f32_dwconv_plane_fn dwconv_plane;    /* 8 lanes; NULL: scalar rows */
  ep_f32_dwconv_plane_fn dwconv_plane_wide;
  ep_pool_plane_fn pool_plane;            /* NULL: scalar rows */
  ep_f32_im2col_fn im2col;                /* strides 1 and 2; NULL: the scalar packing */
  ep_f32_transpose_2d_fn transpose_2d;    /* Transpose's 2-D case; NULL: gathered rows */
  ep_wg_transforms winograd;              /* 8 lanes; NULL members: no Winograd */
  ep_wg_transforms winograd_wide;
  /* F(4x4, 3x3)'s U = G g G^T at run time over the GEMM's A panels; NULL: packed U only */
  ep_wg_weights_fn winograd_weights;
  ep_lstm_cell_fn lstm_cell; /* every level; blocks of gemm.nr units */
  ep_gru_cell_fn gru_cell;   /* every level; blocks of gemm.nr units */
  /* The blocked layout kept between convolutions ("NCHW8c"), NULL for NCHW only; its kernels
   * are all set when it is. */
  const char* blocked_layout;
  /* Whether sessions plan blocked chains without EDGEPROF_LAYOUT (backends/cpu/layout_plan.h);
   * false: only on request (EDGEPROF_LAYOUT=auto or blocked), where NCHW is the faster path. */
  bool blocked_by_default;
  ep_nchwc_kernels nchwc;
} ep_kernel_config;

/* The entry of a level (a level this build lacks gives the best one below it). */
const ep_kernel_config* ep_kernel_config_for(ep_cpu_isa isa);
/* The entry of the level in use (ep_cpu_isa_active: EDGEPROF_ISA may lower it). */
const ep_kernel_config* ep_kernel_config_get(void);

/* Whether rows of `n` items are better served by the wide variant: it fills its lanes as well
 * as the 8-lane one fills its own. */
static inline bool ep_kernel_config_wide_pays(const ep_kernel_config* c, size_t n) {
  return c->wide_lanes > 8 &&
         (n + c->wide_lanes - 1) / c->wide_lanes * c->wide_lanes <= (n + 7) / 8 * 8;
}

#endif /* EDGEPROF_KERNELS_CONFIG_KERNEL_CONFIG_H */

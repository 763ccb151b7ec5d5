/* Blocked-layout (NCHW8c) convolutions against the reference: pointwise (strided too), depthwise,
 * grouped (the window kernel, blocked or plain output),
 * direct (NCHW input) and Winograd 3x3 layers reading or writing NCHW8c, fixed corner cases and
 * random shapes, max and average pooling, every activation, with and without bias
 * and a residual input, pointwise layers with a plain NCHW input or output, batch 1 and 2, with a
 * NULL pool and pools of 1 to 4 threads; global average pooling and the layout conversions. Inputs
 * are converted to the blocked layout, outputs back, and compared with ep_ref_conv2d on the plain
 * tensors. Outputs start as NaN, so a pixel left unwritten fails. Every level with blocked
 * kernels is tested (avx2, avx512, and neon's over two registers per vector, under qemu here); on
 * a CPU with none the test is skipped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/cpu.h"
#include "kernels/f32-nchwc/nchwc.h"
#include "kernels/kernels.h"
#include "test_isa.h"
#include "test_support.h"

static int tested_levels; /* ISA levels whose blocked kernels ran */

enum { N_POOLS = 5, SKIP = 77 };
static ep_threadpool* pools[N_POOLS];

static int out_size(int in, int pad_begin, int pad_end, int kernel, int stride, int dilation) {
  return (in + pad_begin + pad_end - dilation * (kernel - 1) - 1) / stride + 1;
}

typedef struct shape {
  int batch, cin, h, w, cout, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups;
} shape;

/* Layouts: the direct kernel's (NCHW -> NCHW8c) for a small dense input, else blocked both
 * ways; callers change them for pointwise layers. */
static ep_conv_desc desc_of(const shape* s, bool has_bias, ep_activation act) {
  return (ep_conv_desc){
      .batch = s->batch,
      .in_channels = s->cin,
      .in_h = s->h,
      .in_w = s->w,
      .out_channels = s->cout,
      .out_h = out_size(s->h, s->pt, s->pb, s->kh, s->sh, s->dh),
      .out_w = out_size(s->w, s->pl, s->pr, s->kw, s->sw, s->dw),
      .kernel_h = s->kh,
      .kernel_w = s->kw,
      .stride_h = s->sh,
      .stride_w = s->sw,
      .dilation_h = s->dh,
      .dilation_w = s->dw,
      .pad_top = s->pt,
      .pad_left = s->pl,
      .groups = s->groups,
      .has_bias = has_bias,
      .act = act,
      .in_layout =
          s->cin <= EP_NCHWC_DIRECT_MAX_CIN && s->groups == 1 ? EP_LAYOUT_NCHW : EP_LAYOUT_NCHW8C,
      .out_layout = EP_LAYOUT_NCHW8C,
  };
}

typedef struct variant {
  bool has_bias;
  ep_activation act;
  bool residual;
  bool x_nchw, y_nchw; /* plain input (pointwise only) or output */
} variant;

static void check_conv(ep_test_rng* rng, const shape* s, variant v, const char* what) {
  ep_conv_desc d = desc_of(s, v.has_bias, v.act);
  if (v.x_nchw || v.y_nchw) {
    d.in_layout = v.x_nchw ? EP_LAYOUT_NCHW : EP_LAYOUT_NCHW8C;
    d.out_layout = v.y_nchw ? EP_LAYOUT_NCHW : EP_LAYOUT_NCHW8C;
  }
  const bool has_bias = v.has_bias;
  const ep_activation act = v.act;
  if (d.out_h <= 0 || d.out_w <= 0) return;
  EP_CHECK_MSG(ep_conv2d_layouts_supported(&d), "%s: %dx%dx%dx%d -> %d k %dx%d g %d not supported",
               what, d.batch, d.in_channels, d.in_h, d.in_w, d.out_channels, d.kernel_h, d.kernel_w,
               d.groups);
  if (!ep_conv2d_layouts_supported(&d)) return;
  /* Dense 3x3 stride-1 layers run as Winograd, whose transforms round more (test_conv2d.c). */
  const bool winograd = !ep_nchwc_conv_supports(&d) ||
                        (ep_nchwc_conv_dense(&d) && d.kernel_h == 3 && d.kernel_w == 3 &&
                         d.stride_h == 1 && d.stride_w == 1 && d.dilation_h == 1 &&
                         d.dilation_w == 1);
  const double tolerance = winograd ? 1e-4 : 1e-5;
  const size_t in_hw = (size_t)d.in_h * d.in_w, out_hw = (size_t)d.out_h * d.out_w;
  const size_t nx = (size_t)d.batch * d.in_channels * in_hw;
  const size_t nw = (size_t)d.out_channels * (d.in_channels / d.groups) * d.kernel_h * d.kernel_w;
  const size_t ny = (size_t)d.batch * d.out_channels * out_hw;
  float* x = malloc(nx * sizeof *x);
  float* xb = malloc(nx * sizeof *xb);
  float* w = malloc(nw * sizeof *w);
  float* bias = malloc((size_t)d.out_channels * sizeof *bias);
  float* expect = malloc(ny * sizeof *expect);
  float* got_blocked = malloc(ny * sizeof *got_blocked);
  float* got = malloc(ny * sizeof *got);
  float* packed = malloc(ep_conv2d_packed_size(&d) * sizeof *packed);
  ep_test_fill(rng, x, nx, -1.0f, 1.0f);
  ep_test_fill(rng, w, nw, -1.0f, 1.0f);
  ep_test_fill(rng, bias, (size_t)d.out_channels, -1.0f, 1.0f);
  /* Error against the magnitude before the activation (all fused activations are 1-Lipschitz). */
  ep_conv_desc plain = d;
  plain.act = EP_ACT_NONE;
  plain.in_layout = plain.out_layout = EP_LAYOUT_NCHW;
  ep_ref_conv2d(&plain, x, w, has_bias ? bias : NULL, expect);
  float* residual = NULL;
  float* residual_laid = NULL;
  if (v.residual) {
    residual = malloc(ny * sizeof *residual);
    residual_laid = malloc(ny * sizeof *residual_laid);
    ep_test_fill(rng, residual, ny, -1.0f, 1.0f);
    ep_ref_add(ny, expect, residual, EP_ACT_NONE, expect);
    if (d.out_layout == EP_LAYOUT_NCHW8C) {
      ep_nchwc_from_nchw(d.batch, d.out_channels, out_hw, residual, residual_laid);
    } else {
      memcpy(residual_laid, residual, ny * sizeof *residual);
    }
  }
  double scale = 1e-30;
  for (size_t i = 0; i < ny; i++) scale = fabs(expect[i]) > scale ? fabs(expect[i]) : scale;
  ep_ref_activation(act, ny, expect, expect);
  if (d.in_layout == EP_LAYOUT_NCHW8C) {
    ep_nchwc_from_nchw(d.batch, d.in_channels, in_hw, x, xb);
  } else {
    memcpy(xb, x, nx * sizeof *x);
  }
  ep_conv2d_pack(&d, w, has_bias ? bias : NULL, packed);
  const size_t ws = ep_conv2d_workspace_size(&d);
  for (int p = 0; p < N_POOLS; p++) {
    const int threads = ep_threadpool_threads(pools[p]);
    float* workspace = malloc(ws * (size_t)threads * sizeof *workspace + 1);
    for (size_t i = 0; i < ny; i++) got_blocked[i] = NAN;
    ep_conv2d_run(&d, packed, xb, residual_laid, got_blocked, workspace, ws, pools[p]);
    if (d.out_layout == EP_LAYOUT_NCHW8C) {
      ep_nchwc_to_nchw(d.batch, d.out_channels, out_hw, got_blocked, got);
    } else {
      memcpy(got, got_blocked, ny * sizeof *got);
    }
    const double diff = ep_test_max_abs_diff(got, expect, ny) / scale;
    EP_CHECK_MSG(diff <= tolerance,
                 "%s: %dx%dx%dx%d -> %d, k %dx%d s %dx%d d %dx%d pad %d,%d,%d,%d g %d bias %d "
                 "act %d%s, layouts %d -> %d, %d threads%s: rel diff %g",
                 what, d.batch, d.in_channels, d.in_h, d.in_w, d.out_channels, d.kernel_h,
                 d.kernel_w, d.stride_h, d.stride_w, d.dilation_h, d.dilation_w, s->pt, s->pl,
                 s->pb, s->pr, d.groups, has_bias, (int)act, v.residual ? " + residual" : "",
                 (int)d.in_layout, (int)d.out_layout, threads,
                 pools[p] == NULL ? " (NULL pool)" : "", diff);
    free(workspace);
  }
  free(x);
  free(xb);
  free(w);
  free(bias);
  free(expect);
  free(got_blocked);
  free(got);
  free(packed);
  free(residual);
  free(residual_laid);
}

static const shape corner_cases[] = {
    /* batch cin h w cout kh kw sh sw dh dw pt pl pb pr groups */
    {1, 8, 1, 1, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},      /* pointwise, one pixel */
    {1, 16, 5, 5, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},    /* odd block count, tail of 1 */
    {1, 32, 7, 7, 64, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},    /* 49 pixels */
    {1, 512, 14, 14, 40, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1}, /* pixel chunks (large cin) */
    {1, 8, 23, 29, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},   /* many tiles, small cin */
    {1, 1024, 5, 5, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},  /* two k blocks */
    {1, 520, 3, 7, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},   /* uneven k blocks */
    {2, 24, 6, 5, 8, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},     /* batch 2 pointwise */
    {1, 8, 12, 12, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},    /* depthwise same */
    {1, 16, 13, 11, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 16}, /* depthwise stride 2 */
    {1, 8, 14, 14, 8, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 8},    /* depthwise TF-same stride 2 */
    {1, 8, 12, 12, 8, 5, 5, 3, 3, 1, 1, 2, 1, 2, 2, 8},    /* depthwise 5x5 stride 3 */
    {1, 16, 13, 11, 16, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 16}, /* depthwise dilated */
    {1, 8, 2, 3, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},      /* depthwise, image < kernel */
    {1, 8, 4, 4, 8, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 8},      /* pads larger than the image */
    {1, 8, 9, 30, 8, 3, 3, 1, 2, 1, 1, 0, 1, 2, 0, 8},     /* asymmetric, mixed strides */
    {2, 16, 7, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16},   /* batch 2 depthwise */
    {1, 3, 24, 24, 32, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1},   /* MobileNet's first conv */
    {1, 3, 23, 23, 24, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1},   /* 7x7 stride 2 stem, odd blocks */
    {1, 1, 9, 10, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},     /* one input channel */
    {1, 8, 11, 13, 16, 3, 5, 1, 2, 2, 1, 2, 1, 0, 2, 1},   /* direct, 8 channels, dilated */
    {1, 4, 3, 3, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1},      /* direct, image < kernel */
    {2, 3, 10, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* batch 2 direct */
    {1, 16, 13, 11, 24, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1},  /* strided pointwise, odd sizes */
    {1, 64, 56, 56, 32, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1},  /* ResNet's stride-2 shortcut */
    {2, 8, 9, 7, 16, 1, 1, 3, 2, 1, 1, 0, 0, 0, 0, 1},     /* batch 2, strides 3 and 2 */
    {1, 8, 1, 5, 8, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1},      /* strided, one row */
    /* Stride 2 read in place (output rows of 14 pixels or more): tiles stop at each row's
     * end. */
    {1, 1024, 5, 29, 48, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1}, /* two k blocks, 15-pixel rows */
    {1, 64, 28, 30, 40, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1},  /* 15-pixel rows, odd blocks */
    {2, 32, 28, 28, 32, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1},  /* batch 2, 14x14 output */
    {1, 16, 2, 33, 16, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1},   /* 17-pixel row, even height */
    {1, 32, 14, 14, 32, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1},  /* 7-pixel rows: copied out */
    {1, 8, 4, 70, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},     /* depthwise, wide rows: edges */
    {1, 16, 6, 28, 16, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 16},  /* 5x5 on 28 columns: edges */
    {1, 8, 5, 18, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},     /* 16 inside columns: edges */
    {1, 8, 5, 17, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},     /* 15 inside columns: copies */
    {1, 16, 6, 80, 16, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 16},  /* 5x5 stride 2, edges */
    {1, 8, 5, 77, 8, 3, 3, 1, 1, 2, 2, 2, 1, 2, 3, 8},     /* dilated, uneven pads, edges */
    {1, 8, 3, 40, 8, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 8},     /* TF-same stride 2, edges */
    {2, 24, 7, 7, 24, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 24},   /* EfficientNet's 5x5 on 7x7 */
    /* 5x5 rows whose last tile takes the remainder (9-13 pixels) or splits it (14, 15): the
     * odd planes of EfficientNet b3-b7 (19, 10, 15, 29 columns; 38, 75 after stride 2). */
    {1, 8, 3, 9, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 8},
    {1, 8, 3, 10, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 8},
    {1, 8, 3, 11, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 8},
    {1, 8, 3, 12, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 8},
    {1, 8, 3, 13, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 8},
    {1, 16, 3, 14, 16, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 16},
    {1, 8, 4, 15, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 8},
    {1, 16, 5, 19, 16, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 16},
    {1, 8, 4, 29, 8, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 8},    /* 25 inside columns: edges */
    {1, 16, 5, 19, 16, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 16}, /* stride 2: 10 columns */
    {1, 8, 4, 29, 8, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 8},    /* stride 2: 15 columns */
    {1, 8, 3, 75, 8, 5, 5, 2, 2, 1, 1, 2, 2, 2, 2, 8},    /* stride 2: 38 columns, edges */
    {1, 8, 3, 150, 8, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 8},   /* 3x3 stride 2 on 150: 75 */
    {1, 16, 9, 9, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4},    /* grouped: 4-channel groups */
    {1, 32, 8, 8, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 4},    /* 8-channel groups, stride 2 */
    {1, 64, 7, 7, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4},    /* 16-channel groups: block pairs */
    {2, 64, 5, 6, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},    /* 32-channel groups, batch 2 */
    {1, 16, 10, 13, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4},  /* 4 in, 8 out per group */
    {1, 24, 11, 9, 24, 5, 5, 1, 2, 2, 1, 2, 1, 2, 0, 3},   /* grouped 5x5, dilated, uneven */
    {1, 32, 6, 6, 32, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 4},    /* grouped 1x1 */
    {1, 16, 9, 30, 16, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 2},   /* grouped, no padding, tails */
    {1, 8, 2, 3, 8, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 2},      /* grouped, pads > image */
    {1, 16, 17, 17, 24, 1, 7, 1, 1, 1, 1, 0, 3, 0, 3, 1},  /* dense 1x7 (Inception v3) */
    {1, 24, 17, 17, 16, 7, 1, 1, 1, 1, 1, 3, 0, 3, 0, 1},  /* dense 7x1 */
    {1, 16, 8, 11, 16, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1},   /* dense 1x3 */
    {2, 16, 8, 11, 32, 3, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1},   /* dense 3x1, batch 2 */
    {1, 32, 15, 15, 24, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1},  /* dense 3x3 stride 2, valid */
    {2, 16, 12, 13, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},  /* dense 3x3 stride 2, padded */
    {1, 16, 10, 10, 24, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1},  /* dense 5x5 */
    {1, 16, 4, 30, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* dense 3x3 (odd blocks), tails */
    {1, 24, 9, 8, 16, 2, 3, 3, 1, 2, 1, 1, 0, 2, 1, 1},    /* dense, dilated, uneven */
    /* The AVX-512 pair kernel's tiles (f32-nchwc-window-avx512f.c): rows of up to 28 pixels in
     * one tile, wider ones in equal tiles, rows of up to 14 two at a time (an odd last row
     * alone), strides across 1 and 2 unrolled, others in tiles of 14. */
    {1, 16, 3, 35, 32, 1, 7, 1, 1, 1, 1, 0, 3, 0, 3, 1},   /* 1x7 on 35 columns: 18 + 17 */
    {1, 16, 9, 35, 16, 7, 1, 1, 1, 1, 1, 3, 0, 3, 0, 1},   /* 7x1 on 35 columns */
    {1, 16, 5, 35, 16, 5, 5, 1, 1, 1, 1, 2, 2, 2, 2, 1},   /* 5x5 on 35 columns */
    {1, 16, 7, 17, 32, 3, 3, 2, 2, 1, 1, 0, 0, 0, 0, 1},   /* 3x3 stride 2 to 3 rows of 8 */
    {1, 16, 5, 8, 16, 3, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1},    /* 3x1 on 5 rows of 8 */
    {1, 16, 5, 3, 16, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1},    /* 5 rows of 3 pixels */
    {1, 16, 3, 14, 16, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1},   /* rows of 7, stride 2 across only */
    {1, 16, 3, 28, 16, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1},   /* 28 columns: one tile */
    {1, 16, 2, 29, 16, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1},   /* 29 columns: 15 + 14 */
    {1, 16, 3, 115, 16, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},  /* stride 2, 58 columns: 20 + 19 + 19 */
    {1, 16, 4, 50, 16, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},   /* stride 3, 17 columns: 14 + 3 */
    {1, 24, 4, 17, 16, 3, 3, 1, 1, 1, 2, 1, 2, 1, 2, 1},   /* dilated across, 17 columns */
};

/* Dense 3x3 stride-1 layers, which run as Winograd F(4x4, 3x3) or F(2x2, 3x3) with NCHW8c on
 * either side (checked with each layout combination). */
static const shape winograd_cases[] = {
    {1, 16, 16, 16, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, /* F(4x4), same padding */
    {1, 8, 23, 19, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* F(4x4), tails */
    {2, 24, 18, 18, 8, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1},  /* F(4x4), valid, batch 2 */
    {1, 64, 7, 7, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* F(2x2): ResNet's 7x7 stage */
    {1, 16, 9, 10, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},  /* F(2x2), tails */
    {1, 136, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, /* F(4x4), U at run time, 2 k blocks */
};

/* Global average pooling over plane sizes that reach every part of the vector block sum (four
 * tiles a step, single tiles, an odd pixel at 16 lanes) and the 19x19 / 10x10 planes of
 * EfficientNet b3. */
/* Window layers whose padded input is over 4 MiB (nchwc.c's WINDOW_COPY_MAX_BYTES) read it in
 * place, their border rows and columns from small padded copies: bit for bit against the same
 * layer over an input the test pads itself (no padding left to make: the path of every smaller
 * layer, checked against the reference above), whose multiply-adds are the same in the same
 * order. */
static const shape in_place_cases[] = {
    /* batch cin h w cout kh kw sh sw dh dw pt pl pb pr groups */
    {1, 32, 182, 182, 32, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 2}, /* RegNet's stride 2: block pairs */
    {1, 32, 181, 183, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4}, /* 8-channel groups: single blocks */
    {1, 32, 182, 182, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8}, /* 4-channel groups (quads) */
    {1, 16, 250, 270, 16, 1, 7, 1, 1, 1, 1, 0, 3, 0, 3, 1}, /* dense 1x7: 3 border columns */
    {1, 16, 262, 250, 16, 7, 1, 1, 1, 1, 1, 3, 0, 3, 0, 1}, /* dense 7x1: 3 border rows */
    {1, 16, 255, 257, 24, 3, 3, 2, 1, 2, 2, 2, 1, 0, 3, 1}, /* dilated, uneven pads, odd blocks */
};

static void check_in_place(ep_test_rng* rng) {
  const variant variants[] = {
      {true, EP_ACT_RELU, false, false, false},
      {true, EP_ACT_SILU, false, false, true},
      {false, EP_ACT_NONE, true, false, false},
  };
  for (size_t i = 0; i < sizeof in_place_cases / sizeof in_place_cases[0]; i++) {
    const shape* s = &in_place_cases[i];
    const variant v = variants[i % 3];
    /* The first against the reference too: its rows run in bands (nchwc.c's window_band_items),
     * as do those of the padded layer it is compared with. */
    if (i == 0) check_conv(rng, s, v, "in place, in bands");
    ep_conv_desc d = desc_of(s, v.has_bias, v.act);
    d.out_layout = v.y_nchw ? EP_LAYOUT_NCHW : EP_LAYOUT_NCHW8C;
    /* The same layer over the input padded here: rows and columns up to what the last output
     * pixel's window reaches, zeros around. */
    ep_conv_desc dp = d;
    dp.in_h = (d.out_h - 1) * d.stride_h + (d.kernel_h - 1) * d.dilation_h + 1;
    dp.in_w = (d.out_w - 1) * d.stride_w + (d.kernel_w - 1) * d.dilation_w + 1;
    if (dp.in_h < d.pad_top + d.in_h) dp.in_h = d.pad_top + d.in_h;
    if (dp.in_w < d.pad_left + d.in_w) dp.in_w = d.pad_left + d.in_w;
    dp.pad_top = dp.pad_left = 0;
    const size_t blocks = (size_t)d.in_channels / 8;
    const size_t nx = (size_t)d.in_channels * d.in_h * d.in_w;
    const size_t nxp = (size_t)d.in_channels * dp.in_h * dp.in_w;
    const size_t nw = (size_t)d.out_channels * (d.in_channels / d.groups) * d.kernel_h * d.kernel_w;
    const size_t ny = (size_t)d.out_channels * d.out_h * d.out_w;
    float* x = malloc(nx * sizeof *x);
    float* xp = calloc(nxp, sizeof *xp);
    float* w = malloc(nw * sizeof *w);
    float* bias = malloc((size_t)d.out_channels * sizeof *bias);
    float* residual = v.residual ? malloc(ny * sizeof *residual) : NULL;
    float* y = malloc(ny * sizeof *y);
    float* yp = malloc(ny * sizeof *yp);
    float* packed = malloc(ep_conv2d_packed_size(&d) * sizeof *packed);
    ep_test_fill(rng, x, nx, -1.0f, 1.0f);
    ep_test_fill(rng, w, nw, -1.0f, 1.0f);
    ep_test_fill(rng, bias, (size_t)d.out_channels, -1.0f, 1.0f);
    if (residual != NULL) ep_test_fill(rng, residual, ny, -1.0f, 1.0f);
    for (size_t b = 0; b < blocks; b++) {
      for (int r = 0; r < d.in_h; r++) {
        memcpy(xp + ((b * dp.in_h + r + d.pad_top) * dp.in_w + d.pad_left) * 8,
               x + (b * d.in_h + r) * d.in_w * 8, (size_t)d.in_w * 8 * sizeof *x);
      }
    }
    ep_conv2d_pack(&d, w, v.has_bias ? bias : NULL, packed);
    EP_CHECK_MSG(ep_conv2d_workspace_size(&d) < nxp,
                 "in place %zu: a workspace of %zu floats, as large as a padded copy's", i,
                 ep_conv2d_workspace_size(&d));
    for (int p = 0; p < N_POOLS; p += 2) {
      const int threads = ep_threadpool_threads(pools[p]);
      const size_t ws = ep_conv2d_workspace_size(&d), wsp = ep_conv2d_workspace_size(&dp);
      float* workspace = malloc((ws > wsp ? ws : wsp) * (size_t)threads * sizeof *workspace + 1);
      for (size_t j = 0; j < ny; j++) y[j] = NAN; /* a pixel left out shows */
      ep_conv2d_run(&d, packed, x, residual, y, workspace, ws, pools[p]);
      ep_conv2d_run(&dp, packed, xp, residual, yp, workspace, wsp, pools[p]);
      EP_CHECK_MSG(memcmp(y, yp, ny * sizeof *y) == 0,
                   "in place %zu (%d threads): outputs differ from the padded input's", i, threads);
      free(workspace);
    }
    free(x);
    free(xp);
    free(w);
    free(bias);
    free(residual);
    free(y);
    free(yp);
    free(packed);
  }
}

static void check_pool_and_conversions(ep_test_rng* rng) {
  const int batch = 2, channels = 24;
  const size_t sizes[] = {1, 2, 3, 37, 100, 361};
  for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++) {
    const size_t hw = sizes[c], n = (size_t)batch * channels * hw;
    float* x = malloc(n * sizeof *x);
    float* xb = malloc(n * sizeof *xb);
    float* back = malloc(n * sizeof *back);
    float expect[48], got[48];
    ep_test_fill(rng, x, n, -1.0f, 1.0f);
    ep_nchwc_from_nchw(batch, channels, hw, x, xb);
    EP_CHECK(xb[(1 * hw + hw / 2) * 8 + 2] == x[10 * hw + hw / 2]); /* channel 10: block 1, lane 2 */
    ep_nchwc_to_nchw(batch, channels, hw, xb, back);
    EP_CHECK(memcmp(back, x, n * sizeof *x) == 0);
    ep_ref_global_avg_pool(batch, channels, (int)hw, x, expect);
    for (int p = 0; p < N_POOLS; p++) {
      for (int i = 0; i < 48; i++) got[i] = NAN;
      ep_nchwc_global_avg_pool_run(batch, channels, hw, xb, got, pools[p]);
      EP_CHECK_MSG(ep_test_max_abs_diff(got, expect, 48) <= 1e-6,
                   "global average pool, %zu pixels, pool %d", hw, p);
    }
    free(x);
    free(xb);
    free(back);
  }
}

/* Max and average pooling NCHW8c -> NCHW8c against the plain reference. */
static void check_pools(ep_test_rng* rng) {
  /* batch channels in_h in_w out_h out_w kernel_h kernel_w stride_h stride_w pad_top pad_left */
  const ep_pool_desc cases[] = {
      {1, 64, 112, 112, 56, 56, 3, 3, 2, 2, 0, 0, false}, /* ResNet's stem pool (TF "same") */
      {1, 8, 13, 11, 7, 6, 3, 3, 2, 2, 1, 1, false},      /* padded, odd sizes */
      {2, 16, 9, 9, 9, 9, 3, 3, 1, 1, 1, 1, false},       /* stride 1, batch 2 */
      {1, 8, 7, 7, 3, 3, 2, 3, 3, 2, 0, 1, false},        /* uneven window and strides */
      {1, 16, 6, 6, 3, 3, 3, 3, 2, 2, 1, 1, true},        /* average counts the padding */
      {1, 8, 2, 2, 2, 2, 5, 5, 1, 1, 4, 4, false},        /* windows wholly in the padding */
      {1, 16, 35, 35, 35, 35, 3, 3, 1, 1, 1, 1, true},    /* Inception's 3x3 average, padding counted */
      {1, 8, 17, 17, 8, 8, 3, 3, 2, 2, 0, 0, false},      /* Inception's 3x3 stride-2 max */
      {1, 8, 7, 11, 3, 4, 3, 3, 2, 3, 0, 1, false},       /* 3 wide, stride 3 across */
      {1, 8, 5, 4, 5, 2, 3, 3, 1, 1, 1, 0, false},        /* one inside column */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const ep_pool_desc* d = &cases[i];
    const size_t in_hw = (size_t)d->in_h * d->in_w, out_hw = (size_t)d->out_h * d->out_w;
    const size_t nx = (size_t)d->batch * d->channels * in_hw;
    const size_t ny = (size_t)d->batch * d->channels * out_hw;
    float* x = malloc(nx * sizeof *x);
    float* xb = malloc(nx * sizeof *xb);
    float* expect = malloc(ny * sizeof *expect);
    float* got_blocked = malloc(ny * sizeof *got_blocked);
    float* got = malloc(ny * sizeof *got);
    ep_test_fill(rng, x, nx, -1.0f, 1.0f);
    ep_nchwc_from_nchw(d->batch, d->channels, in_hw, x, xb);
    for (int max = 0; max < 2; max++) {
      if (max) {
        ep_ref_max_pool(d, x, expect);
      } else {
        ep_ref_avg_pool(d, x, expect);
      }
      for (int p = 0; p < N_POOLS; p++) {
        for (size_t j = 0; j < ny; j++) got_blocked[j] = NAN;
        ep_nchwc_pool_run(d, max, xb, got_blocked, pools[p]);
        ep_nchwc_to_nchw(d->batch, d->channels, out_hw, got_blocked, got);
        const double diff = ep_test_max_abs_diff(got, expect, ny);
        EP_CHECK_MSG(diff <= 1e-6, "%s pool case %zu, %d threads: diff %g", max ? "max" : "average",
                     i, ep_threadpool_threads(pools[p]), diff);
      }
    }
    free(x);
    free(xb);
    free(expect);
    free(got_blocked);
    free(got);
  }
}

static void check_supports(void) {
  shape pw = {1, 16, 5, 5, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1};
  ep_conv_desc d = desc_of(&pw, true, EP_ACT_NONE);
  EP_CHECK(ep_nchwc_conv_supports(&d));
  d.out_layout = EP_LAYOUT_NCHW; /* a pointwise layer may end a blocked chain ... */
  EP_CHECK(ep_nchwc_conv_supports(&d));
  d.in_layout = EP_LAYOUT_NCHW; /* ... but a plain one is not this module's */
  EP_CHECK(!ep_nchwc_conv_supports(&d));
  shape dw = {1, 16, 5, 5, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16};
  d = desc_of(&dw, true, EP_ACT_NONE);
  EP_CHECK(ep_nchwc_conv_supports(&d));
  d.out_layout = EP_LAYOUT_NCHW; /* depthwise: blocked both ways only */
  EP_CHECK(!ep_nchwc_conv_supports(&d));
  shape odd = {1, 12, 5, 5, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1};
  d = desc_of(&odd, true, EP_ACT_NONE);
  EP_CHECK(!ep_nchwc_conv_supports(&d)); /* 12 channels cannot be blocked */
  shape dense3x3 = {1, 16, 5, 5, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  d = desc_of(&dense3x3, true, EP_ACT_NONE);
  EP_CHECK(ep_nchwc_conv_dense(&d)); /* dense 3x3 on 16 channels: the window kernel */
  d.in_layout = EP_LAYOUT_NCHW;
  EP_CHECK(!ep_nchwc_conv_supports(&d)); /* ... from blocked input only */
  shape dense20 = {1, 20, 5, 5, 16, 1, 7, 1, 1, 1, 1, 0, 3, 0, 3, 1};
  d = desc_of(&dense20, true, EP_ACT_NONE);
  EP_CHECK(!ep_nchwc_conv_supports(&d)); /* 20 input channels cannot be blocked */
  shape dense_odd_out = {1, 16, 5, 5, 12, 7, 1, 1, 1, 1, 1, 3, 0, 3, 0, 1};
  d = desc_of(&dense_odd_out, true, EP_ACT_NONE);
  EP_CHECK(!ep_nchwc_conv_supports(&d)); /* nor 12 outputs */
  d.out_layout = EP_LAYOUT_NCHW;
  EP_CHECK(!ep_nchwc_conv_supports(&d)); /* not even into a plain output */
  shape wide3x3 = {1, 16, 16, 16, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  d = desc_of(&wide3x3, true, EP_ACT_NONE);
  EP_CHECK(ep_nchwc_conv_dense(&d) && ep_conv2d_layouts_supported(&d)); /* runs as Winograd */
  shape strided = {1, 16, 6, 6, 16, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1};
  d = desc_of(&strided, true, EP_ACT_NONE);
  EP_CHECK(ep_nchwc_conv_supports(&d));
  shape padded = {1, 16, 6, 6, 16, 1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 1};
  d = desc_of(&padded, true, EP_ACT_NONE);
  EP_CHECK(ep_nchwc_conv_dense(&d)); /* a padded 1x1 layer: the window kernel */
  shape multiplier = {1, 8, 6, 6, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8};
  d = desc_of(&multiplier, true, EP_ACT_NONE);
  EP_CHECK(!ep_nchwc_conv_supports(&d)); /* depthwise with a channel multiplier */
  shape grouped = {1, 32, 6, 6, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8};
  d = desc_of(&grouped, true, EP_ACT_NONE);
  EP_CHECK(ep_nchwc_conv_supports(&d)); /* 4-channel groups: two per block */
  d.out_layout = EP_LAYOUT_NCHW;
  EP_CHECK(ep_nchwc_conv_supports(&d)); /* ... and may end a chain */
  d.in_layout = EP_LAYOUT_NCHW;
  EP_CHECK(!ep_nchwc_conv_supports(&d));
  shape narrow = {1, 32, 6, 6, 32, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 16};
  d = desc_of(&narrow, true, EP_ACT_NONE);
  EP_CHECK(!ep_nchwc_conv_supports(&d)); /* 2-channel groups: 4x the multiply-adds, NCHW */
}

/* Every check, at one ISA level that has the blocked kernels (Winograd's GEMM and transforms
 * follow the level, so each level with a blocked layout is a combination of its own). */
/* Grouped layers of every group width 1..64 and the wide ones of RegNet (X-8GF's 120, X-16GF's
 * 128; Y-8GF's 56 is in the range) with a few more of 72-124, strides 1 and 2, padded: the
 * blocked kernel where it runs the layer (runs of output blocks sharing their input in pairs, in
 * one AVX-512 vector, an odd run's last block single; single blocks; 4-channel groups), else the
 * NCHW path that the layout plan leaves such a layer on. Channels are the smallest multiple of 8
 * (and of the width) with at least two groups, once with twice as many outputs. */
static void check_group_widths(ep_test_rng* rng) {
  static const int wide[] = {72, 100, 120, 124, 128};
  const int n_wide = (int)(sizeof wide / sizeof wide[0]);
  for (int i = 0; i < 64 + n_wide; i++) {
    const int width = i < 64 ? i + 1 : wide[i - 64];
    int groups = 2;
    while ((width * groups) % EP_NCHWC_BLOCK != 0) groups++;
    for (int stride = 1; stride <= 2; stride++) {
      const int outs = width % 3 == 0 ? 2 : 1;
      const shape s = {1, width * groups, 7 + width % 4, 9 - width % 3, width * groups * outs,
                       3, 3, stride, stride, 1, 1, 1, 1, 1, stride == 2 ? 0 : 1, groups};
      const variant v = {width % 2 == 0, (width + stride) % 3 == 0 ? EP_ACT_RELU : EP_ACT_NONE,
                         width % 5 == 0, false, false};
      ep_conv_desc d = desc_of(&s, v.has_bias, v.act);
      if (ep_conv2d_layouts_supported(&d)) {
        check_conv(rng, &s, v, "group widths");
        if (width > 1) {
          /* Depthwise (width 1) writes blocks only. */
          check_conv(rng, &s, (variant){true, EP_ACT_RELU6, false, false, true},
                     "group widths, plain output");
        }
      } else {
        check_conv(rng, &s, (variant){v.has_bias, v.act, v.residual, true, true},
                   "group widths, NCHW");
      }
    }
  }
}

static void check_level(ep_cpu_isa isa, void* ctx) {
  (void)ctx;
  if (!ep_nchwc_available()) {
    printf("nchwc: level %s has no blocked layout: nothing to test there\n", ep_cpu_isa_name(isa));
    return;
  }
  tested_levels++;
  for (int p = 1; p < N_POOLS; p++) EP_CHECK_OK(ep_threadpool_create(p, NULL, 0, &pools[p]));
  ep_test_rng rng = {7};
  const ep_activation acts[] = {EP_ACT_NONE,       EP_ACT_RELU,        EP_ACT_RELU6,
                                EP_ACT_SIGMOID,    EP_ACT_TANH,        EP_ACT_SILU,
                                EP_ACT_HARD_SWISH, EP_ACT_HARD_SIGMOID};
#define N_ACTS ((int)(sizeof acts / sizeof acts[0]))
  check_supports();
  const size_t n_corner = sizeof corner_cases / sizeof corner_cases[0];
  for (size_t i = 0; i < n_corner; i++) {
    const shape* s = &corner_cases[i];
    check_conv(&rng, s, (variant){true, EP_ACT_NONE, false, false, false}, "corner");
    check_conv(&rng, s, (variant){i % 2 == 0, acts[1 + i % (N_ACTS - 1)], false, false, false}, "corner");
    check_conv(&rng, s, (variant){i % 2 == 1, acts[i % N_ACTS], true, false, false}, "residual");
    const bool dense_window = s->groups == 1 && s->cin > EP_NCHWC_DIRECT_MAX_CIN && s->kh * s->kw > 1;
    if ((s->groups > 1 && s->groups != s->cin) || dense_window) {
      /* Grouped and dense layers may end a blocked chain (RegNet's, before a
       * squeeze-and-excitation; Inception's branches, before their concatenation). */
      check_conv(&rng, s, (variant){i % 2 == 0, acts[(i + 3) % N_ACTS], i % 2 == 1, false, true},
                 "grouped, plain output");
    }
    if (s->kh == 1 && s->kw == 1 && s->groups == 1) {
      /* Pointwise layers that start or end a blocked chain, with and without a residual. */
      check_conv(&rng, s, (variant){true, acts[i % N_ACTS], false, true, false}, "plain input");
      check_conv(&rng, s, (variant){true, acts[(i + 1) % N_ACTS], i % 2 == 0, false, true},
                 "plain output");
      check_conv(&rng, s, (variant){false, acts[(i + 2) % N_ACTS], true, false, true},
                 "plain output, residual");
    }
  }
  const size_t n_winograd = sizeof winograd_cases / sizeof winograd_cases[0];
  for (size_t i = 0; i < n_winograd; i++) {
    const shape* s = &winograd_cases[i];
    check_conv(&rng, s, (variant){true, acts[i % N_ACTS], i % 2 == 0, false, false}, "winograd");
    check_conv(&rng, s, (variant){i % 2 == 1, acts[(i + 1) % N_ACTS], true, true, false},
               "winograd, plain input");
    check_conv(&rng, s, (variant){true, acts[(i + 2) % N_ACTS], i % 2 == 1, false, true},
               "winograd, plain output");
  }
  for (int i = 0; i < 120; i++) {
    shape s;
    const int kind = i % 4; /* pointwise, depthwise, direct, grouped */
    s.batch = ep_test_rng_int(&rng, 1, 2);
    s.kh = ep_test_rng_int(&rng, 1, 5);
    s.kw = ep_test_rng_int(&rng, 1, 5);
    s.sh = ep_test_rng_int(&rng, 1, 3);
    s.sw = ep_test_rng_int(&rng, 1, 3);
    s.dh = ep_test_rng_int(&rng, 1, 2);
    s.dw = ep_test_rng_int(&rng, 1, 2);
    s.pt = ep_test_rng_int(&rng, 0, s.kh - 1);
    s.pl = ep_test_rng_int(&rng, 0, s.kw - 1);
    s.pb = ep_test_rng_int(&rng, 0, s.kh - 1);
    s.pr = ep_test_rng_int(&rng, 0, s.kw - 1);
    s.h = ep_test_rng_int(&rng, 1, 20);
    s.w = ep_test_rng_int(&rng, 1, 20);
    s.cout = 8 * ep_test_rng_int(&rng, 1, 5);
    if (kind == 0) {
      s.kh = s.kw = s.dh = s.dw = 1;
      if (i % 2 == 0) s.sh = s.sw = 1; /* else strided */
      s.pt = s.pl = s.pb = s.pr = 0;
      s.h = ep_test_rng_int(&rng, 1, 30);
      s.cin = 8 * ep_test_rng_int(&rng, 1, 12);
      s.groups = 1;
    } else if (kind == 1) {
      s.cin = s.cout;
      s.groups = s.cin;
    } else if (kind == 2) {
      s.cin = ep_test_rng_int(&rng, 1, EP_NCHWC_DIRECT_MAX_CIN);
      s.groups = 1;
    } else {
      /* Groups of 4, 8 or 16 input channels, as many or twice as many outputs. */
      const int width = 4 << ep_test_rng_int(&rng, 0, 2);
      s.groups = ep_test_rng_int(&rng, 1, 4) * (width == 4 ? 2 : 1);
      s.cin = width * s.groups;
      s.cout = s.cin * ep_test_rng_int(&rng, 1, 2);
      if (s.groups == 1) s.groups = 2, s.cin *= 2, s.cout *= 2;
    }
    variant v = {ep_test_rng_int(&rng, 0, 1), acts[ep_test_rng_int(&rng, 0, N_ACTS - 1)],
                 ep_test_rng_int(&rng, 0, 3) == 0, false, false};
    if (kind == 3) v.y_nchw = ep_test_rng_int(&rng, 0, 2) == 0;
    if (kind == 0) {
      v.x_nchw = ep_test_rng_int(&rng, 0, 2) == 0;
      v.y_nchw = !v.x_nchw && ep_test_rng_int(&rng, 0, 2) == 0;
    }
    check_conv(&rng, &s, v, "random");
  }
  for (int i = 0; i < 40; i++) {
    /* Dense layers over blocked input: any kernel, strides, dilations, padding. */
    shape s = {ep_test_rng_int(&rng, 1, 2), 8 * ep_test_rng_int(&rng, 1, 6),
               ep_test_rng_int(&rng, 1, 20), ep_test_rng_int(&rng, 1, 20),
               8 * ep_test_rng_int(&rng, 1, 5), ep_test_rng_int(&rng, 1, 7),
               ep_test_rng_int(&rng, 1, 7), ep_test_rng_int(&rng, 1, 3),
               ep_test_rng_int(&rng, 1, 3), ep_test_rng_int(&rng, 1, 2),
               ep_test_rng_int(&rng, 1, 2), 0, 0, 0, 0, 1};
    if (s.cin == EP_NCHWC_DIRECT_MAX_CIN) s.cin += 8; /* else the direct kernel's */
    s.pt = ep_test_rng_int(&rng, 0, s.kh - 1);
    s.pl = ep_test_rng_int(&rng, 0, s.kw - 1);
    s.pb = ep_test_rng_int(&rng, 0, s.kh - 1);
    s.pr = ep_test_rng_int(&rng, 0, s.kw - 1);
    if (s.kh * s.kw == 1) s.pt = 1; /* a padded 1x1: not pointwise */
    variant v = {ep_test_rng_int(&rng, 0, 1), acts[ep_test_rng_int(&rng, 0, N_ACTS - 1)],
                 ep_test_rng_int(&rng, 0, 3) == 0, false, ep_test_rng_int(&rng, 0, 2) == 0};
    check_conv(&rng, &s, v, "random dense");
  }
  check_group_widths(&rng);
  check_in_place(&rng);
  check_pool_and_conversions(&rng);
  check_pools(&rng);
  for (int p = 1; p < N_POOLS; p++) ep_threadpool_destroy(pools[p]);
}

int main(void) {
  ep_test_for_each_isa("nchwc", check_level, NULL);
  if (tested_levels == 0) {
    printf("nchwc: skipped, no ISA level of this CPU has the blocked kernels\n");
    return SKIP;
  }
  return ep_test_finish();
}

/* Fast convolution (all three algorithms) against the reference: fixed corner cases and random
 * shapes, every activation, with and without bias and a fused residual input, a fused
 * pre-activation (batch norm and relu of x) on the pointwise ones, pointwise ones that read x in
 * place and ones that pack it, batch 1 and 2,
 * with a NULL pool and pools of 1 to 4 threads. Workspaces are allocated at exactly the
 * advertised size, so ASan catches a run that uses more; outputs start as NaN, so a pixel left
 * unwritten fails the comparison. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/cpu.h"
#include "kernels/kernels.h"
#include "test_isa.h"
#include "test_support.h"

enum { N_POOLS = 5 };
/* NULL, 1, 2, 3 and 4 threads: 4 also splits a layer into 2 x 2 cells of channels x pixels. */
static ep_threadpool* pools[N_POOLS];

static int out_size(int in, int pad_begin, int pad_end, int kernel, int stride, int dilation) {
  return (in + pad_begin + pad_end - dilation * (kernel - 1) - 1) / stride + 1;
}

typedef struct shape {
  int batch, cin, h, w, cout, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups;
} shape;

/* With `pre`, a fused pre-activation (pointwise convs): the conv reads relu(scale * x + shift). */
static void check_conv_pre(ep_test_rng* rng, const shape* s, bool has_bias, ep_activation act,
                           bool with_residual, bool pre, const char* what) {
  ep_conv_desc d = {
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
      .has_input_affine = pre,
      .in_act = pre ? EP_ACT_RELU : EP_ACT_NONE,
  };
  if (d.out_h <= 0 || d.out_w <= 0) return;
  const size_t nx = (size_t)d.batch * d.in_channels * d.in_h * d.in_w;
  const size_t nw = (size_t)d.out_channels * (d.in_channels / d.groups) * d.kernel_h * d.kernel_w;
  const size_t ny = (size_t)d.batch * d.out_channels * d.out_h * d.out_w;
  float* x = malloc(nx * sizeof *x);
  float* w = malloc(nw * sizeof *w);
  float* bias = malloc((size_t)d.out_channels * sizeof *bias);
  float* expect = malloc(ny * sizeof *expect);
  float* got = malloc(ny * sizeof *got);
  float* packed = malloc(ep_conv2d_packed_size(&d) * sizeof *packed + 1);
  ep_test_fill(rng, x, nx, -1.0f, 1.0f);
  ep_test_fill(rng, w, nw, -1.0f, 1.0f);
  ep_test_fill(rng, bias, (size_t)d.out_channels, -1.0f, 1.0f);
  /* The error is measured against the magnitude before the activation: every fused activation
   * is 1-Lipschitz, and after a saturating one (tanh of a 300-channel sum) the outputs are near
   * +-1 while the sums' rounding scales with the sums. */
  ep_conv_desc plain = d;
  plain.act = EP_ACT_NONE;
  float* affine = NULL;
  float* xt = NULL;
  if (pre) {
    const size_t plane = (size_t)d.in_h * d.in_w;
    affine = malloc(2 * (size_t)d.in_channels * sizeof *affine);
    xt = malloc(nx * sizeof *xt);
    ep_test_fill(rng, affine, (size_t)d.in_channels, 0.5f, 1.5f);
    ep_test_fill(rng, affine + d.in_channels, (size_t)d.in_channels, -0.5f, 0.5f);
    for (size_t i = 0; i < nx; i++) {
      const size_t c = i / plane % (size_t)d.in_channels;
      const float v = affine[c] * x[i] + affine[d.in_channels + c];
      xt[i] = v > 0.0f ? v : 0.0f;
    }
  }
  ep_ref_conv2d(&plain, pre ? xt : x, w, has_bias ? bias : NULL, expect);
  float* residual = NULL;
  if (with_residual) {
    residual = malloc(ny * sizeof *residual);
    ep_test_fill(rng, residual, ny, -1.0f, 1.0f);
    ep_ref_add(ny, expect, residual, EP_ACT_NONE, expect);
  }
  double scale = 1e-30;
  for (size_t i = 0; i < ny; i++) scale = fabs(expect[i]) > scale ? fabs(expect[i]) : scale;
  ep_ref_activation(act, ny, expect, expect);
  ep_conv2d_pack(&d, w, has_bias ? bias : NULL, packed);
  if (pre) ep_conv2d_pack_input(&d, affine, affine + d.in_channels, packed);
  const size_t ws = ep_conv2d_workspace_size(&d);
  /* 3x3 stride-1 layers may run as Winograd F(4x4, 3x3) at the vector levels: its transforms
   * (coefficients up to 8 and 1/24) round more than a dot product does, so it gets the 1e-4 that
   * the runtime promises for whole networks rather than the 1e-5 of the direct algorithms. */
  const bool may_be_winograd = ep_cpu_isa_active() != EP_ISA_SCALAR && d.kernel_h == 3 &&
                               d.kernel_w == 3 && d.stride_h == 1 && d.stride_w == 1 &&
                               d.dilation_h == 1 && d.dilation_w == 1 && d.groups == 1;
  const double tolerance = may_be_winograd ? 1e-4 : 1e-5;
  for (int p = 0; p < N_POOLS; p++) {
    const int threads = ep_threadpool_threads(pools[p]);
    float* workspace = malloc(ws * (size_t)threads * sizeof *workspace + 1);
    for (size_t i = 0; i < ny; i++) got[i] = NAN;
    ep_conv2d_run(&d, packed, x, residual, got, workspace, ws, pools[p]);
    const double diff = ep_test_max_abs_diff(got, expect, ny) / scale;
    EP_CHECK_MSG(diff <= tolerance,
                 "%s: %dx%dx%dx%d -> %d, k %dx%d s %dx%d d %dx%d pad %d,%d,%d,%d g %d bias %d "
                 "act %d%s, %d threads%s: rel diff %g",
                 what, d.batch, d.in_channels, d.in_h, d.in_w, d.out_channels, d.kernel_h,
                 d.kernel_w, d.stride_h, d.stride_w, d.dilation_h, d.dilation_w, s->pt, s->pl,
                 s->pb, s->pr, d.groups, has_bias, (int)act, with_residual ? " + residual" : "",
                 threads, pools[p] == NULL ? " (NULL pool)" : "", diff);
    free(workspace);
  }
  free(x);
  free(w);
  free(bias);
  free(expect);
  free(got);
  free(packed);
  free(residual);
  free(affine);
  free(xt);
}

static void check_conv(ep_test_rng* rng, const shape* s, bool has_bias, ep_activation act,
                       bool with_residual, const char* what) {
  check_conv_pre(rng, s, has_bias, act, with_residual, false, what);
}

static const shape corner_cases[] = {
    /* batch cin h w cout kh kw sh sw dh dw pt pl pb pr groups */
    {1, 3, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},    /* 3x3 same */
    {1, 17, 8, 7, 5, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1},    /* valid */
    {1, 7, 10, 9, 3, 3, 3, 1, 1, 1, 1, 0, 2, 1, 0, 1},    /* asymmetric pads */
    {1, 5, 13, 12, 6, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1},   /* stride 2 */
    {1, 4, 14, 16, 5, 3, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1},   /* stride 3 */
    {1, 3, 12, 12, 4, 3, 3, 3, 2, 1, 1, 0, 1, 2, 0, 1},   /* mixed strides */
    {1, 6, 11, 13, 5, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1},   /* dilation 2 */
    {1, 3, 15, 10, 4, 3, 5, 2, 1, 2, 1, 1, 2, 0, 2, 1},   /* non-square everything */
    {1, 16, 9, 9, 24, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},   /* pointwise: GEMM on NCHW */
    {1, 17, 24, 25, 9, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},  /* pointwise, > 1 pixel tile */
    {1, 300, 5, 5, 10, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},  /* pointwise, k blocks */
    {1, 8, 10, 10, 12, 1, 1, 2, 2, 1, 1, 0, 0, 0, 0, 1},  /* 1x1 stride 2 (downsample) */
    {1, 3, 10, 10, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* 1x1 with padding */
    {1, 3, 23, 23, 8, 7, 7, 2, 2, 1, 1, 3, 3, 3, 3, 1},   /* 7x7 stride 2 stem */
    {1, 32, 20, 20, 40, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, /* k blocks and pixel tiles */
    {1, 64, 7, 7, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},   /* small image: channel chunks */
    {1, 8, 12, 12, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 8},   /* depthwise */
    {1, 7, 11, 13, 7, 3, 3, 2, 2, 1, 1, 1, 1, 0, 1, 7},   /* depthwise stride 2 */
    {1, 5, 12, 12, 5, 5, 5, 3, 3, 1, 1, 2, 1, 2, 2, 5},   /* depthwise 5x5 stride 3 */
    {1, 6, 13, 11, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 6},   /* depthwise dilated */
    {1, 4, 9, 9, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4},     /* depthwise, multiplier 2 */
    {1, 1, 6, 6, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},     /* one channel */
    {1, 3, 4, 4, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3},     /* pads larger than the image */
    {1, 8, 10, 10, 12, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},  /* grouped, 2 groups */
    {1, 12, 9, 8, 20, 3, 3, 2, 1, 1, 1, 1, 0, 1, 1, 4},   /* grouped, 4 groups */
    {1, 6, 7, 7, 6, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 3},     /* grouped pointwise */
    {2, 5, 9, 10, 7, 3, 3, 1, 2, 1, 1, 1, 1, 1, 1, 1},    /* batch 2 */
    {2, 6, 8, 8, 6, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 6},     /* batch 2 depthwise */
    {2, 9, 6, 6, 4, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},     /* batch 2 pointwise */
    /* Vector depthwise: rows of 1 to 2 vectors plus tails, both strides, odd heights. */
    {1, 3, 5, 1, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},
    {1, 3, 6, 8, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},
    {1, 3, 7, 17, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 3},
    {1, 2, 9, 33, 2, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 2},
    {1, 3, 14, 15, 3, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 3}, /* TF "same" stride 2 */
    {1, 3, 31, 33, 3, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 3},
    {1, 2, 18, 40, 2, 3, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2}, /* stride 2 down, 1 across */
    {1, 2, 17, 35, 2, 3, 3, 1, 2, 1, 1, 0, 1, 2, 1, 2}, /* stride 1 down, 2 across */
    {1, 2, 12, 37, 2, 5, 5, 2, 2, 2, 2, 4, 4, 4, 4, 2}, /* 5x5 dilated stride 2 */
    {1, 2, 9, 20, 6, 3, 1, 1, 1, 1, 1, 1, 0, 1, 0, 2},  /* 3x1, multiplier 3 */
    {1, 4, 30, 30, 4, 3, 3, 1, 1, 1, 1, 3, 3, 3, 3, 4}, /* pads beyond the taps */
    /* Winograd F(4x4, 3x3): tile rows of 1 to 2 vectors plus tails, output sizes that are not
     * whole tiles, "valid" and asymmetric padding, input channels past one k block. */
    {1, 8, 16, 16, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 9, 17, 35, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 12, 30, 70, 10, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {1, 10, 21, 19, 13, 3, 3, 1, 1, 1, 1, 2, 0, 1, 2, 1},
    {1, 300, 16, 17, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {2, 8, 18, 18, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    /* GEMM tiles: pixels that are not whole panels, channel counts that are not whole A panels,
     * several pixel blocks and k blocks. */
    {1, 33, 13, 13, 37, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 290, 3, 3, 13, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {1, 5, 40, 41, 11, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {1, 2, 1, 1, 3, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},  /* one pixel */
    {1, 3, 5, 40, 4, 1, 3, 1, 1, 1, 1, 0, 1, 0, 1, 1}, /* 1x3 */
};

/* Checked after the others, so that their random draws stay as they were. Stride 2 3x3 depthwise
 * rows split into even and odd columns: whole and partial 2-vector blocks, even and odd left
 * padding, multiplier 2; and MobileNet's 14 -> 7 shape (rows narrower than a vector). */
static const shape split_cases[] = {
    /* batch cin h w cout kh kw sh sw dh dw pt pl pb pr groups */
    {1, 3, 20, 48, 3, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 3},
    {1, 2, 9, 37, 4, 3, 3, 2, 2, 1, 1, 1, 2, 1, 1, 2},
    {1, 2, 7, 70, 2, 3, 3, 2, 2, 1, 1, 2, 3, 2, 1, 2},
    {1, 5, 14, 14, 5, 3, 3, 2, 2, 1, 1, 0, 0, 1, 1, 5},
    {2, 4, 7, 7, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 4},
};

/* Winograd F(2x2, 3x3): planes too small for 16 4x4 tiles but with 16 or more 2x2 ones (7x7 as
 * in ResNet's last stage, 8x8, odd and non-square sizes, "valid" and asymmetric padding, input
 * channels past one k block, rows wider than a vector of tiles, batch 2). */
static const shape f2_cases[] = {
    /* batch cin h w cout kh kw sh sw dh dw pt pl pb pr groups */
    {1, 16, 7, 7, 24, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 9, 8, 8, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 12, 11, 9, 10, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 10, 10, 12, 13, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {1, 8, 9, 10, 8, 3, 3, 1, 1, 1, 1, 2, 0, 1, 2, 1},
    {1, 300, 7, 7, 9, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 8, 3, 40, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {2, 8, 7, 7, 16, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
};

/* Winograd F(4x4, 3x3) with U transformed at run time (at most 2 GEMM panels of tiles, U over
 * 1 MiB): output channels that are not whole A panels, one k block and two (the second
 * partial), "valid" padding, batch 2. Checked last, so that the others' random draws stay. */
static const shape run_time_u_cases[] = {
    /* batch cin h w cout kh kw sh sw dh dw pt pl pb pr groups */
    {1, 96, 14, 14, 100, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {2, 136, 14, 18, 120, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1},
    {1, 128, 18, 18, 80, 3, 3, 1, 1, 1, 1, 0, 0, 0, 0, 1},
};

/* Shapes whose best grid at 4 threads is 2 x 2 cells (6 channel panels and 6 pixel panels at
 * the AVX2 level), 1x1 and im2col. */
static const shape grid_cases[] = {
    /* batch cin h w cout kh kw sh sw dh dw pt pl pb pr groups */
    {1, 20, 8, 12, 36, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {1, 7, 8, 12, 36, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2, 1},
};

/* 7x7 stride 1 depthwise (ConvNeXt), four output rows per pass: heights that are and are not
 * whole groups of four, rows narrower than a vector (7: ConvNeXt's last stage), one vector plus a
 * tail, several vectors, asymmetric padding, multiplier 2, and 7x7 with stride 2 across (not the
 * four-row path). Checked last, so that the others' random draws stay as they were. */
static const shape dw7_cases[] = {
    /* batch cin h w cout kh kw sh sw dh dw pt pl pb pr groups */
    {1, 3, 7, 7, 3, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 3},
    {1, 2, 14, 14, 2, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 2},
    {1, 2, 11, 37, 2, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 2},
    {1, 2, 9, 20, 4, 7, 7, 1, 1, 1, 1, 2, 4, 1, 0, 2},
    {2, 3, 13, 5, 3, 7, 7, 1, 1, 1, 1, 3, 3, 3, 3, 3},
    {1, 2, 12, 23, 2, 7, 7, 1, 2, 1, 1, 3, 3, 3, 3, 2},
};

/* 1x1 GEMM reading x's rows in place (few output channels) or packing them (more than 16 A
 * panels at every level): pixels that are whole panels, whole panels and a tail, a tail alone,
 * several k blocks; checked last, so that the others' random draws stay as they were. */
static const shape strided_cases[] = {
    /* batch cin h w cout kh kw sh sw dh dw pt pl pb pr groups */
    {1, 24, 4, 8, 16, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {1, 40, 13, 13, 48, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {1, 600, 7, 9, 20, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {1, 11, 3, 5, 7, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {1, 20, 9, 9, 300, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
    {2, 70, 11, 6, 270, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1},
};

static void run_all(ep_cpu_isa isa, void* ctx) {
  (void)isa;
  (void)ctx;
  ep_test_rng rng = {42};
  const ep_activation acts[] = {EP_ACT_NONE,       EP_ACT_RELU,        EP_ACT_RELU6,
                                EP_ACT_SIGMOID,    EP_ACT_TANH,        EP_ACT_SILU,
                                EP_ACT_HARD_SWISH, EP_ACT_HARD_SIGMOID};
#define N_ACTS ((int)(sizeof acts / sizeof acts[0]))
  for (size_t i = 0; i < sizeof corner_cases / sizeof corner_cases[0]; i++) {
    check_conv(&rng, &corner_cases[i], true, EP_ACT_NONE, false, "corner");
    check_conv(&rng, &corner_cases[i], false, acts[1 + i % (N_ACTS - 1)], false, "corner");
  }
  for (int i = 0; i < 60; i++) {
    shape s;
    const int kind = i % 4; /* dense, depthwise, grouped, pointwise */
    s.batch = ep_test_rng_int(&rng, 1, 2);
    s.groups = 1;
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
    s.cin = ep_test_rng_int(&rng, 1, 20);
    s.cout = ep_test_rng_int(&rng, 1, 20);
    if (kind == 1) {
      s.groups = s.cin;
      s.cout = s.cin * ep_test_rng_int(&rng, 1, 2);
    } else if (kind == 2) {
      s.groups = ep_test_rng_int(&rng, 2, 4);
      s.cin = s.groups * ep_test_rng_int(&rng, 1, 6);
      s.cout = s.groups * ep_test_rng_int(&rng, 1, 6);
    } else if (kind == 3) {
      s.kh = s.kw = s.sh = s.sw = 1;
      s.pt = s.pl = s.pb = s.pr = 0;
      s.h = ep_test_rng_int(&rng, 1, 30);
      s.w = ep_test_rng_int(&rng, 1, 30);
    }
    check_conv(&rng, &s, ep_test_rng_int(&rng, 0, 1), acts[ep_test_rng_int(&rng, 0, N_ACTS - 1)], false,
               "random");
  }
  for (size_t i = 0; i < sizeof split_cases / sizeof split_cases[0]; i++) {
    check_conv(&rng, &split_cases[i], true, EP_ACT_RELU6, false, "split");
    check_conv(&rng, &split_cases[i], false, acts[i % N_ACTS], false, "split");
  }
  for (size_t i = 0; i < sizeof f2_cases / sizeof f2_cases[0]; i++) {
    check_conv(&rng, &f2_cases[i], true, acts[i % N_ACTS], i % 2 == 1, "winograd 2x2");
  }
  for (size_t i = 0; i < sizeof grid_cases / sizeof grid_cases[0]; i++) {
    check_conv(&rng, &grid_cases[i], true, EP_ACT_RELU, i == 0, "grid");
  }
  /* A residual connection's Add fused into the convolution, through every algorithm. */
  for (size_t i = 0; i < sizeof corner_cases / sizeof corner_cases[0]; i++) {
    check_conv(&rng, &corner_cases[i], i % 2 == 0, acts[i % N_ACTS], true, "residual");
  }
  for (size_t i = 0; i < sizeof dw7_cases / sizeof dw7_cases[0]; i++) {
    check_conv(&rng, &dw7_cases[i], true, acts[i % N_ACTS], i % 3 == 2, "depthwise 7x7");
    check_conv(&rng, &dw7_cases[i], false, EP_ACT_NONE, false, "depthwise 7x7");
  }
  /* DenseNet's batch norm and relu fused into the pointwise convs that read them. */
  for (size_t i = 0; i < sizeof corner_cases / sizeof corner_cases[0]; i++) {
    const shape* c = &corner_cases[i];
    const bool pointwise = c->kh == 1 && c->kw == 1 && c->sh == 1 && c->sw == 1 && c->pt == 0 &&
                           c->pl == 0 && c->pb == 0 && c->pr == 0 && c->groups == 1;
    if (!pointwise) continue;
    check_conv_pre(&rng, c, i % 2 == 0, acts[i % N_ACTS], i % 3 == 0, true, "pre-activation");
  }
  for (size_t i = 0; i < sizeof grid_cases / sizeof grid_cases[0]; i++) {
    if (grid_cases[i].kh != 1) continue;
    check_conv_pre(&rng, &grid_cases[i], true, EP_ACT_RELU, false, true, "pre-activation grid");
  }
  for (size_t i = 0; i < sizeof strided_cases / sizeof strided_cases[0]; i++) {
    check_conv(&rng, &strided_cases[i], true, acts[i % N_ACTS], true, "1x1 in place");
    check_conv(&rng, &strided_cases[i], i % 2 == 0, EP_ACT_RELU, false, "1x1 in place");
  }
  for (size_t i = 0; i < sizeof run_time_u_cases / sizeof run_time_u_cases[0]; i++) {
    check_conv(&rng, &run_time_u_cases[i], i != 1, acts[i % N_ACTS], i == 1,
               "winograd, U at run time");
  }
}

int main(void) {
  for (int p = 1; p < N_POOLS; p++) EP_CHECK_OK(ep_threadpool_create(p, NULL, 0, &pools[p]));
  ep_test_for_each_isa("conv2d", run_all, NULL);
  for (int p = 1; p < N_POOLS; p++) ep_threadpool_destroy(pools[p]);
  return ep_test_finish();
}

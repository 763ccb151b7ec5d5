/* The split of NCHW8c convolutions over the pool changes no bit of the output: pointwise layers
 * (cut into cells of output block pairs x pixels, several per thread, claimed one at a time),
 * depthwise and window layers (runs of output rows), at batch 1 to 3, are run with a NULL pool
 * and with pools of 2, 3, 4 and 8 threads, and the outputs compared with memcmp. Shapes from
 * the networks whose small layers this split is about (MnasNet, ShuffleNet V2, MobileNet V3 and
 * ResNet-50's 7x7 and 14x14 stages), odd block counts, strided pointwise layers (read in place
 * and copied), plain NCHW inputs and outputs, residuals and activations. Outputs start as NaN, so
 * a cell left unwritten fails too. Every ISA level with blocked kernels is tested. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/cpu.h"
#include "kernels/f32-nchwc/nchwc.h"
#include "kernels/kernels.h"
#include "test_isa.h"
#include "test_support.h"

enum { N_POOLS = 4, SKIP = 77 };
static const int pool_threads[N_POOLS] = {2, 3, 4, 8};
static int tested_levels;

typedef struct split_case {
  int batch, cin, h, w, cout, k, stride, groups;
  ep_layout in_layout, out_layout;
  bool residual;
  ep_activation act;
} split_case;

#define B8 EP_LAYOUT_NCHW8C
#define PL EP_LAYOUT_NCHW
static const split_case cases[] = {
    /* MnasNet 0.5 / 1.3: the 14x14 and 7x7 expansions and projections. */
    {1, 48, 14, 14, 288, 1, 1, 1, B8, B8, false, EP_ACT_RELU},
    {1, 288, 14, 14, 48, 1, 1, 1, B8, B8, true, EP_ACT_NONE},
    {1, 576, 7, 7, 96, 1, 1, 1, B8, B8, false, EP_ACT_NONE},
    {1, 160, 7, 7, 1280, 1, 1, 1, B8, B8, false, EP_ACT_RELU},
    {1, 1152, 7, 7, 192, 1, 1, 1, B8, B8, true, EP_ACT_NONE},
    /* ShuffleNet V2 x0.5: 24 and 48 channels (3 and 6 blocks), one odd block; NCHW in or out. */
    {1, 24, 28, 28, 24, 1, 1, 1, PL, B8, false, EP_ACT_RELU},
    {1, 48, 14, 14, 48, 1, 1, 1, B8, PL, false, EP_ACT_RELU},
    {1, 96, 7, 7, 96, 1, 1, 1, B8, B8, false, EP_ACT_RELU},
    {1, 192, 7, 7, 1024, 1, 1, 1, B8, B8, false, EP_ACT_RELU},
    /* MobileNet V3: a 56x56 layer with few weights (split by pixels), a hard swish. */
    {1, 16, 56, 56, 64, 1, 1, 1, B8, B8, false, EP_ACT_HARD_SWISH},
    {1, 96, 7, 7, 576, 1, 1, 1, B8, B8, false, EP_ACT_HARD_SWISH},
    /* ResNet-50: the 7x7 stage, a shortcut read in place (28 -> 14) and one copied (14 -> 7). */
    {1, 512, 7, 7, 2048, 1, 1, 1, B8, B8, true, EP_ACT_RELU},
    {1, 256, 28, 28, 512, 1, 2, 1, B8, B8, false, EP_ACT_NONE},
    {1, 1024, 14, 14, 2048, 1, 2, 1, B8, B8, false, EP_ACT_NONE},
    /* Batches of 2 and 3: cells of each image. */
    {2, 48, 14, 14, 288, 1, 1, 1, B8, B8, false, EP_ACT_RELU},
    {3, 96, 7, 7, 40, 1, 1, 1, B8, B8, true, EP_ACT_RELU6},
    /* Tiny: fewer pixels than a tile, one block. */
    {1, 8, 1, 3, 8, 1, 1, 1, B8, B8, false, EP_ACT_NONE},
    /* Depthwise rows (3x3 and 5x5, stride 1 and 2) and a grouped 3x3 (the window kernel). */
    {1, 288, 14, 14, 288, 3, 1, 288, B8, B8, false, EP_ACT_RELU},
    {1, 480, 14, 14, 480, 5, 2, 480, B8, B8, false, EP_ACT_RELU},
    {2, 48, 28, 28, 48, 3, 2, 48, B8, B8, false, EP_ACT_NONE},
    {1, 64, 14, 14, 64, 3, 1, 8, B8, B8, false, EP_ACT_RELU},
};
#undef B8
#undef PL

static ep_conv_desc desc_of(const split_case* c) {
  const int pad = c->k / 2;
  return (ep_conv_desc){
      .batch = c->batch,
      .in_channels = c->cin,
      .in_h = c->h,
      .in_w = c->w,
      .out_channels = c->cout,
      .out_h = (c->h + 2 * pad - c->k) / c->stride + 1,
      .out_w = (c->w + 2 * pad - c->k) / c->stride + 1,
      .kernel_h = c->k,
      .kernel_w = c->k,
      .stride_h = c->stride,
      .stride_w = c->stride,
      .dilation_h = 1,
      .dilation_w = 1,
      .pad_top = pad,
      .pad_left = pad,
      .groups = c->groups,
      .has_bias = true,
      .act = c->act,
      .in_layout = c->in_layout,
      .out_layout = c->out_layout,
  };
}

/* Runs d over `pool` into y (filled with NaN first). */
static void run(const ep_conv_desc* d, const float* packed, const float* x, const float* residual,
                float* y, size_t ny, ep_threadpool* pool) {
  const size_t ws = ep_conv2d_workspace_size(d);
  const int threads = ep_threadpool_threads(pool);
  float* workspace = malloc(ws * (size_t)threads * sizeof *workspace + 1);
  for (size_t i = 0; i < ny; i++) y[i] = NAN;
  ep_conv2d_run(d, packed, x, residual, y, workspace, ws, pool);
  free(workspace);
}

static void check_case(ep_test_rng* rng, const split_case* c, ep_threadpool* const* pools) {
  const ep_conv_desc d = desc_of(c);
  EP_CHECK_MSG(ep_nchwc_conv_supports(&d) && ep_conv2d_layouts_supported(&d),
               "%dx%dx%dx%d -> %d k %d: no blocked kernel", d.batch, d.in_channels, d.in_h,
               d.in_w, d.out_channels, c->k);
  if (!ep_nchwc_conv_supports(&d) || !ep_conv2d_layouts_supported(&d)) return;
  const size_t nx = (size_t)d.batch * d.in_channels * d.in_h * d.in_w;
  const size_t nw = (size_t)d.out_channels * (d.in_channels / d.groups) * c->k * c->k;
  const size_t ny = (size_t)d.batch * d.out_channels * d.out_h * d.out_w;
  float* x = malloc(nx * sizeof *x);
  float* w = malloc(nw * sizeof *w);
  float* bias = malloc((size_t)d.out_channels * sizeof *bias);
  float* residual = c->residual ? malloc(ny * sizeof *residual) : NULL;
  float* packed = malloc(ep_conv2d_packed_size(&d) * sizeof *packed);
  float* expect = malloc(ny * sizeof *expect);
  float* got = malloc(ny * sizeof *got);
  ep_test_fill(rng, x, nx, -1.0f, 1.0f);
  ep_test_fill(rng, w, nw, -1.0f, 1.0f);
  ep_test_fill(rng, bias, (size_t)d.out_channels, -1.0f, 1.0f);
  if (residual != NULL) ep_test_fill(rng, residual, ny, -1.0f, 1.0f);
  ep_conv2d_pack(&d, w, bias, packed);
  run(&d, packed, x, residual, expect, ny, NULL);
  size_t unwritten = 0;
  for (size_t i = 0; i < ny; i++) unwritten += isnan(expect[i]) ? 1 : 0;
  EP_CHECK_MSG(unwritten == 0, "%dx%dx%dx%d -> %d k %d s %d: %zu outputs unwritten at 1 thread",
               d.batch, d.in_channels, d.in_h, d.in_w, d.out_channels, c->k, c->stride, unwritten);
  for (int p = 0; p < N_POOLS; p++) {
    run(&d, packed, x, residual, got, ny, pools[p]);
    size_t first = ny;
    for (size_t i = 0; i < ny && first == ny; i++) {
      if (memcmp(&got[i], &expect[i], sizeof *got) != 0) first = i;
    }
    EP_CHECK_MSG(first == ny,
                 "%dx%dx%dx%d -> %d k %d s %d g %d, layouts %d -> %d, %d threads: output %zu is "
                 "%.9g, %.9g at 1 thread",
                 d.batch, d.in_channels, d.in_h, d.in_w, d.out_channels, c->k, c->stride,
                 d.groups, (int)d.in_layout, (int)d.out_layout, pool_threads[p], first,
                 first < ny ? got[first] : 0.0, first < ny ? expect[first] : 0.0);
  }
  free(x);
  free(w);
  free(bias);
  free(residual);
  free(packed);
  free(expect);
  free(got);
}

static void check_level(ep_cpu_isa isa, void* ctx) {
  (void)ctx;
  if (!ep_nchwc_available()) {
    printf("nchwc_split: level %s has no blocked layout: nothing to test there\n",
           ep_cpu_isa_name(isa));
    return;
  }
  tested_levels++;
  ep_threadpool* pools[N_POOLS];
  for (int p = 0; p < N_POOLS; p++) {
    EP_CHECK_OK(ep_threadpool_create(pool_threads[p], NULL, 0, &pools[p]));
  }
  ep_test_rng rng = {11};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) check_case(&rng, &cases[i], pools);
  for (int p = 0; p < N_POOLS; p++) ep_threadpool_destroy(pools[p]);
}

int main(void) {
  ep_test_for_each_isa("nchwc_split", check_level, NULL);
  if (tested_levels == 0) {
    printf("nchwc_split: skipped, no ISA level of this CPU has the blocked kernels\n");
    return SKIP;
  }
  return ep_test_finish();
}

/* Convolution: picks one of three algorithms from the descriptor.
 *   depthwise (groups == in_channels): the direct kernel in f32-dwconv;
 *   1x1, stride 1, no padding: GEMM straight on NCHW, y[co, p] = W[co, ci] x[ci, p];
 *   anything else: im2col into the per-thread workspace, then GEMM.
 * The GEMM paths cut the output of each image and group into tiles of pixels and, when that
 * leaves too few tiles for the threads, into chunks of output channels too. Each tile walks K in
 * blocks of at most KC_MAX, packing kc x tile of B into the workspace, so the workspace stays
 * about WORKSPACE_FLOATS no matter how large the layer; partial sums go through y, and the last
 * block applies bias and activation in the microkernel's epilogue. */
#include <string.h>

#include "kernels/f32-conv/im2col.h"
#include "kernels/f32-dwconv/dwconv.h"
#include "kernels/f32-gemm/gemm.h"
#include "kernels/kernels.h"

enum {
  KC_MAX = 256,             /* k steps per block: a 4 x 256 A panel is 4 KiB of L1 */
  WORKSPACE_FLOATS = 32768, /* 128 KiB of packed B per thread: a quarter of a typical L2 */
  TILE_MAX = 512,           /* pixels per tile, so that small-K layers still make many tiles */
  MIN_CHUNK_ROWS = 32,      /* below this, repeating im2col per chunk costs more than it gains */
};

typedef enum conv_kind { CONV_DEPTHWISE, CONV_GEMM_1X1, CONV_GEMM_IM2COL } conv_kind;

typedef struct conv_plan {
  conv_kind kind;
  size_t cin_g, cout_g; /* channels per group */
  size_t k;             /* cin_g * kernel_h * kernel_w */
  size_t m_padded;      /* cout_g rounded up to whole A panels */
  size_t pixels;        /* out_h * out_w */
  size_t kc, k_blocks;
  size_t tile, tiles; /* pixels per tile (a multiple of nr), tiles per image and group */
} conv_plan;

static conv_plan make_plan(const ep_conv_desc* d, const ep_f32_gemm_config* config) {
  conv_plan plan;
  memset(&plan, 0, sizeof plan);
  if (ep_f32_dwconv_supports(d)) {
    plan.kind = CONV_DEPTHWISE;
    return plan;
  }
  const bool pointwise = d->kernel_h == 1 && d->kernel_w == 1 && d->stride_h == 1 &&
                         d->stride_w == 1 && d->pad_top == 0 && d->pad_left == 0 &&
                         d->out_h == d->in_h && d->out_w == d->in_w;
  plan.kind = pointwise ? CONV_GEMM_1X1 : CONV_GEMM_IM2COL;
  plan.cin_g = (size_t)(d->in_channels / d->groups);
  plan.cout_g = (size_t)(d->out_channels / d->groups);
  plan.k = plan.cin_g * (size_t)d->kernel_h * (size_t)d->kernel_w;
  plan.m_padded = ep_round_up(plan.cout_g, config->mr);
  plan.pixels = (size_t)d->out_h * (size_t)d->out_w;
  /* Equal blocks rather than KC_MAX and a remainder: no tiny last block. */
  plan.k_blocks = ep_divide_round_up(plan.k, KC_MAX);
  plan.kc = ep_divide_round_up(plan.k, plan.k_blocks);
  size_t tile = WORKSPACE_FLOATS / plan.kc / config->nr * config->nr;
  if (tile > TILE_MAX) tile = TILE_MAX;
  if (tile < config->nr) tile = config->nr;
  const size_t all = ep_round_up(plan.pixels, config->nr);
  if (tile > all) tile = all;
  plan.tile = tile;
  plan.tiles = ep_divide_round_up(plan.pixels, tile);
  return plan;
}

size_t ep_conv2d_packed_size(const ep_conv_desc* d) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  const conv_plan plan = make_plan(d, config);
  if (plan.kind == CONV_DEPTHWISE) return ep_f32_dwconv_packed_size(d);
  return (size_t)d->groups * plan.m_padded * plan.k + (d->has_bias ? (size_t)d->out_channels : 0);
}

void ep_conv2d_pack(const ep_conv_desc* d, const float* w, const float* bias, float* packed) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  const conv_plan plan = make_plan(d, config);
  if (plan.kind == CONV_DEPTHWISE) {
    ep_f32_dwconv_pack(d, w, bias, packed);
    return;
  }
  /* Weights [cout, cin_g, kh, kw] are already [cout, k] row-major: pack each group as A. */
  for (size_t g = 0; g < (size_t)d->groups; g++) {
    ep_f32_gemm_pack_a(plan.cout_g, plan.k, w + g * plan.cout_g * plan.k, plan.k, config->mr,
                       packed + g * plan.m_padded * plan.k);
  }
  if (d->has_bias) {
    memcpy(packed + (size_t)d->groups * plan.m_padded * plan.k, bias,
           (size_t)d->out_channels * sizeof *packed);
  }
}

size_t ep_conv2d_workspace_size(const ep_conv_desc* d) {
  const conv_plan plan = make_plan(d, ep_f32_gemm_config_get());
  return plan.kind == CONV_DEPTHWISE ? 0 : plan.kc * plan.tile;
}

typedef struct conv_job {
  const ep_conv_desc* d;
  const ep_f32_gemm_config* config;
  conv_plan plan;
  const float* packed;
  const float* bias; /* NULL without bias */
  const float* x;
  float* y;
  float* workspace;
  size_t workspace_stride;
  size_t chunk_rows, chunks; /* output channels per item, items per tile */
} conv_job;

static void conv_items(void* ctx, size_t begin, size_t end, int worker) {
  const conv_job* job = ctx;
  const ep_conv_desc* d = job->d;
  const conv_plan* plan = &job->plan;
  const ep_f32_gemm_config* config = job->config;
  const size_t mr = config->mr, nr = config->nr;
  const size_t in_plane = (size_t)d->in_h * (size_t)d->in_w;
  float* ws = job->workspace + (size_t)worker * job->workspace_stride;
  for (size_t item = begin; item < end; item++) {
    const size_t chunk = item % job->chunks;
    size_t rest = item / job->chunks;
    const size_t tile = rest % plan->tiles;
    rest /= plan->tiles;
    const size_t g = rest % (size_t)d->groups;
    const size_t b = rest / (size_t)d->groups;

    const size_t p0 = tile * plan->tile;
    const size_t np = plan->pixels - p0 < plan->tile ? plan->pixels - p0 : plan->tile;
    const size_t m0 = chunk * job->chunk_rows;
    const size_t m = plan->cout_g - m0 < job->chunk_rows ? plan->cout_g - m0 : job->chunk_rows;
    const float* x = job->x + (b * (size_t)d->in_channels + g * plan->cin_g) * in_plane;
    const float* a = job->packed + g * plan->m_padded * plan->k + m0 * plan->k;
    float* y = job->y + (b * (size_t)d->out_channels + g * plan->cout_g + m0) * plan->pixels + p0;
    const ep_f32_gemm_epilogue epilogue = {
        .row_bias = job->bias != NULL ? job->bias + g * plan->cout_g + m0 : NULL,
        .col_bias = NULL,
        .act = d->act,
    };
    for (size_t kb = 0; kb < plan->k_blocks; kb++) {
      const size_t k0 = kb * plan->kc;
      const size_t kc = plan->k - k0 < plan->kc ? plan->k - k0 : plan->kc;
      if (plan->kind == CONV_GEMM_1X1) {
        ep_f32_gemm_pack_b(kc, np, x + k0 * plan->pixels + p0, plan->pixels, 1, nr, ws);
      } else {
        ep_f32_im2col_pack(d, x, k0, kc, p0, np, nr, ws);
      }
      const bool last = kb + 1 == plan->k_blocks;
      ep_f32_gemm_compute(config, m, np, kc, a + k0 * mr, plan->k * mr, ws, kc * nr, y,
                          plan->pixels, kb > 0, last ? &epilogue : NULL);
    }
  }
}

void ep_conv2d_run(const ep_conv_desc* d, const float* packed, const float* x, float* y,
                   float* workspace, size_t workspace_stride, ep_threadpool* pool) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  conv_job job = {
      .d = d,
      .config = config,
      .plan = make_plan(d, config),
      .packed = packed,
      .x = x,
      .y = y,
      .workspace = workspace,
      .workspace_stride = workspace_stride,
  };
  if (job.plan.kind == CONV_DEPTHWISE) {
    ep_f32_dwconv_run(d, packed, x, y, pool);
    return;
  }
  const conv_plan* plan = &job.plan;
  job.bias = d->has_bias ? packed + (size_t)d->groups * plan->m_padded * plan->k : NULL;

  /* Split output channels only when the tiles alone leave threads idle (small images). */
  const size_t threads = (size_t)ep_threadpool_threads(pool);
  const size_t tiles = (size_t)d->batch * (size_t)d->groups * plan->tiles;
  size_t chunk_rows = plan->cout_g;
  if (threads > 1 && tiles < 4 * threads) {
    const size_t want = ep_divide_round_up(4 * threads, tiles);
    chunk_rows = ep_divide_round_up(plan->cout_g, want);
    if (chunk_rows < MIN_CHUNK_ROWS) chunk_rows = MIN_CHUNK_ROWS;
    /* Whole A panels per chunk. */
    chunk_rows = ep_round_up(chunk_rows, config->mr);
    if (chunk_rows > plan->cout_g) chunk_rows = plan->cout_g;
  }
  job.chunk_rows = chunk_rows;
  job.chunks = ep_divide_round_up(plan->cout_g, chunk_rows);
  ep_threadpool_parallel_for(pool, tiles * job.chunks, 1, conv_items, &job);
}

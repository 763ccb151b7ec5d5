/* Convolution: picks one of three algorithms from the descriptor.
 *   depthwise (groups == in_channels): the direct kernels in f32-dwconv;
 *   1x1, stride 1, no padding: GEMM straight on NCHW, y[co, p] = W[co, ci] x[ci, p];
 *   3x3 stride 1 with enough pixels: Winograd F(4x4, 3x3) (winograd.h), at the vector levels;
 *   anything else: im2col straight into packed GEMM panels, then GEMM.
 *
 * The GEMM paths work on blocks of B = (kc rows of K) x (a range of output pixels), packed once
 * into a buffer all workers share, in two parallel steps: the workers pack the block's panels,
 * then compute C += A x B over items that cut the block's output into chunks of output channels
 * and groups of pixel panels. Nothing is packed twice, however the work is split: splitting the
 * output channels of a small image (ResNet's 7x7 stage) only re-reads the shared block. A block
 * holds `tile` pixels per worker (the workspace is kc x tile floats per worker), so one thread
 * walks the image in L2-sized tiles and T threads in T-tile blocks. Partial sums over K go
 * through y; the last k block applies bias and activation in the microkernel's epilogue.
 *
 * The packed weights start with a small header naming the GEMM variant (ISA level) that packed
 * them; runs use that variant, so weights packed under one EDGEPROF_ISA level stay valid if the
 * active level changes later (the workspace was sized for it at the same time). */
#include <string.h>

#include "kernels/f32-conv/im2col.h"
#include "kernels/f32-conv/winograd.h"
#include "kernels/f32-dwconv/dwconv.h"
#include "kernels/f32-gemm/gemm.h"
#include "kernels/kernels.h"

enum {
  KC_MAX = 256,             /* k steps per block: a 256 x 16 B panel is 16 KiB of L1 */
  WORKSPACE_FLOATS = 32768, /* 128 KiB of packed B per worker: a quarter of a typical L2 */
  TILE_MAX = 512,           /* pixels per worker and block, so small-K layers still cut up */
  ITEMS_PER_THREAD = 4,     /* compute items per worker: enough to even out a slow core */
  MIN_ITEM_PANELS = 4,      /* pixel panels per item: each A chunk is reused that often */
};

typedef enum conv_kind { CONV_DEPTHWISE, CONV_WINOGRAD, CONV_GEMM_1X1, CONV_GEMM_IM2COL } conv_kind;

/* Floats before the weights: [0] holds the ISA level of the packing variant. 16 keeps the
 * panels 64-byte aligned. */
enum { HEADER = 16 };

static const ep_f32_gemm_config* packed_config(const float* packed) {
  return ep_f32_gemm_config_for((ep_cpu_isa)(int)packed[0]);
}

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
  if (ep_f32_winograd_suitable(d, config)) {
    plan.kind = CONV_WINOGRAD;
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
  if (plan.kind == CONV_DEPTHWISE) return HEADER + ep_f32_dwconv_packed_size(d);
  if (plan.kind == CONV_WINOGRAD) return HEADER + ep_f32_winograd_packed_size(d, config);
  return HEADER + (size_t)d->groups * plan.m_padded * plan.k +
         (d->has_bias ? (size_t)d->out_channels : 0);
}

void ep_conv2d_pack(const ep_conv_desc* d, const float* w, const float* bias, float* packed) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  const conv_plan plan = make_plan(d, config);
  memset(packed, 0, HEADER * sizeof *packed);
  packed[0] = (float)config->isa;
  packed += HEADER;
  if (plan.kind == CONV_DEPTHWISE) {
    ep_f32_dwconv_pack(d, w, bias, packed);
    return;
  }
  if (plan.kind == CONV_WINOGRAD) {
    ep_f32_winograd_pack(d, config, w, bias, packed);
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
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  const conv_plan plan = make_plan(d, config);
  if (plan.kind == CONV_DEPTHWISE) return ep_f32_dwconv_workspace_size(d);
  if (plan.kind == CONV_WINOGRAD) return ep_f32_winograd_workspace_size(d, config);
  return plan.kc * plan.tile;
}

typedef struct conv_job {
  const ep_conv_desc* d;
  const ep_f32_gemm_config* config;
  conv_plan plan;
  const float* packed;
  const float* bias; /* NULL without bias */
  float* shared_b;   /* the packed B block, seen by every worker */
  /* The current block: image/group input and output, pixels [p0, p0 + np), k rows
   * [k0, k0 + kc). */
  const float* x;
  const float* a;
  float* y;
  const float* block_bias;
  size_t p0, np, k0, kc;
  bool first, last;
  /* Packing: panels per pack item. Compute: rows per chunk and panels per group. */
  size_t pack_panels;
  size_t chunk_rows, chunks, group_panels, groups;
} conv_job;

static void pack_items(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const conv_job* job = ctx;
  const conv_plan* plan = &job->plan;
  const size_t nr = job->config->nr;
  const size_t panels = ep_divide_round_up(job->np, nr);
  for (size_t item = begin; item < end; item++) {
    const size_t first = item * job->pack_panels;
    const size_t last = first + job->pack_panels < panels ? first + job->pack_panels : panels;
    const size_t q0 = first * nr;
    const size_t q1 = last * nr < job->np ? last * nr : job->np;
    float* out = job->shared_b + q0 * job->kc;
    if (plan->kind == CONV_GEMM_1X1) {
      ep_f32_gemm_pack_b(job->kc, q1 - q0, job->x + job->k0 * plan->pixels + job->p0 + q0,
                         plan->pixels, 1, nr, out);
    } else {
      ep_f32_im2col_pack(job->d, job->x, job->k0, job->kc, job->p0 + q0, q1 - q0, nr, out);
    }
  }
}

static void compute_items(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const conv_job* job = ctx;
  const conv_plan* plan = &job->plan;
  const ep_f32_gemm_config* config = job->config;
  const size_t nr = config->nr, mr = config->mr;
  for (size_t item = begin; item < end; item++) {
    const size_t chunk = item % job->chunks;
    const size_t group = item / job->chunks;
    const size_t m0 = chunk * job->chunk_rows;
    const size_t m = plan->cout_g - m0 < job->chunk_rows ? plan->cout_g - m0 : job->chunk_rows;
    const size_t q0 = group * job->group_panels * nr;
    const size_t n = job->np - q0 < job->group_panels * nr ? job->np - q0 : job->group_panels * nr;
    const ep_f32_gemm_epilogue epilogue = {
        .row_bias = job->block_bias != NULL ? job->block_bias + m0 : NULL,
        .col_bias = NULL,
        .act = job->d->act,
    };
    ep_f32_gemm_compute(config, m, n, job->kc, job->a + m0 * plan->k + job->k0 * mr, plan->k * mr,
                        job->shared_b + q0 * job->kc, job->kc * nr,
                        job->y + m0 * plan->pixels + job->p0 + q0, plan->pixels, !job->first,
                        job->last ? &epilogue : NULL);
  }
}

void ep_conv2d_run(const ep_conv_desc* d, const float* packed, const float* x, float* y,
                   float* workspace, size_t workspace_stride, ep_threadpool* pool) {
  const ep_f32_gemm_config* config = packed_config(packed);
  packed += HEADER;
  conv_job job = {
      .d = d,
      .config = config,
      .plan = make_plan(d, config),
      .packed = packed,
      .shared_b = workspace,
  };
  if (job.plan.kind == CONV_DEPTHWISE) {
    ep_f32_dwconv_run(d, packed, x, y, workspace, workspace_stride, pool);
    return;
  }
  if (job.plan.kind == CONV_WINOGRAD) {
    ep_f32_winograd_run(d, config, packed, x, y, workspace, pool);
    return;
  }
  const conv_plan* plan = &job.plan;
  const size_t nr = config->nr, mr = config->mr;
  job.bias = d->has_bias ? packed + (size_t)d->groups * plan->m_padded * plan->k : NULL;
  const size_t threads = (size_t)ep_threadpool_threads(pool);
  /* Every worker's scratch holds plan->kc x plan->tile floats, and they are contiguous. */
  const size_t block_pixels = threads * plan->tile;
  const size_t in_plane = (size_t)d->in_h * (size_t)d->in_w;
  const size_t m_panels = ep_divide_round_up(plan->cout_g, mr);
  for (size_t b = 0; b < (size_t)d->batch; b++) {
    for (size_t g = 0; g < (size_t)d->groups; g++) {
      job.x = x + (b * (size_t)d->in_channels + g * plan->cin_g) * in_plane;
      job.a = packed + g * plan->m_padded * plan->k;
      job.y = y + (b * (size_t)d->out_channels + g * plan->cout_g) * plan->pixels;
      job.block_bias = job.bias != NULL ? job.bias + g * plan->cout_g : NULL;
      for (job.p0 = 0; job.p0 < plan->pixels; job.p0 += block_pixels) {
        job.np = plan->pixels - job.p0 < block_pixels ? plan->pixels - job.p0 : block_pixels;
        const size_t panels = ep_divide_round_up(job.np, nr);
        /* Compute: chunks of whole A panels first (the B block is shared, so this costs no
         * packing), then groups of pixel panels, but never fewer than MIN_ITEM_PANELS per
         * group, so that each A chunk is reused. */
        const size_t want = threads > 1 ? ITEMS_PER_THREAD * threads : 1;
        /* Packing is bound by reading the input: one item per worker, each a long run of
         * panels that the row-by-row copy can prefetch ahead of. */
        job.pack_panels = ep_divide_round_up(panels, threads);
        size_t chunks = m_panels < want ? m_panels : want;
        job.chunk_rows = ep_divide_round_up(m_panels, chunks) * mr;
        job.chunks = ep_divide_round_up(plan->cout_g, job.chunk_rows);
        size_t groups = ep_divide_round_up(want, job.chunks);
        const size_t max_groups = panels / MIN_ITEM_PANELS > 0 ? panels / MIN_ITEM_PANELS : 1;
        if (groups > max_groups) groups = max_groups;
        job.group_panels = ep_divide_round_up(panels, groups);
        job.groups = ep_divide_round_up(panels, job.group_panels);
        for (size_t kb = 0; kb < plan->k_blocks; kb++) {
          job.k0 = kb * plan->kc;
          job.kc = plan->k - job.k0 < plan->kc ? plan->k - job.k0 : plan->kc;
          job.first = kb == 0;
          job.last = kb + 1 == plan->k_blocks;
          ep_threadpool_parallel_for(pool, ep_divide_round_up(panels, job.pack_panels), 1,
                                     pack_items, &job);
          ep_threadpool_parallel_for(pool, job.chunks * job.groups, 1, compute_items, &job);
        }
      }
    }
  }
}

/* Convolution: picks one of the algorithms below from the descriptor.
 *   blocked layouts (in_layout or out_layout NCHW8c): the kernels in f32-nchwc, or Winograd
 *   (below), which reads and writes either layout;
 *   depthwise (groups == in_channels): the direct kernels in f32-dwconv;
 *   1x1, stride 1, no padding: GEMM straight on NCHW, y[co, p] = W[co, ci] x[ci, p]; the only
 *   path for a fused pre-activation (has_input_affine), applied as it packs x; with few output
 *   channels per cell, the GEMM reads x's rows in place (STRIDED_MAX_PANELS below);
 *   3x3 stride 1 with enough pixels: Winograd F(4x4, 3x3) or, on small planes, F(2x2, 3x3)
 *   (winograd.h), at the vector levels;
 *   anything else: im2col straight into packed GEMM panels, then GEMM.
 *
 * The GEMM paths give each worker a cell of the output (a range of output channels times a
 * range of pixels, see choose_grid below): it walks its pixels in tiles of whole panels, packs
 * each tile's B (kc rows of K at a time) into its own scratch of kc x tile floats, sized to stay
 * in L2, and multiplies it by its channels' weights. Partial sums over K go through y; the last
 * k block applies bias, residual and activation in the microkernel's epilogue.
 *
 * The packed weights start with a small header naming the GEMM variant (ISA level) that packed
 * them; runs use that variant, so weights packed under one EDGEPROF_ISA level stay valid if the
 * active level changes later (the workspace was sized for it at the same time). */
#include <string.h>

#include "kernels/f32-conv/im2col.h"
#include "kernels/f32-conv/winograd.h"
#include "kernels/f32-dwconv/dwconv.h"
#include "kernels/f32-gemm/gemm.h"
#include "kernels/f32-nchwc/nchwc.h"
#include "kernels/kernels.h"
#include "core/threadpool.h"

enum {
  KC_MAX = 512,             /* k steps per block: fewer passes of partial sums through y */
  A_PANEL_BYTES = 16384,    /* ... but an A panel (mr x kc) stays within half of a 32 KiB L1 */
  WORKSPACE_FLOATS = 65536, /* 256 KiB of packed B per worker: half of a small L2 */
  TILE_MAX = 512,           /* pixels per tile, so small-K layers still cut up */
  ITEMS_PER_THREAD = 4,     /* images x groups per worker above which each is one item */
  /* A 1x1 layer whose cell has at most this many A panels reads B rows straight from x (the
   * strided microkernel) instead of packing them: packing costs as much as the multiply-adds of
   * a few panels. SqueezeNet's squeeze layers (128 -> 16 on 55x55, 256 -> 48 on 27x27) took
   * 0.176 / 0.135 ms packed, 0.117 / 0.105 strided at the avx512 level (0.182 / 0.143 and 0.141
   * / 0.129 at avx2), GoogLeNet's 1x1 layers up to 23% less; with more panels the packed B, read
   * from L1 once per panel, wins at avx2 (43 panels of 6 rows on 7x7 and 14x14: 7-16% slower
   * strided; avx512's 16-row panels broke even at 63 panels). */
  STRIDED_MAX_PANELS = 16,
};

typedef enum conv_kind {
  CONV_NCHWC,
  CONV_DEPTHWISE,
  CONV_WINOGRAD,
  CONV_GEMM_1X1,
  CONV_GEMM_IM2COL
} conv_kind;

/* Floats before the weights: the configuration that packed them (ep_packed_header_write). */
enum { HEADER = EP_PACKED_HEADER };

typedef struct conv_plan {
  conv_kind kind;
  size_t cin_g, cout_g; /* channels per group */
  size_t k;             /* cin_g * kernel_h * kernel_w */
  size_t m_padded;      /* cout_g rounded up to whole A panels */
  size_t pixels;        /* out_h * out_w */
  size_t kc, k_blocks;
  size_t tile; /* the largest tile of pixels (a multiple of nr) the scratch holds */
} conv_plan;

static conv_plan make_plan(const ep_conv_desc* d, const ep_f32_gemm_config* config) {
  conv_plan plan;
  memset(&plan, 0, sizeof plan);
  if (d->has_input_affine) {
    /* ep_conv2d_layouts_supported keeps it on NCHW; the fusion makes it pointwise. */
  } else if (d->in_layout != EP_LAYOUT_NCHW || d->out_layout != EP_LAYOUT_NCHW) {
    /* Winograd reads and writes either layout, one channel plane at a time; it takes the dense
     * 3x3 stride-1 layers that the NCHW8c window kernel also runs (groups 1, not pointwise),
     * with fewer multiply-adds. */
    const bool winograd = ep_f32_winograd_suitable(d, config) &&
                          (!ep_nchwc_conv_supports(d) || ep_nchwc_conv_dense(d));
    plan.kind = winograd ? CONV_WINOGRAD : CONV_NCHWC;
    return plan;
  }
  if (!d->has_input_affine && ep_f32_dwconv_supports(d)) {
    plan.kind = CONV_DEPTHWISE;
    return plan;
  }
  if (!d->has_input_affine && ep_f32_winograd_suitable(d, config)) {
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
  /* The GEMM keeps one A panel in L1 while B panels stream past it: 512 k steps for the 6-row
   * AVX2 panels, 256 for the 16-row AVX-512 ones. Equal blocks rather than the largest and a
   * remainder: no tiny last block. */
  size_t kc_max = A_PANEL_BYTES / (config->mr * sizeof(float));
  if (kc_max > KC_MAX) kc_max = KC_MAX;
  plan.k_blocks = ep_divide_round_up(plan.k, kc_max);
  plan.kc = ep_divide_round_up(plan.k, plan.k_blocks);
  size_t tile = WORKSPACE_FLOATS / plan.kc / config->nr * config->nr;
  if (tile > TILE_MAX) tile = TILE_MAX;
  if (tile < config->nr) tile = config->nr;
  const size_t all = ep_round_up(plan.pixels, config->nr);
  if (tile > all) tile = all;
  plan.tile = tile;
  return plan;
}

size_t ep_conv2d_packed_size(const ep_conv_desc* d) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  const conv_plan plan = make_plan(d, config);
  if (plan.kind == CONV_NCHWC) return HEADER + ep_nchwc_conv_packed_size(d);
  if (plan.kind == CONV_DEPTHWISE) return HEADER + ep_f32_dwconv_packed_size(d);
  if (plan.kind == CONV_WINOGRAD) return HEADER + ep_f32_winograd_packed_size(d, config);
  return HEADER + (size_t)d->groups * plan.m_padded * plan.k +
         (d->has_bias ? (size_t)d->out_channels : 0) +
         (d->has_input_affine ? 2 * (size_t)d->in_channels : 0);
}

/* The GEMM paths' weights: A panels, the bias, then a pre-activation's scale and shift. */
static size_t input_affine_offset(const ep_conv_desc* d, const conv_plan* plan) {
  return (size_t)d->groups * plan->m_padded * plan->k + (d->has_bias ? (size_t)d->out_channels : 0);
}

void ep_conv2d_pack_input(const ep_conv_desc* d, const float* scale, const float* shift,
                          float* packed) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  const conv_plan plan = make_plan(d, config);
  float* dst = packed + HEADER + input_affine_offset(d, &plan);
  memcpy(dst, scale, (size_t)d->in_channels * sizeof *dst);
  memcpy(dst + d->in_channels, shift, (size_t)d->in_channels * sizeof *dst);
}

void ep_conv2d_pack(const ep_conv_desc* d, const float* w, const float* bias, float* packed) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  const conv_plan plan = make_plan(d, config);
  packed = ep_packed_header_write(packed, config);
  if (plan.kind == CONV_NCHWC) {
    ep_nchwc_conv_pack(d, w, bias, packed);
    return;
  }
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

bool ep_conv2d_layouts_supported(const ep_conv_desc* d) {
  if (d->in_layout == EP_LAYOUT_NCHW && d->out_layout == EP_LAYOUT_NCHW) return true;
  if (d->has_input_affine) return false;
  return ep_nchwc_conv_supports(d) || ep_f32_winograd_suitable(d, ep_f32_gemm_config_get());
}

size_t ep_conv2d_workspace_size(const ep_conv_desc* d) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  const conv_plan plan = make_plan(d, config);
  if (plan.kind == CONV_NCHWC) return ep_nchwc_conv_workspace_size(d);
  if (plan.kind == CONV_DEPTHWISE) return ep_f32_dwconv_workspace_size(d);
  if (plan.kind == CONV_WINOGRAD) return ep_f32_winograd_workspace_size(d, config);
  return plan.kc * plan.tile;
}

/* The GEMM paths split each image and group into a grid of tm x tn cells, one per worker:
 * tm ranges of output channels times tn ranges of pixels. A worker packs the B panels of its own
 * pixels, tile by tile, into its own scratch and computes its channels over them, every k block
 * included, so a layer needs no barrier but the one that ends it. Cells of the same pixels pack
 * the same B (duplicated work, cheap beside the GEMM); cells of the same channels read the same
 * weights. The grid minimizes the largest cell's cost, rounded to whole panels. */
typedef struct conv_grid {
  size_t tm, tn;     /* cells along output channels and along pixels */
  size_t rows, cols; /* per cell: output channels (whole A panels), pixels (whole panels) */
} conv_grid;

enum {
  PACK_COST_1X1 = 2,    /* MAC-equivalents to pack one B element by copying */
  PACK_COST_IM2COL = 4, /* ... by gathering it from the input (im2col) */
};

static conv_grid choose_grid(const conv_plan* plan, const ep_f32_gemm_config* config,
                             size_t cells) {
  const size_t m_panels = ep_divide_round_up(plan->cout_g, config->mr);
  const size_t n_panels = ep_divide_round_up(plan->pixels, config->nr);
  const double pack = plan->kind == CONV_GEMM_1X1 ? PACK_COST_1X1 : PACK_COST_IM2COL;
  conv_grid best = {0, 0, 0, 0};
  double best_cost = 0.0;
  for (size_t tn = 1; tn <= cells; tn++) {
    if (cells % tn != 0) continue;
    const size_t tm = cells / tn;
    const size_t rows = ep_divide_round_up(m_panels, tm) * config->mr;
    const size_t cols = ep_divide_round_up(n_panels, tn) * config->nr;
    /* The largest cell's multiply-adds, its packing, and one read of its weights. */
    const double cost =
        ((double)rows * (double)cols + pack * (double)cols + (double)rows) * (double)plan->k;
    if (best.tm == 0 || cost < best_cost) {
      best = (conv_grid){tm, tn, rows, cols};
      best_cost = cost;
    }
  }
  return best;
}

typedef struct conv_job {
  const ep_conv_desc* d;
  const ep_f32_gemm_config* config;
  conv_plan plan;
  conv_grid grid;
  const float* packed; /* A panels of every group */
  const float* bias;   /* NULL without bias */
  const float* in_affine; /* a pre-activation's scale [cin], then shift [cin]; NULL if none */
  const float* x;
  const float* residual; /* NULL, or shaped like y */
  float* y;
  float* workspace;
  size_t workspace_stride;
} conv_job;

/* C [rows, np] of pixels [p, p + np) of one image and group over every k block, the B panels
 * packed into `b` one k block at a time. */
static void compute_tile(const conv_job* job, const float* x, const float* a, float* y,
                         const float* residual, const float* bias, size_t m0, size_t rows, size_t p,
                         size_t np, float* b) {
  const conv_plan* plan = &job->plan;
  const ep_f32_gemm_config* config = job->config;
  const size_t nr = config->nr, mr = config->mr;
  const ep_f32_gemm_epilogue epilogue = {
      .row_bias = bias != NULL ? bias + m0 : NULL,
      .col_bias = NULL,
      .act = job->d->act,
      .residual = residual != NULL ? residual + m0 * plan->pixels + p : NULL,
      .residual_ld = plan->pixels,
  };
  const bool strided = plan->kind == CONV_GEMM_1X1 && job->in_affine == NULL &&
                       config->gemm_strided != NULL && rows <= STRIDED_MAX_PANELS * mr;
  for (size_t kb = 0; kb < plan->k_blocks; kb++) {
    const size_t k0 = kb * plan->kc;
    const size_t kc = plan->k - k0 < plan->kc ? plan->k - k0 : plan->kc;
    const ep_f32_gemm_epilogue* last = kb + 1 == plan->k_blocks ? &epilogue : NULL;
    if (strided) {
      /* Whole panels straight from x; a last partial one (the kernel reads whole panel rows)
       * packed. */
      const size_t whole = np / nr * nr;
      if (whole > 0) {
        ep_f32_gemm_compute_strided(config, rows, whole, kc, a + m0 * plan->k + k0 * mr,
                                    plan->k * mr, x + k0 * plan->pixels + p, plan->pixels,
                                    y + m0 * plan->pixels + p, plan->pixels, kb > 0, last);
      }
      if (np > whole) {
        ep_f32_gemm_epilogue tail = epilogue;
        if (tail.residual != NULL) tail.residual += whole;
        ep_f32_gemm_pack_b(kc, np - whole, x + k0 * plan->pixels + p + whole, plan->pixels, 1, nr,
                           b);
        ep_f32_gemm_compute(config, rows, np - whole, kc, a + m0 * plan->k + k0 * mr,
                            plan->k * mr, b, kc * nr, y + m0 * plan->pixels + p + whole,
                            plan->pixels, kb > 0, last != NULL ? &tail : NULL);
      }
      continue;
    }
    if (job->in_affine != NULL) {
      /* One group: row k of B is input channel k. */
      ep_f32_gemm_pack_b_affine(kc, np, x + k0 * plan->pixels + p, plan->pixels,
                                job->in_affine + k0, job->in_affine + plan->k + k0,
                                job->d->in_act == EP_ACT_RELU, nr, b);
    } else if (plan->kind == CONV_GEMM_1X1) {
      ep_f32_gemm_pack_b(kc, np, x + k0 * plan->pixels + p, plan->pixels, 1, nr, b);
    } else {
      ep_f32_im2col_pack(job->d, x, k0, kc, p, np, nr, b);
    }
    ep_f32_gemm_compute(config, rows, np, kc, a + m0 * plan->k + k0 * mr, plan->k * mr, b, kc * nr,
                        y + m0 * plan->pixels + p, plan->pixels, kb > 0,
                        last);
  }
}

static void cell_items(void* ctx, size_t begin, size_t end, int worker) {
  const conv_job* job = ctx;
  const conv_plan* plan = &job->plan;
  const conv_grid* grid = &job->grid;
  const ep_conv_desc* d = job->d;
  const size_t nr = job->config->nr;
  const size_t cells = grid->tm * grid->tn;
  const size_t groups = (size_t)d->groups;
  const size_t in_plane = (size_t)d->in_h * (size_t)d->in_w;
  float* b = job->workspace + (size_t)worker * job->workspace_stride;
  for (size_t item = begin; item < end; item++) {
    const size_t image_group = item / cells, cell = item % cells;
    const size_t image = image_group / groups, g = image_group % groups;
    const size_t m0 = cell / grid->tn * grid->rows;
    const size_t q0 = cell % grid->tn * grid->cols;
    if (m0 >= plan->cout_g || q0 >= plan->pixels) continue;
    const size_t rows = plan->cout_g - m0 < grid->rows ? plan->cout_g - m0 : grid->rows;
    const size_t q1 = plan->pixels - q0 < grid->cols ? plan->pixels : q0 + grid->cols;
    /* Equal tiles of whole panels, none larger than the scratch holds. */
    const size_t tiles = ep_divide_round_up(q1 - q0, plan->tile);
    const size_t tile = ep_round_up(ep_divide_round_up(q1 - q0, tiles), nr);
    const size_t out_offset = (image * (size_t)d->out_channels + g * plan->cout_g) * plan->pixels;
    const float* x = job->x + (image * (size_t)d->in_channels + g * plan->cin_g) * in_plane;
    const float* a = job->packed + g * plan->m_padded * plan->k;
    const float* residual = job->residual != NULL ? job->residual + out_offset : NULL;
    const float* bias = job->bias != NULL ? job->bias + g * plan->cout_g : NULL;
    for (size_t p = q0; p < q1; p += tile) {
      const size_t np = q1 - p < tile ? q1 - p : tile;
      compute_tile(job, x, a, job->y + out_offset, residual, bias, m0, rows, p, np, b);
    }
  }
}

void ep_conv2d_run(const ep_conv_desc* d, const float* packed, const float* x,
                   const float* residual, float* y, float* workspace, size_t workspace_stride,
                   ep_threadpool* pool) {
  const ep_f32_gemm_config* config = ep_packed_config(packed);
  packed += HEADER;
  const conv_plan plan = make_plan(d, config);
  if (plan.kind == CONV_NCHWC) {
    ep_nchwc_conv_run(d, packed, x, residual, y, workspace, workspace_stride, pool);
    return;
  }
  const size_t y_size =
      (size_t)d->batch * (size_t)d->out_channels * (size_t)d->out_h * (size_t)d->out_w;
  if (plan.kind == CONV_DEPTHWISE || plan.kind == CONV_WINOGRAD) {
    /* These kernels have no residual input: they run without the activation, and one pass
     * over y adds the residual and applies it. */
    ep_conv_desc plain = *d;
    if (residual != NULL) plain.act = EP_ACT_NONE;
    if (plan.kind == CONV_DEPTHWISE) {
      ep_f32_dwconv_run(&plain, packed, x, y, workspace, workspace_stride, pool);
    } else {
      ep_f32_winograd_run(&plain, config, packed, x, y, workspace, pool);
    }
    if (residual != NULL) ep_add_run(y_size, y, residual, d->act, y, pool);
    return;
  }
  const size_t threads = (size_t)ep_threadpool_threads(pool);
  const size_t image_groups = (size_t)d->batch * (size_t)d->groups;
  /* Enough images and groups to keep every worker busy: one cell each. */
  const size_t cells = image_groups >= ITEMS_PER_THREAD * threads ? 1 : threads;
  conv_job job = {
      .d = d,
      .config = config,
      .plan = plan,
      .grid = choose_grid(&plan, config, cells),
      .packed = packed,
      .bias = d->has_bias ? packed + (size_t)d->groups * plan.m_padded * plan.k : NULL,
      .in_affine = d->has_input_affine ? packed + input_affine_offset(d, &plan) : NULL,
      .x = x,
      .residual = residual,
      .y = y,
      .workspace = workspace,
      .workspace_stride = workspace_stride,
  };
  ep_threadpool_parallel_for(pool, image_groups * cells, 1, cell_items, &job);
}

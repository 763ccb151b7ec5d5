/* Winograd F(4x4, 3x3) and F(2x2, 3x3): planning, the weight transform, and the three parallel
 * steps of a run (see winograd.h). */
#include "kernels/f32-conv/winograd.h"

#include <string.h>

#include "edgeprof/cpu.h"
#include "kernels/config/kernel-config.h"
#include "kernels/f32-nchwc/nchwc.h"

enum {
  MAX_LANES = 16, /* the widest vector: padding and slack cover its reads */
  SLACK = 64,     /* floats readable past M and past each padded plane */
  KC_MAX = 256,   /* input channels per GEMM k block */
  /* Below this many 4x4 tiles per image the 4x larger transformed weights, streamed on every
   * run, cost more than the multiplications they save (ResNet-50's 7x7 stage has 4); from this
   * many 2x2 tiles on, F(2x2, 3x3) (U 16/9 the weights) runs instead (7x7 has 16). */
  MIN_TILES = 16,
  MIN_CHANNELS = 8,
  /* Tiles of at most this many GEMM panels transform the weights at run time (winograd.h)
   * where U is larger than a core's L2 (1 MiB): a smaller U may stay in cache between runs,
   * and then the transform is pure cost (ResNet-50's 256 -> 256 on 14x14 with U in L3: 1.05
   * ms packed, 1.16 at run time; streamed from memory: 1.67 packed, 1.41 at run time). */
  RUN_TIME_U_MAX_PANELS = 2,
  RUN_TIME_U_MIN_FLOATS = 256 * 1024,
  /* Input channels per k block of U at run time: 36 x 128 x mr floats per worker (288 KiB at
   * mr = 16), which leave room in a 1 MiB L2 for the block's V rows the GEMMs read. */
  RUN_TIME_KC = 128,
  /* Floats past a whole k block (or a whole tap) before the next: the 36 U_k blocks of 8 KiB
   * (and the taps of 16 KiB) would otherwise map to the same L1 sets. */
  RUN_TIME_SKEW = 16,
};

/* Floats between the taps of one A panel of run-time packed weights. */
static size_t run_time_tap_stride(size_t cin, size_t mr) { return cin * mr + RUN_TIME_SKEW; }

/* G of each variant, with the weight transform U = G g G^T done in double precision. */
static const double G4[EP_WG_ALPHA][3] = {
    {1.0 / 4, 0, 0},
    {-1.0 / 6, -1.0 / 6, -1.0 / 6},
    {-1.0 / 6, 1.0 / 6, -1.0 / 6},
    {1.0 / 24, 1.0 / 12, 1.0 / 6},
    {1.0 / 24, -1.0 / 12, 1.0 / 6},
    {0, 0, 1},
};
static const double G2[EP_WG2_ALPHA][3] = {
    {1, 0, 0},
    {0.5, 0.5, 0.5},
    {0.5, -0.5, 0.5},
    {0, 0, 1},
};

/* F(m x m, 3x3): output tiles of m x m from alpha x alpha patches, alpha^2 GEMMs. */
typedef struct wg_variant {
  size_t m, alpha, positions;
  const double (*g)[3]; /* alpha rows */
} wg_variant;

static const wg_variant F4 = {EP_WG_M, EP_WG_ALPHA, EP_WG_POSITIONS, G4};
static const wg_variant F2 = {EP_WG2_M, EP_WG2_ALPHA, EP_WG2_POSITIONS, G2};

static size_t tiles_of(const ep_conv_desc* d, size_t m) {
  return ep_divide_round_up((size_t)d->out_h, m) * ep_divide_round_up((size_t)d->out_w, m);
}

/* F(4x4, 3x3) where it has enough tiles, else F(2x2, 3x3), else NULL (direct GEMM). */
static const wg_variant* variant_for(const ep_conv_desc* d) {
  if (tiles_of(d, EP_WG_M) >= MIN_TILES) return &F4;
  if (tiles_of(d, EP_WG2_M) >= MIN_TILES) return &F2;
  return NULL;
}

/* The transforms of `isa` and `v` for a row of `tiles_w` tiles. A vector covers adjacent tiles
 * of one row, so 16 lanes on a row of 7 tiles (a 28x28 image) would compute 9 for nothing: a
 * level's wide transforms serve only rows that fill them as well (kernel-config.h). */
static bool transforms_for(ep_cpu_isa isa, const wg_variant* v, size_t tiles_w, ep_wg_input_fn* in,
                           ep_wg_output_fn* out) {
  const ep_kernel_config* c = ep_kernel_config_for(isa);
  const int k = v == &F2 ? 1 : 0;
  const ep_wg_transforms* t = &c->winograd;
  if (c->winograd_wide.input[k] != NULL && ep_kernel_config_wide_pays(c, tiles_w)) {
    t = &c->winograd_wide;
  }
  if (t->input[k] == NULL || t->output[k] == NULL) return false;
  *in = t->input[k];
  *out = t->output[k];
  return true;
}

bool ep_f32_winograd_suitable(const ep_conv_desc* d, const ep_f32_gemm_config* config) {
  ep_wg_input_fn in;
  ep_wg_output_fn out;
  if (!transforms_for(config->isa, &F4, 1, &in, &out) || config->gemm_strided == NULL) return false;
  if (d->kernel_h != 3 || d->kernel_w != 3 || d->stride_h != 1 || d->stride_w != 1 ||
      d->dilation_h != 1 || d->dilation_w != 1 || d->groups != 1) {
    return false;
  }
  if (d->in_channels < MIN_CHANNELS || d->out_channels < MIN_CHANNELS) return false;
  /* Blocked sides hold whole blocks of 8 channels. */
  if ((d->in_layout == EP_LAYOUT_NCHW8C && d->in_channels % EP_NCHWC_BLOCK != 0) ||
      (d->out_layout == EP_LAYOUT_NCHW8C && d->out_channels % EP_NCHWC_BLOCK != 0)) {
    return false;
  }
  /* The padded planes assume the usual "same" or "valid" padding. */
  if (d->pad_top > 2 || d->pad_left > 2) return false;
  return variant_for(d) != NULL;
}

typedef struct wg_layout {
  const wg_variant* v;      /* NULL where the conv is not suitable */
  ep_wg_weights_fn weights; /* U at run time (NULL: packed U) */
  ep_wg_geometry g;
  size_t m_padded;    /* cout rounded up to whole A panels */
  size_t padded_rows; /* rows of a padded input plane */
  size_t v_floats, m_floats, plane_floats;
  size_t worker_planes; /* planes of scratch per worker: 8 where a side is NCHW8c, else 1 */
  size_t worker_floats; /* a worker's scratch: its planes, or its U block in the GEMM step */
} wg_layout;

static wg_layout make_layout(const ep_conv_desc* d, const ep_f32_gemm_config* config) {
  wg_layout l;
  memset(&l, 0, sizeof l);
  l.v = variant_for(d);
  if (l.v == NULL) return l;
  const size_t m = l.v->m;
  ep_wg_geometry* g = &l.g;
  g->out_h = (size_t)d->out_h;
  g->out_w = (size_t)d->out_w;
  g->tiles_h = ep_divide_round_up(g->out_h, m);
  g->tiles_w = ep_divide_round_up(g->out_w, m);
  g->tiles = g->tiles_h * g->tiles_w;
  g->cin = (size_t)d->in_channels;
  g->cout = (size_t)d->out_channels;
  /* Vectors of tiles read up to m + 4 columns past their last tile's start (the split that
   * starts one tile later), up to a whole vector of tiles past the last tile column; patches
   * reach 2 rows below the last tile. */
  g->padded_w = ep_round_up(g->tiles_w, MAX_LANES) * m + m + 4;
  l.padded_rows = g->tiles_h * m + 2;
  /* Room for a whole vector past the last tile, and for the microkernel's reads of a whole
   * panel; a row length that is a multiple of 1 KiB would map every row to the same cache
   * sets. */
  g->v_ld = ep_round_up(g->tiles + 2 * MAX_LANES, 16);
  if (g->v_ld % 256 == 0) g->v_ld += 16;
  g->v_stride = g->cin * g->v_ld;
  g->m_ld = g->tiles;
  g->m_stride = g->cout * g->m_ld;
  l.m_padded = ep_round_up(g->cout, config->mr);
  l.v_floats = ep_round_up(l.v->positions * g->v_stride, 16);
  l.m_floats = ep_round_up(l.v->positions * g->m_stride + SLACK, 16);
  l.plane_floats = ep_round_up(l.padded_rows * g->padded_w + SLACK, 16);
  l.worker_planes =
      d->in_layout == EP_LAYOUT_NCHW8C || d->out_layout == EP_LAYOUT_NCHW8C ? EP_NCHWC_BLOCK : 1;
  l.worker_floats = l.worker_planes * l.plane_floats;
  const ep_wg_weights_fn weights = ep_kernel_config_for(config->isa)->winograd_weights;
  if (l.v == &F4 && weights != NULL &&
      ep_divide_round_up(g->tiles, config->nr) <= RUN_TIME_U_MAX_PANELS &&
      l.v->positions * l.m_padded * g->cin >= RUN_TIME_U_MIN_FLOATS) {
    l.weights = weights;
    const size_t u_block = l.v->positions * (RUN_TIME_KC * config->mr + RUN_TIME_SKEW);
    if (u_block > l.worker_floats) l.worker_floats = u_block;
  }
  return l;
}

/* The packed weights before the bias: 9 taps of each A panel, or every U_k as A panels. */
static size_t packed_weights_floats(const wg_layout* l, size_t mr) {
  if (l->weights != NULL) return (l->m_padded / mr) * 9 * run_time_tap_stride(l->g.cin, mr);
  return l->v->positions * l->m_padded * l->g.cin;
}

size_t ep_f32_winograd_packed_size(const ep_conv_desc* d, const ep_f32_gemm_config* config) {
  const wg_layout l = make_layout(d, config);
  if (l.v == NULL) return 0;
  return packed_weights_floats(&l, config->mr) + l.g.cout;
}

/* Packed weights at run time: per A panel of mr output channels, the 9 taps, each cin x mr
 * (input channel, panel row) values, so that a k block of a tap is one run of floats. */
static void pack_run_time(const wg_layout* l, size_t mr, const float* w, float* packed) {
  const size_t cin = l->g.cin, cout = l->g.cout, tap_stride = run_time_tap_stride(cin, mr);
  memset(packed, 0, packed_weights_floats(l, mr) * sizeof *packed);
  for (size_t co = 0; co < cout; co++) {
    float* panel = packed + (co / mr) * 9 * tap_stride;
    for (size_t ci = 0; ci < cin; ci++) {
      for (size_t t = 0; t < 9; t++) {
        panel[t * tap_stride + ci * mr + co % mr] = w[(co * cin + ci) * 9 + t];
      }
    }
  }
}

void ep_f32_winograd_pack(const ep_conv_desc* d, const ep_f32_gemm_config* config, const float* w,
                          const float* bias, float* packed) {
  const wg_layout l = make_layout(d, config);
  if (l.v == NULL) return;
  const size_t cin = l.g.cin, cout = l.g.cout, mr = config->mr;
  const size_t alpha = l.v->alpha;
  const double(*G)[3] = l.v->g;
  const size_t u_floats = l.m_padded * cin; /* one U_k as A panels */
  float* b = packed + packed_weights_floats(&l, mr);
  for (size_t co = 0; co < cout; co++) b[co] = d->has_bias && bias != NULL ? bias[co] : 0.0f;
  if (l.weights != NULL) {
    pack_run_time(&l, mr, w, packed);
    return;
  }
  memset(packed, 0, l.v->positions * u_floats * sizeof *packed);
  for (size_t co = 0; co < cout; co++) {
    for (size_t ci = 0; ci < cin; ci++) {
      const float* g = w + (co * cin + ci) * 9;
      double gg[EP_WG_ALPHA][3]; /* G g */
      for (size_t i = 0; i < alpha; i++) {
        for (int j = 0; j < 3; j++) {
          gg[i][j] = G[i][0] * g[j] + G[i][1] * g[3 + j] + G[i][2] * g[6 + j];
        }
      }
      /* Element (co, ci) of A panel layout: panel co / mr, k step ci, row co % mr. */
      const size_t at = (co / mr) * mr * cin + ci * mr + co % mr;
      for (size_t xi = 0; xi < alpha; xi++) {
        for (size_t nu = 0; nu < alpha; nu++) {
          const double u = gg[xi][0] * G[nu][0] + gg[xi][1] * G[nu][1] + gg[xi][2] * G[nu][2];
          packed[(xi * alpha + nu) * u_floats + at] = (float)u;
        }
      }
    }
  }
}

size_t ep_f32_winograd_workspace_size(const ep_conv_desc* d, const ep_f32_gemm_config* config) {
  const wg_layout l = make_layout(d, config);
  if (l.v == NULL) return 0;
  /* Per worker: V and M (shared: only the first worker's share holds them) and its own plane. */
  return l.v_floats + l.m_floats + l.worker_floats;
}

typedef struct wg_job {
  const ep_conv_desc* d;
  const ep_f32_gemm_config* config;
  wg_layout l;
  ep_wg_input_fn input;
  ep_wg_output_fn output;
  const ep_nchwc_kernels* nchwc; /* the layout rows of the configuration in use */
  const float* u;
  const float* bias;
  const float* x; /* this image */
  float* y;
  float* v;
  float* m;
  float* planes;
  /* Channels per item of the transforms: 8 (a block) on a blocked side. */
  size_t in_grain, out_grain;
} wg_job;

/* The 8 channels of an NCHW8c row to 8 plain rows and back (the configuration's, e.g.
 * f32-wg-layout-avx2.c; a plain C loop where it has none). */
static void unblock_row(const ep_nchwc_kernels* k, const float* src, size_t n,
                        float* const dst[EP_NCHWC_BLOCK]) {
  if (k->unblock_row != NULL) {
    k->unblock_row(src, n, dst);
    return;
  }
  for (size_t p = 0; p < n; p++) {
    for (size_t c = 0; c < EP_NCHWC_BLOCK; c++) dst[c][p] = src[p * EP_NCHWC_BLOCK + c];
  }
}

static void block_row(const ep_nchwc_kernels* k, const float* const src[EP_NCHWC_BLOCK], size_t n,
                      float* dst) {
  if (k->block_row != NULL) {
    k->block_row(src, n, dst);
    return;
  }
  for (size_t p = 0; p < n; p++) {
    for (size_t c = 0; c < EP_NCHWC_BLOCK; c++) dst[p * EP_NCHWC_BLOCK + c] = src[c][p];
  }
}

/* Copies `planes` input channels from ci on (1 of an NCHW input, the 8 of an NCHW8c block) into
 * xp[0..planes) with the padding of d around them; zeros up to rows x cols. */
static void pad_planes(const ep_nchwc_kernels* k, const ep_conv_desc* d, const float* x, size_t ci,
                       size_t planes, size_t rows, size_t cols, float* const xp[EP_NCHWC_BLOCK]) {
  const size_t in_w = (size_t)d->in_w, top = (size_t)d->pad_top;
  const size_t left = (size_t)d->pad_left, in_plane = (size_t)d->in_h * in_w;
  /* Input rows and columns past what the tiles reach are not needed (and would not fit). */
  const size_t h = (size_t)d->in_h < rows - top ? (size_t)d->in_h : rows - top;
  const size_t w = in_w < cols - left ? in_w : cols - left;
  float* row[EP_NCHWC_BLOCK];
  for (size_t c = 0; c < planes; c++) {
    memset(xp[c], 0, top * cols * sizeof *xp[c]);
    row[c] = xp[c] + top * cols;
  }
  for (size_t iy = 0; iy < h; iy++) {
    float* inside[EP_NCHWC_BLOCK];
    for (size_t c = 0; c < planes; c++) {
      memset(row[c], 0, left * sizeof *row[c]);
      memset(row[c] + left + w, 0, (cols - left - w) * sizeof *row[c]);
      inside[c] = row[c] + left;
    }
    if (planes == 1) {
      memcpy(inside[0], x + ci * in_plane + iy * in_w, w * sizeof *inside[0]);
    } else {
      unblock_row(k, x + ci * in_plane + iy * in_w * EP_NCHWC_BLOCK, w, inside);
    }
    for (size_t c = 0; c < planes; c++) row[c] += cols;
  }
  for (size_t c = 0; c < planes; c++) {
    memset(row[c], 0, ((rows - top - h) * cols + SLACK) * sizeof *row[c]);
  }
}

/* Items are channels, or 8-channel blocks of an NCHW8c input (a block's channels share cache
 * lines): each is copied with its padding into the worker's planes, then transformed. */
static void input_items(void* ctx, size_t begin, size_t end, int worker) {
  const wg_job* job = ctx;
  const ep_wg_geometry* g = &job->l.g;
  const size_t per_item = job->in_grain;
  float* xp[EP_NCHWC_BLOCK];
  for (size_t c = 0; c < per_item; c++) {
    xp[c] = job->planes + (size_t)worker * job->l.worker_floats + c * job->l.plane_floats;
  }
  for (size_t item = begin; item < end; item++) {
    const size_t ci = item * per_item;
    pad_planes(job->nchwc, job->d, job->x, ci, per_item, job->l.padded_rows, g->padded_w, xp);
    for (size_t c = 0; c < per_item; c++) job->input(g, xp[c], ci + c, job->v);
  }
}

static void gemm_items(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const wg_job* job = ctx;
  const ep_wg_geometry* g = &job->l.g;
  const size_t mr = job->config->mr;
  const size_t u_floats = job->l.m_padded * g->cin;
  for (size_t k = begin; k < end; k++) {
    const float* a = job->u + k * u_floats;
    const float* b = job->v + k * g->v_stride;
    float* c = job->m + k * g->m_stride;
    for (size_t k0 = 0; k0 < g->cin; k0 += KC_MAX) {
      const size_t kc = g->cin - k0 < KC_MAX ? g->cin - k0 : KC_MAX;
      ep_f32_gemm_compute_strided(job->config, g->cout, g->tiles, kc, a + k0 * mr, g->cin * mr,
                                  b + k0 * g->v_ld, g->v_ld, c, g->m_ld, k0 > 0, NULL);
    }
  }
}

/* The cache lines of the next k block's taps (9 runs of `bytes`, tap_stride_bytes apart), a share
 * at a time: the next block streams in while the current one's GEMMs run from L2. */
typedef struct tap_prefetch {
  const char* first;
  size_t tap_stride_bytes, bytes, tap, offset;
} tap_prefetch;

static void tap_prefetch_lines(tap_prefetch* p, size_t lines) {
  for (; lines > 0 && p->tap < 9; lines--) {
    __builtin_prefetch(p->first + p->tap * p->tap_stride_bytes + p->offset, 0, 2);
    p->offset += 64;
    if (p->offset >= p->bytes) {
      p->offset = 0;
      p->tap++;
    }
  }
}

/* Items are A panels (mr output channels): a k block of the panel's U is transformed into the
 * worker's scratch, then multiplied into the panel's rows of every M_k. */
static void gemm_run_time_items(void* ctx, size_t begin, size_t end, int worker) {
  const wg_job* job = ctx;
  const ep_wg_geometry* g = &job->l.g;
  const size_t mr = job->config->mr, cin = g->cin, positions = job->l.v->positions;
  const size_t tap_stride = run_time_tap_stride(cin, mr), kc_max = RUN_TIME_KC;
  float* u = job->planes + (size_t)worker * job->l.worker_floats;
  for (size_t p = begin; p < end; p++) {
    const float* panel = job->u + p * 9 * tap_stride;
    const size_t row0 = p * mr, rows = g->cout - row0 < mr ? g->cout - row0 : mr;
    for (size_t k0 = 0; k0 < cin; k0 += kc_max) {
      const size_t kc = cin - k0 < kc_max ? cin - k0 : kc_max;
      const size_t u_stride = kc * mr + RUN_TIME_SKEW;
      job->l.weights(panel + k0 * mr, tap_stride, kc * mr, u, u_stride);
      /* The next block: this panel's next k block, or the next panel's first. */
      tap_prefetch next = {.tap = 9, .tap_stride_bytes = tap_stride * sizeof(float)};
      if (k0 + kc < cin) {
        const size_t nkc = cin - k0 - kc < kc_max ? cin - k0 - kc : kc_max;
        next = (tap_prefetch){(const char*)(panel + (k0 + kc) * mr), tap_stride * sizeof(float),
                              nkc * mr * sizeof(float), 0, 0};
      } else if (p + 1 < end) {
        const size_t nkc = cin < kc_max ? cin : kc_max;
        next = (tap_prefetch){(const char*)(panel + 9 * tap_stride), tap_stride * sizeof(float),
                              nkc * mr * sizeof(float), 0, 0};
      }
      const size_t lines =
          next.tap < 9 ? ep_divide_round_up(9 * (next.bytes / 64 + 1), positions) : 0;
      for (size_t k = 0; k < positions; k++) {
        tap_prefetch_lines(&next, lines);
        ep_f32_gemm_compute_strided(job->config, rows, g->tiles, kc, u + k * u_stride, u_stride,
                                    job->v + k * g->v_stride + k0 * g->v_ld, g->v_ld,
                                    job->m + k * g->m_stride + row0 * g->m_ld, g->m_ld, k0 > 0,
                                    NULL);
      }
    }
  }
}

/* Items are output channels, or 8-channel blocks of an NCHW8c output: a block's channels are
 * transformed into the worker's planes, then interleaved into y. */
static void output_items(void* ctx, size_t begin, size_t end, int worker) {
  const wg_job* job = ctx;
  const ep_wg_geometry* g = &job->l.g;
  const size_t out_plane = g->out_h * g->out_w, per_item = job->out_grain;
  const bool blocked = job->d->out_layout == EP_LAYOUT_NCHW8C;
  const ep_activation act = job->d->act;
  for (size_t item = begin; item < end; item++) {
    float* planes[EP_NCHWC_BLOCK];
    for (size_t c = 0; c < per_item; c++) {
      const size_t co = item * per_item + c;
      planes[c] =
          blocked ? job->planes + (size_t)worker * job->l.worker_floats + c * job->l.plane_floats
                  : job->y + co * out_plane;
      job->output(g, job->m, co, job->bias[co], act, planes[c]);
      if (act != EP_ACT_NONE && act != EP_ACT_RELU && act != EP_ACT_RELU6) {
        ep_activation_apply(act, planes[c], out_plane);
      }
    }
    if (blocked) {
      block_row(job->nchwc, (const float* const*)planes, out_plane,
                job->y + item * per_item * out_plane);
    }
  }
}

void ep_f32_winograd_run(const ep_conv_desc* d, const ep_f32_gemm_config* config,
                         const float* packed, const float* x, float* y, float* workspace,
                         ep_threadpool* pool) {
  wg_job job = {.d = d, .config = config, .l = make_layout(d, config)};
  if (job.l.v == NULL ||
      !transforms_for(config->isa, job.l.v, job.l.g.tiles_w, &job.input, &job.output)) {
    return; /* planned otherwise */
  }
  const ep_wg_geometry* g = &job.l.g;
  job.nchwc = &ep_kernel_config_for(config->isa)->nchwc;
  job.u = packed;
  job.bias = packed + packed_weights_floats(&job.l, config->mr);
  job.v = workspace;
  job.m = workspace + job.l.v_floats;
  job.planes = job.m + job.l.m_floats;
  const size_t in_image = g->cin * (size_t)d->in_h * (size_t)d->in_w;
  const size_t out_image = g->cout * g->out_h * g->out_w;
  job.in_grain = d->in_layout == EP_LAYOUT_NCHW8C ? EP_NCHWC_BLOCK : 1;
  job.out_grain = d->out_layout == EP_LAYOUT_NCHW8C ? EP_NCHWC_BLOCK : 1;
  for (size_t b = 0; b < (size_t)d->batch; b++) {
    job.x = x + b * in_image;
    job.y = y + b * out_image;
    ep_threadpool_parallel_for(pool, g->cin / job.in_grain, 1, input_items, &job);
    if (job.l.weights != NULL) {
      ep_threadpool_parallel_for(pool, job.l.m_padded / config->mr, 1, gemm_run_time_items, &job);
    } else {
      ep_threadpool_parallel_for(pool, job.l.v->positions, 1, gemm_items, &job);
    }
    ep_threadpool_parallel_for(pool, g->cout / job.out_grain, 1, output_items, &job);
  }
}

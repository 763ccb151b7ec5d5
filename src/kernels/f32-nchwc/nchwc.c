/* NCHW8c convolutions: which ones exist, weight packing, and the split of the work over the
 * pool; the loops are in f32-nchwc-impl.h.
 *
 * Work split. Pointwise: each worker takes one cell of the output, a range of output block pairs
 * times a range of pixels, chosen like the NCHW GEMM's grid (the largest cell's cost as small as
 * possible, reads included), so that no two workers write the same lines and there is no
 * barrier in a layer.
 * Depthwise, direct and window: output rows of one block (or block pair) are the items, and the
 * pool hands out contiguous runs of them. */
#include "kernels/f32-nchwc/nchwc.h"

#include <stdint.h>
#include <string.h>

#include "kernels/config/kernel-config.h"
#include "kernels/f32-nchwc/nchwc-ukernels.h"
#include "kernels/vmath/vmath.h"

enum {
  BLOCK = EP_NCHWC_BLOCK,
  PW_TILE = 6,
  ITEMS_PER_THREAD = 4,
  READ_COST = 8, /* multiply-adds per float read: 2 per byte */
};

typedef enum nchwc_kind {
  NCHWC_NONE,
  NCHWC_POINTWISE,
  NCHWC_DEPTHWISE,
  NCHWC_DIRECT,
  NCHWC_WINDOW
} nchwc_kind;

/* The input blocks [*ib0, *ib0 + n) that output block ob reads (its channels' groups); returns
 * n. */
static size_t block_inputs(const ep_conv_desc* d, size_t ob, size_t* ib0) {
  const size_t cin_g = (size_t)(d->in_channels / d->groups);
  const size_t cout_g = (size_t)(d->out_channels / d->groups);
  const size_t g0 = ob * BLOCK / cout_g, g1 = (ob * BLOCK + BLOCK - 1) / cout_g;
  const size_t lo = g0 * cin_g, hi = (g1 + 1) * cin_g;
  *ib0 = lo / BLOCK;
  return (hi + BLOCK - 1) / BLOCK - lo / BLOCK;
}

/* A grouped convolution (not depthwise) whose output blocks each read the same number of input
 * blocks, at most twice the channels their groups hold: the window kernel multiplies whole
 * 8x8 blocks, zeros included (nothing extra for RegNet's 8-channel groups; 4-in, 4-out groups,
 * ResNeXt's, take their own loop, window_quads). Wider spans run on NCHW. */
static bool window_grouped(const ep_conv_desc* d) {
  if (d->groups <= 1 || d->in_channels % BLOCK != 0 || d->in_channels % d->groups != 0 ||
      d->out_channels % d->groups != 0) {
    return false;
  }
  const size_t cin_g = (size_t)(d->in_channels / d->groups);
  size_t ib0;
  const size_t n = block_inputs(d, 0, &ib0);
  if (n * BLOCK > 2 * cin_g) return false;
  for (size_t ob = 1; ob < (size_t)d->out_channels / BLOCK; ob++) {
    if (block_inputs(d, ob, &ib0) != n) return false;
  }
  return true;
}

/* A dense convolution over blocked input that is not pointwise (Inception's 1x7, 7x1, 5x5 and
 * 3x3 stride-2 layers, ResNet's 3x3 stride-2 ones): the window kernel with every input block
 * read by every output block, block pairs sharing their input (no zeros multiplied). */
static bool window_dense(const ep_conv_desc* d) {
  return d->groups == 1 && d->in_channels % BLOCK == 0;
}

/* Groups of 4 inputs and 4 outputs, two per block: the window kernel then splats each group's
 * channels within its half of the vector (4 multiply-adds per tap and pixel, not 8). */
static bool window_quads(const ep_conv_desc* d) {
  return d->in_channels == 4 * d->groups && d->out_channels == 4 * d->groups;
}

/* Output blocks that read the same input blocks come in runs: a group's blocks where groups hold
 * 8 output channels or more (RegNetX-8GF's 120-channel groups are runs of 15 blocks, RegNetY-8GF's
 * 56-channel ones runs of 7), every block of a dense layer. The window kernel computes each run's
 * blocks in pairs (one 16-lane vector at the avx512 level) from the run's first block, a run of
 * odd length ending in a single block. The run length where every run has it; 1 (every block on
 * its own) where they differ, and for 4-channel groups (their own loop). Pairing only from even
 * blocks (before) left every block of an odd run single: RegNetX-8GF's 3x3 layers ran at 60-65
 * GFLOP/s on one Zen 4 core, where RegNetX-16GF's 128-channel groups (even runs) ran at 85-105. */
static size_t window_run(const ep_conv_desc* d) {
  const size_t blocks = (size_t)d->out_channels / BLOCK;
  if (window_quads(d) || blocks == 0) return 1;
  size_t first, ib;
  block_inputs(d, 0, &first);
  size_t run = 1;
  while (run < blocks && (block_inputs(d, run, &ib), ib == first)) run++;
  if (blocks % run != 0) return 1;
  for (size_t r = run; r < blocks; r += run) {
    block_inputs(d, r, &first);
    for (size_t j = 1; j < run; j++) {
      if (block_inputs(d, r + j, &ib), ib != first) return 1;
    }
  }
  return run;
}

/* Units of the window kernel: each run's pairs, then its single block if the run is odd. */
static size_t window_units(const ep_conv_desc* d, size_t run) {
  return (size_t)d->out_channels / BLOCK / run * ((run + 1) / 2);
}

/* Unit u's first output block and its block count (1 or 2). */
static size_t window_unit(size_t run, size_t u, int* nb) {
  const size_t per_run = (run + 1) / 2, k = u % per_run;
  *nb = 2 * k + 1 < run ? 2 : 1;
  return u / per_run * run + 2 * k;
}

static nchwc_kind kind_of(const ep_conv_desc* d) {
  const bool in_blocked = d->in_layout == EP_LAYOUT_NCHW8C;
  const bool out_blocked = d->out_layout == EP_LAYOUT_NCHW8C;
  if ((!in_blocked && !out_blocked) || d->out_channels % BLOCK != 0 || d->batch < 1) {
    return NCHWC_NONE;
  }
  /* 1x1 without padding, any stride: a strided one first keeps every stride-th pixel. */
  const bool pointwise = d->groups == 1 && d->kernel_h == 1 && d->kernel_w == 1 &&
                         d->pad_top == 0 && d->pad_left == 0 &&
                         d->out_h == (d->in_h - 1) / d->stride_h + 1 &&
                         d->out_w == (d->in_w - 1) / d->stride_w + 1;
  if (pointwise && d->in_channels % BLOCK == 0) return NCHWC_POINTWISE; /* any layouts */
  if (in_blocked) {
    const bool depthwise = d->groups == d->in_channels && d->out_channels == d->in_channels &&
                           d->kernel_h <= EP_NCHWC_DEPTHWISE_MAX_KERNEL;
    if (depthwise) return out_blocked ? NCHWC_DEPTHWISE : NCHWC_NONE;
    /* Any output layout. */
    return window_grouped(d) || window_dense(d) ? NCHWC_WINDOW : NCHWC_NONE;
  }
  if (!out_blocked) return NCHWC_NONE;
  if (d->groups == 1 && d->in_channels <= EP_NCHWC_DIRECT_MAX_CIN) return NCHWC_DIRECT;
  return NCHWC_NONE;
}

bool ep_nchwc_available(void) { return ep_kernel_config_get()->blocked_layout != NULL; }

/* The blocked kernels of the level in use. Sessions block tensors only where the level has them
 * (ep_nchwc_available), so a NULL kernel below is never reached; the checks keep a level forced
 * lower between a session's creation and its run from jumping to NULL. */
static const ep_nchwc_kernels* kernels(void) { return &ep_kernel_config_get()->nchwc; }

bool ep_nchwc_conv_supports(const ep_conv_desc* d) { return kind_of(d) != NCHWC_NONE; }

bool ep_nchwc_conv_dense(const ep_conv_desc* d) {
  return kind_of(d) == NCHWC_WINDOW && window_dense(d);
}

/* Weight taps per output channel. */
static size_t taps_of(const ep_conv_desc* d) {
  return (size_t)(d->in_channels / d->groups) * (size_t)d->kernel_h * (size_t)d->kernel_w;
}

/* Window weights per output block: [input blocks][kh][kw][8][8], or with 4-channel groups
 * [kh][kw][4][8]. */
static size_t window_block_floats(const ep_conv_desc* d) {
  size_t ib0;
  const size_t taps = (size_t)d->kernel_h * (size_t)d->kernel_w;
  if (window_quads(d)) return taps * 4 * BLOCK;
  return block_inputs(d, 0, &ib0) * taps * BLOCK * BLOCK;
}

/* Weights, then the bias [cout]. */
static size_t weight_floats(const ep_conv_desc* d) {
  if (kind_of(d) == NCHWC_WINDOW) return (size_t)d->out_channels / BLOCK * window_block_floats(d);
  return (size_t)d->out_channels * taps_of(d);
}

size_t ep_nchwc_conv_packed_size(const ep_conv_desc* d) {
  return weight_floats(d) + (size_t)d->out_channels;
}

/* Each output block's weights over whole input blocks, zero where an output channel does not
 * read an input channel (another group's). Blocks computed as a pair (window_unit) interleave
 * their weights, [input blocks][kh][kw][8 inputs][16 outputs], so that a pair's 16 weights of
 * one input channel are one AVX-512 vector. */
static void pack_window(const ep_conv_desc* d, const float* w, float* packed) {
  const size_t cin_g = (size_t)(d->in_channels / d->groups);
  const size_t cout_g = (size_t)(d->out_channels / d->groups);
  const size_t kh = (size_t)d->kernel_h, kw = (size_t)d->kernel_w, blocks = (size_t)d->out_channels / BLOCK;
  if (window_quads(d)) {
    /* Output j of a block against input c of its own group. */
    for (size_t ob = 0; ob < blocks; ob++) {
      float* dst = packed + ob * window_block_floats(d);
      for (size_t t = 0; t < kh * kw; t++) {
        for (size_t c = 0; c < 4; c++) {
          for (size_t j = 0; j < BLOCK; j++) *dst++ = w[((ob * BLOCK + j) * 4 + c) * kh * kw + t];
        }
      }
    }
    return;
  }
  const size_t run = window_run(d), units = window_units(d, run);
  for (size_t u = 0; u < units; u++) {
    int nb;
    const size_t ob = window_unit(run, u, &nb);
    size_t ib0;
    const size_t n = block_inputs(d, ob, &ib0);
    float* dst = packed + ob * window_block_floats(d);
    for (size_t ib = 0; ib < n; ib++) {
      for (size_t t = 0; t < kh * kw; t++) {
        for (size_t c = 0; c < BLOCK; c++) {
          for (size_t j = 0; j < (size_t)nb * BLOCK; j++, dst++) {
            const size_t oc = ob * BLOCK + j, ic = (ib0 + ib) * BLOCK + c;
            const size_t first = oc / cout_g * cin_g;
            *dst = ic >= first && ic < first + cin_g ? w[(oc * cin_g + ic - first) * kh * kw + t]
                                                     : 0.0f;
          }
        }
      }
    }
  }
}

void ep_nchwc_conv_pack(const ep_conv_desc* d, const float* w, const float* bias, float* packed) {
  const size_t taps = taps_of(d);
  const size_t cout = (size_t)d->out_channels, blocks = cout / BLOCK;
  if (kind_of(d) == NCHWC_WINDOW) {
    pack_window(d, w, packed);
  } else if (kind_of(d) == NCHWC_DEPTHWISE) {
    /* [block][tap][8] */
    for (size_t c = 0; c < cout; c++) {
      for (size_t t = 0; t < taps; t++) {
        packed[(c / BLOCK * taps + t) * BLOCK + c % BLOCK] = w[c * taps + t];
      }
    }
  } else {
    /* Block pairs [tap][16], a last odd block [tap][8] (nchwc-ukernels.h). */
    for (size_t ob = 0; ob < blocks; ob += 2) {
      const size_t width = (ob + 1 < blocks ? 2 : 1) * BLOCK;
      float* dst = packed + ob * BLOCK * taps;
      for (size_t t = 0; t < taps; t++) {
        for (size_t j = 0; j < width; j++) dst[t * width + j] = w[(ob * BLOCK + j) * taps + t];
      }
    }
  }
  float* packed_bias = packed + weight_floats(d);
  for (size_t c = 0; c < cout; c++) packed_bias[c] = d->has_bias && bias != NULL ? bias[c] : 0.0f;
}

static bool strided(const ep_conv_desc* d) { return d->stride_h != 1 || d->stride_w != 1; }

/* A stride-2 pointwise layer over blocked input reads it in place (ep_nchwc_pointwise's
 * x_stride2) where its output rows are 14 pixels or more; other strides, an NCHW input and
 * narrower rows copy the kept pixels out first. ResNet-50's shortcuts, one Zen 4 core, AVX-512,
 * best of 30 (bench/conv_layer.sh ... --blocked): 256 -> 512 on 56x56 1.93-2.22 ms with the copy,
 * 1.82-1.88 in place (the same layer at stride 1 on 28x28: 1.77); 512 -> 1024 on 28x28 1.84 /
 * 1.82; but 1024 -> 2048 on 14x14, whose 7-pixel rows make half-width tiles that re-read the
 * weights twice as often, 2.04 with the copy and 2.11-2.19 in place. */
enum { IN_PLACE_MIN_ROW = 14 };
static bool strided_in_place(const ep_conv_desc* d) {
  return d->stride_h == 2 && d->stride_w == 2 && d->in_layout == EP_LAYOUT_NCHW8C &&
         d->out_w >= IN_PLACE_MIN_ROW;
}

/* A direct convolution reads a copy of its image with the padding filled with zeros, so that
 * every output pixel is inside and takes the kernel's 6-pixel tiles (its one-pixel path for the
 * border waits on each multiply-add: ResNet's 7x7 stem lost about 10% there). The copy is
 * h x w per channel, padding included; 0 x 0 where there is no padding to fill. */
static void padded_dims(const ep_conv_desc* d, size_t* h, size_t* w) {
  const size_t need_h = (size_t)(d->out_h - 1) * (size_t)d->stride_h +
                        (size_t)(d->kernel_h - 1) * (size_t)d->dilation_h + 1;
  const size_t need_w = (size_t)(d->out_w - 1) * (size_t)d->stride_w +
                        (size_t)(d->kernel_w - 1) * (size_t)d->dilation_w + 1;
  const size_t top = (size_t)d->pad_top, left = (size_t)d->pad_left;
  if (top == 0 && left == 0 && need_h <= (size_t)d->in_h && need_w <= (size_t)d->in_w) {
    *h = *w = 0;
    return;
  }
  *h = need_h > top + (size_t)d->in_h ? need_h : top + (size_t)d->in_h;
  *w = need_w > left + (size_t)d->in_w ? need_w : left + (size_t)d->in_w;
}

static size_t padded_floats(const ep_conv_desc* d) {
  size_t h, w;
  padded_dims(d, &h, &w);
  return (size_t)d->batch * (size_t)d->in_channels * h * w;
}

/* --- window borders -------------------------------------------------------------------- */

/* A padded window layer whose padded input is larger than WINDOW_COPY_MAX_BYTES reads its input
 * in place for the output pixels whose windows lie inside the image; the rows and columns of
 * pixels whose windows cross the border read a few input rows or columns copied with their
 * zeros into the worker's scratch. The zeros are multiplied as in a padded copy (the same
 * multiply-adds in the same order: outputs bit-identical). Smaller layers copy the whole padded
 * input first, in one pass shared by the workers.
 *
 * One Zen 4 core, AVX-512, best of 10 in each of 2 interleaved rounds (bench/conv_layer.sh
 * --blocked --cpu-time), whole copy -> in place: RegNetX-16GF's 256-channel stride-2 layer on
 * 112x112 (13.3 MB padded; the copy was 4.6% of its profile) 24.7 -> 23.9 ms, held 13 MB of
 * workspace per thread; but its 56x56 stride-1 layer (3.4 MB) 17.3 -> 17.5, the 14x14 ones
 * 3.71 -> 4.05 and Inception's 1x7 on 17x17 5.29 -> 6.99: there the border rows and columns
 * (2 of 14 rows, 6 of 17 columns), in narrower tiles, cost more than a copy that stays in L2. */
enum {
  WINDOW_COPY_MAX_BYTES = 4 << 20,
  BORDER_ROWS = 28, /* output rows per border-column call: two of the avx512 kernel's tiles */
};

/* The output pixels [*lo, *hi) along one axis whose taps are inside [0, in). */
static void inside_range(int in, int out, int pad, int stride, int kernel, int dilation, int* lo,
                         int* hi) {
  const int span = (kernel - 1) * dilation;
  int a = (pad + stride - 1) / stride;
  const int last = in - 1 + pad - span; /* the largest inside start, times the stride */
  int b = last < 0 ? 0 : last / stride + 1;
  if (a > out) a = out;
  if (b > out) b = out;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

/* A padded window layer that reads its input in place. */
static bool window_in_place(const ep_conv_desc* d) {
  return padded_floats(d) * sizeof(float) > WINDOW_COPY_MAX_BYTES;
}

/* Floats of one border row's copy: [input blocks][kernel rows][padded width][8]; and of one
 * border column's: [input blocks][rows][kernel columns][8], then its output [2][rows][8]. */
static size_t window_border_floats(const ep_conv_desc* d) {
  if (!window_in_place(d)) return 0;
  size_t ib0;
  const size_t n = window_quads(d) ? 1 : block_inputs(d, 0, &ib0);
  const size_t span_h = (size_t)(d->kernel_h - 1) * (size_t)d->dilation_h + 1;
  const size_t span_w = (size_t)(d->kernel_w - 1) * (size_t)d->dilation_w + 1;
  const size_t wide = (size_t)(d->out_w - 1) * (size_t)d->stride_w + span_w;
  const size_t tall = (size_t)(BORDER_ROWS - 1) * (size_t)d->stride_h + span_h;
  const size_t row = n * span_h * wide * BLOCK;
  const size_t col = n * tall * span_w * BLOCK + 2 * BORDER_ROWS * BLOCK;
  return row > col ? row : col;
}

/* Copies input rows [r0, r0 + rows) and columns [c0, c0 + cols) of n blocks (x: the first
 * block, planes plane floats apart) into dst [n][rows][cols][8], zeros outside the image. */
static void copy_window(const ep_conv_desc* d, const float* x, size_t plane, size_t n, int r0,
                        int rows, int c0, int cols, float* dst) {
  const int in_h = d->in_h, in_w = d->in_w;
  const int a = c0 < 0 ? -c0 : 0;
  int b = in_w - c0 < cols ? in_w - c0 : cols;
  if (b < a) b = a;
  for (size_t ib = 0; ib < n; ib++) {
    for (int r = 0; r < rows; r++, dst += (size_t)cols * BLOCK) {
      const int iy = r0 + r;
      if (iy < 0 || iy >= in_h || b == a) {
        memset(dst, 0, (size_t)cols * BLOCK * sizeof *dst);
        continue;
      }
      memset(dst, 0, (size_t)a * BLOCK * sizeof *dst);
      memcpy(dst + (size_t)a * BLOCK, x + ib * plane + ((size_t)iy * (size_t)in_w + (size_t)(c0 + a)) * BLOCK,
             (size_t)(b - a) * BLOCK * sizeof *dst);
      memset(dst + (size_t)b * BLOCK, 0, (size_t)(cols - b) * BLOCK * sizeof *dst);
    }
  }
}

/* Output rows [oy0, oy1) of one window unit (cw: its first input block, weights, bias, output
 * blocks at row 0, column 0), reading x in place where it can. */
static void window_unit_rows(const ep_nchwc_kernels* k, const ep_conv_desc* d,
                             const ep_nchwc_window* cw, int oy0, int oy1, float* scratch) {
  if (!window_in_place(d)) {
    k->window_rows(d, cw, oy0, oy1);
    return;
  }
  const int sh = d->stride_h, sw = d->stride_w, out_w = d->out_w;
  const int span_h = (d->kernel_h - 1) * d->dilation_h + 1;
  const int span_w = (d->kernel_w - 1) * d->dilation_w + 1;
  const size_t px = cw->y_nchw ? 1 : BLOCK; /* floats per output pixel in a plane */
  const size_t in_plane = (size_t)d->in_h * (size_t)d->in_w * BLOCK;
  const size_t n = (size_t)cw->in_blocks;
  int r_lo, r_hi, c_lo, c_hi;
  inside_range(d->in_h, d->out_h, d->pad_top, sh, d->kernel_h, d->dilation_h, &r_lo, &r_hi);
  inside_range(d->in_w, out_w, d->pad_left, sw, d->kernel_w, d->dilation_w, &c_lo, &c_hi);
  for (int oy = oy0; oy < oy1;) {
    if (oy < r_lo || oy >= r_hi) {
      /* A border row: its kernel rows, padded across. */
      const int wide = (out_w - 1) * sw + span_w;
      copy_window(d, cw->x, in_plane, n, oy * sh - d->pad_top, span_h, -d->pad_left, wide,
                  scratch);
      ep_conv_desc dp = *d;
      dp.in_h = span_h;
      dp.in_w = wide;
      ep_nchwc_window c = *cw;
      c.x = scratch;
      c.x_block_stride = (size_t)span_h * (size_t)wide * BLOCK;
      c.y = cw->y + (size_t)oy * (size_t)out_w * px;
      c.cols = out_w;
      k->window_rows(&dp, &c, 0, 1);
      oy++;
      continue;
    }
    const int end = oy1 < r_hi ? oy1 : r_hi;
    if (c_lo < c_hi) {
      /* The inside columns in place. */
      ep_nchwc_window c = *cw;
      c.x = cw->x + ((size_t)(oy * sh - d->pad_top) * (size_t)d->in_w +
                     (size_t)(c_lo * sw - d->pad_left)) * BLOCK;
      c.y = cw->y + ((size_t)oy * (size_t)out_w + (size_t)c_lo) * px;
      c.cols = c_hi - c_lo;
      k->window_rows(d, &c, 0, end - oy);
    }
    /* Each border column down BORDER_ROWS rows at a time, as one row of a copy whose pixels
     * step from one output row's inputs to the next's: [rows][kernel columns][8], the window
     * kernel's stride across being stride_h times the kernel columns. */
    for (int r = oy; r < end; r += BORDER_ROWS) {
      const int rows = end - r < BORDER_ROWS ? end - r : BORDER_ROWS;
      const int tall = (rows - 1) * sh + span_h;
      float* out = scratch + n * (size_t)tall * (size_t)span_w * BLOCK;
      for (int ox = 0; ox < out_w; ox++) {
        if (ox == c_lo) ox = c_hi; /* past the inside columns */
        if (ox >= out_w) break;
        copy_window(d, cw->x, in_plane, n, r * sh - d->pad_top, tall, ox * sw - d->pad_left,
                    span_w, scratch);
        ep_conv_desc dp = *d;
        dp.in_h = tall;
        dp.in_w = span_w;
        dp.stride_w = sh * span_w;
        dp.out_h = 1;
        dp.out_w = rows;
        ep_nchwc_window c = *cw;
        c.x = scratch;
        c.x_block_stride = (size_t)tall * (size_t)span_w * BLOCK;
        c.y = out;
        c.y_block_stride = (size_t)rows * BLOCK;
        c.y_nchw = false;
        c.cols = rows;
        k->window_rows(&dp, &c, 0, 1);
        /* Into the output column. */
        for (int j = 0; j < cw->nb; j++) {
          const float* src = out + (size_t)j * (size_t)rows * BLOCK;
          float* yb = cw->y + (size_t)j * cw->y_block_stride + (size_t)ox * px;
          for (int i = 0; i < rows; i++, src += BLOCK) {
            float* yp = yb + (size_t)(r + i) * (size_t)out_w * px;
            if (cw->y_nchw) {
              const size_t out_plane = (size_t)d->out_h * (size_t)out_w;
              for (int ch = 0; ch < BLOCK; ch++) yp[(size_t)ch * out_plane] = src[ch];
            } else {
              memcpy(yp, src, BLOCK * sizeof *yp);
            }
          }
        }
      }
    }
    oy = end;
  }
}

size_t ep_nchwc_conv_workspace_size(const ep_conv_desc* d) {
  const nchwc_kind kind = kind_of(d);
  /* The direct kernel's tap lists (int32, as many as floats). */
  if (kind == NCHWC_DIRECT) return padded_floats(d) + EP_NCHWC_DIRECT_SCRATCH(taps_of(d));
  /* The depthwise kernel's padded rows. */
  if (kind == NCHWC_DEPTHWISE) return ep_nchwc_depthwise_scratch(d);
  /* The window kernel's padded input, shared (the first worker's share), or its border rows or
   * columns, padded, per worker. */
  if (kind == NCHWC_WINDOW) {
    return window_in_place(d) ? window_border_floats(d) : padded_floats(d);
  }
  /* A strided pointwise layer's kept pixels, shared by the workers (the first one's share). */
  if (kind == NCHWC_POINTWISE && strided(d) && !strided_in_place(d)) {
    return (size_t)d->batch * (size_t)d->in_channels * (size_t)d->out_h * (size_t)d->out_w;
  }
  return 0;
}

/* --- pointwise cells ------------------------------------------------------------------------ */

typedef struct pointwise_job {
  const ep_conv_desc* d;
  const float* packed;
  const float* x;
  const float* residual;
  float* y;
  size_t cells, tm, tn;
  size_t pairs_per_cell, pixels_per_cell;
} pointwise_job;

static void pointwise_items(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const pointwise_job* job = ctx;
  const ep_nchwc_kernels* k = kernels();
  const ep_conv_desc* d = job->d;
  const size_t cin = (size_t)d->in_channels, cout = (size_t)d->out_channels;
  const size_t pixels = (size_t)d->out_h * (size_t)d->out_w, blocks = cout / BLOCK;
  const bool x_stride2 = strided(d);  /* run_pointwise's callers: only strided_in_place */
  const size_t x_pixels = x_stride2 ? (size_t)d->in_h * (size_t)d->in_w : pixels;
  for (size_t item = begin; item < end; item++) {
    const size_t image = item / job->cells, cell = item % job->cells;
    const size_t ob0 = cell / job->tn * job->pairs_per_cell * 2;
    const size_t p0 = cell % job->tn * job->pixels_per_cell;
    const size_t ob1 =
        ob0 + job->pairs_per_cell * 2 < blocks ? ob0 + job->pairs_per_cell * 2 : blocks;
    const size_t p1 = p0 + job->pixels_per_cell < pixels ? p0 + job->pixels_per_cell : pixels;
    const ep_nchwc_pointwise pw = {
        .x = job->x + image * cin * x_pixels,
        .w = job->packed,
        .bias = job->packed + cout * cin,
        .residual = job->residual != NULL ? job->residual + image * cout * pixels : NULL,
        .y = job->y + image * cout * pixels,
        .cin = cin,
        .cout = cout,
        .pixels = pixels,
        .x_nchw = d->in_layout == EP_LAYOUT_NCHW,
        .y_nchw = d->out_layout == EP_LAYOUT_NCHW,
        .x_stride2 = x_stride2,
        .x_w = (size_t)d->in_w,
        .x_plane = x_pixels * BLOCK,
        .out_w = (size_t)d->out_w,
        .act = d->act,
    };
    if (k->pointwise_cell != NULL) k->pointwise_cell(&pw, ob0, ob1, p0, p1);
  }
}

static void run_pointwise(const ep_conv_desc* d, const float* packed, const float* x,
                          const float* residual, float* y, ep_threadpool* pool) {
  const size_t threads = (size_t)ep_threadpool_threads(pool);
  const size_t cells = (size_t)d->batch >= ITEMS_PER_THREAD * threads ? 1 : threads;
  const size_t pairs = ((size_t)d->out_channels / BLOCK + 1) / 2;
  const size_t tiles = ((size_t)d->out_h * (size_t)d->out_w + PW_TILE - 1) / PW_TILE;
  const size_t cin = (size_t)d->in_channels;
  size_t best_tm = 1, best_cost = (size_t)-1;
  /* The largest cell's multiply-adds and the floats it reads once (input and weights, each
   * weighed as READ_COST multiply-adds): layers with few weights and many pixels split pixels,
   * so that each worker reads half the input, layers with more weights than pixels split
   * channels. */
  for (size_t tm = 1; tm <= cells; tm++) {
    if (cells % tm != 0) continue;
    const size_t tn = cells / tm;
    const size_t channels = (pairs + tm - 1) / tm * 2 * BLOCK;
    const size_t pixels = (tiles + tn - 1) / tn * PW_TILE;
    const size_t cost = channels * pixels * cin + READ_COST * (channels + pixels) * cin;
    if (cost <= best_cost) {
      best_cost = cost;
      best_tm = tm;
    }
  }
  const size_t tn = cells / best_tm;
  pointwise_job job = {
      .d = d,
      .packed = packed,
      .x = x,
      .residual = residual,
      .y = y,
      .cells = cells,
      .tm = best_tm,
      .tn = tn,
      .pairs_per_cell = (pairs + best_tm - 1) / best_tm,
      .pixels_per_cell = (tiles + tn - 1) / tn * PW_TILE,
  };
  ep_threadpool_parallel_for(pool, (size_t)d->batch * cells, 1, pointwise_items, &job);
}

/* Keeps every stride-th pixel of x (in_layout) in xs, laid out alike: items are (image, channel
 * or block, output row). */
typedef struct subsample_job {
  const ep_conv_desc* d;
  const float* x;
  float* xs;
  size_t planes; /* per image: channels (NCHW) or blocks (NCHW8c) */
} subsample_job;

static void subsample_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const subsample_job* job = ctx;
  const ep_conv_desc* d = job->d;
  const size_t lanes = d->in_layout == EP_LAYOUT_NCHW8C ? BLOCK : 1;
  const size_t in_w = (size_t)d->in_w, out_w = (size_t)d->out_w, out_h = (size_t)d->out_h;
  const size_t in_plane = (size_t)d->in_h * in_w * lanes, out_plane = out_h * out_w * lanes;
  const size_t sh = (size_t)d->stride_h, sw = (size_t)d->stride_w;
  for (size_t item = begin; item < end; item++) {
    const size_t plane = item / out_h, oy = item % out_h;
    const float* src = job->x + plane * in_plane + oy * sh * in_w * lanes;
    float* dst = job->xs + plane * out_plane + oy * out_w * lanes;
    if (lanes == BLOCK) {
      for (size_t ox = 0; ox < out_w; ox++) {
        memcpy(dst + ox * BLOCK, src + ox * sw * BLOCK, BLOCK * sizeof *dst);
      }
    } else {
      for (size_t ox = 0; ox < out_w; ox++) dst[ox] = src[ox * sw];
    }
  }
}

static void run_strided_pointwise(const ep_conv_desc* d, const float* packed, const float* x,
                                  const float* residual, float* y, float* xs,
                                  ep_threadpool* pool) {
  const size_t planes = (size_t)d->batch * (size_t)d->in_channels /
                        (d->in_layout == EP_LAYOUT_NCHW8C ? BLOCK : 1);
  subsample_job job = {d, x, xs, planes};
  ep_threadpool_parallel_for(pool, planes * (size_t)d->out_h, 4, subsample_rows, &job);
  ep_conv_desc unit = *d;
  unit.in_h = d->out_h;
  unit.in_w = d->out_w;
  unit.stride_h = unit.stride_w = 1;
  run_pointwise(&unit, packed, xs, residual, y, pool);
}

/* --- depthwise and direct rows ------------------------------------------------------------- */

typedef struct pad_job {
  const ep_conv_desc* d;
  const float* x;
  float* xp;
  size_t h, w;  /* padded plane */
  size_t lanes; /* floats per pixel: 1 (NCHW) or 8 (NCHW8c) */
} pad_job;

/* Items are (image and channel or block, padded row). */
static void pad_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const pad_job* job = ctx;
  const ep_conv_desc* d = job->d;
  const size_t lanes = job->lanes, row = job->w * lanes;
  const size_t in_h = (size_t)d->in_h, in_w = (size_t)d->in_w * lanes;
  const size_t top = (size_t)d->pad_top, left = (size_t)d->pad_left * lanes;
  for (size_t item = begin; item < end; item++) {
    const size_t plane = item / job->h, r = item % job->h;
    float* dst = job->xp + item * row;
    if (r < top || r >= top + in_h) {
      memset(dst, 0, row * sizeof *dst);
      continue;
    }
    memset(dst, 0, left * sizeof *dst);
    memcpy(dst + left, job->x + (plane * in_h + r - top) * in_w, in_w * sizeof *dst);
    memset(dst + left + in_w, 0, (row - left - in_w) * sizeof *dst);
  }
}

typedef struct rows_job {
  const ep_conv_desc* d;
  const float* packed;
  const float* x;
  float* y;
  nchwc_kind kind;
  size_t groups; /* per image: blocks (depthwise), block pairs (direct), units (window) */
  size_t run;    /* window: output blocks per run (window_run) */
  size_t band;   /* window: output rows per band (window_band_items) */
  float* workspace;
  size_t workspace_stride;
} rows_job;

/* Items are (image, group, output row); a run of rows of one group is one kernel call. */
static void rows_items(void* ctx, size_t begin, size_t end, int worker) {
  const rows_job* job = ctx;
  const ep_nchwc_kernels* k = kernels();
  /* The workspace is floats; the direct kernel keeps int32 tap lists there, never read as
   * floats. */
  int32_t* scratch = (int32_t*)(job->workspace + (size_t)worker * job->workspace_stride);
  const ep_conv_desc* d = job->d;
  const size_t out_h = (size_t)d->out_h;
  const size_t in_plane = (size_t)d->in_h * (size_t)d->in_w;
  const size_t out_plane = (size_t)d->out_h * (size_t)d->out_w * BLOCK;
  const size_t taps = taps_of(d), cout = (size_t)d->out_channels;
  const float* bias = job->packed + weight_floats(d);
  for (size_t item = begin; item < end;) {
    const size_t image = item / (job->groups * out_h);
    const size_t group = item / out_h % job->groups;
    const size_t oy0 = item % out_h;
    size_t oy1 = oy0 + (end - item);
    if (oy1 > out_h) oy1 = out_h;
    item += oy1 - oy0;
    if (job->kind == NCHWC_WINDOW && k->window_rows != NULL) {
      int nb;
      const size_t ob = window_unit(job->run, group, &nb), blocks = cout / BLOCK;
      size_t ib0;
      const size_t n = block_inputs(d, ob, &ib0);
      const size_t in_blocks = (size_t)d->in_channels / BLOCK, block_floats = window_block_floats(d);
      const ep_nchwc_window cw = {
          .x = job->x + (image * in_blocks + ib0) * in_plane * BLOCK,
          .x_block_stride = in_plane * BLOCK,
          .in_blocks = (int)n,
          .w = job->packed + ob * block_floats,
          .bias = bias + ob * BLOCK,
          .y = job->y + (image * blocks + ob) * out_plane,
          .y_block_stride = out_plane,
          .nb = nb,
          .cols = d->out_w,
          .y_nchw = d->out_layout == EP_LAYOUT_NCHW,
          .quads = window_quads(d),
          .act = d->act,
      };
      window_unit_rows(k, d, &cw, (int)oy0, (int)oy1, (float*)scratch);
    } else if (job->kind == NCHWC_DIRECT && k->direct_rows != NULL) {
      const size_t ob = group * 2;
      const int nb = ob + 1 < cout / BLOCK ? 2 : 1;
      k->direct_rows(
          d, d->in_channels, job->x + image * (size_t)d->in_channels * in_plane,
          job->packed + ob * BLOCK * taps, nb, bias + ob * BLOCK, d->act,
          job->y + (image * cout / BLOCK + ob) * out_plane, out_plane, (int)oy0, (int)oy1, scratch);
    } else if (job->kind == NCHWC_DEPTHWISE && k->depthwise_rows != NULL) {
      const size_t block = image * job->groups + group;
      k->depthwise_rows(d, job->x + block * in_plane * BLOCK, job->packed + group * taps * BLOCK,
                        bias + group * BLOCK, d->act, job->y + block * out_plane, (int)oy0,
                        (int)oy1, (float*)scratch);
    }
  }
}

/* A window unit whose input blocks hold more than WINDOW_BAND_BYTES runs its rows in bands of
 * WINDOW_BAND_ROWS, each band for every unit of the worker's range before the next band, so
 * that the units of a group (which read the same input blocks) find a band's input in L2,
 * where unit by unit each streamed the group's whole input again from L3 or memory. RegNetY-16GF's
 * 224-channel stride-2 layer on 112x112 (2 groups of 7 block pairs, 5.6 MB of input per group),
 * one Zen 4 core, best of 8 in each of 2 rounds: 15.6 / 16.1 -> 14.4 / 14.1 ms with bands of 4
 * rows (14.6 / 14.4 with 8; ORT's profiler: 14.7), its 56x56 stride-1 layer 13.35 / 13.18 ->
 * 13.09 / 13.04; 14x14 layers (131 KB per unit) unchanged either way, so they keep whole runs. */
enum { WINDOW_BAND_BYTES = 512 * 1024, WINDOW_BAND_ROWS = 4 };

static void window_band_items(void* ctx, size_t begin, size_t end, int worker) {
  const rows_job* job = ctx;
  const size_t out_h = (size_t)job->d->out_h, band = job->band;
  for (size_t b = 0; b < out_h; b += band) {
    /* Each (image, unit) run of rows in the range: its rows of this band. */
    for (size_t run = begin - begin % out_h; run < end; run += out_h) {
      size_t lo = run + b, hi = run + (b + band < out_h ? b + band : out_h);
      if (lo < begin) lo = begin;
      if (hi > end) hi = end;
      if (lo < hi) rows_items(ctx, lo, hi, worker);
    }
  }
}

void ep_nchwc_conv_run(const ep_conv_desc* d, const float* packed, const float* x,
                       const float* residual, float* y, float* workspace, size_t workspace_stride,
                       ep_threadpool* pool) {
  const nchwc_kind kind = kind_of(d);
  if (kind == NCHWC_POINTWISE && strided(d) && !strided_in_place(d)) {
    run_strided_pointwise(d, packed, x, residual, y, workspace, pool);
    return;
  }
  if (kind == NCHWC_POINTWISE) {
    run_pointwise(d, packed, x, residual, y, pool);
    return;
  }
  if (residual != NULL) {
    /* y and the residual share a layout: one elementwise pass adds it, then activates. */
    ep_conv_desc plain = *d;
    plain.act = EP_ACT_NONE;
    ep_nchwc_conv_run(&plain, packed, x, NULL, y, workspace, workspace_stride, pool);
    ep_add_run((size_t)d->batch * (size_t)d->out_channels * (size_t)d->out_h * (size_t)d->out_w, y,
               residual, d->act, y, pool);
    return;
  }
  const size_t blocks = (size_t)d->out_channels / BLOCK;
  ep_conv_desc unpadded = *d;
  size_t ph = 0, pw = 0;
  if (kind == NCHWC_DIRECT || (kind == NCHWC_WINDOW && !window_in_place(d))) {
    padded_dims(d, &ph, &pw);
  }
  if (ph > 0) {
    /* The padded copy at the start of the workspace; the workers' tap lists after it. */
    const size_t lanes = kind == NCHWC_WINDOW ? BLOCK : 1;
    pad_job pj = {d, x, workspace, ph, pw, lanes};
    ep_threadpool_parallel_for(pool, (size_t)d->batch * (size_t)d->in_channels / lanes * ph, 16,
                               pad_rows, &pj);
    unpadded.in_h = (int)ph;
    unpadded.in_w = (int)pw;
    unpadded.pad_top = unpadded.pad_left = 0;
    x = workspace;
    workspace += padded_floats(d);
  }
  const size_t run = kind == NCHWC_WINDOW ? window_run(d) : 1;
  rows_job job = {
      .d = &unpadded,
      .packed = packed,
      .x = x,
      .y = y,
      .kind = kind,
      .groups = kind == NCHWC_DIRECT   ? (blocks + 1) / 2
                : kind == NCHWC_WINDOW ? window_units(d, run)
                                       : blocks,
      .run = run,
      .workspace = workspace,
      .workspace_stride = workspace_stride,
  };
  size_t ib0;
  const size_t unit_bytes = (kind == NCHWC_WINDOW && !window_quads(d) ? block_inputs(d, 0, &ib0) : 1) *
                            (size_t)unpadded.in_h * (size_t)unpadded.in_w * BLOCK * sizeof(float);
  const bool banded = kind == NCHWC_WINDOW && unit_bytes > WINDOW_BAND_BYTES &&
                      d->out_h > WINDOW_BAND_ROWS;
  job.band = banded ? WINDOW_BAND_ROWS : (size_t)d->out_h;
  ep_threadpool_parallel_for(pool, (size_t)d->batch * job.groups * (size_t)d->out_h, 1,
                             banded ? window_band_items : rows_items, &job);
}

/* --- pooling and conversions ---------------------------------------------------------------- */

typedef struct pool_job {
  const ep_pool_desc* d;
  bool max;
  const float* x;
  float* y;
} pool_job;

/* Items are (image and block, output row); a run of rows of one block is one kernel call. */
static void pool_items(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const pool_job* job = ctx;
  const ep_nchwc_kernels* k = kernels();
  const ep_pool_desc* d = job->d;
  const size_t out_h = (size_t)d->out_h;
  const size_t in_plane = (size_t)d->in_h * (size_t)d->in_w * BLOCK;
  const size_t out_plane = out_h * (size_t)d->out_w * BLOCK;
  for (size_t item = begin; item < end;) {
    const size_t block = item / out_h, oy0 = item % out_h;
    size_t oy1 = oy0 + (end - item);
    if (oy1 > out_h) oy1 = out_h;
    item += oy1 - oy0;
    if (k->pool_rows != NULL) {
      k->pool_rows(d, job->max, job->x + block * in_plane, job->y + block * out_plane, (int)oy0,
                   (int)oy1);
    }
  }
}

void ep_nchwc_pool_run(const ep_pool_desc* d, bool max, const float* x, float* y,
                       ep_threadpool* pool) {
  pool_job job = {d, max, x, y};
  const size_t blocks = (size_t)d->batch * (size_t)d->channels / BLOCK;
  ep_threadpool_parallel_for(pool, blocks * (size_t)d->out_h, 2, pool_items, &job);
}

typedef struct gap_job {
  size_t hw;
  const float* x;
  float* y;
} gap_job;

/* The ISA level's block sum (ep_vmath block_sum: four chains of adds), else the portable loop. */
static void gap_blocks(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const gap_job* job = ctx;
  const float scale = 1.0f / (float)job->hw;
  const ep_vmath* vm = ep_vmath_get();
  if (vm != NULL) {
    for (size_t block = begin; block < end; block++) {
      vm->block_sum(job->hw, job->x + block * job->hw * BLOCK, scale, job->y + block * BLOCK);
    }
    return;
  }
  for (size_t block = begin; block < end; block++) {
    const float* x = job->x + block * job->hw * BLOCK;
    float sum[BLOCK] = {0};
    for (size_t p = 0; p < job->hw; p++) {
      for (int j = 0; j < BLOCK; j++) sum[j] += x[p * BLOCK + (size_t)j];
    }
    for (int j = 0; j < BLOCK; j++) job->y[block * BLOCK + (size_t)j] = sum[j] * scale;
  }
}

void ep_nchwc_global_avg_pool_run(int batch, int channels, size_t hw, const float* x, float* y,
                                  ep_threadpool* pool) {
  gap_job job = {hw, x, y};
  ep_threadpool_parallel_for(pool, (size_t)batch * (size_t)channels / BLOCK, 8, gap_blocks, &job);
}

/* Both directions: NCHW's 8 channel planes of a block and the block's NCHW8c plane occupy the
 * same range of floats. */
static void convert(int batch, int channels, size_t hw, const float* x, float* y, bool to_blocked) {
  const size_t blocks = (size_t)batch * (size_t)channels / BLOCK;
  for (size_t b = 0; b < blocks; b++) {
    const float* src = x + b * BLOCK * hw;
    float* dst = y + b * BLOCK * hw;
    for (size_t j = 0; j < BLOCK; j++) {
      for (size_t p = 0; p < hw; p++) {
        if (to_blocked) {
          dst[p * BLOCK + j] = src[j * hw + p];
        } else {
          dst[j * hw + p] = src[p * BLOCK + j];
        }
      }
    }
  }
}

void ep_nchwc_from_nchw(int batch, int channels, size_t hw, const float* x, float* y) {
  convert(batch, channels, hw, x, y, true);
}

void ep_nchwc_to_nchw(int batch, int channels, size_t hw, const float* x, float* y) {
  convert(batch, channels, hw, x, y, false);
}

/* Depthwise convolution, one plane per work item.
 *
 * Vector variants (AVX2, AVX-512F; dwconv-impl.h) copy the input plane with its zero padding
 * into the worker's scratch and then run without edge cases. The scalar variant works one output
 * row at a time: every tap adds a scaled input row segment to the output row, so the inner loop
 * is a contiguous (stride 1) or strided axpy over the row that compilers vectorize, and the
 * valid range of each tap is computed once instead of testing every pixel against the padding.
 * Strides above 2 take the scalar path at every level. */
#include "kernels/f32-dwconv/dwconv.h"

#include <string.h>

#include "kernels/config/kernel-config.h"
#include "kernels/window.h"

/* The vector plane function of the level in use for rows of out_w pixels, NULL for scalar
 * (the wide one where its rows fill its lanes as well: kernel-config.h). */
static ep_f32_dwconv_plane_fn plane_fn(size_t out_w) {
  const ep_kernel_config* c = ep_kernel_config_get();
  if (c->dwconv_plane_wide != NULL && ep_kernel_config_wide_pays(c, out_w)) {
    return c->dwconv_plane_wide;
  }
  return c->dwconv_plane;
}

/* Rows and columns of the padded plane: the input with its padding, and at least what the taps
 * of the last output row and column reach. */
static void padded_dims(const ep_conv_desc* d, size_t* rows, size_t* cols) {
  const size_t need_h = (size_t)(d->out_h - 1) * (size_t)d->stride_h +
                        (size_t)(d->kernel_h - 1) * (size_t)d->dilation_h + 1;
  const size_t need_w = (size_t)(d->out_w - 1) * (size_t)d->stride_w +
                        (size_t)(d->kernel_w - 1) * (size_t)d->dilation_w + 1;
  const size_t have_h = (size_t)d->pad_top + (size_t)d->in_h;
  const size_t have_w = (size_t)d->pad_left + (size_t)d->in_w;
  *rows = need_h > have_h ? need_h : have_h;
  *cols = need_w > have_w ? need_w : have_w;
}

size_t ep_f32_dwconv_workspace_size(const ep_conv_desc* d) {
  /* Reserved whatever the level, so that a plan made under one level runs under any. */
  size_t rows, cols;
  padded_dims(d, &rows, &cols);
  return rows * cols + EP_F32_DWCONV_SLACK;
}

bool ep_f32_dwconv_supports(const ep_conv_desc* d) {
  return d->groups == d->in_channels && d->out_channels % d->in_channels == 0;
}

size_t ep_f32_dwconv_packed_size(const ep_conv_desc* d) {
  return (size_t)d->out_channels * ((size_t)d->kernel_h * (size_t)d->kernel_w + 1);
}

void ep_f32_dwconv_pack(const ep_conv_desc* d, const float* w, const float* bias, float* packed) {
  const size_t taps = (size_t)d->out_channels * (size_t)d->kernel_h * (size_t)d->kernel_w;
  memcpy(packed, w, taps * sizeof *packed);
  for (int c = 0; c < d->out_channels; c++) {
    packed[taps + (size_t)c] = d->has_bias && bias != NULL ? bias[c] : 0.0f;
  }
}

typedef struct dwconv_job {
  const ep_conv_desc* d;
  const float* packed;
  const float* x;
  float* y;
  ep_f32_dwconv_plane_fn vector_plane; /* NULL: the scalar rows below */
  ep_f32_dwconv_plane plane;
  float* workspace;
  size_t workspace_stride;
} dwconv_job;

static void dwconv_planes(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const dwconv_job* job = ctx;
  const ep_conv_desc* d = job->d;
  const int kh = d->kernel_h, kw = d->kernel_w, sh = d->stride_h, sw = d->stride_w;
  const int in_h = d->in_h, in_w = d->in_w, out_h = d->out_h, out_w = d->out_w;
  const size_t multiplier = (size_t)(d->out_channels / d->in_channels);
  const size_t taps = (size_t)kh * (size_t)kw;
  const float* bias = job->packed + (size_t)d->out_channels * taps;
  for (size_t plane = begin; plane < end; plane++) {
    const size_t b = plane / (size_t)d->out_channels;
    const size_t co = plane % (size_t)d->out_channels;
    const size_t ci = co / multiplier;
    const float* w = job->packed + co * taps;
    const float* x = job->x + (b * (size_t)d->in_channels + ci) * (size_t)in_h * (size_t)in_w;
    float* y = job->y + plane * (size_t)out_h * (size_t)out_w;
    for (int oy = 0; oy < out_h; oy++) {
      float* restrict yrow = y + (size_t)oy * (size_t)out_w;
      for (int ox = 0; ox < out_w; ox++) yrow[ox] = bias[co];
      for (int ky = 0; ky < kh; ky++) {
        const int iy = oy * sh - d->pad_top + ky * d->dilation_h;
        if (iy < 0 || iy >= in_h) continue;
        const float* restrict xrow = x + (size_t)iy * (size_t)in_w;
        for (int kx = 0; kx < kw; kx++) {
          const float wv = w[ky * kw + kx];
          const int offset = kx * d->dilation_w - d->pad_left;
          int lo, hi;
          ep_window_valid_columns(offset, sw, in_w, out_w, &lo, &hi);
          /* x + offset may point before the row; index from the first valid column instead. */
          if (lo == hi) continue;
          const float* restrict src = xrow + (lo * sw + offset);
          float* restrict dst = yrow + lo;
          const int n = hi - lo;
          if (sw == 1) {
            for (int i = 0; i < n; i++) dst[i] += wv * src[i];
          } else if (sw == 2) {
            for (int i = 0; i < n; i++) dst[i] += wv * src[2 * i];
          } else {
            for (int i = 0; i < n; i++) dst[i] += wv * src[i * sw];
          }
        }
      }
      ep_activation_apply(d->act, yrow, (size_t)out_w);
    }
  }
}

static void dwconv_vector_planes(void* ctx, size_t begin, size_t end, int worker) {
  const dwconv_job* job = ctx;
  const ep_conv_desc* d = job->d;
  const size_t multiplier = (size_t)(d->out_channels / d->in_channels);
  const size_t taps = (size_t)d->kernel_h * (size_t)d->kernel_w;
  const size_t in_plane = (size_t)d->in_h * (size_t)d->in_w;
  const size_t out_plane = (size_t)d->out_h * (size_t)d->out_w;
  const float* bias = job->packed + (size_t)d->out_channels * taps;
  float* xp = job->workspace + (size_t)worker * job->workspace_stride;
  size_t padded_input = (size_t)-1; /* the input plane now in xp */
  for (size_t plane = begin; plane < end; plane++) {
    const size_t b = plane / (size_t)d->out_channels;
    const size_t co = plane % (size_t)d->out_channels;
    const size_t input = b * (size_t)d->in_channels + co / multiplier;
    /* Another op may have used the scratch since this worker's last chunk: zero it once per
     * chunk, then rewrite only the interior. */
    const float* x = input != padded_input ? job->x + input * in_plane : NULL;
    job->vector_plane(&job->plane, x, xp, plane == begin, job->packed + co * taps, bias[co],
                      job->y + plane * out_plane);
    padded_input = input;
  }
}

void ep_f32_dwconv_run(const ep_conv_desc* d, const float* packed, const float* x, float* y,
                       float* workspace, size_t workspace_stride, ep_threadpool* pool) {
  dwconv_job job = {.d = d, .packed = packed, .x = x, .y = y};
  if (d->stride_w <= 2 && workspace != NULL) job.vector_plane = plane_fn((size_t)d->out_w);
  const size_t planes = (size_t)d->batch * (size_t)d->out_channels;
  if (job.vector_plane == NULL) {
    ep_threadpool_parallel_for(pool, planes, 1, dwconv_planes, &job);
    return;
  }
  size_t rows, cols;
  padded_dims(d, &rows, &cols);
  job.plane = (ep_f32_dwconv_plane){
      .in_h = d->in_h,
      .in_w = d->in_w,
      .pad_top = d->pad_top,
      .pad_left = d->pad_left,
      .padded_rows = rows,
      .out_h = d->out_h,
      .out_w = d->out_w,
      .kernel_h = d->kernel_h,
      .kernel_w = d->kernel_w,
      .stride_h = d->stride_h,
      .stride_w = d->stride_w,
      .dilation_h = d->dilation_h,
      .dilation_w = d->dilation_w,
      .padded_w = cols,
      .act = d->act,
  };
  job.workspace = workspace;
  job.workspace_stride = workspace_stride;
  ep_threadpool_parallel_for(pool, planes, 1, dwconv_vector_planes, &job);
}

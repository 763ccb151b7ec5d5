/* The reference kernels against values worked out by hand, so that the fast kernels are
 * compared with something known to be right. */
#include <math.h>
#include <string.h>

#include "kernels/kernels.h"
#include "test_support.h"

static bool near(const float* got, const float* expect, size_t n, double tol) {
  for (size_t i = 0; i < n; i++) {
    if (fabs((double)got[i] - expect[i]) > tol) {
      fprintf(stderr, "  [%zu]: got %.7g, expected %.7g\n", i, got[i], expect[i]);
      return false;
    }
  }
  return true;
}

static ep_conv_desc conv_desc(int cin, int h, int w, int cout, int oh, int ow, int k, int stride,
                              int dilation, int pad, int groups) {
  return (ep_conv_desc){
      .batch = 1,
      .in_channels = cin,
      .in_h = h,
      .in_w = w,
      .out_channels = cout,
      .out_h = oh,
      .out_w = ow,
      .kernel_h = k,
      .kernel_w = k,
      .stride_h = stride,
      .stride_w = stride,
      .dilation_h = dilation,
      .dilation_w = dilation,
      .pad_top = pad,
      .pad_left = pad,
      .groups = groups,
  };
}

static void test_conv(void) {
  /* x = 1..9 as a 3x3 image. */
  const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  const float ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  float y[32];

  /* 2x2 box filter, valid: sums of each 2x2 block. */
  ep_conv_desc d = conv_desc(1, 3, 3, 1, 2, 2, 2, 1, 1, 0, 1);
  ep_ref_conv2d(&d, x, ones, NULL, y);
  EP_CHECK(near(y, (const float[]){12, 16, 24, 28}, 4, 0));

  /* 3x3 box filter with padding 1: sums of each pixel's neighbourhood. */
  d = conv_desc(1, 3, 3, 1, 3, 3, 3, 1, 1, 1, 1);
  ep_ref_conv2d(&d, x, ones, NULL, y);
  EP_CHECK(near(y, (const float[]){12, 21, 16, 27, 45, 33, 24, 39, 28}, 9, 0));

  /* Same with stride 2: the neighbourhood sums at the even positions only. */
  d = conv_desc(1, 3, 3, 1, 2, 2, 3, 2, 1, 1, 1);
  ep_ref_conv2d(&d, x, ones, NULL, y);
  EP_CHECK(near(y, (const float[]){12, 16, 24, 28}, 4, 0));

  /* Dilation 2 on a 3x3 kernel over 5x5 with pad 2: output (2,2) takes the corners and edge
   * midpoints of the image: x[r][c] = 5r + c + 1, taps at rows/cols {0, 2, 4}. */
  float x5[25];
  for (int i = 0; i < 25; i++) x5[i] = (float)(i + 1);
  d = conv_desc(1, 5, 5, 1, 5, 5, 3, 1, 2, 2, 1);
  ep_ref_conv2d(&d, x5, ones, NULL, y);
  /* centre: rows 0,2,4 x cols 0,2,4: (1+3+5) + (11+13+15) + (21+23+25) = 117 */
  EP_CHECK(fabsf(y[12] - 117.0f) == 0.0f);
  /* top-left: taps rows -2,0,2 x cols -2,0,2 -> (0,0),(0,2),(2,0),(2,2) = 1 + 3 + 11 + 13 */
  EP_CHECK(fabsf(y[0] - 28.0f) == 0.0f);

  /* Weights, bias and two output channels: w0 = identity at the centre tap (copies x), w1 =
   * -1 at the top-left tap (with pad 1, output (r, c) reads x[r-1][c-1]); bias 0.5 and -1. */
  float w[18] = {0};
  w[4] = 1.0f;
  w[9] = -1.0f;
  const float bias[2] = {0.5f, -1.0f};
  d = conv_desc(1, 3, 3, 2, 3, 3, 3, 1, 1, 1, 1);
  d.has_bias = true;
  ep_ref_conv2d(&d, x, w, bias, y);
  EP_CHECK(near(y, (const float[]){1.5f, 2.5f, 3.5f, 4.5f, 5.5f, 6.5f, 7.5f, 8.5f, 9.5f}, 9, 0));
  EP_CHECK(near(y + 9, (const float[]){-1, -1, -1, -1, -2, -3, -1, -5, -6}, 9, 0));

  /* The same with ReLU: the second channel is all zero. */
  d.act = EP_ACT_RELU;
  ep_ref_conv2d(&d, x, w, bias, y);
  EP_CHECK(near(y + 9, (const float[]){0, 0, 0, 0, 0, 0, 0, 0, 0}, 9, 0));

  /* Groups: two input channels (x and 2x), two groups of one channel, 1x1 weights 3 and 10:
   * channel 0 = 3x, channel 1 = 20x; a dense conv would mix them. */
  float x2[18];
  for (int i = 0; i < 9; i++) {
    x2[i] = x[i];
    x2[9 + i] = 2 * x[i];
  }
  d = conv_desc(2, 3, 3, 2, 3, 3, 1, 1, 1, 0, 2);
  ep_ref_conv2d(&d, x2, (const float[]){3, 10}, NULL, y);
  EP_CHECK(fabsf(y[4] - 15.0f) == 0.0f && fabsf(y[9 + 4] - 100.0f) == 0.0f);

  /* Dense 1x1 over the same two channels with weights (1, 1) and (1, -1): x + 2x, x - 2x. */
  d = conv_desc(2, 3, 3, 2, 3, 3, 1, 1, 1, 0, 1);
  ep_ref_conv2d(&d, x2, (const float[]){1, 1, 1, -1}, NULL, y);
  EP_CHECK(fabsf(y[8] - 27.0f) == 0.0f && fabsf(y[9 + 8] + 9.0f) == 0.0f);
}

static void test_fully_connected(void) {
  /* [1 2; 3 4] x [[1 0 -1], [2 1 0]]^T + [0.5, 0, 0]: rows (1, 3), (2, 4) dot weights. */
  const float x[4] = {1, 2, 3, 4};
  const float w[6] = {1, 0, /* unit 0 */ -1, 2, /* unit 1 */ 1, 0 /* unit 2 */};
  const float b[3] = {0.5f, 0, 0};
  float y[6];
  ep_fc_desc d = {.n = 2, .k = 2, .m = 3, .has_bias = true, .act = EP_ACT_NONE};
  ep_ref_fully_connected(&d, x, w, b, y);
  EP_CHECK(near(y, (const float[]){1.5f, 3, 1, 3.5f, 5, 3}, 6, 1e-6));
  d.n = 1;
  d.act = EP_ACT_SIGMOID;
  d.has_bias = false;
  ep_ref_fully_connected(&d, (const float[]){0, 0}, w, NULL, y);
  EP_CHECK(near(y, (const float[]){0.5f, 0.5f, 0.5f}, 3, 1e-7));
}

static void test_pool(void) {
  const float x[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  float y[9];
  ep_pool_desc d = {.batch = 1,
                    .channels = 1,
                    .in_h = 4,
                    .in_w = 4,
                    .out_h = 2,
                    .out_w = 2,
                    .kernel_h = 2,
                    .kernel_w = 2,
                    .stride_h = 2,
                    .stride_w = 2};
  ep_ref_max_pool(&d, x, y);
  EP_CHECK(near(y, (const float[]){6, 8, 14, 16}, 4, 0));
  ep_ref_avg_pool(&d, x, y);
  EP_CHECK(near(y, (const float[]){3.5f, 5.5f, 11.5f, 13.5f}, 4, 0));
  /* 3x3 stride 2 pad 1 over 4x4 -> 2x2: the top-left window holds 1, 2, 5, 6 (4 values). */
  d = (ep_pool_desc){.batch = 1,
                     .channels = 1,
                     .in_h = 4,
                     .in_w = 4,
                     .out_h = 2,
                     .out_w = 2,
                     .kernel_h = 3,
                     .kernel_w = 3,
                     .stride_h = 2,
                     .stride_w = 2,
                     .pad_top = 1,
                     .pad_left = 1};
  ep_ref_avg_pool(&d, x, y);
  EP_CHECK(fabsf(y[0] - 3.5f) < 1e-6f);
  d.count_include_pad = true;
  ep_ref_avg_pool(&d, x, y);
  EP_CHECK(fabsf(y[0] - 14.0f / 9.0f) < 1e-6f);
  ep_ref_max_pool(&d, x, y);
  EP_CHECK(near(y, (const float[]){6, 8, 14, 16}, 4, 0));
  ep_ref_global_avg_pool(1, 1, 16, x, y);
  EP_CHECK(fabsf(y[0] - 8.5f) < 1e-6f);
}

static void test_elementwise(void) {
  float y[4];
  ep_ref_softmax(1, 3, (const float[]){0, 0, 0}, y);
  EP_CHECK(near(y, (const float[]){1.0f / 3, 1.0f / 3, 1.0f / 3}, 3, 1e-7));
  /* Shifting every input by a constant changes nothing, even far beyond exp's range. */
  ep_ref_softmax(1, 2, (const float[]){1000, 1001}, y);
  EP_CHECK(near(y, (const float[]){0.26894142f, 0.73105858f}, 2, 1e-7));
  ep_ref_add(3, (const float[]){1, -5, 3}, (const float[]){2, 1, 5}, EP_ACT_RELU6, y);
  EP_CHECK(near(y, (const float[]){3, 0, 6}, 3, 0));
  ep_ref_activation(EP_ACT_TANH, 2, (const float[]){0, 1}, y);
  EP_CHECK(near(y, (const float[]){0, 0.7615942f}, 2, 1e-7));
  /* (x - mean) / sqrt(var + eps) * scale + bias with var + eps = 4. */
  ep_ref_batch_norm(1, 2, 2, (const float[]){1, 3, 10, 20}, (const float[]){2, 1},
                    (const float[]){1, 0}, (const float[]){1, 10}, (const float[]){3.5f, 99.5f},
                    0.5f, y);
  EP_CHECK(near(y, (const float[]){1, 3, 0, 1}, 4, 1e-6));
  float z[6];
  const float a[4] = {1, 2, 3, 4}, b[2] = {5, 6};
  ep_ref_concat(2, 2, (const float* const[]){a, b}, (const size_t[]){2, 1}, z);
  EP_CHECK(near(z, (const float[]){1, 2, 5, 3, 4, 6}, 6, 0));
}

static void test_lstm(void) {
  /* One unit, one input, two steps; W = (1, 1, 1, 1), R = 0, no bias, x = (0, 1):
   * step 0: all gate inputs 0: i = o = f = 0.5, g = 0 -> c = 0, h = 0.
   * step 1: gate inputs 1: i = o = f = s(1), g = tanh(1) -> c = s(1) tanh(1), h = s(1) tanh(c).
   * R is irrelevant at step 1 here only because h_0 = 0; a second case checks R. */
  const float w[4] = {1, 1, 1, 1};
  const float r0[4] = {0, 0, 0, 0};
  float y[3];
  ep_lstm_desc d = {.seq_len = 2, .batch = 1, .input_size = 1, .hidden_size = 1};
  ep_ref_lstm(&d, (const float[]){0, 1}, w, r0, NULL, y);
  const double s1 = 1.0 / (1.0 + exp(-1.0));
  const double c1 = s1 * tanh(1.0);
  EP_CHECK(fabsf(y[0]) < 1e-7f);
  EP_CHECK(fabs(y[1] - s1 * tanh(c1)) < 1e-6);
  /* Bias 1 on every gate, x = 0, R = 1 everywhere, three steps:
   * step 0: gates 1 -> c0 = s(1) tanh(1), h0 = s(1) tanh(c0);
   * step 1: gates 1 + h0 -> c1 = s(a) c0 + s(a) tanh(a), h1 = s(a) tanh(c1), a = 1 + h0. */
  const float ones[4] = {1, 1, 1, 1};
  d.seq_len = 3;
  d.has_bias = true;
  ep_ref_lstm(&d, (const float[]){0, 0, 0}, w, ones, ones, y);
  const double h0 = s1 * tanh(c1);
  const double a1 = 1.0 + h0;
  const double sa = 1.0 / (1.0 + exp(-a1));
  const double c2 = sa * c1 + sa * tanh(a1);
  EP_CHECK(fabs(y[0] - h0) < 1e-6);
  EP_CHECK(fabs(y[1] - sa * tanh(c2)) < 1e-6);
}

int main(void) {
  test_conv();
  test_fully_connected();
  test_pool();
  test_elementwise();
  test_lstm();
  return ep_test_finish();
}

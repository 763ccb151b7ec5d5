/* Every backend of this build against the naive reference kernels (ggml's test-backend-ops is
 * the model): one-node graphs of every op a backend may run, on random shapes and attributes and
 * on the edge cases (1x1, odd sizes, asymmetric pads, strides, groups, depthwise, dilation, every
 * fused activation, residuals, broadcasting, softmax axes, ceil mode, ...), each run with the
 * backend asked for at 1 and 2 threads. A node the backend declines runs on the CPU backend (the
 * session says which ran it): the result must be right either way, and the test prints per
 * backend and op how many cases ran natively. oneDNN's convolutions run both ways: in the
 * formats oneDNN chooses (the default) and on plain NCHW (EDGEPROF_ONEDNN_LAYOUT=nchw). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/graph.h"
#include "edgeprof/session.h"
#include "kernels/kernels.h"
#include "kernels/tensor_ops.h"
#include "test_support.h"

enum { MAX_IO = 8, MAX_CASES = 400, MAX_BACKENDS = 8 };

typedef struct bcase {
  char name[96];
  ep_op op;
  ep_attrs attrs;
  int n_inputs;
  ep_shape shape[MAX_IO];
  bool constant[MAX_IO];
  bool absent[MAX_IO];
  float lo[MAX_IO], hi[MAX_IO]; /* range of the random values */
  int n_outputs;
} bcase;

static bcase cases[MAX_CASES];
static int n_cases;
static ep_test_rng rng = {20180601};

static int rnd(int lo, int hi) { return ep_test_rng_int(&rng, lo, hi); }

static ep_shape shape4(int64_t n, int64_t c, int64_t h, int64_t w) {
  return ep_shape_make(4, (int64_t[]){n, c, h, w});
}

static bcase* add_case(ep_op op, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
static bcase* add_case(ep_op op, const char* fmt, ...) {
  if (n_cases == MAX_CASES) return NULL;
  bcase* c = &cases[n_cases++];
  memset(c, 0, sizeof *c);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->name, sizeof c->name, fmt, ap);
  va_end(ap);
  c->op = op;
  c->attrs = ep_attrs_default(op);
  c->n_outputs = 1;
  for (int i = 0; i < MAX_IO; i++) {
    c->lo[i] = -1.0f;
    c->hi[i] = 1.0f;
  }
  return c;
}

static void input(bcase* c, ep_shape shape, bool constant) {
  c->shape[c->n_inputs] = shape;
  c->constant[c->n_inputs] = constant;
  c->n_inputs++;
}

static void absent_input(bcase* c) {
  c->absent[c->n_inputs] = true;
  c->n_inputs++;
}

/* --- the cases ------------------------------------------------------------------------------ */

static const ep_activation acts[] = {EP_ACT_NONE,       EP_ACT_RELU,        EP_ACT_RELU6,
                                     EP_ACT_SIGMOID,    EP_ACT_TANH,        EP_ACT_SILU,
                                     EP_ACT_HARD_SWISH, EP_ACT_HARD_SIGMOID};
#define N_ACTS ((int)(sizeof acts / sizeof acts[0]))

static void conv_case(const char* tag, int n, int cin, int cout, int h, int w, int kh, int kw,
                      int sh, int sw, int dh, int dw, const int pad[4], int group, bool bias,
                      bool residual, ep_activation act) {
  int64_t eh = (int64_t)(kh - 1) * dh + 1, ew = (int64_t)(kw - 1) * dw + 1;
  int64_t oh = (h + pad[0] + pad[2] - eh) / sh + 1, ow = (w + pad[1] + pad[3] - ew) / sw + 1;
  if (h + pad[0] + pad[2] < eh || w + pad[1] + pad[3] < ew || oh < 1 || ow < 1) return;
  bcase* c = add_case(EP_OP_CONV, "%s conv %dx%dx%dx%d->%d k%dx%d s%d,%d d%d,%d p%d,%d,%d,%d g%d%s%s %s",
                      tag, n, cin, h, w, cout, kh, kw, sh, sw, dh, dw, pad[0], pad[1], pad[2],
                      pad[3], group, bias ? " bias" : "", residual ? " residual" : "",
                      ep_activation_name(act));
  if (c == NULL) return;
  c->attrs = (ep_attrs){.kernel = {kh, kw}, .stride = {sh, sw}, .dilation = {dh, dw},
                        .pad = {pad[0], pad[1], pad[2], pad[3]}, .group = group, .act = act};
  input(c, shape4(n, cin, h, w), false);
  input(c, shape4(cout, cin / group, kh, kw), true);
  c->lo[1] = -0.5f, c->hi[1] = 0.5f;
  if (bias) {
    input(c, ep_shape_make(1, (int64_t[]){cout}), true);
  } else if (residual) {
    absent_input(c);
  }
  if (residual) input(c, shape4(n, cout, oh, ow), false);
}

static void conv_cases(void) {
  const int p0[4] = {0, 0, 0, 0}, p1[4] = {1, 1, 1, 1}, p3[4] = {3, 3, 3, 3};
  const int pasym[4] = {0, 1, 2, 0}, pbig[4] = {2, 0, 1, 3};
  conv_case("edge", 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, p0, 1, false, false, EP_ACT_NONE);
  conv_case("edge", 1, 3, 5, 1, 1, 3, 3, 1, 1, 1, 1, p1, 1, true, false, EP_ACT_RELU);
  conv_case("stem", 1, 3, 8, 23, 21, 7, 7, 2, 2, 1, 1, p3, 1, true, false, EP_ACT_RELU);
  conv_case("1x1", 2, 16, 24, 7, 5, 1, 1, 1, 1, 1, 1, p0, 1, true, true, EP_ACT_RELU);
  conv_case("1x1/2", 1, 16, 32, 9, 9, 1, 1, 2, 2, 1, 1, p0, 1, false, false, EP_ACT_NONE);
  conv_case("3x3", 1, 8, 8, 6, 6, 3, 3, 1, 1, 1, 1, p1, 1, false, true, EP_ACT_NONE);
  conv_case("asym", 1, 5, 7, 11, 9, 3, 3, 2, 1, 1, 1, pasym, 1, true, false, EP_ACT_RELU6);
  conv_case("asym", 1, 4, 6, 10, 7, 3, 2, 1, 2, 1, 1, pbig, 1, true, true, EP_ACT_SIGMOID);
  conv_case("dw", 1, 32, 32, 14, 14, 3, 3, 1, 1, 1, 1, p1, 32, true, false, EP_ACT_RELU6);
  conv_case("dw/2", 1, 16, 16, 15, 15, 3, 3, 2, 2, 1, 1, p1, 16, true, false, EP_ACT_RELU6);
  conv_case("dw x2", 1, 8, 16, 9, 9, 3, 3, 1, 1, 1, 1, p1, 8, true, false, EP_ACT_TANH);
  conv_case("grouped", 2, 12, 18, 8, 8, 3, 3, 1, 1, 1, 1, p1, 3, true, true, EP_ACT_RELU);
  conv_case("dilated", 1, 6, 4, 13, 12, 3, 3, 1, 1, 2, 3, pbig, 1, true, false, EP_ACT_NONE);
  conv_case("dilated dw", 1, 8, 8, 12, 12, 3, 3, 2, 1, 2, 2, p1, 8, false, true, EP_ACT_RELU);
  conv_case("unread rows", 1, 4, 4, 8, 8, 3, 3, 2, 2, 1, 1, p0, 1, true, false, EP_ACT_NONE);
  conv_case("5x5 s3", 1, 3, 4, 17, 16, 5, 5, 3, 3, 1, 1, pasym, 1, true, false, EP_ACT_NONE);
  /* More than one 32 x 32 tile of channels and pixels (the XNNPACK backend's NHWC transposes). */
  conv_case("tiles", 1, 40, 48, 9, 11, 3, 3, 1, 1, 1, 1, p1, 1, true, false, EP_ACT_RELU);
  for (int i = 0; i < 40; i++) {
    int kh = rnd(1, 5), kw = rnd(1, 5), dh = rnd(1, 2), dw = rnd(1, 2);
    int pad[4] = {rnd(0, kh - 1), rnd(0, kw - 1), rnd(0, kh - 1), rnd(0, kw - 1)};
    int kind = rnd(0, 2), group = 1, cin = rnd(1, 12), cout = rnd(1, 12);
    if (kind == 1) { /* depthwise, channel multiplier 1 or 2 */
      group = cin;
      cout = cin * rnd(1, 2);
    } else if (kind == 2) {
      group = rnd(1, 4);
      cin = group * rnd(1, 4);
      cout = group * rnd(1, 4);
    }
    conv_case("random", rnd(1, 2), cin, cout, rnd(1, 16), rnd(1, 16), kh, kw, rnd(1, 3), rnd(1, 3),
              dh, dw, pad, group, rnd(0, 1), rnd(0, 1), acts[rnd(0, N_ACTS - 1)]);
  }
}

static void fc_cases(void) {
  const int dims[][3] = {{1, 1, 1}, {1, 2048, 10}, {3, 17, 5}, {4, 64, 33}, {2, 7, 129}};
  for (int i = 0; i < 5; i++) {
    for (int b = 0; b < 2; b++) {
      ep_activation act = acts[(i + b) % N_ACTS];
      bcase* c = add_case(EP_OP_FULLY_CONNECTED, "fc %dx%d->%d%s %s", dims[i][0], dims[i][1],
                          dims[i][2], b ? " bias" : "", ep_activation_name(act));
      if (c == NULL) return;
      c->attrs.act = act;
      input(c, ep_shape_make(2, (int64_t[]){dims[i][0], dims[i][1]}), false);
      input(c, ep_shape_make(2, (int64_t[]){dims[i][2], dims[i][1]}), true);
      c->lo[1] = -0.2f, c->hi[1] = 0.2f;
      if (b) input(c, ep_shape_make(1, (int64_t[]){dims[i][2]}), true);
    }
  }
}

static void pool_case(ep_op op, const char* tag, int c_, int h, int w, int kh, int kw, int sh,
                      int sw, const int pad[4], int dil, bool ceil, bool include_pad) {
  bcase* c = add_case(op, "%s %s %dx%dx%d k%dx%d s%d,%d p%d,%d,%d,%d d%d%s%s", tag, ep_op_name(op),
                      c_, h, w, kh, kw, sh, sw, pad[0], pad[1], pad[2], pad[3], dil,
                      ceil ? " ceil" : "", include_pad ? " count_include_pad" : "");
  if (c == NULL) return;
  c->attrs = (ep_attrs){.kernel = {kh, kw}, .stride = {sh, sw}, .dilation = {dil, dil},
                        .pad = {pad[0], pad[1], pad[2], pad[3]}, .ceil_mode = ceil,
                        .count_include_pad = include_pad};
  input(c, shape4(1, c_, h, w), false);
}

static void pool_cases(void) {
  const int p0[4] = {0, 0, 0, 0}, p1[4] = {1, 1, 1, 1}, pasym[4] = {0, 1, 1, 0};
  for (int m = 0; m < 2; m++) {
    ep_op op = m ? EP_OP_AVG_POOL : EP_OP_MAX_POOL;
    pool_case(op, "resnet", 8, 16, 16, 3, 3, 2, 2, p1, 1, false, false);
    pool_case(op, "1x1", 3, 1, 1, 1, 1, 1, 1, p0, 1, false, false);
    pool_case(op, "ceil", 4, 7, 8, 3, 3, 2, 2, p0, 1, true, false);
    pool_case(op, "ceil", 4, 7, 8, 3, 3, 2, 2, p1, 1, true, m == 1);
    pool_case(op, "pad", 5, 9, 6, 3, 2, 1, 2, pasym, 1, false, m == 1);
    pool_case(op, "pad", 5, 9, 6, 3, 3, 1, 1, p1, 1, false, m == 1);
    pool_case(op, "odd", 3, 13, 11, 2, 2, 2, 2, p0, 1, false, false);
    pool_case(op, "dilated", 2, 10, 10, 2, 2, 1, 1, p1, 2, false, false);
    pool_case(op, "inception", 8, 7, 7, 7, 7, 1, 1, p0, 1, false, false);
    pool_case(op, "dilated", 3, 11, 12, 3, 3, 1, 1, p0, 2, false, false); /* no padding */
    pool_case(op, "ceil", 4, 7, 8, 3, 3, 2, 2, p1, 1, true, false);
    pool_case(op, "tiles", 40, 9, 11, 3, 3, 2, 2, p1, 1, false, false);
    /* 1-D: x [N, C, W], the window in index 1 (kernel[0] = 1). */
    bcase* c1 = add_case(op, "1-D %s 3x17 k4 s2 p1,2 ceil", ep_op_name(op));
    if (c1 != NULL) {
      c1->attrs = (ep_attrs){.kernel = {1, 4}, .stride = {1, 2}, .pad = {0, 1, 0, 2},
                             .ceil_mode = true};
      input(c1, ep_shape_make(3, (int64_t[]){2, 3, 17}), false);
    }
    for (int i = 0; i < 10; i++) {
      int kh = rnd(1, 4), kw = rnd(1, 4);
      int pad[4] = {rnd(0, kh - 1), rnd(0, kw - 1), rnd(0, kh - 1), rnd(0, kw - 1)};
      int h = rnd(kh, 14), w = rnd(kw, 14);
      pool_case(op, "random", rnd(1, 6), h, w, kh, kw, rnd(1, 3), rnd(1, 3), pad, rnd(1, 2),
                rnd(0, 1), m == 1 && rnd(0, 1));
    }
  }
  const int64_t g[][4] = {{1, 8, 7, 7}, {2, 3, 1, 1}, {1, 5, 9, 4}, {1, 40, 9, 9}};
  for (int i = 0; i < 4; i++) {
    for (int m = 0; m < 2; m++) {
      ep_op op = m ? EP_OP_GLOBAL_AVG_POOL : EP_OP_GLOBAL_MAX_POOL;
      bcase* c = add_case(op, "%s %dx%dx%dx%d", ep_op_name(op), (int)g[i][0], (int)g[i][1],
                          (int)g[i][2], (int)g[i][3]);
      if (c != NULL) input(c, shape4(g[i][0], g[i][1], g[i][2], g[i][3]), false);
    }
  }
}

static void unary_cases(void) {
  const ep_op ops[] = {EP_OP_RELU, EP_OP_RELU6, EP_OP_SIGMOID, EP_OP_TANH, EP_OP_LEAKY_RELU,
                       EP_OP_CLIP};
  const ep_shape shapes[] = {ep_shape_make(1, (int64_t[]){1}), shape4(1, 3, 5, 7),
                             ep_shape_make(2, (int64_t[]){33, 65})};
  for (int o = 0; o < 6; o++) {
    for (int s = 0; s < 3; s++) {
      bcase* c = add_case(ops[o], "%s shape %d", ep_op_name(ops[o]), s);
      if (c == NULL) return;
      input(c, shapes[s], false);
      c->lo[0] = -8.0f, c->hi[0] = 8.0f; /* past Relu6's 6 */
      if (ops[o] == EP_OP_LEAKY_RELU && s == 1) c->attrs.alpha = 0.3f;
      if (ops[o] == EP_OP_CLIP && s == 1) c->attrs.clip_min = -0.5f, c->attrs.clip_max = 2.0f;
      if (ops[o] == EP_OP_CLIP && s == 2) c->attrs.clip_min = 0.0f; /* max +inf */
    }
  }
  bcase* c = add_case(EP_OP_CLIP, "Clip min > max");
  if (c != NULL) {
    input(c, shape4(1, 2, 3, 4), false);
    c->attrs.clip_min = 1.0f, c->attrs.clip_max = -1.0f;
  }
}

static void softmax_cases(void) {
  for (int log = 0; log < 2; log++) {
    ep_op op = log ? EP_OP_LOG_SOFTMAX : EP_OP_SOFTMAX;
    const int axes[] = {-1, 0, 1, 2, 3, -3};
    for (int a = 0; a < 6; a++) {
      for (int two_d = 0; two_d < 2; two_d++) {
        bcase* c = add_case(op, "%s axis %d%s", ep_op_name(op), axes[a], two_d ? " 2-D" : "");
        if (c == NULL) return;
        c->attrs.axis = axes[a];
        c->attrs.softmax_2d = two_d;
        input(c, shape4(2, 3, 4, 5), false);
        c->lo[0] = -10.0f, c->hi[0] = 10.0f;
      }
    }
    bcase* c = add_case(op, "%s 1x1000", ep_op_name(op));
    if (c != NULL) input(c, ep_shape_make(2, (int64_t[]){1, 1000}), false);
    c = add_case(op, "%s rank 1", ep_op_name(op));
    if (c != NULL) input(c, ep_shape_make(1, (int64_t[]){7}), false);
  }
}

static void lrn_cases(void) {
  const int sizes[] = {1, 3, 5, 4};
  for (int i = 0; i < 4; i++) {
    bcase* c = add_case(EP_OP_LRN, "LRN size %d", sizes[i]);
    if (c == NULL) return;
    c->attrs.size = sizes[i];
    if (i == 2) c->attrs.alpha = 0.5f, c->attrs.beta = 0.6f, c->attrs.lrn_bias = 2.0f;
    input(c, shape4(2, 16, 5, 3), false);
    c->lo[0] = -3.0f, c->hi[0] = 3.0f;
  }
  bcase* c = add_case(EP_OP_LRN, "LRN rank 3");
  if (c != NULL) {
    c->attrs.size = 3;
    input(c, ep_shape_make(3, (int64_t[]){1, 7, 9}), false);
  }
}

static void concat_cases(void) {
  /* Inception's channel concat, other axes, negative axes, one input, a constant input. */
  bcase* c = add_case(EP_OP_CONCAT, "concat channels x4");
  c->attrs.axis = 1;
  input(c, shape4(1, 8, 7, 7), false);
  input(c, shape4(1, 16, 7, 7), false);
  input(c, shape4(1, 3, 7, 7), false);
  input(c, shape4(1, 5, 7, 7), false);
  c = add_case(EP_OP_CONCAT, "concat axis 0");
  c->attrs.axis = 0;
  input(c, shape4(2, 3, 4, 5), false);
  input(c, shape4(1, 3, 4, 5), false);
  c = add_case(EP_OP_CONCAT, "concat axis -1 with a constant");
  c->attrs.axis = -1;
  input(c, ep_shape_make(3, (int64_t[]){2, 3, 4}), false);
  input(c, ep_shape_make(3, (int64_t[]){2, 3, 1}), true);
  c = add_case(EP_OP_CONCAT, "concat axis 2");
  c->attrs.axis = 2;
  input(c, shape4(2, 3, 1, 5), false);
  input(c, shape4(2, 3, 6, 5), false);
  input(c, shape4(2, 3, 2, 5), false);
  c = add_case(EP_OP_CONCAT, "concat one input");
  c->attrs.axis = 1;
  input(c, shape4(1, 4, 3, 3), false);
}

static void binary_case(ep_op op, ep_shape a, ep_shape b, ep_activation act, bool b_constant) {
  char as[64], bs[64];
  bcase* c = add_case(op, "%s %s %s%s %s", ep_op_name(op), ep_shape_format(&a, as, sizeof as),
                      ep_shape_format(&b, bs, sizeof bs), b_constant ? " (constant)" : "",
                      ep_activation_name(act));
  if (c == NULL) return;
  c->attrs.act = act;
  input(c, a, false);
  input(c, b, b_constant);
  if (op == EP_OP_DIV) c->lo[1] = 0.5f, c->hi[1] = 2.0f;
}

static void binary_cases(void) {
  const ep_op ops[] = {EP_OP_ADD, EP_OP_SUB, EP_OP_MUL, EP_OP_DIV};
  for (int o = 0; o < 4; o++) {
    ep_op op = ops[o];
    binary_case(op, shape4(1, 8, 5, 5), shape4(1, 8, 5, 5), acts[(o + 2) % N_ACTS], false);
    binary_case(op, shape4(2, 8, 5, 3), shape4(1, 8, 1, 1), EP_ACT_NONE, true); /* per channel */
    binary_case(op, shape4(1, 8, 1, 1), shape4(2, 8, 5, 3), EP_ACT_NONE, false); /* a broadcast */
    binary_case(op, shape4(2, 3, 4, 5), ep_shape_make(1, (int64_t[]){5}), acts[(o + 1) % N_ACTS],
                false);
    binary_case(op, ep_shape_make(3, (int64_t[]){3, 1, 5}), ep_shape_make(2, (int64_t[]){4, 1}),
                EP_ACT_NONE, false); /* both broadcast */
    binary_case(op, ep_shape_make(2, (int64_t[]){7, 9}), ep_shape_make(0, NULL), EP_ACT_NONE,
                true); /* scalar */
    binary_case(op, ep_shape_make(1, (int64_t[]){1}), ep_shape_make(1, (int64_t[]){1}),
                EP_ACT_RELU, false);
  }
  binary_case(EP_OP_ADD, shape4(1, 256, 14, 14), shape4(1, 256, 14, 14), EP_ACT_RELU, false);
}

static void lstm_case(const char* tag, int t, int n, int i_size, int h, bool onnx, int direction,
                      bool bias, bool h0, bool c0, int n_outputs, bool seq_lens) {
  bcase* c = add_case(EP_OP_LSTM, "LSTM %s T%d N%d I%d H%d%s%s%s%s out%d", tag, t, n, i_size, h,
                      bias ? " bias" : "", h0 ? " h0" : "", c0 ? " c0" : "",
                      seq_lens ? " seq_lens" : "", n_outputs);
  if (c == NULL) return;
  c->attrs.hidden_size = h;
  c->attrs.direction = direction;
  c->n_outputs = n_outputs;
  int d = direction == EP_RNN_BIDIRECTIONAL ? 2 : 1;
  input(c, ep_shape_make(3, (int64_t[]){t, n, i_size}), false);
  if (!onnx) {
    input(c, ep_shape_make(2, (int64_t[]){4 * h, i_size}), true);
    input(c, ep_shape_make(2, (int64_t[]){4 * h, h}), true);
    if (bias) input(c, ep_shape_make(1, (int64_t[]){4 * h}), true);
  } else {
    input(c, ep_shape_make(3, (int64_t[]){d, 4 * h, i_size}), true);
    input(c, ep_shape_make(3, (int64_t[]){d, 4 * h, h}), true);
    if (bias) input(c, ep_shape_make(2, (int64_t[]){d, 8 * h}), true); else absent_input(c);
    if (seq_lens) {
      input(c, ep_shape_make(1, (int64_t[]){n}), false);
      c->lo[4] = 1.0f, c->hi[4] = (float)t; /* rounded to whole numbers when filled */
    } else {
      absent_input(c);
    }
    if (h0) input(c, ep_shape_make(3, (int64_t[]){d, n, h}), false); else absent_input(c);
    if (c0) input(c, ep_shape_make(3, (int64_t[]){d, n, h}), false);
  }
  for (int k = 1; k < 4; k++) c->lo[k] = -0.4f, c->hi[k] = 0.4f;
}

static void lstm_cases(void) {
  lstm_case("zoo", 5, 1, 8, 16, false, 0, true, false, false, 1, false);
  lstm_case("zoo", 3, 4, 7, 5, false, 0, false, false, false, 1, false);
  lstm_case("zoo", 1, 1, 1, 1, false, 0, true, false, false, 1, false);
  lstm_case("onnx fwd", 4, 2, 6, 5, true, EP_RNN_FORWARD, true, false, false, 1, false);
  lstm_case("onnx fwd", 4, 2, 6, 5, true, EP_RNN_FORWARD, true, true, true, 3, false);
  lstm_case("onnx fwd", 3, 3, 4, 8, true, EP_RNN_FORWARD, false, true, false, 2, false);
  lstm_case("onnx rev", 4, 2, 6, 5, true, EP_RNN_REVERSE, true, true, true, 3, false);
  lstm_case("onnx bidir", 4, 2, 6, 5, true, EP_RNN_BIDIRECTIONAL, true, false, false, 3, false);
  lstm_case("onnx seq_lens", 4, 3, 6, 5, true, EP_RNN_FORWARD, true, false, false, 1, true);
}

/* --- graphs, references and runs --------------------------------------------------------- */

typedef struct built {
  ep_graph* graph;
  float* inputs[MAX_IO]; /* per node input: NULL for constants and absent inputs */
  const float* data[MAX_IO]; /* per node input: its values (constants point into the graph) */
} built;

static bool build(const bcase* c, built* b) {
  memset(b, 0, sizeof *b);
  int ids[MAX_IO], outs[MAX_IO];
  ep_status st = ep_graph_create("case", &b->graph);
  for (int i = 0; i < c->n_inputs && st == EP_OK; i++) {
    char name[16];
    snprintf(name, sizeof name, "in%d", i);
    size_t n = (size_t)ep_shape_numel(&c->shape[i]);
    if (c->absent[i]) {
      ids[i] = EP_TENSOR_ABSENT;
      continue;
    }
    float* values = malloc((n + 1) * sizeof *values);
    ep_test_fill(&rng, values, n, c->lo[i], c->hi[i]);
    if (c->op == EP_OP_LSTM && i == 4) {
      for (size_t k = 0; k < n; k++) values[k] = roundf(values[k]);
    }
    if (c->constant[i]) {
      st = ep_graph_add_constant(b->graph, name, c->shape[i], values, &ids[i]);
      free(values);
    } else {
      st = ep_graph_add_input(b->graph, name, c->shape[i], &ids[i]);
      b->inputs[i] = values;
    }
  }
  if (st == EP_OK) {
    st = ep_graph_add_node(b->graph, c->op, "node", &c->attrs, ids, c->n_inputs, c->n_outputs,
                           NULL, outs);
  }
  for (int k = 0; k < c->n_outputs && st == EP_OK; k++) st = ep_graph_mark_output(b->graph, outs[k]);
  if (st == EP_OK) st = ep_graph_finalize(b->graph);
  EP_CHECK_MSG(st == EP_OK, "%s: %s", c->name, ep_last_error());
  if (st != EP_OK) return false;
  for (int i = 0; i < c->n_inputs; i++) {
    if (c->absent[i]) continue;
    b->data[i] = c->constant[i] ? ep_graph_tensor(b->graph, ids[i])->data : b->inputs[i];
  }
  return true;
}

static void unbuild(built* b) {
  for (int i = 0; i < MAX_IO; i++) free(b->inputs[i]);
  ep_graph_destroy(b->graph);
}

static const ep_shape* in_shape(const ep_graph* g, const ep_node* node, int i) {
  return &ep_graph_tensor(g, node->inputs[i])->shape;
}

static const ep_shape* out_shape(const ep_graph* g, const ep_node* node, int i) {
  return &ep_graph_tensor(g, node->outputs[i])->shape;
}

static int or_one(int v) { return v > 0 ? v : 1; }

static ep_activation act_of(ep_op op) {
  switch (op) {
    case EP_OP_RELU: return EP_ACT_RELU;
    case EP_OP_RELU6: return EP_ACT_RELU6;
    case EP_OP_SIGMOID: return EP_ACT_SIGMOID;
    case EP_OP_TANH: return EP_ACT_TANH;
    default: return EP_ACT_NONE;
  }
}

/* The node's outputs from the naive reference kernels. */
static void reference(const built* b, float** y) {
  const ep_graph* g = b->graph;
  const ep_node* node = ep_graph_node(g, 0);
  const ep_attrs* a = &node->attrs;
  const float* const* x = b->data;
  const ep_shape* xs = in_shape(g, node, 0);
  const ep_shape* ys = out_shape(g, node, 0);
  const size_t numel = (size_t)ep_shape_numel(ys);
  switch (node->op) {
    case EP_OP_CONV: {
      ep_conv_desc d = {(int)xs->dims[0], (int)xs->dims[1], (int)xs->dims[2], (int)xs->dims[3],
                        (int)ys->dims[1], (int)ys->dims[2], (int)ys->dims[3], a->kernel[0],
                        a->kernel[1], or_one(a->stride[0]), or_one(a->stride[1]),
                        or_one(a->dilation[0]), or_one(a->dilation[1]), a->pad[0], a->pad[1],
                        or_one(a->group), x[2] != NULL, EP_ACT_NONE, EP_LAYOUT_NCHW,
                        EP_LAYOUT_NCHW, false, EP_ACT_NONE};
      ep_ref_conv2d(&d, x[0], x[1], x[2], y[0]);
      if (node->n_inputs > 3) {
        for (size_t i = 0; i < numel; i++) y[0][i] += x[3][i];
      }
      ep_ref_activation(a->act, numel, y[0], y[0]);
      break;
    }
    case EP_OP_FULLY_CONNECTED: {
      const ep_shape* ws = in_shape(g, node, 1);
      ep_fc_desc d = {(int)xs->dims[0], (int)ws->dims[1], (int)ws->dims[0], node->n_inputs > 2,
                      a->act};
      ep_ref_fully_connected(&d, x[0], x[1], node->n_inputs > 2 ? x[2] : NULL, y[0]);
      break;
    }
    case EP_OP_MAX_POOL:
    case EP_OP_AVG_POOL: {
      const bool one_d = xs->rank == 3; /* [N, C, W]: a pool of height 1 */
      ep_window_pool_desc d = {
          .batch = (int)xs->dims[0], .channels = (int)xs->dims[1], .in_d = 1,
          .in_h = one_d ? 1 : (int)xs->dims[2], .in_w = (int)xs->dims[xs->rank - 1], .out_d = 1,
          .out_h = one_d ? 1 : (int)ys->dims[2], .out_w = (int)ys->dims[ys->rank - 1],
          .kernel_d = 1,
          .kernel_h = a->kernel[0], .kernel_w = a->kernel[1], .stride_d = 1,
          .stride_h = or_one(a->stride[0]), .stride_w = or_one(a->stride[1]), .dilation_d = 1,
          .dilation_h = or_one(a->dilation[0]), .dilation_w = or_one(a->dilation[1]),
          .pad_top = a->pad[0], .pad_left = a->pad[1], .pad_bottom = a->pad[2],
          .pad_right = a->pad[3],
          .count_include_pad = node->op == EP_OP_AVG_POOL && a->count_include_pad};
      ep_ref_window_pool(&d, node->op == EP_OP_MAX_POOL, x[0], y[0]);
      break;
    }
    case EP_OP_GLOBAL_AVG_POOL:
      ep_ref_global_avg_pool((int)xs->dims[0], (int)xs->dims[1],
                             (int)(xs->dims[2] * xs->dims[3]), x[0], y[0]);
      break;
    case EP_OP_GLOBAL_MAX_POOL:
      ep_ref_global_max_pool((size_t)(xs->dims[0] * xs->dims[1]),
                             (size_t)(xs->dims[2] * xs->dims[3]), x[0], y[0]);
      break;
    case EP_OP_RELU:
    case EP_OP_RELU6:
    case EP_OP_SIGMOID:
    case EP_OP_TANH: ep_ref_activation(act_of(node->op), numel, x[0], y[0]); break;
    case EP_OP_LEAKY_RELU: ep_ref_leaky_relu(numel, a->alpha, x[0], y[0]); break;
    case EP_OP_CLIP: ep_ref_clip(numel, a->clip_min, a->clip_max, x[0], y[0]); break;
    case EP_OP_SOFTMAX:
    case EP_OP_LOG_SOFTMAX: {
      int axis = a->axis < 0 ? a->axis + xs->rank : a->axis;
      size_t outer = 1, n = 1, inner = 1;
      for (int i = 0; i < xs->rank; i++) {
        size_t d = (size_t)xs->dims[i];
        if (i < axis) outer *= d;
        else if (i == axis || a->softmax_2d) n *= d;
        else inner *= d;
      }
      ep_ref_softmax_axis(outer, n, inner, node->op == EP_OP_LOG_SOFTMAX, x[0], y[0]);
      break;
    }
    case EP_OP_LRN: {
      ep_lrn_desc d = {(int)xs->dims[0], (int)xs->dims[1],
                       numel / (size_t)(xs->dims[0] * xs->dims[1]), a->size, a->alpha, a->beta,
                       a->lrn_bias};
      ep_ref_lrn(&d, x[0], y[0]);
      break;
    }
    case EP_OP_CONCAT: {
      int axis = a->axis < 0 ? a->axis + ys->rank : a->axis;
      size_t outer = 1, inner[MAX_IO];
      for (int i = 0; i < axis; i++) outer *= (size_t)ys->dims[i];
      for (int k = 0; k < node->n_inputs; k++) {
        inner[k] = (size_t)ep_shape_numel(in_shape(g, node, k)) / outer;
      }
      ep_ref_concat(outer, node->n_inputs, x, inner, y[0]);
      break;
    }
    case EP_OP_ADD:
    case EP_OP_SUB:
    case EP_OP_MUL:
    case EP_OP_DIV: {
      ep_broadcast_desc d;
      ep_broadcast_desc_init(&d, xs, in_shape(g, node, 1));
      ep_binary_op op = node->op == EP_OP_ADD   ? EP_BINARY_ADD
                        : node->op == EP_OP_SUB ? EP_BINARY_SUB
                        : node->op == EP_OP_MUL ? EP_BINARY_MUL
                                                : EP_BINARY_DIV;
      ep_ref_binary(op, &d, x[0], x[1], a->act, y[0]);
      break;
    }
    case EP_OP_LSTM: {
      const ep_shape* r = in_shape(g, node, 2);
      if (in_shape(g, node, 1)->rank == 2) {
        ep_lstm_desc d = {(int)xs->dims[0], (int)xs->dims[1], (int)xs->dims[2],
                          (int)r->dims[1], node->n_inputs > 3};
        ep_ref_lstm(&d, x[0], x[1], x[2], node->n_inputs > 3 ? x[3] : NULL, y[0]);
      } else {
        ep_rnn_desc d = {.lstm = true, .seq_len = (int)xs->dims[0], .batch = (int)xs->dims[1],
                         .input_size = (int)xs->dims[2], .hidden_size = (int)r->dims[2],
                         .directions = (int)r->dims[0],
                         .reverse = a->direction == EP_RNN_REVERSE, .layout = a->rnn_layout,
                         .clip = a->rnn_clip, .has_bias = x[3] != NULL,
                         .has_peepholes = node->n_inputs > 7 && x[7] != NULL};
        const float* opt[8] = {0};
        for (int k = 3; k < node->n_inputs; k++) opt[k] = x[k];
        ep_ref_rnn(&d, x[0], x[1], x[2], opt[3], opt[4], opt[5], opt[6], opt[7], y[0],
                   node->n_outputs > 1 ? y[1] : NULL, node->n_outputs > 2 ? y[2] : NULL);
      }
      break;
    }
    default: EP_CHECK_MSG(false, "no reference for %s", ep_op_name(node->op)); break;
  }
}

typedef struct tally {
  int native[EP_OP_COUNT], fallback[EP_OP_COUNT];
} tally;

/* Runs case c on backend `name` at 1 and 2 threads and compares with the reference. */
static void run_case(const bcase* c, const built* b, float* const* expected, const char* name,
                     tally* t) {
  const ep_graph* g = b->graph;
  const double tol = 1e-4;
  for (int threads = 1; threads <= 2; threads++) {
    ep_session* s = NULL;
    ep_session_options opts = {threads, NULL, 0, name};
    EP_CHECK_OK(ep_session_create(g, &opts, &s));
    if (s == NULL) {
      fprintf(stderr, "  (%s on %s)\n", c->name, name);
      return;
    }
    const char* ran = ep_session_node_backend(s, 0);
    EP_CHECK(ran != NULL && (strcmp(ran, name) == 0 || strcmp(ran, "cpu") == 0));
    if (threads == 1 && ran != NULL) {
      if (strcmp(ran, name) == 0) t->native[c->op]++;
      else t->fallback[c->op]++;
      if (getenv("EP_TEST_VERBOSE") != NULL) printf("  %-8s %-6s %s\n", name, ran, c->name);
    }
    int input = 0;
    for (int i = 0; i < c->n_inputs; i++) {
      if (b->inputs[i] == NULL) continue;
      EP_CHECK_OK(ep_session_set_input(s, input++, b->inputs[i],
                                       (size_t)ep_shape_numel(&c->shape[i])));
    }
    /* Twice: a run must not depend on what the previous one left behind (a residual sum). */
    EP_CHECK_OK(ep_session_run(s));
    EP_CHECK_OK(ep_session_run(s));
    for (int k = 0; k < c->n_outputs; k++) {
      size_t n = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, k))->shape);
      float* out = malloc((n + 1) * sizeof *out);
      EP_CHECK_OK(ep_session_get_output(s, k, out, n));
      double scale = 1.0, diff = 0.0;
      size_t worst = 0;
      for (size_t i = 0; i < n; i++) scale = fmax(scale, fabs(expected[k][i]));
      for (size_t i = 0; i < n; i++) {
        double d = fabs((double)out[i] - expected[k][i]);
        if (!(d <= diff)) diff = d, worst = i;
      }
      EP_CHECK_MSG(diff / scale <= tol,
                   "%s on %s (ran on %s, %d threads): output %d differs by %g at %zu (got %g, "
                   "expected %g)",
                   c->name, name, ran, threads, k, diff, worst, n ? out[worst] : 0.0,
                   n ? expected[k][worst] : 0.0);
      free(out);
    }
    ep_session_destroy(s);
  }
}

int main(void) {
  conv_cases();
  fc_cases();
  pool_cases();
  unary_cases();
  softmax_cases();
  lrn_cases();
  concat_cases();
  binary_cases();
  lstm_cases();

  const char* names[MAX_BACKENDS];
  int n_backends = 0;
  for (int i = 0; ep_backend_name(i) != NULL && n_backends < MAX_BACKENDS; i++) {
    char why[256];
    const char* name = ep_backend_name(i);
    if (!ep_backend_available(name, why, sizeof why)) {
      printf("skip: backend %s is not available here: %s\n", name, why);
      return 77;
    }
    printf("backend %s: %s\n", name, ep_backend_version(name) ? ep_backend_version(name) : "");
    names[n_backends++] = name;
  }
  static tally tallies[MAX_BACKENDS];
  for (int ci = 0; ci < n_cases; ci++) {
    const bcase* c = &cases[ci];
    built b;
    if (!build(c, &b)) {
      ep_graph_destroy(b.graph);
      continue;
    }
    const ep_node* node = ep_graph_node(b.graph, 0);
    float* expected[MAX_IO] = {0};
    for (int k = 0; k < node->n_outputs; k++) {
      expected[k] = calloc((size_t)ep_shape_numel(out_shape(b.graph, node, k)) + 1, sizeof(float));
    }
    reference(&b, expected);
    for (int k = 0; k < n_backends; k++) {
      run_case(c, &b, expected, names[k], &tallies[k]);
      if (strcmp(names[k], "onednn") == 0) {
        /* And oneDNN's convolutions on plain NCHW src and dst (no reorders). */
        static tally unused;
        setenv("EDGEPROF_ONEDNN_LAYOUT", "nchw", 1);
        run_case(c, &b, expected, names[k], &unused);
        unsetenv("EDGEPROF_ONEDNN_LAYOUT");
      }
    }
    for (int k = 0; k < node->n_outputs; k++) free(expected[k]);
    unbuild(&b);
  }
  printf("%d cases; per backend and op, cases run natively / on the CPU backend:\n", n_cases);
  for (int k = 0; k < n_backends; k++) {
    printf("  %s:", names[k]);
    int native = 0, fallback = 0;
    for (int op = 0; op < EP_OP_COUNT; op++) {
      if (tallies[k].native[op] + tallies[k].fallback[op] == 0) continue;
      printf(" %s %d/%d", ep_op_name((ep_op)op), tallies[k].native[op], tallies[k].fallback[op]);
      native += tallies[k].native[op];
      fallback += tallies[k].fallback[op];
    }
    printf("; total %d native, %d fell back\n", native, fallback);
    /* The CPU backend runs every op itself. */
    if (strcmp(names[k], "cpu") == 0) EP_CHECK(fallback == 0);
  }
  return ep_test_finish();
}

/* Softmax and LogSoftmax (both opset semantics), Pad, Transpose, LRN, Clip, LeakyRelu, ONNX
 * pooling (ceil mode, count_include_pad, dilations, 1-D) and global pooling, against hand values
 * and values computed here from the ONNX definitions. */
#include "ops_harness.h"

static ep_test_rng rng = {31337};

static float* random_values(size_t n, float lo, float hi) {
  float* x = malloc(n * sizeof *x);
  ep_test_fill(&rng, x, n, lo, hi);
  return x;
}

static op_case unary_case(ep_op op, ep_shape x_shape, const float* x, ep_shape y_shape,
                          const float* y) {
  op_case c = {.op = op, .attrs = ep_attrs_default(op), .n_inputs = 1, .n_outputs = 1};
  c.shape[0] = x_shape;
  c.data[0] = x;
  c.out_shape[0] = y_shape;
  c.expected[0] = y;
  return c;
}

/* --- softmax -------------------------------------------------------------------------------- */

/* Softmax over dims [a0, a1) of x (dims before a0 are rows, after a1 columns). */
static void softmax_expected(ep_shape s, int a0, int a1, bool log_softmax, const float* x,
                             float* y) {
  size_t outer = 1, n = 1, inner = 1;
  for (int i = 0; i < s.rank; i++) *(i < a0 ? &outer : i < a1 ? &n : &inner) *= (size_t)s.dims[i];
  for (size_t o = 0; o < outer; o++) {
    for (size_t j = 0; j < inner; j++) {
      double max = -INFINITY, sum = 0;
      for (size_t i = 0; i < n; i++) max = fmax(max, x[(o * n + i) * inner + j]);
      for (size_t i = 0; i < n; i++) sum += exp(x[(o * n + i) * inner + j] - max);
      for (size_t i = 0; i < n; i++) {
        double v = x[(o * n + i) * inner + j] - max;
        y[(o * n + i) * inner + j] = (float)(log_softmax ? v - log(sum) : exp(v) / sum);
      }
    }
  }
}

static void test_softmax(void) {
  const float x[] = {1, 2, 3}, sm[] = {0.09003057f, 0.24472847f, 0.66524096f};
  const float lsm[] = {-2.40760596f, -1.40760596f, -0.40760596f};
  op_case c = unary_case(EP_OP_SOFTMAX, shp(2, 1, 3, 0, 0), x, shp(2, 1, 3, 0, 0), sm);
  check_case("softmax by hand", &c, 1e-6);
  c = unary_case(EP_OP_LOG_SOFTMAX, shp(2, 1, 3, 0, 0), x, shp(2, 1, 3, 0, 0), lsm);
  check_case("log softmax by hand", &c, 1e-6);
  /* Large values must not overflow. */
  const float big[] = {1000, 1001, 1002};
  c = unary_case(EP_OP_LOG_SOFTMAX, shp(2, 1, 3, 0, 0), big, shp(2, 1, 3, 0, 0), lsm);
  check_case("log softmax, large numbers", &c, 1e-6);

  ep_shape s = shp(4, 3, 4, 5, 70);
  size_t n = (size_t)ep_shape_numel(&s);
  float* in = random_values(n, -4, 4);
  float* want = malloc(n * sizeof *want);
  for (int log_softmax = 0; log_softmax < 2; log_softmax++) {
    ep_op op = log_softmax ? EP_OP_LOG_SOFTMAX : EP_OP_SOFTMAX;
    for (int axis = -4; axis < 4; axis++) {
      int a = axis < 0 ? axis + 4 : axis;
      for (int coerce = 0; coerce < 2; coerce++) {
        softmax_expected(s, a, coerce ? 4 : a + 1, log_softmax, in, want);
        c = unary_case(op, s, in, s, want);
        c.attrs.axis = axis;
        c.attrs.softmax_2d = coerce;
        char what[96];
        snprintf(what, sizeof what, "%s axis %d, %s", ep_op_name(op), axis,
                 coerce ? "coerced to 2-D (opset < 13)" : "one axis (opset 13)");
        check_case(what, &c, 1e-5);
      }
    }
  }
  free(in);
  free(want);
  c = unary_case(EP_OP_SOFTMAX, shp(2, 1, 3, 0, 0), x, shp(2, 1, 3, 0, 0), sm);
  c.attrs.axis = 2;
  const char* msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "axis 2") && contains(msg, "rank 2"), "%s", msg);
}

/* --- Pad and Transpose ---------------------------------------------------------------------- */

static void test_pad(void) {
  const float x[] = {1, 2, 3, 4, 5, 6};
  /* [2, 3]: one column of 9 in front, one row behind, the last column cropped. */
  const float constant[] = {9, 1, 2, 9, 4, 5, 9, 9, 9};
  op_case c = unary_case(EP_OP_PAD, shp(2, 2, 3, 0, 0), x, shp(2, 3, 3, 0, 0), constant);
  int pads[] = {0, 1, 1, -1};
  memcpy(c.attrs.pads, pads, sizeof pads);
  c.attrs.pad_value = 9;
  check_case("pad constant, negative", &c, 0);
  const float row[] = {1, 2, 3};
  const float reflect[] = {3, 2, 1, 2, 3, 2}, edge[] = {1, 1, 1, 2, 3, 3};
  const float wrap[] = {2, 3, 1, 2, 3, 1};
  const float* modes[] = {reflect, edge, wrap};
  const char* names[] = {"pad reflect", "pad edge", "pad wrap"};
  for (int m = 0; m < 3; m++) {
    c = unary_case(EP_OP_PAD, shp(2, 1, 3, 0, 0), row, shp(2, 1, 6, 0, 0), modes[m]);
    int p2[] = {0, 2, 0, 1};
    memcpy(c.attrs.pads, p2, sizeof p2);
    c.attrs.pad_mode = EP_PAD_REFLECT + m;
    check_case(names[m], &c, 0);
  }
  /* Rank 4, every dim padded: against the definition. */
  ep_shape s = shp(4, 2, 3, 4, 5);
  float* in = random_values((size_t)ep_shape_numel(&s), -1, 1);
  int p4[] = {1, 0, 2, -1, 0, 2, 1, 3};
  ep_shape ys = shp(4, 3, 5, 7, 7);
  for (int mode = EP_PAD_CONSTANT; mode <= EP_PAD_WRAP; mode++) {
    float* want = malloc((size_t)ep_shape_numel(&ys) * sizeof *want);
    for (int64_t i = 0; i < ep_shape_numel(&ys); i++) {
      int64_t rest = i, from = 0, stride = 1;
      bool pad = false;
      for (int d = 3; d >= 0; d--) {
        int64_t o = rest % ys.dims[d], n = s.dims[d];
        rest /= ys.dims[d];
        int64_t k = o - p4[d];
        if (k < 0 || k >= n) {
          if (mode == EP_PAD_CONSTANT) pad = true;
          if (mode == EP_PAD_REFLECT) k = k < 0 ? -k : 2 * (n - 1) - k;
          if (mode == EP_PAD_EDGE) k = k < 0 ? 0 : n - 1;
          if (mode == EP_PAD_WRAP) k = (k + n) % n;
        }
        from += k * stride;
        stride *= n;
      }
      want[i] = pad ? -7.0f : in[from];
    }
    c = unary_case(EP_OP_PAD, s, in, ys, want);
    memcpy(c.attrs.pads, p4, sizeof p4);
    c.attrs.pad_mode = mode;
    c.attrs.pad_value = -7;
    check_case("pad rank 4", &c, 0);
    free(want);
  }
  free(in);
  c = unary_case(EP_OP_PAD, shp(2, 1, 3, 0, 0), row, shp(2, 1, 6, 0, 0), NULL);
  int bad[] = {0, 3, 0, 0};
  memcpy(c.attrs.pads, bad, sizeof bad);
  c.attrs.pad_mode = EP_PAD_REFLECT;
  const char* msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "Pad") && contains(msg, "reflect"), "%s", msg);
}

static void test_transpose(void) {
  const float x[] = {1, 2, 3, 4, 5, 6}, xt[] = {1, 4, 2, 5, 3, 6};
  op_case c = unary_case(EP_OP_TRANSPOSE, shp(2, 2, 3, 0, 0), x, shp(2, 3, 2, 0, 0), xt);
  check_case("transpose default (reversed)", &c, 0);
  ep_shape s = shp(4, 2, 3, 4, 5);
  float* in = random_values(120, -1, 1);
  float* want = malloc(120 * sizeof *want);
  const int perms[][4] = {{0, 1, 2, 3}, {3, 2, 1, 0}, {0, 2, 3, 1}, {1, 0, 3, 2}, {2, 3, 0, 1}};
  for (int p = 0; p < 5; p++) {
    ep_shape ys = s;
    for (int i = 0; i < 4; i++) ys.dims[i] = s.dims[perms[p][i]];
    for (int64_t i = 0; i < 120; i++) {
      int64_t rest = i, coord[4];
      for (int d = 3; d >= 0; d--) {
        coord[d] = rest % ys.dims[d];
        rest /= ys.dims[d];
      }
      int64_t xc[4];
      for (int d = 0; d < 4; d++) xc[perms[p][d]] = coord[d];
      want[i] = in[((xc[0] * 3 + xc[1]) * 4 + xc[2]) * 5 + xc[3]];
    }
    c = unary_case(EP_OP_TRANSPOSE, s, in, ys, want);
    memcpy(c.attrs.perm, perms[p], sizeof perms[p]);
    if (p == 0) c.attrs.perm[3] = 3; /* identity: not all zeros */
    check_case("transpose rank 4", &c, 0);
  }
  free(in);
  free(want);
  c = unary_case(EP_OP_TRANSPOSE, shp(2, 2, 3, 0, 0), x, shp(2, 3, 2, 0, 0), NULL);
  c.attrs.perm[0] = c.attrs.perm[1] = 1;
  const char* msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "Transpose") && contains(msg, "perm"), "%s", msg);
}

/* --- LRN, Clip, LeakyRelu -------------------------------------------------------------------- */

static void test_lrn(void) {
  /* Size 3 on 3 channels of one pixel: the middle channel sees all three. */
  const float x[] = {1, 2, 3};
  const double alpha = 0.3, beta = 0.6, bias = 2;
  float y[3];
  const double sq[] = {1 + 4, 1 + 4 + 9, 4 + 9};
  for (int c = 0; c < 3; c++) y[c] = (float)(x[c] / pow(bias + alpha / 3 * sq[c], beta));
  op_case c = unary_case(EP_OP_LRN, shp(4, 1, 3, 1, 1), x, shp(4, 1, 3, 1, 1), y);
  c.attrs.size = 3;
  c.attrs.alpha = (float)alpha;
  c.attrs.beta = (float)beta;
  c.attrs.lrn_bias = (float)bias;
  check_case("lrn by hand", &c, 1e-6);
  /* Size 4 (two channels after, one before) against the definition. */
  ep_shape s = shp(4, 2, 7, 3, 5);
  size_t n = (size_t)ep_shape_numel(&s);
  float* in = random_values(n, -2, 2);
  float* want = malloc(n * sizeof *want);
  for (int b = 0; b < 2; b++) {
    for (int ch = 0; ch < 7; ch++) {
      for (int i = 0; i < 15; i++) {
        double sum = 0;
        for (int k = ch - 1; k <= ch + 2; k++) {
          if (k >= 0 && k < 7) sum += pow(in[(b * 7 + k) * 15 + i], 2);
        }
        want[(b * 7 + ch) * 15 + i] =
            (float)(in[(b * 7 + ch) * 15 + i] / pow(1.0 + 1e-4 / 4 * sum, 0.75));
      }
    }
  }
  c = unary_case(EP_OP_LRN, s, in, s, want);
  c.attrs.size = 4;
  check_case("lrn size 4, ONNX defaults", &c, 1e-5);
  free(in);
  free(want);
}

static void test_clip_leaky(void) {
  const float x[] = {-2, -0.5f, 0.5f, 2};
  const float both[] = {-1, -0.5f, 0.5f, 1}, max_only[] = {-2, -0.5f, 0.5f, 1};
  op_case c = unary_case(EP_OP_CLIP, shp(1, 4, 0, 0, 0), x, shp(1, 4, 0, 0, 0), both);
  c.attrs.clip_min = -1;
  c.attrs.clip_max = 1;
  check_case("clip [-1, 1]", &c, 0);
  c = unary_case(EP_OP_CLIP, shp(1, 4, 0, 0, 0), x, shp(1, 4, 0, 0, 0), max_only);
  c.attrs.clip_max = 1;
  check_case("clip max only", &c, 0);
  c = unary_case(EP_OP_CLIP, shp(1, 4, 0, 0, 0), x, shp(1, 4, 0, 0, 0), x);
  check_case("clip defaults", &c, 0);
  const float leaky[] = {-0.2f, -0.05f, 0.5f, 2};
  c = unary_case(EP_OP_LEAKY_RELU, shp(1, 4, 0, 0, 0), x, shp(1, 4, 0, 0, 0), leaky);
  c.attrs.alpha = 0.1f;
  check_case("leaky relu", &c, 1e-7);
  const float leaky_default[] = {-0.02f, -0.005f, 0.5f, 2};
  c = unary_case(EP_OP_LEAKY_RELU, shp(1, 4, 0, 0, 0), x, shp(1, 4, 0, 0, 0), leaky_default);
  check_case("leaky relu default alpha", &c, 1e-7);
  /* Big enough for both threads. */
  size_t n = 100000;
  float* in = random_values(n, -3, 3);
  float* want = malloc(n * sizeof *want);
  for (size_t i = 0; i < n; i++) want[i] = fminf(fmaxf(in[i], -0.5f), 2.0f);
  c = unary_case(EP_OP_CLIP, shp(2, 1000, 100, 0, 0), in, shp(2, 1000, 100, 0, 0), want);
  c.attrs.clip_min = -0.5f;
  c.attrs.clip_max = 2;
  check_case("clip large", &c, 0);
  free(in);
  free(want);
}

/* --- pooling -------------------------------------------------------------------------------- */

static const float x44[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static ep_attrs pool_attrs(int k, int s, int pad, bool ceil_mode, bool include) {
  ep_attrs a = {.kernel = {k, k}, .stride = {s, s}, .pad = {pad, pad, pad, pad}};
  a.ceil_mode = ceil_mode;
  a.count_include_pad = include;
  return a;
}

/* Pooling from the ONNX definition (as ONNX Runtime computes it), one plane at a time. */
static void pool_expected(bool max, ep_shape xs, ep_shape ys, const ep_attrs* a, const float* x,
                          float* y) {
  int64_t h = xs.dims[2], w = xs.dims[3], oh = ys.dims[2], ow = ys.dims[3];
  for (int64_t p = 0; p < xs.dims[0] * xs.dims[1]; p++) {
    for (int64_t oy = 0; oy < oh; oy++) {
      for (int64_t ox = 0; ox < ow; ox++) {
        double acc = max ? -INFINITY : 0;
        int inside = 0, padded = 0;
        for (int ky = 0; ky < a->kernel[0]; ky++) {
          for (int kx = 0; kx < a->kernel[1]; kx++) {
            int64_t iy = oy * a->stride[0] - a->pad[0] + ky * (a->dilation[0] ? a->dilation[0] : 1);
            int64_t ix = ox * a->stride[1] - a->pad[1] + kx * (a->dilation[1] ? a->dilation[1] : 1);
            if (iy >= -a->pad[0] && iy < h + a->pad[2] && ix >= -a->pad[1] && ix < w + a->pad[3]) {
              padded++;
            }
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            double v = x[(p * h + iy) * w + ix];
            acc = max ? fmax(acc, v) : acc + v;
            inside++;
          }
        }
        y[(p * oh + oy) * ow + ox] =
            (float)(max ? acc : acc / (a->count_include_pad ? padded : inside));
      }
    }
  }
}

static void check_pool(const char* what, bool max, ep_shape xs, ep_shape ys, ep_attrs a) {
  size_t n = (size_t)ep_shape_numel(&xs), ny = (size_t)ep_shape_numel(&ys);
  float* x = random_values(n, -1, 1);
  float* y = malloc(ny * sizeof *y);
  pool_expected(max, xs, ys, &a, x, y);
  op_case c = unary_case(max ? EP_OP_MAX_POOL : EP_OP_AVG_POOL, xs, x, ys, y);
  c.attrs = a;
  check_case(what, &c, 1e-6);
  free(x);
  free(y);
}

static void test_pool(void) {
  ep_shape s44 = shp(4, 1, 1, 4, 4), s22 = shp(4, 1, 1, 2, 2);
  const float max_ceil[] = {11, 12, 15, 16}, avg_ceil[] = {6, 7.5f, 12, 13.5f};
  op_case c = unary_case(EP_OP_MAX_POOL, s44, x44, s22, max_ceil);
  c.attrs = pool_attrs(3, 2, 0, true, false);
  check_case("maxpool ceil (ONNX test_maxpool_2d_ceil)", &c, 0);
  c = unary_case(EP_OP_AVG_POOL, s44, x44, s22, avg_ceil);
  c.attrs = pool_attrs(3, 2, 0, true, false);
  check_case("averagepool ceil (ONNX test_averagepool_2d_ceil)", &c, 1e-7);
  c = unary_case(EP_OP_MAX_POOL, s44, x44, s22, max_ceil);
  c.attrs = pool_attrs(2, 1, 0, false, false);
  c.attrs.dilation[0] = c.attrs.dilation[1] = 2;
  check_case("maxpool dilations (ONNX test_maxpool_2d_dilations)", &c, 0);
  /* 3x3 with padding 1: the corner window holds 1, 2, 4, 5. */
  const float x33[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  float corner_in, corner_ex;
  for (int include = 0; include < 2; include++) {
    float* y = malloc(9 * sizeof *y);
    ep_attrs a = pool_attrs(3, 1, 1, false, include);
    pool_expected(false, shp(4, 1, 1, 3, 3), shp(4, 1, 1, 3, 3), &a, x33, y);
    if (include)
      corner_in = y[0];
    else
      corner_ex = y[0];
    c = unary_case(EP_OP_AVG_POOL, shp(4, 1, 1, 3, 3), x33, shp(4, 1, 1, 3, 3), y);
    c.attrs = a;
    check_case(include ? "averagepool pads, count_include_pad" : "averagepool pads", &c, 1e-7);
    free(y);
  }
  EP_CHECK(fabsf(corner_in - 12.0f / 9) < 1e-6 && fabsf(corner_ex - 3.0f) < 1e-6);
  /* Ceil mode with count_include_pad: the last window is cut at the end padding:
   * x 4x4, kernel 3, stride 2, pads 1 -> 3x3; window (2, 2) covers rows and columns 3..5 of which
   * 3..4 are inside the padded input: 16 / 4. */
  float y33[9];
  ep_attrs a = pool_attrs(3, 2, 1, true, true);
  pool_expected(false, s44, shp(4, 1, 1, 3, 3), &a, x44, y33);
  EP_CHECK(fabsf(y33[8] - 4.0f) < 1e-6);
  c = unary_case(EP_OP_AVG_POOL, s44, x44, shp(4, 1, 1, 3, 3), y33);
  c.attrs = a;
  check_case("averagepool ceil, count_include_pad", &c, 1e-7);
  /* 1-D: [1, 1, 5], kernel 2, stride 2, ceil -> 3 outputs. */
  const float x5[] = {1, 2, 3, 4, 5}, avg1d[] = {1.5f, 3.5f, 5};
  c = unary_case(EP_OP_AVG_POOL, shp(3, 1, 1, 5, 0), x5, shp(3, 1, 1, 3, 0), avg1d);
  c.attrs = (ep_attrs){.kernel = {1, 2}, .stride = {1, 2}, .ceil_mode = true};
  check_case("averagepool 1-D", &c, 0);
  /* Against the definition on bigger shapes, both kernels' paths. */
  for (int max = 0; max < 2; max++) {
    check_pool("pool 3x3/2 pad 1", max, shp(4, 2, 5, 17, 14), shp(4, 2, 5, 9, 7),
               pool_attrs(3, 2, 1, false, false));
    check_pool("pool 3x3/2 pad 1 ceil", max, shp(4, 2, 5, 16, 14), shp(4, 2, 5, 9, 8),
               pool_attrs(3, 2, 1, true, true));
    ep_attrs asym = pool_attrs(2, 2, 0, false, true);
    asym.pad[2] = asym.pad[3] = 1;
    check_pool("pool 2x2/2 end pads", max, shp(4, 1, 3, 7, 7), shp(4, 1, 3, 4, 4), asym);
    ep_attrs dil = pool_attrs(3, 1, 2, false, true);
    dil.dilation[0] = 2;
    dil.dilation[1] = 3;
    check_pool("pool dilated, padded", max, shp(4, 1, 2, 9, 11), shp(4, 1, 2, 9, 9), dil);
  }
}

/* A 3-D pool against the definition: x [1, 2, 5, 6, 7], kernel 2x3x2, strides 2x1x2, pads
 * front 1, top/bottom 1, right 1, ceil mode, dilation 2 in depth. */
static void test_pool_3d(void) {
  const int D = 5, H = 6, W = 7, kd = 2, kh = 3, kw = 2, sd = 2, sh = 1, sw = 2, dd = 2;
  const int pf = 1, pk = 0, pt = 1, pb = 1, pl = 0, pr = 1;
  /* ceil((5 + 1 - 3) / 2) + 1 = 3; (6 + 2 - 3) / 1 + 1 = 6; ceil((7 + 1 - 2) / 2) + 1 = 4. */
  const int OD = 3, OH = 6, OW = 4;
  ep_shape xs = ep_shape_make(5, (int64_t[]){1, 2, D, H, W});
  ep_shape ys = ep_shape_make(5, (int64_t[]){1, 2, OD, OH, OW});
  float* x = random_values((size_t)ep_shape_numel(&xs), -1, 1);
  float* y = malloc((size_t)ep_shape_numel(&ys) * sizeof *y);
  for (int max = 0; max < 2; max++) {
    for (int include = 0; include < 2; include++) {
      for (int p = 0; p < 2; p++) {
        for (int oz = 0; oz < OD; oz++) {
          for (int oy = 0; oy < OH; oy++) {
            for (int ox = 0; ox < OW; ox++) {
              double acc = max ? -INFINITY : 0;
              int inside = 0, padded = 0;
              for (int a = 0; a < kd; a++) {
                for (int b = 0; b < kh; b++) {
                  for (int c = 0; c < kw; c++) {
                    int iz = oz * sd - pf + a * dd, iy = oy * sh - pt + b, ix = ox * sw - pl + c;
                    if (iz >= -pf && iz < D + pk && iy >= -pt && iy < H + pb && ix >= -pl &&
                        ix < W + pr) {
                      padded++;
                    }
                    if (iz < 0 || iz >= D || iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                    double v = x[((p * D + iz) * H + iy) * W + ix];
                    acc = max ? fmax(acc, v) : acc + v;
                    inside++;
                  }
                }
              }
              y[((p * OD + oz) * OH + oy) * OW + ox] =
                  (float)(max ? acc : acc / (include ? padded : inside));
            }
          }
        }
      }
      op_case c = unary_case(max ? EP_OP_MAX_POOL : EP_OP_AVG_POOL, xs, x, ys, y);
      c.attrs = (ep_attrs){.kernel = {kh, kw}, .stride = {sh, sw}, .pad = {pt, pl, pb, pr}};
      c.attrs.ceil_mode = true;
      c.attrs.count_include_pad = include;
      c.attrs.kernel_d = kd;
      c.attrs.stride_d = sd;
      c.attrs.dilation_d = dd;
      c.attrs.pad_front = pf;
      c.attrs.pad_back = pk;
      check_case(max       ? "maxpool 3-D"
                 : include ? "averagepool 3-D, count_include_pad"
                           : "averagepool 3-D",
                 &c, 1e-6);
      if (max) break;
    }
  }
  /* A rank-5 input without a depth kernel is refused. */
  op_case c = unary_case(EP_OP_MAX_POOL, xs, x, ys, NULL);
  c.attrs = (ep_attrs){.kernel = {2, 2}};
  const char* msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "MaxPool") && contains(msg, "depth"), "%s", msg);
  free(x);
  free(y);
}

static void test_global_pool(void) {
  const float x[] = {1, 5, 3, 2, -1, -2, -3, -4};
  const float gmax[] = {5, -1}, gavg[] = {2.75f, -2.5f};
  op_case c = unary_case(EP_OP_GLOBAL_MAX_POOL, shp(4, 1, 2, 2, 2), x, shp(4, 1, 2, 1, 1), gmax);
  check_case("global max pool", &c, 0);
  c = unary_case(EP_OP_GLOBAL_MAX_POOL, shp(3, 1, 2, 4, 0), x, shp(3, 1, 2, 1, 0), gmax);
  check_case("global max pool, rank 3", &c, 0);
  c = unary_case(EP_OP_GLOBAL_AVG_POOL, shp(3, 1, 2, 4, 0), x, shp(3, 1, 2, 1, 0), gavg);
  check_case("global average pool, rank 3", &c, 1e-7);
  /* A window covering the whole image, no padding: runs as global pooling. */
  c = unary_case(EP_OP_MAX_POOL, shp(4, 1, 2, 2, 2), x, shp(4, 1, 2, 1, 1), gmax);
  c.attrs = (ep_attrs){.kernel = {2, 2}};
  check_case("max pool over the whole image", &c, 0);
  c = unary_case(EP_OP_AVG_POOL, shp(4, 1, 2, 2, 2), x, shp(4, 1, 2, 1, 1), gavg);
  c.attrs = (ep_attrs){.kernel = {2, 2}, .count_include_pad = true};
  check_case("average pool over the whole image", &c, 1e-7);
  c = unary_case(EP_OP_GLOBAL_AVG_POOL, shp(2, 2, 4, 0, 0), x, shp(2, 2, 4, 0, 0), gavg);
  const char* msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "GlobalAveragePool") && contains(msg, "rank 3"), "%s", msg);
}

int main(void) {
  test_softmax();
  test_pad();
  test_transpose();
  test_lrn();
  test_clip_leaky();
  test_pool();
  test_pool_3d();
  test_global_pool();
  return ep_test_finish();
}

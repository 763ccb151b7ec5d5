/* The configurations predict-fit measures: small blocks shaped like the places where each op
 * sits in real networks (a ResNet bottleneck, a MobileNet v2 / EfficientNet inverted residual
 * with squeeze-excitation and SiLU, Inception and DenseNet concatenations, classifier heads,
 * LSTM layers, attention), with sizes drawn around those networks' own. Each node of a block is
 * one sample: a block makes the runtime fuse (conv + bias + activation, residual adds) and lay
 * out (NCHW8c chains) each op as it does inside a network, and gives each op an input that its
 * producer has just written, as in a network.
 *
 * Graphs are built with the zoo's layer builder (models/builder.h); the ops it lacks (binary
 * ops, MatMul, Transpose, Pad, LRN, Gemm) are added here, with their shapes inferred as they go
 * as the builder does. */
#include <stdio.h>
#include <string.h>

#include "graph/graph_internal.h"
#include "models/builder.h"
#include "predict/predict_internal.h"

uint64_t ep_predict_rng_next(uint64_t* s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double ep_predict_rng_unit(uint64_t* s) {
  return (double)(ep_predict_rng_next(s) >> 11) * (1.0 / 9007199254740992.0);
}

static int rnd(uint64_t* s, int lo, int hi) { /* uniform in [lo, hi] */
  return lo + (int)(ep_predict_rng_unit(s) * (double)(hi - lo + 1));
}

static int pick(uint64_t* s, const int* v, int n) { return v[rnd(s, 0, n - 1)]; }

static bool chance(uint64_t* s, double p) { return ep_predict_rng_unit(s) < p; }

static const char* const family_names[EP_PROBE_FAMILY_COUNT] = {
    "conv", "bottleneck", "inverted_residual", "separable", "pool", "classifier",
    "concat", "eltwise", "lstm", "attention", "memory", "stem"};

const char* ep_probe_family_name(int family) {
  return family >= 0 && family < EP_PROBE_FAMILY_COUNT ? family_names[family] : "unknown";
}

/* --- ops the builder lacks ------------------------------------------------------------------ */

static int add(mb* b, ep_op op, const ep_attrs* a, const int* in, int n_in) {
  if (b->status != EP_OK) return -1;
  for (int i = 0; i < n_in; i++) {
    if (in[i] < -1 || (in[i] == -1 && i == 0)) return -1;
  }
  char name[32];
  snprintf(name, sizeof name, "n%d", ep_graph_node_count(b->g));
  int y = -1;
  b->status = ep_graph_add_node(b->g, op, name, a, in, n_in, 1, NULL, &y);
  if (b->status == EP_OK) b->status = ep_graph_infer_node(b->g, ep_graph_node_count(b->g) - 1);
  return b->status == EP_OK ? y : -1;
}

static int binary(mb* b, ep_op op, int x, int y) {
  ep_attrs a = ep_attrs_default(op);
  int in[2] = {x, y};
  return add(b, op, &a, in, 2);
}

static int unary(mb* b, ep_op op, int x) {
  ep_attrs a = ep_attrs_default(op);
  return add(b, op, &a, &x, 1);
}

static char* uname(mb* b, char* buf, size_t size) {
  /* Every layer adds a tensor, so the tensor count keeps names unique. */
  snprintf(buf, size, "l%d", ep_graph_tensor_count(b->g));
  return buf;
}

/* Conv with bias (batch norm folded, as exporters do) and an activation: EP_OP_COUNT for none,
 * EP_OP_MUL for SiLU (x * sigmoid(x): a Sigmoid and a Mul, as PyTorch exports it). */
static int conv(mb* b, int x, int cout, int k, int stride, int group, ep_op act) {
  char name[32];
  int y = ep_mb_conv(b, uname(b, name, sizeof name), x, cout, k, k, stride, k / 2, group, true);
  if (act == EP_OP_MUL) return binary(b, EP_OP_MUL, y, unary(b, EP_OP_SIGMOID, y));
  if (act != EP_OP_COUNT) return unary(b, act, y);
  return y;
}

static int input4(mb* b, int c, int h, int w) {
  return ep_mb_input(b, "x", 4, (int64_t[]){1, c, h, w});
}

static const int planes[] = {7, 7, 14, 14, 14, 28, 28, 56, 56, 112, 13, 17, 35, 27};
static const int channels[] = {16,  24,  32,  40,  48,  64,  72,  80,  96,  112, 128,  144,
                               160, 192, 224, 240, 256, 288, 320, 384, 480, 512, 576,  640,
                               672, 768, 832, 960, 1024, 1152, 1280, 1536, 2048};
enum { N_PLANES = sizeof planes / sizeof planes[0], N_CHANNELS = sizeof channels / sizeof *channels };

/* A plane size and a channel count whose activation has at most max_elems elements. */
static void draw_plane(uint64_t* s, double max_elems, int* hw, int* c) {
  for (;;) {
    *hw = pick(s, planes, N_PLANES);
    *c = pick(s, channels, N_CHANNELS);
    if ((double)*c * *hw * *hw <= max_elems) return;
  }
}

static int draw_channels(uint64_t* s, int lo, int hi) {
  for (;;) {
    int c = pick(s, channels, N_CHANNELS);
    if (c >= lo && c <= hi) return c;
  }
}

static ep_op draw_act(uint64_t* s) {
  double u = ep_predict_rng_unit(s);
  return u < 0.6 ? EP_OP_RELU : u < 0.75 ? EP_OP_RELU6 : u < 0.85 ? EP_OP_MUL : EP_OP_COUNT;
}

/* --- the families ------------------------------------------------------------------------- */

static int fam_conv(mb* b, uint64_t* s) {
  int hw, c;
  draw_plane(s, 1.6e6, &hw, &c);
  static const int ks[] = {1, 1, 1, 3, 3, 3, 3, 5, 7};
  int x = input4(b, c, hw, hw);
  int n = rnd(s, 1, 3);
  for (int i = 0; i < n; i++) {
    int k = pick(s, ks, 9);
    int stride = hw >= 14 && chance(s, 0.25) ? 2 : 1;
    int cout = draw_channels(s, 16, 2048);
    x = conv(b, x, cout, k, stride, 1, draw_act(s));
    hw = (hw + stride - 1) / stride;
  }
  return x;
}

/* ResNet / ResNeXt / RegNet: 1x1, 3x3 (grouped in ResNeXt and RegNet), 1x1 + residual, ReLU;
 * a strided or widening block has a 1x1 projection shortcut. RegNetY adds squeeze-excitation. */
static int fam_bottleneck(mb* b, uint64_t* s) {
  int hw, c;
  draw_plane(s, 8e5, &hw, &c);
  if (hw > 56) hw = 56;
  int x = input4(b, c, hw, hw);
  int stride = hw >= 14 && chance(s, 0.3) ? 2 : 1;
  int mid = draw_channels(s, 16, 1024);
  int group = 1;
  if (chance(s, 0.5)) {
    static const int widths[] = {8, 16, 24, 32, 48, 56, 64, 112, 128};
    int gw = pick(s, widths, 9);
    mid = (mid + gw - 1) / gw * gw;
    group = mid / gw;
  }
  int cout = chance(s, 0.6) ? c : draw_channels(s, 64, 2048);
  int y = conv(b, x, mid, 1, 1, 1, EP_OP_RELU);
  y = conv(b, y, mid, 3, stride, group, EP_OP_RELU);
  if (chance(s, 0.3)) { /* SE */
    int se = ep_mb_global_avg_pool(b, "se", y);
    se = conv(b, se, mid / 4 > 8 ? mid / 4 : 8, 1, 1, 1, EP_OP_RELU);
    se = conv(b, se, mid, 1, 1, 1, EP_OP_SIGMOID);
    y = binary(b, EP_OP_MUL, y, se);
  }
  char name[32];
  y = ep_mb_conv(b, uname(b, name, sizeof name), y, cout, 1, 1, 1, 0, 1, true);
  int shortcut = x;
  if (stride != 1 || cout != c) {
    shortcut = ep_mb_conv(b, uname(b, name, sizeof name), x, cout, 1, 1, stride, 0, 1, true);
  }
  return unary(b, EP_OP_RELU, ep_mb_add(b, "add", y, shortcut));
}

/* MobileNet v2, MnasNet, EfficientNet: 1x1 expand, kxk depthwise, optional SE, 1x1 project,
 * residual when the shape allows. */
static int fam_inverted(mb* b, uint64_t* s) {
  static const int cs[] = {16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 136, 160, 192, 232, 320, 384};
  static const int hws[] = {7, 14, 14, 28, 28, 56, 56, 112};
  int c = pick(s, cs, 16), hw = pick(s, hws, 8);
  while ((double)c * 6 * hw * hw > 2.5e6) hw /= 2;
  static const int expand[] = {1, 3, 4, 6, 6};
  int t = pick(s, expand, 5);
  int k = chance(s, 0.6) ? 3 : 5;
  int stride = hw >= 14 && chance(s, 0.25) ? 2 : 1;
  bool silu = chance(s, 0.5);
  ep_op act = silu ? EP_OP_MUL : EP_OP_RELU6;
  int x = input4(b, c, hw, hw);
  int y = x, mid = c * t;
  if (t > 1) y = conv(b, y, mid, 1, 1, 1, act);
  y = conv(b, y, mid, k, stride, mid, act);
  if (silu && chance(s, 0.8)) {
    int se = ep_mb_global_avg_pool(b, "se", y);
    se = conv(b, se, c / 4 > 8 ? c / 4 : 8, 1, 1, 1, EP_OP_MUL);
    se = conv(b, se, mid, 1, 1, 1, EP_OP_SIGMOID);
    y = binary(b, EP_OP_MUL, y, se);
  }
  int cout = chance(s, 0.6) ? c : pick(s, cs, 16);
  char name[32];
  y = ep_mb_conv(b, uname(b, name, sizeof name), y, cout, 1, 1, 1, 0, 1, true);
  if (stride == 1 && cout == c) y = ep_mb_add(b, "add", y, x);
  return y;
}

/* MobileNet v1: depthwise 3x3 + ReLU6, pointwise 1x1 + ReLU6, a few times. */
static int fam_separable(mb* b, uint64_t* s) {
  int hw, c;
  draw_plane(s, 1.6e6, &hw, &c);
  if (c > 1024) c = 1024;
  int x = input4(b, c, hw, hw);
  int n = rnd(s, 1, 3);
  for (int i = 0; i < n; i++) {
    int stride = hw >= 14 && chance(s, 0.25) ? 2 : 1;
    x = conv(b, x, c, 3, stride, c, EP_OP_RELU6);
    hw = (hw + stride - 1) / stride;
    int cout = draw_channels(s, 32, 1024);
    x = conv(b, x, cout, 1, 1, 1, EP_OP_RELU6);
    c = cout;
  }
  return x;
}

static int pool_layer(mb* b, uint64_t* s, int x, int hw) {
  char name[32];
  int k = chance(s, 0.6) ? 3 : 2;
  int stride = chance(s, 0.8) && hw >= 4 ? 2 : 1;
  int pad = k == 3 && chance(s, 0.5) ? 1 : 0;
  uname(b, name, sizeof name);
  return chance(s, 0.7) ? ep_mb_max_pool(b, name, x, k, stride, pad)
                        : ep_mb_avg_pool(b, name, x, k, stride, pad);
}

/* conv -> pool (VGG, Inception, AlexNet), or a pool on the input. */
static int fam_pool(mb* b, uint64_t* s) {
  int hw, c;
  draw_plane(s, 3.2e6, &hw, &c);
  if (hw < 7) hw = 7;
  int x = input4(b, c, hw, hw);
  if (chance(s, 0.6)) x = conv(b, x, c, chance(s, 0.5) ? 3 : 1, 1, 1, EP_OP_RELU);
  return pool_layer(b, s, x, hw);
}

/* Global pool -> flatten -> fully connected layers (Gemm as PyTorch exports Linear, or the
 * zoo's FullyConnected), and the MLP shapes (dlbench FCN-5, VGG's 25088 -> 4096). */
static int fam_classifier(mb* b, uint64_t* s) {
  char name[32];
  int x;
  int k;
  if (chance(s, 0.5)) {
    static const int cs[] = {256, 512, 576, 768, 960, 1024, 1280, 1536, 1792, 2048, 2208, 2560};
    static const int hws[] = {1, 7, 7, 7, 8, 10, 13, 14};
    int c = pick(s, cs, 12), hw = pick(s, hws, 8);
    x = input4(b, c, hw, hw);
    if (hw > 1) x = ep_mb_global_avg_pool(b, "gap", x);
    x = ep_mb_flatten(b, "flatten", x);
    k = c;
  } else {
    static const int ks[] = {784, 1024, 2048, 4096, 9216, 25088, 512, 200};
    k = pick(s, ks, 8);
    x = ep_mb_input(b, "x", 2, (int64_t[]){1, k});
  }
  int n = rnd(s, 1, 3);
  for (int i = 0; i < n; i++) {
    static const int ms[] = {10, 100, 1000, 1001, 1024, 2048, 4096, 128, 512};
    int m = pick(s, ms, 9);
    if ((double)m * k > 4.2e7) m = 1000; /* at most about VGG's 25088 x 4096 / 2.5 */
    if (chance(s, 0.5)) {
      x = ep_mb_fully_connected(b, uname(b, name, sizeof name), x, m, 0.0f);
    } else {
      int w = ep_mb_uniform(b, uname(b, name, sizeof name), ep_shape_make(2, (int64_t[]){m, k}),
                            -0.05f, 0.05f);
      char bias_name[48];
      snprintf(bias_name, sizeof bias_name, "%s_b", name);
      int bias = ep_mb_uniform(b, bias_name, ep_shape_make(1, (int64_t[]){m}), -0.05f, 0.05f);
      ep_attrs a = ep_attrs_default(EP_OP_GEMM);
      a.trans_b = true;
      int in[3] = {x, w, bias};
      x = add(b, EP_OP_GEMM, &a, in, 3);
    }
    if (i + 1 < n) {
      double u = ep_predict_rng_unit(s);
      x = unary(b, u < 0.7 ? EP_OP_RELU : EP_OP_SIGMOID, x);
    }
    k = m;
  }
  return x;
}

/* Inception branches, DenseNet's growing concatenations, SqueezeNet's fire expand. */
static int fam_concat(mb* b, uint64_t* s) {
  int hw, c;
  draw_plane(s, 8e5, &hw, &c);
  int x = input4(b, c, hw, hw);
  int ins[40];
  int n = chance(s, 0.3) ? rnd(s, 6, 40) : rnd(s, 2, 4);
  if (n > 4) { /* DenseNet: BN -> ReLU -> 1x1 -> BN -> ReLU -> 3x3 (growth 32 or 48) */
    char name[32];
    int growth = chance(s, 0.7) ? 32 : 48;
    ins[0] = x;
    for (int i = 1; i < n; i++) ins[i] = ep_mb_input(b, uname(b, name, sizeof name), 4,
                                                     (int64_t[]){1, growth, hw, hw});
    int y = ep_mb_concat(b, "cat", ins, n, 1);
    y = ep_mb_batch_norm(b, uname(b, name, sizeof name), y, MB_BN_SCALE_RANDOM);
    y = unary(b, EP_OP_RELU, y);
    y = conv(b, y, 4 * growth, 1, 1, 1, EP_OP_COUNT);
    y = ep_mb_batch_norm(b, uname(b, name, sizeof name), y, MB_BN_SCALE_RANDOM);
    y = unary(b, EP_OP_RELU, y);
    return conv(b, y, growth, 3, 1, 1, EP_OP_COUNT);
  }
  for (int i = 0; i < n; i++) {
    int k = i == 0 ? 1 : chance(s, 0.5) ? 3 : chance(s, 0.5) ? 5 : 1;
    int cout = draw_channels(s, 16, 384);
    ins[i] = conv(b, x, cout, k, 1, 1, EP_OP_RELU);
  }
  return ep_mb_concat(b, "cat", ins, n, 1);
}

/* Element-wise ops on their own: binary ops with and without broadcasting, activations that
 * did not fuse, Clip, unfused batch norm. */
static int fam_eltwise(mb* b, uint64_t* s) {
  int hw, c;
  draw_plane(s, 3.2e6, &hw, &c);
  int x = input4(b, c, hw, hw);
  char name[32];
  double u = ep_predict_rng_unit(s);
  if (u < 0.35) {
    static const ep_op ops[] = {EP_OP_ADD, EP_OP_MUL, EP_OP_SUB, EP_OP_DIV};
    bool bcast = chance(s, 0.4);
    int y = ep_mb_input(b, "y", 4, (int64_t[]){1, c, bcast ? 1 : hw, bcast ? 1 : hw});
    return binary(b, ops[rnd(s, 0, chance(s, 0.8) ? 1 : 3)], x, y);
  }
  if (u < 0.55) {
    int y = ep_mb_batch_norm(b, uname(b, name, sizeof name), x, MB_BN_SCALE_RANDOM);
    return chance(s, 0.7) ? unary(b, EP_OP_RELU, y) : y;
  }
  static const ep_op acts[] = {EP_OP_RELU, EP_OP_SIGMOID, EP_OP_TANH, EP_OP_LEAKY_RELU,
                               EP_OP_CLIP, EP_OP_RELU6};
  return unary(b, acts[rnd(s, 0, 5)], x);
}

static int fam_lstm(mb* b, uint64_t* s) {
  static const int ts[] = {1, 5, 10, 20, 35, 50};
  static const int sizes[] = {64, 128, 200, 256, 512, 650, 1024, 1500};
  int t = pick(s, ts, 6), in = pick(s, sizes, 8);
  int x = ep_mb_input(b, "x", 3, (int64_t[]){t, 1, in});
  int layers = rnd(s, 1, 2);
  for (int i = 0; i < layers; i++) {
    char name[32];
    x = ep_mb_lstm(b, uname(b, name, sizeof name), x, pick(s, sizes, 8), 0.05f);
  }
  return x;
}

/* Multi-head attention as exporters write it: projections (MatMul with constant weights),
 * reshape and transpose into heads, Q K^T, scale, Softmax, times V, back. */
static int fam_attention(mb* b, uint64_t* s) {
  static const int seqs[] = {16, 32, 50, 64, 128, 197, 256};
  static const int dims[] = {128, 256, 384, 512, 768};
  int seq = pick(s, seqs, 7), d = pick(s, dims, 5);
  int heads = d >= 512 ? 8 : 4, hd = d / heads;
  int x = ep_mb_input(b, "x", 2, (int64_t[]){seq, d});
  char name[32];
  int qkv[3];
  for (int i = 0; i < 3; i++) {
    int w = ep_mb_uniform(b, uname(b, name, sizeof name), ep_shape_make(2, (int64_t[]){d, d}),
                          -0.05f, 0.05f);
    int p = binary(b, EP_OP_MATMUL, x, w);
    p = ep_mb_reshape(b, uname(b, name, sizeof name), p, 3, (int64_t[]){seq, heads, hd});
    ep_attrs a = ep_attrs_default(EP_OP_TRANSPOSE);
    a.perm[0] = 1;
    a.perm[1] = i == 1 ? 2 : 0;
    a.perm[2] = i == 1 ? 0 : 2;
    qkv[i] = add(b, EP_OP_TRANSPOSE, &a, &p, 1);
  }
  int scores = binary(b, EP_OP_MATMUL, qkv[0], qkv[1]); /* [h, seq, seq] */
  int scale = ep_mb_uniform(b, "scale", ep_shape_make(1, (int64_t[]){1}), 0.1f, 0.2f);
  scores = binary(b, EP_OP_MUL, scores, scale);
  ep_attrs sm = ep_attrs_default(EP_OP_SOFTMAX);
  sm.axis = -1;
  scores = add(b, EP_OP_SOFTMAX, &sm, &scores, 1);
  int ctx = binary(b, EP_OP_MATMUL, scores, qkv[2]); /* [h, seq, hd] */
  ep_attrs a = ep_attrs_default(EP_OP_TRANSPOSE);
  a.perm[0] = 1;
  a.perm[1] = 0;
  a.perm[2] = 2;
  ctx = add(b, EP_OP_TRANSPOSE, &a, &ctx, 1);
  return ep_mb_reshape(b, uname(b, name, sizeof name), ctx, 2, (int64_t[]){seq, d});
}

/* Data movement and the rest: Transpose (ShuffleNet's channel shuffle), Pad, LRN, Softmax and
 * LogSoftmax over class scores. */
static int fam_memory(mb* b, uint64_t* s) {
  double u = ep_predict_rng_unit(s);
  if (u < 0.3) {
    static const int cls[] = {10, 100, 1000, 1001, 10000};
    int n = chance(s, 0.2) ? 20 : 1;
    int x = ep_mb_input(b, "x", 2, (int64_t[]){n, pick(s, cls, 5)});
    ep_op op = chance(s, 0.7) ? EP_OP_SOFTMAX : EP_OP_LOG_SOFTMAX;
    ep_attrs a = ep_attrs_default(op);
    a.axis = -1;
    return add(b, op, &a, &x, 1);
  }
  int hw, c;
  draw_plane(s, 1.6e6, &hw, &c);
  int x = input4(b, c, hw, hw);
  if (u < 0.6) {
    int g = chance(s, 0.5) ? 2 : 4;
    char name[32];
    x = ep_mb_reshape(b, uname(b, name, sizeof name), x, 5,
                      (int64_t[]){1, g, c / g, hw, hw});
    ep_attrs a = ep_attrs_default(EP_OP_TRANSPOSE);
    int perm[5] = {0, 2, 1, 3, 4};
    memcpy(a.perm, perm, sizeof perm);
    return add(b, EP_OP_TRANSPOSE, &a, &x, 1);
  }
  if (u < 0.8) {
    ep_attrs a = ep_attrs_default(EP_OP_PAD);
    int p = rnd(s, 1, 3);
    a.pads[2] = a.pads[3] = a.pads[6] = a.pads[7] = p;
    return add(b, EP_OP_PAD, &a, &x, 1);
  }
  ep_attrs a = ep_attrs_default(EP_OP_LRN);
  a.size = 5;
  return add(b, EP_OP_LRN, &a, &x, 1);
}

/* The first layers on an image: a 3-channel conv (7x7/2, 3x3/2, AlexNet's 11x11/4), a pool. */
static int fam_stem(mb* b, uint64_t* s) {
  int hw = chance(s, 0.8) ? 224 : 299;
  int x = input4(b, 3, hw, hw);
  static const int ks[] = {3, 3, 7, 11};
  int k = pick(s, ks, 4);
  static const int cs[] = {16, 24, 32, 40, 48, 64, 96};
  x = conv(b, x, pick(s, cs, 7), k, k == 11 ? 4 : 2, 1, draw_act(s));
  if (chance(s, 0.5)) x = pool_layer(b, s, x, hw / 2);
  return x;
}

typedef int (*family_fn)(mb* b, uint64_t* s);
static const family_fn families[EP_PROBE_FAMILY_COUNT] = {
    fam_conv,    fam_bottleneck, fam_inverted, fam_separable, fam_pool,   fam_classifier,
    fam_concat,  fam_eltwise,    fam_lstm,     fam_attention, fam_memory, fam_stem};

ep_status ep_probe_build(int family, uint64_t* rng, ep_graph** graph_out) {
  if (family < 0 || family >= EP_PROBE_FAMILY_COUNT) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "no probe family %d", family);
  }
  mb b;
  ep_mb_init(&b, family_names[family], ep_predict_rng_next(rng));
  int y = families[family](&b, rng);
  ep_graph* defined = NULL;
  ep_status status = ep_mb_finish(&b, y, &defined);
  if (status != EP_OK) return status;
  status = ep_graph_optimize(defined, EP_PASS_ALL, graph_out);
  ep_graph_destroy(defined);
  return status;
}

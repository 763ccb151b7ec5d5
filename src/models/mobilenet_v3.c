/* MobileNetV3-Large (Howard et al. 2019) as torchvision's mobilenet_v3_large, width 1.0,
 * 224x224, 1000 classes: a 3x3/2 stem of 16 channels with HardSwish, 15 inverted-residual
 * blocks (1x1 expansion, 3x3 or 5x5 depthwise, squeeze-and-excitation in some, 1x1 projection;
 * ReLU in the first six, HardSwish after), a 1x1 conv to 960, global average pool, 960 -> 1280
 * with HardSwish and 1280 -> 1000, then softmax. Batch norm epsilon 1e-3, as torchvision.
 *
 * Squeeze-and-excitation as torchvision: global average pool, 1x1 conv (with bias) to
 * make_divisible(C / 4, 8) channels, ReLU, 1x1 conv back to C, HardSigmoid, channel scale.
 * Seeded weights: a block's projection batch norm gets a small scale where a residual adds it,
 * as for ResNet-50. */
#include <stdio.h>

#include "models/builder.h"
#include "models/models.h"

typedef struct block {
  int kernel, expanded, out;
  bool se, hard_swish;
  int stride;
} block;

/* torchvision's inverted_residual_setting for mobilenet_v3_large. */
static const block blocks[15] = {
    {3, 16, 16, false, false, 1}, {3, 64, 24, false, false, 2}, {3, 72, 24, false, false, 1},
    {5, 72, 40, true, false, 2},  {5, 120, 40, true, false, 1}, {5, 120, 40, true, false, 1},
    {3, 240, 80, false, true, 2}, {3, 200, 80, false, true, 1}, {3, 184, 80, false, true, 1},
    {3, 184, 80, false, true, 1}, {3, 480, 112, true, true, 1}, {3, 672, 112, true, true, 1},
    {5, 672, 160, true, true, 2}, {5, 960, 160, true, true, 1}, {5, 960, 160, true, true, 1},
};

/* torchvision's _make_divisible(v, 8): the nearest multiple of 8, never 10% below v. */
static int make_divisible(int v) {
  int r = (v + 4) / 8 * 8;
  if (r < 8) r = 8;
  if (r * 10 < v * 9) r += 8;
  return r;
}

static int squeeze_excitation(mb* b, int x, int channels) {
  ep_mb_push(b, "se");
  int s = ep_mb_global_avg_pool(b, "avgpool", x);
  s = ep_mb_conv(b, "fc1", s, make_divisible(channels / 4), 1, 1, 1, 0, 1, true);
  s = ep_mb_activation(b, "fc1", EP_OP_RELU, s);
  s = ep_mb_conv(b, "fc2", s, channels, 1, 1, 1, 0, 1, true);
  s = ep_mb_hard_sigmoid(b, "fc2", s);
  int y = ep_mb_binary(b, EP_OP_MUL, "scale", x, s);
  ep_mb_pop(b);
  return y;
}

static int inverted_residual(mb* b, int x, const block* k) {
  int cin = (int)ep_mb_shape(b, x).dims[1];
  ep_op act = k->hard_swish ? EP_OP_HARD_SWISH : EP_OP_RELU;
  bool residual = k->stride == 1 && cin == k->out;
  int y = x;
  if (k->expanded != cin) {
    y = ep_mb_conv_bn(b, "expand", y, k->expanded, 1, 1, 0, 1, MB_BN_SCALE_RANDOM, act);
  }
  y = ep_mb_conv_bn(b, "depthwise", y, k->expanded, k->kernel, k->stride, (k->kernel - 1) / 2,
                    k->expanded, MB_BN_SCALE_RANDOM, act);
  if (k->se) y = squeeze_excitation(b, y, k->expanded);
  y = ep_mb_conv_bn(b, "project", y, k->out, 1, 1, 0, 1,
                    residual ? MB_BN_SCALE_SMALL : MB_BN_SCALE_RANDOM, EP_OP_COUNT);
  return residual ? ep_mb_add(b, "add", x, y) : y;
}

ep_status ep_model_mobilenet_v3(uint64_t seed, ep_graph** graph_out) {
  mb b;
  ep_mb_init(&b, "mobilenet_v3", seed);
  int x = ep_mb_input(&b, "input", 4, (int64_t[]){1, 3, 224, 224});
  x = ep_mb_conv_bn(&b, "features_0", x, 16, 3, 2, 1, 1, MB_BN_SCALE_RANDOM, EP_OP_HARD_SWISH);
  for (int i = 0; i < 15; i++) {
    char scope[32];
    snprintf(scope, sizeof scope, "features_%d", i + 1);
    ep_mb_push(&b, scope);
    x = inverted_residual(&b, x, &blocks[i]);
    ep_mb_pop(&b);
  }
  x = ep_mb_conv_bn(&b, "features_16", x, 960, 1, 1, 0, 1, MB_BN_SCALE_RANDOM, EP_OP_HARD_SWISH);
  x = ep_mb_global_avg_pool(&b, "avgpool", x);
  x = ep_mb_flatten(&b, "flatten", x);
  x = ep_mb_fully_connected(&b, "classifier_0", x, 1280, 0.0f);
  x = ep_mb_activation(&b, "classifier_0", EP_OP_HARD_SWISH, x);
  x = ep_mb_fully_connected(&b, "classifier_3", x, 1000, 0.0f);
  x = ep_mb_softmax(&b, "predictions", x);
  return ep_mb_finish(&b, x, graph_out);
}

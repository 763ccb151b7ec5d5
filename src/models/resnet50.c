/* ResNet-v1-50 (He et al. 2015, the Caffe / torchvision v1 layout), 224x224, 1000 classes.
 *
 * 7x7/2 conv + batch norm + relu, 3x3/2 max pool (pad 1), bottleneck blocks 3-4-6-3 with the
 * stride on the first 1x1 conv of a downsampling block and a projection shortcut (1x1 conv +
 * batch norm) on the first block of each stage, add then relu, global average pool, fully
 * connected 2048 -> 1000. Names follow TF-slim's resnet_v1_50 scopes.
 *
 * Seeded weights: the last batch norm of each residual branch gets a small scale (about 0.25),
 * as in "zero-gamma" initialisation, so that the 16 residual sums keep activations in range. */
#include <stdio.h>

#include "models/builder.h"
#include "models/models.h"

static int bottleneck(mb* b, int x, int depth, int stride, bool project) {
  int shortcut = x;
  if (project) {
    shortcut =
        ep_mb_conv_bn(b, "shortcut", x, 4 * depth, 1, stride, 0, 1, MB_BN_SCALE_RANDOM, EP_OP_COUNT);
  }
  int r = ep_mb_conv_bn(b, "conv1", x, depth, 1, stride, 0, 1, MB_BN_SCALE_RANDOM, EP_OP_RELU);
  r = ep_mb_conv_bn(b, "conv2", r, depth, 3, 1, 1, 1, MB_BN_SCALE_RANDOM, EP_OP_RELU);
  r = ep_mb_conv_bn(b, "conv3", r, 4 * depth, 1, 1, 0, 1, MB_BN_SCALE_SMALL, EP_OP_COUNT);
  int y = ep_mb_add(b, "add", shortcut, r);
  return ep_mb_activation(b, "", EP_OP_RELU, y);
}

ep_status ep_model_resnet50(uint64_t seed, ep_graph** graph_out) {
  static const int units[4] = {3, 4, 6, 3};
  static const int depths[4] = {64, 128, 256, 512};
  mb b;
  ep_mb_init(&b, "resnet50", seed);
  int x = ep_mb_input(&b, "input", 4, (int64_t[]){1, 3, 224, 224});
  x = ep_mb_conv_bn(&b, "conv1", x, 64, 7, 2, 3, 1, MB_BN_SCALE_RANDOM, EP_OP_RELU);
  x = ep_mb_max_pool(&b, "pool1", x, 3, 2, 1);
  for (int s = 0; s < 4; s++) {
    for (int u = 0; u < units[s]; u++) {
      char scope[64];
      snprintf(scope, sizeof scope, "block%d/unit_%d/bottleneck_v1", s + 1, u + 1);
      ep_mb_push(&b, scope);
      x = bottleneck(&b, x, depths[s], u == 0 && s > 0 ? 2 : 1, u == 0);
      ep_mb_pop(&b);
    }
  }
  x = ep_mb_global_avg_pool(&b, "pool5", x);
  x = ep_mb_flatten(&b, "flatten", x);
  x = ep_mb_fully_connected(&b, "logits", x, 1000, 0.0f);
  x = ep_mb_softmax(&b, "predictions", x);
  return ep_mb_finish(&b, x, graph_out);
}

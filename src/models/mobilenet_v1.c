/* MobileNet v1 (Howard et al. 2017) as in TF-slim: width 1.0, 224x224, 1001 classes.
 *
 * 3x3/2 conv (32) + batch norm + relu6, 13 depthwise-separable blocks (3x3 depthwise + batch
 * norm + relu6, 1x1 pointwise + batch norm + relu6), global average pool, fully connected
 * 1024 -> 1001 (slim's 1x1 logits conv). TF 'SAME' padding: stride-2 layers pad only the
 * bottom / right. */
#include <stdio.h>

#include "models/builder.h"
#include "models/models.h"

ep_status ep_model_mobilenet_v1(uint64_t seed, ep_graph** graph_out) {
  static const struct {
    int stride, depth;
  } blocks[13] = {{1, 64},  {2, 128}, {1, 128}, {2, 256}, {1, 256},  {2, 512}, {1, 512},
                  {1, 512}, {1, 512}, {1, 512}, {1, 512}, {2, 1024}, {1, 1024}};
  mb b;
  ep_mb_init(&b, "mobilenet_v1", seed);
  int x = ep_mb_input(&b, "input", 4, (int64_t[]){1, 3, 224, 224});
  x = ep_mb_conv_bn(&b, "Conv2d_0", x, 32, 3, 2, MB_SAME, 1, MB_BN_SCALE_RANDOM, EP_OP_RELU6);
  int channels = 32;
  for (int i = 0; i < 13; i++) {
    char name[48];
    snprintf(name, sizeof name, "Conv2d_%d_depthwise", i + 1);
    x = ep_mb_conv_bn(&b, name, x, channels, 3, blocks[i].stride, MB_SAME, channels,
                   MB_BN_SCALE_RANDOM, EP_OP_RELU6);
    snprintf(name, sizeof name, "Conv2d_%d_pointwise", i + 1);
    x = ep_mb_conv_bn(&b, name, x, blocks[i].depth, 1, 1, MB_SAME, 1, MB_BN_SCALE_RANDOM, EP_OP_RELU6);
    channels = blocks[i].depth;
  }
  ep_mb_push(&b, "Logits");
  x = ep_mb_global_avg_pool(&b, "AvgPool_1a", x);
  x = ep_mb_flatten(&b, "Flatten", x);
  x = ep_mb_fully_connected(&b, "Conv2d_1c_1x1", x, 1001, 0.0f);
  ep_mb_pop(&b);
  x = ep_mb_softmax(&b, "Predictions", x);
  return ep_mb_finish(&b, x, graph_out);
}

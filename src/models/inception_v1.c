/* TF-slim InceptionV1 (GoogLeNet with batch norm), 224x224, 1001 classes.
 *
 * As slim builds it: every conv but the logits is conv (no bias) + batch norm + relu; 'SAME'
 * padding everywhere (odd padding at the bottom / right); branch 2 of each module uses a 3x3
 * conv (slim's Conv2d_0b_3x3) where the GoogLeNet paper has 5x5; the logits are a 7x7 average
 * pool and a 1x1 conv with bias, here flatten + fully connected 1024 -> 1001 (same weights).
 *
 * Parameters: slim's inception arg scope makes batch norm with center=True, scale=False, so the
 * checkpoint holds one trained value per channel (beta). The graph still has a gamma input (all
 * ones) because the batch norm op takes one, and the cost model counts scale and bias, 2 per
 * channel: 6,625,929 parameters as counted here against 6,618,649 in slim's checkpoint (the
 * 7,280 fixed gammas), which is also the count after batch norm folding. Both are 6.6 M; the
 * graph keeps the gammas so that every batch norm has the same form. Batch norm statistics are
 * never counted. */
#include "models/builder.h"
#include "models/models.h"

static int conv(mb* b, const char* name, int x, int cout, int k, int stride) {
  return ep_mb_conv_bn(b, name, x, cout, k, stride, MB_SAME, 1, MB_BN_SCALE_ONE, EP_OP_RELU);
}

/* One inception module: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 | 3x3 max pool -> 1x1, concatenated. */
static int mixed(mb* b, const char* name, int x, int c0, int c1a, int c1b, int c2a, int c2b,
                 int c3) {
  int branches[4];
  ep_mb_push(b, name);
  ep_mb_push(b, "Branch_0");
  branches[0] = conv(b, "Conv2d_0a_1x1", x, c0, 1, 1);
  ep_mb_pop(b);
  ep_mb_push(b, "Branch_1");
  branches[1] = conv(b, "Conv2d_0a_1x1", x, c1a, 1, 1);
  branches[1] = conv(b, "Conv2d_0b_3x3", branches[1], c1b, 3, 1);
  ep_mb_pop(b);
  ep_mb_push(b, "Branch_2");
  branches[2] = conv(b, "Conv2d_0a_1x1", x, c2a, 1, 1);
  branches[2] = conv(b, "Conv2d_0b_3x3", branches[2], c2b, 3, 1);
  ep_mb_pop(b);
  ep_mb_push(b, "Branch_3");
  branches[3] = ep_mb_max_pool(b, "MaxPool_0a_3x3", x, 3, 1, MB_SAME);
  branches[3] = conv(b, "Conv2d_0b_1x1", branches[3], c3, 1, 1);
  ep_mb_pop(b);
  int y = ep_mb_concat(b, "concat", branches, 4, 1);
  ep_mb_pop(b);
  return y;
}

ep_status ep_model_inception_v1(uint64_t seed, ep_graph** graph_out) {
  mb b;
  ep_mb_init(&b, "inception_v1", seed);
  int x = ep_mb_input(&b, "input", 4, (int64_t[]){1, 3, 224, 224});
  x = conv(&b, "Conv2d_1a_7x7", x, 64, 7, 2);
  x = ep_mb_max_pool(&b, "MaxPool_2a_3x3", x, 3, 2, MB_SAME);
  x = conv(&b, "Conv2d_2b_1x1", x, 64, 1, 1);
  x = conv(&b, "Conv2d_2c_3x3", x, 192, 3, 1);
  x = ep_mb_max_pool(&b, "MaxPool_3a_3x3", x, 3, 2, MB_SAME);
  x = mixed(&b, "Mixed_3b", x, 64, 96, 128, 16, 32, 32);
  x = mixed(&b, "Mixed_3c", x, 128, 128, 192, 32, 96, 64);
  x = ep_mb_max_pool(&b, "MaxPool_4a_3x3", x, 3, 2, MB_SAME);
  x = mixed(&b, "Mixed_4b", x, 192, 96, 208, 16, 48, 64);
  x = mixed(&b, "Mixed_4c", x, 160, 112, 224, 24, 64, 64);
  x = mixed(&b, "Mixed_4d", x, 128, 128, 256, 24, 64, 64);
  x = mixed(&b, "Mixed_4e", x, 112, 144, 288, 32, 64, 64);
  x = mixed(&b, "Mixed_4f", x, 256, 160, 320, 32, 128, 128);
  x = ep_mb_max_pool(&b, "MaxPool_5a_2x2", x, 2, 2, MB_SAME);
  x = mixed(&b, "Mixed_5b", x, 256, 160, 320, 32, 128, 128);
  x = mixed(&b, "Mixed_5c", x, 384, 192, 384, 48, 128, 128);
  ep_mb_push(&b, "Logits");
  x = ep_mb_avg_pool(&b, "AvgPool_0a_7x7", x, 7, 1, 0);
  x = ep_mb_flatten(&b, "Flatten", x);
  x = ep_mb_fully_connected(&b, "Conv2d_0c_1x1", x, 1001, 0.0f);
  ep_mb_pop(&b);
  x = ep_mb_softmax(&b, "Predictions", x);
  return ep_mb_finish(&b, x, graph_out);
}

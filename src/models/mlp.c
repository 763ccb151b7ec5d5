/* dlbench's FCN-5: a 784 -> 2048 -> 4096 -> 1024 -> 10 perceptron with sigmoid hidden layers.
 * Weights Glorot-uniform (+-sqrt(6 / (fan_in + fan_out))), the usual choice for sigmoids. */
#include <math.h>
#include <stdio.h>

#include "models/builder.h"
#include "models/models.h"

ep_status ep_model_mlp(uint64_t seed, ep_graph** graph_out) {
  static const int widths[5] = {784, 2048, 4096, 1024, 10};
  mb b;
  ep_mb_init(&b, "mlp", seed);
  int x = ep_mb_input(&b, "input", 2, (int64_t[]){1, 784});
  for (int i = 1; i < 5; i++) {
    char name[16];
    snprintf(name, sizeof name, "fc%d", i);
    float limit = (float)sqrt(6.0 / (widths[i - 1] + widths[i]));
    x = ep_mb_fully_connected(&b, name, x, widths[i], limit);
    if (i < 4) x = ep_mb_activation(&b, name, EP_OP_SIGMOID, x);
  }
  x = ep_mb_softmax(&b, "softmax", x);
  return ep_mb_finish(&b, x, graph_out);
}

/* The "small" language model of Zaremba et al. 2014 without its embedding: two LSTM layers of
 * 200 units unrolled over 20 steps at batch 1, then a 10000-word softmax for every step.
 * Weights uniform in [-0.1, 0.1], the paper's init_scale. */
#include "models/builder.h"
#include "models/models.h"

ep_status ep_model_lstm(uint64_t seed, ep_graph** graph_out) {
  mb b;
  ep_mb_init(&b, "lstm", seed);
  int x = ep_mb_input(&b, "input", 3, (int64_t[]){20, 1, 200});
  x = ep_mb_lstm(&b, "lstm_0", x, 200, 0.1f);
  x = ep_mb_lstm(&b, "lstm_1", x, 200, 0.1f);
  x = ep_mb_reshape(&b, "reshape", x, 2, (int64_t[]){-1, 200});
  x = ep_mb_fully_connected(&b, "softmax", x, 10000, 0.1f);
  x = ep_mb_softmax(&b, "probabilities", x);
  return ep_mb_finish(&b, x, graph_out);
}

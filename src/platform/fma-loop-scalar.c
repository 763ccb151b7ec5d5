/* Multiply-add throughput loop in plain C: the base ISA has no FMA, so a multiply and an add
 * per element (2 FLOPs), in 8 independent chains of 4 floats that the compiler vectorizes. */
#include "platform/cpu_internal.h"

enum { CHAINS = 8, WIDTH = 4 };

double ep_cpu_fma_loop__scalar(size_t iterations, float* sink) {
  float acc[CHAINS][WIDTH];
  for (int i = 0; i < CHAINS; i++) {
    for (int j = 0; j < WIDTH; j++) acc[i][j] = (float)(i * WIDTH + j) * 0.001f;
  }
  const float m = 0.99999994f, a = 1e-7f;
  for (size_t it = 0; it < iterations; it++) {
    _Pragma("GCC unroll 8") for (int i = 0; i < CHAINS; i++) {
      _Pragma("GCC unroll 4") for (int j = 0; j < WIDTH; j++) acc[i][j] = acc[i][j] * m + a;
    }
  }
  float s = 0.0f;
  for (int i = 0; i < CHAINS; i++) {
    for (int j = 0; j < WIDTH; j++) s += acc[i][j];
  }
  *sink = s;
  return (double)iterations * CHAINS * WIDTH * 2;
}

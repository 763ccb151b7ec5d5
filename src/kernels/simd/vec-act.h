/* Activations that the convolution and GEMM epilogues apply in registers, over whichever vector
 * shim (simd/vec-*.h) the including file put before it (internal). ReLU and ReLU6 stay the
 * epilogues' own clamps; this adds hard swish and hard sigmoid (PyTorch's 1/6 and 1/2), which
 * cost an FMA, two clamps and a multiply: applied to each stored tile afterwards they cost more
 * than the 1x1 convolution itself (0.42 against 0.19 ms for Relu, 32 -> 96 channels at 56x56,
 * one Zen 4 core), mostly in the calls per tile row. */
#ifndef EDGEPROF_KERNELS_SIMD_VEC_ACT_H
#define EDGEPROF_KERNELS_SIMD_VEC_ACT_H

#include <stdbool.h>

#include "edgeprof/graph.h"

static inline bool vf_act_is_hard(ep_activation act) {
  return act == EP_ACT_HARD_SWISH || act == EP_ACT_HARD_SIGMOID;
}

/* max(0, min(1, x / 6 + 1 / 2)), times x for hard swish; NaN stays NaN. */
static inline __attribute__((always_inline)) vf vf_hard_act(vf x, bool swish) {
  vf g = vf_fmadd(x, vf_set1(1.0f / 6.0f), vf_set1(0.5f));
  g = vf_keep_nan(x, vf_min(vf_max(g, vf_zero()), vf_set1(1.0f)));
  return swish ? vf_mul(x, g) : g;
}

#endif /* EDGEPROF_KERNELS_SIMD_VEC_ACT_H */

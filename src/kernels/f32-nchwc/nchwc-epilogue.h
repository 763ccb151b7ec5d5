/* The two ends of an NCHW8c kernel's tile (internal), written once for the 8-lane template
 * (f32-nchwc-impl.h: one vector is one block of a pixel) and the 16-lane AVX-512 pointwise file
 * (f32-nchwc-pointwise-avx512f.c through nchwc-pair-avx512f.h: one vector is a block pair's two
 * blocks of a pixel, 8 floats from one plane and 8 from the next). The AVX-512 window file
 * (grouped convolutions) still has a clamp of its own, the same as nchwc_clamp here:
 *
 *   nchwc_act_in_register / nchwc_clamp  which fused activations the tile applies in registers,
 *                                        and how; the rest (tanh, and on 8 lanes sigmoid and
 *                                        SiLU) by ep_activation_apply over stored runs
 *   nchwc_pointwise_begin                a pointwise tile's accumulators: the bias, or the
 *                                        partial sums of the earlier k blocks in y
 *   nchwc_pointwise_end                  the last k block's residual, activation and store
 *
 * Included after a vector shim (simd/vec-*.h) and three definitions of the includer:
 *   NCHWC_LOGISTIC_IN_REGISTER  1 where sigmoid and SiLU run in registers (16 lanes), 0 where
 *                               the tiles leave them to a pass over the stored chunk (8 lanes:
 *                               there a SiLU in registers cost as much as that pass; see
 *                               f32-nchwc-impl.h)
 *   NCHWC_OUT_LOAD(p, plane)    one output vector at p (its second half, if any, plane floats
 *   NCHWC_OUT_STORE(p, plane, v) further on)
 * Each includer is its own translation unit, so the static names here do not meet. */
#ifndef EDGEPROF_KERNELS_F32_NCHWC_EPILOGUE_H
#define EDGEPROF_KERNELS_F32_NCHWC_EPILOGUE_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/kernels.h"
#include "kernels/simd/vec-act.h"

#if !defined(NCHWC_LOGISTIC_IN_REGISTER) || !defined(NCHWC_OUT_LOAD) || !defined(NCHWC_OUT_STORE)
#error "nchwc-epilogue.h needs NCHWC_LOGISTIC_IN_REGISTER, NCHWC_OUT_LOAD and NCHWC_OUT_STORE"
#endif

#define NCHWC_EPILOGUE_INLINE static inline __attribute__((always_inline))
/* Loops over accumulators must be unrolled completely, or GCC keeps the arrays on the stack. */
#define NCHWC_EPILOGUE_UNROLL _Pragma("GCC unroll 16")

NCHWC_EPILOGUE_INLINE bool nchwc_act_in_register(ep_activation act) {
  if (!NCHWC_LOGISTIC_IN_REGISTER && vf_act_is_logistic(act)) return false;
  return ep_activation_in_register(act);
}

/* The register part of act on one accumulator (ReLU, ReLU6, hard swish / sigmoid, and sigmoid /
 * SiLU where NCHWC_LOGISTIC_IN_REGISTER); anything else passes unchanged. */
NCHWC_EPILOGUE_INLINE vf nchwc_clamp(vf acc, ep_activation act) {
  if (act == EP_ACT_RELU || act == EP_ACT_RELU6) {
    acc = vf_max(acc, vf_zero());
    if (act == EP_ACT_RELU6) acc = vf_min(acc, vf_set1(6.0f));
  }
  if (vf_act_is_hard(act)) acc = vf_hard_act(acc, act == EP_ACT_HARD_SWISH);
  if (NCHWC_LOGISTIC_IN_REGISTER && vf_act_is_logistic(act)) {
    acc = vf_logistic_act(acc, act == EP_ACT_SILU);
  }
  return acc;
}

/* P accumulators of output vectors i at y + i * 8: the bias vector b for the first k block,
 * the partial sums stored there by the earlier ones otherwise. */
NCHWC_EPILOGUE_INLINE void nchwc_pointwise_begin(vf* acc, const int P, bool first, vf b,
                                                 const float* y, size_t plane) {
  if (first) {
    NCHWC_EPILOGUE_UNROLL for (int i = 0; i < P; i++) acc[i] = b;
  } else {
    NCHWC_EPILOGUE_UNROLL for (int i = 0; i < P; i++) acc[i] = NCHWC_OUT_LOAD(y + i * 8, plane);
  }
}

/* Stores P accumulators to y + i * 8. On the last k block (last) first adds the residual at the
 * same place (residual is y's offset into it, or NULL) and applies the register part of act;
 * earlier k blocks store partial sums as they are. */
NCHWC_EPILOGUE_INLINE void nchwc_pointwise_end(vf* acc, const int P, bool last, float* y,
                                               const float* residual, size_t plane,
                                               ep_activation act) {
  if (last && residual != NULL) {
    NCHWC_EPILOGUE_UNROLL for (int i = 0; i < P; i++) {
      acc[i] = vf_add(acc[i], NCHWC_OUT_LOAD(residual + i * 8, plane));
    }
  }
  const ep_activation in_register = last && nchwc_act_in_register(act) ? act : EP_ACT_NONE;
  NCHWC_EPILOGUE_UNROLL for (int i = 0; i < P; i++) {
    NCHWC_OUT_STORE(y + i * 8, plane, nchwc_clamp(acc[i], in_register));
  }
}

#endif /* EDGEPROF_KERNELS_F32_NCHWC_EPILOGUE_H */

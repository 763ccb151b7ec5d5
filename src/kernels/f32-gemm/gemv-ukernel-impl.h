/* GEMV microkernel template (internal): y [nr] (+)= x [kc] x one packed B panel of
 * EP_GV_NV * VF_LANES columns. Memory bound: the panel streams through once, contiguous, and
 * four k steps in flight (each with its own accumulators) keep the loads going.
 *
 * Included once per ISA variant after a vector shim and two macros: EP_GV_NV (vectors per panel
 * row) and EP_GV_NAME (the ep_f32_gemv_ukernel_fn to define). */
#include <stdbool.h>
#include <stddef.h>

#include "kernels/activation.h"
#include "kernels/f32-gemm/gemm.h"
#include "kernels/kernels.h"
#include "kernels/simd/vec-act.h"

#define NV EP_GV_NV
#define NR (EP_GV_NV * VF_LANES)
#define KU 4

void EP_GV_NAME(size_t nr, size_t kc, const float* restrict x, const float* restrict b,
                float* restrict y, bool accumulate, const ep_f32_gemm_epilogue* epilogue) {
  vf acc[KU][NV];
  _Pragma("GCC unroll 4") for (int u = 0; u < KU; u++) {
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) acc[u][v] = vf_zero();
  }
  size_t k = 0;
  for (; k + KU <= kc; k += KU) {
    const float* bk = b + k * NR;
    _Pragma("GCC unroll 4") for (int u = 0; u < KU; u++) {
      const vf xk = vf_bcast(x + k + (size_t)u);
      _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
        acc[u][v] = vf_fmadd(xk, vf_load(bk + u * NR + v * VF_LANES), acc[u][v]);
      }
    }
  }
  for (; k < kc; k++) {
    const vf xk = vf_bcast(x + k);
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
      acc[0][v] = vf_fmadd(xk, vf_load(b + k * NR + v * VF_LANES), acc[0][v]);
    }
  }
  const float* row_bias = epilogue != NULL ? epilogue->row_bias : NULL;
  const float* col_bias = epilogue != NULL ? epilogue->col_bias : NULL;
  const ep_activation act = epilogue != NULL ? epilogue->act : EP_ACT_NONE;
  const vf rb = row_bias != NULL ? vf_bcast(row_bias) : vf_zero();
  const vf lo = vf_zero();
  const vf hi = vf_set1(act == EP_ACT_RELU6 ? 6.0f : 3.4028235e38f);
  _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
    const size_t first = (size_t)v * VF_LANES;
    if (nr <= first) break;
    const size_t lanes = nr - first >= VF_LANES ? VF_LANES : nr - first;
    vf s = vf_add(vf_add(acc[0][v], acc[1][v]), vf_add(acc[2][v], acc[3][v]));
    if (lanes == VF_LANES) {
      if (accumulate) s = vf_add(s, vf_load(y + first));
      if (col_bias != NULL) s = vf_add(s, vf_load(col_bias + first));
    } else {
      if (accumulate) s = vf_add(s, vf_load_tail(y + first, lanes));
      if (col_bias != NULL) s = vf_add(s, vf_load_tail(col_bias + first, lanes));
    }
    s = vf_add(s, rb);
    if (act == EP_ACT_RELU || act == EP_ACT_RELU6) s = vf_min(vf_max(s, lo), hi);
    if (vf_act_is_hard(act)) s = vf_hard_act(s, act == EP_ACT_HARD_SWISH);
    if (vf_act_is_logistic(act)) s = vf_logistic_act(s, act == EP_ACT_SILU);
    if (vf_act_is_gelu(act)) s = vf_gelu_act(s, act == EP_ACT_GELU_TANH);
    if (lanes == VF_LANES) {
      vf_store(y + first, s);
    } else {
      vf_store_tail(y + first, lanes, s);
    }
  }
  if (!ep_activation_in_register(act)) ep_activation_apply(act, y, nr);
}

#undef NV
#undef NR
#undef KU

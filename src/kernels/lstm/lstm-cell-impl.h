/* LSTM cell template (internal; lstm-cell.h says what it computes). Memory bound at batch 1: the
 * block's panel (kc rows of the four gates' NR units side by side) streams through once,
 * contiguous, EP_LC_KU k steps in flight with accumulators of their own; then the four sums go
 * through sigmoid / tanh and the cell update without leaving registers.
 *
 * Included once per ISA variant after a vector shim and three macros: EP_LC_NV (vectors per gate:
 * the level's gemm nr / VF_LANES), EP_LC_KU (k steps in flight) and EP_LC_NAME (the
 * ep_lstm_cell_fn to define). */
#include <stdbool.h>
#include <stddef.h>

#include "kernels/lstm/lstm-cell.h"
#include "kernels/simd/vec-act.h"
#include "kernels/simd/vec-exp.h"

#define NV EP_LC_NV
#define KU EP_LC_KU
#define NR (EP_LC_NV * VF_LANES)
#define ROW (4 * NR)

void EP_LC_NAME(size_t units, size_t kc, const float* restrict h, const float* restrict r,
                const float* restrict g, float* restrict c, float* restrict h_out) {
  vf acc[KU][4][NV];
  _Pragma("GCC unroll 4") for (int u = 0; u < KU; u++) {
    _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) {
      _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) acc[u][q][v] = vf_zero();
    }
  }
  if (h != NULL) {
    size_t k = 0;
    for (; k + KU <= kc; k += KU) {
      const float* rk = r + k * ROW;
      _Pragma("GCC unroll 4") for (int u = 0; u < KU; u++) {
        const vf hk = vf_bcast(h + k + (size_t)u);
        _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) {
          _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
            acc[u][q][v] = vf_fmadd(hk, vf_load(rk + u * ROW + q * NR + v * VF_LANES), acc[u][q][v]);
          }
        }
      }
    }
    for (; k < kc; k++) {
      const vf hk = vf_bcast(h + k);
      _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) {
        _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
          acc[0][q][v] = vf_fmadd(hk, vf_load(r + k * ROW + q * NR + v * VF_LANES), acc[0][q][v]);
        }
      }
    }
  }
  _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
    const size_t first = (size_t)v * VF_LANES;
    vf pre[4];
    _Pragma("GCC unroll 4") for (int q = 0; q < 4; q++) {
      vf s = vf_load(g + q * NR + first);
      _Pragma("GCC unroll 4") for (int u = 0; u < KU; u++) s = vf_add(s, acc[u][q][v]);
      pre[q] = s;
    }
    const vf in_gate = vf_sigmoid(pre[0]);
    const vf out_gate = vf_sigmoid(pre[1]);
    const vf forget = vf_sigmoid(pre[2]);
    const vf candidate = vf_tanh(pre[3]);
    const vf cell = vf_fmadd(forget, vf_load(c + first), vf_mul(in_gate, candidate));
    vf_store(c + first, cell);
    const vf out = vf_mul(out_gate, vf_tanh(cell));
    if (units >= first + VF_LANES) {
      vf_store(h_out + first, out);
    } else if (units > first) {
      vf_store_tail(h_out + first, units - first, out);
    }
  }
}

#undef NV
#undef KU
#undef NR
#undef ROW

/* GRU cell template (internal; gru-cell.h says what it computes): the block's panel (kc rows of
 * the three gates' NR units side by side) streams through once, EP_GC_KU k steps in flight, and
 * the gates go through sigmoid / tanh and the update without leaving registers.
 *
 * Included once per ISA variant after a vector shim and three macros: EP_GC_NV (vectors per gate:
 * the level's gemm nr / VF_LANES), EP_GC_KU (k steps in flight) and EP_GC_NAME (the
 * ep_gru_cell_fn to define). */
#include <stdbool.h>
#include <stddef.h>

#include "kernels/rnn/gru-cell.h"
#include "kernels/simd/vec-act.h"
#include "kernels/simd/vec-exp.h"

#define NV EP_GC_NV
#define KU EP_GC_KU
#define NR (EP_GC_NV * VF_LANES)
#define ROW (3 * NR)

void EP_GC_NAME(size_t units, size_t kc, const float* restrict h, const float* restrict h_block,
                const float* restrict r, const float* restrict g, const float* restrict rbias,
                float* restrict h_out) {
  vf acc[KU][3][NV];
  _Pragma("GCC unroll 4") for (int u = 0; u < KU; u++) {
    _Pragma("GCC unroll 3") for (int q = 0; q < 3; q++) {
      _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) acc[u][q][v] = vf_zero();
    }
  }
  size_t k = 0;
  for (; k + KU <= kc; k += KU) {
    const float* rk = r + k * ROW;
    _Pragma("GCC unroll 4") for (int u = 0; u < KU; u++) {
      const vf hk = vf_bcast(h + k + (size_t)u);
      _Pragma("GCC unroll 3") for (int q = 0; q < 3; q++) {
        _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
          acc[u][q][v] = vf_fmadd(hk, vf_load(rk + u * ROW + q * NR + v * VF_LANES), acc[u][q][v]);
        }
      }
    }
  }
  for (; k < kc; k++) {
    const vf hk = vf_bcast(h + k);
    _Pragma("GCC unroll 3") for (int q = 0; q < 3; q++) {
      _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
        acc[0][q][v] = vf_fmadd(hk, vf_load(r + k * ROW + q * NR + v * VF_LANES), acc[0][q][v]);
      }
    }
  }
  _Pragma("GCC unroll 8") for (int v = 0; v < NV; v++) {
    const size_t first = (size_t)v * VF_LANES;
    if (units <= first) break;
    vf rec[3];
    _Pragma("GCC unroll 3") for (int q = 0; q < 3; q++) {
      vf s = acc[0][q][v];
      _Pragma("GCC unroll 4") for (int u = 1; u < KU; u++) s = vf_add(s, acc[u][q][v]);
      rec[q] = s;
    }
    const vf update = vf_sigmoid(vf_add(vf_load(g + first), rec[0]));
    const vf reset = vf_sigmoid(vf_add(vf_load(g + NR + first), rec[1]));
    const vf hidden = vf_add(rec[2], vf_load(rbias + first));
    const vf candidate = vf_tanh(vf_fmadd(reset, hidden, vf_load(g + 2 * NR + first)));
    const bool full = units >= first + VF_LANES;
    const vf old = full ? vf_load(h_block + first) : vf_load_tail(h_block + first, units - first);
    const vf out = vf_fmadd(update, vf_sub(old, candidate), candidate);
    if (full) {
      vf_store(h_out + first, out);
    } else {
      vf_store_tail(h_out + first, units - first, out);
    }
  }
}

#undef NV
#undef KU
#undef NR
#undef ROW

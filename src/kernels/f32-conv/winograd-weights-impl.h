/* The F(4x4, 3x3) weight transform at run time, U = G g G^T (internal): see winograd.h.
 *
 * For layers with few tiles (ResNet-50's 14x14 stage: 16 tiles) each transformed weight serves
 * one GEMM panel only, and the pack-time U (4 times the weights) is streamed from memory on every
 * run. There the run transforms the 3x3 weights itself, a k block at a time into a buffer that
 * stays in L2, and streams only the 9 taps.
 *
 * The lanes run along the flattened (input channel, output channel of the A panel) index, so
 * the vectors are whole whatever the panel height: tap t of that index is g[t * g_tap_stride + q],
 * and U_k's A panel element for the same index is u[k * u_stride + q].
 *
 * Included once per ISA variant after a vector shim and EP_WG_NAME. */
#include <stddef.h>

#include "kernels/f32-conv/winograd.h"

#define EP_WGW_INLINE static inline __attribute__((always_inline))

/* The 6 rows of G4 x (x0, x1, x2) (winograd.c's G4). */
EP_WGW_INLINE void wgw_rows4(vf x0, vf x1, vf x2, vf o[6]) {
  const vf s = vf_add(x0, x2);
  const vf t = vf_fmadd(x0, vf_set1(1.0f / 24), vf_mul(x2, vf_set1(1.0f / 6)));
  const vf h = vf_mul(x1, vf_set1(1.0f / 12));
  o[0] = vf_mul(x0, vf_set1(0.25f));
  o[1] = vf_mul(vf_add(s, x1), vf_set1(-1.0f / 6));
  o[2] = vf_mul(vf_sub(s, x1), vf_set1(-1.0f / 6));
  o[3] = vf_add(t, h);
  o[4] = vf_sub(t, h);
  o[5] = x2;
}

EP_WGW_INLINE vf wgw_load(const float* p, size_t n) {
  return n >= VF_LANES ? vf_load(p) : vf_load_tail(p, n);
}

EP_WGW_INLINE void wgw_store(float* p, size_t n, vf v) {
  if (n >= VF_LANES) {
    vf_store(p, v);
  } else {
    vf_store_tail(p, n, v);
  }
}

/* One vector of n <= VF_LANES indices from q on. */
EP_WGW_INLINE void wgw_vector(const float* g, size_t g_tap_stride, size_t q, size_t n, float* u,
                              size_t u_stride) {
  vf taps[9];
  _Pragma("GCC unroll 9") for (int t = 0; t < 9; t++) {
    taps[t] = wgw_load(g + (size_t)t * g_tap_stride + q, n);
  }
  vf gg[6][3]; /* G g */
  _Pragma("GCC unroll 3") for (int j = 0; j < 3; j++) {
    vf col[6];
    wgw_rows4(taps[j], taps[3 + j], taps[6 + j], col);
    _Pragma("GCC unroll 6") for (int i = 0; i < 6; i++) gg[i][j] = col[i];
  }
  _Pragma("GCC unroll 6") for (int i = 0; i < 6; i++) {
    vf row[6];
    wgw_rows4(gg[i][0], gg[i][1], gg[i][2], row);
    _Pragma("GCC unroll 6") for (int k = 0; k < 6; k++) {
      wgw_store(u + (size_t)(i * 6 + k) * u_stride + q, n, row[k]);
    }
  }
}

void EP_WG_NAME(weights4)(const float* g, size_t g_tap_stride, size_t n, float* u,
                          size_t u_stride) {
  size_t q = 0;
  for (; q + VF_LANES <= n; q += VF_LANES) wgw_vector(g, g_tap_stride, q, VF_LANES, u, u_stride);
  if (q < n) wgw_vector(g, g_tap_stride, q, n - q, u, u_stride);
}

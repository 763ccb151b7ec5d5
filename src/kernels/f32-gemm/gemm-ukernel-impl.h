/* GEMM microkernel template (internal): an MR x (NV * VF_LANES) tile of C in registers.
 *
 * Included once per ISA variant after a vector shim (kernels/simd/vec-*.h) and three macros:
 *   EP_UK_MR    rows of the tile (packed A panel height);
 *   EP_UK_NV    vectors per row (the B panel width is EP_UK_NV * VF_LANES);
 *   EP_UK_NAME  the function to define (ep_f32_gemm_ukernel_fn);
 *   EP_UK_STRIDED_NAME  the same over a B that is not packed (ep_f32_gemm_strided_ukernel_fn).
 * Per k step: EP_UK_NV loads of B, EP_UK_MR broadcasts of A (EP_UK_MR / VF_LANES loads where the
 * shim has lane FMAs), EP_UK_MR * EP_UK_NV FMAs into independent accumulators. A tile narrower than
 * one vector less than the panel (the last pixels of a small image) runs with fewer vectors, so
 * that it costs what it computes. */
#include <stdbool.h>
#include <stddef.h>

#include "kernels/activation.h"
#include "kernels/f32-gemm/gemm.h"
#include "kernels/kernels.h"
#include "kernels/simd/vec-act.h"

#define MR EP_UK_MR
#define NV EP_UK_NV
#define NR (EP_UK_NV * VF_LANES)

#define EP_UK_ALWAYS_INLINE static inline __attribute__((always_inline))

/* Where the shim multiplies by a lane of a register (vec-neon.h: fmla by element), A is loaded a
 * vector of rows at a time instead of a broadcast per row: one load per VF_LANES rows. */
#if defined(VF_HAS_FMADD_LANE) && EP_UK_MR % VF_LANES == 0
#define EP_UK_LANE_FMA 1
#else
#define EP_UK_LANE_FMA 0
#endif

/* acc [MR][nv] = A panel x B over kc steps, nv <= NV vectors per row; B row k at b + k * ldb
 * (NR for a packed panel). */
EP_UK_ALWAYS_INLINE void tile_product(const int rows, const int nv, size_t kc,
                                      const float* restrict a, const float* restrict b, size_t ldb,
                                      vf acc[MR][NV]) {
  _Pragma("GCC unroll 16") for (int r = 0; r < rows; r++) {
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) acc[r][v] = vf_zero();
  }
  _Pragma("GCC unroll 2") for (size_t k = 0; k < kc; k++) {
    vf bv[NV];
    _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) bv[v] = vf_load(b + v * VF_LANES);
#if EP_UK_LANE_FMA
    vf av[MR / VF_LANES];
    _Pragma("GCC unroll 4") for (int q = 0; q < (rows + VF_LANES - 1) / VF_LANES; q++) {
      av[q] = vf_load(a + q * VF_LANES);
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < rows; r++) {
      _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) {
        acc[r][v] = vf_fmadd_lane(av[r / VF_LANES], r % VF_LANES, bv[v], acc[r][v]);
      }
    }
#else
    _Pragma("GCC unroll 16") for (int r = 0; r < rows; r++) {
      const vf ar = vf_bcast(a + r);
      _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) {
        acc[r][v] = vf_fmadd(ar, bv[v], acc[r][v]);
      }
    }
#endif
    a += MR;
    b += ldb;
  }
}

/* GELU over the mr x nr tile just stored (in L1), a vector at a time, in a function of its own:
 * inlined into every row and vector of every tile shape, its ~100 instructions made the
 * microkernel 3.4x larger than the instruction cache holds, and ViT-B/16 slower than with a
 * Gelu node after the MatMul. */
static __attribute__((noinline)) void gelu_tile(float* c, size_t ldc, size_t mr, size_t nr,
                                                 bool tanh_form) {
  for (size_t r = 0; r < mr; r++) {
    float* cr = c + r * ldc;
    size_t j = 0;
    for (; j + VF_LANES <= nr; j += VF_LANES) {
      vf_store(cr + j, vf_gelu_act(vf_load(cr + j), tanh_form));
    }
    if (j < nr) vf_store_tail(cr + j, nr - j, vf_gelu_act(vf_load_tail(cr + j, nr - j), tanh_form));
  }
}

/* Adds what C holds and the biases, clamps, and stores rows [0, mr) and columns [0, nr) of the
 * tile; nv vectors per row cover nr. */
EP_UK_ALWAYS_INLINE void tile_store(const int rows, const int nv, vf acc[MR][NV], size_t mr,
                                    size_t nr, float* restrict c, size_t ldc, bool accumulate,
                                    const ep_f32_gemm_epilogue* epilogue) {
  const float* row_bias = epilogue != NULL ? epilogue->row_bias : NULL;
  const float* col_bias = epilogue != NULL ? epilogue->col_bias : NULL;
  const ep_activation act = epilogue != NULL ? epilogue->act : EP_ACT_NONE;
  const float* residual = epilogue != NULL ? epilogue->residual : NULL;
  const bool clamp = act == EP_ACT_RELU || act == EP_ACT_RELU6;
  const bool hard = vf_act_is_hard(act), swish = act == EP_ACT_HARD_SWISH;
  const bool logistic = vf_act_is_logistic(act), silu = act == EP_ACT_SILU;
  const bool gelu = vf_act_is_gelu(act), gelu_tanh = act == EP_ACT_GELU_TANH;
  const vf lo = vf_zero();
  const vf hi = vf_set1(act == EP_ACT_RELU6 ? 6.0f : 3.4028235e38f);
  size_t lanes[NV]; /* valid lanes of each vector */
  vf cb[NV];
  _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) {
    const size_t first = (size_t)v * VF_LANES;
    lanes[v] = nr <= first ? 0 : nr - first >= VF_LANES ? VF_LANES : nr - first;
    cb[v] = vf_zero();
    if (col_bias != NULL && lanes[v] == VF_LANES) cb[v] = vf_load(col_bias + first);
    if (col_bias != NULL && lanes[v] > 0 && lanes[v] < VF_LANES) {
      cb[v] = vf_load_tail(col_bias + first, lanes[v]);
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < rows; r++) {
    if ((size_t)r >= mr) break;
    float* cr = c + (size_t)r * ldc;
    const float* rr = residual != NULL ? residual + (size_t)r * epilogue->residual_ld : NULL;
    const vf rb = row_bias != NULL ? vf_bcast(row_bias + r) : vf_zero();
    _Pragma("GCC unroll 4") for (int v = 0; v < nv; v++) {
      vf x = acc[r][v];
      if (lanes[v] == VF_LANES) {
        if (accumulate) x = vf_add(x, vf_load(cr + v * VF_LANES));
        x = vf_add(vf_add(x, rb), cb[v]);
        if (rr != NULL) x = vf_add(x, vf_load(rr + v * VF_LANES));
        if (clamp) x = vf_min(vf_max(x, lo), hi);
        if (hard) x = vf_hard_act(x, swish);
        if (logistic) x = vf_logistic_act(x, silu);
        vf_store(cr + v * VF_LANES, x);
      } else if (lanes[v] > 0) {
        if (accumulate) x = vf_add(x, vf_load_tail(cr + v * VF_LANES, lanes[v]));
        x = vf_add(vf_add(x, rb), cb[v]);
        if (rr != NULL) x = vf_add(x, vf_load_tail(rr + v * VF_LANES, lanes[v]));
        if (clamp) x = vf_min(vf_max(x, lo), hi);
        if (hard) x = vf_hard_act(x, swish);
        if (logistic) x = vf_logistic_act(x, silu);
        vf_store_tail(cr + v * VF_LANES, lanes[v], x);
      }
    }
    if (!ep_activation_in_register(act)) ep_activation_apply(act, cr, nr);
  }
  if (gelu) gelu_tile(c, ldc, mr, nr, gelu_tanh);
}

/* The one-vector product of a two-vector variant (a tail of at most one vector's pixels): MR
 * accumulators alone wait on the FMA latency (6 chains where 8 keep two FMA units busy), so even
 * and odd k steps go to the two columns of acc and are summed at the end. */
EP_UK_ALWAYS_INLINE void tile_product_narrow(const int rows, size_t kc, const float* restrict a,
                                             const float* restrict b, size_t ldb, vf acc[MR][NV]) {
  _Pragma("GCC unroll 16") for (int r = 0; r < rows; r++) {
    acc[r][0] = vf_zero();
    acc[r][1] = vf_zero();
  }
  size_t k = 0;
  for (; k + 1 < kc; k += 2) {
    const vf b0 = vf_load(b);
    const vf b1 = vf_load(b + ldb);
#if EP_UK_LANE_FMA
    vf a0[MR / VF_LANES], a1[MR / VF_LANES];
    _Pragma("GCC unroll 4") for (int q = 0; q < (rows + VF_LANES - 1) / VF_LANES; q++) {
      a0[q] = vf_load(a + q * VF_LANES);
      a1[q] = vf_load(a + MR + q * VF_LANES);
    }
    _Pragma("GCC unroll 16") for (int r = 0; r < rows; r++) {
      acc[r][0] = vf_fmadd_lane(a0[r / VF_LANES], r % VF_LANES, b0, acc[r][0]);
      acc[r][1] = vf_fmadd_lane(a1[r / VF_LANES], r % VF_LANES, b1, acc[r][1]);
    }
#else
    _Pragma("GCC unroll 16") for (int r = 0; r < rows; r++) {
      acc[r][0] = vf_fmadd(vf_bcast(a + r), b0, acc[r][0]);
      acc[r][1] = vf_fmadd(vf_bcast(a + MR + r), b1, acc[r][1]);
    }
#endif
    a += 2 * MR;
    b += 2 * ldb;
  }
  if (k < kc) {
    const vf b0 = vf_load(b);
    _Pragma("GCC unroll 16") for (int r = 0; r < rows; r++) {
      acc[r][0] = vf_fmadd(vf_bcast(a + r), b0, acc[r][0]);
    }
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < rows; r++) acc[r][0] = vf_add(acc[r][0], acc[r][1]);
}

/* tile_store for rows [0, mr) of whole width (nr == NR), without column biases, with at most a
 * clamp for activation: no lane counts, so that it stays short. With the general store, a call
 * of a small-K layer (K = 64: 384 cycles of multiply-adds) lost a fifth of its time to the
 * bookkeeping: 67 against 83 GFLOP/s on L1-resident panels (Zen 3, 94 peak). */
EP_UK_ALWAYS_INLINE void tile_store_whole(const int rows, vf acc[MR][NV], size_t mr,
                                          float* restrict c, size_t ldc, bool accumulate,
                                          const float* row_bias, const float* col_bias,
                                          const float* residual, size_t residual_ld, bool clamp,
                                          vf hi) {
  const vf lo = vf_zero();
  vf cb[NV];
  _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
    cb[v] = col_bias != NULL ? vf_load(col_bias + v * VF_LANES) : vf_zero();
  }
  _Pragma("GCC unroll 16") for (int r = 0; r < rows; r++) {
    if ((size_t)r >= mr) break;
    float* cr = c + (size_t)r * ldc;
    const vf rb = row_bias != NULL ? vf_bcast(row_bias + r) : vf_zero();
    _Pragma("GCC unroll 4") for (int v = 0; v < NV; v++) {
      vf x = vf_add(acc[r][v], rb);
      if (accumulate) x = vf_add(x, vf_load(cr + v * VF_LANES));
      /* After the partial sums, as an unfused bias Add adds it: the same floats. */
      if (col_bias != NULL) x = vf_add(x, cb[v]);
      if (residual != NULL)
        x = vf_add(x, vf_load(residual + (size_t)r * residual_ld + v * VF_LANES));
      if (clamp) x = vf_min(vf_max(x, lo), hi);
      vf_store(cr + v * VF_LANES, x);
    }
  }
}

EP_UK_ALWAYS_INLINE void tile_rows(const int rows, size_t mr, size_t nr, size_t kc,
                                   const float* restrict a, const float* restrict b, size_t ldb,
                                   float* restrict c, size_t ldc, bool accumulate,
                                   const ep_f32_gemm_epilogue* epilogue) {
  vf acc[MR][NV];
  const ep_activation act = epilogue != NULL ? epilogue->act : EP_ACT_NONE;
  /* Whole tiles with a column bias (a transformer's Linear layers) or a GELU after it keep the
   * short store too: the general one cost the fused MatMul + bias + GELU 1-3% against the
   * unfused nodes (ViT's 197 x 768 -> 3072 -> 768 MLP, one Zen 4 core). */
  const bool gelu = vf_act_is_gelu(act);
  if (nr == NR && (act == EP_ACT_NONE || act == EP_ACT_RELU || act == EP_ACT_RELU6 || gelu)) {
    tile_product(rows, NV, kc, a, b, ldb, acc);
    tile_store_whole(rows, acc, mr, c, ldc, accumulate,
                     epilogue != NULL ? epilogue->row_bias : NULL,
                     epilogue != NULL ? epilogue->col_bias : NULL,
                     epilogue != NULL ? epilogue->residual : NULL,
                     epilogue != NULL ? epilogue->residual_ld : 0,
                     act == EP_ACT_RELU || act == EP_ACT_RELU6,
                     vf_set1(act == EP_ACT_RELU6 ? 6.0f : 3.4028235e38f));
    if (gelu) gelu_tile(c, ldc, mr, nr, act == EP_ACT_GELU_TANH);
    return;
  }
  if (NV == 2 && nr <= VF_LANES) {
    tile_product_narrow(rows, kc, a, b, ldb, acc);
    tile_store(rows, 1, acc, mr, nr, c, ldc, accumulate, epilogue);
  } else if (NV > 1 && nr <= (size_t)(NV - 1) * VF_LANES) {
    /* One vector less per row, for narrow tails. */
    tile_product(rows, NV - 1, kc, a, b, ldb, acc);
    tile_store(rows, NV - 1, acc, mr, nr, c, ldc, accumulate, epilogue);
  } else {
    tile_product(rows, NV, kc, a, b, ldb, acc);
    tile_store(rows, NV, acc, mr, nr, c, ldc, accumulate, epilogue);
  }
}

/* A tile of fewer rows than the panel (the last rows of a matrix whose height is not a multiple
 * of MR: a fully connected layer over 20 time steps, 197 tokens) computes only its rows, rounded
 * up to ROW_STEP, instead of all MR rows of the zero-padded panel: M = 20 on the 16-row AVX-512
 * kernel did 32 rows' work. ROW_STEP rows still give enough independent accumulator chains
 * (ROW_STEP * NV) to cover the multiply-add latency on the cores we measured. */
#define ROW_STEP (MR >= 8 ? 4 : 2)
EP_UK_ALWAYS_INLINE void tile(size_t mr, size_t nr, size_t kc, const float* restrict a,
                              const float* restrict b, size_t ldb, float* restrict c, size_t ldc,
                              bool accumulate, const ep_f32_gemm_epilogue* epilogue) {
  if (mr + ROW_STEP > MR || MR <= ROW_STEP) {
    tile_rows(MR, mr, nr, kc, a, b, ldb, c, ldc, accumulate, epilogue);
  } else if (mr <= ROW_STEP) {
    tile_rows(ROW_STEP, mr, nr, kc, a, b, ldb, c, ldc, accumulate, epilogue);
  } else if (mr <= 2 * ROW_STEP) {
    tile_rows(2 * ROW_STEP, mr, nr, kc, a, b, ldb, c, ldc, accumulate, epilogue);
  } else {
    tile_rows(3 * ROW_STEP < MR ? 3 * ROW_STEP : MR, mr, nr, kc, a, b, ldb, c, ldc, accumulate,
              epilogue);
  }
}

void EP_UK_NAME(size_t mr, size_t nr, size_t kc, const float* restrict a, const float* restrict b,
                float* restrict c, size_t ldc, bool accumulate,
                const ep_f32_gemm_epilogue* epilogue) {
  tile(mr, nr, kc, a, b, NR, c, ldc, accumulate, epilogue);
}

void EP_UK_STRIDED_NAME(size_t mr, size_t nr, size_t kc, const float* restrict a,
                        const float* restrict b, size_t ldb, float* restrict c, size_t ldc,
                        bool accumulate, const ep_f32_gemm_epilogue* epilogue) {
  tile(mr, nr, kc, a, b, ldb, c, ldc, accumulate, epilogue);
}

#undef MR
#undef NV
#undef NR
#undef EP_UK_ALWAYS_INLINE
#undef EP_UK_LANE_FMA
#undef ROW_STEP

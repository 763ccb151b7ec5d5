/* Packed, blocked float32 GEMM shared by convolution, fully connected and LSTM (internal).
 *
 * C [m, n] = A [m, k] x B [k, n]. The work is cut into mr x nr tiles computed by a microkernel
 * that keeps the tile in registers; the variant (and with it mr and nr) comes from
 * ep_f32_gemm_config_get(), which follows the active ISA level (edgeprof/cpu.h): 4x8 scalar,
 * 6x16 AVX2+FMA, 16x16 AVX-512F. Packed data is only valid for the configuration that packed it,
 * so pack and run under the same level.
 *
 * Packed layouts (both zero-padded to whole panels, so microkernels never test bounds):
 *   A panels: mr rows, k-major: panel[k * mr + r]; panel p holds rows [p * mr, p * mr + mr).
 *   B panels: nr columns, k-major: panel[k * nr + j]; panel p holds columns [p * nr, ...).
 * Convolutions pack their weights as A (rows are output channels) and the pixels as B; fully
 * connected and LSTM pack their weights as B (columns are output units) and, for more than one
 * row, the activations as A. One row is a GEMV that reads x directly. */
#ifndef EDGEPROF_KERNELS_F32_GEMM_H
#define EDGEPROF_KERNELS_F32_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "edgeprof/cpu.h"
#include "edgeprof/graph.h"

/* Applied to a tile once its last k block is summed: biases and the residual, then the
 * activation. */
typedef struct ep_f32_gemm_epilogue {
  const float* row_bias; /* one value per row of C, or NULL (convolution: per channel) */
  const float* col_bias; /* one value per column of C, or NULL (fully connected: per unit) */
  ep_activation act;
  /* A matrix shaped like C (row r at residual + r * residual_ld) added before the activation,
   * or NULL: a residual connection's Add fused into the convolution before it. It must not
   * overlap C, which holds partial sums until the last k block. */
  const float* residual;
  size_t residual_ld;
} ep_f32_gemm_epilogue;

/* Computes the mr x nr tile (mr <= MR, nr <= NR) of C from kc steps of k:
 *   a: one packed A panel (from its k-th step on); b: one packed B panel, likewise;
 *   c: row r at c + r * ldc; mr rows of nr values are read (accumulate) and written;
 *   accumulate: add to what C holds (a later k block) instead of overwriting it;
 *   epilogue: NULL for a partial sum, else its biases and residual are offset to this tile's
 *   first row and column. */
typedef void (*ep_f32_gemm_ukernel_fn)(size_t mr, size_t nr, size_t kc, const float* a,
                                       const float* b, float* c, size_t ldc, bool accumulate,
                                       const ep_f32_gemm_epilogue* epilogue);

/* The same over a B that is not packed: row k of the tile's B at b + k * ldb, of which nr values
 * are used but NR (the variant's panel width) are read: rows need NR - nr readable floats of
 * slack past the matrix's last column. */
typedef void (*ep_f32_gemm_strided_ukernel_fn)(size_t mr, size_t nr, size_t kc, const float* a,
                                               const float* b, size_t ldb, float* c, size_t ldc,
                                               bool accumulate,
                                               const ep_f32_gemm_epilogue* epilogue);

/* One row: y [nr] (+)= x [kc] x one packed B panel; the memory-bound batch-1 case. The
 * epilogue's row_bias, if any, is a single value. */
typedef void (*ep_f32_gemv_ukernel_fn)(size_t nr, size_t kc, const float* x, const float* b,
                                       float* y, bool accumulate,
                                       const ep_f32_gemm_epilogue* epilogue);

/* Packs A [m, k] (row r at a + r * lda) as ep_f32_gemm_pack_a does, for the variant's mr. */
typedef void (*ep_f32_gemm_pack_a_fn)(size_t m, size_t k, const float* a, size_t lda, float* out);

/* The largest nr of any variant, for callers that keep a panel row on the stack. */
#define EP_F32_GEMM_MAX_NR 64

typedef struct ep_f32_gemm_config {
  size_t mr, nr;
  ep_f32_gemm_ukernel_fn gemm;
  ep_f32_gemv_ukernel_fn gemv;
  ep_cpu_isa isa;                              /* the level these kernels need */
  ep_f32_gemm_strided_ukernel_fn gemm_strided; /* NULL at the scalar level */
  ep_f32_gemm_pack_a_fn pack_a; /* optional: NULL packs element by element */
} ep_f32_gemm_config;

/* The variant of the active ISA level; never NULL. Thread-safe. */
const ep_f32_gemm_config* ep_f32_gemm_config_get(void);
/* The variant of a given level (the best one at or below it that this build has), whether or
 * not the CPU can run it: check ep_cpu_isa_supported(config->isa) first. Never NULL. */
const ep_f32_gemm_config* ep_f32_gemm_config_for(ep_cpu_isa isa);

/* Packed weights of the GEMM-based families (conv, fully connected, LSTM/GRU) begin with a
 * header of EP_PACKED_HEADER floats (64 bytes: the panels after it stay aligned) whose first
 * records the ISA level of the configuration that packed them: a run uses that configuration's
 * tile and kernels, whatever level is active by then. */
enum { EP_PACKED_HEADER = 16 };

static inline float* ep_packed_header_write(float* packed, const ep_f32_gemm_config* config) {
  memset(packed, 0, EP_PACKED_HEADER * sizeof *packed);
  packed[0] = (float)config->isa;
  return packed + EP_PACKED_HEADER;
}

static inline const ep_f32_gemm_config* ep_packed_config(const float* packed) {
  return ep_f32_gemm_config_for((ep_cpu_isa)(int)packed[0]);
}

static inline size_t ep_round_up(size_t x, size_t q) { return (x + q - 1) / q * q; }
static inline size_t ep_divide_round_up(size_t x, size_t q) { return (x + q - 1) / q; }

/* Copies or clears one panel row of n floats. Rows are short, so a libc call per row costs as
 * much as the copy; the common widths get a constant size that compilers expand inline. */
static inline void ep_f32_copy_row(float* dst, const float* src, size_t n) {
  if (n == 8) {
    memcpy(dst, src, 8 * sizeof *dst);
  } else if (n == 16) {
    memcpy(dst, src, 16 * sizeof *dst);
  } else {
    memcpy(dst, src, n * sizeof *dst);
  }
}

static inline void ep_f32_zero_row(float* dst, size_t n) {
  if (n == 8) {
    memset(dst, 0, 8 * sizeof *dst);
  } else if (n == 16) {
    memset(dst, 0, 16 * sizeof *dst);
  } else {
    memset(dst, 0, n * sizeof *dst);
  }
}

/* Packs A [m, k] (row r at a + r * lda) into ceil(m / mr) panels of mr x k; with the active
 * configuration's pack_a where its mr is this one (the layout depends on mr alone). */
void ep_f32_gemm_pack_a(size_t m, size_t k, const float* a, size_t lda, size_t mr, float* out);

/* Packs B [k, n], element (kk, j) at b[kk * k_stride + j * n_stride], into ceil(n / nr) panels
 * of k x nr. n_stride 1 is a row-major matrix (the fast path, used at run time); k_stride 1 is
 * the transpose of a row-major [n, k] weight (used at pack time). */
void ep_f32_gemm_pack_b(size_t k, size_t n, const float* b, size_t k_stride, size_t n_stride,
                        size_t nr, float* out);

/* ep_f32_gemm_pack_b of a row-major B (n_stride 1) with each element transformed on the way:
 * B'[kk, j] = scale[kk] * B[kk, j] + shift[kk], then max(., 0) with relu. A pre-activation
 * (batch norm, relu) fused into the pointwise convolution that reads it. */
void ep_f32_gemm_pack_b_affine(size_t k, size_t n, const float* b, size_t k_stride,
                               const float* scale, const float* shift, bool relu, size_t nr,
                               float* out);

/* C [m, n] (+)= A [m, kc] x B [kc, n] over whole tiles, cache-blocked over the rows of A.
 * a and b point at the first panel, at the k step where this block starts; a_panel_stride and
 * b_panel_stride are the distances between consecutive panels (k * mr for A packed with k
 * steps). Epilogue biases start at row 0 / column 0 of this C block. */
void ep_f32_gemm_compute(const ep_f32_gemm_config* config, size_t m, size_t n, size_t kc,
                         const float* a, size_t a_panel_stride, const float* b,
                         size_t b_panel_stride, float* c, size_t ldc, bool accumulate,
                         const ep_f32_gemm_epilogue* epilogue);

/* ep_f32_gemm_compute without prefetching the next block of A: for an A that the caller has just
 * packed and runs against one B panel after another (fully connected layers over several rows,
 * a transformer's 128 x 768 activations), so that it is in L2 already. The prefetch walked all of
 * A again for every 16 outputs: 4% of BERT-base's inference time, in prefetch instructions. */
void ep_f32_gemm_compute_cached_a(const ep_f32_gemm_config* config, size_t m, size_t n, size_t kc,
                                  const float* a, size_t a_panel_stride, const float* b,
                                  size_t b_panel_stride, float* c, size_t ldc, bool accumulate,
                                  const ep_f32_gemm_epilogue* epilogue);

/* ep_f32_gemm_compute over a row-major B [kc, n] (row stride ldb, with slack as
 * ep_f32_gemm_strided_ukernel_fn says) that is not packed; config->gemm_strided must exist. */
void ep_f32_gemm_compute_strided(const ep_f32_gemm_config* config, size_t m, size_t n, size_t kc,
                                 const float* a, size_t a_panel_stride, const float* b, size_t ldb,
                                 float* c, size_t ldc, bool accumulate,
                                 const ep_f32_gemm_epilogue* epilogue);

/* Portable microkernels (plain C that compilers vectorize). The x86 variants are declared in
 * gemm.c, the only caller (their files exist only in x86-64 builds). */
void ep_f32_gemm_ukernel_4x8__scalar(size_t mr, size_t nr, size_t kc, const float* a,
                                     const float* b, float* c, size_t ldc, bool accumulate,
                                     const ep_f32_gemm_epilogue* epilogue);
void ep_f32_gemv_ukernel_1x8__scalar(size_t nr, size_t kc, const float* x, const float* b, float* y,
                                     bool accumulate, const ep_f32_gemm_epilogue* epilogue);

#endif /* EDGEPROF_KERNELS_F32_GEMM_H */

/* Winograd F(4x4, 3x3) and F(2x2, 3x3) convolution (internal): 3x3, stride 1, dilation 1, one
 * group.
 *
 * Each 4x4 block of output pixels (a tile) comes from a 6x6 input patch: with the transforms of
 * Lavin and Gray (2016), Y = A^T [(G g G^T) . (B^T d B)] A, which takes 36 multiplications per
 * tile and channel pair instead of 144. Over all channels the 36 elementwise products become 36
 * independent GEMMs, M_k [cout x tiles] = U_k [cout x cin] x V_k [cin x tiles], which run on the
 * same packed microkernels as the other convolutions. A run has three parallel steps:
 *   1. input transform: V_k = B^T d B for every tile, one input channel per item (the channel is
 *      first copied with its zero padding into the worker's scratch, so no tap is out of bounds);
 *   2. the 36 GEMMs, one per item, reading V_k in place (row-major, not packed);
 *   3. output transform: Y = A^T M A, bias and activation, one output channel per item.
 * The transforms work on a vector of horizontally adjacent tiles at once (winograd-impl.h,
 * one variant per ISA level with vectors; the scalar level never takes this path).
 *
 * U (weights transformed at pack time) is 36/9 = 4 times the size of the weights, and every
 * run streams all of it, so for few tiles (small images with many channels) F(4x4, 3x3) loses
 * to the direct GEMM. There F(2x2, 3x3) takes over (winograd2-impl.h): 2x2 tiles from 4x4
 * patches, 16 GEMMs, U 16/9 the weights, 2.25 times fewer multiplications than direct (ResNet's
 * 7x7 stage: 16 tiles, exactly one GEMM panel). ep_f32_winograd_suitable decides.
 *
 * Where F(4x4, 3x3)'s tiles fill at most two GEMM panels (ResNet's 14x14 stage: 16 tiles) every
 * U value serves one or two microkernel passes, and the run waits on streaming U (4 times the
 * weights) from memory. There the packed weights stay 3x3 (per A panel, tap-major) and each
 * worker transforms a k block of one A panel at a time into its L2 scratch before that panel's
 * GEMMs (U "at run time"; the levels with an ep_wg_weights_fn). F(2x2, 3x3)'s U is only 16/9
 * the weights, and at run time it measured no faster (ResNet-50's 7x7 stage). */
#ifndef EDGEPROF_KERNELS_F32_CONV_WINOGRAD_H
#define EDGEPROF_KERNELS_F32_CONV_WINOGRAD_H

#include <stdbool.h>
#include <stddef.h>

#include "kernels/f32-gemm/gemm.h"
#include "kernels/kernels.h"

enum { EP_WG_ALPHA = 6, EP_WG_M = 4, EP_WG_POSITIONS = EP_WG_ALPHA * EP_WG_ALPHA };
enum { EP_WG2_ALPHA = 4, EP_WG2_M = 2, EP_WG2_POSITIONS = EP_WG2_ALPHA * EP_WG2_ALPHA };

/* Whether this descriptor runs faster as Winograd with `config`'s microkernels. */
bool ep_f32_winograd_suitable(const ep_conv_desc* d, const ep_f32_gemm_config* config);
/* Packed: 36 (or 16) U matrices as A panels, then the bias (cout floats, zeros without bias). */
size_t ep_f32_winograd_packed_size(const ep_conv_desc* d, const ep_f32_gemm_config* config);
void ep_f32_winograd_pack(const ep_conv_desc* d, const ep_f32_gemm_config* config, const float* w,
                          const float* bias, float* packed);
/* Floats per worker; the workers' scratch must be contiguous (V and M are shared). */
size_t ep_f32_winograd_workspace_size(const ep_conv_desc* d, const ep_f32_gemm_config* config);
void ep_f32_winograd_run(const ep_conv_desc* d, const ep_f32_gemm_config* config,
                         const float* packed, const float* x, float* y, float* workspace,
                         ep_threadpool* pool);

/* --- the per-ISA transforms (winograd-impl.h) ------------------------------------------- */

typedef struct ep_wg_geometry {
  size_t tiles_h, tiles_w, tiles;
  size_t out_h, out_w;
  size_t padded_w; /* row length of a padded input plane; row 0 is input row -pad_top */
  size_t cin, cout;
  size_t v_ld;     /* row length of V_k [cin, tiles]: tiles and slack for whole vectors */
  size_t v_stride; /* floats between consecutive V_k (cin x v_ld) */
  size_t m_ld;     /* row length of M_k (>= tiles) */
  size_t m_stride; /* floats between consecutive M_k (cout x m_ld) */
} ep_wg_geometry;

/* V_k[ci, t] for every tile t of input channel ci, from its padded plane xp (both variants). */
typedef void (*ep_wg_input_fn)(const ep_wg_geometry* g, const float* xp, size_t ci, float* v);
/* Output channel co from M: Y = A^T M A + bias, clamped for ReLU/ReLU6 (other activations are
 * the caller's), written to its plane y [out_h, out_w]. */
typedef void (*ep_wg_output_fn)(const ep_wg_geometry* g, const float* m, size_t co, float bias,
                                ep_activation act, float* y);

/* U_k = G g G^T of F(4x4, 3x3) at run time (winograd-weights-impl.h) for n flattened (input
 * channel, panel row) indices: tap t of index q at g[t * g_tap_stride + q], U_k's element at u[k *
 * u_stride + q]. */
typedef void (*ep_wg_weights_fn)(const float* g, size_t g_tap_stride, size_t n, float* u,
                                 size_t u_stride);

/* The 8 channels of a row of n NCHW8c pixels (src [n][8]) to 8 plain rows dst[c][0, n), and
 * back (f32-wg-layout-avx2.c, f32-wg-layout-neon.c): Winograd's planes for layers with a blocked
 * input or output. */
void ep_wg_unblock_row__avx2(const float* src, size_t n, float* const dst[8]);
void ep_wg_block_row__avx2(const float* const src[8], size_t n, float* dst);
void ep_wg_unblock_row__neon(const float* src, size_t n, float* const dst[8]);
void ep_wg_block_row__neon(const float* const src[8], size_t n, float* dst);

#endif /* EDGEPROF_KERNELS_F32_CONV_WINOGRAD_H */

/* Scaled dot-product attention in one pass over row blocks (internal): per head, a block of query
 * rows times k' (a GEMM on the packed microkernels), scaled, masked and normalized (softmax) while
 * it is in cache, times v (a second GEMM) straight into the output. The [Sq, Sk] scores of a
 * whole head never exist at once: only `block_rows` rows of them, per thread.
 *
 * Tensors are addressed through strides (in floats), so views of other layouts (k read as k^T,
 * a mask broadcast over heads) cost no copy. The batch dims are those of y; a stride of 0 repeats
 * a tensor along that dim (a broadcast mask). */
#ifndef EDGEPROF_KERNELS_ATTENTION_H
#define EDGEPROF_KERNELS_ATTENTION_H

#include <stdbool.h>
#include <stddef.h>

#include "core/threadpool.h"
#include "edgeprof/graph.h"
#include "kernels/f32-gemm/gemm.h"

enum { EP_ATTENTION_MAX_BATCH = EP_MAX_RANK - 2 };

typedef struct ep_attention_desc {
  size_t sq, sk, d, dv; /* query rows, key rows, depth of q and k, depth of v */
  float scale;          /* multiplies q k' before the mask is added */
  int batch_rank;       /* batch dims, 0 to EP_ATTENTION_MAX_BATCH */
  size_t batch[EP_ATTENTION_MAX_BATCH];
  /* q (i, e) at q + i * q_row + e; k' (e, j) at k + e * k_depth + j * k_seq; v (j, e) at
   * v + j * v_row + e; y (i, e) at y + i * y_row + e; mask (i, j) at mask + i * mask_row +
   * j * mask_col; each plus the batch offset, sum over batch dims t of coordinate x stride[t]. */
  size_t q_row, k_depth, k_seq, v_row, y_row, mask_row, mask_col;
  size_t q_batch[EP_ATTENTION_MAX_BATCH], k_batch[EP_ATTENTION_MAX_BATCH],
      v_batch[EP_ATTENTION_MAX_BATCH], y_batch[EP_ATTENTION_MAX_BATCH],
      mask_batch[EP_ATTENTION_MAX_BATCH];
} ep_attention_desc;

/* Query rows per block for this GEMM configuration: a multiple of config->mr whose scores fit in
 * about 32 KiB, so that scaling, masking and softmax run on L1-resident rows. */
size_t ep_attention_block_rows(const ep_f32_gemm_config* config, const ep_attention_desc* desc);

/* Scratch floats each thread needs (packed k' and v of one head, one block's q, scores and
 * packed scores). */
size_t ep_attention_workspace_floats(const ep_f32_gemm_config* config,
                                     const ep_attention_desc* desc);

/* y = softmax(scale * q k' + mask) v over every head; mask may be NULL. Threads share
 * (head, row block) items; worker w uses workspace + w * workspace_stride (at least
 * ep_attention_workspace_floats floats). y must not overlap the inputs. */
void ep_attention_run(const ep_f32_gemm_config* config, const ep_attention_desc* desc,
                      const float* q, const float* k, const float* v, const float* mask, float* y,
                      float* workspace, size_t workspace_stride, ep_threadpool* pool);

/* The naive reference (double accumulation, the unfused order of operations), for tests. */
void ep_ref_attention(const ep_attention_desc* desc, const float* q, const float* k,
                      const float* v, const float* mask, float* y);

#endif /* EDGEPROF_KERNELS_ATTENTION_H */

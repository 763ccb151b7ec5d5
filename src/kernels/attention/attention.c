/* Scaled dot-product attention over row blocks: see attention.h. */
#include "kernels/attention/attention.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels/kernels.h"

enum {
  /* Scores per block: 8192 floats (32 KiB) stay in L1 between the first GEMM's stores, the
   * scale / mask / softmax pass and the packing for the second GEMM. */
  BLOCK_SCORES = 8192,
  ALIGN_FLOATS = 16, /* each scratch buffer starts on a 64-byte line */
};

size_t ep_attention_block_rows(const ep_f32_gemm_config* config, const ep_attention_desc* desc) {
  const size_t mr = config->mr;
  size_t rows = BLOCK_SCORES / (desc->sk ? desc->sk : 1) / mr * mr;
  if (rows < mr) rows = mr;
  const size_t all = ep_round_up(desc->sq, mr);
  return rows < all ? rows : all;
}

typedef struct scratch {
  size_t k_packed, v_packed, q_packed, scores, p_packed, total;
} scratch;

static scratch scratch_layout(const ep_f32_gemm_config* config, const ep_attention_desc* a) {
  const size_t mb = ep_attention_block_rows(config, a);
  scratch s;
  s.k_packed = 0;
  s.v_packed = s.k_packed + ep_round_up(a->d * ep_round_up(a->sk, config->nr), ALIGN_FLOATS);
  s.q_packed = s.v_packed + ep_round_up(a->sk * ep_round_up(a->dv, config->nr), ALIGN_FLOATS);
  s.scores = s.q_packed + ep_round_up(ep_round_up(mb, config->mr) * a->d, ALIGN_FLOATS);
  s.p_packed = s.scores + ep_round_up(mb * a->sk, ALIGN_FLOATS);
  s.total = s.p_packed + ep_round_up(ep_round_up(mb, config->mr) * a->sk, ALIGN_FLOATS);
  return s;
}

size_t ep_attention_workspace_floats(const ep_f32_gemm_config* config,
                                     const ep_attention_desc* desc) {
  return scratch_layout(config, desc).total;
}

typedef struct offsets {
  size_t q, k, v, y, mask;
} offsets;

/* The offsets of head `head` (its batch coordinates in row-major order of desc->batch). */
static offsets head_offsets(const ep_attention_desc* a, size_t head) {
  offsets o = {0, 0, 0, 0, 0};
  for (int t = a->batch_rank - 1; t >= 0; t--) {
    const size_t coord = head % a->batch[t];
    head /= a->batch[t];
    o.q += coord * a->q_batch[t];
    o.k += coord * a->k_batch[t];
    o.v += coord * a->v_batch[t];
    o.y += coord * a->y_batch[t];
    o.mask += coord * a->mask_batch[t];
  }
  return o;
}

typedef struct attention_job {
  const ep_f32_gemm_config* config;
  const ep_attention_desc* desc;
  scratch layout;
  size_t block_rows, blocks; /* per head */
  const float *q, *k, *v, *mask;
  float* y;
  float* workspace;
  size_t workspace_stride;
  /* The scale is a power of two: applied to the packed q rows (d floats per row) instead of
   * the scores (sk per row); (2^e q) k' is 2^e (q k') to the bit, barring overflow. */
  bool scale_q;
} attention_job;

/* Whether x is 2^e with a normal 2^e and normal products for the magnitudes attention sees
 * (|e| <= 16). */
static bool power_of_two(float x) {
  int e;
  const float m = frexpf(x, &e);
  return m == 0.5f && e >= -15 && e <= 17;
}

/* Items are (head, row block), row blocks of a head consecutive: a worker packs k' and v once
 * for all the blocks of a head its chunk holds. */
static void attention_items(void* ctx, size_t begin, size_t end, int worker) {
  const attention_job* j = ctx;
  const ep_attention_desc* a = j->desc;
  const ep_f32_gemm_config* config = j->config;
  const size_t mr = config->mr, nr = config->nr;
  float* ws = j->workspace + (size_t)worker * j->workspace_stride;
  float* k_packed = ws + j->layout.k_packed;
  float* v_packed = ws + j->layout.v_packed;
  float* q_packed = ws + j->layout.q_packed;
  float* scores = ws + j->layout.scores;
  float* p_packed = ws + j->layout.p_packed;
  size_t packed_head = SIZE_MAX;
  for (size_t item = begin; item < end; item++) {
    const size_t head = item / j->blocks;
    const size_t i0 = (item % j->blocks) * j->block_rows;
    const size_t rows = a->sq - i0 < j->block_rows ? a->sq - i0 : j->block_rows;
    const offsets o = head_offsets(a, head);
    if (head != packed_head) {
      ep_f32_gemm_pack_b(a->d, a->sk, j->k + o.k, a->k_depth, a->k_seq, nr, k_packed);
      ep_f32_gemm_pack_b(a->sk, a->dv, j->v + o.v, a->v_row, 1, nr, v_packed);
      packed_head = head;
    }
    ep_f32_gemm_pack_a(rows, a->d, j->q + o.q + i0 * a->q_row, a->q_row, mr, q_packed);
    if (j->scale_q) {
      const size_t n = ep_round_up(rows, mr) * a->d;
      for (size_t t = 0; t < n; t++) q_packed[t] *= a->scale;
    }
    ep_f32_gemm_compute(config, rows, a->sk, a->d, q_packed, a->d * mr, k_packed, a->d * nr,
                        scores, a->sk, false, NULL);
    for (size_t i = 0; i < rows; i++) {
      float* s = scores + i * a->sk;
      const float scale = j->scale_q ? 1.0f : a->scale;
      if (j->mask == NULL) {
        if (scale != 1.0f) {
          for (size_t c = 0; c < a->sk; c++) s[c] *= scale;
        }
      } else if (a->mask_col == 1) { /* the usual mask: contiguous along k's sequence */
        const float* m = j->mask + o.mask + (i0 + i) * a->mask_row;
        for (size_t c = 0; c < a->sk; c++) s[c] = s[c] * scale + m[c];
      } else { /* one value per row */
        const float m = j->mask[o.mask + (i0 + i) * a->mask_row];
        for (size_t c = 0; c < a->sk; c++) s[c] = s[c] * scale + m;
      }
    }
    ep_softmax_run(rows, a->sk, scores, scores, NULL);
    ep_f32_gemm_pack_a(rows, a->sk, scores, a->sk, mr, p_packed);
    ep_f32_gemm_compute(config, rows, a->dv, a->sk, p_packed, a->sk * mr, v_packed, a->sk * nr,
                        j->y + o.y + i0 * a->y_row, a->y_row, false, NULL);
  }
}

void ep_attention_run(const ep_f32_gemm_config* config, const ep_attention_desc* desc,
                      const float* q, const float* k, const float* v, const float* mask, float* y,
                      float* workspace, size_t workspace_stride, ep_threadpool* pool) {
  size_t heads = 1;
  for (int t = 0; t < desc->batch_rank; t++) heads *= desc->batch[t];
  if (heads == 0 || desc->sq == 0 || desc->dv == 0) return;
  attention_job job = {config, desc, scratch_layout(config, desc), 0, 0, q, k, v, mask, y,
                       workspace, workspace_stride, false};
  job.scale_q = desc->scale != 1.0f && power_of_two(desc->scale);
  job.block_rows = ep_attention_block_rows(config, desc);
  job.blocks = ep_divide_round_up(desc->sq, job.block_rows);
  ep_threadpool_parallel_for(pool, heads * job.blocks, 1, attention_items, &job);
}

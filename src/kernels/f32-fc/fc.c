/* Fully connected layers. The weights w [m, k] are packed once as B panels of w^T (nr output
 * units side by side, k-major), so that at batch 1, where the layer is a GEMV bound by memory
 * bandwidth, each worker streams contiguous panels and vectorizes across units rather than
 * reducing along k. Larger batches pack x as A panels in worker 0's workspace and run the GEMM. */
#include "kernels/f32-fc/fc.h"

#include <string.h>

#include "kernels/kernels.h"

enum { KC_MAX = 256 };

typedef struct fc_job {
  const ep_f32_gemm_config* config;
  size_t n, k, m;
  const float* x;
  const float* b;
  const float* bias;
  const float* residual; /* or NULL; row stride ldr */
  size_t ldr;
  ep_activation act;
  float* y;
  size_t ldy;
} fc_job;

static void fc_panels(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const fc_job* job = ctx;
  const size_t nr = job->config->nr, mr = job->config->mr;
  for (size_t panel = begin; panel < end; panel++) {
    const size_t j = panel * nr;
    const size_t cols = job->m - j < nr ? job->m - j : nr;
    const float* b = job->b + j * job->k;
    const ep_f32_gemm_epilogue epilogue = {
        .row_bias = NULL,
        .col_bias = job->bias != NULL ? job->bias + j : NULL,
        .act = job->act,
        .residual = job->residual != NULL ? job->residual + j : NULL,
        .residual_ld = job->ldr,
    };
    if (job->n == 1) {
      if (job->residual == NULL) {
        job->config->gemv(cols, job->k, job->x, b, job->y + j, false, &epilogue);
        continue;
      }
      /* The GEMV kernels take no residual: added over the panel's stored columns. */
      ep_f32_gemm_epilogue bias_only = epilogue;
      bias_only.act = EP_ACT_NONE;
      bias_only.residual = NULL;
      float* y = job->y + j;
      job->config->gemv(cols, job->k, job->x, b, y, false, &bias_only);
      for (size_t c = 0; c < cols; c++) y[c] += job->residual[j + c];
      ep_activation_apply(job->act, y, cols);
      continue;
    }
    /* Blocks of k keep the A and B panels of a tile in L1; partial sums go through y. */
    const size_t blocks = ep_divide_round_up(job->k, KC_MAX);
    const size_t kc_max = ep_divide_round_up(job->k, blocks);
    for (size_t k0 = 0; k0 < job->k; k0 += kc_max) {
      const size_t kc = job->k - k0 < kc_max ? job->k - k0 : kc_max;
      const bool last = k0 + kc == job->k;
      ep_f32_gemm_compute_cached_a(job->config, job->n, cols, kc, job->x + k0 * mr, job->k * mr,
                                   b + k0 * nr, job->k * nr, job->y + j, job->ldy, k0 > 0,
                                   last ? &epilogue : NULL);
    }
  }
}

void ep_f32_fc_compute(const ep_f32_gemm_config* config, size_t n, size_t k, size_t m,
                       const float* x, const float* b_packed, const float* bias, ep_activation act,
                       float* y, size_t ldy, ep_threadpool* pool) {
  ep_f32_fc_compute_residual(config, n, k, m, x, b_packed, bias, NULL, 0, act, y, ldy, pool);
}

void ep_f32_fc_compute_residual(const ep_f32_gemm_config* config, size_t n, size_t k, size_t m,
                                const float* x, const float* b_packed, const float* bias,
                                const float* residual, size_t ldr, ep_activation act, float* y,
                                size_t ldy, ep_threadpool* pool) {
  fc_job job = {
      .config = config,
      .n = n,
      .k = k,
      .m = m,
      .x = x,
      .b = b_packed,
      .bias = bias,
      .residual = residual,
      .ldr = ldr,
      .act = act,
      .y = y,
      .ldy = ldy,
  };
  /* Panels of at least ~16 KiB of weights per chunk, so claiming one costs little. */
  const size_t panel_floats = k * config->nr;
  const size_t grain = panel_floats >= 4096 ? 1 : 4096 / panel_floats;
  ep_threadpool_parallel_for(pool, ep_divide_round_up(m, config->nr), grain, fc_panels, &job);
}

size_t ep_fc_packed_size(const ep_fc_desc* d) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  return EP_PACKED_HEADER + (size_t)d->k * ep_round_up((size_t)d->m, config->nr) +
         (d->has_bias ? (size_t)d->m : 0);
}

void ep_fc_pack(const ep_fc_desc* d, const float* w, const float* bias, float* packed) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  packed = ep_packed_header_write(packed, config);
  const size_t k = (size_t)d->k, m = (size_t)d->m;
  ep_f32_gemm_pack_b(k, m, w, 1, k, config->nr, packed);
  if (d->has_bias) memcpy(packed + k * ep_round_up(m, config->nr), bias, m * sizeof *packed);
}

size_t ep_fc_workspace_size(const ep_fc_desc* d) {
  if (d->n <= 1) return 0;
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  return ep_round_up((size_t)d->n, config->mr) * (size_t)d->k;
}

void ep_fc_run(const ep_fc_desc* d, const float* packed, const float* x, float* y, float* workspace,
               size_t workspace_stride, ep_threadpool* pool) {
  (void)workspace_stride; /* worker 0 packs x; the others only read it */
  const ep_f32_gemm_config* config = ep_packed_config(packed);
  packed += EP_PACKED_HEADER;
  const size_t n = (size_t)d->n, k = (size_t)d->k, m = (size_t)d->m;
  const float* bias = d->has_bias ? packed + k * ep_round_up(m, config->nr) : NULL;
  const float* a = x;
  if (n > 1) {
    ep_f32_gemm_pack_a(n, k, x, k, config->mr, workspace);
    a = workspace;
  }
  ep_f32_fc_compute(config, n, k, m, a, packed, bias, d->act, y, m, pool);
}

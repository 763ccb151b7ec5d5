/* GEMM configuration, packing and the cache-blocked loop around the microkernels. */
#include "kernels/f32-gemm/gemm.h"

#include <string.h>

#include "kernels/config/kernel-config.h"

enum {
  /* Rows of A per block: while one block's panels are used, the next block's lines are
   * prefetched (72 x 512 x 4 B = 144 KiB, well inside L2). */
  MC = 72,
  PREFETCH_ROWS = 4,       /* rows ahead that pack_b prefetches */
  PREFETCH_MAX_PANELS = 8, /* B panels up to which compute prefetches the next A block */
};

/* The tile and microkernels of each level are the kernel configuration's (kernel-config.c). */
const ep_f32_gemm_config* ep_f32_gemm_config_for(ep_cpu_isa isa) {
  return &ep_kernel_config_for(isa)->gemm;
}

const ep_f32_gemm_config* ep_f32_gemm_config_get(void) { return &ep_kernel_config_get()->gemm; }

void ep_f32_gemm_pack_a(size_t m, size_t k, const float* a, size_t lda, size_t mr, float* out) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  if (config->pack_a != NULL && config->mr == mr) {
    config->pack_a(m, k, a, lda, out);
    return;
  }
  for (size_t p = 0; p < m; p += mr) {
    size_t rows = m - p < mr ? m - p : mr;
    float* panel = out + p * k;
    for (size_t kk = 0; kk < k; kk++) {
      size_t r = 0;
      for (; r < rows; r++) panel[kk * mr + r] = a[(p + r) * lda + kk];
      for (; r < mr; r++) panel[kk * mr + r] = 0.0f;
    }
  }
}

void ep_f32_gemm_pack_b(size_t k, size_t n, const float* b, size_t k_stride, size_t n_stride,
                        size_t nr, float* out) {
  if (n_stride == 1 && n >= nr) {
    /* Row by row: each source row segment is read once, front to back, and the next rows are
     * prefetched. Walking panel by panel instead would touch one cache line per row before
     * coming back for the next: hundreds of strided streams, no prefetcher follows that, and
     * packing a convolution's input would take a third of the layer's time. */
    const size_t full = n / nr * nr;
    for (size_t kk = 0; kk < k; kk++) {
      const float* src = b + kk * k_stride;
      if (kk + PREFETCH_ROWS < k) {
        const char* ahead = (const char*)(src + PREFETCH_ROWS * k_stride);
        for (size_t off = 0; off < n * sizeof(float); off += 64) __builtin_prefetch(ahead + off);
      }
      float* dst = out + kk * nr;
      size_t p = 0;
      for (; p < full; p += nr) ep_f32_copy_row(dst + p * k, src + p, nr);
      if (p < n) {
        memcpy(dst + p * k, src + p, (n - p) * sizeof(float));
        for (size_t j = n - p; j < nr; j++) dst[p * k + j] = 0.0f;
      }
    }
    return;
  }
  for (size_t p = 0; p < n; p += nr) {
    size_t cols = n - p < nr ? n - p : nr;
    float* panel = out + p * k;
    const float* src = b + p * n_stride;
    if (n_stride == 1 && cols == nr) {
      for (size_t kk = 0; kk < k; kk++) ep_f32_copy_row(panel + kk * nr, src + kk * k_stride, nr);
    } else if (n_stride == 1) {
      for (size_t kk = 0; kk < k; kk++) {
        memcpy(panel + kk * nr, src + kk * k_stride, cols * sizeof(float));
        for (size_t j = cols; j < nr; j++) panel[kk * nr + j] = 0.0f;
      }
    } else {
      for (size_t kk = 0; kk < k; kk++) {
        size_t j = 0;
        for (; j < cols; j++) panel[kk * nr + j] = src[kk * k_stride + j * n_stride];
        for (; j < nr; j++) panel[kk * nr + j] = 0.0f;
      }
    }
  }
}

/* Row by row as ep_f32_gemm_pack_b's fast path. The loops over a row are plain C written for the
 * compiler to vectorize; a panel's zero tail stays zero (it is never transformed). */
static void affine_row(float* dst, const float* src, size_t n, float a, float c, bool relu) {
  if (relu) {
    for (size_t j = 0; j < n; j++) {
      const float v = a * src[j] + c;
      dst[j] = v > 0.0f ? v : 0.0f;
    }
  } else {
    for (size_t j = 0; j < n; j++) dst[j] = a * src[j] + c;
  }
}

void ep_f32_gemm_pack_b_affine(size_t k, size_t n, const float* b, size_t k_stride,
                               const float* scale, const float* shift, bool relu, size_t nr,
                               float* out) {
  const size_t full = n / nr * nr;
  for (size_t kk = 0; kk < k; kk++) {
    const float* src = b + kk * k_stride;
    if (kk + PREFETCH_ROWS < k) {
      const char* ahead = (const char*)(src + PREFETCH_ROWS * k_stride);
      for (size_t off = 0; off < n * sizeof(float); off += 64) __builtin_prefetch(ahead + off);
    }
    float* dst = out + kk * nr;
    const float a = scale[kk], c = shift[kk];
    size_t p = 0;
    for (; p < full; p += nr) affine_row(dst + p * k, src + p, nr, a, c, relu);
    if (p < n) {
      affine_row(dst + p * k, src + p, n - p, a, c, relu);
      for (size_t j = n - p; j < nr; j++) dst[p * k + j] = 0.0f;
    }
  }
}

/* Walks the cache lines of the A panels of rows [m0, m1) (kc steps each), a few per call, so
 * that the next row block is on its way to L2 while the current one is being used: with few
 * pixel panels (small images) each A block is used only a few times, and without this its
 * first pass would wait on memory. */
typedef struct a_prefetch {
  const char* panel; /* current panel's first byte */
  size_t panel_bytes, panel_stride_bytes;
  size_t offset, panels_left;
} a_prefetch;

static void a_prefetch_init(a_prefetch* p, const float* a, size_t a_panel_stride, size_t mr,
                            size_t kc, size_t m0, size_t m1) {
  p->panel = (const char*)(a + (m0 / mr) * a_panel_stride);
  p->panel_bytes = kc * mr * sizeof(float);
  p->panel_stride_bytes = a_panel_stride * sizeof(float);
  p->offset = 0;
  p->panels_left = m1 > m0 ? ep_divide_round_up(m1 - m0, mr) : 0;
}

static inline void a_prefetch_lines(a_prefetch* p, size_t lines) {
  for (; lines > 0 && p->panels_left > 0; lines--) {
    __builtin_prefetch(p->panel + p->offset, 0, 2);
    p->offset += 64;
    if (p->offset >= p->panel_bytes) {
      p->offset = 0;
      p->panel += p->panel_stride_bytes;
      p->panels_left--;
    }
  }
}

/* The blocked loop; B panel j starts at b + j * b_panel_stride and its rows are ldb apart, with
 * ldb == 0 for packed panels (the plain microkernel). */
static inline void compute(const ep_f32_gemm_config* config, size_t m, size_t n, size_t kc,
                           const float* a, size_t a_panel_stride, const float* b,
                           size_t b_panel_stride, size_t ldb, float* c, size_t ldc, bool accumulate,
                           const ep_f32_gemm_epilogue* epilogue, bool prefetch_a) {
  const size_t mr = config->mr;
  const size_t nr = config->nr;
  const size_t mc = MC / mr * mr;
  ep_f32_gemm_epilogue tile_epilogue;
  if (epilogue != NULL) tile_epilogue = *epilogue;
  const size_t col_panels = ep_divide_round_up(n, nr);
  for (size_t m0 = 0; m0 < m; m0 += mc) {
    const size_t m1 = m - m0 < mc ? m : m0 + mc;
    /* The next block's A lines, spread over this block's microkernel calls; only where each A
     * block serves few B panels (with many, its first pass is a small share of its use). */
    a_prefetch next;
    const size_t m2 = m - m1 < mc ? m : m1 + mc;
    a_prefetch_init(&next, a, a_panel_stride, mr, kc, m1,
                    prefetch_a && col_panels <= PREFETCH_MAX_PANELS ? m2 : m1);
    const size_t calls = col_panels * ep_divide_round_up(m1 - m0, mr);
    const size_t lines =
        ep_divide_round_up(next.panels_left * ep_divide_round_up(next.panel_bytes, 64), calls);
    /* i outside j: the A panel (mr x kc) stays in L1 while the B panels stream from L2, and
     * each pass writes mr rows of C front to back. The other order (B panel in L1, A panels
     * streaming) writes up to MC rows at once: on large planes those are as many scattered
     * output streams, and it measured 5-30% slower on 1x1 layers with cold outputs. */
    for (size_t i = m0; i < m1; i += mr) {
      const size_t rows = m1 - i < mr ? m1 - i : mr;
      for (size_t j = 0; j < n; j += nr) {
        const size_t cols = n - j < nr ? n - j : nr;
        const float* bp = b + (j / nr) * b_panel_stride;
        const ep_f32_gemm_epilogue* ep = NULL;
        if (epilogue != NULL) {
          tile_epilogue.row_bias = epilogue->row_bias != NULL ? epilogue->row_bias + i : NULL;
          tile_epilogue.col_bias = epilogue->col_bias != NULL ? epilogue->col_bias + j : NULL;
          tile_epilogue.residual = epilogue->residual != NULL
                                       ? epilogue->residual + i * epilogue->residual_ld + j
                                       : NULL;
          ep = &tile_epilogue;
        }
        if (next.panels_left > 0) a_prefetch_lines(&next, lines);
        if (ldb == 0) {
          config->gemm(rows, cols, kc, a + (i / mr) * a_panel_stride, bp, c + i * ldc + j, ldc,
                       accumulate, ep);
        } else {
          config->gemm_strided(rows, cols, kc, a + (i / mr) * a_panel_stride, bp, ldb,
                               c + i * ldc + j, ldc, accumulate, ep);
        }
      }
    }
  }
}

void ep_f32_gemm_compute(const ep_f32_gemm_config* config, size_t m, size_t n, size_t kc,
                         const float* a, size_t a_panel_stride, const float* b,
                         size_t b_panel_stride, float* c, size_t ldc, bool accumulate,
                         const ep_f32_gemm_epilogue* epilogue) {
  compute(config, m, n, kc, a, a_panel_stride, b, b_panel_stride, 0, c, ldc, accumulate, epilogue,
          true);
}

void ep_f32_gemm_compute_cached_a(const ep_f32_gemm_config* config, size_t m, size_t n, size_t kc,
                                  const float* a, size_t a_panel_stride, const float* b,
                                  size_t b_panel_stride, float* c, size_t ldc, bool accumulate,
                                  const ep_f32_gemm_epilogue* epilogue) {
  compute(config, m, n, kc, a, a_panel_stride, b, b_panel_stride, 0, c, ldc, accumulate, epilogue,
          false);
}

void ep_f32_gemm_compute_strided(const ep_f32_gemm_config* config, size_t m, size_t n, size_t kc,
                                 const float* a, size_t a_panel_stride, const float* b, size_t ldb,
                                 float* c, size_t ldc, bool accumulate,
                                 const ep_f32_gemm_epilogue* epilogue) {
  /* Panel j of an unpacked B is its columns [j * nr, ...): nr floats further along a row. */
  compute(config, m, n, kc, a, a_panel_stride, b, config->nr, ldb, c, ldc, accumulate, epilogue,
          true);
}

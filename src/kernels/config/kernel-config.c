/* The decision table: which kernels each ISA level runs (kernel-config.h). The only file of the
 * kernel library that names ISA variants; docs/architecture.md shows the table in prose. */
#include "kernels/config/kernel-config.h"

/* Element-wise math (kernels/unary): every level, the scalar one over simd/vec-scalar.h. */
extern const ep_unary_kernels ep_unary_kernels__scalar;
#if defined(EP_HAVE_X86_KERNELS)
extern const ep_unary_kernels ep_unary_kernels__avx2;
extern const ep_unary_kernels ep_unary_kernels__avx512f;
#endif
#if defined(EP_HAVE_NEON_KERNELS)
extern const ep_unary_kernels ep_unary_kernels__neon;
#endif

/* The LSTM and GRU cells (kernels/lstm, kernels/rnn): every level. */
void ep_lstm_cell__scalar(size_t units, size_t kc, const float* h, const float* r, const float* g,
                          float* c, float* h_out);
#define GRU_CELL(isa)                                                                        \
  void ep_gru_cell__##isa(size_t units, size_t kc, const float* h, const float* h_block,      \
                          const float* r, const float* g, const float* rbias, float* h_out)
GRU_CELL(scalar);
#if defined(EP_HAVE_X86_KERNELS)
void ep_lstm_cell__avx2(size_t units, size_t kc, const float* h, const float* r, const float* g,
                        float* c, float* h_out);
void ep_lstm_cell__avx512f(size_t units, size_t kc, const float* h, const float* r, const float* g,
                           float* c, float* h_out);
GRU_CELL(avx2);
GRU_CELL(avx512f);
#endif
#if defined(EP_HAVE_NEON_KERNELS)
void ep_lstm_cell__neon(size_t units, size_t kc, const float* h, const float* r, const float* g,
                        float* c, float* h_out);
GRU_CELL(neon);
#endif

#if defined(EP_HAVE_X86_KERNELS)
/* GEMM microkernels (f32-gemm). */
void ep_f32_gemm_ukernel_6x16__avx2(size_t mr, size_t nr, size_t kc, const float* a, const float* b,
                                    float* c, size_t ldc, bool accumulate,
                                    const ep_f32_gemm_epilogue* epilogue);
void ep_f32_gemm_strided_ukernel_6x16__avx2(size_t mr, size_t nr, size_t kc, const float* a,
                                            const float* b, size_t ldb, float* c, size_t ldc,
                                            bool accumulate, const ep_f32_gemm_epilogue* epilogue);
void ep_f32_gemv_ukernel_1x16__avx2(size_t nr, size_t kc, const float* x, const float* b, float* y,
                                    bool accumulate, const ep_f32_gemm_epilogue* epilogue);
void ep_f32_gemm_ukernel_16x16__avx512f(size_t mr, size_t nr, size_t kc, const float* a,
                                        const float* b, float* c, size_t ldc, bool accumulate,
                                        const ep_f32_gemm_epilogue* epilogue);
void ep_f32_gemm_pack_a_16__avx512f(size_t m, size_t k, const float* a, size_t lda, float* out);
void ep_f32_gemm_strided_ukernel_16x16__avx512f(size_t mr, size_t nr, size_t kc, const float* a,
                                                const float* b, size_t ldb, float* c, size_t ldc,
                                                bool accumulate,
                                                const ep_f32_gemm_epilogue* epilogue);
void ep_f32_gemv_ukernel_1x16__avx512f(size_t nr, size_t kc, const float* x, const float* b,
                                       float* y, bool accumulate,
                                       const ep_f32_gemm_epilogue* epilogue);
/* Vector math tables (vmath). */
extern const ep_vmath ep_vmath_table__avx2;
extern const ep_vmath ep_vmath_table__avx512f;
extern const ep_reduce_ukernels ep_reduce_ukernels__avx2;
extern const ep_reduce_ukernels ep_reduce_ukernels__avx512f;
/* Depthwise and pooling planes. */
void ep_f32_dwconv_plane__avx2(const ep_f32_dwconv_plane* plane, const float* x, float* xp,
                               bool zero, const float* w, float bias, float* y);
void ep_f32_dwconv_plane__avx512f(const ep_f32_dwconv_plane* plane, const float* x, float* xp,
                                  bool zero, const float* w, float bias, float* y);
void ep_pool_plane__avx2(const ep_pool_plane* plane, bool max, const float* x, float* y,
                         float* row);
void ep_pool_plane__avx512f(const ep_pool_plane* plane, bool max, const float* x, float* y,
                            float* row);
/* im2col packing. */
void ep_f32_im2col_pack__avx2(const ep_conv_desc* d, const float* x, size_t k0, size_t kc,
                              size_t p0, size_t np, size_t nr, float* out);
void ep_f32_im2col_pack__avx512f(const ep_conv_desc* d, const float* x, size_t k0, size_t kc,
                                 size_t p0, size_t np, size_t nr, float* out);
/* The 2-D transpose (Transpose's batched 2-D case). */
void ep_f32_transpose_2d__avx2(size_t r, size_t n, const float* x, size_t ldx, float* y,
                               size_t ldy);
void ep_f32_transpose_2d__avx512f(size_t r, size_t n, const float* x, size_t ldx, float* y,
                                  size_t ldy);
/* Winograd transforms, F(4x4, 3x3) and F(2x2, 3x3). */
void ep_wg_input__avx2(const ep_wg_geometry* g, const float* xp, size_t ci, float* v);
void ep_wg_output__avx2(const ep_wg_geometry* g, const float* m, size_t co, float bias,
                        ep_activation act, float* y);
void ep_wg_weights4__avx2(const float* g, size_t g_tap_stride, size_t n, float* u,
                          size_t u_stride);
void ep_wg_weights4__avx512f(const float* g, size_t g_tap_stride, size_t n, float* u,
                             size_t u_stride);
void ep_wg_input__avx512f(const ep_wg_geometry* g, const float* xp, size_t ci, float* v);
void ep_wg_output__avx512f(const ep_wg_geometry* g, const float* m, size_t co, float bias,
                           ep_activation act, float* y);
void ep_wg_input2__avx2(const ep_wg_geometry* g, const float* xp, size_t ci, float* v);
void ep_wg_output2__avx2(const ep_wg_geometry* g, const float* m, size_t co, float bias,
                         ep_activation act, float* y);
void ep_wg_input2__avx512f(const ep_wg_geometry* g, const float* xp, size_t ci, float* v);
void ep_wg_output2__avx512f(const ep_wg_geometry* g, const float* m, size_t co, float bias,
                            ep_activation act, float* y);

/* The NCHW8c kernels are AVX2 code: 8 channels fill one YMM register. AVX-512 hosts run them
 * too: measured on a Zen 4 (issue 13), NCHW8c at the avx2 level ran MobileNet v1 and ResNet-50
 * 10% and 7% faster than NCHW at the avx512 level, so the avx512 entry keeps its own GEMM,
 * im2col and Winograd transforms for NCHW layers and blocks chains with these. */
#define NCHWC_AVX2                                                                          \
  {                                                                                         \
    .pointwise_cell = ep_nchwc_pointwise_cell__avx2,                                        \
    .depthwise_rows = ep_nchwc_depthwise_rows__avx2,                                        \
    .direct_rows = ep_nchwc_direct_rows__avx2, .pool_rows = ep_nchwc_pool_rows__avx2,       \
    .window_rows = ep_nchwc_window_rows__avx2,                                              \
    .unblock_row = ep_wg_unblock_row__avx2, .block_row = ep_wg_block_row__avx2,             \
  }
/* The same at the avx512 level but for the 1x1 cells and the grouped (window) rows: a pair of
 * output blocks is one 16-lane vector there (f32-nchwc-pointwise-avx512f.c,
 * f32-nchwc-window-avx512f.c). */
#define NCHWC_AVX512                                                                        \
  {                                                                                         \
    .pointwise_cell = ep_nchwc_pointwise_cell__avx512f,                                     \
    .depthwise_rows = ep_nchwc_depthwise_rows__avx2,                                        \
    .direct_rows = ep_nchwc_direct_rows__avx2, .pool_rows = ep_nchwc_pool_rows__avx2,       \
    .window_rows = ep_nchwc_window_rows__avx512f,                                           \
    .unblock_row = ep_wg_unblock_row__avx2, .block_row = ep_wg_block_row__avx2,             \
  }
#endif

#if defined(EP_HAVE_NEON_KERNELS)
void ep_f32_gemm_ukernel_8x8__neon(size_t mr, size_t nr, size_t kc, const float* a, const float* b,
                                   float* c, size_t ldc, bool accumulate,
                                   const ep_f32_gemm_epilogue* epilogue);
void ep_f32_gemm_strided_ukernel_8x8__neon(size_t mr, size_t nr, size_t kc, const float* a,
                                           const float* b, size_t ldb, float* c, size_t ldc,
                                           bool accumulate, const ep_f32_gemm_epilogue* epilogue);
void ep_f32_gemv_ukernel_1x8__neon(size_t nr, size_t kc, const float* x, const float* b, float* y,
                                   bool accumulate, const ep_f32_gemm_epilogue* epilogue);
extern const ep_vmath ep_vmath_table__neon;
extern const ep_reduce_ukernels ep_reduce_ukernels__neon;
void ep_f32_dwconv_plane__neon(const ep_f32_dwconv_plane* plane, const float* x, float* xp,
                               bool zero, const float* w, float bias, float* y);
void ep_pool_plane__neon(const ep_pool_plane* plane, bool max, const float* x, float* y,
                         float* row);
void ep_f32_im2col_pack__neon(const ep_conv_desc* d, const float* x, size_t k0, size_t kc,
                              size_t p0, size_t np, size_t nr, float* out);
void ep_f32_transpose_2d__neon(size_t r, size_t n, const float* x, size_t ldx, float* y,
                               size_t ldy);
void ep_wg_weights4__neon(const float* g, size_t g_tap_stride, size_t n, float* u,
                          size_t u_stride);
void ep_wg_input__neon(const ep_wg_geometry* g, const float* xp, size_t ci, float* v);
void ep_wg_output__neon(const ep_wg_geometry* g, const float* m, size_t co, float bias,
                        ep_activation act, float* y);
void ep_wg_input2__neon(const ep_wg_geometry* g, const float* xp, size_t ci, float* v);
void ep_wg_output2__neon(const ep_wg_geometry* g, const float* m, size_t co, float bias,
                         ep_activation act, float* y);
/* The NCHW8c cells over two NEON registers per vector (f32-nchwc-8c-neon.c, simd/vec8-neon.h). */
#define NCHWC_NEON                                                                          \
  {                                                                                         \
    .pointwise_cell = ep_nchwc_pointwise_cell__neon,                                        \
    .depthwise_rows = ep_nchwc_depthwise_rows__neon,                                        \
    .direct_rows = ep_nchwc_direct_rows__neon, .pool_rows = ep_nchwc_pool_rows__neon,       \
    .window_rows = ep_nchwc_window_rows__neon,                                              \
    .unblock_row = ep_wg_unblock_row__neon, .block_row = ep_wg_block_row__neon,             \
  }
#endif

/* One entry per level; a level this build lacks has .gemm.gemm == NULL. */
static const ep_kernel_config configs[EP_ISA_COUNT] = {
    [EP_ISA_SCALAR] =
        {
            .isa = EP_ISA_SCALAR,
            .gemm = {.mr = 4,
                     .nr = 8,
                     .gemm = ep_f32_gemm_ukernel_4x8__scalar,
                     .gemv = ep_f32_gemv_ukernel_1x8__scalar,
                     .isa = EP_ISA_SCALAR},
            .unary = &ep_unary_kernels__scalar,
            .lstm_cell = ep_lstm_cell__scalar,
            .gru_cell = ep_gru_cell__scalar,
        },
#if defined(EP_HAVE_X86_KERNELS)
    [EP_ISA_AVX2] =
        {
            .isa = EP_ISA_AVX2,
            .gemm = {.mr = 6,
                     .nr = 16,
                     .gemm = ep_f32_gemm_ukernel_6x16__avx2,
                     .gemv = ep_f32_gemv_ukernel_1x16__avx2,
                     .isa = EP_ISA_AVX2,
                     .gemm_strided = ep_f32_gemm_strided_ukernel_6x16__avx2},
            .vmath = &ep_vmath_table__avx2,
            .unary = &ep_unary_kernels__avx2,
            .lstm_cell = ep_lstm_cell__avx2,
            .gru_cell = ep_gru_cell__avx2,
            .reduce = &ep_reduce_ukernels__avx2,
            .dwconv_plane = ep_f32_dwconv_plane__avx2,
            .pool_plane = ep_pool_plane__avx2,
            .im2col = ep_f32_im2col_pack__avx2,
            .transpose_2d = ep_f32_transpose_2d__avx2,
            .winograd = {{ep_wg_input__avx2, ep_wg_input2__avx2},
                         {ep_wg_output__avx2, ep_wg_output2__avx2}},
            .winograd_weights = ep_wg_weights4__avx2,
            .blocked_layout = "NCHW8c",
            .blocked_by_default = true,
            .nchwc = NCHWC_AVX2,
        },
    [EP_ISA_AVX512] =
        {
            .isa = EP_ISA_AVX512,
            .gemm = {.mr = 16,
                     .nr = 16,
                     .gemm = ep_f32_gemm_ukernel_16x16__avx512f,
                     .gemv = ep_f32_gemv_ukernel_1x16__avx512f,
                     .isa = EP_ISA_AVX512,
                     .gemm_strided = ep_f32_gemm_strided_ukernel_16x16__avx512f,
                     .pack_a = ep_f32_gemm_pack_a_16__avx512f},
            .vmath = &ep_vmath_table__avx512f,
            .unary = &ep_unary_kernels__avx512f,
            .lstm_cell = ep_lstm_cell__avx512f,
            .gru_cell = ep_gru_cell__avx512f,
            .reduce = &ep_reduce_ukernels__avx512f,
            .wide_lanes = 16,
            .dwconv_plane = ep_f32_dwconv_plane__avx2,
            .dwconv_plane_wide = ep_f32_dwconv_plane__avx512f,
            .pool_plane = ep_pool_plane__avx512f,
            .im2col = ep_f32_im2col_pack__avx512f,
            .transpose_2d = ep_f32_transpose_2d__avx512f,
            .winograd = {{ep_wg_input__avx2, ep_wg_input2__avx2},
                         {ep_wg_output__avx2, ep_wg_output2__avx2}},
            .winograd_wide = {{ep_wg_input__avx512f, ep_wg_input2__avx512f},
                              {ep_wg_output__avx512f, ep_wg_output2__avx512f}},
            .winograd_weights = ep_wg_weights4__avx512f,
            .blocked_layout = "NCHW8c",
            .blocked_by_default = true,
            .nchwc = NCHWC_AVX512,
        },
#endif
#if defined(EP_HAVE_NEON_KERNELS)
    /* AArch64: 32 registers of 4 floats. The 8x8 tile takes A values as lanes inside the FMAs
     * (f32-gemm-8x8-neon.c); the vector planes are the x86 templates over 4 lanes.
     * NCHW8c runs here (the cells over two registers per vector, simd/vec8-neon.h) but is not
     * the default: counted in the compiled loops (aarch64 gcc 12 -O3, objdump; no board here),
     * the 1x1 cell's 6-pixel, 2-block tile takes 1.40 instructions per fmla against the 8x8
     * GEMM's 1.38-1.41 on NCHW, with twice the loads (0.34 per fmla against 0.16), and the
     * blocked 3x3 depthwise tile about 8 instructions per output against the NCHW plane's 6 (4
     * lanes along a row leave short tails, which is what blocking saves on x86's 8 and 16), and
     * blocked chains add Winograd's transposes and the conversions at their ends. Nothing left
     * to win: EDGEPROF_LAYOUT=auto or blocked asks for it (docs/performance.md, "neon8c"). */
    [EP_ISA_NEON] =
        {
            .isa = EP_ISA_NEON,
            .gemm = {.mr = 8,
                     .nr = 8,
                     .gemm = ep_f32_gemm_ukernel_8x8__neon,
                     .gemv = ep_f32_gemv_ukernel_1x8__neon,
                     .isa = EP_ISA_NEON,
                     .gemm_strided = ep_f32_gemm_strided_ukernel_8x8__neon},
            .vmath = &ep_vmath_table__neon,
            .unary = &ep_unary_kernels__neon,
            .lstm_cell = ep_lstm_cell__neon,
            .gru_cell = ep_gru_cell__neon,
            .reduce = &ep_reduce_ukernels__neon,
            .dwconv_plane = ep_f32_dwconv_plane__neon,
            .pool_plane = ep_pool_plane__neon,
            .im2col = ep_f32_im2col_pack__neon,
            .transpose_2d = ep_f32_transpose_2d__neon,
            .winograd = {{ep_wg_input__neon, ep_wg_input2__neon},
                         {ep_wg_output__neon, ep_wg_output2__neon}},
            .winograd_weights = ep_wg_weights4__neon,
            .blocked_layout = "NCHW8c",
            .blocked_by_default = false,
            .nchwc = NCHWC_NEON,
        },
#endif
};

/* The levels of one architecture are ordered (x86-64: scalar, avx2, avx512; AArch64: scalar,
 * neon): a level this build lacks gives the best one below it on its own architecture. */
const ep_kernel_config* ep_kernel_config_for(ep_cpu_isa isa) {
  int level = (int)isa < EP_ISA_COUNT ? (int)isa : EP_ISA_COUNT - 1;
  if (level == EP_ISA_NEON && configs[level].gemm.gemm == NULL) level = EP_ISA_SCALAR;
  while (level > 0 && configs[level].gemm.gemm == NULL) level--;
  return &configs[level < 0 ? 0 : level];
}

const ep_kernel_config* ep_kernel_config_get(void) {
  return ep_kernel_config_for(ep_cpu_isa_active());
}

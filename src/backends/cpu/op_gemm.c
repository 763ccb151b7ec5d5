/* Gemm and MatMul. A constant right operand (the weights of a layer) is packed once as GEMM B
 * panels, alpha folded in, and the product runs on the packed GEMM shared with fully connected
 * layers; a constant C that is one row broadcast down the output becomes the column bias of the
 * GEMM's epilogue. Products of two activations (attention, node tests) run a row-parallel loop.
 * A MatMul with packed B may carry what EP_PASS_FUSE_ACTIVATIONS and EP_PASS_FUSE_RESIDUAL fused
 * into it (a bias, a residual, an activation: graph.h's EP_OP_MATMUL): the same epilogue. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/f32-fc/fc.h"
#include "kernels/f32-gemm/gemm.h"
#include "backends/cpu/ops.h"

typedef struct gemm_state {
  size_t m, n, k; /* per matrix of the product; MatMul with packed B: m covers every row */
  bool trans_a, trans_b;
  float alpha, beta;
  float* packed;   /* alpha * B' as B panels, or NULL for the row loop */
  const ep_f32_gemm_config* config; /* the configuration that packed them */
  float* col_bias; /* beta * C as one row, or NULL */
  bool add_c;      /* add beta * C after the product (C not folded into col_bias) */
  ep_activation act; /* MatMul: fused activation */
  bool residual;     /* MatMul: input 3 added before the activation */
  ep_shape c_shape;
  /* MatMul row loop: batch dims of y and of each operand (aligned, 1 where broadcast). */
  int batch_rank;
  int64_t batch[EP_MAX_RANK], batch_a[EP_MAX_RANK], batch_b[EP_MAX_RANK];
  size_t batches;
  /* MatMul of two activations on the packed GEMM: blocks of block_rows rows per work item, each
   * worker packing its batch's B (k x n) and its block of A into its scratch. */
  bool blocked;
  size_t block_rows, b_floats;
} gemm_state;

static void gemm_destroy(void* state) {
  gemm_state* s = state;
  if (s != NULL) {
    free(s->packed);
    free(s->col_bias);
  }
  free(s);
}

static bool is_constant(const ep_graph* g, const ep_node* node, int i) {
  return i < node->n_inputs && node->inputs[i] >= 0 &&
         ep_graph_tensor(g, node->inputs[i])->kind == EP_TENSOR_CONSTANT;
}

/* Packs alpha * B' (k x n; element (kk, j) at b[kk * k_stride + j * n_stride]). */
static ep_status pack_weights(gemm_state* s, const ep_node* node, const float* b, size_t k_stride,
                              size_t n_stride, ep_node_prepared* p) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  s->config = config;
  const size_t floats = s->k * ep_round_up(s->n, config->nr);
  s->packed = ep_aligned_alloc(floats * sizeof(float));
  if (s->packed == NULL) {
    return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory packing weights", node->name);
  }
  ep_f32_gemm_pack_b(s->k, s->n, b, k_stride, n_stride, config->nr, s->packed);
  if (s->alpha != 1.0f) {
    for (size_t i = 0; i < floats; i++) s->packed[i] *= s->alpha;
  }
  p->packed_bytes += floats * sizeof(float);
  if (s->m > 1) p->workspace_floats = ep_round_up(s->m, config->mr) * s->k;
  return EP_OK;
}

static ep_status gemm_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                              ep_node_prepared* p) {
  (void)layouts;
  const ep_shape* y = ep_node_output_shape(g, node, 0);
  const ep_attrs* a = &node->attrs;
  ep_status status = EP_OK;
  gemm_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->m = (size_t)y->dims[0];
  s->n = (size_t)y->dims[1];
  s->k = (size_t)ep_node_input_shape(g, node, 0)->dims[a->trans_a ? 0 : 1];
  s->trans_a = a->trans_a;
  s->trans_b = a->trans_b;
  s->alpha = a->alpha;
  s->beta = a->beta;
  s->batches = 1;
  bool has_c = node->n_inputs > 2 && node->inputs[2] >= 0 && s->beta != 0.0f;
  if (has_c) s->c_shape = *ep_node_input_shape(g, node, 2);
  if (is_constant(g, node, 1)) {
    const float* b = ep_graph_tensor(g, node->inputs[1])->data;
    status =
        s->trans_b ? pack_weights(s, node, b, 1, s->k, p) : pack_weights(s, node, b, s->n, 1, p);
    if (status != EP_OK) goto fail;
  }
  /* C as a column bias: constant, and the same for every row. */
  if (has_c && s->packed != NULL && is_constant(g, node, 2) &&
      (s->c_shape.rank < 2 || s->c_shape.dims[0] == 1)) {
    const float* c = ep_graph_tensor(g, node->inputs[2])->data;
    const bool per_column = s->c_shape.rank >= 1 && s->c_shape.dims[s->c_shape.rank - 1] != 1;
    s->col_bias = malloc(s->n * sizeof(float));
    if (s->col_bias == NULL) {
      status = ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
      goto fail;
    }
    for (size_t j = 0; j < s->n; j++) s->col_bias[j] = s->beta * c[per_column ? j : 0];
    p->packed_bytes += s->n * sizeof(float);
  } else {
    s->add_c = has_c;
  }
  /* Packed B and C folded into col_bias are not read at run time (C beta 0: not at all). */
  if (s->packed != NULL) p->packed_inputs |= 1u << 1;
  if (node->n_inputs > 2 && !s->add_c && (s->col_bias != NULL || !has_c)) p->packed_inputs |= 1u << 2;
  p->state = s;
  return EP_OK;

fail:
  gemm_destroy(s);
  return status;
}

/* Packs A' [m, k] = transpose of a [k, m] as A panels of mr rows. */
static void pack_a_transposed(size_t m, size_t k, const float* a, size_t mr, float* out) {
  for (size_t p0 = 0; p0 < m; p0 += mr) {
    for (size_t kk = 0; kk < k; kk++) {
      for (size_t r = 0; r < mr; r++) *out++ = p0 + r < m ? a[kk * m + p0 + r] : 0.0f;
    }
  }
}

typedef struct rows_job {
  const gemm_state* s;
  const float* a;
  const float* b;
  float* y;
} rows_job;

/* y rows of Gemm without packed weights: y[i, :] = alpha * sum_p A'[i, p] B'[p, :]. */
static void gemm_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const rows_job* j = ctx;
  const gemm_state* s = j->s;
  const size_t m = s->m, n = s->n, k = s->k;
  for (size_t i = begin; i < end; i++) {
    float* y = j->y + i * n;
    if (s->trans_b) {
      for (size_t c = 0; c < n; c++) {
        float sum = 0.0f;
        for (size_t q = 0; q < k; q++) {
          sum += (s->trans_a ? j->a[q * m + i] : j->a[i * k + q]) * j->b[c * k + q];
        }
        y[c] = s->alpha * sum;
      }
    } else {
      memset(y, 0, n * sizeof *y);
      for (size_t q = 0; q < k; q++) {
        const float av = s->alpha * (s->trans_a ? j->a[q * m + i] : j->a[i * k + q]);
        const float* br = j->b + q * n;
        for (size_t c = 0; c < n; c++) y[c] += av * br[c];
      }
    }
  }
}

/* y += beta * C, C broadcast to [m, n] (rank <= 2). */
static void add_c(const gemm_state* s, const float* c, float* y) {
  const ep_shape* cs = &s->c_shape;
  const bool rows = cs->rank == 2 && cs->dims[0] != 1;
  const bool cols = cs->rank >= 1 && cs->dims[cs->rank - 1] != 1;
  for (size_t i = 0; i < s->m; i++) {
    const float* cr = c + (rows ? i * (cols ? s->n : 1) : 0);
    float* yr = y + i * s->n;
    for (size_t j = 0; j < s->n; j++) yr[j] += s->beta * cr[cols ? j : 0];
  }
}

static void packed_product(const gemm_state* s, const float* a, bool trans_a, const float* residual,
                           float* y, const ep_node_io* io) {
  const ep_f32_gemm_config* config = s->config;
  const float* a_rows = a;
  if (s->m > 1) {
    if (trans_a) {
      pack_a_transposed(s->m, s->k, a, config->mr, io->workspace);
    } else {
      ep_f32_gemm_pack_a(s->m, s->k, a, s->k, config->mr, io->workspace);
    }
    a_rows = io->workspace;
  }
  ep_f32_fc_compute_residual(config, s->m, s->k, s->n, a_rows, s->packed, s->col_bias, residual,
                             s->n, s->act, y, s->n, io->pool);
}

static size_t row_grain(size_t n, size_t k) {
  const size_t work = n * k;
  return work >= 16384 ? 1 : 16384 / (work ? work : 1);
}

static void gemm_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  (void)node;
  (void)g;
  const gemm_state* s = state;
  if (s->packed != NULL) {
    packed_product(s, io->in[0], s->trans_a, NULL, io->out[0], io);
  } else {
    rows_job job = {s, io->in[0], io->in[1], io->out[0]};
    ep_threadpool_parallel_for(io->pool, s->m, row_grain(s->n, s->k), gemm_rows, &job);
  }
  if (s->add_c) add_c(s, io->in[2], io->out[0]);
}

/* --- MatMul -------------------------------------------------------------------------------- */

/* Rows of A per work item of the blocked MatMul: 8 tiles of the 6-row AVX2 kernel, 3 of the
 * 16-row AVX-512 one. */
enum { MATMUL_BLOCK_ROWS = 48 };

/* A fused MatMul's bias [n] as the epilogue's column bias. */
static ep_status copy_bias(gemm_state* s, const ep_node* node, const float* bias,
                           ep_node_prepared* p) {
  s->col_bias = malloc(s->n * sizeof(float));
  if (s->col_bias == NULL) {
    return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  }
  memcpy(s->col_bias, bias, s->n * sizeof(float));
  p->packed_bytes += s->n * sizeof(float);
  return EP_OK;
}

static ep_status matmul_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                                ep_node_prepared* p) {
  (void)layouts;
  const ep_shape* sa = ep_node_input_shape(g, node, 0);
  const ep_shape* sb = ep_node_input_shape(g, node, 1);
  gemm_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->alpha = 1.0f;
  s->k = (size_t)sa->dims[sa->rank - 1];
  s->n = sb->rank >= 2 ? (size_t)sb->dims[sb->rank - 1] : 1;
  if (sb->rank <= 2 && is_constant(g, node, 1)) {
    /* Weights: every row of a (batch dims included) times the same B. */
    s->m = (size_t)ep_shape_numel(sa) / s->k;
    ep_status status = pack_weights(s, node, ep_graph_tensor(g, node->inputs[1])->data, s->n, 1, p);
    if (status != EP_OK) {
      gemm_destroy(s);
      return status;
    }
    p->packed_inputs = 1u << 1; /* B lives in `packed` only */
    if (node->n_inputs > 2 && node->inputs[2] >= 0) {
      status = copy_bias(s, node, ep_graph_tensor(g, node->inputs[2])->data, p);
      if (status != EP_OK) {
        gemm_destroy(s);
        return status;
      }
      p->packed_inputs |= 1u << 2;
    }
    s->act = node->attrs.act;
    s->residual = node->n_inputs > 3 && node->inputs[3] >= 0;
    p->state = s;
    return EP_OK;
  }
  s->m = sa->rank >= 2 ? (size_t)sa->dims[sa->rank - 2] : 1;
  const int ra = sa->rank > 2 ? sa->rank - 2 : 0, rb = sb->rank > 2 ? sb->rank - 2 : 0;
  s->batch_rank = ra > rb ? ra : rb;
  s->batches = 1;
  for (int i = 0; i < s->batch_rank; i++) {
    const int ia = i - (s->batch_rank - ra), ib = i - (s->batch_rank - rb);
    s->batch_a[i] = ia >= 0 ? sa->dims[ia] : 1;
    s->batch_b[i] = ib >= 0 ? sb->dims[ib] : 1;
    s->batch[i] = s->batch_a[i] > s->batch_b[i] ? s->batch_a[i] : s->batch_b[i];
    s->batches *= (size_t)s->batch[i];
  }
  /* Matrices of at least a few rows and one vector of columns run on the GEMM microkernels
   * (attention's [B, H, S, D] x [B, H, D, S]: 5-10x the row loop); B is packed per item, so its
   * copy is k x n against block_rows x k x n multiply-adds. Vectors and a B too large for a
   * worker's scratch keep the row loop. */
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  s->b_floats = s->k * ep_round_up(s->n, config->nr);
  if (s->m >= 4 && s->n >= 8 && s->b_floats <= ((size_t)1 << 22)) {
    s->blocked = true;
    s->config = config;
    s->block_rows = ep_round_up(s->m < MATMUL_BLOCK_ROWS ? s->m : MATMUL_BLOCK_ROWS, config->mr);
    p->workspace_floats = s->b_floats + s->block_rows * s->k;
  }
  p->state = s;
  return EP_OK;
}

/* The matrices of a and b that batch `batch` of y reads, through the broadcast batch dims. */
static void batch_offsets(const gemm_state* s, size_t batch, size_t* oa_out, size_t* ob_out) {
  size_t rest = batch, oa = 0, ob = 0, sa = 1, sb = 1;
  for (int d = s->batch_rank - 1; d >= 0; d--) {
    const size_t coord = rest % (size_t)s->batch[d];
    rest /= (size_t)s->batch[d];
    oa += (s->batch_a[d] == 1 ? 0 : coord) * sa;
    ob += (s->batch_b[d] == 1 ? 0 : coord) * sb;
    sa *= (size_t)s->batch_a[d];
    sb *= (size_t)s->batch_b[d];
  }
  *oa_out = oa;
  *ob_out = ob;
}

typedef struct blocks_job {
  const gemm_state* s;
  const float* a;
  const float* b;
  float* y;
  float* workspace;
  size_t workspace_stride;
} blocks_job;

/* Work items (batch, block of rows): B packed once per run of items on one matrix of b. */
static void matmul_blocks(void* ctx, size_t begin, size_t end, int worker) {
  const blocks_job* j = ctx;
  const gemm_state* s = j->s;
  const ep_f32_gemm_config* config = s->config;
  const size_t m = s->m, n = s->n, k = s->k;
  const size_t blocks = ep_divide_round_up(m, s->block_rows);
  float* packed_b = j->workspace + (size_t)worker * j->workspace_stride;
  float* packed_a = packed_b + s->b_floats;
  size_t packed = SIZE_MAX;
  for (size_t item = begin; item < end; item++) {
    const size_t batch = item / blocks, r0 = (item % blocks) * s->block_rows;
    const size_t rows = m - r0 < s->block_rows ? m - r0 : s->block_rows;
    size_t oa, ob;
    batch_offsets(s, batch, &oa, &ob);
    if (ob != packed) {
      ep_f32_gemm_pack_b(k, n, j->b + ob * k * n, n, 1, config->nr, packed_b);
      packed = ob;
    }
    ep_f32_gemm_pack_a(rows, k, j->a + (oa * m + r0) * k, k, config->mr, packed_a);
    ep_f32_gemm_compute(config, rows, n, k, packed_a, k * config->mr, packed_b, k * config->nr,
                        j->y + (batch * m + r0) * n, n, false, NULL);
  }
}

/* Rows (batch, i) of y = a b, each batch's matrices found through the broadcast batch dims. */
static void matmul_rows(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const rows_job* j = ctx;
  const gemm_state* s = j->s;
  const size_t m = s->m, n = s->n, k = s->k;
  for (size_t row = begin; row < end; row++) {
    const size_t batch = row / m, i = row % m;
    size_t oa, ob;
    batch_offsets(s, batch, &oa, &ob);
    const float* a = j->a + (oa * m + i) * k;
    const float* b = j->b + ob * k * n;
    float* y = j->y + row * n;
    memset(y, 0, n * sizeof *y);
    for (size_t q = 0; q < k; q++) {
      const float av = a[q];
      const float* br = b + q * n;
      for (size_t c = 0; c < n; c++) y[c] += av * br[c];
    }
  }
}

static void matmul_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  (void)node;
  (void)g;
  const gemm_state* s = state;
  if (s->packed != NULL) {
    packed_product(s, io->in[0], false, s->residual ? io->in[3] : NULL, io->out[0], io);
    return;
  }
  if (s->blocked) {
    blocks_job job = {s, io->in[0], io->in[1], io->out[0], io->workspace, io->workspace_stride};
    const size_t items = s->batches * ep_divide_round_up(s->m, s->block_rows);
    ep_threadpool_parallel_for(io->pool, items, 1, matmul_blocks, &job);
    return;
  }
  rows_job job = {s, io->in[0], io->in[1], io->out[0]};
  ep_threadpool_parallel_for(io->pool, s->batches * s->m, row_grain(s->n, s->k), matmul_rows, &job);
}

const op_kernel ep_op_gemm = {gemm_prepare, gemm_run, gemm_destroy, 0};
const op_kernel ep_op_matmul = {matmul_prepare, matmul_run, gemm_destroy, 0};

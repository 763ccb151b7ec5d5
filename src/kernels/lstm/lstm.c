/* LSTM, one direction, zero initial state, gates i, o, f, c (ONNX order).
 *
 * Units go in blocks of nr (the GEMM's panel width; hp = H rounded up to blocks), and both weight
 * matrices are packed with the four gates of a block side by side: W^T as B panels whose columns
 * run block by block, gates i, o, f, c of the block's units in each, so that the input projection
 * of all T steps, one GEMM into the workspace (G = x W^T + b, [T*N, 4*hp]), leaves each block's
 * four gates adjacent in every row; R^T as one panel per block, H rows of [4][nr]. Each step then
 * runs the cell kernel (kernels/lstm/lstm-cell.h) once per block: the recurrent product h_{t-1}
 * R^T, the sigmoids and tanhs and the state update in registers, h_t stored straight into the
 * output row that the next step reads, so no state is copied between steps.
 *
 * The input projection is one GEMM over the pool. The recurrence is bound by streaming R from L2
 * (the zoo's H = 200: 650 KB a step, ~6.5 us on one Zen 4 core), so two threads each streaming
 * half from their own L2 nearly halve it; but a parallel_for per step, as before, paid a hand-off
 * and a join 20 times per layer (the zoo LSTM at 2 threads 1.54x ONNX Runtime's time). Now the
 * threads enter once per layer and claim (step, block) items in order, an item waiting only for
 * the previous step's items to be done (kernels/rnn/step-items.h). */
#include <string.h>

#include "kernels/config/kernel-config.h"
#include "kernels/f32-fc/fc.h"
#include "kernels/f32-gemm/gemm.h"
#include "kernels/kernels.h"
#include "kernels/rnn/step-items.h"

enum { GATES = 4 };

typedef struct lstm_layout {
  size_t hp;         /* hidden size rounded up to whole panels */
  size_t w, r, bias; /* offsets in the packed buffer */
  size_t total;
  size_t g, c, x_packed; /* offsets in the workspace */
  size_t workspace;
} lstm_layout;

static lstm_layout make_layout(const ep_lstm_desc* d, const ep_f32_gemm_config* config) {
  const size_t t = (size_t)d->seq_len, n = (size_t)d->batch;
  const size_t in = (size_t)d->input_size, h = (size_t)d->hidden_size;
  lstm_layout l;
  l.hp = ep_round_up(h, config->nr);
  l.w = 0;
  l.r = l.w + GATES * l.hp * in;
  l.bias = l.r + GATES * l.hp * h;
  l.total = l.bias + GATES * l.hp;
  l.g = 0;
  l.c = l.g + t * n * GATES * l.hp;
  l.x_packed = l.c + n * l.hp;
  l.workspace = l.x_packed + (t * n > 1 ? ep_round_up(t * n, config->mr) * in : 0);
  return l;
}

size_t ep_lstm_packed_size(const ep_lstm_desc* d) {
  return EP_PACKED_HEADER + make_layout(d, ep_f32_gemm_config_get()).total;
}

void ep_lstm_pack(const ep_lstm_desc* d, const float* w, const float* r, const float* bias,
                  float* packed) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  packed = ep_packed_header_write(packed, config);
  const lstm_layout l = make_layout(d, config);
  const size_t in = (size_t)d->input_size, h = (size_t)d->hidden_size, nr = config->nr;
  for (size_t j0 = 0; j0 < h; j0 += nr) {
    const size_t units = h - j0 < nr ? h - j0 : nr;
    const size_t block = j0 / nr;
    float* rb = packed + l.r + block * h * GATES * nr;
    for (size_t g = 0; g < GATES; g++) {
      /* W^T's panel of gate g, units [j0, j0 + nr): panel 4 * block + g. */
      float* wp = packed + l.w + (block * GATES + g) * in * nr;
      ep_f32_gemm_pack_b(in, units, w + (g * h + j0) * in, 1, in, nr, wp);
      float* b = packed + l.bias + (block * GATES + g) * nr;
      for (size_t u = 0; u < nr; u++) {
        b[u] = d->has_bias && bias != NULL && u < units ? bias[g * h + j0 + u] : 0.0f;
      }
      for (size_t k = 0; k < h; k++) {
        float* row = rb + (k * GATES + g) * nr;
        for (size_t u = 0; u < nr; u++) row[u] = u < units ? r[(g * h + j0 + u) * h + k] : 0.0f;
      }
    }
  }
}

size_t ep_lstm_workspace_size(const ep_lstm_desc* d) {
  return make_layout(d, ep_f32_gemm_config_get()).workspace;
}

/* The recurrence's items: (row, block) in row order (kernels/rnn/step-items.h). */
typedef struct recurrence {
  ep_lstm_cell_fn cell;
  const float* r; /* the recurrent panels */
  const float* g; /* the input projection, [rows, 4 * hp] */
  float* c;       /* cell states, [N, hp] */
  float* y;
  size_t n_batch, h, hp, nr, blocks;
} recurrence;

static void cell_item(void* ctx, size_t item) {
  const recurrence* s = ctx;
  const size_t row = item / s->blocks, j0 = item % s->blocks * s->nr;
  const float* h_prev = row >= s->n_batch ? s->y + (row - s->n_batch) * s->h : NULL;
  s->cell(s->h - j0 < s->nr ? s->h - j0 : s->nr, s->h, h_prev, s->r + j0 * s->h * GATES,
          s->g + row * GATES * s->hp + j0 * GATES, s->c + row % s->n_batch * s->hp + j0,
          s->y + row * s->h + j0);
}

void ep_lstm_run(const ep_lstm_desc* d, const float* packed, const float* x, float* y,
                 float* workspace, size_t workspace_stride, ep_threadpool* pool) {
  (void)workspace_stride; /* everything lives in worker 0's workspace */
  const ep_f32_gemm_config* config = ep_packed_config(packed);
  packed += EP_PACKED_HEADER;
  const lstm_layout l = make_layout(d, config);
  const size_t n_batch = (size_t)d->batch, rows = (size_t)d->seq_len * n_batch;
  const size_t in = (size_t)d->input_size, h = (size_t)d->hidden_size;
  float* g = workspace + l.g;
  const float* a = x;
  if (rows > 1) {
    ep_f32_gemm_pack_a(rows, in, x, in, config->mr, workspace + l.x_packed);
    a = workspace + l.x_packed;
  }
  ep_f32_fc_compute(config, rows, in, GATES * l.hp, a, packed + l.w, packed + l.bias, EP_ACT_NONE,
                    g, GATES * l.hp, pool);
  memset(workspace + l.c, 0, n_batch * l.hp * sizeof *workspace);
  recurrence s = {
      .cell = ep_kernel_config_for(config->isa)->lstm_cell,
      .r = packed + l.r,
      .g = g,
      .c = workspace + l.c,
      .y = y,
      .n_batch = n_batch,
      .h = h,
      .hp = l.hp,
      .nr = config->nr,
      .blocks = l.hp / config->nr,
  };
  const double step_ns = (double)(n_batch * GATES * h * h) / EP_STEP_MACS_PER_NS;
  ep_run_step_items(pool, step_ns >= EP_STEP_SPLIT_MIN_NS, (size_t)d->seq_len,
                    n_batch * s.blocks, cell_item, &s);
}

/* LSTM, one direction, zero initial state, gates i, o, f, c (ONNX order).
 *
 * W and R are packed as B panels of their transposes, each gate padded to hp = H rounded up to
 * nr units, so that the panels of gate g for units [j, j + nr) sit at the same offset in every
 * gate. The input projection of all T steps is one GEMM into the workspace (G = x W^T + b,
 * [T*N, 4*hp]); each step then adds h_{t-1} R^T and applies the cell, split over blocks of nr
 * units: a block needs all four gates of its units and nothing else, and h_{t-1} is read
 * straight from the previous step's output rows, so no state is copied between steps. */
#include <string.h>

#include "kernels/activation.h"
#include "kernels/f32-fc/fc.h"
#include "kernels/f32-gemm/gemm.h"
#include "kernels/kernels.h"

enum { GATES = 4, MAX_NR = EP_F32_GEMM_MAX_NR };

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
  const size_t in = (size_t)d->input_size, h = (size_t)d->hidden_size;
  for (size_t g = 0; g < GATES; g++) {
    ep_f32_gemm_pack_b(in, h, w + g * h * in, 1, in, config->nr, packed + l.w + g * l.hp * in);
    ep_f32_gemm_pack_b(h, h, r + g * h * h, 1, h, config->nr, packed + l.r + g * l.hp * h);
    float* b = packed + l.bias + g * l.hp;
    for (size_t j = 0; j < l.hp; j++)
      b[j] = d->has_bias && bias != NULL && j < h ? bias[g * h + j] : 0.0f;
  }
}

size_t ep_lstm_workspace_size(const ep_lstm_desc* d) {
  return make_layout(d, ep_f32_gemm_config_get()).workspace;
}

typedef struct lstm_step {
  const ep_lstm_desc* d;
  const ep_f32_gemm_config* config;
  const lstm_layout* layout;
  const float* packed;
  const float* g; /* the input projection, [T*N, 4*hp] */
  float* c;       /* cell state, [N, hp] */
  float* y;
  size_t t;
} lstm_step;

static void lstm_units(void* ctx, size_t begin, size_t end, int worker) {
  (void)worker;
  const lstm_step* s = ctx;
  const size_t nr = s->config->nr;
  const size_t n_batch = (size_t)s->d->batch, h = (size_t)s->d->hidden_size;
  const size_t hp = s->layout->hp;
  const float* r = s->packed + s->layout->r;
  float gates[GATES * MAX_NR];
  float cell_tanh[MAX_NR];
  for (size_t block = begin; block < end; block++) {
    const size_t j0 = block * nr;
    const size_t units = h - j0 < nr ? h - j0 : nr;
    for (size_t n = 0; n < n_batch; n++) {
      const size_t row = s->t * n_batch + n;
      for (size_t g = 0; g < GATES; g++) {
        float* gate = gates + g * nr;
        memcpy(gate, s->g + row * GATES * hp + g * hp + j0, nr * sizeof *gate);
        if (s->t > 0) {
          const float* h_prev = s->y + (row - n_batch) * h;
          s->config->gemv(nr, h, h_prev, r + g * hp * h + j0 * h, gate, true, NULL);
        }
      }
      /* i, o, f are adjacent: one sigmoid pass; then the candidate. */
      ep_f32_vsigmoid(3 * nr, gates, gates);
      ep_f32_vtanh(nr, gates + 3 * nr, gates + 3 * nr);
      const float* in_gate = gates;
      const float* out_gate = gates + nr;
      const float* forget = gates + 2 * nr;
      const float* candidate = gates + 3 * nr;
      float* c = s->c + n * hp + j0;
      for (size_t j = 0; j < nr; j++) c[j] = forget[j] * c[j] + in_gate[j] * candidate[j];
      ep_f32_vtanh(nr, c, cell_tanh);
      float* y = s->y + row * h + j0;
      for (size_t j = 0; j < units; j++) y[j] = out_gate[j] * cell_tanh[j];
    }
  }
}

void ep_lstm_run(const ep_lstm_desc* d, const float* packed, const float* x, float* y,
                 float* workspace, size_t workspace_stride, ep_threadpool* pool) {
  (void)workspace_stride; /* everything lives in worker 0's workspace */
  const ep_f32_gemm_config* config = ep_packed_config(packed);
  packed += EP_PACKED_HEADER;
  const lstm_layout l = make_layout(d, config);
  const size_t rows = (size_t)d->seq_len * (size_t)d->batch;
  const size_t in = (size_t)d->input_size;
  float* g = workspace + l.g;
  const float* a = x;
  if (rows > 1) {
    ep_f32_gemm_pack_a(rows, in, x, in, config->mr, workspace + l.x_packed);
    a = workspace + l.x_packed;
  }
  ep_f32_fc_compute(config, rows, in, GATES * l.hp, a, packed + l.w, packed + l.bias, EP_ACT_NONE,
                    g, GATES * l.hp, pool);
  memset(workspace + l.c, 0, (size_t)d->batch * l.hp * sizeof *workspace);
  lstm_step step = {
      .d = d,
      .config = config,
      .layout = &l,
      .packed = packed,
      .g = g,
      .c = workspace + l.c,
      .y = y,
  };
  for (size_t t = 0; t < (size_t)d->seq_len; t++) {
    step.t = t;
    ep_threadpool_parallel_for(pool, l.hp / config->nr, 1, lstm_units, &step);
  }
}

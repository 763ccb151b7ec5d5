/* ONNX LSTM and GRU. Per direction, the input projection of every step is one GEMM
 * (x [T*N, I] x W^T, the biases in its epilogue) over the pool; then each step runs one recurrent
 * GEMM (a GEMV at batch 1) of the state with R^T, over the pool only where a step is big enough,
 * and the gate arithmetic on the calling thread
 * with the vectorized sigmoid and tanh. GRU with linear_before_reset 0 needs (r . h) before its
 * last recurrent product, so its recurrent weights are packed in two parts: [Rz; Rr] and Rh.
 *
 * Packed, per direction (each part padded to 16 floats to keep panels 64-byte aligned):
 *   W^T as B panels [I, G*H]; LSTM: R^T [H, 4H], bias [4H] = Wb + Rb, peepholes [3H] (or zeros);
 *   GRU: [Rz; Rr]^T [H, 2H], Rh^T [H, H], bias [3H] = Wb + Rb for z and r, Wbh (+ Rbh when
 *   linear_before_reset is 0), recurrent bias [H] = Rbh when linear_before_reset is 1, else 0;
 *   LSTM without peepholes, GRU with linear_before_reset 1, both without clip: blocks of nr
 *   units instead (cell_gates). */
#include <string.h>

#include "kernels/activation.h"
#include "kernels/config/kernel-config.h"
#include "kernels/f32-fc/fc.h"
#include "kernels/f32-gemm/gemm.h"
#include "kernels/rnn/step-items.h"
#include "kernels/tensor_ops.h"

static size_t align16(size_t n) { return ep_round_up(n, 16); }

typedef struct parts {
  size_t wt, rt, rh, bias, rbias, peep, per_direction; /* offsets within one direction */
} parts;

/* LSTM without peepholes and GRU with linear_before_reset 1 (PyTorch's), both without clip, run
 * fused cells (kernels/lstm/lstm-cell.h, kernels/rnn/gru-cell.h): their weights are packed with
 * the gates of each block of nr units side by side, W^T's panels block by block and R^T as one
 * [gates][nr] panel per block. The gates of such a cell, else 0. */
static size_t cell_gates(const ep_rnn_desc* d) {
  if (d->clip > 0.0f) return 0;
  if (d->lstm) return d->has_peepholes ? 0 : 4;
  return d->linear_before_reset ? 3 : 0;
}

static parts layout_of(const ep_rnn_desc* d, size_t nr) {
  const size_t h = (size_t)d->hidden_size, in = (size_t)d->input_size, g = d->lstm ? 4 : 3;
  parts p;
  memset(&p, 0, sizeof p);
  size_t at = 0;
  if (cell_gates(d) > 0) {
    const size_t hp = ep_round_up(h, nr), cg = cell_gates(d);
    p.wt = at;
    at += align16(in * cg * hp);
    p.rt = at;
    at += align16(h * cg * hp);
    p.rh = at;
    p.bias = at;
    at += align16(cg * hp);
    p.rbias = at;
    if (!d->lstm) at += align16(hp);
    p.peep = at;
    p.per_direction = at;
    return p;
  }
  p.wt = at;
  at += align16(in * ep_round_up(g * h, nr));
  p.rt = at;
  at += align16(h * ep_round_up((d->lstm ? 4 : 2) * h, nr));
  p.rh = at;
  if (!d->lstm) at += align16(h * ep_round_up(h, nr));
  p.bias = at;
  at += align16(g * h);
  p.rbias = at;
  if (!d->lstm) at += align16(h);
  p.peep = at;
  if (d->lstm) at += align16(3 * h);
  p.per_direction = at;
  return p;
}

size_t ep_rnn_packed_size(const ep_rnn_desc* d) {
  return EP_PACKED_HEADER +
         layout_of(d, ep_f32_gemm_config_get()->nr).per_direction * (size_t)d->directions;
}

void ep_rnn_pack(const ep_rnn_desc* d, const float* w, const float* r, const float* bias,
                 const float* p, float* packed) {
  const ep_f32_gemm_config* config = ep_f32_gemm_config_get();
  packed = ep_packed_header_write(packed, config);
  const size_t nr = config->nr;
  const parts pt = layout_of(d, nr);
  const size_t h = (size_t)d->hidden_size, in = (size_t)d->input_size, g = d->lstm ? 4 : 3;
  memset(packed, 0, pt.per_direction * (size_t)d->directions * sizeof *packed);
  for (int dir = 0; dir < d->directions; dir++) {
    float* out = packed + pt.per_direction * (size_t)dir;
    const float* wd = w + (size_t)dir * g * h * in;
    const float* rd = r + (size_t)dir * g * h * h;
    const float* wb = bias ? bias + (size_t)dir * 2 * g * h : NULL;
    const float* rb = bias ? wb + g * h : NULL;
    if (g == cell_gates(d)) {
      for (size_t j0 = 0; j0 < h; j0 += nr) {
        const size_t units = h - j0 < nr ? h - j0 : nr, block = j0 / nr;
        for (size_t q = 0; q < g; q++) {
          ep_f32_gemm_pack_b(in, units, wd + (q * h + j0) * in, 1, in, nr,
                             out + pt.wt + (block * g + q) * in * nr);
          for (size_t k = 0; k < h; k++) {
            float* row = out + pt.rt + block * h * g * nr + (k * g + q) * nr;
            for (size_t u = 0; u < units; u++) row[u] = rd[(q * h + j0 + u) * h + k];
          }
          /* GRU's n keeps its recurrent bias apart (rbias): r multiplies it. */
          for (size_t u = 0; bias && u < units; u++) {
            const size_t j = q * h + j0 + u;
            out[pt.bias + (block * g + q) * nr + u] = wb[j] + (d->lstm || q < 2 ? rb[j] : 0.0f);
          }
        }
        for (size_t u = 0; bias && !d->lstm && u < units; u++) {
          out[pt.rbias + j0 + u] = rb[2 * h + j0 + u];
        }
      }
      continue;
    }
    ep_f32_gemm_pack_b(in, g * h, wd, 1, in, nr, out + pt.wt);
    if (d->lstm) {
      ep_f32_gemm_pack_b(h, 4 * h, rd, 1, h, nr, out + pt.rt);
    } else {
      ep_f32_gemm_pack_b(h, 2 * h, rd, 1, h, nr, out + pt.rt);
      ep_f32_gemm_pack_b(h, h, rd + 2 * h * h, 1, h, nr, out + pt.rh);
    }
    if (bias) {
      for (size_t j = 0; j < g * h; j++) {
        const bool reset_bias = !d->lstm && j >= 2 * h; /* GRU's Rbh */
        out[pt.bias + j] = wb[j] + (reset_bias && d->linear_before_reset ? 0.0f : rb[j]);
        if (reset_bias && d->linear_before_reset) out[pt.rbias + j - 2 * h] = rb[j];
      }
    }
    if (d->lstm && p) memcpy(out + pt.peep, p + (size_t)dir * 3 * h, 3 * h * sizeof *out);
  }
}

/* Workspace parts (worker 0 only). */
typedef struct scratch {
  size_t xa, xg, hs, cs, ha, rec, rec2, tmp, total;
} scratch;

static scratch scratch_of(const ep_rnn_desc* d, const ep_f32_gemm_config* config) {
  const size_t h = (size_t)d->hidden_size, in = (size_t)d->input_size, g = d->lstm ? 4 : 3;
  const size_t rows = (size_t)d->seq_len * d->batch, n = (size_t)d->batch;
  scratch s;
  size_t at = 0;
  s.xa = at;
  if (rows > 1) at += align16(ep_round_up(rows, config->mr) * in);
  s.xg = at;
  at += align16(rows * g * ep_round_up(h, config->nr)); /* cell_gates: blocks of nr */
  s.hs = at;
  at += align16(n * h);
  s.cs = at;
  at += align16(n * ep_round_up(h, config->nr)); /* the LSTM cell stores whole blocks */
  s.ha = at;
  if (n > 1) at += align16(ep_round_up(n, config->mr) * h);
  s.rec = at;
  at += align16(n * (d->lstm ? 4 : 2) * h);
  s.rec2 = at;
  at += align16(n * h);
  s.tmp = at;
  at += align16(n * h + 6 * h);
  s.total = at;
  return s;
}

size_t ep_rnn_workspace_size(const ep_rnn_desc* d) {
  return scratch_of(d, ep_f32_gemm_config_get()).total;
}

static void clip_values(float* v, size_t n, float c) {
  if (c <= 0.0f) return;
  for (size_t i = 0; i < n; i++) v[i] = v[i] < -c ? -c : v[i] > c ? c : v[i];
}

/* y [n, cols] = state [n, k] x B (+ bias): GEMV at batch 1, else pack the state as A. */
static void state_product(const ep_f32_gemm_config* config, size_t n, size_t k, size_t cols,
                          const float* state, float* a_pack, const float* b_packed,
                          const float* bias, float* y, ep_threadpool* pool) {
  const float* a = state;
  if (n > 1) {
    ep_f32_gemm_pack_a(n, k, state, k, config->mr, a_pack);
    a = a_pack;
  }
  ep_f32_fc_compute(config, n, k, cols, a, b_packed, bias, EP_ACT_NONE, y, cols, pool);
}

/* cell_gates' run: per direction the input projection as one GEMM, then the cells of each step,
 * row and block as items in step order (kernels/rnn/step-items.h), step s reading the state in
 * state[s % 2] and writing state[(s + 1) % 2]: a step's items start once the step before is done,
 * so nothing still reads the rows they write. An LSTM's cell state is updated in place. */
typedef struct cell_steps {
  const ep_rnn_desc* d;
  ep_lstm_cell_fn lstm_cell;
  ep_gru_cell_fn gru_cell;
  const float* pk; /* this direction's packed weights */
  const parts* pt;
  const float* xg; /* the input projection, [rows, gates * hp] */
  const float* seq_lens;
  float* y;
  float* state[2]; /* [N, H] each */
  float* cs;       /* LSTM: cell states, [N, hp] */
  size_t dir, gates, hp, nr, blocks;
  bool backwards;
} cell_steps;

static void cell_item(void* ctx, size_t item) {
  const cell_steps* s = ctx;
  const ep_rnn_desc* d = s->d;
  const size_t H = (size_t)d->hidden_size, T = (size_t)d->seq_len, N = (size_t)d->batch;
  const size_t D = (size_t)d->directions, G = s->gates;
  const size_t step = item / (N * s->blocks), n = item / s->blocks % N;
  const size_t j0 = item % s->blocks * s->nr, units = H - j0 < s->nr ? H - j0 : s->nr;
  const size_t t = s->backwards ? T - 1 - step : step;
  const float* h = s->state[step % 2] + n * H;
  float* out = s->state[(step + 1) % 2] + n * H;
  float* yr = s->y ? s->y + ((d->layout ? (n * T + t) * D + s->dir : (t * D + s->dir) * N + n) * H)
                   : NULL;
  if (s->seq_lens != NULL && !((float)t < s->seq_lens[n])) {
    memcpy(out + j0, h + j0, units * sizeof *out);
    if (yr) memset(yr + j0, 0, units * sizeof *yr);
    return;
  }
  const float* xr = s->xg + (d->layout ? n * T + t : t * N + n) * G * s->hp + j0 * G;
  const float* r = s->pk + s->pt->rt + j0 * H * G;
  if (d->lstm) {
    s->lstm_cell(units, H, h, r, xr, s->cs + n * s->hp + j0, out + j0);
  } else {
    s->gru_cell(units, H, h, h + j0, r, xr, s->pk + s->pt->rbias + j0, out + j0);
  }
  if (yr) memcpy(yr + j0, out + j0, units * sizeof *yr);
}

static void run_cells(const ep_rnn_desc* d, const ep_f32_gemm_config* config, const float* packed,
                      const float* xa, const float* seq_lens, const float* h0, const float* c0,
                      float* y, float* y_h, float* y_c, float* workspace, ep_threadpool* pool) {
  const parts pt = layout_of(d, config->nr);
  const scratch sc = scratch_of(d, config);
  const size_t H = (size_t)d->hidden_size, I = (size_t)d->input_size, nr = config->nr;
  const size_t T = (size_t)d->seq_len, N = (size_t)d->batch, D = (size_t)d->directions;
  const size_t hp = ep_round_up(H, nr), G = cell_gates(d);
  const ep_kernel_config* kc = ep_kernel_config_for(config->isa);
  cell_steps s = {
      .d = d,
      .lstm_cell = kc->lstm_cell,
      .gru_cell = kc->gru_cell,
      .pt = &pt,
      .xg = workspace + sc.xg,
      .seq_lens = seq_lens,
      .y = y,
      .state = {workspace + sc.hs, workspace + sc.rec}, /* [N, H] of rec's [N, 2H or 4H] */
      .cs = workspace + sc.cs,
      .gates = G,
      .hp = hp,
      .nr = nr,
      .blocks = hp / nr,
  };
  const bool split = (double)(N * G * H * H) / EP_STEP_MACS_PER_NS >= EP_STEP_SPLIT_MIN_NS;
  for (size_t dir = 0; dir < D; dir++) {
    s.dir = dir;
    s.pk = packed + pt.per_direction * dir;
    s.backwards = D == 2 ? dir == 1 : d->reverse;
    ep_f32_fc_compute(config, T * N, I, G * hp, xa, s.pk + pt.wt, s.pk + pt.bias, EP_ACT_NONE,
                      workspace + sc.xg, G * hp, pool);
    for (size_t n = 0; n < N; n++) {
      const size_t at = (d->layout ? n * D + dir : dir * N + n) * H;
      for (size_t j = 0; j < H; j++) s.state[0][n * H + j] = h0 ? h0[at + j] : 0.0f;
      for (size_t j = 0; d->lstm && j < hp; j++) s.cs[n * hp + j] = c0 && j < H ? c0[at + j] : 0.0f;
    }
    ep_run_step_items(pool, split, T, N * s.blocks, cell_item, &s);
    for (size_t n = 0; n < N; n++) {
      const size_t at = (d->layout ? n * D + dir : dir * N + n) * H;
      if (y_h) memcpy(y_h + at, s.state[T % 2] + n * H, H * sizeof *y_h);
      if (y_c && d->lstm) memcpy(y_c + at, s.cs + n * hp, H * sizeof *y_c);
    }
  }
}

void ep_rnn_run(const ep_rnn_desc* d, const float* packed, const float* x, const float* seq_lens,
                const float* h0, const float* c0, float* y, float* y_h, float* y_c,
                float* workspace, ep_threadpool* pool) {
  const ep_f32_gemm_config* config = ep_packed_config(packed);
  packed += EP_PACKED_HEADER;
  const parts pt = layout_of(d, config->nr);
  const scratch sc = scratch_of(d, config);
  const size_t H = (size_t)d->hidden_size, I = (size_t)d->input_size, G = d->lstm ? 4 : 3;
  const size_t T = (size_t)d->seq_len, N = (size_t)d->batch, D = (size_t)d->directions;
  const size_t rows = T * N;
  float* xg = workspace + sc.xg;
  float* hs = workspace + sc.hs;
  float* cs = workspace + sc.cs;
  float* rec = workspace + sc.rec;
  float* rec2 = workspace + sc.rec2;
  float* tmp = workspace + sc.tmp;
  const float* xa = x;
  if (rows > 1) {
    ep_f32_gemm_pack_a(rows, I, x, I, config->mr, workspace + sc.xa);
    xa = workspace + sc.xa;
  }
  /* A step's recurrent products split over the pool only where they are worth a hand-off and a
   * join each (core/threadpool.h): a step's R streams from L2 at ~25 multiply-adds per ns on a
   * Zen 4 core, so H = 200 (an LSTM step: 6.4 us) stays on the calling thread, as the zoo LSTM's
   * per-step split ran 1.5x slower than ONNX Runtime at 2 threads. */
  const double step_ns = (double)(N * G * H * H) / 25.0;
  ep_threadpool* step_pool = ep_threadpool_worth_splitting(pool, step_ns) ? pool : NULL;
  if (cell_gates(d) > 0) {
    run_cells(d, config, packed, xa, seq_lens, h0, c0, y, y_h, y_c, workspace, pool);
    return;
  }
  for (size_t dir = 0; dir < D; dir++) {
    const float* pk = packed + pt.per_direction * dir;
    const bool backwards = D == 2 ? dir == 1 : d->reverse;
    ep_f32_fc_compute(config, rows, I, G * H, xa, pk + pt.wt, pk + pt.bias, EP_ACT_NONE, xg, G * H,
                      pool);
    for (size_t n = 0; n < N; n++) {
      const size_t at = (d->layout ? n * D + dir : dir * N + n) * H;
      for (size_t j = 0; j < H; j++) {
        hs[n * H + j] = h0 ? h0[at + j] : 0.0f;
        cs[n * H + j] = c0 ? c0[at + j] : 0.0f;
      }
    }
    for (size_t step = 0; step < T; step++) {
      const size_t t = backwards ? T - 1 - step : step;
      state_product(config, N, H, (d->lstm ? 4 : 2) * H, hs, workspace + sc.ha, pk + pt.rt, NULL,
                    rec, step_pool);
      if (!d->lstm && d->linear_before_reset) {
        state_product(config, N, H, H, hs, workspace + sc.ha, pk + pt.rh, pk + pt.rbias, rec2,
                      step_pool);
      }
      float* rh = tmp + 6 * H; /* GRU: r . h for every row, [N, H] */
      for (size_t n = 0; n < N; n++) {
        const bool active = seq_lens == NULL || (float)t < seq_lens[n];
        const float* xr = xg + (d->layout ? n * T + t : t * N + n) * G * H;
        float* yr =
            y ? y + ((d->layout ? (n * T + t) * D + dir : (t * D + dir) * N + n) * H) : NULL;
        float* h = hs + n * H;
        float* c = cs + n * H;
        float* gates = tmp;
        if (!active) {
          if (yr) memset(yr, 0, H * sizeof *yr);
          if (!d->lstm) memset(rh + n * H, 0, H * sizeof *rh);
          continue;
        }
        if (d->lstm) {
          const float* rr = rec + n * 4 * H;
          const float* p = pk + pt.peep;
          for (size_t j = 0; j < 4 * H; j++) gates[j] = xr[j] + rr[j];
          for (size_t j = 0; j < H; j++) {
            gates[j] += p[j] * c[j];                 /* i */
            gates[2 * H + j] += p[2 * H + j] * c[j]; /* f */
          }
          clip_values(gates, H, d->clip); /* i; o is clipped once its peephole is added */
          clip_values(gates + 2 * H, 2 * H, d->clip); /* f, c */
          ep_f32_vsigmoid(H, gates, gates);
          ep_f32_vsigmoid(H, gates + 2 * H, gates + 2 * H);
          ep_f32_vtanh(H, gates + 3 * H, gates + 3 * H);
          for (size_t j = 0; j < H; j++) {
            c[j] = gates[2 * H + j] * c[j] + gates[j] * gates[3 * H + j];
            gates[H + j] += p[H + j] * c[j]; /* o sees the new cell */
          }
          clip_values(gates + H, H, d->clip);
          ep_f32_vsigmoid(H, gates + H, gates + H);
          ep_f32_vtanh(H, c, gates + 4 * H);
          for (size_t j = 0; j < H; j++) h[j] = gates[H + j] * gates[4 * H + j];
        } else {
          float* zr = rec + n * 2 * H; /* z and r, activated in place */
          for (size_t j = 0; j < 2 * H; j++) zr[j] += xr[j];
          clip_values(zr, 2 * H, d->clip);
          ep_f32_vsigmoid(2 * H, zr, zr);
          if (d->linear_before_reset) {
            const float* hr = rec2 + n * H;
            for (size_t j = 0; j < H; j++) gates[j] = xr[2 * H + j] + zr[H + j] * hr[j];
            clip_values(gates, H, d->clip);
            ep_f32_vtanh(H, gates, gates);
            for (size_t j = 0; j < H; j++) h[j] = (1.0f - zr[j]) * gates[j] + zr[j] * h[j];
          } else {
            for (size_t j = 0; j < H; j++) rh[n * H + j] = zr[H + j] * h[j];
          }
        }
        if (yr && (d->lstm || d->linear_before_reset)) memcpy(yr, h, H * sizeof *yr);
      }
      if (!d->lstm && !d->linear_before_reset) {
        /* The candidate needs (r . h) Rh^T for every row before any state changes. */
        state_product(config, N, H, H, rh, workspace + sc.ha, pk + pt.rh, NULL, rec2, step_pool);
        for (size_t n = 0; n < N; n++) {
          if (seq_lens != NULL && !((float)t < seq_lens[n])) continue;
          const float* xr = xg + (d->layout ? n * T + t : t * N + n) * G * H;
          float* yr =
              y ? y + ((d->layout ? (n * T + t) * D + dir : (t * D + dir) * N + n) * H) : NULL;
          const float* zr = rec + n * 2 * H;
          float* h = hs + n * H;
          float* gates = tmp;
          for (size_t j = 0; j < H; j++) gates[j] = xr[2 * H + j] + rec2[n * H + j];
          clip_values(gates, H, d->clip);
          ep_f32_vtanh(H, gates, gates);
          for (size_t j = 0; j < H; j++) h[j] = (1.0f - zr[j]) * gates[j] + zr[j] * h[j];
          if (yr) memcpy(yr, h, H * sizeof *yr);
        }
      }
    }
    for (size_t n = 0; n < N; n++) {
      const size_t at = (d->layout ? n * D + dir : dir * N + n) * H;
      if (y_h) memcpy(y_h + at, hs + n * H, H * sizeof *y_h);
      if (y_c) memcpy(y_c + at, cs + n * H, H * sizeof *y_c);
    }
  }
}

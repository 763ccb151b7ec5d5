/* Shape inference and checks, one node at a time, in topological order. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "graph/graph_internal.h"

#define SHAPE_BUF 96

typedef struct infer {
  ep_graph* g;
  ep_node* node;
} infer;

static const ep_shape* in_shape(const infer* c, int i) {
  return &c->g->tensors[c->node->inputs[i]].shape;
}

static const char* in_name(const infer* c, int i) { return c->g->tensors[c->node->inputs[i]].name; }

static ep_status fail(const infer* c, const char* format, ...)
    __attribute__((format(printf, 2, 3)));

static ep_status fail(const infer* c, const char* format, ...) {
  char msg[384];
  va_list args;
  va_start(args, format);
  vsnprintf(msg, sizeof msg, format, args);
  va_end(args);
  return ep_error(EP_ERR_INVALID_ARGUMENT, "node %s (%s): %s", c->node->name,
                  ep_op_name(c->node->op), msg);
}

static ep_status fail_shape(const infer* c, int input, const char* what, const char* expected) {
  char buf[SHAPE_BUF];
  char msg[384];
  snprintf(msg, sizeof msg, "input %d (%s, %s) has shape %s, expected %s", input, what,
           in_name(c, input), ep_shape_format(in_shape(c, input), buf, sizeof buf), expected);
  return ep_error(EP_ERR_INVALID_ARGUMENT, "node %s (%s): %s", c->node->name,
                  ep_op_name(c->node->op), msg);
}

static ep_status check_counts(const infer* c, int min_in, int max_in) {
  char msg[128];
  if (c->node->n_inputs < min_in || c->node->n_inputs > max_in) {
    if (min_in == max_in) {
      snprintf(msg, sizeof msg, "has %d inputs, expected %d", c->node->n_inputs, min_in);
    } else {
      snprintf(msg, sizeof msg, "has %d inputs, expected %d to %d", c->node->n_inputs, min_in,
               max_in);
    }
    return fail(c, "%s", msg);
  }
  if (c->node->n_outputs != 1) {
    snprintf(msg, sizeof msg, "has %d outputs, expected 1", c->node->n_outputs);
    return fail(c, "%s", msg);
  }
  return EP_OK;
}

static void set_output(infer* c, ep_shape shape) {
  c->g->tensors[c->node->outputs[0]].shape = shape;
}

static bool is_vector(const ep_shape* s, int64_t n) { return s->rank == 1 && s->dims[0] == n; }

/* The spatial output size of a sliding window, or -1 when the window does not fit. */
static int64_t window_out(int64_t in, int pad_begin, int pad_end, int64_t eff_kernel, int stride,
                          bool ceil_mode) {
  int64_t span = in + pad_begin + pad_end - eff_kernel;
  if (span < 0) return -1;
  int64_t out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
  /* ceil_mode: the last window must start inside the input or its leading padding. */
  if (ceil_mode && (out - 1) * stride >= in + pad_begin) out--;
  return out;
}

static ep_status check_window_attrs(infer* c) {
  ep_attrs* a = &c->node->attrs;
  char msg[160];
  for (int i = 0; i < 2; i++) {
    if (a->stride[i] == 0) a->stride[i] = 1;
    if (a->dilation[i] == 0) a->dilation[i] = 1;
    if (a->stride[i] < 0 || a->dilation[i] < 0 || a->kernel[i] < 0) {
      snprintf(msg, sizeof msg, "negative kernel %dx%d, stride %dx%d or dilation %dx%d",
               a->kernel[0], a->kernel[1], a->stride[0], a->stride[1], a->dilation[0],
               a->dilation[1]);
      return fail(c, "%s", msg);
    }
  }
  for (int i = 0; i < 4; i++) {
    if (a->pad[i] < 0) {
      snprintf(msg, sizeof msg, "negative padding %d,%d,%d,%d", a->pad[0], a->pad[1], a->pad[2],
               a->pad[3]);
      return fail(c, "%s", msg);
    }
  }
  return EP_OK;
}

static bool present(const infer* c, int i) {
  return i < c->node->n_inputs && c->node->inputs[i] >= 0;
}

static ep_status infer_conv(infer* c) {
  ep_status st = check_counts(c, 2, 6);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  const ep_shape* w = in_shape(c, 1);
  ep_attrs* a = &c->node->attrs;
  char expect[160];
  if (x->rank != 4) return fail_shape(c, 0, "x", "rank 4 (NCHW)");
  if (a->group == 0) a->group = 1;
  if (a->group < 0) return fail(c, "negative group");
  st = check_window_attrs(c);
  if (st != EP_OK) return st;
  int64_t cin = x->dims[1], g = a->group;
  if (cin % g != 0) {
    snprintf(expect, sizeof expect, "channels divisible by group %d", a->group);
    return fail_shape(c, 0, "x", expect);
  }
  if (w->rank != 4 || w->dims[1] != cin / g || w->dims[0] % g != 0 ||
      (a->kernel[0] && a->kernel[0] != w->dims[2]) ||
      (a->kernel[1] && a->kernel[1] != w->dims[3])) {
    if (a->kernel[0] || a->kernel[1]) {
      snprintf(expect, sizeof expect, "[Cout, %lld, %d, %d] (Cout divisible by group %d)",
               (long long)(cin / g), a->kernel[0], a->kernel[1], a->group);
    } else {
      snprintf(expect, sizeof expect, "[Cout, %lld, kh, kw] (Cout divisible by group %d)",
               (long long)(cin / g), a->group);
    }
    return fail_shape(c, 1, "weights", expect);
  }
  a->kernel[0] = (int)w->dims[2];
  a->kernel[1] = (int)w->dims[3];
  int64_t cout = w->dims[0];
  if (present(c, 2) && !is_vector(in_shape(c, 2), cout)) {
    snprintf(expect, sizeof expect, "[%lld]", (long long)cout);
    return fail_shape(c, 2, "bias", expect);
  }
  int64_t out[2];
  for (int i = 0; i < 2; i++) {
    int64_t eff = (int64_t)a->dilation[i] * (a->kernel[i] - 1) + 1;
    out[i] = window_out(x->dims[2 + i], a->pad[i], a->pad[i + 2], eff, a->stride[i], false);
    if (out[i] < 1) {
      snprintf(expect, sizeof expect, "spatial size of at least the kernel %dx%d", a->kernel[0],
               a->kernel[1]);
      return fail_shape(c, 0, "x", expect);
    }
  }
  ep_shape y = ep_shape_make(4, (int64_t[]){x->dims[0], cout, out[0], out[1]});
  /* The residual is added element by element: no broadcasting. */
  if (present(c, 3) && !ep_shape_equal(in_shape(c, 3), &y)) {
    ep_shape_format(&y, expect, sizeof expect);
    strncat(expect, " (the output's shape)", sizeof expect - strlen(expect) - 1);
    return fail_shape(c, 3, "residual", expect);
  }
  /* A pre-activation: both of in_scale and in_shift, one value per input channel, on a pointwise
   * conv (the only kind that runs one). */
  if (c->node->n_inputs > 4) {
    bool pointwise = a->kernel[0] == 1 && a->kernel[1] == 1 && a->group == 1;
    for (int i = 0; i < 4; i++) pointwise = pointwise && a->pad[i] == 0;
    for (int i = 0; i < 2; i++) pointwise = pointwise && a->stride[i] <= 1 && a->dilation[i] <= 1;
    if (!pointwise) {
      return fail(c, "a pre-activation (inputs 4, 5) needs a 1x1 conv, stride 1, no padding, "
                     "one group");
    }
    if (a->in_act != EP_ACT_NONE && a->in_act != EP_ACT_RELU) {
      return fail(c, "pre-activation %s is not supported (relu is)",
                  ep_activation_name(a->in_act));
    }
    const ep_shape want = ep_shape_make(3, (int64_t[]){cin, 1, 1});
    for (int k = 4; k < 6; k++) {
      if (!present(c, k) || !ep_shape_equal(in_shape(c, k), &want)) {
        snprintf(expect, sizeof expect, "[%lld, 1, 1]", (long long)cin);
        return fail_shape(c, k, k == 4 ? "in_scale" : "in_shift", expect);
      }
    }
  }
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_fully_connected(infer* c) {
  ep_status st = check_counts(c, 2, 3);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  const ep_shape* w = in_shape(c, 1);
  char expect[96];
  if (x->rank != 2) return fail_shape(c, 0, "x", "rank 2 [N, K]");
  if (w->rank != 2 || w->dims[1] != x->dims[1]) {
    snprintf(expect, sizeof expect, "[M, %lld]", (long long)x->dims[1]);
    return fail_shape(c, 1, "weights", expect);
  }
  if (c->node->n_inputs == 3 && !is_vector(in_shape(c, 2), w->dims[0])) {
    snprintf(expect, sizeof expect, "[%lld]", (long long)w->dims[0]);
    return fail_shape(c, 2, "bias", expect);
  }
  set_output(c, ep_shape_make(2, (int64_t[]){x->dims[0], w->dims[0]}));
  return EP_OK;
}

static ep_status infer_lstm_zoo(infer* c) {
  ep_status st = check_counts(c, 3, 4);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  const ep_shape* w = in_shape(c, 1);
  const ep_shape* r = in_shape(c, 2);
  ep_attrs* a = &c->node->attrs;
  char expect[96];
  if (x->rank != 3) return fail_shape(c, 0, "x", "rank 3 [T, N, I]");
  if (a->hidden_size < 0) return fail(c, "negative hidden_size");
  if (a->hidden_size == 0) {
    if (r->rank != 2) return fail_shape(c, 2, "R", "[4H, H]");
    a->hidden_size = (int)r->dims[1];
  }
  int64_t h = a->hidden_size;
  if (w->rank != 2 || w->dims[0] != 4 * h || w->dims[1] != x->dims[2]) {
    snprintf(expect, sizeof expect, "[%lld, %lld] ([4H, I])", (long long)(4 * h),
             (long long)x->dims[2]);
    return fail_shape(c, 1, "W", expect);
  }
  if (r->rank != 2 || r->dims[0] != 4 * h || r->dims[1] != h) {
    snprintf(expect, sizeof expect, "[%lld, %lld] ([4H, H])", (long long)(4 * h), (long long)h);
    return fail_shape(c, 2, "R", expect);
  }
  if (c->node->n_inputs == 4 && !is_vector(in_shape(c, 3), 4 * h)) {
    snprintf(expect, sizeof expect, "[%lld] ([4H])", (long long)(4 * h));
    return fail_shape(c, 3, "B", expect);
  }
  if (a->direction != EP_RNN_FORWARD) return fail(c, "the zoo layout (W rank 2) is forward only");
  set_output(c, ep_shape_make(3, (int64_t[]){x->dims[0], x->dims[1], h}));
  return EP_OK;
}

/* ONNX LSTM and GRU (W [D, gates * H, I]); see EP_OP_LSTM and EP_OP_GRU in graph.h. */
static ep_status infer_rnn_onnx(infer* c, int gates) {
  static const char* const names[] = {"X",         "W",         "R",         "B",
                                      "sequence_lens", "initial_h", "initial_c", "P"};
  ep_node* n = c->node;
  ep_attrs* a = &n->attrs;
  const bool lstm = n->op == EP_OP_LSTM;
  const int max_in = lstm ? 8 : 6, max_out = lstm ? 3 : 2;
  char expect[128];
  if (n->n_inputs < 3 || n->n_inputs > max_in) {
    return fail(c, "has %d inputs, expected 3 to %d", n->n_inputs, max_in);
  }
  if (n->n_outputs < 1 || n->n_outputs > max_out) {
    return fail(c, "has %d outputs, expected 1 to %d", n->n_outputs, max_out);
  }
  for (int i = 0; i < 3; i++) {
    if (!present(c, i)) return fail(c, "input %d (%s) is required", i, names[i]);
  }
  if (a->direction < EP_RNN_FORWARD || a->direction > EP_RNN_BIDIRECTIONAL) {
    return fail(c, "unknown direction %d", a->direction);
  }
  if (a->rnn_layout != 0 && a->rnn_layout != 1) {
    return fail(c, "layout %d is not 0 or 1", a->rnn_layout);
  }
  if (a->rnn_clip < 0.0f) return fail(c, "negative clip %g", (double)a->rnn_clip);
  const ep_shape* x = in_shape(c, 0);
  const ep_shape* w = in_shape(c, 1);
  const ep_shape* r = in_shape(c, 2);
  if (x->rank != 3) {
    return fail_shape(c, 0, "X", a->rnn_layout ? "rank 3 [N, T, I]" : "rank 3 [T, N, I]");
  }
  int64_t t_len = x->dims[a->rnn_layout ? 1 : 0], batch = x->dims[a->rnn_layout ? 0 : 1];
  int64_t in = x->dims[2];
  int64_t d = a->direction == EP_RNN_BIDIRECTIONAL ? 2 : 1;
  if (a->hidden_size < 0) return fail(c, "negative hidden_size");
  if (a->hidden_size == 0) {
    if (r->rank != 3) return fail_shape(c, 2, "R", "[D, G*H, H]");
    a->hidden_size = (int)r->dims[2];
  }
  int64_t h = a->hidden_size;
  if (w->rank != 3 || w->dims[0] != d || w->dims[1] != gates * h || w->dims[2] != in) {
    snprintf(expect, sizeof expect, "[%lld, %lld, %lld] ([D, %dH, I])", (long long)d,
             (long long)(gates * h), (long long)in, gates);
    return fail_shape(c, 1, "W", expect);
  }
  if (r->rank != 3 || r->dims[0] != d || r->dims[1] != gates * h || r->dims[2] != h) {
    snprintf(expect, sizeof expect, "[%lld, %lld, %lld] ([D, %dH, H])", (long long)d,
             (long long)(gates * h), (long long)h, gates);
    return fail_shape(c, 2, "R", expect);
  }
  ep_shape b_shape = ep_shape_make(2, (int64_t[]){d, 2 * gates * h});
  ep_shape state = a->rnn_layout ? ep_shape_make(3, (int64_t[]){batch, d, h})
                                 : ep_shape_make(3, (int64_t[]){d, batch, h});
  ep_shape p_shape = ep_shape_make(2, (int64_t[]){d, 3 * h});
  char buf[SHAPE_BUF];
  if (present(c, 3) && !ep_shape_equal(in_shape(c, 3), &b_shape)) {
    return fail_shape(c, 3, "B", ep_shape_format(&b_shape, buf, sizeof buf));
  }
  if (present(c, 4)) {
    if (!is_vector(in_shape(c, 4), batch)) {
      snprintf(expect, sizeof expect, "[%lld] ([N])", (long long)batch);
      return fail_shape(c, 4, "sequence_lens", expect);
    }
    if (c->g->tensors[n->inputs[4]].kind == EP_TENSOR_CONSTANT) {
      const float* lens = c->g->tensors[n->inputs[4]].data;
      for (int64_t i = 0; i < batch; i++) {
        if (!(lens[i] >= 1.0f && lens[i] <= (float)t_len) || lens[i] != (float)(int64_t)lens[i]) {
          return fail(c, "sequence_lens[%lld] = %g is not a whole number in 1..%lld",
                      (long long)i, (double)lens[i], (long long)t_len);
        }
      }
    }
  }
  for (int i = 5; i < (lstm ? 7 : 6); i++) {
    if (present(c, i) && !ep_shape_equal(in_shape(c, i), &state)) {
      return fail_shape(c, i, names[i], ep_shape_format(&state, buf, sizeof buf));
    }
  }
  if (lstm && present(c, 7) && !ep_shape_equal(in_shape(c, 7), &p_shape)) {
    return fail_shape(c, 7, "P", ep_shape_format(&p_shape, buf, sizeof buf));
  }
  ep_shape y = a->rnn_layout ? ep_shape_make(4, (int64_t[]){batch, t_len, d, h})
                             : ep_shape_make(4, (int64_t[]){t_len, d, batch, h});
  c->g->tensors[n->outputs[0]].shape = y;
  for (int i = 1; i < n->n_outputs; i++) c->g->tensors[n->outputs[i]].shape = state;
  return EP_OK;
}

static ep_status infer_lstm(infer* c) {
  if (c->node->n_inputs >= 2 && present(c, 1) && in_shape(c, 1)->rank == 3) {
    return infer_rnn_onnx(c, 4);
  }
  return infer_lstm_zoo(c);
}

static ep_status infer_pool(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  ep_attrs* a = &c->node->attrs;
  char msg[160];
  if (x->rank < 3 || x->rank > 5) {
    return fail_shape(c, 0, "x", "rank 3 (NCW), 4 (NCHW) or 5 (NCDHW)");
  }
  if (x->rank == 3) {
    /* 1-D: the height is 1 and its window attributes are trivial. */
    if (a->kernel[0] == 0) a->kernel[0] = 1;
    if (a->kernel[0] != 1 || a->stride[0] > 1 || a->dilation[0] > 1 || a->pad[0] || a->pad[2]) {
      return fail(c, "a 1-D pool (rank-3 input) needs kernel[0] = 1, stride[0] = 1 and no "
                     "top or bottom padding");
    }
  }
  st = check_window_attrs(c);
  if (st != EP_OK) return st;
  if (a->kernel[0] < 1 || a->kernel[1] < 1) {
    snprintf(msg, sizeof msg, "kernel %dx%d must be positive", a->kernel[0], a->kernel[1]);
    return fail(c, "%s", msg);
  }
  for (int i = 0; i < 4; i++) {
    int64_t eff = (int64_t)a->dilation[i % 2] * (a->kernel[i % 2] - 1) + 1;
    if (a->pad[i] >= eff) {
      snprintf(msg, sizeof msg, "padding %d,%d,%d,%d must be smaller than the kernel %dx%d",
               a->pad[0], a->pad[1], a->pad[2], a->pad[3], a->kernel[0], a->kernel[1]);
      return fail(c, "%s", msg);
    }
  }
  int64_t out_d = 1;
  if (x->rank == 5) {
    if (a->stride_d == 0) a->stride_d = 1;
    if (a->dilation_d == 0) a->dilation_d = 1;
    int64_t eff = (int64_t)a->dilation_d * (a->kernel_d - 1) + 1;
    if (a->kernel_d < 1 || a->stride_d < 1 || a->dilation_d < 1 || a->pad_front < 0 ||
        a->pad_back < 0 || a->pad_front >= eff || a->pad_back >= eff) {
      return fail(c, "depth window kernel %d, stride %d, dilation %d, pads %d, %d: the kernel "
                     "must be positive and the pads smaller than it",
                  a->kernel_d, a->stride_d, a->dilation_d, a->pad_front, a->pad_back);
    }
    out_d = window_out(x->dims[2], a->pad_front, a->pad_back, eff, a->stride_d, a->ceil_mode);
    if (out_d < 1) return fail_shape(c, 0, "x", "a depth of at least the kernel");
  }
  int64_t in[2] = {x->rank >= 4 ? x->dims[x->rank - 2] : 1, x->dims[x->rank - 1]};
  int64_t out[2];
  for (int i = 0; i < 2; i++) {
    int64_t eff = (int64_t)a->dilation[i] * (a->kernel[i] - 1) + 1;
    out[i] = window_out(in[i], a->pad[i], a->pad[i + 2], eff, a->stride[i], a->ceil_mode);
    if (out[i] < 1) {
      snprintf(msg, sizeof msg, "spatial size of at least the kernel %dx%d", a->kernel[0],
               a->kernel[1]);
      return fail_shape(c, 0, "x", msg);
    }
  }
  if (x->rank == 3) {
    set_output(c, ep_shape_make(3, (int64_t[]){x->dims[0], x->dims[1], out[1]}));
  } else if (x->rank == 5) {
    set_output(c, ep_shape_make(5, (int64_t[]){x->dims[0], x->dims[1], out_d, out[0], out[1]}));
  } else {
    set_output(c, ep_shape_make(4, (int64_t[]){x->dims[0], x->dims[1], out[0], out[1]}));
  }
  return EP_OK;
}

static ep_status infer_global_pool(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  ep_shape y = *in_shape(c, 0);
  if (y.rank < 3) return fail_shape(c, 0, "x", "rank 3 or more [N, C, d1, ...]");
  for (int d = 2; d < y.rank; d++) y.dims[d] = 1;
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_batch_norm(infer* c) {
  static const char* const names[] = {"x", "scale", "bias", "mean", "var"};
  ep_status st = check_counts(c, 5, 5);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  ep_attrs* a = &c->node->attrs;
  char expect[64];
  if (x->rank < 2) return fail_shape(c, 0, "x", "rank 2 or more (channels in dim 1)");
  for (int i = 1; i < 5; i++) {
    if (!is_vector(in_shape(c, i), x->dims[1])) {
      snprintf(expect, sizeof expect, "[%lld]", (long long)x->dims[1]);
      return fail_shape(c, i, names[i], expect);
    }
  }
  if (a->epsilon == 0.0f) a->epsilon = 1e-5f;
  if (!(a->epsilon > 0.0f)) return fail(c, "epsilon must be positive");
  set_output(c, *x);
  return EP_OK;
}

/* Makes a possibly negative axis positive; false when it is out of [-rank, rank + extra). */
static bool normalize_axis(int* axis, int rank, int extra) {
  int v = *axis < 0 ? *axis + rank : *axis;
  if (v < 0 || v >= rank + extra) return false;
  *axis = v;
  return true;
}

static ep_status infer_concat(infer* c) {
  ep_node* n = c->node;
  char msg[160];
  if (n->n_inputs < 1) return fail(c, "needs at least one input");
  ep_status st = check_counts(c, n->n_inputs, n->n_inputs);
  if (st != EP_OK) return st;
  ep_shape out = *in_shape(c, 0);
  if (out.rank < 1) return fail_shape(c, 0, "x0", "rank 1 or more");
  int axis = n->attrs.axis;
  if (!normalize_axis(&axis, out.rank, 0)) {
    snprintf(msg, sizeof msg, "axis %d is out of range for rank %d", n->attrs.axis, out.rank);
    return fail(c, "%s", msg);
  }
  n->attrs.axis = axis;
  for (int i = 1; i < n->n_inputs; i++) {
    const ep_shape* s = in_shape(c, i);
    bool ok = s->rank == out.rank;
    for (int d = 0; ok && d < out.rank; d++) ok = d == axis || s->dims[d] == out.dims[d];
    if (!ok) {
      /* The expected shape with the concatenation axis left open: "1x?x28x28". */
      char expect[SHAPE_BUF + 32];
      size_t used = 0;
      for (int d = 0; d < out.rank && used < sizeof expect; d++) {
        int k;
        if (d == axis) {
          k = snprintf(expect + used, sizeof expect - used, d ? "x?" : "?");
        } else {
          k = snprintf(expect + used, sizeof expect - used, d ? "x%lld" : "%lld",
                       (long long)out.dims[d]);
        }
        if (k < 0) break;
        used += (size_t)k;
      }
      char name[16];
      snprintf(name, sizeof name, "x%d", i);
      return fail_shape(c, i, name, expect);
    }
    out.dims[axis] += s->dims[axis];
  }
  set_output(c, out);
  return EP_OK;
}

/* Numpy broadcasting of a and b into out; false when a dim pair is neither equal nor 1. */
static bool broadcast_shapes(const ep_shape* a, const ep_shape* b, ep_shape* out) {
  int rank = a->rank > b->rank ? a->rank : b->rank;
  ep_shape y = ep_shape_make(rank, (int64_t[EP_MAX_RANK]){0});
  for (int i = 0; i < rank; i++) {
    int ia = a->rank - rank + i, ib = b->rank - rank + i;
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1) return false;
    y.dims[i] = da == 1 ? db : da;
  }
  *out = y;
  return true;
}

static ep_status infer_binary(infer* c) {
  ep_status st = check_counts(c, 2, 2);
  if (st != EP_OK) return st;
  ep_shape y;
  if (!broadcast_shapes(in_shape(c, 0), in_shape(c, 1), &y)) {
    char buf[SHAPE_BUF], expect[SHAPE_BUF + 48];
    snprintf(expect, sizeof expect, "a shape that broadcasts with %s",
             ep_shape_format(in_shape(c, 0), buf, sizeof buf));
    return fail_shape(c, 1, "b", expect);
  }
  set_output(c, y);
  return EP_OK;
}

/* Min, Max: one or more inputs, all broadcast together. */
static ep_status infer_variadic(infer* c) {
  if (c->node->n_inputs < 1) return fail(c, "has no inputs, expected 1 or more");
  if (c->node->n_outputs != 1) return fail(c, "has %d outputs, expected 1", c->node->n_outputs);
  ep_shape y = *in_shape(c, 0);
  for (int i = 1; i < c->node->n_inputs; i++) {
    ep_shape next;
    if (!broadcast_shapes(&y, in_shape(c, i), &next)) {
      char buf[SHAPE_BUF], expect[SHAPE_BUF + 64];
      snprintf(expect, sizeof expect, "a shape that broadcasts with the inputs before it (%s)",
               ep_shape_format(&y, buf, sizeof buf));
      return fail_shape(c, i, "x", expect);
    }
    y = next;
  }
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_gemm(infer* c) {
  ep_node* n = c->node;
  ep_attrs* a = &n->attrs;
  char expect[96];
  if (n->n_inputs < 2 || n->n_inputs > 3) {
    return fail(c, "has %d inputs, expected 2 or 3", n->n_inputs);
  }
  if (n->n_outputs != 1) return fail(c, "has %d outputs, expected 1", n->n_outputs);
  if (!present(c, 0) || !present(c, 1)) return fail(c, "inputs A and B are required");
  const ep_shape* sa = in_shape(c, 0);
  const ep_shape* sb = in_shape(c, 1);
  if (sa->rank != 2) return fail_shape(c, 0, "A", "rank 2");
  int64_t m = sa->dims[a->trans_a ? 1 : 0], k = sa->dims[a->trans_a ? 0 : 1];
  if (sb->rank != 2 || sb->dims[a->trans_b ? 1 : 0] != k) {
    snprintf(expect, sizeof expect, a->trans_b ? "[N, %lld] (transB)" : "[%lld, N]", (long long)k);
    return fail_shape(c, 1, "B", expect);
  }
  int64_t nn = sb->dims[a->trans_b ? 0 : 1];
  if (present(c, 2)) {
    const ep_shape* sc = in_shape(c, 2);
    bool ok = sc->rank <= 2;
    for (int i = 0; ok && i < sc->rank; i++) {
      int64_t target = i == sc->rank - 1 ? nn : m;
      ok = sc->dims[i] == 1 || sc->dims[i] == target;
    }
    if (!ok) {
      snprintf(expect, sizeof expect, "broadcastable to [%lld, %lld]", (long long)m,
               (long long)nn);
      return fail_shape(c, 2, "C", expect);
    }
  }
  set_output(c, ep_shape_make(2, (int64_t[]){m, nn}));
  return EP_OK;
}

static ep_status infer_matmul(infer* c) {
  ep_status st = check_counts(c, 2, 4);
  if (st != EP_OK) return st;
  const ep_shape* sa = in_shape(c, 0);
  const ep_shape* sb = in_shape(c, 1);
  char buf[SHAPE_BUF], expect[SHAPE_BUF + 64];
  if (sa->rank < 1) return fail_shape(c, 0, "a", "rank 1 or more");
  if (sb->rank < 1) return fail_shape(c, 1, "b", "rank 1 or more");
  int64_t k = sa->dims[sa->rank - 1];
  int64_t kb = sb->rank == 1 ? sb->dims[0] : sb->dims[sb->rank - 2];
  if (kb != k) {
    snprintf(expect, sizeof expect, "%s with %lld in its %s dim to match a (%s)",
             sb->rank == 1 ? "a vector" : "a matrix stack", (long long)k,
             sb->rank == 1 ? "only" : "second-to-last", ep_shape_format(sa, buf, sizeof buf));
    return fail_shape(c, 1, "b", expect);
  }
  /* Batch dims: everything before the last two dims of each rank >= 2 operand. */
  ep_shape ba = ep_shape_make(sa->rank > 2 ? sa->rank - 2 : 0, sa->dims);
  ep_shape bb = ep_shape_make(sb->rank > 2 ? sb->rank - 2 : 0, sb->dims);
  ep_shape y;
  if (!broadcast_shapes(&ba, &bb, &y)) {
    snprintf(expect, sizeof expect, "batch dims that broadcast with a's (%s)",
             ep_shape_format(sa, buf, sizeof buf));
    return fail_shape(c, 1, "b", expect);
  }
  if (sa->rank >= 2) y.dims[y.rank++] = sa->dims[sa->rank - 2];
  if (sb->rank >= 2) y.dims[y.rank++] = sb->dims[sb->rank - 1];
  if (y.rank > EP_MAX_RANK) return fail(c, "output rank %d is above %d", y.rank, EP_MAX_RANK);
  /* A fused bias and residual (EP_PASS_FUSE_ACTIVATIONS, EP_PASS_FUSE_RESIDUAL): on constant
   * weights [K, N] only, the bias one value per column, the residual shaped like y. */
  if (c->node->n_inputs > 2) {
    const ep_tensor* b = &c->g->tensors[c->node->inputs[1]];
    if (sb->rank != 2 || b->kind != EP_TENSOR_CONSTANT) {
      return fail_shape(c, 1, "b", "constant [K, N] weights (a MatMul with a bias or residual)");
    }
    if (present(c, 2) && (!is_vector(in_shape(c, 2), sb->dims[1]) ||
                          c->g->tensors[c->node->inputs[2]].kind != EP_TENSOR_CONSTANT)) {
      snprintf(expect, sizeof expect, "a constant [%lld]", (long long)sb->dims[1]);
      return fail_shape(c, 2, "bias", expect);
    }
    if (present(c, 3) && !ep_shape_equal(in_shape(c, 3), &y)) {
      ep_shape_format(&y, expect, sizeof expect);
      strncat(expect, " (the output's shape)", sizeof expect - strlen(expect) - 1);
      return fail_shape(c, 3, "residual", expect);
    }
  }
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_attention(infer* c) {
  ep_status st = check_counts(c, 3, 4);
  if (st != EP_OK) return st;
  const ep_shape* q = in_shape(c, 0);
  const ep_shape* k = in_shape(c, 1);
  const ep_shape* v = in_shape(c, 2);
  char buf[SHAPE_BUF], expect[SHAPE_BUF + 96];
  const int r = q->rank;
  if (r < 2) return fail_shape(c, 0, "q", "rank 2 or more");
  const int64_t d = q->dims[r - 1];
  ep_shape_format(q, buf, sizeof buf);
  bool same_batch = k->rank == r && v->rank == r;
  for (int i = 0; same_batch && i < r - 2; i++) {
    same_batch = k->dims[i] == q->dims[i] && v->dims[i] == q->dims[i];
  }
  const int64_t k_depth = same_batch ? k->dims[c->node->attrs.trans_b ? r - 1 : r - 2] : -1;
  if (!same_batch || k_depth != d) {
    snprintf(expect, sizeof expect, "q's batch dims and %s %lld (q is %s)",
             c->node->attrs.trans_b ? "a last dim of" : "a second-to-last dim of", (long long)d,
             buf);
    return fail_shape(c, 1, "k", expect);
  }
  const int64_t sk = k->dims[c->node->attrs.trans_b ? r - 2 : r - 1];
  if (v->dims[r - 2] != sk) {
    snprintf(expect, sizeof expect, "q's batch dims and %lld rows (k's sequence)", (long long)sk);
    return fail_shape(c, 2, "v", expect);
  }
  ep_shape scores = *q;
  scores.dims[r - 1] = sk;
  if (c->node->n_inputs > 3) {
    ep_shape b;
    if (!broadcast_shapes(&scores, in_shape(c, 3), &b) || !ep_shape_equal(&b, &scores)) {
      snprintf(expect, sizeof expect, "a shape that broadcasts to the scores' %s",
               ep_shape_format(&scores, buf, sizeof buf));
      return fail_shape(c, 3, "mask", expect);
    }
  }
  ep_shape y = *q;
  y.dims[r - 1] = v->dims[r - 1];
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_unary(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  set_output(c, *in_shape(c, 0));
  return EP_OK;
}

static ep_status infer_softmax(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  char msg[96];
  if (x->rank < 1) return fail_shape(c, 0, "x", "rank 1 or more");
  if (!normalize_axis(&c->node->attrs.axis, x->rank, 0)) {
    snprintf(msg, sizeof msg, "axis %d is out of range for rank %d", c->node->attrs.axis, x->rank);
    return fail(c, "%s", msg);
  }
  set_output(c, *x);
  return EP_OK;
}

static ep_status infer_leaky_relu(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const float alpha = c->node->attrs.alpha;
  if (!isfinite(alpha)) return fail(c, "alpha %g is not finite", (double)alpha);
  set_output(c, *in_shape(c, 0));
  return EP_OK;
}

static ep_status infer_hard_sigmoid(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const ep_attrs* a = &c->node->attrs;
  if (!isfinite(a->alpha) || !isfinite(a->beta)) {
    return fail(c, "alpha %g or beta %g is not finite", (double)a->alpha, (double)a->beta);
  }
  set_output(c, *in_shape(c, 0));
  return EP_OK;
}

static ep_status infer_clip(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const ep_attrs* a = &c->node->attrs;
  if (isnan(a->clip_min) || isnan(a->clip_max)) return fail(c, "min or max is NaN");
  set_output(c, *in_shape(c, 0));
  return EP_OK;
}

static ep_status infer_lrn(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const ep_attrs* a = &c->node->attrs;
  if (in_shape(c, 0)->rank < 2) return fail_shape(c, 0, "x", "rank 2 or more [N, C, ...]");
  if (a->size < 1) return fail(c, "size %d must be at least 1", a->size);
  set_output(c, *in_shape(c, 0));
  return EP_OK;
}

static ep_status infer_transpose(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  int* perm = c->node->attrs.perm;
  bool all_zero = true, seen[EP_MAX_RANK] = {false};
  for (int i = 0; i < EP_MAX_RANK; i++) all_zero = all_zero && perm[i] == 0;
  if (all_zero) {
    for (int i = 0; i < x->rank; i++) perm[i] = x->rank - 1 - i;
  }
  ep_shape y = *x;
  for (int i = 0; i < x->rank; i++) {
    if (perm[i] < 0 || perm[i] >= x->rank || seen[perm[i]]) {
      return fail(c, "perm is not a permutation of 0..%d (entry %d is %d)", x->rank - 1, i,
                  perm[i]);
    }
    seen[perm[i]] = true;
    y.dims[i] = x->dims[perm[i]];
  }
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_pad(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  const ep_attrs* a = &c->node->attrs;
  if (a->pad_mode < EP_PAD_CONSTANT || a->pad_mode > EP_PAD_WRAP) {
    return fail(c, "unknown pad mode %d", a->pad_mode);
  }
  ep_shape y = *x;
  for (int d = 0; d < x->rank; d++) {
    int begin = a->pads[d], end = a->pads[x->rank + d];
    y.dims[d] = x->dims[d] + begin + end;
    if (y.dims[d] < 1) {
      return fail(c, "pads %d, %d leave nothing of dim %d (size %lld)", begin, end, d,
                  (long long)x->dims[d]);
    }
    int64_t limit = a->pad_mode == EP_PAD_REFLECT ? x->dims[d] - 1
                    : a->pad_mode == EP_PAD_WRAP  ? x->dims[d]
                                                  : INT64_MAX;
    if (begin > limit || end > limit) {
      return fail(c, "pads %d, %d are too large for %s padding of dim %d (size %lld)", begin, end,
                  a->pad_mode == EP_PAD_REFLECT ? "reflect" : "wrap", d, (long long)x->dims[d]);
    }
  }
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_gru(infer* c) { return infer_rnn_onnx(c, 3); }

static ep_status infer_flatten(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  char msg[96];
  if (!normalize_axis(&c->node->attrs.axis, x->rank, 1)) {
    snprintf(msg, sizeof msg, "axis %d is out of range for rank %d", c->node->attrs.axis, x->rank);
    return fail(c, "%s", msg);
  }
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < x->rank; d++) *(d < c->node->attrs.axis ? &outer : &inner) *= x->dims[d];
  set_output(c, ep_shape_make(2, (int64_t[]){outer, inner}));
  return EP_OK;
}

static ep_status infer_reshape(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  ep_shape target = c->node->attrs.shape;
  char buf[SHAPE_BUF], msg[192];
  if (target.rank < 1 || target.rank > EP_MAX_RANK) {
    snprintf(msg, sizeof msg, "target rank %d is not in 1..%d", target.rank, EP_MAX_RANK);
    return fail(c, "%s", msg);
  }
  int infer_at = -1;
  int64_t known = 1;
  for (int d = 0; d < target.rank; d++) {
    int64_t v = target.dims[d];
    if (v == 0) {
      if (d >= x->rank) {
        snprintf(msg, sizeof msg, "target dim %d is 0 (copy) but the input has rank %d", d,
                 x->rank);
        return fail(c, "%s", msg);
      }
      target.dims[d] = v = x->dims[d];
    }
    if (v == -1 && infer_at < 0) {
      infer_at = d;
    } else if (v < 1) {
      snprintf(msg, sizeof msg, "invalid target dim %lld at %d", (long long)v, d);
      return fail(c, "%s", msg);
    } else {
      known *= v;
    }
  }
  int64_t numel = ep_shape_numel(x);
  if (infer_at >= 0) {
    if (numel % known != 0) return fail_shape(c, 0, "x", "a size divisible by the target");
    target.dims[infer_at] = numel / known;
  } else if (known != numel) {
    char tb[SHAPE_BUF];
    snprintf(msg, sizeof msg, "cannot reshape %s to %s", ep_shape_format(x, buf, sizeof buf),
             ep_shape_format(&target, tb, sizeof tb));
    return fail(c, "%s", msg);
  }
  set_output(c, target);
  return EP_OK;
}

/* --- int64 and bool ops ------------------------------------------------------------------- */

static const ep_tensor* in_tensor(const infer* c, int i) { return &c->g->tensors[c->node->inputs[i]]; }

/* Input i as a constant int64 vector of at most EP_MAX_RANK values (count in *k). */
static ep_status const_ints(const infer* c, int i, const char* what, int64_t* out, int* k) {
  const ep_tensor* t = in_tensor(c, i);
  if (t->kind != EP_TENSOR_CONSTANT) {
    return fail(c, "input %d (%s, %s) must be a constant: the output's shape depends on it", i,
                what, t->name);
  }
  if (t->shape.rank > 1 || ep_shape_numel(&t->shape) > EP_MAX_RANK) {
    return fail_shape(c, i, what, "a vector of at most 6 values");
  }
  *k = (int)ep_shape_numel(&t->shape);
  for (int j = 0; j < *k; j++) out[j] = t->data_i64[j];
  return EP_OK;
}

static ep_status infer_gather(infer* c) {
  ep_status st = check_counts(c, 2, 2);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  const ep_shape* idx = in_shape(c, 1);
  if (x->rank < 1) return fail_shape(c, 0, "data", "rank 1 or more");
  if (!normalize_axis(&c->node->attrs.axis, x->rank, 0)) {
    return fail(c, "axis %d is out of range for rank %d", c->node->attrs.axis, x->rank);
  }
  int axis = c->node->attrs.axis;
  if (x->rank - 1 + idx->rank > EP_MAX_RANK) {
    return fail(c, "output rank %d is above %d", x->rank - 1 + idx->rank, EP_MAX_RANK);
  }
  ep_shape y;
  memset(&y, 0, sizeof y);
  for (int d = 0; d < axis; d++) y.dims[y.rank++] = x->dims[d];
  for (int d = 0; d < idx->rank; d++) y.dims[y.rank++] = idx->dims[d];
  for (int d = axis + 1; d < x->rank; d++) y.dims[y.rank++] = x->dims[d];
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_where(infer* c) {
  ep_status st = check_counts(c, 3, 3);
  if (st != EP_OK) return st;
  ep_shape xy, y;
  if (!broadcast_shapes(in_shape(c, 1), in_shape(c, 2), &xy)) {
    return fail_shape(c, 2, "y", "a shape that broadcasts with x");
  }
  if (!broadcast_shapes(in_shape(c, 0), &xy, &y)) {
    return fail_shape(c, 0, "condition", "a shape that broadcasts with x and y");
  }
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_shape_op(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  if (c->node->op == EP_OP_SIZE) {
    set_output(c, ep_shape_make(0, NULL));
  } else {
    int64_t rank = in_shape(c, 0)->rank;
    if (rank == 0) return fail_shape(c, 0, "x", "rank 1 or more (a scalar's shape is empty)");
    set_output(c, ep_shape_make(1, &rank));
  }
  return EP_OK;
}

/* The ONNX Slice of one dim: clamped start and the output length. */
static int64_t slice_dim(int64_t dim, int64_t start, int64_t end, int64_t step, int64_t* lo) {
  if (start < 0) start += dim;
  if (end < 0 && end > INT64_MIN / 2) end += dim;
  if (step > 0) {
    start = start < 0 ? 0 : start > dim ? dim : start;
    end = end < 0 ? 0 : end > dim ? dim : end;
    *lo = start;
    return end > start ? (end - start + step - 1) / step : 0;
  }
  start = start < 0 ? -1 : start > dim - 1 ? dim - 1 : start;
  end = end < -1 ? -1 : end > dim - 1 ? dim - 1 : end;
  *lo = start;
  return start > end ? (start - end - step - 1) / -step : 0;
}

ep_status ep_graph_slice_params(const ep_graph* graph, const ep_node* node, int64_t* lo,
                                int64_t* step, ep_shape* out) {
  infer c = {(ep_graph*)graph, (ep_node*)node};
  const ep_shape* x = in_shape(&c, 0);
  int64_t starts[EP_MAX_RANK], ends[EP_MAX_RANK], axes[EP_MAX_RANK], steps[EP_MAX_RANK];
  int ns, ne, na = -1, nst = -1;
  ep_status st = const_ints(&c, 1, "starts", starts, &ns);
  if (st == EP_OK) st = const_ints(&c, 2, "ends", ends, &ne);
  if (st == EP_OK && present(&c, 3)) st = const_ints(&c, 3, "axes", axes, &na);
  if (st == EP_OK && present(&c, 4)) st = const_ints(&c, 4, "steps", steps, &nst);
  if (st != EP_OK) return st;
  if (ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns)) {
    return fail(&c, "starts, ends, axes and steps differ in length");
  }
  ep_shape y = *x;
  bool seen[EP_MAX_RANK] = {false};
  for (int d = 0; d < x->rank; d++) {
    lo[d] = 0;
    step[d] = 1;
  }
  for (int i = 0; i < ns; i++) {
    int64_t axis = na >= 0 ? axes[i] : i;
    if (axis < 0) axis += x->rank;
    if (axis < 0 || axis >= x->rank || seen[axis]) {
      return fail(&c, "axis %lld is out of range or repeated", (long long)(na >= 0 ? axes[i] : i));
    }
    seen[axis] = true;
    int64_t s = nst >= 0 ? steps[i] : 1;
    if (s == 0) return fail(&c, "step 0");
    y.dims[axis] = slice_dim(x->dims[axis], starts[i], ends[i], s, &lo[axis]);
    step[axis] = s;
    if (y.dims[axis] < 1) return fail(&c, "the slice of dim %lld is empty", (long long)axis);
  }
  *out = y;
  return EP_OK;
}

static ep_status infer_slice(infer* c) {
  ep_node* n = c->node;
  if (n->n_inputs < 3 || n->n_inputs > 5) return fail(c, "has %d inputs, expected 3 to 5", n->n_inputs);
  if (n->n_outputs != 1) return fail(c, "has %d outputs, expected 1", n->n_outputs);
  int64_t lo[EP_MAX_RANK], step[EP_MAX_RANK];
  ep_shape y;
  ep_status st = ep_graph_slice_params(c->g, n, lo, step, &y);
  if (st != EP_OK) return st;
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_expand(infer* c) {
  ep_status st = check_counts(c, 2, 2);
  if (st != EP_OK) return st;
  int64_t dims[EP_MAX_RANK];
  int k;
  st = const_ints(c, 1, "shape", dims, &k);
  if (st != EP_OK) return st;
  for (int d = 0; d < k; d++) {
    if (dims[d] < 1) return fail(c, "shape dim %d is %lld", d, (long long)dims[d]);
  }
  ep_shape target = ep_shape_make(k, dims), y;
  if (!broadcast_shapes(in_shape(c, 0), &target, &y)) {
    char buf[SHAPE_BUF], expect[SHAPE_BUF + 40];
    snprintf(expect, sizeof expect, "a shape that broadcasts with %s",
             ep_shape_format(&target, buf, sizeof buf));
    return fail_shape(c, 0, "x", expect);
  }
  set_output(c, y);
  return EP_OK;
}

static ep_status infer_constant_of_shape(infer* c) {
  ep_status st = check_counts(c, 1, 2);
  if (st != EP_OK) return st;
  int64_t dims[EP_MAX_RANK];
  int k;
  st = const_ints(c, 0, "shape", dims, &k);
  if (st != EP_OK) return st;
  for (int d = 0; d < k; d++) {
    if (dims[d] < 1) return fail(c, "shape dim %d is %lld", d, (long long)dims[d]);
  }
  if (present(c, 1) && (in_tensor(c, 1)->kind != EP_TENSOR_CONSTANT ||
                        ep_shape_numel(in_shape(c, 1)) != 1)) {
    return fail_shape(c, 1, "value", "a one-element constant");
  }
  set_output(c, ep_shape_make(k, dims));
  return EP_OK;
}

int64_t ep_graph_range_length(const ep_graph* graph, const ep_node* node) {
  const ep_tensor* t[3];
  for (int i = 0; i < 3; i++) t[i] = &graph->tensors[node->inputs[i]];
  double start, limit, delta;
  if (t[0]->dtype == EP_DTYPE_INT64) {
    int64_t a = t[0]->data_i64[0], b = t[1]->data_i64[0], d = t[2]->data_i64[0];
    if (d == 0) return -1;
    int64_t span = b - a;
    int64_t q = span / d;
    if (q * d != span) q++; /* ceil for same signs; negative results become 0 below */
    if ((span > 0) != (d > 0) || span == 0) return 0;
    return q;
  }
  start = t[0]->data[0];
  limit = t[1]->data[0];
  delta = t[2]->data[0];
  if (delta == 0 || !isfinite(start) || !isfinite(limit) || !isfinite(delta)) return -1;
  double len = ceil((limit - start) / delta);
  return len > 0 ? (int64_t)len : 0;
}

static ep_status infer_range(infer* c) {
  ep_status st = check_counts(c, 3, 3);
  if (st != EP_OK) return st;
  for (int i = 0; i < 3; i++) {
    if (in_tensor(c, i)->kind != EP_TENSOR_CONSTANT || ep_shape_numel(in_shape(c, i)) != 1) {
      return fail(c, "input %d (%s) must be a one-element constant: the output's length "
                     "depends on it", i, in_name(c, i));
    }
  }
  int64_t len = ep_graph_range_length(c->g, c->node);
  if (len < 0) return fail(c, "delta is 0 or a value is not finite");
  if (len < 1) return fail(c, "the range is empty");
  if (len > (INT64_C(1) << 36)) return fail(c, "the range has %lld values", (long long)len);
  set_output(c, ep_shape_make(1, &len));
  return EP_OK;
}

static ep_status infer_not(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  set_output(c, *in_shape(c, 0));
  return EP_OK;
}

static ep_status infer_reduce(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  const ep_shape* x = in_shape(c, 0);
  ep_attrs* a = &c->node->attrs;
  const unsigned all = x->rank > 0 ? (1u << x->rank) - 1 : 0;
  if (a->reduce_axes & ~all) {
    return fail(c, "reduced axes 0x%x name a dim beyond rank %d", a->reduce_axes, x->rank);
  }
  if (a->reduce_axes == 0) a->reduce_axes = all;
  ep_shape y = {0};
  for (int d = 0; d < x->rank; d++) {
    bool reduced = (a->reduce_axes >> d) & 1u;
    if (!reduced) {
      y.dims[y.rank++] = x->dims[d];
    } else if (a->keepdims) {
      y.dims[y.rank++] = 1;
    }
  }
  set_output(c, y);
  return EP_OK;
}

/* LayerNormalization: the normalized dims are those from axis on; scale and bias must have
 * their shape (leading dims of 1 or missing). */
static ep_status infer_layer_norm(infer* c) {
  ep_node* n = c->node;
  if (n->n_inputs < 2 || n->n_inputs > 3) return fail(c, "has %d inputs, expected 2 or 3", n->n_inputs);
  if (n->n_outputs < 1 || n->n_outputs > 3) {
    return fail(c, "has %d outputs, expected 1 to 3", n->n_outputs);
  }
  const ep_shape* x = in_shape(c, 0);
  char msg[96], expect[SHAPE_BUF + 48];
  if (x->rank < 1) return fail_shape(c, 0, "x", "rank 1 or more");
  if (!normalize_axis(&n->attrs.axis, x->rank, 0)) {
    snprintf(msg, sizeof msg, "axis %d is out of range for rank %d", n->attrs.axis, x->rank);
    return fail(c, "%s", msg);
  }
  if (!(n->attrs.epsilon >= 0.0f) || !isfinite(n->attrs.epsilon)) {
    return fail(c, "epsilon %g must be finite and not negative", (double)n->attrs.epsilon);
  }
  const int axis = n->attrs.axis;
  ep_shape norm = ep_shape_make(x->rank - axis, x->dims + axis);
  for (int i = 1; i < n->n_inputs; i++) {
    if (!present(c, i)) continue;
    const ep_shape* s = in_shape(c, i);
    /* Aligned at the right with the normalized dims; extra leading dims are 1s. */
    bool ok = ep_shape_numel(s) == 1;
    for (int d = 0; !ok && d <= s->rank; d++) {
      if (d == s->rank) {
        ok = true;
        break;
      }
      int nd = d - (s->rank - norm.rank);
      if (nd < 0 ? s->dims[d] != 1 : s->dims[d] != norm.dims[nd]) break;
    }
    if (!ok) {
      char buf[SHAPE_BUF];
      snprintf(expect, sizeof expect, "%s (the normalized dims) or one value",
               ep_shape_format(&norm, buf, sizeof buf));
      return fail_shape(c, i, i == 1 ? "scale" : "bias", expect);
    }
  }
  c->g->tensors[n->outputs[0]].shape = *x;
  ep_shape stats = *x;
  for (int d = axis; d < x->rank; d++) stats.dims[d] = 1;
  for (int i = 1; i < n->n_outputs; i++) c->g->tensors[n->outputs[i]].shape = stats;
  return EP_OK;
}

static ep_status infer_split(infer* c) {
  ep_node* n = c->node;
  if (n->n_inputs != 1) return fail(c, "has %d inputs, expected 1", n->n_inputs);
  if (n->n_outputs < 1 || n->n_outputs > EP_MAX_SPLIT) {
    return fail(c, "has %d outputs, expected 1 to %d", n->n_outputs, EP_MAX_SPLIT);
  }
  const ep_shape* x = in_shape(c, 0);
  char msg[96];
  if (x->rank < 1) return fail_shape(c, 0, "x", "rank 1 or more");
  if (!normalize_axis(&n->attrs.axis, x->rank, 0)) {
    snprintf(msg, sizeof msg, "axis %d is out of range for rank %d", n->attrs.axis, x->rank);
    return fail(c, "%s", msg);
  }
  const int axis = n->attrs.axis;
  int64_t total = 0;
  for (int i = 0; i < n->n_outputs; i++) {
    if (n->attrs.split[i] < 1) return fail(c, "split size %d of output %d is not positive", n->attrs.split[i], i);
    total += n->attrs.split[i];
  }
  if (total != x->dims[axis]) {
    return fail(c, "split sizes add up to %lld, but dim %d has %lld", (long long)total, axis,
                (long long)x->dims[axis]);
  }
  for (int i = 0; i < n->n_outputs; i++) {
    ep_shape y = *x;
    y.dims[axis] = n->attrs.split[i];
    c->g->tensors[n->outputs[i]].shape = y;
  }
  return EP_OK;
}

static ep_status infer_tile(infer* c) {
  ep_status st = check_counts(c, 1, 1);
  if (st != EP_OK) return st;
  ep_shape y = *in_shape(c, 0);
  for (int d = 0; d < y.rank; d++) {
    int r = c->node->attrs.repeats[d];
    if (r < 1) return fail(c, "repeats[%d] = %d (tiles of empty tensors are not supported)", d, r);
    y.dims[d] *= r;
    if (y.dims[d] > (INT64_C(1) << 40)) return fail(c, "the output's dim %d is too large", d);
  }
  set_output(c, y);
  return EP_OK;
}

bool ep_op_input_optional(ep_op op, int i) {
  switch (op) {
    case EP_OP_CONV:
      return i == 2 || i == 3; /* the bias, the residual, when later inputs follow */
    case EP_OP_MATMUL:
      return i == 2; /* the bias, when a residual follows */
    case EP_OP_GEMM:
      return i == 2;
    case EP_OP_LSTM:
    case EP_OP_GRU:
      return i >= 3;
    case EP_OP_SLICE:
      return i >= 3; /* axes, steps */
    case EP_OP_CONSTANT_OF_SHAPE:
      return i == 1;
    case EP_OP_LAYER_NORM:
      return i == 2;
    default:
      return false;
  }
}

/* --- element types ------------------------------------------------------------------------- */

static ep_dtype in_dtype(const infer* c, int i) { return c->g->tensors[c->node->inputs[i]].dtype; }

static void set_dtypes(infer* c, ep_dtype dtype) {
  for (int k = 0; k < c->node->n_outputs; k++) c->g->tensors[c->node->outputs[k]].dtype = dtype;
}

static ep_status fail_dtype(const infer* c, int input, const char* expected) {
  return fail(c, "input %d (%s) is %s, expected %s", input, in_name(c, input),
              ep_dtype_name(in_dtype(c, input)), expected);
}

/* Every present input in [first, end) has `dtype`. */
static ep_status require_dtype(const infer* c, int first, int end, ep_dtype dtype) {
  for (int i = first; i < end && i < c->node->n_inputs; i++) {
    if (present(c, i) && in_dtype(c, i) != dtype) return fail_dtype(c, i, ep_dtype_name(dtype));
  }
  return EP_OK;
}

/* Inputs [first, end) all of input `first`'s dtype, which is one of the `allowed` bits. */
static ep_status require_same(const infer* c, int first, int end, unsigned allowed,
                              const char* allowed_text) {
  ep_dtype d = in_dtype(c, first);
  if (!(allowed & (1u << d))) return fail_dtype(c, first, allowed_text);
  for (int i = first + 1; i < end && i < c->node->n_inputs; i++) {
    if (present(c, i) && in_dtype(c, i) != d) return fail_dtype(c, i, ep_dtype_name(d));
  }
  return EP_OK;
}

#define DT(d) (1u << (d))
#define DT_ANY (DT(EP_DTYPE_FLOAT32) | DT(EP_DTYPE_INT64) | DT(EP_DTYPE_BOOL))

/* Checks the inputs' dtypes and gives the outputs theirs. Ops not named here are float32 in and
 * out. */
static ep_status infer_dtypes(infer* c) {
  ep_node* n = c->node;
  ep_status st;
  if (n->n_inputs < 1 || !present(c, 0)) {
    set_dtypes(c, EP_DTYPE_FLOAT32); /* the shape rules refuse what needs input 0 */
    return EP_OK;
  }
  switch (n->op) {
    case EP_OP_ADD:
    case EP_OP_SUB:
    case EP_OP_MUL:
    case EP_OP_DIV:
      st = require_same(c, 0, 2, DT(EP_DTYPE_FLOAT32) | DT(EP_DTYPE_INT64), "float32 or int64");
      if (st != EP_OK) return st;
      if (in_dtype(c, 0) != EP_DTYPE_FLOAT32 && n->attrs.act != EP_ACT_NONE) {
        return fail(c, "a fused activation needs float32 inputs");
      }
      set_dtypes(c, in_dtype(c, 0));
      return EP_OK;
    case EP_OP_CONCAT:
      st = require_same(c, 0, n->n_inputs, DT_ANY, "float32, int64 or bool");
      if (st != EP_OK) return st;
      set_dtypes(c, in_dtype(c, 0));
      return EP_OK;
    case EP_OP_RESHAPE:
    case EP_OP_FLATTEN:
    case EP_OP_SLICE:
    case EP_OP_EXPAND:
      st = require_dtype(c, 1, n->n_inputs, EP_DTYPE_INT64);
      if (st != EP_OK) return st;
      set_dtypes(c, in_dtype(c, 0));
      return EP_OK;
    case EP_OP_GATHER:
      st = require_dtype(c, 1, 2, EP_DTYPE_INT64);
      if (st != EP_OK) return st;
      set_dtypes(c, in_dtype(c, 0));
      return EP_OK;
    case EP_OP_CAST:
      if (ep_dtype_size(n->attrs.cast_to) == 0) return fail(c, "unknown target dtype %d", (int)n->attrs.cast_to);
      set_dtypes(c, n->attrs.cast_to);
      return EP_OK;
    case EP_OP_EQUAL:
    case EP_OP_LESS:
    case EP_OP_GREATER:
    case EP_OP_LESS_OR_EQUAL:
    case EP_OP_GREATER_OR_EQUAL:
      st = n->op == EP_OP_EQUAL ? require_same(c, 0, 2, DT_ANY, "float32, int64 or bool")
                                : require_same(c, 0, 2, DT(EP_DTYPE_FLOAT32) | DT(EP_DTYPE_INT64),
                                               "float32 or int64");
      if (st != EP_OK) return st;
      set_dtypes(c, EP_DTYPE_BOOL);
      return EP_OK;
    case EP_OP_AND:
    case EP_OP_OR:
    case EP_OP_XOR:
    case EP_OP_NOT:
      st = require_dtype(c, 0, n->n_inputs, EP_DTYPE_BOOL);
      if (st != EP_OK) return st;
      set_dtypes(c, EP_DTYPE_BOOL);
      return EP_OK;
    case EP_OP_WHERE:
      st = require_dtype(c, 0, 1, EP_DTYPE_BOOL);
      if (st == EP_OK && n->n_inputs == 3) st = require_same(c, 1, 3, DT_ANY, "any dtype");
      if (st != EP_OK) return st;
      set_dtypes(c, n->n_inputs == 3 ? in_dtype(c, 1) : EP_DTYPE_FLOAT32);
      return EP_OK;
    case EP_OP_SHAPE:
    case EP_OP_SIZE:
      set_dtypes(c, EP_DTYPE_INT64);
      return EP_OK;
    case EP_OP_CONSTANT_OF_SHAPE:
      st = require_dtype(c, 0, 1, EP_DTYPE_INT64);
      if (st != EP_OK) return st;
      set_dtypes(c, present(c, 1) ? in_dtype(c, 1) : EP_DTYPE_FLOAT32);
      return EP_OK;
    case EP_OP_RANGE:
      st = require_same(c, 0, 3, DT(EP_DTYPE_FLOAT32) | DT(EP_DTYPE_INT64), "float32 or int64");
      if (st != EP_OK) return st;
      set_dtypes(c, in_dtype(c, 0));
      return EP_OK;
    default:
      st = require_dtype(c, 0, n->n_inputs, EP_DTYPE_FLOAT32);
      if (st != EP_OK) return st;
      set_dtypes(c, EP_DTYPE_FLOAT32);
      return EP_OK;
  }
}

static ep_status infer_shapes(infer* c);

ep_status ep_graph_infer_node(ep_graph* graph, int index) {
  infer c = {graph, &graph->nodes[index]};
  for (int i = 0; i < c.node->n_inputs; i++) {
    if (c.node->inputs[i] < 0 && !ep_op_input_optional(c.node->op, i)) {
      return fail(&c, "input %d is absent but required", i);
    }
  }
  /* Dtypes first: some shape rules read constant inputs of a checked type. */
  ep_status st = infer_dtypes(&c);
  if (st != EP_OK) return st;
  return infer_shapes(&c);
}

static ep_status infer_shapes(infer* c_) {
  infer c = *c_;
  switch (c.node->op) {
    case EP_OP_CONV:
      return infer_conv(&c);
    case EP_OP_FULLY_CONNECTED:
      return infer_fully_connected(&c);
    case EP_OP_LSTM:
      return infer_lstm(&c);
    case EP_OP_GRU:
      return infer_gru(&c);
    case EP_OP_MAX_POOL:
    case EP_OP_AVG_POOL:
      return infer_pool(&c);
    case EP_OP_GLOBAL_AVG_POOL:
    case EP_OP_GLOBAL_MAX_POOL:
      return infer_global_pool(&c);
    case EP_OP_BATCH_NORM:
      return infer_batch_norm(&c);
    case EP_OP_CONCAT:
      return infer_concat(&c);
    case EP_OP_ADD:
    case EP_OP_SUB:
    case EP_OP_MUL:
    case EP_OP_DIV:
    case EP_OP_POW:
      return infer_binary(&c);
    case EP_OP_MIN:
    case EP_OP_MAX:
      return infer_variadic(&c);
    case EP_OP_EQUAL:
    case EP_OP_LESS:
    case EP_OP_GREATER:
    case EP_OP_LESS_OR_EQUAL:
    case EP_OP_GREATER_OR_EQUAL:
    case EP_OP_AND:
    case EP_OP_OR:
    case EP_OP_XOR:
      return infer_binary(&c);
    case EP_OP_GATHER:
      return infer_gather(&c);
    case EP_OP_CAST:
    case EP_OP_NOT:
      return infer_not(&c);
    case EP_OP_WHERE:
      return infer_where(&c);
    case EP_OP_SHAPE:
    case EP_OP_SIZE:
      return infer_shape_op(&c);
    case EP_OP_SLICE:
      return infer_slice(&c);
    case EP_OP_EXPAND:
      return infer_expand(&c);
    case EP_OP_CONSTANT_OF_SHAPE:
      return infer_constant_of_shape(&c);
    case EP_OP_RANGE:
      return infer_range(&c);
    case EP_OP_GEMM:
      return infer_gemm(&c);
    case EP_OP_MATMUL:
      return infer_matmul(&c);
    case EP_OP_ATTENTION:
      return infer_attention(&c);
    case EP_OP_RELU:
    case EP_OP_RELU6:
    case EP_OP_SIGMOID:
    case EP_OP_TANH:
    case EP_OP_SQRT:
    case EP_OP_RECIPROCAL:
    case EP_OP_ERF:
    case EP_OP_GELU:
    case EP_OP_HARD_SWISH:
    case EP_OP_MISH:
    case EP_OP_EXP:
    case EP_OP_LOG:
    case EP_OP_NEG:
    case EP_OP_ABS:
    case EP_OP_SOFTPLUS:
      return infer_unary(&c);
    case EP_OP_HARD_SIGMOID:
      return infer_hard_sigmoid(&c);
    case EP_OP_LEAKY_RELU:
      return infer_leaky_relu(&c);
    case EP_OP_CLIP:
      return infer_clip(&c);
    case EP_OP_SOFTMAX:
    case EP_OP_LOG_SOFTMAX:
      return infer_softmax(&c);
    case EP_OP_LRN:
      return infer_lrn(&c);
    case EP_OP_TRANSPOSE:
      return infer_transpose(&c);
    case EP_OP_PAD:
      return infer_pad(&c);
    case EP_OP_FLATTEN:
      return infer_flatten(&c);
    case EP_OP_RESHAPE:
      return infer_reshape(&c);
    case EP_OP_REDUCE_MEAN:
    case EP_OP_REDUCE_SUM:
    case EP_OP_REDUCE_MAX:
    case EP_OP_REDUCE_MIN:
    case EP_OP_REDUCE_PROD:
    case EP_OP_REDUCE_L1:
    case EP_OP_REDUCE_L2:
    case EP_OP_REDUCE_SUM_SQUARE:
    case EP_OP_REDUCE_LOG_SUM:
    case EP_OP_REDUCE_LOG_SUM_EXP:
      return infer_reduce(&c);
    case EP_OP_LAYER_NORM:
      return infer_layer_norm(&c);
    case EP_OP_SPLIT:
      return infer_split(&c);
    case EP_OP_TILE:
      return infer_tile(&c);
    case EP_OP_COUNT:
      break;
  }
  return fail(&c, "unknown op");
}

/* The zoo's layer builder: sticky errors, slim-style names, seeded weights. */
#include "models/builder.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "graph/graph_internal.h"

/* --- seeded values ------------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static uint64_t name_key(const char* s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

/* --- bookkeeping -------------------------------------------------------------------------- */

void ep_mb_init(mb* b, const char* name, uint64_t seed) {
  memset(b, 0, sizeof *b);
  b->seed = seed;
  b->status = ep_graph_create(name, &b->g);
}

void ep_mb_push(mb* b, const char* scope) {
  size_t used = strlen(b->scope);
  if (b->depth == (int)(sizeof b->marks / sizeof b->marks[0])) {
    if (b->status == EP_OK) {
      b->status = ep_error(EP_ERR_INVALID_ARGUMENT, "model builder: scopes nested too deep");
    }
    return;
  }
  b->marks[b->depth++] = used;
  int n = snprintf(b->scope + used, sizeof b->scope - used, used ? "/%s" : "%s", scope);
  if (b->status == EP_OK && (n < 0 || (size_t)n >= sizeof b->scope - used)) {
    b->status = ep_error(EP_ERR_INVALID_ARGUMENT, "model builder: scope too long at %s", scope);
  }
}

void ep_mb_pop(mb* b) {
  if (b->depth > 0) b->scope[b->marks[--b->depth]] = '\0';
}

/* scope/name/suffix into buf, leaving out empty parts. */
static const char* full_name(const mb* b, char* buf, size_t size, const char* name,
                             const char* suffix) {
  if (!suffix) suffix = "";
  snprintf(buf, size, "%s%s%s%s%s", b->scope, b->scope[0] && (name[0] || suffix[0]) ? "/" : "",
           name, name[0] && suffix[0] ? "/" : "", suffix);
  return buf;
}

static bool ok(const mb* b, int x) { return b->status == EP_OK && x >= 0; }

ep_shape ep_mb_shape(const mb* b, int x) {
  const ep_tensor* t = b->status == EP_OK ? ep_graph_tensor(b->g, x) : NULL;
  if (!t) return ep_shape_make(0, NULL);
  return t->shape;
}

/* Adds a node with one output named like the node and infers its shape right away. */
static int add_node_outputs(mb* b, ep_op op, const char* name, const ep_attrs* attrs,
                            const int* inputs, int n_inputs, int n_outputs) {
  if (b->status != EP_OK) return -1;
  for (int i = 0; i < n_inputs; i++) {
    if (inputs[i] < 0) return -1;
  }
  int y[4] = {-1, -1, -1, -1};
  b->status = ep_graph_add_node(b->g, op, name, attrs, inputs, n_inputs, n_outputs, NULL, y);
  if (b->status != EP_OK) return -1;
  b->status = ep_graph_infer_node(b->g, ep_graph_node_count(b->g) - 1);
  return b->status == EP_OK ? y[0] : -1;
}

/* Adds a node with one output; returns it. */
static int add_node(mb* b, ep_op op, const char* name, const ep_attrs* attrs, const int* inputs,
                    int n_inputs) {
  return add_node_outputs(b, op, name, attrs, inputs, n_inputs, 1);
}

int ep_mb_input(mb* b, const char* name, int rank, const int64_t* dims) {
  if (b->status != EP_OK) return -1;
  int id = -1;
  b->status = ep_graph_add_input(b->g, name, ep_shape_make(rank, dims), &id);
  return b->status == EP_OK ? id : -1;
}

int ep_mb_uniform(mb* b, const char* name, ep_shape shape, float lo, float hi) {
  if (b->status != EP_OK) return -1;
  int id = -1;
  b->status = ep_graph_add_constant(b->g, name, shape, NULL, &id);
  if (b->status != EP_OK) return -1;
  float* data = ep_graph_constant_data(b->g, id);
  uint64_t state = b->seed ^ name_key(name);
  int64_t n = ep_shape_numel(&shape);
  double span = (double)hi - (double)lo;
  for (int64_t i = 0; i < n; i++) {
    double u = (double)(splitmix64(&state) >> 11) * (1.0 / 9007199254740992.0);
    data[i] = (float)(lo + span * u);
  }
  return id;
}

/* The four pads (top, left, bottom, right) of a window over x. */
static void window_pads(const mb* b, int x, int kh, int kw, int stride, int pad, int out[4]) {
  if (pad >= 0) {
    out[0] = out[1] = out[2] = out[3] = pad;
    return;
  }
  ep_shape s = ep_mb_shape(b, x);
  int k[2] = {kh, kw};
  for (int i = 0; i < 2; i++) {
    int64_t in = s.rank == 4 ? s.dims[2 + i] : 1;
    int64_t o = (in + stride - 1) / stride;
    int64_t total = (o - 1) * stride + k[i] - in;
    if (total < 0) total = 0;
    out[i] = (int)(total / 2);
    out[i + 2] = (int)(total - total / 2);
  }
}

/* --- layers -------------------------------------------------------------------------------- */

int ep_mb_conv(mb* b, const char* name, int x, int cout, int kh, int kw, int stride, int pad,
            int group, bool bias) {
  if (!ok(b, x)) return -1;
  char buf[512];
  ep_shape s = ep_mb_shape(b, x);
  int64_t cin = s.rank == 4 ? s.dims[1] : 1;
  if (group < 1) group = 1;
  int64_t fan_in = cin / group * kh * kw;
  float limit = (float)sqrt(6.0 / (double)(fan_in > 0 ? fan_in : 1));
  int in[3] = {x, -1, -1};
  in[1] = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "weights"),
                     ep_shape_make(4, (int64_t[]){cout, cin / group, kh, kw}), -limit, limit);
  if (bias) {
    in[2] = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "biases"),
                       ep_shape_make(1, (int64_t[]){cout}), -0.01f, 0.01f);
  }
  ep_attrs a;
  memset(&a, 0, sizeof a);
  a.kernel[0] = kh;
  a.kernel[1] = kw;
  a.stride[0] = a.stride[1] = stride;
  a.group = group;
  window_pads(b, x, kh, kw, stride, pad, a.pad);
  bool depthwise = group > 1 && group == cin;
  return add_node(b, EP_OP_CONV,
                  full_name(b, buf, sizeof buf, name, depthwise ? "depthwise" : "Conv2D"), &a, in,
                  bias ? 3 : 2);
}

int ep_mb_batch_norm(mb* b, const char* name, int x, mb_bn_scale scale) {
  if (!ok(b, x)) return -1;
  char buf[512], scope[480];
  ep_shape s = ep_mb_shape(b, x);
  ep_shape c = ep_shape_make(1, (int64_t[]){s.dims[1]});
  full_name(b, scope, sizeof scope, name, "BatchNorm");
  int in[5] = {x, -1, -1, -1, -1};
  float lo = 0.9f, hi = 1.1f;
  if (scale == MB_BN_SCALE_SMALL) lo = 0.2f, hi = 0.3f;
  if (scale == MB_BN_SCALE_ONE) lo = hi = 1.0f;
  snprintf(buf, sizeof buf, "%s/gamma", scope);
  in[1] = ep_mb_uniform(b, buf, c, lo, hi);
  snprintf(buf, sizeof buf, "%s/beta", scope);
  in[2] = ep_mb_uniform(b, buf, c, -0.05f, 0.05f);
  snprintf(buf, sizeof buf, "%s/moving_mean", scope);
  in[3] = ep_mb_uniform(b, buf, c, -0.05f, 0.05f);
  snprintf(buf, sizeof buf, "%s/moving_variance", scope);
  in[4] = ep_mb_uniform(b, buf, c, 0.9f, 1.1f);
  ep_attrs a;
  memset(&a, 0, sizeof a);
  a.epsilon = 1e-3f; /* TF-slim's default */
  return add_node(b, EP_OP_BATCH_NORM, scope, &a, in, 5);
}

int ep_mb_activation(mb* b, const char* name, ep_op op, int x) {
  char buf[512];
  return add_node(b, op, full_name(b, buf, sizeof buf, name, ep_op_name(op)), NULL, &x, 1);
}

int ep_mb_conv_bn(mb* b, const char* name, int x, int cout, int k, int stride, int pad, int group,
               mb_bn_scale scale, ep_op act) {
  int y = ep_mb_conv(b, name, x, cout, k, k, stride, pad, group, false);
  y = ep_mb_batch_norm(b, name, y, scale);
  if (act != EP_OP_COUNT) y = ep_mb_activation(b, name, act, y);
  return y;
}

static int pool(mb* b, ep_op op, const char* name, int x, int k, int stride, int pad) {
  if (!ok(b, x)) return -1;
  char buf[512];
  ep_attrs a;
  memset(&a, 0, sizeof a);
  a.kernel[0] = a.kernel[1] = k;
  a.stride[0] = a.stride[1] = stride;
  window_pads(b, x, k, k, stride, pad, a.pad);
  return add_node(b, op, full_name(b, buf, sizeof buf, name, NULL), &a, &x, 1);
}

int ep_mb_max_pool(mb* b, const char* name, int x, int k, int stride, int pad) {
  return pool(b, EP_OP_MAX_POOL, name, x, k, stride, pad);
}

int ep_mb_avg_pool(mb* b, const char* name, int x, int k, int stride, int pad) {
  return pool(b, EP_OP_AVG_POOL, name, x, k, stride, pad);
}

int ep_mb_global_avg_pool(mb* b, const char* name, int x) {
  char buf[512];
  return add_node(b, EP_OP_GLOBAL_AVG_POOL, full_name(b, buf, sizeof buf, name, NULL), NULL, &x, 1);
}

int ep_mb_concat(mb* b, const char* name, const int* xs, int n, int axis) {
  char buf[512];
  ep_attrs a;
  memset(&a, 0, sizeof a);
  a.axis = axis;
  return add_node(b, EP_OP_CONCAT, full_name(b, buf, sizeof buf, name, NULL), &a, xs, n);
}

int ep_mb_add(mb* b, const char* name, int x, int y) {
  char buf[512];
  int in[2] = {x, y};
  return add_node(b, EP_OP_ADD, full_name(b, buf, sizeof buf, name, NULL), NULL, in, 2);
}

int ep_mb_flatten(mb* b, const char* name, int x) {
  char buf[512];
  ep_attrs a;
  memset(&a, 0, sizeof a);
  a.axis = 1;
  return add_node(b, EP_OP_FLATTEN, full_name(b, buf, sizeof buf, name, NULL), &a, &x, 1);
}

int ep_mb_reshape(mb* b, const char* name, int x, int rank, const int64_t* dims) {
  char buf[512];
  ep_attrs a;
  memset(&a, 0, sizeof a);
  a.shape = ep_shape_make(rank, dims);
  return add_node(b, EP_OP_RESHAPE, full_name(b, buf, sizeof buf, name, NULL), &a, &x, 1);
}

int ep_mb_softmax(mb* b, const char* name, int x) {
  char buf[512];
  ep_attrs a;
  memset(&a, 0, sizeof a);
  a.axis = -1;
  return add_node(b, EP_OP_SOFTMAX, full_name(b, buf, sizeof buf, name, NULL), &a, &x, 1);
}

int ep_mb_fully_connected(mb* b, const char* name, int x, int m, float limit) {
  if (!ok(b, x)) return -1;
  char buf[512];
  ep_shape s = ep_mb_shape(b, x);
  int64_t k = s.rank == 2 ? s.dims[1] : 1;
  if (limit <= 0.0f) limit = (float)sqrt(3.0 / (double)k);
  int in[3] = {x, -1, -1};
  in[1] = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "weights"),
                     ep_shape_make(2, (int64_t[]){m, k}), -limit, limit);
  in[2] = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "biases"),
                     ep_shape_make(1, (int64_t[]){m}), -0.01f, 0.01f);
  return add_node(b, EP_OP_FULLY_CONNECTED, full_name(b, buf, sizeof buf, name, "MatMul"), NULL, in,
                  3);
}

int ep_mb_lstm(mb* b, const char* name, int x, int h, float limit) {
  if (!ok(b, x)) return -1;
  char buf[512];
  ep_shape s = ep_mb_shape(b, x);
  int64_t i = s.rank == 3 ? s.dims[2] : 1;
  int in[4] = {x, -1, -1, -1};
  in[1] = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "W"),
                     ep_shape_make(2, (int64_t[]){4 * h, i}), -limit, limit);
  in[2] = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "R"),
                     ep_shape_make(2, (int64_t[]){4 * h, h}), -limit, limit);
  in[3] = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "B"),
                     ep_shape_make(1, (int64_t[]){4 * h}), -limit, limit);
  ep_attrs a;
  memset(&a, 0, sizeof a);
  a.hidden_size = h;
  return add_node(b, EP_OP_LSTM, full_name(b, buf, sizeof buf, name, NULL), &a, in, 4);
}

/* --- layers of the modern set ------------------------------------------------------------- */

int ep_mb_scalar(mb* b, const char* name, float value) {
  char buf[512];
  return ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, NULL),
                       ep_shape_make(1, (int64_t[]){1}), value, value);
}

int ep_mb_binary(mb* b, ep_op op, const char* name, int x, int y) {
  char buf[512];
  int in[2] = {x, y};
  return add_node(b, op, full_name(b, buf, sizeof buf, name, NULL), NULL, in, 2);
}

int ep_mb_matmul(mb* b, const char* name, int x, int y) {
  char buf[512];
  int in[2] = {x, y};
  return add_node(b, EP_OP_MATMUL, full_name(b, buf, sizeof buf, name, NULL), NULL, in, 2);
}

int ep_mb_linear(mb* b, const char* name, int x, int n) {
  if (!ok(b, x)) return -1;
  char buf[512];
  ep_shape s = ep_mb_shape(b, x);
  int64_t k = s.dims[s.rank - 1];
  float limit = (float)sqrt(3.0 / (double)k);
  int w = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "weight"),
                        ep_shape_make(2, (int64_t[]){k, n}), -limit, limit);
  int bias = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "bias"),
                           ep_shape_make(1, (int64_t[]){n}), -0.01f, 0.01f);
  int in[2] = {x, w};
  int y = add_node(b, EP_OP_MATMUL, full_name(b, buf, sizeof buf, name, "MatMul"), NULL, in, 2);
  in[0] = y;
  in[1] = bias;
  return add_node(b, EP_OP_ADD, full_name(b, buf, sizeof buf, name, "Add"), NULL, in, 2);
}

int ep_mb_transpose(mb* b, const char* name, int x, int rank, const int* perm) {
  char buf[512];
  ep_attrs a;
  memset(&a, 0, sizeof a);
  for (int i = 0; i < rank && i < EP_MAX_RANK; i++) a.perm[i] = perm[i];
  return add_node(b, EP_OP_TRANSPOSE, full_name(b, buf, sizeof buf, name, NULL), &a, &x, 1);
}

int ep_mb_layer_norm(mb* b, const char* name, int x, float epsilon) {
  if (!ok(b, x)) return -1;
  char buf[512];
  ep_shape s = ep_mb_shape(b, x);
  ep_shape c = ep_shape_make(1, (int64_t[]){s.dims[s.rank - 1]});
  int in[3] = {x, -1, -1};
  in[1] = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "weight"), c, 0.9f, 1.1f);
  in[2] = ep_mb_uniform(b, full_name(b, buf, sizeof buf, name, "bias"), c, -0.05f, 0.05f);
  ep_attrs a = ep_attrs_default(EP_OP_LAYER_NORM);
  a.axis = -1;
  a.epsilon = epsilon;
  return add_node(b, EP_OP_LAYER_NORM, full_name(b, buf, sizeof buf, name, NULL), &a, in, 3);
}

int ep_mb_gelu(mb* b, const char* name, int x) {
  char buf[512];
  ep_attrs a = ep_attrs_default(EP_OP_GELU);
  a.gelu_tanh = false;
  return add_node(b, EP_OP_GELU, full_name(b, buf, sizeof buf, name, "Gelu"), &a, &x, 1);
}

int ep_mb_hard_sigmoid(mb* b, const char* name, int x) {
  char buf[512];
  ep_attrs a = ep_attrs_default(EP_OP_HARD_SIGMOID);
  a.alpha = 1.0f / 6.0f;
  a.beta = 0.5f;
  return add_node(b, EP_OP_HARD_SIGMOID, full_name(b, buf, sizeof buf, name, "HardSigmoid"), &a,
                  &x, 1);
}

int ep_mb_split_first(mb* b, const char* name, int x, int axis, int first) {
  if (!ok(b, x)) return -1;
  char buf[512];
  ep_shape s = ep_mb_shape(b, x);
  int d = axis < 0 ? axis + s.rank : axis;
  ep_attrs a = ep_attrs_default(EP_OP_SPLIT);
  a.axis = d;
  a.split[0] = first;
  a.split[1] = (int)s.dims[d] - first;
  return add_node_outputs(b, EP_OP_SPLIT, full_name(b, buf, sizeof buf, name, NULL), &a, &x, 1, 2);
}

ep_status ep_mb_finish(mb* b, int output, ep_graph** graph_out) {
  ep_status st = b->status;
  if (st == EP_OK && output < 0) {
    st = ep_error(EP_ERR_INVALID_ARGUMENT, "model %s: no output", ep_graph_name(b->g));
  }
  if (st == EP_OK) st = ep_graph_mark_output(b->g, output);
  if (st == EP_OK) st = ep_graph_finalize(b->g);
  if (st != EP_OK) {
    ep_graph_destroy(b->g);
    b->g = NULL;
    b->status = st;
    return st;
  }
  *graph_out = b->g;
  b->g = NULL;
  return EP_OK;
}

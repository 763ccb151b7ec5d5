/* ONNX nodes -> graph nodes: one importer per ONNX op type of the default domain, found in a
 * table. An importer reads the node's attributes and inputs, refuses what the runtime cannot do
 * (ep_imp_unsupported, with the reason) and emits one or a few graph nodes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_internal.h"
#include "onnx/onnx_internal.h"

static const char* out_name(const Onnx__NodeProto* n, int i) {
  if (i < 0 || (size_t)i >= n->n_output || n->output[i] == NULL || n->output[i][0] == '\0') {
    return NULL;
  }
  return n->output[i];
}

/* The one-output case: the graph node's output carries the ONNX output's name. */
static ep_status emit1(onnx_imp* c, const Onnx__NodeProto* n, ep_op op, const ep_attrs* a,
                       const int* inputs, int n_inputs) {
  const char* y = out_name(n, 0);
  if (y == NULL) return EP_OK; /* nothing reads it */
  return ep_imp_emit(c, op, ep_imp_node_name(n), a, inputs, n_inputs, y, y, NULL);
}

/* Inputs 0..k-1 as tensors. */
static ep_status tensors(onnx_imp* c, const Onnx__NodeProto* n, int k, int* ids) {
  for (int i = 0; i < k; i++) {
    ep_status st = ep_imp_tensor(c, n, i, &ids[i]);
    if (st != EP_OK) return st;
  }
  return EP_OK;
}

static bool is_const(onnx_imp* c, const Onnx__NodeProto* n, int i) {
  ov* v = ep_imp_input(c, n, i);
  return v != NULL && (v->kind == OV_CONST || v->kind == OV_BOUND);
}

/* A float scalar input (Clip's min, Pad's value): `fallback` when absent. */
static ep_status const_scalar(onnx_imp* c, const Onnx__NodeProto* n, int i, float fallback,
                              float* out) {
  *out = fallback;
  if (ep_imp_input(c, n, i) == NULL) return EP_OK;
  const ep_host_tensor* t;
  ep_status st = ep_imp_const(c, n, i, &t);
  if (st != EP_OK) return st;
  if (ep_shape_numel(&t->shape) != 1) return ep_imp_bad(c, "input %d must hold one value", i);
  *out = (float)ep_host_get_f(t, 0);
  return EP_OK;
}

static int rank_of(onnx_imp* c, int tensor) { return ep_imp_shape(c, tensor)->rank; }

/* --- convolution and pooling ----------------------------------------------------------------- */

/* Reads kernel_shape, strides, pads, dilations and auto_pad of a 2-D (or 1-D, as 1 x W) window
 * over input x of shape s, into a. */
static ep_status window_attrs(onnx_imp* c, const Onnx__NodeProto* n, const ep_shape* s,
                              const int64_t* kernel_from_w, ep_attrs* a) {
  int sp = s->rank - 2; /* spatial dims */
  bool pool = kernel_from_w == NULL;
  if (sp != 1 && sp != 2 && !(sp == 3 && pool)) {
    return ep_imp_unsupported(c, "%d-D windows (1-D and 2-D; 3-D for pooling)", sp);
  }
  int64_t k[4], st[4], pd[8], dl[4];
  int nk, ns, np, nd;
  ep_status e = ep_onnx_attr_ints(c, n, "kernel_shape", k, 4, &nk);
  if (e == EP_OK) e = ep_onnx_attr_ints(c, n, "strides", st, 4, &ns);
  if (e == EP_OK) e = ep_onnx_attr_ints(c, n, "pads", pd, 8, &np);
  if (e == EP_OK) e = ep_onnx_attr_ints(c, n, "dilations", dl, 4, &nd);
  if (e != EP_OK) return e;
  if (nk < 0) {
    if (kernel_from_w == NULL) return ep_imp_bad(c, "kernel_shape is missing");
    for (int i = 0; i < sp; i++) k[i] = kernel_from_w[i];
    nk = sp;
  }
  if (nk != sp || (ns >= 0 && ns != sp) || (np >= 0 && np != 2 * sp) || (nd >= 0 && nd != sp)) {
    return ep_imp_bad(c, "kernel_shape, strides, pads or dilations do not match %d spatial dims", sp);
  }
  int64_t kk[3], ss[3], dd[3], pb[3], pe[3];
  for (int i = 0; i < sp; i++) {
    kk[i] = k[i];
    ss[i] = ns >= 0 ? st[i] : 1;
    dd[i] = nd >= 0 ? dl[i] : 1;
    pb[i] = np >= 0 ? pd[i] : 0;
    pe[i] = np >= 0 ? pd[i + sp] : 0;
    if (kk[i] < 1 || ss[i] < 1 || dd[i] < 1 || pb[i] < 0 || pe[i] < 0 || kk[i] > 1 << 20 ||
        ss[i] > 1 << 20 || dd[i] > 1 << 20 || pb[i] > 1 << 20 || pe[i] > 1 << 20) {
      return ep_imp_bad(c, "kernel, stride, dilation or pad out of range");
    }
  }
  char pad_mode[32];
  ep_onnx_attr_string(n, "auto_pad", pad_mode, sizeof pad_mode);
  if (strcmp(pad_mode, "SAME_UPPER") == 0 || strcmp(pad_mode, "SAME_LOWER") == 0) {
    for (int i = 0; i < sp; i++) {
      int64_t in = s->dims[2 + i];
      int64_t out = (in + ss[i] - 1) / ss[i];
      int64_t total = (out - 1) * ss[i] + (kk[i] - 1) * dd[i] + 1 - in;
      if (total < 0) total = 0;
      int64_t small = total / 2, big = total - small;
      pb[i] = pad_mode[5] == 'U' ? small : big;
      pe[i] = pad_mode[5] == 'U' ? big : small;
    }
  } else if (strcmp(pad_mode, "VALID") == 0) {
    for (int i = 0; i < sp; i++) pb[i] = pe[i] = 0;
  } else if (pad_mode[0] != '\0' && strcmp(pad_mode, "NOTSET") != 0) {
    return ep_imp_bad(c, "unknown auto_pad '%s'", pad_mode);
  }
  if (sp == 3) { /* depth first, then H and W as for 2-D */
    a->kernel_d = (int)kk[0];
    a->stride_d = (int)ss[0];
    a->dilation_d = (int)dd[0];
    a->pad_front = (int)pb[0];
    a->pad_back = (int)pe[0];
    for (int i = 0; i < 2; i++) {
      a->kernel[i] = (int)kk[i + 1];
      a->stride[i] = (int)ss[i + 1];
      a->dilation[i] = (int)dd[i + 1];
      a->pad[i] = (int)pb[i + 1];
      a->pad[i + 2] = (int)pe[i + 1];
    }
    return EP_OK;
  }
  /* 1-D: height 1. */
  int o = 2 - sp;
  a->kernel[0] = 1;
  a->stride[0] = 1;
  a->dilation[0] = 1;
  a->pad[0] = a->pad[2] = 0;
  for (int i = 0; i < sp; i++) {
    a->kernel[o + i] = (int)kk[i];
    a->stride[o + i] = (int)ss[i];
    a->dilation[o + i] = (int)dd[i];
    a->pad[o + i] = (int)pb[i];
    a->pad[o + i + 2] = (int)pe[i];
  }
  return EP_OK;
}

static ep_status import_conv(onnx_imp* c, const Onnx__NodeProto* n) {
  int ids[3];
  int k = ep_imp_n_inputs(n);
  if (k < 2 || k > 3) return ep_imp_bad(c, "has %d inputs, expected 2 or 3", k);
  ep_status st = ep_imp_tensor(c, n, 0, &ids[0]);
  for (int i = 1; i < k && st == EP_OK; i++) st = ep_imp_weight(c, n, i, &ids[i]);
  if (st != EP_OK) return st;
  const ep_shape* x = ep_imp_shape(c, ids[0]);
  const ep_shape* w = ep_imp_shape(c, ids[1]);
  if (x->rank != 4) return ep_imp_unsupported(c, "rank-%d input (2-D convolutions only)", x->rank);
  if (w->rank != 4) return ep_imp_bad(c, "weights of rank %d", w->rank);
  ep_attrs a = ep_attrs_default(EP_OP_CONV);
  st = window_attrs(c, n, x, &w->dims[2], &a);
  if (st != EP_OK) return st;
  int64_t group = ep_onnx_attr_int(n, "group", 1);
  if (group < 1 || group > x->dims[1]) return ep_imp_bad(c, "group %lld", (long long)group);
  a.group = (int)group;
  return emit1(c, n, EP_OP_CONV, &a, ids, k);
}

static ep_status import_pool(onnx_imp* c, const Onnx__NodeProto* n) {
  bool max = strcmp(n->op_type, "MaxPool") == 0;
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  const ep_shape* s = ep_imp_shape(c, x);
  if (s->rank < 3 || s->rank > 5) return ep_imp_unsupported(c, "rank-%d input (1-D to 3-D pooling)", s->rank);
  ep_attrs a = ep_attrs_default(max ? EP_OP_MAX_POOL : EP_OP_AVG_POOL);
  st = window_attrs(c, n, s, NULL, &a);
  if (st != EP_OK) return st;
  a.ceil_mode = ep_onnx_attr_int(n, "ceil_mode", 0) != 0;
  if (!max) a.count_include_pad = ep_onnx_attr_int(n, "count_include_pad", 0) != 0;
  if (max && ep_onnx_attr_int(n, "storage_order", 0) != 0 && out_name(n, 1) != NULL) {
    return ep_imp_unsupported(c, "storage_order 1");
  }
  return emit1(c, n, max ? EP_OP_MAX_POOL : EP_OP_AVG_POOL, &a, &x, 1);
}

static ep_status import_global_pool(onnx_imp* c, const Onnx__NodeProto* n) {
  ep_op op = strcmp(n->op_type, "GlobalMaxPool") == 0 ? EP_OP_GLOBAL_MAX_POOL : EP_OP_GLOBAL_AVG_POOL;
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  if (rank_of(c, x) < 3) return ep_imp_bad(c, "input of rank %d", rank_of(c, x));
  ep_attrs a = ep_attrs_default(op);
  return emit1(c, n, op, &a, &x, 1);
}

static ep_status import_batch_norm(onnx_imp* c, const Onnx__NodeProto* n) {
  if (ep_onnx_attr_int(n, "training_mode", 0) != 0) return ep_imp_unsupported(c, "training_mode 1");
  if (c->opset < 9 && ep_onnx_attr_int(n, "spatial", 1) != 1) return ep_imp_unsupported(c, "spatial 0");
  if (ep_imp_n_inputs(n) != 5) return ep_imp_bad(c, "has %d inputs, expected 5", ep_imp_n_inputs(n));
  int ids[5];
  ep_status st = ep_imp_tensor(c, n, 0, &ids[0]);
  for (int i = 1; i < 5 && st == EP_OK; i++) st = ep_imp_weight(c, n, i, &ids[i]);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_BATCH_NORM);
  a.epsilon = ep_onnx_attr_float(n, "epsilon", 1e-5f);
  return emit1(c, n, EP_OP_BATCH_NORM, &a, ids, 5);
}

static ep_status import_lrn(onnx_imp* c, const Onnx__NodeProto* n) {
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_LRN);
  int64_t size = ep_onnx_attr_int(n, "size", 0);
  if (size < 1 || size > 1 << 20) return ep_imp_bad(c, "size %lld", (long long)size);
  a.size = (int)size;
  a.alpha = ep_onnx_attr_float(n, "alpha", a.alpha);
  a.beta = ep_onnx_attr_float(n, "beta", a.beta);
  a.lrn_bias = ep_onnx_attr_float(n, "bias", a.lrn_bias);
  return emit1(c, n, EP_OP_LRN, &a, &x, 1);
}

/* --- dense layers ---------------------------------------------------------------------------- */

/* y = x W^T + b with W [M, K] from a constant B ([K, M] when not transposed) scaled by alpha,
 * and b from a constant C (scalar, [M], [1, M]) scaled by beta: the fast path for Gemm and
 * MatMul against weights. Leaves *done false when the node does not fit. */
/* w [m, k] = alpha * transpose of src [k, m], in 32 x 32 tiles that stay in cache (a
 * column-at-a-time transpose of a 768 x 3072 MatMul weight misses on every read). */
static void transpose_scaled(const float* src, int64_t k, int64_t m, float alpha, float* w) {
  enum { TILE = 32 };
  for (int64_t j0 = 0; j0 < k; j0 += TILE) {
    const int64_t j1 = j0 + TILE < k ? j0 + TILE : k;
    for (int64_t i0 = 0; i0 < m; i0 += TILE) {
      const int64_t i1 = i0 + TILE < m ? i0 + TILE : m;
      for (int64_t j = j0; j < j1; j++) {
        for (int64_t i = i0; i < i1; i++) w[i * k + j] = alpha * src[j * m + i];
      }
    }
  }
}

static ep_status try_fully_connected(onnx_imp* c, const Onnx__NodeProto* n, bool trans_b,
                                     float alpha, float beta, bool* done) {
  *done = false;
  int k = ep_imp_n_inputs(n);
  if (!is_const(c, n, 1) || (k == 3 && !is_const(c, n, 2))) return EP_OK;
  ov* bv = ep_imp_input(c, n, 1);
  const ep_host_tensor* b = &bv->value;
  if (b->dtype != EP_DTYPE_FLOAT32 || b->shape.rank != 2) return EP_OK;
  int64_t kdim = trans_b ? b->shape.dims[1] : b->shape.dims[0];
  int64_t m = trans_b ? b->shape.dims[0] : b->shape.dims[1];
  if (m < 1 || kdim < 1) return EP_OK;
  const ep_host_tensor* bias = NULL;
  if (k == 3) {
    bias = &ep_imp_input(c, n, 2)->value;
    int64_t bn = ep_shape_numel(&bias->shape);
    bool fits = bias->dtype == EP_DTYPE_FLOAT32 &&
                (bn == 1 || (bias->shape.rank == 1 && bn == m) ||
                 (bias->shape.rank == 2 && bias->shape.dims[0] == 1 && bn == m));
    if (!fits) return EP_OK;
  }
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  const ep_shape* xs = ep_imp_shape(c, x);
  if (xs->rank != 2 || xs->dims[1] != kdim) return EP_OK;
  *done = true;
  const char* name = ep_imp_node_name(n);
  int ids[3] = {x, -1, -1};
  /* The weights: the constant itself when it already is [M, K] and alpha is 1. */
  if (trans_b && alpha == 1.0f) {
    st = ep_imp_weight(c, n, 1, &ids[1]);
  } else {
    float* w = ep_graph_storage_alloc(sizeof(float) * (size_t)(m * kdim));
    if (w == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
    const float* src = b->data;
    if (trans_b) {
      for (int64_t i = 0; i < m * kdim; i++) w[i] = alpha * src[i];
    } else {
      transpose_scaled(src, kdim, m, alpha, w);
    }
    char wname[512];
    snprintf(wname, sizeof wname, "%s%s", bv->name, trans_b ? "/scaled" : "/transposed");
    st = ep_imp_add_constant_shared(c, wname, EP_DTYPE_FLOAT32,
                                    ep_shape_make(2, (int64_t[]){m, kdim}), w, &ids[1]);
    ep_graph_storage_release(w);
    /* The original is dead once transposed unless a later node or the graph's outputs read it:
     * its copy goes now, so that the weights are not held twice while the rest loads. */
    if (st == EP_OK && ep_imp_readers(c, bv->name, NULL, 0) == 0 &&
        !ep_imp_is_graph_output(c, bv->name)) {
      ep_host_tensor_free(&bv->value);
    }
  }
  if (st != EP_OK) return st;
  int n_ids = 2;
  if (bias != NULL) {
    if (bias->shape.rank == 1 && bias->shape.dims[0] == m && beta == 1.0f) {
      st = ep_imp_weight(c, n, 2, &ids[2]);
    } else {
      float* bb = malloc(sizeof(float) * (size_t)m);
      if (bb == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
      bool one = ep_shape_numel(&bias->shape) == 1;
      for (int64_t i = 0; i < m; i++) bb[i] = beta * ((const float*)bias->data)[one ? 0 : i];
      char bname[512];
      snprintf(bname, sizeof bname, "%s/bias", ep_imp_input(c, n, 2)->name);
      st = ep_imp_add_constant(c, bname, ep_shape_make(1, (int64_t[]){m}), bb, &ids[2]);
      free(bb);
    }
    if (st != EP_OK) return st;
    n_ids = beta == 0.0f ? 2 : 3;
  }
  ep_attrs a = ep_attrs_default(EP_OP_FULLY_CONNECTED);
  const char* y = out_name(n, 0);
  if (y == NULL) return EP_OK;
  return ep_imp_emit(c, EP_OP_FULLY_CONNECTED, name, &a, ids, n_ids, y, y, NULL);
}

static ep_status import_gemm(onnx_imp* c, const Onnx__NodeProto* n) {
  int k = ep_imp_n_inputs(n);
  if (k < 2 || k > 3) return ep_imp_bad(c, "has %d inputs, expected 2 or 3", k);
  ep_attrs a = ep_attrs_default(EP_OP_GEMM);
  a.alpha = ep_onnx_attr_float(n, "alpha", 1.0f);
  a.beta = ep_onnx_attr_float(n, "beta", 1.0f);
  a.trans_a = ep_onnx_attr_int(n, "transA", 0) != 0;
  a.trans_b = ep_onnx_attr_int(n, "transB", 0) != 0;
  if (!a.trans_a) {
    bool done;
    ep_status st = try_fully_connected(c, n, a.trans_b, a.alpha, a.beta, &done);
    if (st != EP_OK || done) return st;
  }
  int ids[3];
  ep_status st = tensors(c, n, k, ids);
  if (st != EP_OK) return st;
  return emit1(c, n, EP_OP_GEMM, &a, ids, k);
}

static ep_status import_matmul(onnx_imp* c, const Onnx__NodeProto* n) {
  if (ep_imp_n_inputs(n) != 2) return ep_imp_bad(c, "has %d inputs, expected 2", ep_imp_n_inputs(n));
  bool done;
  ep_status st = try_fully_connected(c, n, false, 1.0f, 1.0f, &done);
  if (st != EP_OK || done) return st;
  int ids[2];
  st = tensors(c, n, 2, ids);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_MATMUL);
  return emit1(c, n, EP_OP_MATMUL, &a, ids, 2);
}

/* --- elementwise ----------------------------------------------------------------------------- */

static ep_status import_binary(onnx_imp* c, const Onnx__NodeProto* n) {
  static const struct {
    const char* name;
    ep_op op;
  } ops[] = {{"Add", EP_OP_ADD}, {"Sub", EP_OP_SUB}, {"Mul", EP_OP_MUL}, {"Div", EP_OP_DIV}};
  ep_op op = EP_OP_ADD;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (strcmp(ops[i].name, n->op_type) == 0) op = ops[i].op;
  }
  if (ep_imp_n_inputs(n) != 2) return ep_imp_bad(c, "has %d inputs, expected 2", ep_imp_n_inputs(n));
  int ids[2];
  ep_status st = tensors(c, n, 2, ids);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(op);
  return emit1(c, n, op, &a, ids, 2);
}

static ep_status import_unary(onnx_imp* c, const Onnx__NodeProto* n) {
  ep_op op = strcmp(n->op_type, "Relu") == 0      ? EP_OP_RELU
             : strcmp(n->op_type, "Sigmoid") == 0 ? EP_OP_SIGMOID
             : strcmp(n->op_type, "Tanh") == 0    ? EP_OP_TANH
                                                  : EP_OP_LEAKY_RELU;
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(op);
  if (op == EP_OP_LEAKY_RELU) a.alpha = ep_onnx_attr_float(n, "alpha", a.alpha);
  return emit1(c, n, op, &a, &x, 1);
}

/* The one-input math ops: Sqrt, Reciprocal, Erf, Exp, Log, Neg, Abs, Softplus, Mish, HardSwish,
 * HardSigmoid (alpha, beta), Gelu (approximate "none" or "tanh"). */
static ep_status import_math(onnx_imp* c, const Onnx__NodeProto* n) {
  static const struct {
    const char* name;
    ep_op op;
  } ops[] = {{"Sqrt", EP_OP_SQRT},       {"Reciprocal", EP_OP_RECIPROCAL},
             {"Erf", EP_OP_ERF},         {"Exp", EP_OP_EXP},
             {"Log", EP_OP_LOG},         {"Neg", EP_OP_NEG},
             {"Abs", EP_OP_ABS},         {"Softplus", EP_OP_SOFTPLUS},
             {"Mish", EP_OP_MISH},       {"HardSwish", EP_OP_HARD_SWISH},
             {"Gelu", EP_OP_GELU},       {"HardSigmoid", EP_OP_HARD_SIGMOID}};
  ep_op op = EP_OP_COUNT;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (strcmp(ops[i].name, n->op_type) == 0) op = ops[i].op;
  }
  if (op == EP_OP_COUNT) return ep_imp_unsupported(c, "op %s", n->op_type);
  const int k = ep_imp_n_inputs(n);
  if (k != 1) return ep_imp_bad(c, "has %d inputs, expected 1", k);
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(op);
  if (op == EP_OP_HARD_SIGMOID) {
    a.alpha = ep_onnx_attr_float(n, "alpha", a.alpha);
    a.beta = ep_onnx_attr_float(n, "beta", a.beta);
  } else if (op == EP_OP_GELU) {
    char approx[16];
    ep_onnx_attr_string(n, "approximate", approx, sizeof approx);
    if (strcmp(approx, "tanh") == 0) {
      a.gelu_tanh = true;
    } else if (approx[0] != '\0' && strcmp(approx, "none") != 0) {
      return ep_imp_bad(c, "approximate '%s' is neither \"none\" nor \"tanh\"", approx);
    }
  }
  return emit1(c, n, op, &a, &x, 1);
}

/* Pow: a float base; the exponent may be an integer constant (converted to float once). */
static ep_status import_pow(onnx_imp* c, const Onnx__NodeProto* n) {
  const int k = ep_imp_n_inputs(n);
  if (k != 2) return ep_imp_bad(c, "has %d inputs, expected 2", k);
  int ids[2];
  ep_status st = ep_imp_tensor(c, n, 0, &ids[0]);
  if (st != EP_OK) return st;
  ov* e = ep_imp_input(c, n, 1);
  if (e != NULL && e->tensor < 0 && (e->kind == OV_CONST || e->kind == OV_BOUND) &&
      e->value.dtype != EP_DTYPE_FLOAT32) {
    const ep_host_tensor* t = &e->value;
    const int64_t count = ep_shape_numel(&t->shape);
    if (count < 1) return ep_imp_unsupported(c, "an empty exponent");
    float* f = malloc((size_t)count * sizeof *f);
    if (f == NULL) return ep_imp_bad(c, "out of memory");
    for (int64_t i = 0; i < count; i++) f[i] = (float)ep_host_get_f(t, i);
    st = ep_imp_add_constant(c, e->name, t->shape, f, &ids[1]);
    free(f);
  } else {
    st = ep_imp_tensor(c, n, 1, &ids[1]);
  }
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_POW);
  return emit1(c, n, EP_OP_POW, &a, ids, 2);
}

/* Min, Max: one or more inputs. */
static ep_status import_min_max(onnx_imp* c, const Onnx__NodeProto* n) {
  const ep_op op = strcmp(n->op_type, "Min") == 0 ? EP_OP_MIN : EP_OP_MAX;
  const int k = ep_imp_n_inputs(n);
  if (k < 1) return ep_imp_bad(c, "has no inputs");
  int* ids = malloc((size_t)k * sizeof *ids);
  if (ids == NULL) return ep_imp_bad(c, "out of memory");
  ep_status st = tensors(c, n, k, ids);
  ep_attrs a = ep_attrs_default(op);
  if (st == EP_OK) st = emit1(c, n, op, &a, ids, k);
  free(ids);
  return st;
}

static ep_status import_clip(onnx_imp* c, const Onnx__NodeProto* n) {
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_CLIP);
  if (c->opset < 11) {
    a.clip_min = ep_onnx_attr_float(n, "min", -INFINITY);
    a.clip_max = ep_onnx_attr_float(n, "max", INFINITY);
  } else {
    st = const_scalar(c, n, 1, -INFINITY, &a.clip_min);
    if (st == EP_OK) st = const_scalar(c, n, 2, INFINITY, &a.clip_max);
    if (st != EP_OK) return st;
  }
  if (a.clip_min == 0.0f && a.clip_max == 6.0f) {
    ep_attrs r = ep_attrs_default(EP_OP_RELU6);
    return emit1(c, n, EP_OP_RELU6, &r, &x, 1);
  }
  return emit1(c, n, EP_OP_CLIP, &a, &x, 1);
}

static ep_status import_softmax(onnx_imp* c, const Onnx__NodeProto* n) {
  ep_op op = strcmp(n->op_type, "LogSoftmax") == 0 ? EP_OP_LOG_SOFTMAX : EP_OP_SOFTMAX;
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  int rank = rank_of(c, x);
  if (rank < 1) return ep_imp_unsupported(c, "a scalar input");
  ep_attrs a = ep_attrs_default(op);
  int64_t axis = ep_onnx_attr_int(n, "axis", c->opset >= 13 ? -1 : 1);
  if (axis < -rank || axis >= rank) return ep_imp_bad(c, "axis %lld for rank %d", (long long)axis, rank);
  if (axis < 0) axis += rank;
  a.axis = (int)axis;
  /* Before opset 13 the input is coerced to 2-D at axis: the same as one axis when it is last. */
  a.softmax_2d = c->opset < 13 && axis != rank - 1;
  return emit1(c, n, op, &a, &x, 1);
}

/* --- shapes ---------------------------------------------------------------------------------- */

static ep_status import_flatten(onnx_imp* c, const Onnx__NodeProto* n) {
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  int rank = rank_of(c, x);
  int64_t axis = ep_onnx_attr_int(n, "axis", 1);
  if (axis < -rank || axis > rank) return ep_imp_bad(c, "axis %lld for rank %d", (long long)axis, rank);
  ep_attrs a = ep_attrs_default(EP_OP_FLATTEN);
  a.axis = (int)(axis < 0 ? axis + rank : axis);
  return emit1(c, n, EP_OP_FLATTEN, &a, &x, 1);
}

/* Reshape, Squeeze, Unsqueeze: a reshape to a static shape. */
static ep_status emit_reshape(onnx_imp* c, const Onnx__NodeProto* n, int x, const ep_shape* target) {
  if (target->rank < 1) return ep_imp_unsupported(c, "a scalar result");
  ep_attrs a = ep_attrs_default(EP_OP_RESHAPE);
  a.shape = *target;
  return emit1(c, n, EP_OP_RESHAPE, &a, &x, 1);
}

static ep_status import_reshape(onnx_imp* c, const Onnx__NodeProto* n) {
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  const ep_host_tensor* t;
  st = ep_imp_const(c, n, 1, &t);
  if (st != EP_OK) return st;
  if (t->dtype != EP_DTYPE_INT64 || t->shape.rank != 1) return ep_imp_bad(c, "shape must be int64[k]");
  int64_t k = t->shape.dims[0];
  if (k > EP_MAX_RANK) return ep_imp_unsupported(c, "target rank %lld", (long long)k);
  const ep_shape* xs = ep_imp_shape(c, x);
  bool allowzero = ep_onnx_attr_int(n, "allowzero", 0) != 0;
  ep_shape target;
  memset(&target, 0, sizeof target);
  target.rank = (int)k;
  int64_t known = 1, numel = ep_shape_numel(xs);
  int infer = -1;
  /* The shape as given (0 copies a dim, -1 is inferred: the graph's reshape knows both), after
   * checking it here so that a bad file gets a clear message. */
  for (int d = 0; d < k; d++) {
    int64_t v = ((const int64_t*)t->data)[d];
    if (v == 0 && allowzero) return ep_imp_unsupported(c, "allowzero with a zero dim");
    if (v == 0 && d >= xs->rank) return ep_imp_bad(c, "shape copies dim %d of a rank %d input", d, xs->rank);
    if (v == -1) {
      if (infer >= 0) return ep_imp_bad(c, "two -1 dims in the shape");
      infer = d;
    } else if (v < 0) {
      return ep_imp_bad(c, "negative dim %lld in the shape", (long long)v);
    } else {
      known *= v == 0 ? xs->dims[d] : v;
      if (known > ONNX_MAX_NUMEL) return ep_imp_bad(c, "shape too large");
    }
    target.dims[d] = v;
  }
  if (infer >= 0 ? (known == 0 || numel % known != 0) : known != numel) {
    return ep_imp_bad(c, "cannot reshape %lld elements to the shape given", (long long)numel);
  }
  return emit_reshape(c, n, x, &target);
}

static ep_status import_squeeze(onnx_imp* c, const Onnx__NodeProto* n) {
  bool un = strcmp(n->op_type, "Unsqueeze") == 0;
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  const ep_shape* xs = ep_imp_shape(c, x);
  int64_t axes[EP_MAX_RANK];
  int count = -1;
  if (c->opset >= 13) {
    if (ep_imp_input(c, n, 1) != NULL) {
      const ep_host_tensor* t;
      st = ep_imp_const(c, n, 1, &t);
      if (st != EP_OK) return st;
      if (t->dtype != EP_DTYPE_INT64 || t->shape.rank > 1 || ep_shape_numel(&t->shape) > EP_MAX_RANK) {
        return ep_imp_bad(c, "axes must be int64[k], k <= %d", EP_MAX_RANK);
      }
      count = (int)ep_shape_numel(&t->shape);
      for (int i = 0; i < count; i++) axes[i] = ((const int64_t*)t->data)[i];
    }
  } else {
    st = ep_onnx_attr_ints(c, n, "axes", axes, EP_MAX_RANK, &count);
    if (st != EP_OK) return st;
  }
  ep_shape target;
  memset(&target, 0, sizeof target);
  if (un) {
    if (count < 0) return ep_imp_bad(c, "axes are missing");
    int rank = xs->rank + count;
    if (rank > EP_MAX_RANK) return ep_imp_unsupported(c, "rank %d", rank);
    bool ins[EP_MAX_RANK] = {false};
    for (int i = 0; i < count; i++) {
      int64_t v = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (v < 0 || v >= rank || ins[v]) return ep_imp_bad(c, "bad axes");
      ins[v] = true;
    }
    target.rank = rank;
    for (int d = 0, j = 0; d < rank; d++) target.dims[d] = ins[d] ? 1 : xs->dims[j++];
  } else {
    bool drop[EP_MAX_RANK] = {false};
    for (int d = 0; count < 0 && d < xs->rank; d++) drop[d] = xs->dims[d] == 1;
    for (int i = 0; i < count; i++) {
      int64_t v = axes[i] < 0 ? axes[i] + xs->rank : axes[i];
      if (v < 0 || v >= xs->rank || xs->dims[v] != 1) return ep_imp_bad(c, "axis %lld is not a dim of 1", (long long)axes[i]);
      drop[v] = true;
    }
    for (int d = 0; d < xs->rank; d++) {
      if (!drop[d]) target.dims[target.rank++] = xs->dims[d];
    }
  }
  return emit_reshape(c, n, x, &target);
}

static ep_status import_concat(onnx_imp* c, const Onnx__NodeProto* n) {
  int k = ep_imp_n_inputs(n);
  if (k < 1) return ep_imp_bad(c, "no inputs");
  int* ids = malloc(sizeof(int) * (size_t)k);
  if (ids == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
  ep_status st = tensors(c, n, k, ids);
  if (st == EP_OK) {
    ep_attrs a = ep_attrs_default(EP_OP_CONCAT);
    int64_t axis = ep_onnx_attr_int(n, "axis", 0);
    int rank = rank_of(c, ids[0]);
    if (axis < -rank || axis >= rank) {
      st = ep_imp_bad(c, "axis %lld for rank %d", (long long)axis, rank);
    } else {
      a.axis = (int)(axis < 0 ? axis + rank : axis);
      st = emit1(c, n, EP_OP_CONCAT, &a, ids, k);
    }
  }
  free(ids);
  return st;
}

static ep_status import_transpose(onnx_imp* c, const Onnx__NodeProto* n) {
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  int rank = rank_of(c, x);
  int64_t perm[EP_MAX_RANK];
  int count;
  st = ep_onnx_attr_ints(c, n, "perm", perm, EP_MAX_RANK, &count);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_TRANSPOSE);
  if (count >= 0 && count != rank) return ep_imp_bad(c, "perm has %d entries for rank %d", count, rank);
  for (int d = 0; d < rank; d++) {
    int64_t p = count < 0 ? rank - 1 - d : perm[d];
    if (p < 0 || p >= rank) return ep_imp_bad(c, "perm entry %lld", (long long)p);
    a.perm[d] = (int)p;
  }
  return emit1(c, n, EP_OP_TRANSPOSE, &a, &x, 1);
}

static ep_status import_pad(onnx_imp* c, const Onnx__NodeProto* n) {
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  int rank = rank_of(c, x);
  ep_attrs a = ep_attrs_default(EP_OP_PAD);
  char mode[32];
  ep_onnx_attr_string(n, "mode", mode, sizeof mode);
  if (mode[0] == '\0' || strcmp(mode, "constant") == 0) {
    a.pad_mode = EP_PAD_CONSTANT;
  } else if (strcmp(mode, "reflect") == 0) {
    a.pad_mode = EP_PAD_REFLECT;
  } else if (strcmp(mode, "edge") == 0) {
    a.pad_mode = EP_PAD_EDGE;
  } else if (strcmp(mode, "wrap") == 0) {
    a.pad_mode = EP_PAD_WRAP;
  } else {
    return ep_imp_bad(c, "unknown mode '%s'", mode);
  }
  int64_t pads[2 * EP_MAX_RANK], axes[EP_MAX_RANK];
  int np, na = -1;
  if (c->opset < 11) {
    st = ep_onnx_attr_ints(c, n, "pads", pads, 2 * EP_MAX_RANK, &np);
    if (st != EP_OK) return st;
    a.pad_value = ep_onnx_attr_float(n, "value", 0.0f);
  } else {
    const ep_host_tensor* t;
    st = ep_imp_const(c, n, 1, &t);
    if (st != EP_OK) return st;
    if (t->dtype != EP_DTYPE_INT64 || t->shape.rank != 1 || t->shape.dims[0] > 2 * EP_MAX_RANK) {
      return ep_imp_bad(c, "pads must be int64[2 * rank]");
    }
    np = (int)t->shape.dims[0];
    for (int i = 0; i < np; i++) pads[i] = ((const int64_t*)t->data)[i];
    st = const_scalar(c, n, 2, 0.0f, &a.pad_value);
    if (st != EP_OK) return st;
    if (ep_imp_input(c, n, 3) != NULL) {
      st = ep_imp_const(c, n, 3, &t);
      if (st != EP_OK) return st;
      if (t->dtype != EP_DTYPE_INT64 || t->shape.rank != 1 || t->shape.dims[0] > EP_MAX_RANK) {
        return ep_imp_bad(c, "axes must be int64[k]");
      }
      na = (int)t->shape.dims[0];
      for (int i = 0; i < na; i++) axes[i] = ((const int64_t*)t->data)[i];
    }
  }
  int span = na >= 0 ? na : rank;
  if (np != 2 * span) return ep_imp_bad(c, "%d pads for %d axes", np, span);
  for (int i = 0; i < span; i++) {
    int64_t axis = na >= 0 ? axes[i] : i;
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return ep_imp_bad(c, "axis out of range");
    int64_t b = pads[i], e = pads[i + span];
    if (b < -(1 << 30) || b > 1 << 30 || e < -(1 << 30) || e > 1 << 30) return ep_imp_bad(c, "pad out of range");
    a.pads[axis] = (int)b;
    a.pads[rank + axis] = (int)e;
  }
  return emit1(c, n, EP_OP_PAD, &a, &x, 1);
}

/* --- recurrent layers ------------------------------------------------------------------------ */

static ep_status rnn_common(onnx_imp* c, const Onnx__NodeProto* n, int gates, ep_attrs* a) {
  char dir[32];
  ep_onnx_attr_string(n, "direction", dir, sizeof dir);
  if (dir[0] == '\0' || strcmp(dir, "forward") == 0) {
    a->direction = EP_RNN_FORWARD;
  } else if (strcmp(dir, "reverse") == 0) {
    a->direction = EP_RNN_REVERSE;
  } else if (strcmp(dir, "bidirectional") == 0) {
    a->direction = EP_RNN_BIDIRECTIONAL;
  } else {
    return ep_imp_bad(c, "unknown direction '%s'", dir);
  }
  int64_t h = ep_onnx_attr_int(n, "hidden_size", 0);
  if (h < 0 || h > 1 << 20) return ep_imp_bad(c, "hidden_size %lld", (long long)h);
  a->hidden_size = (int)h;
  a->rnn_clip = ep_onnx_attr_float(n, "clip", 0.0f);
  a->rnn_layout = (int)ep_onnx_attr_int(n, "layout", 0);
  if (gates == 4 && ep_onnx_attr_int(n, "input_forget", 0) != 0) return ep_imp_unsupported(c, "input_forget 1");
  /* Only the default activations. */
  static const char* const lstm_acts[] = {"Sigmoid", "Tanh", "Tanh"};
  static const char* const gru_acts[] = {"Sigmoid", "Tanh"};
  const char* const* want = gates == 4 ? lstm_acts : gru_acts;
  size_t per = gates == 4 ? 3 : 2;
  const Onnx__AttributeProto* acts = ep_onnx_attr_find(n, "activations");
  if (acts != NULL) {
    for (size_t i = 0; i < acts->n_strings; i++) {
      const char* w = want[i % per];
      if (acts->strings[i].len != strlen(w) || strncasecmp((const char*)acts->strings[i].data, w, strlen(w)) != 0) {
        return ep_imp_unsupported(c, "activations other than the defaults");
      }
    }
  }
  if (ep_onnx_attr_find(n, "activation_alpha") != NULL || ep_onnx_attr_find(n, "activation_beta") != NULL) {
    return ep_imp_unsupported(c, "activation_alpha / activation_beta");
  }
  return EP_OK;
}

/* sequence_lens: ONNX int32 [N] known at load -> a float constant. */
static ep_status seq_lens(onnx_imp* c, const Onnx__NodeProto* n, int* id) {
  *id = EP_TENSOR_ABSENT;
  ov* v = ep_imp_input(c, n, 4);
  if (v == NULL) return EP_OK;
  const ep_host_tensor* t;
  ep_status st = ep_imp_const(c, n, 4, &t);
  if (st != EP_OK) return st;
  int64_t k = ep_shape_numel(&t->shape);
  if (k < 1 || t->shape.rank != 1) return ep_imp_bad(c, "sequence_lens must be [N]");
  float* f = malloc(sizeof(float) * (size_t)k);
  if (f == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
  for (int64_t i = 0; i < k; i++) f[i] = (float)ep_host_get_f(t, i);
  st = ep_imp_add_constant(c, v->name, t->shape, f, id);
  free(f);
  return st;
}

/* A zoo-layout LSTM when the node is what edgeprof exports (and most converters write for one
 * forward layer): forward, bias only, only Y used, read by one Squeeze of the direction axis.
 * The Squeeze is absorbed: the graph node writes its output. Leaves *done false otherwise. */
/* Output i is absent or read by nothing (PyTorch names Y_h and Y_c even when unused). */
static bool output_unused(onnx_imp* c, const Onnx__NodeProto* n, int i) {
  const char* o = out_name(n, i);
  int readers[1];
  return o == NULL || (!ep_imp_is_graph_output(c, o) && ep_imp_readers(c, o, readers, 1) == 0);
}

/* Input i is absent, or an initial state (5, 6) known at load to be all zeros: PyTorch's
 * Expand of a zeros constant, folded. The zoo LSTM starts from zeros. */
static bool absent_or_zero_state(onnx_imp* c, const Onnx__NodeProto* n, int i) {
  ov* v = ep_imp_input(c, n, i);
  if (v == NULL) return true;
  if ((i != 5 && i != 6) || v->kind != OV_CONST || v->value.dtype != EP_DTYPE_FLOAT32) return false;
  const float* d = v->value.data;
  for (int64_t j = 0; j < ep_shape_numel(&v->value.shape); j++) {
    if (d[j] != 0.0f) return false;
  }
  return true;
}

/* The one int64 value `name` holds when it is known at load: a constant already defined, or
 * the output of a Constant node not imported yet (PyTorch writes the Squeeze's axes after the
 * LSTM that the Squeeze reads). */
static bool const_axis(onnx_imp* c, const char* name, int64_t* out) {
  ov* v = ep_imp_find(c, name);
  if (v != NULL) {
    if (v->kind != OV_CONST || v->value.dtype != EP_DTYPE_INT64 || ep_shape_numel(&v->value.shape) != 1) {
      return false;
    }
    *out = ((const int64_t*)v->value.data)[0];
    return true;
  }
  for (size_t i = 0; i < c->graph->n_node; i++) {
    const Onnx__NodeProto* p = c->graph->node[i];
    if (p->op_type == NULL || strcmp(p->op_type, "Constant") != 0 || out_name(p, 0) == NULL ||
        strcmp(out_name(p, 0), name) != 0 || (p->domain != NULL && p->domain[0] != '\0')) {
      continue;
    }
    const Onnx__AttributeProto* a = ep_onnx_attr_find(p, "value");
    if (a == NULL || a->t == NULL) return false;
    ep_host_tensor t;
    if (ep_onnx_tensor_from_proto(a->t, NULL, c->label, &t) != EP_OK) return false;
    bool ok = t.dtype == EP_DTYPE_INT64 && ep_shape_numel(&t.shape) == 1;
    if (ok) *out = ((const int64_t*)t.data)[0];
    ep_host_tensor_free(&t);
    return ok;
  }
  return false;
}

static ep_status try_zoo_lstm(onnx_imp* c, const Onnx__NodeProto* n, const ep_attrs* onnx_attrs,
                              bool* done) {
  *done = false;
  int k = ep_imp_n_inputs(n);
  if (onnx_attrs->direction != EP_RNN_FORWARD || onnx_attrs->rnn_clip != 0.0f ||
      onnx_attrs->rnn_layout != 0 || !output_unused(c, n, 1) || !output_unused(c, n, 2)) {
    return EP_OK;
  }
  for (int i = 4; i < k; i++) {
    if (!absent_or_zero_state(c, n, i)) return EP_OK;
  }
  if (k > 4) k = 4; /* W, R, B; the rest is absent or zeros */
  const char* y = out_name(n, 0);
  if (y == NULL || ep_imp_is_graph_output(c, y)) return EP_OK;
  int readers[2];
  if (ep_imp_readers(c, y, readers, 2) != 1) return EP_OK;
  const Onnx__NodeProto* sq = c->graph->node[readers[0]];
  if (sq->op_type == NULL || strcmp(sq->op_type, "Squeeze") != 0 || sq->n_output != 1 ||
      out_name(sq, 0) == NULL || ep_imp_n_inputs(sq) < 1 || strcmp(sq->input[0], y) != 0) {
    return EP_OK;
  }
  int64_t axes[EP_MAX_RANK];
  int count = -1;
  if (c->opset >= 13) {
    if (ep_imp_n_inputs(sq) != 2 || !const_axis(c, sq->input[1], &axes[0])) return EP_OK;
    count = 1;
  } else {
    const Onnx__AttributeProto* at = ep_onnx_attr_find(sq, "axes");
    if (at == NULL || at->n_ints != 1) return EP_OK;
    axes[0] = at->ints[0];
    count = 1;
  }
  if (count != 1 || (axes[0] != 1 && axes[0] != -3)) return EP_OK;
  for (int i = 1; i < k; i++) {
    if (!is_const(c, n, i)) return EP_OK;
  }
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  const ep_shape* xs = ep_imp_shape(c, x);
  ov* wv = ep_imp_input(c, n, 1);
  ov* rv = ep_imp_input(c, n, 2);
  ov* bv = k > 3 ? ep_imp_input(c, n, 3) : NULL;
  const ep_host_tensor* w = &wv->value;
  const ep_host_tensor* r = &rv->value;
  if (xs->rank != 3 || w->dtype != EP_DTYPE_FLOAT32 || r->dtype != EP_DTYPE_FLOAT32 ||
      w->shape.rank != 3 || r->shape.rank != 3 || w->shape.dims[0] != 1 || r->shape.dims[0] != 1) {
    return EP_OK;
  }
  int64_t h4 = w->shape.dims[1], in = w->shape.dims[2], h = h4 / 4;
  if (h < 1 || h4 != 4 * h || in != xs->dims[2] || r->shape.dims[1] != h4 || r->shape.dims[2] != h ||
      (onnx_attrs->hidden_size != 0 && onnx_attrs->hidden_size != h)) {
    return EP_OK;
  }
  if (bv != NULL && (bv->value.dtype != EP_DTYPE_FLOAT32 || bv->value.shape.rank != 2 ||
                     bv->value.shape.dims[0] != 1 || bv->value.shape.dims[1] != 8 * h)) {
    return EP_OK;
  }
  *done = true;
  int ids[4] = {x, -1, -1, -1};
  st = ep_imp_add_constant(c, wv->name, ep_shape_make(2, (int64_t[]){h4, in}), w->data, &ids[1]);
  if (st == EP_OK) st = ep_imp_add_constant(c, rv->name, ep_shape_make(2, (int64_t[]){h4, h}), r->data, &ids[2]);
  if (st != EP_OK) return st;
  int n_ids = 3;
  if (bv != NULL) {
    float* b = malloc(sizeof(float) * (size_t)h4);
    if (b == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
    const float* src = bv->value.data;
    /* Wb + Rb; Wb itself where Rb is 0 (what edgeprof exports), so weights round-trip exactly. */
    for (int64_t i = 0; i < h4; i++) b[i] = src[h4 + i] == 0.0f ? src[i] : src[i] + src[h4 + i];
    st = ep_imp_add_constant(c, bv->name, ep_shape_make(1, (int64_t[]){h4}), b, &ids[3]);
    free(b);
    if (st != EP_OK) return st;
    n_ids = 4;
  }
  ep_attrs a = ep_attrs_default(EP_OP_LSTM);
  a.hidden_size = (int)h;
  const char* sq_out = out_name(sq, 0);
  for (size_t p = 0; p < c->graph->n_node; p++) {
    if (c->graph->node[p] == sq) c->absorbed[p] = true;
  }
  int out;
  st = ep_imp_emit(c, EP_OP_LSTM, ep_imp_node_name(n), &a, ids, n_ids, sq_out, sq_out, &out);
  if (st != EP_OK) return st;
  /* Y itself is read only by the absorbed Squeeze. */
  return ep_imp_set_tensor(c, y, out);
}

static ep_status import_rnn(onnx_imp* c, const Onnx__NodeProto* n) {
  bool lstm = strcmp(n->op_type, "LSTM") == 0;
  ep_op op = lstm ? EP_OP_LSTM : EP_OP_GRU;
  ep_attrs a = ep_attrs_default(op);
  ep_status st = rnn_common(c, n, lstm ? 4 : 3, &a);
  if (st != EP_OK) return st;
  if (!lstm) a.linear_before_reset = ep_onnx_attr_int(n, "linear_before_reset", 0) != 0;
  if (lstm) {
    bool done;
    st = try_zoo_lstm(c, n, &a, &done);
    if (st != EP_OK || done) return st;
  }
  int max_in = lstm ? 8 : 6;
  int k = ep_imp_n_inputs(n);
  if (k < 3 || k > max_in) return ep_imp_bad(c, "has %d inputs, expected 3 to %d", k, max_in);
  int ids[8];
  for (int i = 0; i < k; i++) {
    if (i == 4) {
      st = seq_lens(c, n, &ids[i]);
    } else if (ep_imp_input(c, n, i) == NULL) {
      ids[i] = EP_TENSOR_ABSENT;
      st = EP_OK;
    } else {
      st = ep_imp_tensor(c, n, i, &ids[i]);
    }
    if (st != EP_OK) return st;
  }
  int max_out = lstm ? 3 : 2, n_out = 0;
  for (int i = 0; i < max_out; i++) {
    if (out_name(n, i) != NULL) n_out = i + 1;
  }
  if (n_out == 0) return EP_OK;
  char names[3][512];
  const char* outs[3];
  for (int i = 0; i < n_out; i++) {
    if (out_name(n, i) != NULL) {
      snprintf(names[i], sizeof names[i], "%s", out_name(n, i));
    } else {
      static const char* const suffix[] = {"Y", "Y_h", "Y_c"};
      ep_imp_unique_name(c, ep_imp_node_name(n), suffix[i], names[i], sizeof names[i]);
    }
    outs[i] = names[i];
  }
  int out_ids[3];
  st = ep_graph_add_node(c->g, op, ep_imp_node_name(n), &a, ids, k, n_out, outs, out_ids);
  if (st != EP_OK) return ep_imp_bad(c, "%s", ep_last_error());
  st = ep_graph_infer_node(c->g, ep_graph_node_count(c->g) - 1);
  if (st != EP_OK) return ep_imp_wrap(EP_ERR_FORMAT, c->label, NULL);
  for (int i = 0; i < n_out; i++) {
    st = ep_imp_check_size(c, out_ids[i]);
    if (st != EP_OK) return st;
    if (out_name(n, i) == NULL) continue;
    st = ep_imp_set_tensor(c, out_name(n, i), out_ids[i]);
    if (st != EP_OK) return st;
  }
  return EP_OK;
}

/* --- table ----------------------------------------------------------------------------------- */

typedef struct op_entry {
  const char* op_type;
  onnx_import_fn fn;
} op_entry;

static const op_entry table[] = {
    {"Conv", import_conv},
    {"MaxPool", import_pool},
    {"AveragePool", import_pool},
    {"GlobalAveragePool", import_global_pool},
    {"GlobalMaxPool", import_global_pool},
    {"BatchNormalization", import_batch_norm},
    {"LRN", import_lrn},
    {"Gemm", import_gemm},
    {"MatMul", import_matmul},
    {"Add", import_binary},
    {"Sub", import_binary},
    {"Mul", import_binary},
    {"Div", import_binary},
    {"Relu", import_unary},
    {"Sigmoid", import_unary},
    {"Tanh", import_unary},
    {"LeakyRelu", import_unary},
    {"Clip", import_clip},
    {"Pow", import_pow},
    {"Min", import_min_max},
    {"Max", import_min_max},
    {"Sqrt", import_math},
    {"Reciprocal", import_math},
    {"Erf", import_math},
    {"Gelu", import_math},
    {"HardSigmoid", import_math},
    {"HardSwish", import_math},
    {"Mish", import_math},
    {"Exp", import_math},
    {"Log", import_math},
    {"Neg", import_math},
    {"Abs", import_math},
    {"Softplus", import_math},
    {"Softmax", import_softmax},
    {"LogSoftmax", import_softmax},
    {"Flatten", import_flatten},
    {"Reshape", import_reshape},
    {"Squeeze", import_squeeze},
    {"Unsqueeze", import_squeeze},
    {"Concat", import_concat},
    {"Transpose", import_transpose},
    {"Pad", import_pad},
    {"LSTM", import_rnn},
    {"GRU", import_rnn},
    {"ReduceMean", ep_onnx_import_reduce},
    {"ReduceSum", ep_onnx_import_reduce},
    {"ReduceMax", ep_onnx_import_reduce},
    {"ReduceMin", ep_onnx_import_reduce},
    {"ReduceProd", ep_onnx_import_reduce},
    {"ReduceL1", ep_onnx_import_reduce},
    {"ReduceL2", ep_onnx_import_reduce},
    {"ReduceSumSquare", ep_onnx_import_reduce},
    {"ReduceLogSum", ep_onnx_import_reduce},
    {"ReduceLogSumExp", ep_onnx_import_reduce},
    {"LayerNormalization", ep_onnx_import_layer_norm},
    {"Split", ep_onnx_import_split},
    {"Tile", ep_onnx_import_tile},
    {"Einsum", ep_onnx_import_einsum},
};

onnx_import_fn ep_onnx_op_importer(const char* op_type) {
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strcmp(table[i].op_type, op_type) == 0) return table[i].fn;
  }
  return ep_onnx_index_importer(op_type);
}

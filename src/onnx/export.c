/* Graph -> ONNX model (opset 13): nodes as standard ONNX ops, weights inline as raw_data, so that
 * other runtimes run it and ep_onnx_load gives back the same graph.
 *
 * The message is built from protobuf-c structs allocated in one arena and packed once; weights
 * are not copied (raw_data points into the graph). */
#include <math.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/onnx.h"
#include "edgeprof/output.h"
#include "onnx/onnx_internal.h"

#define EXPORT_OPSET 13
#define EXPORT_IR_VERSION 7

typedef struct block {
  struct block* next;
  alignas(max_align_t) unsigned char data[];
} block;

typedef struct ex {
  const ep_graph* graph;
  block* blocks;
  bool oom;
  Onnx__NodeProto** nodes;
  size_t n_nodes, cap_nodes;
  Onnx__TensorProto** inits;
  size_t n_inits, cap_inits;
  int* consumers; /* per tensor: node inputs reading it */
} ex;

static void* arena(ex* e, size_t size) {
  block* b = calloc(1, sizeof(block) + (size ? size : 1));
  if (b == NULL) {
    e->oom = true;
    return NULL;
  }
  b->next = e->blocks;
  e->blocks = b;
  return b->data;
}

static char* str(ex* e, const char* s) {
  size_t n = strlen(s);
  char* d = arena(e, n + 1);
  if (d != NULL) memcpy(d, s, n + 1);
  return d;
}

static bool push(ex* e, void*** items, size_t* n, size_t* cap, void* item) {
  if (item == NULL) return false;
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    void** p = realloc(*items, nc * sizeof(void*));
    if (p == NULL) {
      e->oom = true;
      return false;
    }
    *items = p;
    *cap = nc;
  }
  (*items)[(*n)++] = item;
  return true;
}

/* A name not used by the graph: "base/suffix" (the exporter's own names are unique by base). */
static char* fresh(ex* e, const char* base, const char* suffix) {
  char buf[600];
  snprintf(buf, sizeof buf, "%s/%s", base, suffix);
  for (int k = 2; ep_graph_find_tensor(e->graph, buf) >= 0; k++) {
    snprintf(buf, sizeof buf, "%s/%s_%d", base, suffix, k);
  }
  return str(e, buf);
}

static Onnx__NodeProto* node(ex* e, const char* op, const char* name, int n_in,
                             const char* const* ins, int n_out, const char* const* outs) {
  Onnx__NodeProto* n = arena(e, sizeof *n);
  if (n == NULL) return NULL;
  ep_onnx__node_proto__init(n);
  n->op_type = str(e, op);
  n->name = str(e, name);
  n->input = arena(e, sizeof(char*) * (size_t)(n_in ? n_in : 1));
  n->output = arena(e, sizeof(char*) * (size_t)n_out);
  if (n->input == NULL || n->output == NULL) return NULL;
  for (int i = 0; i < n_in; i++) n->input[i] = str(e, ins[i] ? ins[i] : "");
  for (int i = 0; i < n_out; i++) n->output[i] = str(e, outs[i]);
  n->n_input = (size_t)n_in;
  n->n_output = (size_t)n_out;
  n->attribute = arena(e, sizeof(void*) * 8);
  push(e, (void***)&e->nodes, &e->n_nodes, &e->cap_nodes, n);
  return n;
}

static Onnx__AttributeProto* attr(ex* e, Onnx__NodeProto* n, const char* name,
                                  Onnx__AttributeProto__AttributeType type) {
  if (n == NULL || n->n_attribute >= 8) return NULL;
  Onnx__AttributeProto* a = arena(e, sizeof *a);
  if (a == NULL) return NULL;
  ep_onnx__attribute_proto__init(a);
  a->name = str(e, name);
  a->has_type = true;
  a->type = type;
  n->attribute[n->n_attribute++] = a;
  return a;
}

static void put_i(ex* e, Onnx__NodeProto* n, const char* name, int64_t v) {
  Onnx__AttributeProto* a = attr(e, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  if (a == NULL) return;
  a->has_i = true;
  a->i = v;
}

static void put_f(ex* e, Onnx__NodeProto* n, const char* name, float v) {
  Onnx__AttributeProto* a = attr(e, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  if (a == NULL) return;
  a->has_f = true;
  a->f = v;
}

static void put_ints(ex* e, Onnx__NodeProto* n, const char* name, const int* v, int k) {
  Onnx__AttributeProto* a = attr(e, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  if (a == NULL) return;
  a->ints = arena(e, sizeof(int64_t) * (size_t)(k ? k : 1));
  if (a->ints == NULL) return;
  for (int i = 0; i < k; i++) a->ints[i] = v[i];
  a->n_ints = (size_t)k;
}

static void put_s(ex* e, Onnx__NodeProto* n, const char* name, const char* s) {
  Onnx__AttributeProto* a = attr(e, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  if (a == NULL) return;
  a->has_s = true;
  a->s.data = (uint8_t*)str(e, s);
  a->s.len = strlen(s);
}

/* An initializer; `data` (bytes of the type) is referenced, not copied, unless `copy`. */
static Onnx__TensorProto* init(ex* e, const char* name, int32_t type, int rank,
                               const int64_t* dims, const void* data, size_t bytes, bool copy) {
  Onnx__TensorProto* t = arena(e, sizeof *t);
  if (t == NULL) return NULL;
  ep_onnx__tensor_proto__init(t);
  t->name = str(e, name);
  t->has_data_type = true;
  t->data_type = type;
  t->dims = arena(e, sizeof(int64_t) * (size_t)(rank ? rank : 1));
  if (t->dims == NULL) return NULL;
  for (int i = 0; i < rank; i++) t->dims[i] = dims[i];
  t->n_dims = (size_t)rank;
  t->has_raw_data = true;
  t->raw_data.len = bytes;
  if (copy) {
    void* d = arena(e, bytes);
    if (d != NULL && bytes) memcpy(d, data, bytes);
    t->raw_data.data = d;
  } else {
    t->raw_data.data = (uint8_t*)data;
  }
  push(e, (void***)&e->inits, &e->n_inits, &e->cap_inits, t);
  return t;
}

static const char* init_i64(ex* e, const char* base, const char* suffix, const int64_t* v, int k) {
  char* name = fresh(e, base, suffix);
  if (name == NULL) return "";
  int64_t dims[1] = {k};
  init(e, name, ONNX_INT64, 1, dims, v, sizeof(int64_t) * (size_t)k, true);
  return name;
}

static const char* init_scalar(ex* e, const char* base, const char* suffix, float v) {
  char* name = fresh(e, base, suffix);
  if (name == NULL) return "";
  init(e, name, ONNX_FLOAT, 0, NULL, &v, sizeof v, true);
  return name;
}

static const char* tname(ex* e, int id) {
  return id < 0 ? "" : ep_graph_tensor(e->graph, id)->name;
}

/* The ONNX element type of a graph tensor. */
static int32_t onnx_type(ep_dtype dtype) {
  switch (dtype) {
    case EP_DTYPE_INT64: return ONNX_INT64;
    case EP_DTYPE_BOOL: return ONNX_BOOL;
    case EP_DTYPE_FLOAT32: break;
  }
  return ONNX_FLOAT;
}

static Onnx__ValueInfoProto* value_info(ex* e, const ep_tensor* t) {
  Onnx__ValueInfoProto* v = arena(e, sizeof *v);
  Onnx__TypeProto* tp = arena(e, sizeof *tp);
  Onnx__TypeProto__Tensor* tt = arena(e, sizeof *tt);
  Onnx__TensorShapeProto* sp = arena(e, sizeof *sp);
  if (!v || !tp || !tt || !sp) return NULL;
  ep_onnx__value_info_proto__init(v);
  ep_onnx__type_proto__init(tp);
  ep_onnx__type_proto__tensor__init(tt);
  ep_onnx__tensor_shape_proto__init(sp);
  v->name = str(e, t->name);
  v->type = tp;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  tt->has_elem_type = true;
  tt->elem_type = onnx_type(t->dtype);
  tt->shape = sp;
  sp->dim = arena(e, sizeof(void*) * (size_t)(t->shape.rank ? t->shape.rank : 1));
  if (sp->dim == NULL) return NULL;
  for (int d = 0; d < t->shape.rank; d++) {
    Onnx__TensorShapeProto__Dimension* dim = arena(e, sizeof *dim);
    if (dim == NULL) return NULL;
    ep_onnx__tensor_shape_proto__dimension__init(dim);
    dim->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    dim->dim_value = t->shape.dims[d];
    sp->dim[d] = dim;
  }
  sp->n_dim = (size_t)t->shape.rank;
  return v;
}

/* --- nodes ----------------------------------------------------------------------------------- */

static void window(ex* e, Onnx__NodeProto* o, const ep_node* n, int rank, bool kernel,
                   bool dilation) {
  const ep_attrs* a = &n->attrs;
  int sp = rank - 2, off = 2 - sp;
  int k[3], s[3], d[3], p[6];
  if (sp == 3) { /* depth first */
    k[0] = a->kernel_d;
    s[0] = a->stride_d ? a->stride_d : 1;
    d[0] = a->dilation_d ? a->dilation_d : 1;
    p[0] = a->pad_front;
    p[3] = a->pad_back;
    for (int i = 0; i < 2; i++) {
      k[i + 1] = a->kernel[i];
      s[i + 1] = a->stride[i] ? a->stride[i] : 1;
      d[i + 1] = a->dilation[i] ? a->dilation[i] : 1;
      p[i + 1] = a->pad[i];
      p[i + 4] = a->pad[i + 2];
    }
  }
  for (int i = 0; sp < 3 && i < sp; i++) {
    k[i] = a->kernel[off + i];
    s[i] = a->stride[off + i] ? a->stride[off + i] : 1;
    d[i] = a->dilation[off + i] ? a->dilation[off + i] : 1;
    p[i] = a->pad[off + i];
    p[i + sp] = a->pad[off + i + 2];
  }
  if (kernel) put_ints(e, o, "kernel_shape", k, sp);
  put_ints(e, o, "strides", s, sp);
  put_ints(e, o, "pads", p, 2 * sp);
  if (dilation) put_ints(e, o, "dilations", d, sp);
}

/* One node of an op written out in opset-13 ops: op(a[, b]) into `out`, or into a fresh
 * "base/suffix" tensor when out is NULL (also the node's name); returns the output's name. */
static const char* step(ex* e, const char* op, const char* base, const char* suffix, const char* a,
                        const char* b, const char* out) {
  const char* name = fresh(e, base, suffix);
  if (out == NULL) out = name;
  const char* ins[2] = {a, b};
  node(e, op, name, b != NULL ? 2 : 1, ins, 1, &out);
  return out;
}

/* HardSigmoid(alpha 1/6, beta 1/2): EP_ACT_HARD_SIGMOID, and HardSwish's gate. */
static void hard_sigmoid_6(ex* e, const char* name, const char* in, const char* out) {
  Onnx__NodeProto* o = node(e, "HardSigmoid", name, 1, &in, 1, &out);
  put_f(e, o, "alpha", 1.0f / 6.0f);
  put_f(e, o, "beta", 0.5f);
}

/* Gelu (opset 20) as its ONNX function body in opset-13 ops: 0.5 x (1 + erf(x / sqrt 2)), or
 * with tanh_form 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))). */
static void gelu(ex* e, const char* name, const char* in, bool tanh_form, const char* out) {
  const char* half = step(e, "Mul", name, "half_x", in, init_scalar(e, name, "half", 0.5f), NULL);
  const char* t;
  if (tanh_form) {
    const char* x2 = step(e, "Mul", name, "x2", in, in, NULL);
    const char* x3 = step(e, "Mul", name, "x3", x2, in, NULL);
    const char* c = step(e, "Mul", name, "cx3", x3, init_scalar(e, name, "coef", 0.044715f), NULL);
    const char* inner = step(e, "Add", name, "inner", in, c, NULL);
    const char* u = step(e, "Mul", name, "scaled", inner,
                         init_scalar(e, name, "sqrt_2_over_pi", 0.7978845608f), NULL);
    t = step(e, "Tanh", name, "tanh", u, NULL, NULL);
  } else {
    const char* u =
        step(e, "Div", name, "scaled", in, init_scalar(e, name, "sqrt2", 1.4142135624f), NULL);
    t = step(e, "Erf", name, "erf", u, NULL, NULL);
  }
  const char* one_plus =
      step(e, "Add", name, "one_plus", t, init_scalar(e, name, "one", 1.0f), NULL);
  step(e, "Mul", name, "mul", half, one_plus, out);
}

/* The ONNX op of an activation (RELU6: Clip 0..6; HardSwish, an opset-14 op, as
 * x HardSigmoid(x), as its ONNX function body). */
static void activation(ex* e, ep_activation act, const char* name, const char* in, const char* out) {
  const char* ins[3] = {in, NULL, NULL};
  switch (act) {
    case EP_ACT_HARD_SIGMOID: hard_sigmoid_6(e, name, in, out); break;
    case EP_ACT_HARD_SWISH: {
      const char* gate = fresh(e, name, "gate");
      hard_sigmoid_6(e, gate, in, gate);
      step(e, "Mul", name, "mul", in, gate, out);
      break;
    }
    case EP_ACT_RELU: node(e, "Relu", name, 1, ins, 1, &out); break;
    case EP_ACT_SIGMOID: node(e, "Sigmoid", name, 1, ins, 1, &out); break;
    case EP_ACT_TANH: node(e, "Tanh", name, 1, ins, 1, &out); break;
    case EP_ACT_RELU6:
      ins[1] = init_scalar(e, name, "min", 0.0f);
      ins[2] = init_scalar(e, name, "max", 6.0f);
      node(e, "Clip", name, 3, ins, 1, &out);
      break;
    case EP_ACT_SILU: {
      /* As exporters write SiLU: Sigmoid(x), then Mul(x, that). */
      const char* s = fresh(e, name, "sigmoid");
      node(e, "Sigmoid", name, 1, ins, 1, &s);
      const char* mul_in[2] = {in, s};
      node(e, "Mul", fresh(e, name, "mul"), 2, mul_in, 1, &out);
      break;
    }
    case EP_ACT_GELU: gelu(e, name, in, false, out); break;
    case EP_ACT_GELU_TANH: gelu(e, name, in, true, out); break;
    case EP_ACT_NONE: break;
  }
}

/* LSTM / GRU weights of the zoo layout as ONNX wants them: [1, 4H, I], [1, 4H, H], [1, 8H]. */
static ep_status zoo_lstm(ex* e, const ep_node* n, const char* y) {
  const ep_graph* g = e->graph;
  const ep_tensor* w = ep_graph_tensor(g, n->inputs[1]);
  const ep_tensor* r = ep_graph_tensor(g, n->inputs[2]);
  int64_t h4 = w->shape.dims[0], in = w->shape.dims[1], h = h4 / 4;
  const char* names[4] = {tname(e, n->inputs[0]), NULL, NULL, NULL};
  /* The ONNX weights take the graph's names unless another node reads the same constant. */
  for (int i = 1; i < n->n_inputs && i < 4; i++) {
    const ep_tensor* t = ep_graph_tensor(g, n->inputs[i]);
    names[i] = e->consumers[n->inputs[i]] == 1 ? str(e, t->name) : fresh(e, t->name, "onnx");
  }
  init(e, names[1], ONNX_FLOAT, 3, (int64_t[]){1, h4, in}, w->data, sizeof(float) * (size_t)(h4 * in), false);
  init(e, names[2], ONNX_FLOAT, 3, (int64_t[]){1, h4, h}, r->data, sizeof(float) * (size_t)(h4 * h), false);
  if (n->n_inputs > 3) {
    const ep_tensor* b = ep_graph_tensor(g, n->inputs[3]);
    float* bb = arena(e, sizeof(float) * (size_t)(8 * h));
    if (bb == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "export: out of memory");
    memcpy(bb, b->data, sizeof(float) * (size_t)h4); /* Wb; Rb stays 0 */
    init(e, names[3], ONNX_FLOAT, 2, (int64_t[]){1, 8 * h}, bb, sizeof(float) * (size_t)(8 * h), false);
  }
  const char* y4 = fresh(e, y, "Y");
  Onnx__NodeProto* o = node(e, "LSTM", n->name, n->n_inputs > 3 ? 4 : 3, names, 1, &y4);
  put_i(e, o, "hidden_size", h);
  const int64_t axis[1] = {1};
  const char* sq_in[2] = {y4, init_i64(e, n->name, "squeeze_axes", axis, 1)};
  node(e, "Squeeze", fresh(e, n->name, "squeeze"), 2, sq_in, 1, &y);
  return EP_OK;
}

static ep_status onnx_rnn(ex* e, const ep_node* n) {
  const ep_attrs* a = &n->attrs;
  const char* ins[8];
  for (int i = 0; i < n->n_inputs && i < 8; i++) ins[i] = tname(e, n->inputs[i]);
  const char* outs[3];
  for (int i = 0; i < n->n_outputs && i < 3; i++) outs[i] = tname(e, n->outputs[i]);
  Onnx__NodeProto* o = node(e, n->op == EP_OP_LSTM ? "LSTM" : "GRU", n->name, n->n_inputs, ins,
                            n->n_outputs, outs);
  static const char* const dirs[] = {"forward", "reverse", "bidirectional"};
  put_i(e, o, "hidden_size", a->hidden_size);
  if (a->direction > 0 && a->direction < 3) put_s(e, o, "direction", dirs[a->direction]);
  if (a->rnn_clip > 0.0f) put_f(e, o, "clip", a->rnn_clip);
  if (a->rnn_layout) put_i(e, o, "layout", a->rnn_layout);
  if (n->op == EP_OP_GRU && a->linear_before_reset) put_i(e, o, "linear_before_reset", 1);
  return EP_OK;
}

/* Attention as the opset-13 chain it was fused from: [Transpose k,] MatMul, Mul by the scale,
 * [Add the mask,] Softmax on the last axis, MatMul by v. */
static void onnx_attention(ex* e, const ep_node* n, const char* const* ins, const char* y) {
  const ep_shape* ks = &ep_graph_tensor(e->graph, n->inputs[1])->shape;
  const char* kt = ins[1];
  if (n->attrs.trans_b) {
    kt = fresh(e, n->name, "k_transposed");
    Onnx__NodeProto* t = node(e, "Transpose", fresh(e, n->name, "Transpose"), 1, &ins[1], 1, &kt);
    int perm[EP_MAX_RANK];
    for (int i = 0; i < ks->rank; i++) perm[i] = i;
    perm[ks->rank - 2] = ks->rank - 1;
    perm[ks->rank - 1] = ks->rank - 2;
    put_ints(e, t, "perm", perm, ks->rank);
  }
  const char* scores = fresh(e, n->name, "scores");
  const char* qk[2] = {ins[0], kt};
  node(e, "MatMul", fresh(e, n->name, "MatMul_qk"), 2, qk, 1, &scores);
  const char* scaled = fresh(e, n->name, "scaled");
  const char* mul[2] = {scores, init_scalar(e, n->name, "scale", n->attrs.alpha)};
  node(e, "Mul", fresh(e, n->name, "Mul_scale"), 2, mul, 1, &scaled);
  if (n->n_inputs > 3) {
    const char* masked = fresh(e, n->name, "masked");
    const char* add[2] = {scaled, ins[3]};
    node(e, "Add", fresh(e, n->name, "Add_mask"), 2, add, 1, &masked);
    scaled = masked;
  }
  const char* probs = fresh(e, n->name, "probs");
  Onnx__NodeProto* sm = node(e, "Softmax", fresh(e, n->name, "Softmax"), 1, &scaled, 1, &probs);
  put_i(e, sm, "axis", -1);
  const char* pv[2] = {probs, ins[2]};
  node(e, "MatMul", n->name, 2, pv, 1, &y);
}

/* Reduce* at opset 13: axes an attribute, except ReduceSum's (an input). */
static void reduce_node(ex* e, const ep_node* n, const char* x, int rank, const char* y) {
  const ep_attrs* a = &n->attrs;
  int axes[EP_MAX_RANK], k = 0;
  int64_t axes64[EP_MAX_RANK];
  for (int d = 0; d < rank; d++) {
    if (a->reduce_axes == 0 || ((a->reduce_axes >> d) & 1u)) {
      axes64[k] = d;
      axes[k++] = d;
    }
  }
  Onnx__NodeProto* o;
  if (n->op == EP_OP_REDUCE_SUM) {
    const char* ins[2] = {x, init_i64(e, n->name, "axes", axes64, k)};
    o = node(e, "ReduceSum", n->name, 2, ins, 1, &y);
  } else {
    o = node(e, ep_op_name(n->op), n->name, 1, &x, 1, &y);
    put_ints(e, o, "axes", axes, k);
  }
  put_i(e, o, "keepdims", a->keepdims ? 1 : 0);
}

/* LayerNormalization needs opset 17: written out at 13 as exporters do (ReduceMean, Sub, Mul,
 * Add, Sqrt, Div), the optional Mean and InvStdDev outputs included. */
static void layer_norm_nodes(ex* e, const ep_node* n, const char* const* ins, int rank) {
  const ep_attrs* a = &n->attrs;
  int axes[EP_MAX_RANK], k = 0;
  for (int d = a->axis; d < rank; d++) axes[k++] = d;
  const char* nm = n->name;
  const char* mean = n->n_outputs > 1 ? tname(e, n->outputs[1]) : fresh(e, nm, "mean");
  Onnx__NodeProto* o = node(e, "ReduceMean", fresh(e, nm, "ReduceMean"), 1, ins, 1, &mean);
  put_ints(e, o, "axes", axes, k);
  const char* d = fresh(e, nm, "centered");
  const char* sub_in[2] = {ins[0], mean};
  node(e, "Sub", fresh(e, nm, "Sub"), 2, sub_in, 1, &d);
  const char* sq = fresh(e, nm, "squared");
  const char* mul_in[2] = {d, d};
  node(e, "Mul", fresh(e, nm, "Mul"), 2, mul_in, 1, &sq);
  const char* var = fresh(e, nm, "variance");
  o = node(e, "ReduceMean", fresh(e, nm, "ReduceMean_var"), 1, &sq, 1, &var);
  put_ints(e, o, "axes", axes, k);
  const char* ve = fresh(e, nm, "variance_eps");
  const char* add_in[2] = {var, init_scalar(e, nm, "epsilon", a->epsilon)};
  node(e, "Add", fresh(e, nm, "Add_eps"), 2, add_in, 1, &ve);
  const char* sd = fresh(e, nm, "std");
  node(e, "Sqrt", fresh(e, nm, "Sqrt"), 1, &ve, 1, &sd);
  if (n->n_outputs > 2) {
    const char* inv = tname(e, n->outputs[2]);
    node(e, "Reciprocal", fresh(e, nm, "Reciprocal"), 1, &sd, 1, &inv);
  }
  const char* normed = fresh(e, nm, "normalized");
  const char* div_in[2] = {d, sd};
  node(e, "Div", fresh(e, nm, "Div"), 2, div_in, 1, &normed);
  const char* y = tname(e, n->outputs[0]);
  const bool bias = n->n_inputs > 2 && n->inputs[2] >= 0;
  const char* scaled = bias ? fresh(e, nm, "scaled") : y;
  const char* sc_in[2] = {normed, ins[1]};
  node(e, "Mul", bias ? fresh(e, nm, "Mul_scale") : nm, 2, sc_in, 1, &scaled);
  if (bias) {
    const char* b_in[2] = {scaled, ins[2]};
    node(e, "Add", nm, 2, b_in, 1, &y);
  }
}

static ep_status export_node(ex* e, const ep_node* n) {
  const ep_graph* g = e->graph;
  const ep_attrs* a = &n->attrs;
  const char* ins[16];
  int k = n->n_inputs < 16 ? n->n_inputs : 16;
  for (int i = 0; i < k; i++) ins[i] = tname(e, n->inputs[i]);
  const char* out = tname(e, n->outputs[0]);
  /* A fused activation: the op writes a fresh tensor, the activation the graph's. */
  const char* y = a->act != EP_ACT_NONE ? fresh(e, out, "pre_activation") : out;
  const ep_shape* xs = k > 0 && n->inputs[0] >= 0 ? &ep_graph_tensor(g, n->inputs[0])->shape : NULL;
  Onnx__NodeProto* o = NULL;
  switch (n->op) {
    case EP_OP_CONV: {
      /* A fused residual (input 3): ONNX Conv then Add, then the activation below. */
      bool residual = k > 3 && n->inputs[3] >= 0;
      const char* cy = residual ? fresh(e, out, "pre_add") : y;
      int n_conv = k > 3 ? 3 : k;
      if (n_conv == 3 && n->inputs[2] < 0) n_conv = 2; /* no bias */
      if (k > 5) {
        /* A fused pre-activation: Mul by in_scale, Add in_shift [C, 1, 1], then its activation
         * (relu), and the conv reads that. */
        char name[600];
        const char* scaled = fresh(e, out, "in_scaled");
        const char* shifted = fresh(e, out, "in_shifted");
        const char* mul_in[2] = {ins[0], ins[4]};
        const char* add_in[2] = {scaled, ins[5]};
        snprintf(name, sizeof name, "%s/InScale", n->name);
        node(e, "Mul", name, 2, mul_in, 1, &scaled);
        snprintf(name, sizeof name, "%s/InShift", n->name);
        node(e, "Add", name, 2, add_in, 1, &shifted);
        ins[0] = shifted;
        if (a->in_act == EP_ACT_RELU) {
          const char* relu = fresh(e, out, "in_act");
          snprintf(name, sizeof name, "%s/InRelu", n->name);
          node(e, "Relu", name, 1, &shifted, 1, &relu);
          ins[0] = relu;
        }
      }
      o = node(e, "Conv", n->name, n_conv, ins, 1, &cy);
      window(e, o, n, 4, true, true);
      put_i(e, o, "group", a->group ? a->group : 1);
      if (residual) {
        char name[600];
        snprintf(name, sizeof name, "%s/Add", n->name);
        const char* add_in[2] = {cy, ins[3]};
        node(e, "Add", name, 2, add_in, 1, &y);
      }
      break;
    }
    case EP_OP_FULLY_CONNECTED:
      o = node(e, "Gemm", n->name, k, ins, 1, &y);
      put_i(e, o, "transB", 1);
      break;
    case EP_OP_GEMM:
      o = node(e, "Gemm", n->name, k, ins, 1, &y);
      put_f(e, o, "alpha", a->alpha);
      put_f(e, o, "beta", a->beta);
      if (a->trans_a) put_i(e, o, "transA", 1);
      if (a->trans_b) put_i(e, o, "transB", 1);
      break;
    case EP_OP_MATMUL: {
      /* A fused bias and residual: MatMul, then an Add for each (the activation follows). */
      const bool bias = k > 2 && n->inputs[2] >= 0, residual = k > 3 && n->inputs[3] >= 0;
      const char* mm = bias || residual ? fresh(e, out, "matmul") : y;
      o = node(e, "MatMul", n->name, 2, ins, 1, &mm);
      char name[600];
      if (bias) {
        const char* biased = residual ? fresh(e, out, "biased") : y;
        snprintf(name, sizeof name, "%s/BiasAdd", n->name);
        const char* bias_in[2] = {mm, ins[2]};
        node(e, "Add", name, 2, bias_in, 1, &biased);
        mm = biased;
      }
      if (residual) {
        snprintf(name, sizeof name, "%s/Add", n->name);
        const char* add_in[2] = {mm, ins[3]};
        node(e, "Add", name, 2, add_in, 1, &y);
      }
      break;
    }
    case EP_OP_ATTENTION: onnx_attention(e, n, ins, y); break;
    case EP_OP_LSTM:
      if (ep_graph_tensor(g, n->inputs[1])->shape.rank == 2) return zoo_lstm(e, n, out);
      return onnx_rnn(e, n);
    case EP_OP_GRU: return onnx_rnn(e, n);
    case EP_OP_MAX_POOL:
    case EP_OP_AVG_POOL: {
      bool max = n->op == EP_OP_MAX_POOL;
      int dil = (a->dilation[0] > 1 || a->dilation[1] > 1 || a->dilation_d > 1);
      if (!max && dil) return ep_error(EP_ERR_UNSUPPORTED, "export: node %s: dilated AveragePool needs opset 19", n->name);
      o = node(e, max ? "MaxPool" : "AveragePool", n->name, 1, ins, 1, &y);
      window(e, o, n, xs->rank, true, max && dil);
      if (a->ceil_mode) put_i(e, o, "ceil_mode", 1);
      if (!max && a->count_include_pad) put_i(e, o, "count_include_pad", 1);
      break;
    }
    case EP_OP_GLOBAL_AVG_POOL: o = node(e, "GlobalAveragePool", n->name, 1, ins, 1, &y); break;
    case EP_OP_GLOBAL_MAX_POOL: o = node(e, "GlobalMaxPool", n->name, 1, ins, 1, &y); break;
    case EP_OP_BATCH_NORM:
      o = node(e, "BatchNormalization", n->name, k, ins, 1, &y);
      put_f(e, o, "epsilon", a->epsilon > 0.0f ? a->epsilon : 1e-5f);
      break;
    case EP_OP_CONCAT:
      o = node(e, "Concat", n->name, k, ins, 1, &y);
      put_i(e, o, "axis", a->axis);
      break;
    case EP_OP_ADD: o = node(e, "Add", n->name, 2, ins, 1, &y); break;
    case EP_OP_SUB: o = node(e, "Sub", n->name, 2, ins, 1, &y); break;
    case EP_OP_MUL: o = node(e, "Mul", n->name, 2, ins, 1, &y); break;
    case EP_OP_DIV: o = node(e, "Div", n->name, 2, ins, 1, &y); break;
    case EP_OP_RELU: activation(e, EP_ACT_RELU, n->name, ins[0], y); break;
    case EP_OP_RELU6: activation(e, EP_ACT_RELU6, n->name, ins[0], y); break;
    case EP_OP_SIGMOID: activation(e, EP_ACT_SIGMOID, n->name, ins[0], y); break;
    case EP_OP_TANH: activation(e, EP_ACT_TANH, n->name, ins[0], y); break;
    case EP_OP_LEAKY_RELU:
      o = node(e, "LeakyRelu", n->name, 1, ins, 1, &y);
      put_f(e, o, "alpha", a->alpha);
      break;
    case EP_OP_CLIP: {
      const char* cins[3] = {ins[0], "", ""};
      if (isfinite(a->clip_min)) cins[1] = init_scalar(e, n->name, "min", a->clip_min);
      if (isfinite(a->clip_max)) cins[2] = init_scalar(e, n->name, "max", a->clip_max);
      o = node(e, "Clip", n->name, cins[2][0] ? 3 : cins[1][0] ? 2 : 1, cins, 1, &y);
      break;
    }
    case EP_OP_SOFTMAX:
    case EP_OP_LOG_SOFTMAX: {
      const char* op = n->op == EP_OP_SOFTMAX ? "Softmax" : "LogSoftmax";
      int axis = a->axis < 0 ? a->axis + xs->rank : a->axis;
      if (a->softmax_2d && axis != xs->rank - 1) {
        /* Opset 13 Softmax is one axis: flatten to 2-D, normalize rows, shape back. */
        const char* flat = fresh(e, n->name, "flat");
        const char* norm = fresh(e, n->name, "rows");
        Onnx__NodeProto* f = node(e, "Flatten", fresh(e, n->name, "flatten"), 1, ins, 1, &flat);
        put_i(e, f, "axis", axis);
        o = node(e, op, fresh(e, n->name, "softmax"), 1, &flat, 1, &norm);
        put_i(e, o, "axis", 1);
        const char* rin[2] = {norm, init_i64(e, n->name, "shape", xs->dims, xs->rank)};
        node(e, "Reshape", n->name, 2, rin, 1, &y);
      } else {
        o = node(e, op, n->name, 1, ins, 1, &y);
        put_i(e, o, "axis", axis);
      }
      break;
    }
    case EP_OP_FLATTEN:
      o = node(e, "Flatten", n->name, 1, ins, 1, &y);
      put_i(e, o, "axis", a->axis);
      break;
    case EP_OP_RESHAPE: {
      const char* rin[2] = {ins[0], init_i64(e, n->name, "shape", a->shape.dims, a->shape.rank)};
      o = node(e, "Reshape", n->name, 2, rin, 1, &y);
      break;
    }
    case EP_OP_TRANSPOSE:
      o = node(e, "Transpose", n->name, 1, ins, 1, &y);
      put_ints(e, o, "perm", a->perm, xs->rank);
      break;
    case EP_OP_PAD: {
      static const char* const modes[] = {"constant", "reflect", "edge", "wrap"};
      if (a->pad_mode == EP_PAD_WRAP) {
        return ep_error(EP_ERR_UNSUPPORTED, "export: node %s: wrap padding needs opset 19", n->name);
      }
      int64_t pads[2 * EP_MAX_RANK];
      for (int i = 0; i < 2 * xs->rank; i++) pads[i] = a->pads[i];
      const char* pin[3] = {ins[0], init_i64(e, n->name, "pads", pads, 2 * xs->rank),
                            init_scalar(e, n->name, "value", a->pad_value)};
      o = node(e, "Pad", n->name, 3, pin, 1, &y);
      if (a->pad_mode > 0 && a->pad_mode < 4) put_s(e, o, "mode", modes[a->pad_mode]);
      break;
    }
    case EP_OP_POW: o = node(e, "Pow", n->name, 2, ins, 1, &y); break;
    case EP_OP_MIN: o = node(e, "Min", n->name, k, ins, 1, &y); break;
    case EP_OP_MAX: o = node(e, "Max", n->name, k, ins, 1, &y); break;
    case EP_OP_SQRT: o = node(e, "Sqrt", n->name, 1, ins, 1, &y); break;
    case EP_OP_RECIPROCAL: o = node(e, "Reciprocal", n->name, 1, ins, 1, &y); break;
    case EP_OP_ERF: o = node(e, "Erf", n->name, 1, ins, 1, &y); break;
    case EP_OP_EXP: o = node(e, "Exp", n->name, 1, ins, 1, &y); break;
    case EP_OP_LOG: o = node(e, "Log", n->name, 1, ins, 1, &y); break;
    case EP_OP_NEG: o = node(e, "Neg", n->name, 1, ins, 1, &y); break;
    case EP_OP_ABS: o = node(e, "Abs", n->name, 1, ins, 1, &y); break;
    case EP_OP_SOFTPLUS: o = node(e, "Softplus", n->name, 1, ins, 1, &y); break;
    case EP_OP_HARD_SIGMOID:
      o = node(e, "HardSigmoid", n->name, 1, ins, 1, &y);
      put_f(e, o, "alpha", a->alpha);
      put_f(e, o, "beta", a->beta);
      break;
    case EP_OP_HARD_SWISH: activation(e, EP_ACT_HARD_SWISH, n->name, ins[0], y); break;
    /* Mish (opset 18) and Gelu (opset 20) as their ONNX function bodies in opset-13 ops. */
    case EP_OP_MISH: {
      const char* sp = step(e, "Softplus", n->name, "softplus", ins[0], NULL, NULL);
      const char* th = step(e, "Tanh", n->name, "tanh", sp, NULL, NULL);
      step(e, "Mul", n->name, "mul", ins[0], th, y);
      break;
    }
    case EP_OP_GELU: gelu(e, n->name, ins[0], a->gelu_tanh, y); break;
    case EP_OP_GATHER:
      o = node(e, "Gather", n->name, 2, ins, 1, &y);
      put_i(e, o, "axis", a->axis);
      break;
    case EP_OP_CAST:
      o = node(e, "Cast", n->name, 1, ins, 1, &y);
      put_i(e, o, "to", onnx_type(a->cast_to));
      break;
    case EP_OP_EQUAL: o = node(e, "Equal", n->name, 2, ins, 1, &y); break;
    case EP_OP_LESS: o = node(e, "Less", n->name, 2, ins, 1, &y); break;
    case EP_OP_GREATER: o = node(e, "Greater", n->name, 2, ins, 1, &y); break;
    /* LessOrEqual and GreaterOrEqual are opset 12; opset 13 has them. */
    case EP_OP_LESS_OR_EQUAL: o = node(e, "LessOrEqual", n->name, 2, ins, 1, &y); break;
    case EP_OP_GREATER_OR_EQUAL: o = node(e, "GreaterOrEqual", n->name, 2, ins, 1, &y); break;
    case EP_OP_AND: o = node(e, "And", n->name, 2, ins, 1, &y); break;
    case EP_OP_OR: o = node(e, "Or", n->name, 2, ins, 1, &y); break;
    case EP_OP_XOR: o = node(e, "Xor", n->name, 2, ins, 1, &y); break;
    case EP_OP_NOT: o = node(e, "Not", n->name, 1, ins, 1, &y); break;
    case EP_OP_WHERE: o = node(e, "Where", n->name, 3, ins, 1, &y); break;
    case EP_OP_SHAPE: o = node(e, "Shape", n->name, 1, ins, 1, &y); break;
    case EP_OP_SIZE: o = node(e, "Size", n->name, 1, ins, 1, &y); break;
    case EP_OP_SLICE: {
      int ks = k;
      while (ks > 3 && n->inputs[ks - 1] < 0) ks--;
      if (ks == 5 && n->inputs[3] < 0) { /* steps without axes: write the default axes */
        int64_t axes[EP_MAX_RANK];
        const ep_tensor* st = ep_graph_tensor(g, n->inputs[1]);
        for (int i = 0; i < st->shape.dims[0]; i++) axes[i] = i;
        ins[3] = init_i64(e, n->name, "axes", axes, (int)st->shape.dims[0]);
      }
      o = node(e, "Slice", n->name, ks, ins, 1, &y);
      break;
    }
    case EP_OP_EXPAND: o = node(e, "Expand", n->name, 2, ins, 1, &y); break;
    case EP_OP_CONSTANT_OF_SHAPE: {
      /* Expand of the value (a float32 0 when absent) to the shape: the same tensor, without a
       * tensor-valued attribute. */
      const char* ein[2] = {k > 1 && n->inputs[1] >= 0 ? ins[1]
                                                        : init_scalar(e, n->name, "value", 0.0f),
                            ins[0]};
      o = node(e, "Expand", n->name, 2, ein, 1, &y);
      break;
    }
    case EP_OP_RANGE: o = node(e, "Range", n->name, 3, ins, 1, &y); break;
    case EP_OP_LRN:
      o = node(e, "LRN", n->name, 1, ins, 1, &y);
      put_i(e, o, "size", a->size);
      put_f(e, o, "alpha", a->alpha);
      put_f(e, o, "beta", a->beta);
      put_f(e, o, "bias", a->lrn_bias);
      break;
    case EP_OP_REDUCE_MEAN:
    case EP_OP_REDUCE_SUM:
    case EP_OP_REDUCE_MAX:
    case EP_OP_REDUCE_MIN:
    case EP_OP_REDUCE_PROD:
    case EP_OP_REDUCE_L1:
    case EP_OP_REDUCE_L2:
    case EP_OP_REDUCE_SUM_SQUARE:
    case EP_OP_REDUCE_LOG_SUM:
    case EP_OP_REDUCE_LOG_SUM_EXP: reduce_node(e, n, ins[0], xs->rank, y); break;
    case EP_OP_LAYER_NORM: layer_norm_nodes(e, n, ins, xs->rank); break;
    case EP_OP_SPLIT: {
      int64_t sizes[EP_MAX_SPLIT];
      const char* outs[EP_MAX_SPLIT];
      for (int i = 0; i < n->n_outputs && i < EP_MAX_SPLIT; i++) {
        sizes[i] = a->split[i];
        outs[i] = tname(e, n->outputs[i]);
      }
      const char* sin[2] = {ins[0], init_i64(e, n->name, "split", sizes, n->n_outputs)};
      o = node(e, "Split", n->name, 2, sin, n->n_outputs, outs);
      put_i(e, o, "axis", a->axis);
      break;
    }
    case EP_OP_TILE: {
      int64_t reps[EP_MAX_RANK];
      for (int d = 0; d < xs->rank; d++) reps[d] = a->repeats[d];
      const char* tin[2] = {ins[0], init_i64(e, n->name, "repeats", reps, xs->rank)};
      o = node(e, "Tile", n->name, 2, tin, 1, &y);
      break;
    }
    default:
      return ep_error(EP_ERR_UNSUPPORTED, "export: node %s: op %s has no ONNX form", n->name,
                      ep_op_name(n->op));
  }
  if (a->act != EP_ACT_NONE) {
    char name[600];
    snprintf(name, sizeof name, "%s/%s", n->name, ep_activation_name(a->act));
    activation(e, a->act, name, y, out);
  }
  return EP_OK;
}

ep_status ep_onnx_export(const ep_graph* graph, const char* path) {
  if (graph == NULL) return ep_error(EP_ERR_INVALID_ARGUMENT, "export: needs a finalized graph");
  return ep_onnx_export_range(graph, 0, ep_graph_node_count(graph), NULL, path);
}

ep_status ep_onnx_export_range(const ep_graph* graph, int first, int end, const char* name,
                               const char* path) {
  if (graph == NULL || path == NULL || !ep_graph_is_finalized(graph)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "export: needs a finalized graph and a path");
  }
  if (first < 0 || end > ep_graph_node_count(graph) || first >= end) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "export: nodes [%d, %d) are not a range of 1 to %d nodes",
                    first, end, ep_graph_node_count(graph));
  }
  ex e;
  memset(&e, 0, sizeof e);
  e.graph = graph;
  ep_status st = EP_OK;
  uint8_t* buf = NULL;
  ep_output* out = NULL;
  int n_tensors = ep_graph_tensor_count(graph);
  e.consumers = calloc((size_t)n_tensors + 1, sizeof(int));
  if (e.consumers == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "export: out of memory");
  bool* zoo_rnn_weight = calloc((size_t)n_tensors + 1, sizeof(bool));
  if (zoo_rnn_weight == NULL) {
    free(e.consumers);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "export: out of memory");
  }
  for (int i = first; i < end; i++) {
    const ep_node* n = ep_graph_node(graph, i);
    for (int k = 0; k < n->n_inputs; k++) {
      if (n->inputs[k] >= 0) e.consumers[n->inputs[k]]++;
    }
    if (n->op == EP_OP_LSTM && ep_graph_tensor(graph, n->inputs[1])->shape.rank == 2) {
      for (int k = 1; k < n->n_inputs; k++) zoo_rnn_weight[n->inputs[k]] = true;
    }
  }
  /* Constants, except those a zoo LSTM alone reads (it writes them in ONNX's layout). */
  for (int id = 0; id < n_tensors; id++) {
    const ep_tensor* t = ep_graph_tensor(graph, id);
    if (t->kind != EP_TENSOR_CONSTANT) continue;
    if (zoo_rnn_weight[id] && e.consumers[id] == 1) continue;
    if (e.consumers[id] == 0) continue;
    bool is_seq_lens = false;
    for (int i = first; i < end && !is_seq_lens; i++) {
      const ep_node* n = ep_graph_node(graph, i);
      is_seq_lens = (n->op == EP_OP_LSTM || n->op == EP_OP_GRU) && n->n_inputs > 4 &&
                    n->inputs[4] == id;
    }
    int64_t numel = ep_shape_numel(&t->shape);
    if (is_seq_lens) { /* ONNX wants int32 */
      int32_t* v = arena(&e, sizeof(int32_t) * (size_t)numel);
      if (v == NULL) break;
      for (int64_t i = 0; i < numel; i++) v[i] = (int32_t)t->data[i];
      init(&e, t->name, ONNX_INT32, t->shape.rank, t->shape.dims, v, sizeof(int32_t) * (size_t)numel, false);
    } else {
      /* int64 and bool raw_data are the graph's own bytes (little-endian int64, one byte per
       * bool), as ONNX stores them. */
      init(&e, t->name, onnx_type(t->dtype), t->shape.rank, t->shape.dims, t->raw,
           ep_dtype_size(t->dtype) * (size_t)numel, false);
    }
  }
  for (int i = first; i < end && st == EP_OK; i++) {
    st = export_node(&e, ep_graph_node(graph, i));
  }
  if (st != EP_OK) goto cleanup;

  Onnx__GraphProto* g = arena(&e, sizeof *g);
  Onnx__ModelProto* m = arena(&e, sizeof *m);
  Onnx__OperatorSetIdProto* opset = arena(&e, sizeof *opset);
  Onnx__OperatorSetIdProto** opsets = arena(&e, sizeof(void*));
  /* The range's own inputs and outputs: for the whole graph, the graph's. */
  int n_in = ep_graph_range_inputs(graph, first, end, NULL, 0);
  int n_out = ep_graph_range_outputs(graph, first, end, NULL, 0);
  Onnx__ValueInfoProto** ins = arena(&e, sizeof(void*) * (size_t)(n_in + 1));
  Onnx__ValueInfoProto** outs = arena(&e, sizeof(void*) * (size_t)(n_out + 1));
  int* in_ids = arena(&e, sizeof(int) * (size_t)(n_in + 1));
  int* out_ids = arena(&e, sizeof(int) * (size_t)(n_out + 1));
  if (e.oom || !g || !m || !opset || !opsets || !ins || !outs || !in_ids || !out_ids) goto oom;
  ep_graph_range_inputs(graph, first, end, in_ids, n_in);
  ep_graph_range_outputs(graph, first, end, out_ids, n_out);
  ep_onnx__graph_proto__init(g);
  ep_onnx__model_proto__init(m);
  ep_onnx__operator_set_id_proto__init(opset);
  for (int i = 0; i < n_in; i++) {
    if ((ins[i] = value_info(&e, ep_graph_tensor(graph, in_ids[i]))) == NULL) goto oom;
  }
  for (int i = 0; i < n_out; i++) {
    if ((outs[i] = value_info(&e, ep_graph_tensor(graph, out_ids[i]))) == NULL) goto oom;
  }
  g->name = str(&e, name != NULL ? name : ep_graph_name(graph));
  g->node = e.nodes;
  g->n_node = e.n_nodes;
  g->initializer = e.inits;
  g->n_initializer = e.n_inits;
  g->input = ins;
  g->n_input = (size_t)n_in;
  g->output = outs;
  g->n_output = (size_t)n_out;
  opset->domain = str(&e, "");
  opset->has_version = true;
  opset->version = EXPORT_OPSET;
  opsets[0] = opset;
  m->has_ir_version = true;
  m->ir_version = EXPORT_IR_VERSION;
  m->producer_name = str(&e, "edgeprof");
  m->producer_version = str(&e, "0.1.0");
  m->opset_import = opsets;
  m->n_opset_import = 1;
  m->graph = g;
  if (e.oom) goto oom;
  size_t size = ep_onnx__model_proto__get_packed_size(m);
  buf = malloc(size ? size : 1);
  if (buf == NULL) goto oom;
  ep_onnx__model_proto__pack(m, buf);
  st = ep_output_open(path, &out);
  if (st != EP_OK) goto cleanup;
  if (fwrite(buf, 1, size, ep_output_stream(out)) != size) {
    st = ep_error(EP_ERR_IO, "export: cannot write %s", path);
    goto cleanup;
  }
  st = ep_output_commit(out);
  out = NULL;
  goto cleanup;

oom:
  st = ep_error(EP_ERR_OUT_OF_MEMORY, "export: out of memory");
cleanup:
  if (out != NULL) ep_output_discard(out);
  free(buf);
  free(e.nodes);
  free(e.inits);
  free(e.consumers);
  free(zoo_rnn_weight);
  while (e.blocks != NULL) {
    block* next = e.blocks->next;
    free(e.blocks);
    e.blocks = next;
  }
  return st;
}

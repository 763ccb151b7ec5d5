/* Importers of the int64 and bool ops that run at run time: Gather with computed indices, Cast,
 * comparisons, logic, Where, Slice and Expand of computed data, Range. (What reads only constants
 * is folded at load by shape_fold.c before an importer is asked.) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_internal.h"

static ep_status emit(onnx_imp* c, const Onnx__NodeProto* n, ep_op op, const ep_attrs* a,
                      const int* inputs, int n_inputs) {
  if (n->n_output < 1 || n->output[0] == NULL || n->output[0][0] == '\0') return EP_OK;
  const char* y = n->output[0];
  return ep_imp_emit(c, op, ep_imp_node_name(n), a, inputs, n_inputs, y, y, NULL);
}

static ep_status need_inputs(onnx_imp* c, const Onnx__NodeProto* n, int lo, int hi) {
  int k = ep_imp_n_inputs(n);
  if (k < lo || k > hi) return ep_imp_bad(c, "has %d inputs, expected %d to %d", k, lo, hi);
  return EP_OK;
}

static bool is_const(onnx_imp* c, const Onnx__NodeProto* n, int i) {
  ov* v = ep_imp_input(c, n, i);
  return v != NULL && (v->kind == OV_CONST || v->kind == OV_BOUND);
}

/* Input i, known at load, as a graph constant of `dtype` (a bound input not yet a graph input
 * becomes a constant, as weights do). */
static ep_status const_tensor(onnx_imp* c, const Onnx__NodeProto* n, int i, ep_dtype dtype,
                              int* id) {
  ov* v = ep_imp_input(c, n, i);
  if (v != NULL && v->kind == OV_BOUND && v->tensor < 0) v->kind = OV_CONST;
  if (v != NULL && v->tensor >= 0 && ep_graph_tensor(c->g, v->tensor)->kind != EP_TENSOR_CONSTANT) {
    return ep_imp_unsupported(c, "input %d (%s) is both data and a parameter known at load", i,
                              v->name);
  }
  return ep_imp_tensor_as(c, n, i, dtype, id);
}

/* Inputs [first, first + k) that must share a dtype: a computed one sets it, and constants are
 * made of it (the host holds bools as int64, so a folded mask meets a bool tensor as int64). */
static ep_status inputs_alike(onnx_imp* c, const Onnx__NodeProto* n, int first, int k, int* ids) {
  int want = -1;
  for (int i = first; i < first + k && want < 0; i++) {
    ov* v = ep_imp_input(c, n, i);
    if (v != NULL && v->kind == OV_DYNAMIC) want = (int)ep_graph_tensor(c->g, v->tensor)->dtype;
  }
  for (int i = first; i < first + k; i++) {
    ep_status st = want >= 0 ? ep_imp_tensor_as(c, n, i, (ep_dtype)want, &ids[i - first])
                             : ep_imp_tensor(c, n, i, &ids[i - first]);
    if (st != EP_OK) return st;
  }
  return EP_OK;
}

static ep_status import_gather(onnx_imp* c, const Onnx__NodeProto* n) {
  ep_status st = need_inputs(c, n, 2, 2);
  if (st != EP_OK) return st;
  int ids[2];
  st = ep_imp_tensor(c, n, 0, &ids[0]);
  if (st == EP_OK) st = ep_imp_tensor_as(c, n, 1, EP_DTYPE_INT64, &ids[1]);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_GATHER);
  a.axis = (int)ep_onnx_attr_int(n, "axis", 0);
  return emit(c, n, EP_OP_GATHER, &a, ids, 2);
}

static ep_status import_cast(onnx_imp* c, const Onnx__NodeProto* n) {
  ep_status st = need_inputs(c, n, 1, 1);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_CAST);
  int64_t to = ep_onnx_attr_int(n, "to", 0);
  switch (to) {
    case ONNX_FLOAT: case ONNX_DOUBLE: case ONNX_FLOAT16: a.cast_to = EP_DTYPE_FLOAT32; break;
    case ONNX_INT64: case ONNX_INT32: a.cast_to = EP_DTYPE_INT64; break; /* int32 is widened */
    case ONNX_BOOL: a.cast_to = EP_DTYPE_BOOL; break;
    default: return ep_imp_unsupported(c, "cast to ONNX type %lld (float, int64, int32, bool only)", (long long)to);
  }
  int x;
  st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  return emit(c, n, EP_OP_CAST, &a, &x, 1);
}

static ep_status import_compare(onnx_imp* c, const Onnx__NodeProto* n) {
  static const struct {
    const char* name;
    ep_op op;
  } ops[] = {{"Equal", EP_OP_EQUAL}, {"Less", EP_OP_LESS}, {"Greater", EP_OP_GREATER},
             {"LessOrEqual", EP_OP_LESS_OR_EQUAL}, {"GreaterOrEqual", EP_OP_GREATER_OR_EQUAL},
             {"And", EP_OP_AND}, {"Or", EP_OP_OR}, {"Xor", EP_OP_XOR}};
  ep_op op = EP_OP_EQUAL;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (strcmp(ops[i].name, n->op_type) == 0) op = ops[i].op;
  }
  ep_status st = need_inputs(c, n, 2, 2);
  if (st != EP_OK) return st;
  int ids[2];
  if (op == EP_OP_AND || op == EP_OP_OR || op == EP_OP_XOR) {
    st = ep_imp_tensor_as(c, n, 0, EP_DTYPE_BOOL, &ids[0]);
    if (st == EP_OK) st = ep_imp_tensor_as(c, n, 1, EP_DTYPE_BOOL, &ids[1]);
  } else {
    st = inputs_alike(c, n, 0, 2, ids);
  }
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(op);
  return emit(c, n, op, &a, ids, 2);
}

static ep_status import_not(onnx_imp* c, const Onnx__NodeProto* n) {
  ep_status st = need_inputs(c, n, 1, 1);
  if (st != EP_OK) return st;
  int x;
  st = ep_imp_tensor_as(c, n, 0, EP_DTYPE_BOOL, &x);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_NOT);
  return emit(c, n, EP_OP_NOT, &a, &x, 1);
}

static ep_status import_where(onnx_imp* c, const Onnx__NodeProto* n) {
  ep_status st = need_inputs(c, n, 3, 3);
  if (st != EP_OK) return st;
  int ids[3];
  st = ep_imp_tensor_as(c, n, 0, EP_DTYPE_BOOL, &ids[0]);
  if (st == EP_OK) st = inputs_alike(c, n, 1, 2, ids + 1);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_WHERE);
  return emit(c, n, EP_OP_WHERE, &a, ids, 3);
}

/* Input i, an int64 vector the output's shape depends on: a constant, or the node is refused. */
static ep_status shape_input(onnx_imp* c, const Onnx__NodeProto* n, int i, const char* what,
                             int* id) {
  if (!is_const(c, n, i)) {
    return ep_imp_unsupported(c, "its %s are computed at run time (the output's shape would depend "
                                 "on data)", what);
  }
  return const_tensor(c, n, i, EP_DTYPE_INT64, id);
}

/* An int64 list attribute as a graph constant (Slice before opset 10). */
static ep_status attr_const(onnx_imp* c, const Onnx__NodeProto* n, const char* name, int* id,
                            bool* found) {
  int64_t v[EP_MAX_RANK];
  int count;
  *found = false;
  ep_status st = ep_onnx_attr_ints(c, n, name, v, EP_MAX_RANK, &count);
  if (st != EP_OK || count < 0) return st;
  *found = true;
  char base[300];
  snprintf(base, sizeof base, "%s/%s", ep_imp_node_name(n), name);
  return ep_imp_add_constant_typed(c, base, EP_DTYPE_INT64, ep_shape_make(1, (int64_t[]){count}),
                                   v, id);
}

static ep_status import_slice(onnx_imp* c, const Onnx__NodeProto* n) {
  static const char* const what[] = {"data", "starts", "ends", "axes", "steps"};
  int ids[5] = {-1, -1, -1, -1, -1};
  int k;
  ep_status st;
  if (c->opset >= 10) {
    st = need_inputs(c, n, 3, 5);
    if (st != EP_OK) return st;
    k = ep_imp_n_inputs(n);
    st = ep_imp_tensor(c, n, 0, &ids[0]);
    for (int i = 1; i < k && st == EP_OK; i++) {
      if (ep_imp_input(c, n, i) == NULL) continue; /* absent axes before steps */
      st = shape_input(c, n, i, what[i], &ids[i]);
    }
  } else {
    st = need_inputs(c, n, 1, 1);
    if (st == EP_OK) st = ep_imp_tensor(c, n, 0, &ids[0]);
    bool found[3];
    for (int i = 0; i < 3 && st == EP_OK; i++) st = attr_const(c, n, what[i + 1], &ids[i + 1], &found[i]);
    if (st != EP_OK) return st;
    if (!found[0] || !found[1]) return ep_imp_bad(c, "starts and ends are required");
    k = found[2] ? 4 : 3;
  }
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_SLICE);
  return emit(c, n, EP_OP_SLICE, &a, ids, k);
}

static ep_status import_expand(onnx_imp* c, const Onnx__NodeProto* n) {
  ep_status st = need_inputs(c, n, 2, 2);
  if (st != EP_OK) return st;
  int ids[2];
  st = ep_imp_tensor(c, n, 0, &ids[0]);
  if (st == EP_OK) st = shape_input(c, n, 1, "target shape", &ids[1]);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_EXPAND);
  return emit(c, n, EP_OP_EXPAND, &a, ids, 2);
}

static ep_status shape_input(onnx_imp* c, const Onnx__NodeProto* n, int i, const char* what,
                             int* id);

static ep_status import_range(onnx_imp* c, const Onnx__NodeProto* n) {
  ep_status st = need_inputs(c, n, 3, 3);
  if (st != EP_OK) return st;
  for (int i = 0; i < 3; i++) {
    if (!is_const(c, n, i)) {
      return ep_imp_unsupported(c, "input %d is computed at run time (the output's length would "
                                   "depend on data)", i);
    }
  }
  int ids[3];
  const ep_host_tensor* t;
  st = ep_imp_const(c, n, 0, &t);
  if (st != EP_OK) return st;
  ep_dtype dtype = t->dtype; /* int32 values are int64 on the host */
  for (int i = 0; i < 3 && st == EP_OK; i++) st = const_tensor(c, n, i, dtype, &ids[i]);
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_RANGE);
  return emit(c, n, EP_OP_RANGE, &a, ids, 3);
}

/* Reached when the shape is a bound input (the ONNX test runner's): a constant value is folded. */
static ep_status import_constant_of_shape(onnx_imp* c, const Onnx__NodeProto* n) {
  ep_status st = need_inputs(c, n, 1, 1);
  if (st != EP_OK) return st;
  int ids[2];
  st = shape_input(c, n, 0, "shape", &ids[0]);
  if (st != EP_OK) return st;
  const Onnx__AttributeProto* attr = ep_onnx_attr_find(n, "value");
  int k = 1;
  if (attr != NULL && attr->t != NULL) {
    ep_host_tensor value;
    st = ep_onnx_tensor_from_proto(attr->t, NULL, c->label, &value);
    if (st != EP_OK) return st;
    ep_dtype dtype = value.dtype;
    if (dtype == EP_DTYPE_INT64 && attr->t->data_type == ONNX_BOOL) dtype = EP_DTYPE_BOOL;
    int64_t v = ep_host_get_i(&value, 0);
    uint8_t b = v != 0;
    const void* data = dtype == EP_DTYPE_BOOL ? (const void*)&b : value.data;
    if (ep_shape_numel(&value.shape) != 1) {
      st = ep_imp_bad(c, "value must hold one element");
    } else {
      char base[300];
      snprintf(base, sizeof base, "%s/value", ep_imp_node_name(n));
      st = ep_imp_add_constant_typed(c, base, dtype, ep_shape_make(1, (int64_t[]){1}), data,
                                     &ids[1]);
      k = 2;
    }
    ep_host_tensor_free(&value);
    if (st != EP_OK) return st;
  }
  ep_attrs a = ep_attrs_default(EP_OP_CONSTANT_OF_SHAPE);
  return emit(c, n, EP_OP_CONSTANT_OF_SHAPE, &a, ids, k);
}

onnx_import_fn ep_onnx_index_importer(const char* op_type) {
  static const struct {
    const char* op;
    onnx_import_fn fn;
  } table[] = {
      {"Gather", import_gather},   {"Cast", import_cast},
      {"Equal", import_compare},   {"Less", import_compare},
      {"Greater", import_compare}, {"LessOrEqual", import_compare},
      {"GreaterOrEqual", import_compare}, {"And", import_compare},
      {"Or", import_compare},      {"Xor", import_compare},
      {"Not", import_not},         {"Where", import_where},
      {"Slice", import_slice},     {"Expand", import_expand},
      {"Range", import_range},     {"ConstantOfShape", import_constant_of_shape},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strcmp(table[i].op, op_type) == 0) return table[i].fn;
  }
  return NULL;
}

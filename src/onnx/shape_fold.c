/* Constant folding at load: the shape arithmetic exporters emit (Shape -> Gather -> Unsqueeze ->
 * Concat -> Reshape, Equal/Where on the -1 ("infer this dim") entries of Reshape targets, the
 * Expand of an RNN's zero initial state, the ScatterND writes of Swin's shifted-window mask)
 * and anything else computed from constants only, evaluated on host tensors so that the graph
 * keeps only the layers that run. This file is the table and its driver; the folds themselves
 * are in fold_shape.c (shapes, data movement) and fold_math.c (arithmetic, comparisons, logic). */
#include <string.h>

#include "onnx/fold_internal.h"

/* --- table ----------------------------------------------------------------------------------- */

typedef struct fold_entry {
  const char* op;
  fold_fn fn;
  bool only;        /* no run-time importer of its own here: only constants */
  bool shape_only;  /* reads only its input's shape */
  int required;     /* leading inputs that must be present (-1: all); the rest are optional */
} fold_entry;

static const fold_entry table[] = {
    {"Constant", ep_fold_constant, true, false, 0},
    {"Shape", ep_fold_shape, true, true, 1},
    {"Size", ep_fold_size, true, true, 1},
    {"Gather", ep_fold_gather, true, false, 2},
    {"Unsqueeze", ep_fold_view, false, false, 1},
    {"Squeeze", ep_fold_view, false, false, 1},
    {"Reshape", ep_fold_view, false, false, 2},
    {"Flatten", ep_fold_view, false, false, 1},
    {"Concat", ep_fold_concat, false, false, -1},
    {"Expand", ep_fold_expand, true, false, 2},
    {"ConstantOfShape", ep_fold_constant_of_shape, true, false, 1},
    {"Slice", ep_fold_slice, true, false, 1},
    {"Transpose", ep_fold_transpose, false, false, 1},
    {"Range", ep_fold_range, true, false, 3},
    {"ScatterND", ep_fold_scatter_nd, true, false, 3},
    {"Cast", ep_fold_cast, true, false, 1},
    {"Add", ep_fold_arith, false, false, 2},
    {"Sub", ep_fold_arith, false, false, 2},
    {"Mul", ep_fold_arith, false, false, 2},
    {"Div", ep_fold_arith, false, false, 2},
    {"Mod", ep_fold_arith, true, false, 2},
    {"Pow", ep_fold_arith, true, false, 2},
    {"Min", ep_fold_arith, true, false, -1},
    {"Max", ep_fold_arith, true, false, -1},
    {"Sum", ep_fold_arith, true, false, -1},
    {"Mean", ep_fold_arith, true, false, -1},
    {"Equal", ep_fold_compare, true, false, 2},
    {"Less", ep_fold_compare, true, false, 2},
    {"LessOrEqual", ep_fold_compare, true, false, 2},
    {"Greater", ep_fold_compare, true, false, 2},
    {"GreaterOrEqual", ep_fold_compare, true, false, 2},
    {"And", ep_fold_compare, true, false, 2},
    {"Or", ep_fold_compare, true, false, 2},
    {"Xor", ep_fold_compare, true, false, 2},
    {"Where", ep_fold_where, true, false, 3},
    {"Not", ep_fold_unary, true, false, 1},
    {"Neg", ep_fold_unary, true, false, 1},
    {"Abs", ep_fold_unary, true, false, 1},
    {"Sign", ep_fold_unary, true, false, 1},
    {"Sqrt", ep_fold_unary, true, false, 1},
    {"Reciprocal", ep_fold_unary, true, false, 1},
    {"Floor", ep_fold_unary, true, false, 1},
    {"Ceil", ep_fold_unary, true, false, 1},
    {"Round", ep_fold_unary, true, false, 1},
    {"Exp", ep_fold_unary, true, false, 1},
    {"Log", ep_fold_unary, true, false, 1},
};

/* Whether the folded value is an ONNX bool (held as int64 0 / 1): a graph constant made of it
 * is then bool. Comparisons and logic make bools; data movement keeps its data input's type. */
static bool result_is_bool(onnx_imp* c, const Onnx__NodeProto* n) {
  static const char* const makes_bool[] = {"Equal", "Less", "LessOrEqual", "Greater",
                                           "GreaterOrEqual", "And", "Or", "Xor", "Not"};
  static const char* const keeps_type[] = {"Gather", "Slice", "Concat", "Squeeze", "Unsqueeze",
                                           "Reshape", "Flatten", "Expand", "Transpose",
                                           "ScatterND"};
  const char* op = n->op_type;
  for (size_t i = 0; i < sizeof makes_bool / sizeof makes_bool[0]; i++) {
    if (strcmp(op, makes_bool[i]) == 0) return true;
  }
  int from = strcmp(op, "Where") == 0 ? 1 : -1;
  for (size_t i = 0; i < sizeof keeps_type / sizeof keeps_type[0]; i++) {
    if (strcmp(op, keeps_type[i]) == 0) from = 0;
  }
  if (from >= 0) {
    ov* v = ep_imp_input(c, n, from);
    return v != NULL && v->is_bool;
  }
  if (strcmp(op, "Cast") == 0) return ep_onnx_attr_int(n, "to", 0) == ONNX_BOOL;
  if (strcmp(op, "Constant") == 0 || strcmp(op, "ConstantOfShape") == 0) {
    const Onnx__AttributeProto* a = ep_onnx_attr_find(n, "value");
    return a != NULL && a->t != NULL && a->t->data_type == ONNX_BOOL;
  }
  return false;
}

static const fold_entry* find_entry(const char* op) {
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strcmp(table[i].op, op) == 0) return &table[i];
  }
  return NULL;
}

bool ep_onnx_fold_known(const char* op_type) { return find_entry(op_type) != NULL; }

bool ep_onnx_fold_only(const char* op_type) {
  const fold_entry* e = find_entry(op_type);
  return e != NULL && e->only && ep_onnx_op_importer(op_type) == NULL;
}

ep_status ep_onnx_fold_refuse_runtime(onnx_imp* c, const Onnx__NodeProto* n, int input) {
  /* Without the input's name: nodes refused alike are listed together. */
  return ep_imp_unsupported(c, "input %d is computed at run time, and %s runs only on values known "
                            "at load (no run-time %s)", input, n->op_type, n->op_type);
}

bool ep_onnx_fold_shape_only(const char* op_type) {
  const fold_entry* e = find_entry(op_type);
  return e != NULL && e->shape_only;
}

ep_status ep_onnx_fold_node(onnx_imp* c, const Onnx__NodeProto* n, bool* done) {
  *done = false;
  const fold_entry* e = find_entry(n->op_type);
  if (e == NULL) return EP_OK;
  if (n->n_output < 1 || n->output[0] == NULL || n->output[0][0] == '\0') {
    *done = true; /* nothing reads it */
    return EP_OK;
  }
  int k = ep_imp_n_inputs(n);
  const int required = e->required < 0 ? k : e->required;
  if (k < required) return ep_imp_bad(c, "%d inputs, %s needs %d", k, n->op_type, required);
  int computed = -1; /* the first input computed at run time */
  for (int i = 0; i < k; i++) {
    ov* v = ep_imp_input(c, n, i);
    if (v == NULL) {
      if (n->input[i] != NULL && n->input[i][0] != '\0') return ep_imp_bad(c, "input %d is undefined", i);
      /* An empty name is an absent optional input; the folds read the required ones freely. */
      if (i < required) return ep_imp_bad(c, "input %d is missing (empty name)", i);
      continue;
    }
    if (e->shape_only) continue;
    /* Bound inputs count as constants only where they are parameters (not input 0's data). */
    if (v->kind == OV_CONST) continue;
    if (v->kind == OV_BOUND && i > 0) continue;
    if (computed < 0) computed = i;
  }
  if (computed >= 0) {
    /* Left to the op's run-time importer; without one, the reason names the input. */
    if (ep_onnx_fold_only(n->op_type)) return ep_onnx_fold_refuse_runtime(c, n, computed);
    return EP_OK;
  }
  if (k == 0 && strcmp(n->op_type, "Constant") != 0) return ep_imp_bad(c, "no inputs");
  ep_host_tensor out;
  memset(&out, 0, sizeof out);
  ep_status st = e->fn(c, n, &out);
  if (st == EP_ERR_UNSUPPORTED && ep_onnx_op_importer(n->op_type) != NULL) {
    c->reason[0] = '\0'; /* too large to fold (or a case the fold lacks): the op runs instead */
    return EP_OK;
  }
  if (st != EP_OK) return st;
  *done = true;
  bool is_bool = result_is_bool(c, n);
  st = ep_imp_set_const(c, n->output[0], &out);
  if (st == EP_OK) ep_imp_find(c, n->output[0])->is_bool = is_bool;
  return st;
}

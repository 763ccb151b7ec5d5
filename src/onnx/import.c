/* ONNX model -> graph: parse (protobuf-c), check the opset, define inputs and initializers,
 * sort the nodes, fold constants, import each node through the op table, mark the outputs.
 *
 * Every unsupported node is collected (name, op type, domain, opset, reason) before the model is
 * refused, so that one run tells the user everything that is missing. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edgeprof/output.h"
#include "edgeprof/onnx.h"
#include "graph/graph_internal.h"
#include "onnx/onnx_internal.h"
#include "onnx/refusals.h"

/* Opsets 22 to 28 (onnx 1.17 to 1.23) changed the operators edgeprof imports only by new types
 * (bfloat16, float8, int4, float4, int2) and Cast's round_mode for float8e8m0, none of which
 * edgeprof runs: their float32 semantics are those of opset 21. A model of a newer opset is
 * refused: its operators may mean something else. */
#define MIN_OPSET 7
#define MAX_OPSET 28
/* Largest model file read into memory (protobuf's own limit is 2 GiB). */
#define MAX_MODEL_BYTES (INT64_C(2) << 30)

/* --- value table ----------------------------------------------------------------------------- */

static uint64_t hash_name(const char* s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; s++) h = (h ^ (uint8_t)*s) * 1099511628211ull;
  return h;
}

ov* ep_imp_find(onnx_imp* c, const char* name) {
  if (name == NULL || c->n_slots == 0) return NULL;
  for (uint64_t i = hash_name(name);; i++) {
    int v = c->slots[i & (uint64_t)(c->n_slots - 1)];
    if (v < 0) return NULL;
    if (strcmp(c->values[v].name, name) == 0) return &c->values[v];
  }
}

static ep_status table_grow(onnx_imp* c) {
  if (c->n_values + 1 > c->cap_values) {
    int cap = c->cap_values ? c->cap_values * 2 : 64;
    ov* v = realloc(c->values, sizeof(ov) * (size_t)cap);
    if (v == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
    c->values = v;
    c->cap_values = cap;
  }
  if (2 * (c->n_values + 1) > c->n_slots) {
    int n = c->n_slots ? c->n_slots * 2 : 128;
    while (2 * (c->n_values + 1) > n) n *= 2;
    int* s = malloc(sizeof(int) * (size_t)n);
    if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
    for (int i = 0; i < n; i++) s[i] = -1;
    free(c->slots);
    c->slots = s;
    c->n_slots = n;
    for (int v = 0; v < c->n_values; v++) {
      for (uint64_t i = hash_name(c->values[v].name);; i++) {
        int* slot = &c->slots[i & (uint64_t)(n - 1)];
        if (*slot < 0) {
          *slot = v;
          break;
        }
      }
    }
  }
  return EP_OK;
}

/* Adds a value named `name`; EP_ERR_FORMAT when it exists. */
static ep_status table_add(onnx_imp* c, const char* name, ov** out) {
  if (name == NULL || name[0] == '\0') {
    return ep_error(EP_ERR_FORMAT, "%s: a value has an empty name", c->label);
  }
  if (ep_imp_find(c, name) != NULL) {
    return ep_error(EP_ERR_FORMAT, "%s: value '%s' is defined twice", c->label, name);
  }
  ep_status st = table_grow(c);
  if (st != EP_OK) return st;
  ov* v = &c->values[c->n_values];
  memset(v, 0, sizeof *v);
  v->name = strdup(name);
  if (v->name == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
  v->tensor = -1;
  for (uint64_t i = hash_name(name);; i++) {
    int* slot = &c->slots[i & (uint64_t)(c->n_slots - 1)];
    if (*slot < 0) {
      *slot = c->n_values;
      break;
    }
  }
  c->n_values++;
  *out = v;
  return EP_OK;
}

ep_status ep_imp_set_tensor(onnx_imp* c, const char* name, int tensor) {
  ov* v;
  ep_status st = table_add(c, name, &v);
  if (st != EP_OK) return st;
  v->kind = OV_DYNAMIC;
  v->tensor = tensor;
  return EP_OK;
}

ep_status ep_imp_set_const(onnx_imp* c, const char* name, ep_host_tensor* value) {
  ov* v;
  ep_status st = table_add(c, name, &v);
  if (st != EP_OK) {
    ep_host_tensor_free(value);
    return st;
  }
  v->kind = OV_CONST;
  v->value = *value;
  memset(value, 0, sizeof *value);
  return EP_OK;
}

static ep_status set_poison(onnx_imp* c, const char* name, bool runtime) {
  if (name == NULL || name[0] == '\0' || ep_imp_find(c, name) != NULL) return EP_OK;
  ov* v;
  ep_status st = table_add(c, name, &v);
  if (st == EP_OK) {
    v->kind = OV_POISON;
    v->runtime = runtime;
  }
  return st;
}

ep_status ep_imp_wrap(ep_status status, const char* label, const char* what) {
  char msg[512];
  snprintf(msg, sizeof msg, "%s", ep_last_error());
  if (what != NULL) return ep_error(status, "%s: %s: %s", label, what, msg);
  return ep_error(status, "%s: %s", label, msg);
}

/* --- node helpers ---------------------------------------------------------------------------- */

const char* ep_imp_node_name(const Onnx__NodeProto* n) {
  if (n->name != NULL && n->name[0] != '\0') return n->name;
  if (n->n_output > 0 && n->output[0] != NULL && n->output[0][0] != '\0') return n->output[0];
  return n->op_type != NULL ? n->op_type : "node";
}

static const char* op_type_of(const Onnx__NodeProto* n) {
  return n->op_type != NULL ? n->op_type : "";
}

ep_status ep_imp_unsupported(onnx_imp* c, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(c->reason, sizeof c->reason, format, args);
  va_end(args);
  return EP_ERR_UNSUPPORTED;
}

ep_status ep_imp_bad(onnx_imp* c, const char* format, ...) {
  char msg[384];
  va_list args;
  va_start(args, format);
  vsnprintf(msg, sizeof msg, format, args);
  va_end(args);
  return ep_error(EP_ERR_FORMAT, "%s: node %s (%s): %s", c->label, ep_imp_node_name(c->node),
                  op_type_of(c->node), msg);
}

int ep_imp_n_inputs(const Onnx__NodeProto* n) {
  int k = (int)n->n_input;
  while (k > 0 && (n->input[k - 1] == NULL || n->input[k - 1][0] == '\0')) k--;
  return k;
}

ov* ep_imp_input(onnx_imp* c, const Onnx__NodeProto* n, int i) {
  if (i < 0 || (size_t)i >= n->n_input || n->input[i] == NULL || n->input[i][0] == '\0') {
    return NULL;
  }
  return ep_imp_find(c, n->input[i]);
}

const ep_shape* ep_imp_shape(onnx_imp* c, int tensor) { return &ep_graph_tensor(c->g, tensor)->shape; }

static bool name_taken(onnx_imp* c, const char* name) {
  if (ep_graph_find_tensor(c->g, name) >= 0 || ep_imp_find(c, name) != NULL) return true;
  /* Outputs of nodes not imported yet. */
  for (size_t i = 0; i < c->graph->n_node; i++) {
    const Onnx__NodeProto* n = c->graph->node[i];
    for (size_t k = 0; n != NULL && k < n->n_output; k++) {
      if (n->output[k] != NULL && strcmp(n->output[k], name) == 0) return true;
    }
  }
  return false;
}

void ep_imp_unique_name(onnx_imp* c, const char* base, const char* suffix, char* buf, size_t size) {
  if (suffix != NULL && suffix[0] != '\0') {
    snprintf(buf, size, "%s/%s", base, suffix);
  } else {
    snprintf(buf, size, "%s", base);
  }
  if (!name_taken(c, buf)) return;
  char stem[256];
  snprintf(stem, sizeof stem, "%s", buf);
  for (int k = 2; k < 1000000; k++) {
    snprintf(buf, size, "%s_%d", stem, k);
    if (!name_taken(c, buf)) return;
  }
}

ep_status ep_imp_add_constant_typed(onnx_imp* c, const char* base, ep_dtype dtype, ep_shape shape,
                                    const void* data, int* tensor_out) {
  char name[512];
  if (ep_graph_find_tensor(c->g, base) < 0 && strlen(base) < sizeof name) {
    snprintf(name, sizeof name, "%s", base);
  } else {
    ep_imp_unique_name(c, base, NULL, name, sizeof name);
  }
  for (int d = 0; d < shape.rank; d++) {
    if (shape.dims[d] < 1) {
      return ep_imp_unsupported(c, "constant %s has an empty dim", base);
    }
  }
  ep_status st = ep_graph_add_constant_typed(c->g, name, dtype, shape, data, tensor_out);
  if (st != EP_OK) return ep_imp_bad(c, "%s", ep_last_error());
  return EP_OK;
}

ep_status ep_imp_add_constant_shared(onnx_imp* c, const char* base, ep_dtype dtype,
                                     ep_shape shape, const void* storage, int* tensor_out) {
  char name[512];
  if (ep_graph_find_tensor(c->g, base) < 0 && strlen(base) < sizeof name) {
    snprintf(name, sizeof name, "%s", base);
  } else {
    ep_imp_unique_name(c, base, NULL, name, sizeof name);
  }
  for (int d = 0; d < shape.rank; d++) {
    if (shape.dims[d] < 1) {
      return ep_imp_unsupported(c, "constant %s has an empty dim", base);
    }
  }
  ep_status st = ep_graph_add_constant_shared(c->g, name, dtype, shape, storage, tensor_out);
  if (st != EP_OK) return ep_imp_bad(c, "%s", ep_last_error());
  return EP_OK;
}

ep_status ep_imp_add_constant(onnx_imp* c, const char* base, ep_shape shape, const float* data,
                           int* tensor_out) {
  return ep_imp_add_constant_typed(c, base, EP_DTYPE_FLOAT32, shape, data, tensor_out);
}

/* The graph dtype a load-time value becomes. */
static ep_dtype natural_dtype(const ov* v) {
  if (v->value.dtype == EP_DTYPE_INT64 && v->is_bool) return EP_DTYPE_BOOL;
  return v->value.dtype;
}

/* Adds the host value as a graph constant of `dtype` (an integer value converted to int64 or
 * bool; a float value only as float32). */
static ep_status materialize(onnx_imp* c, const ov* v, ep_dtype dtype, int* tensor_out) {
  const ep_host_tensor* h = &v->value;
  if ((h->dtype == EP_DTYPE_FLOAT32) != (dtype == EP_DTYPE_FLOAT32)) {
    return ep_imp_unsupported(c, "%s is %s, the op needs %s", v->name, ep_dtype_name(h->dtype),
                              ep_dtype_name(dtype));
  }
  if (h->dtype == dtype) { /* the graph shares the value's storage */
    return ep_imp_add_constant_shared(c, v->name, dtype, h->shape, h->data, tensor_out);
  }
  int64_t n = ep_shape_numel(&h->shape);
  void* data = calloc((size_t)(n ? n : 1), ep_dtype_size(dtype));
  if (data == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
  for (int64_t k = 0; k < n; k++) {
    int64_t x = ep_host_get_i(h, k);
    if (dtype == EP_DTYPE_BOOL) {
      ((uint8_t*)data)[k] = x != 0;
    } else {
      ((int64_t*)data)[k] = x;
    }
  }
  ep_status st = ep_imp_add_constant_typed(c, v->name, dtype, h->shape, data, tensor_out);
  free(data);
  return st;
}

static ep_status imp_tensor(onnx_imp* c, const Onnx__NodeProto* n, int i, int want,
                            int* tensor_out) {
  ov* v = ep_imp_input(c, n, i);
  if (v == NULL) return ep_imp_bad(c, "input %d is missing", i);
  ep_dtype dtype = want >= 0 ? (ep_dtype)want : natural_dtype(v);
  if (v->tensor >= 0) {
    const ep_tensor* t = ep_graph_tensor(c->g, v->tensor);
    if (v->kind == OV_DYNAMIC || t->dtype == dtype || t->kind != EP_TENSOR_CONSTANT) {
      *tensor_out = v->tensor;
      return EP_OK;
    }
    /* A constant one op reads as int64 and another as bool: a second constant. */
    return materialize(c, v, dtype, tensor_out);
  }
  for (int d = 0; d < v->value.shape.rank; d++) {
    if (v->value.shape.dims[d] < 1) {
      return ep_imp_unsupported(c, "input %d (%s) is an empty tensor", i, v->name);
    }
  }
  ep_status st;
  if (v->kind == OV_BOUND) {
    if (natural_dtype(v) != dtype) {
      return ep_imp_unsupported(c, "input %d (%s) is %s, the op needs %s", i, v->name,
                                ep_dtype_name(natural_dtype(v)), ep_dtype_name(dtype));
    }
    st = ep_graph_add_input_typed(c->g, v->name, dtype, v->value.shape, &v->tensor);
    if (st != EP_OK) return ep_imp_bad(c, "%s", ep_last_error());
  } else {
    st = materialize(c, v, dtype, &v->tensor);
    if (st != EP_OK) return st;
  }
  *tensor_out = v->tensor;
  return EP_OK;
}

ep_status ep_imp_tensor(onnx_imp* c, const Onnx__NodeProto* n, int i, int* tensor_out) {
  return imp_tensor(c, n, i, -1, tensor_out);
}

ep_status ep_imp_tensor_as(onnx_imp* c, const Onnx__NodeProto* n, int i, ep_dtype dtype,
                           int* tensor_out) {
  return imp_tensor(c, n, i, (int)dtype, tensor_out);
}

ep_status ep_imp_weight(onnx_imp* c, const Onnx__NodeProto* n, int i, int* tensor_out) {
  ov* v = ep_imp_input(c, n, i);
  if (v == NULL) return ep_imp_bad(c, "input %d is missing", i);
  if (v->kind == OV_BOUND && v->tensor < 0) v->kind = OV_CONST; /* a graph constant, not an input */
  if (v->kind != OV_CONST) {
    return ep_imp_unsupported(c, "input %d (%s): weights computed at run time", i, v->name);
  }
  if (v->tensor >= 0 && ep_graph_tensor(c->g, v->tensor)->kind != EP_TENSOR_CONSTANT) {
    return ep_imp_unsupported(c, "input %d (%s) is both data and weights", i, v->name);
  }
  return ep_imp_tensor(c, n, i, tensor_out);
}

ep_status ep_imp_const(onnx_imp* c, const Onnx__NodeProto* n, int i, const ep_host_tensor** out) {
  ov* v = ep_imp_input(c, n, i);
  if (v == NULL) return ep_imp_bad(c, "input %d is missing", i);
  if (v->kind != OV_CONST && v->kind != OV_BOUND) {
    return ep_imp_unsupported(c, "input %d (%s) must be known at load time, but is computed", i,
                           v->name);
  }
  *out = &v->value;
  return EP_OK;
}

ep_status ep_imp_emit(onnx_imp* c, ep_op op, const char* node_name, const ep_attrs* attrs,
                   const int* inputs, int n_inputs, const char* out_name, const char* onnx_out,
                   int* tensor_out) {
  char buf[512];
  if (out_name == NULL) {
    ep_imp_unique_name(c, node_name, ep_op_name(op), buf, sizeof buf);
    out_name = buf;
  }
  int out;
  const char* names[1] = {out_name};
  ep_status st = ep_graph_add_node(c->g, op, node_name, attrs, inputs, n_inputs, 1, names, &out);
  if (st != EP_OK) return ep_imp_bad(c, "%s", ep_last_error());
  st = ep_graph_infer_node(c->g, ep_graph_node_count(c->g) - 1);
  if (st != EP_OK) {
    return ep_imp_wrap(EP_ERR_FORMAT, c->label, NULL);
  }
  st = ep_imp_check_size(c, out);
  if (st != EP_OK) return st;
  if (onnx_out != NULL) {
    st = ep_imp_set_tensor(c, onnx_out, out);
    if (st != EP_OK) return st;
  }
  if (tensor_out != NULL) *tensor_out = out;
  return EP_OK;
}

ep_status ep_imp_check_size(onnx_imp* c, int tensor) {
  const ep_tensor* t = ep_graph_tensor(c->g, tensor);
  int64_t n = 1;
  for (int d = 0; d < t->shape.rank; d++) {
    int64_t v = t->shape.dims[d];
    if (v < 1 || n > ONNX_MAX_NUMEL / v) {
      return ep_imp_bad(c, "output %s would have more than 2^36 elements", t->name);
    }
    n *= v;
  }
  return EP_OK;
}

int ep_imp_readers(onnx_imp* c, const char* value, int* nodes, int max) {
  int count = 0;
  for (size_t p = (size_t)c->order_pos + 1; p < c->graph->n_node; p++) {
    int idx = c->order[p];
    const Onnx__NodeProto* n = c->graph->node[idx];
    for (size_t k = 0; k < n->n_input; k++) {
      if (n->input[k] != NULL && strcmp(n->input[k], value) == 0) {
        if (count < max) nodes[count] = idx;
        count++;
        break;
      }
    }
  }
  return count;
}

bool ep_imp_is_graph_output(onnx_imp* c, const char* value) {
  for (size_t i = 0; i < c->graph->n_output; i++) {
    const Onnx__ValueInfoProto* o = c->graph->output[i];
    if (o != NULL && o->name != NULL && strcmp(o->name, value) == 0) return true;
  }
  return false;
}

/* --- attributes ------------------------------------------------------------------------------ */

const Onnx__AttributeProto* ep_onnx_attr_find(const Onnx__NodeProto* n, const char* name) {
  for (size_t i = 0; i < n->n_attribute; i++) {
    const Onnx__AttributeProto* a = n->attribute[i];
    if (a != NULL && a->name != NULL && strcmp(a->name, name) == 0) return a;
  }
  return NULL;
}

int64_t ep_onnx_attr_int(const Onnx__NodeProto* n, const char* name, int64_t fallback) {
  const Onnx__AttributeProto* a = ep_onnx_attr_find(n, name);
  return a != NULL && a->has_i ? a->i : fallback;
}

float ep_onnx_attr_float(const Onnx__NodeProto* n, const char* name, float fallback) {
  const Onnx__AttributeProto* a = ep_onnx_attr_find(n, name);
  return a != NULL && a->has_f ? a->f : fallback;
}

const char* ep_onnx_attr_string(const Onnx__NodeProto* n, const char* name, char* buf, size_t size) {
  const Onnx__AttributeProto* a = ep_onnx_attr_find(n, name);
  buf[0] = '\0';
  if (a == NULL || !a->has_s || size == 0) return buf;
  size_t len = a->s.len < size - 1 ? a->s.len : size - 1;
  if (len > 0) memcpy(buf, a->s.data, len);
  buf[len] = '\0';
  return buf;
}

ep_status ep_onnx_attr_ints(onnx_imp* c, const Onnx__NodeProto* n, const char* name, int64_t* out,
                    int max, int* count_out) {
  const Onnx__AttributeProto* a = ep_onnx_attr_find(n, name);
  *count_out = -1;
  if (a == NULL) return EP_OK;
  if (a->n_ints > (size_t)max) {
    return ep_imp_bad(c, "attribute %s has %zu values (at most %d)", name, a->n_ints, max);
  }
  for (size_t i = 0; i < a->n_ints; i++) out[i] = a->ints[i];
  *count_out = (int)a->n_ints;
  return EP_OK;
}

/* --- the steps of a load --------------------------------------------------------------------- */

static bool is_default_domain(const char* domain) {
  return domain == NULL || domain[0] == '\0' || strcmp(domain, "ai.onnx") == 0;
}

/* Removed at import: their output is their first input. */
static bool is_passthrough(const char* op) {
  return strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0;
}

static bool op_known(const char* op) {
  return is_passthrough(op) || ep_onnx_fold_known(op) || ep_onnx_op_importer(op) != NULL;
}

static ep_status check_opset(onnx_imp* c, const Onnx__ModelProto* m) {
  c->opset = -1;
  for (size_t i = 0; i < m->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto* o = m->opset_import[i];
    if (o != NULL && is_default_domain(o->domain)) c->opset = o->has_version ? o->version : 1;
  }
  if (c->opset < 0) {
    /* IR version 1 and 2 models may leave it out: they predate opset 7. */
    return ep_error(EP_ERR_UNSUPPORTED, "%s: no opset of the default domain (opsets %d to %d)",
                    c->label, MIN_OPSET, MAX_OPSET);
  }
  if (c->opset < MIN_OPSET || c->opset > MAX_OPSET) {
    return ep_error(EP_ERR_UNSUPPORTED, "%s: opset %lld is not supported (%d to %d)", c->label,
                    (long long)c->opset, MIN_OPSET, MAX_OPSET);
  }
  return EP_OK;
}

static const ep_onnx_shape* find_override(onnx_imp* c, const char* name) {
  if (c->options == NULL) return NULL;
  for (int i = 0; i < c->options->n_shapes; i++) {
    if (strcmp(c->options->shapes[i].name, name) == 0) {
      return &c->options->shapes[i];
    }
  }
  return NULL;
}

static const ep_host_tensor* find_bound(onnx_imp* c, const char* name) {
  if (c->options == NULL) return NULL;
  for (int i = 0; i < c->options->n_values; i++) {
    const ep_host_tensor* v = &c->options->values[i];
    if (v->name != NULL && strcmp(v->name, name) == 0) return v;
  }
  return NULL;
}

static const char* elem_type_name(int32_t t) {
  switch (t) {
    case ONNX_FLOAT: return "float32";
    case ONNX_DOUBLE: return "float64";
    case ONNX_FLOAT16: return "float16";
    case ONNX_INT64: return "int64";
    case ONNX_INT32: return "int32";
    case ONNX_BOOL: return "bool";
    case ONNX_UINT8: return "uint8";
    case ONNX_INT8: return "int8";
    case ONNX_STRING: return "string";
    default: return "a non-float type";
  }
}

/* The shape of a graph input: the file's dims (the first symbolic one becomes 1), or the
 * caller's override. */
static ep_status input_shape(onnx_imp* c, const Onnx__ValueInfoProto* in, ep_shape* out) {
  memset(out, 0, sizeof *out);
  const ep_onnx_shape* o = find_override(c, in->name);
  if (o != NULL) {
    *out = o->shape;
    return EP_OK;
  }
  const Onnx__TypeProto* tp = in->type;
  const Onnx__TensorShapeProto* sp =
      tp != NULL && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type
          ? tp->tensor_type->shape
          : NULL;
  if (sp == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT,
                    "%s: input %s has no shape; give one with --shape %s=DxDx...", c->label,
                    in->name, in->name);
  }
  if (sp->n_dim > EP_MAX_RANK) {
    return ep_error(EP_ERR_UNSUPPORTED, "%s: input %s has rank %zu (at most %d)", c->label,
                    in->name, sp->n_dim, EP_MAX_RANK);
  }
  out->rank = (int)sp->n_dim;
  for (size_t d = 0; d < sp->n_dim; d++) {
    const Onnx__TensorShapeProto__Dimension* dim = sp->dim[d];
    bool fixed = dim != NULL && dim->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    if (fixed && dim->dim_value > 0 && dim->dim_value <= (INT64_C(1) << 40)) {
      out->dims[d] = dim->dim_value;
    } else if (fixed) {
      return ep_error(EP_ERR_FORMAT, "%s: input %s has dim %lld at %zu", c->label, in->name,
                      (long long)dim->dim_value, d);
    } else if (d == 0) {
      out->dims[d] = 1; /* the batch */
    } else {
      const char* param = dim != NULL &&
                                  dim->value_case ==
                                      ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                                  dim->dim_param != NULL
                              ? dim->dim_param
                              : "?";
      return ep_error(EP_ERR_INVALID_ARGUMENT,
                      "%s: input %s has symbolic dim '%s' at %zu; give the shape with --shape "
                      "%s=DxDx...",
                      c->label, in->name, param, d, in->name);
    }
  }
  return EP_OK;
}

static ep_status define_inputs(onnx_imp* c) {
  const Onnx__GraphProto* g = c->graph;
  for (size_t i = 0; i < g->n_initializer; i++) {
    const Onnx__TensorProto* t = g->initializer[i];
    if (t == NULL || t->name == NULL || t->name[0] == '\0') {
      return ep_error(EP_ERR_FORMAT, "%s: initializer %zu has no name", c->label, i);
    }
    ep_host_tensor value;
    ep_status st = ep_onnx_tensor_from_proto(t, c->dir, c->label, &value);
    if (st != EP_OK) return st;
    if (t->has_raw_data) {
      /* Converted: the bytes are not read again, so the protobuf's copy goes now, before the
       * next initializer is converted (one copy of the weights at a time, not two). protobuf-c
       * frees a bytes field only when its data is not NULL. */
      Onnx__TensorProto* owned = (Onnx__TensorProto*)t;
      free(owned->raw_data.data);
      owned->raw_data.data = NULL;
      owned->raw_data.len = 0;
    }
    st = ep_imp_set_const(c, t->name, &value);
    if (st != EP_OK) return st;
    ep_imp_find(c, t->name)->is_bool = t->data_type == ONNX_BOOL;
  }
  for (size_t i = 0; i < g->n_input; i++) {
    const Onnx__ValueInfoProto* in = g->input[i];
    if (in == NULL || in->name == NULL || in->name[0] == '\0') {
      return ep_error(EP_ERR_FORMAT, "%s: graph input %zu has no name", c->label, i);
    }
    ov* v = ep_imp_find(c, in->name);
    if (v != NULL && v->kind == OV_CONST) continue; /* an initializer listed as input (IR < 4) */
    if (v != NULL) return ep_error(EP_ERR_FORMAT, "%s: input %s is listed twice", c->label, in->name);
    const ep_host_tensor* bound = find_bound(c, in->name);
    const Onnx__TypeProto* btp = in->type;
    int32_t declared = btp != NULL && btp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE &&
                               btp->tensor_type != NULL
                           ? btp->tensor_type->elem_type
                           : 0;
    if (bound != NULL && (declared == ONNX_DOUBLE || declared == ONNX_FLOAT16 ||
                          declared == ONNX_BFLOAT16 || declared == ONNX_STRING)) {
      return ep_error(EP_ERR_UNSUPPORTED, "%s: input %s is %s (float32 inputs only)", c->label,
                      in->name, elem_type_name(declared));
    }
    if (bound != NULL) {
      ep_host_tensor copy;
      ep_status st = ep_host_tensor_copy(bound, &copy);
      if (st != EP_OK) return st;
      st = ep_imp_set_const(c, in->name, &copy);
      if (st != EP_OK) return st;
      ep_imp_find(c, in->name)->kind = OV_BOUND;
      ep_imp_find(c, in->name)->is_bool = declared == ONNX_BOOL;
      continue;
    }
    const Onnx__TypeProto* tp = in->type;
    if (tp == NULL || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
        tp->tensor_type == NULL) {
      return ep_error(EP_ERR_UNSUPPORTED, "%s: input %s is not a tensor", c->label, in->name);
    }
    int32_t et = tp->tensor_type->elem_type;
    ep_dtype dtype;
    switch (et) {
      case ONNX_FLOAT: dtype = EP_DTYPE_FLOAT32; break;
      case ONNX_INT64: case ONNX_INT32: dtype = EP_DTYPE_INT64; break; /* int32 is widened */
      case ONNX_BOOL: dtype = EP_DTYPE_BOOL; break;
      default:
        return ep_error(EP_ERR_UNSUPPORTED,
                        "%s: input %s is %s (float32, int64, int32 and bool inputs only)",
                        c->label, in->name, elem_type_name(et));
    }
    ep_shape shape;
    ep_status st = input_shape(c, in, &shape);
    if (st != EP_OK) return st;
    int64_t numel = 1;
    for (int d = 0; d < shape.rank; d++) {
      if (shape.dims[d] > 0 && numel > ONNX_MAX_NUMEL / shape.dims[d]) {
        return ep_error(EP_ERR_FORMAT, "%s: input %s has more than 2^36 elements", c->label, in->name);
      }
      numel *= shape.dims[d];
    }
    int id;
    st = ep_graph_add_input_typed(c->g, in->name, dtype, shape, &id);
    if (st != EP_OK) return ep_imp_wrap(st, c->label, NULL);
    st = ep_imp_set_tensor(c, in->name, id);
    if (st != EP_OK) return st;
  }
  if (c->options != NULL) {
    for (int i = 0; i < c->options->n_shapes; i++) {
      const char* name = c->options->shapes[i].name;
      bool found = false;
      for (size_t k = 0; k < g->n_input && !found; k++) {
        found = g->input[k]->name != NULL && strcmp(g->input[k]->name, name) == 0 &&
                ep_imp_find(c, name)->kind != OV_CONST;
      }
      if (!found) {
        return ep_error(EP_ERR_INVALID_ARGUMENT, "%s: --shape names '%s', not an input of the model",
                        c->label, name);
      }
    }
  }
  return EP_OK;
}

/* Min-heap of node indices: the topological sort keeps the file's order where it is valid. */
typedef struct heap {
  int* a;
  int n;
} heap;

static void heap_push(heap* h, int v) {
  int i = h->n++;
  h->a[i] = v;
  while (i > 0 && h->a[(i - 1) / 2] > h->a[i]) {
    int p = (i - 1) / 2, t = h->a[p];
    h->a[p] = h->a[i];
    h->a[i] = t;
    i = p;
  }
}

static int heap_pop(heap* h) {
  int top = h->a[0];
  h->a[0] = h->a[--h->n];
  for (int i = 0;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && h->a[l] < h->a[m]) m = l;
    if (r < h->n && h->a[r] < h->a[m]) m = r;
    if (m == i) break;
    int t = h->a[m];
    h->a[m] = h->a[i];
    h->a[i] = t;
    i = m;
  }
  return top;
}

/* Name -> producing node, for the sort. Uses a private open-addressing table. */
typedef struct producers {
  const char** names;
  int* node;
  int n_slots;
} producers;

static int producer_of(const producers* p, const char* name) {
  for (uint64_t i = hash_name(name);; i++) {
    size_t s = (size_t)(i & (uint64_t)(p->n_slots - 1));
    if (p->names[s] == NULL) return -1;
    if (strcmp(p->names[s], name) == 0) return p->node[s];
  }
}

static ep_status sort_nodes(onnx_imp* c) {
  const Onnx__GraphProto* g = c->graph;
  int n = (int)g->n_node;
  ep_status st = EP_OK;
  size_t n_out = 0;
  for (int i = 0; i < n; i++) {
    if (g->node[i] == NULL) return ep_error(EP_ERR_FORMAT, "%s: node %d is empty", c->label, i);
    n_out += g->node[i]->n_output;
  }
  producers p = {NULL, NULL, 16};
  while ((size_t)p.n_slots < 2 * n_out + 2) p.n_slots *= 2;
  p.names = calloc((size_t)p.n_slots, sizeof(char*));
  p.node = calloc((size_t)p.n_slots, sizeof(int));
  int* indegree = calloc((size_t)n + 1, sizeof(int));
  int* edges_start = calloc((size_t)n + 2, sizeof(int));
  int* edges = NULL;
  heap h = {calloc((size_t)n + 1, sizeof(int)), 0};
  c->order = calloc((size_t)n + 1, sizeof(int));
  c->absorbed = calloc((size_t)n + 1, sizeof(bool));
  if (!p.names || !p.node || !indegree || !edges_start || !h.a || !c->order || !c->absorbed) {
    st = ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
    goto cleanup;
  }
  for (int i = 0; i < n; i++) {
    const Onnx__NodeProto* node = g->node[i];
    for (size_t k = 0; k < node->n_output; k++) {
      const char* name = node->output[k];
      if (name == NULL || name[0] == '\0') continue;
      if (ep_imp_find(c, name) != NULL) {
        st = ep_error(EP_ERR_FORMAT, "%s: node %s (%s) writes %s, which is an input or initializer",
                      c->label, ep_imp_node_name(node), op_type_of(node), name);
        goto cleanup;
      }
      for (uint64_t s = hash_name(name);; s++) {
        size_t slot = (size_t)(s & (uint64_t)(p.n_slots - 1));
        if (p.names[slot] == NULL) {
          p.names[slot] = name;
          p.node[slot] = i;
          break;
        }
        if (strcmp(p.names[slot], name) == 0) {
          st = ep_error(EP_ERR_FORMAT, "%s: value %s is written by two nodes (%s and %s)",
                        c->label, name, ep_imp_node_name(g->node[p.node[slot]]), ep_imp_node_name(node));
          goto cleanup;
        }
      }
    }
  }
  /* Edges producer -> reader, counted then filled (CSR). */
  size_t n_edges = 0;
  for (int pass = 0; pass < 2; pass++) {
    for (int i = 0; i < n; i++) {
      const Onnx__NodeProto* node = g->node[i];
      for (size_t k = 0; k < node->n_input; k++) {
        const char* name = node->input[k];
        if (name == NULL || name[0] == '\0') continue;
        int from = producer_of(&p, name);
        if (from < 0) {
          if (pass == 0 && ep_imp_find(c, name) == NULL) {
            st = ep_error(EP_ERR_FORMAT,
                          "%s: node %s (%s): input %s is not an initializer, a graph input or "
                          "the output of a node",
                          c->label, ep_imp_node_name(node), op_type_of(node), name);
            goto cleanup;
          }
          continue;
        }
        if (pass == 0) {
          edges_start[from + 1]++;
          n_edges++;
        } else {
          edges[edges_start[from]++] = i;
        }
        if (pass == 0) indegree[i]++;
      }
    }
    if (pass == 0) {
      for (int i = 0; i < n; i++) edges_start[i + 1] += edges_start[i];
      edges = malloc(sizeof(int) * (n_edges + 1));
      if (edges == NULL) {
        st = ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
        goto cleanup;
      }
    }
  }
  /* After filling, edges_start[i] is the end of node i's edges; its start is the end of i-1. */
  for (int i = 0; i < n; i++) {
    if (indegree[i] == 0) heap_push(&h, i);
  }
  int done = 0;
  while (h.n > 0) {
    int i = heap_pop(&h);
    c->order[done++] = i;
    for (int e = i ? edges_start[i - 1] : 0; e < edges_start[i]; e++) {
      if (--indegree[edges[e]] == 0) heap_push(&h, edges[e]);
    }
  }
  if (done < n) {
    int culprit = 0;
    while (culprit < n && indegree[culprit] == 0) culprit++;
    st = ep_error(EP_ERR_FORMAT, "%s: the graph has a cycle through node %s (%s)", c->label,
                  ep_imp_node_name(g->node[culprit]), op_type_of(g->node[culprit]));
  }

cleanup:
  free(p.names);
  free(p.node);
  free(indegree);
  free(edges_start);
  free(edges);
  free(h.a);
  return st;
}

/* Lists node n as unsupported for `reason`. */
static ep_status note_unsupported(onnx_imp* c, ep_refusals* list, const Onnx__NodeProto* n,
                                  const char* reason) {
  const char* domain = is_default_domain(n->domain) ? "ai.onnx" : n->domain;
  ep_status st = ep_refusals_add_node(list, ep_imp_node_name(n), op_type_of(n), domain, c->opset,
                                      reason);
  if (st != EP_OK) return ep_imp_wrap(st, c->label, NULL);
  return EP_OK;
}

static ep_status import_node(onnx_imp* c, const Onnx__NodeProto* n) {
  const char* op = op_type_of(n);
  if (is_passthrough(op)) {
    if (n->n_output < 1 || n->output[0] == NULL || n->output[0][0] == '\0') return EP_OK;
    ov* x = ep_imp_input(c, n, 0);
    if (x == NULL) return ep_imp_bad(c, "input 0 is missing");
    /* Dropout's mask output: refused when something reads it. */
    for (size_t k = 1; k < n->n_output; k++) {
      if (n->output[k] != NULL && n->output[k][0] != '\0') {
        int readers[1];
        if (ep_imp_readers(c, n->output[k], readers, 1) > 0 || ep_imp_is_graph_output(c, n->output[k])) {
          return ep_imp_unsupported(c, "the mask output is used");
        }
      }
    }
    if (x->kind == OV_CONST) {
      ep_host_tensor copy;
      ep_status st = ep_host_tensor_copy(&x->value, &copy);
      if (st != EP_OK) return st;
      bool is_bool = x->is_bool;
      st = ep_imp_set_const(c, n->output[0], &copy);
      if (st == EP_OK) ep_imp_find(c, n->output[0])->is_bool = is_bool;
      return st;
    }
    int t;
    ep_status st = ep_imp_tensor(c, n, 0, &t);
    if (st != EP_OK) return st;
    return ep_imp_set_tensor(c, n->output[0], t);
  }
  bool done = false;
  ep_status st = ep_onnx_fold_node(c, n, &done);
  if (st != EP_OK || done) return st;
  /* A fold-only op with an input computed at run time was refused by the fold, naming it. */
  onnx_import_fn fn = ep_onnx_op_importer(op);
  if (fn == NULL) return ep_imp_unsupported(c, "no importer");
  return fn(c, n);
}

static ep_status mark_outputs(onnx_imp* c, ep_refusals* list) {
  const Onnx__GraphProto* g = c->graph;
  if (g->n_output == 0) return ep_error(EP_ERR_FORMAT, "%s: the graph has no outputs", c->label);
  for (size_t i = 0; i < g->n_output; i++) {
    const Onnx__ValueInfoProto* o = g->output[i];
    if (o == NULL || o->name == NULL || o->name[0] == '\0') {
      return ep_error(EP_ERR_FORMAT, "%s: graph output %zu has no name", c->label, i);
    }
    ov* v = ep_imp_find(c, o->name);
    if (v == NULL) {
      return ep_error(EP_ERR_FORMAT, "%s: graph output %s is not produced by any node", c->label,
                      o->name);
    }
    if (v->kind == OV_POISON) continue;
    if (v->kind != OV_DYNAMIC) {
      char text[512];
      snprintf(text, sizeof text, "output %s: a %s constant (nothing to run)", o->name,
               ep_dtype_name(natural_dtype(v)));
      ep_status st = ep_refusals_add_text(list, text);
      if (st != EP_OK) return ep_imp_wrap(st, c->label, NULL);
      continue;
    }
    int t = v->tensor;
    const ep_tensor* tensor = ep_graph_tensor(c->g, t);
    if (strcmp(tensor->name, o->name) != 0 || tensor->is_output) {
      /* An output that is another value under a new name (Identity, Dropout removed, or an input
       * passed through): a reshape view that costs nothing carries the output's name. */
      ep_attrs a;
      memset(&a, 0, sizeof a);
      a.shape = tensor->shape;
      if (a.shape.rank == 0) {
        a.shape.rank = 1;
        a.shape.dims[0] = 1;
      }
      c->node = NULL;
      ep_status st;
      int ids[1] = {t};
      const char* names[1] = {o->name};
      st = ep_graph_add_node(c->g, EP_OP_RESHAPE, o->name, &a, ids, 1, 1, names, &t);
      if (st != EP_OK) return ep_imp_wrap(st, c->label, o->name);
    }
    ep_status st = ep_graph_mark_output(c->g, t);
    if (st != EP_OK) return ep_imp_wrap(st, c->label, NULL);
  }
  return EP_OK;
}

static void imp_free(onnx_imp* c) {
  for (int i = 0; i < c->n_values; i++) {
    free(c->values[i].name);
    ep_host_tensor_free(&c->values[i].value);
  }
  free(c->values);
  free(c->slots);
  free(c->order);
  free(c->absorbed);
}

/* The graph's name: the file name without its folder and extension. */
static void model_name(const char* label, char* buf, size_t size) {
  const char* base = strrchr(label, '/');
  base = base ? base + 1 : label;
  snprintf(buf, size, "%s", base);
  char* dot = strrchr(buf, '.');
  if (dot != NULL && dot != buf) *dot = '\0';
}

/* Parses the protobuf of a model: NULL with the error set when it does not parse. */
static Onnx__ModelProto* unpack_model(const void* data, size_t size, const char* label) {
  Onnx__ModelProto* m = ep_onnx__model_proto__unpack(NULL, size, data);
  if (m == NULL) {
    ep_error(EP_ERR_FORMAT,
             "%s: not an ONNX model (the protobuf does not parse: truncated or other data)", label);
  }
  return m;
}

/* Imports a parsed model and frees `m`, taking it apart as it is read (each initializer's raw
 * bytes go once converted). */
static ep_status load_model(Onnx__ModelProto* m, const char* label,
                            const char* dir, const ep_onnx_options* options,
                            ep_graph** graph_out) {
  onnx_imp c;
  memset(&c, 0, sizeof c);
  c.label = label;
  c.dir = dir;
  c.options = options;
  ep_status st = EP_OK;
  char* unsupported = NULL;
  ep_refusals refusals;
  memset(&refusals, 0, sizeof refusals);
  if (m->graph == NULL) {
    st = ep_error(EP_ERR_FORMAT, "%s: not an ONNX model (no graph)", label);
    goto cleanup;
  }
  c.graph = m->graph;
  st = check_opset(&c, m);
  if (st != EP_OK) goto cleanup;
  char name[256];
  model_name(label, name, sizeof name);
  st = ep_graph_create(name, &c.g);
  if (st != EP_OK) goto cleanup;
  st = define_inputs(&c);
  if (st != EP_OK) goto cleanup;
  st = sort_nodes(&c);
  if (st != EP_OK) goto cleanup;

  /* The message holds the list: ep_last_error() keeps 8192 characters. */
  size_t list_size = 7600;
  unsupported = calloc(list_size, 1);
  if (unsupported == NULL) {
    st = ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", label);
    goto cleanup;
  }
  for (size_t p = 0; p < c.graph->n_node; p++) {
    int idx = c.order[p];
    const Onnx__NodeProto* n = c.graph->node[idx];
    c.node = n;
    c.order_pos = (int)p;
    c.reason[0] = '\0';
    if (c.absorbed[idx]) continue;
    const char* op = op_type_of(n);
    bool poisoned = false;
    int runtime_in = -1; /* an input computed at run time, or that would have been */
    for (size_t k = 0; k < n->n_input; k++) {
      ov* v = n->input[k] != NULL && n->input[k][0] ? ep_imp_find(&c, n->input[k]) : NULL;
      if (v != NULL && v->kind == OV_POISON) poisoned = true;
      if (v != NULL && (v->kind == OV_DYNAMIC || (v->kind == OV_POISON && v->runtime)) && runtime_in < 0) {
        runtime_in = (int)k;
      }
    }
    ep_status node_st;
    if (!is_default_domain(n->domain)) {
      node_st = ep_imp_unsupported(&c, "unknown domain");
    } else if (!op_known(op)) {
      node_st = ep_imp_unsupported(&c, "unknown op");
    } else if (poisoned && runtime_in >= 0 && ep_onnx_fold_only(op) && !ep_onnx_fold_shape_only(op)) {
      /* Refused on its own too, whatever comes before it: named as well. */
      node_st = ep_onnx_fold_refuse_runtime(&c, n, runtime_in);
    } else if (poisoned) {
      node_st = EP_ERR_UNSUPPORTED; /* follows from an unsupported node: not listed itself */
    } else {
      node_st = import_node(&c, n);
    }
    if (node_st == EP_ERR_UNSUPPORTED) {
      if (!poisoned || c.reason[0]) {
        st = note_unsupported(&c, &refusals, n, c.reason);
        if (st != EP_OK) goto cleanup;
      }
      /* Its outputs would have been computed at run time unless it only reads shapes or would
       * have folded (every input known at load). */
      bool runtime = !ep_onnx_fold_shape_only(op) && (runtime_in >= 0 || !ep_onnx_fold_known(op));
      for (size_t k = 0; k < n->n_output; k++) {
        st = set_poison(&c, n->output[k], runtime);
        if (st != EP_OK) goto cleanup;
      }
      continue;
    }
    if (node_st != EP_OK) {
      st = node_st;
      goto cleanup;
    }
    /* Every output must now be defined (unused optional outputs may stay undefined). */
    for (size_t k = 0; k < n->n_output; k++) {
      const char* out = n->output[k];
      if (out == NULL || out[0] == '\0' || ep_imp_find(&c, out) != NULL) continue;
      int readers[1];
      if (ep_imp_readers(&c, out, readers, 1) > 0 || ep_imp_is_graph_output(&c, out)) {
        st = note_unsupported(&c, &refusals, n, "an optional output is used");
        if (st != EP_OK) goto cleanup;
        st = set_poison(&c, out, true);
        if (st != EP_OK) goto cleanup;
      }
    }
  }
  c.node = NULL;
  st = mark_outputs(&c, &refusals);
  if (st != EP_OK) goto cleanup;
  if (refusals.n_nodes > 0) {
    ep_refusals_format(&refusals, unsupported, list_size);
    st = ep_error(EP_ERR_UNSUPPORTED, "%s: %d unsupported node%s: %s", label, refusals.n_nodes,
                  refusals.n_nodes == 1 ? "" : "s", unsupported);
    goto cleanup;
  }
  st = ep_graph_finalize(c.g);
  if (st != EP_OK) st = ep_imp_wrap(EP_ERR_FORMAT, label, NULL);

cleanup:
  free(unsupported);
  ep_refusals_free(&refusals);
  imp_free(&c);
  ep_onnx__model_proto__free_unpacked(m, NULL);
  if (st != EP_OK) {
    ep_graph_destroy(c.g);
    return st;
  }
  *graph_out = c.g;
  return EP_OK;
}

ep_status ep_onnx_load_buffer(const void* data, size_t size, const char* label, const char* dir,
                              const ep_onnx_options* options, ep_graph** graph_out) {
  if (label == NULL) label = "model";
  if (graph_out == NULL || (data == NULL && size > 0)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_onnx_load_buffer: bad arguments");
  }
  Onnx__ModelProto* m = unpack_model(data, size, label);
  if (m == NULL) return EP_ERR_FORMAT;
  return load_model(m, label, dir, options, graph_out);
}

ep_status ep_onnx_load(const char* path, const ep_onnx_options* options, ep_graph** graph_out) {
  if (path == NULL || graph_out == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_onnx_load: no path");
  }
  FILE* f = NULL;
  ep_status opened = ep_input_open(path, &f);
  if (opened != EP_OK) return opened;
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    fclose(f);
    return ep_error(EP_ERR_INVALID_ARGUMENT, "%s: not a regular file", path);
  }
  if ((int64_t)sb.st_size > MAX_MODEL_BYTES) {
    fclose(f);
    return ep_error(EP_ERR_UNSUPPORTED, "%s: %lld bytes; models over 2 GiB need external data",
                    path, (long long)sb.st_size);
  }
  size_t size = (size_t)sb.st_size;
  char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char* slash = strrchr(dir, '/');
  if (slash == NULL) {
    snprintf(dir, sizeof dir, ".");
  } else if (slash == dir) {
    dir[1] = '\0';
  } else {
    *slash = '\0';
  }
  Onnx__ModelProto* streamed = ep_onnx_unpack_streamed(fileno(f), size);
  if (streamed != NULL) {
    fclose(f);
    return load_model(streamed, path, dir, options, graph_out);
  }
  uint8_t* data = malloc(size ? size : 1);
  if (data == NULL) {
    fclose(f);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
  }
  size_t got = fread(data, 1, size, f);
  fclose(f);
  if (got != size) {
    free(data);
    return ep_error(EP_ERR_IO, "%s: read failed", path);
  }
  /* The file's bytes go as soon as they are parsed: the protobuf holds its own copy. */
  Onnx__ModelProto* m = unpack_model(data, size, path);
  free(data);
  if (m == NULL) return EP_ERR_FORMAT;
  return load_model(m, path, dir, options, graph_out);
}

ep_status ep_onnx_shape_parse(const char* text, ep_onnx_shape* shape_out) {
  const char* eq = text != NULL ? strrchr(text, '=') : NULL;
  if (eq == NULL || eq == text) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "shape '%s' is not NAME=DxDx...",
                    text != NULL ? text : "");
  }
  ep_shape s;
  memset(&s, 0, sizeof s);
  const char* p = eq + 1;
  if (strcmp(p, "scalar") != 0) {
    while (1) {
      if (s.rank == EP_MAX_RANK) {
        return ep_error(EP_ERR_INVALID_ARGUMENT, "shape '%s' has more than %d dims", text,
                        EP_MAX_RANK);
      }
      char* end = NULL;
      if (*p < '0' || *p > '9') {
        return ep_error(EP_ERR_INVALID_ARGUMENT, "shape '%s': dims must be positive integers",
                        text);
      }
      unsigned long long v = strtoull(p, &end, 10);
      if (v < 1 || v > (1ull << 40)) {
        return ep_error(EP_ERR_INVALID_ARGUMENT, "shape '%s': dim out of range", text);
      }
      s.dims[s.rank++] = (int64_t)v;
      if (*end == '\0') break;
      if (*end != 'x' && *end != 'X' && *end != ',') {
        return ep_error(EP_ERR_INVALID_ARGUMENT, "shape '%s' is not NAME=DxDx...", text);
      }
      p = end + 1;
    }
  }
  size_t len = (size_t)(eq - text);
  if (len >= sizeof shape_out->name) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "shape '%s': the name is too long", text);
  }
  memcpy(shape_out->name, text, len);
  shape_out->name[len] = '\0';
  shape_out->shape = s;
  return EP_OK;
}

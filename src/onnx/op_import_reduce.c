/* ONNX nodes -> graph nodes for the reductions (Reduce*), LayerNormalization, Split and Tile;
 * Einsum is lowered in einsum.c. */
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

/* A node of up to `max_out` outputs: as many as the ONNX node names (absent ones in between get
 * fresh names); `all` asks for every ONNX output even when unnamed (Split). */
static ep_status emit_outputs(onnx_imp* c, const Onnx__NodeProto* n, ep_op op, const ep_attrs* a,
                              const int* ids, int k, int n_out) {
  if (n_out == 0) return EP_OK;
  char (*names)[512] = malloc(sizeof(char[512]) * (size_t)n_out);
  const char** outs = malloc(sizeof(char*) * (size_t)n_out);
  int* out_ids = malloc(sizeof(int) * (size_t)n_out);
  ep_status st = EP_OK;
  if (names == NULL || outs == NULL || out_ids == NULL) {
    st = ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", c->label);
    goto cleanup;
  }
  for (int i = 0; i < n_out; i++) {
    if (out_name(n, i) != NULL) {
      snprintf(names[i], sizeof names[i], "%s", out_name(n, i));
    } else {
      char suffix[32];
      snprintf(suffix, sizeof suffix, "output%d", i);
      ep_imp_unique_name(c, ep_imp_node_name(n), suffix, names[i], sizeof names[i]);
    }
    outs[i] = names[i];
  }
  st = ep_graph_add_node(c->g, op, ep_imp_node_name(n), a, ids, k, n_out, outs, out_ids);
  if (st != EP_OK) {
    st = ep_imp_bad(c, "%s", ep_last_error());
    goto cleanup;
  }
  st = ep_graph_infer_node(c->g, ep_graph_node_count(c->g) - 1);
  if (st != EP_OK) {
    st = ep_imp_wrap(EP_ERR_FORMAT, c->label, NULL);
    goto cleanup;
  }
  for (int i = 0; i < n_out && st == EP_OK; i++) {
    st = ep_imp_check_size(c, out_ids[i]);
    if (st == EP_OK && out_name(n, i) != NULL) st = ep_imp_set_tensor(c, out_name(n, i), out_ids[i]);
  }
cleanup:
  free(names);
  free(outs);
  free(out_ids);
  return st;
}

/* An int64 list from a constant input; *count -1 when the input is absent. */
static ep_status const_ints(onnx_imp* c, const Onnx__NodeProto* n, int i, const char* what,
                            int64_t* out, int max, int* count) {
  *count = -1;
  if (ep_imp_input(c, n, i) == NULL) return EP_OK;
  const ep_host_tensor* t;
  ep_status st = ep_imp_const(c, n, i, &t);
  if (st != EP_OK) return st;
  int64_t k = ep_shape_numel(&t->shape);
  if (t->dtype != EP_DTYPE_INT64 || t->shape.rank > 1 || k > max) {
    return ep_imp_bad(c, "%s must be int64[k], k <= %d", what, max);
  }
  for (int64_t j = 0; j < k; j++) out[j] = ep_host_get_i(t, j);
  *count = (int)k;
  return EP_OK;
}

static const struct {
  const char* name;
  ep_op op;
  int axes_input_opset; /* from this opset on, axes is an input */
} reduce_ops[] = {
    {"ReduceMean", EP_OP_REDUCE_MEAN, 18},      {"ReduceSum", EP_OP_REDUCE_SUM, 13},
    {"ReduceMax", EP_OP_REDUCE_MAX, 18},        {"ReduceMin", EP_OP_REDUCE_MIN, 18},
    {"ReduceProd", EP_OP_REDUCE_PROD, 18},      {"ReduceL1", EP_OP_REDUCE_L1, 18},
    {"ReduceL2", EP_OP_REDUCE_L2, 18},          {"ReduceSumSquare", EP_OP_REDUCE_SUM_SQUARE, 18},
    {"ReduceLogSum", EP_OP_REDUCE_LOG_SUM, 18}, {"ReduceLogSumExp", EP_OP_REDUCE_LOG_SUM_EXP, 18},
};

ep_status ep_onnx_import_reduce(onnx_imp* c, const Onnx__NodeProto* n) {
  size_t which = 0;
  while (which + 1 < sizeof reduce_ops / sizeof reduce_ops[0] &&
         strcmp(reduce_ops[which].name, n->op_type) != 0) {
    which++;
  }
  const ep_op op = reduce_ops[which].op;
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  const ep_shape* xs = ep_imp_shape(c, x);
  int64_t axes[EP_MAX_RANK];
  int count;
  if (c->opset >= reduce_ops[which].axes_input_opset) {
    st = const_ints(c, n, 1, "axes", axes, EP_MAX_RANK, &count);
  } else {
    st = ep_onnx_attr_ints(c, n, "axes", axes, EP_MAX_RANK, &count);
  }
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(op);
  a.keepdims = ep_onnx_attr_int(n, "keepdims", 1) != 0;
  if (count <= 0 && ep_onnx_attr_int(n, "noop_with_empty_axes", 0) != 0) {
    /* No axes and noop_with_empty_axes: the input itself, as a view. */
    if (xs->rank < 1) return ep_imp_unsupported(c, "a scalar input with noop_with_empty_axes");
    ep_attrs r = ep_attrs_default(EP_OP_RESHAPE);
    r.shape = *xs;
    const char* y = out_name(n, 0);
    if (y == NULL) return EP_OK;
    return ep_imp_emit(c, EP_OP_RESHAPE, ep_imp_node_name(n), &r, &x, 1, y, y, NULL);
  }
  for (int i = 0; i < count; i++) {
    int64_t v = axes[i] < 0 ? axes[i] + xs->rank : axes[i];
    if (v < 0 || v >= xs->rank) {
      return ep_imp_bad(c, "axis %lld for rank %d", (long long)axes[i], xs->rank);
    }
    a.reduce_axes |= 1u << v;
  }
  if (count <= 0) a.reduce_axes = xs->rank > 0 ? (1u << xs->rank) - 1 : 0;
  const char* y = out_name(n, 0);
  if (y == NULL) return EP_OK;
  return ep_imp_emit(c, op, ep_imp_node_name(n), &a, &x, 1, y, y, NULL);
}

ep_status ep_onnx_import_layer_norm(onnx_imp* c, const Onnx__NodeProto* n) {
  int k = ep_imp_n_inputs(n);
  if (k < 2 || k > 3) return ep_imp_bad(c, "has %d inputs, expected 2 or 3", k);
  int ids[3] = {-1, -1, EP_TENSOR_ABSENT};
  ep_status st = EP_OK;
  for (int i = 0; i < k && st == EP_OK; i++) {
    if (i == 2 && ep_imp_input(c, n, 2) == NULL) continue;
    st = ep_imp_tensor(c, n, i, &ids[i]);
  }
  if (st != EP_OK) return st;
  ep_attrs a = ep_attrs_default(EP_OP_LAYER_NORM);
  a.axis = (int)ep_onnx_attr_int(n, "axis", -1);
  a.epsilon = ep_onnx_attr_float(n, "epsilon", 1e-5f);
  /* stash_type names the type of the mean and variance computation: float32 is what runs. */
  int n_out = 0;
  for (int i = 0; i < 3; i++) {
    if (out_name(n, i) != NULL) n_out = i + 1;
  }
  return emit_outputs(c, n, EP_OP_LAYER_NORM, &a, ids, ids[2] == EP_TENSOR_ABSENT ? 2 : 3, n_out);
}

ep_status ep_onnx_import_split(onnx_imp* c, const Onnx__NodeProto* n) {
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  const ep_shape* xs = ep_imp_shape(c, x);
  ep_attrs a = ep_attrs_default(EP_OP_SPLIT);
  int64_t axis = ep_onnx_attr_int(n, "axis", 0);
  if (axis < -xs->rank || axis >= xs->rank) {
    return ep_imp_bad(c, "axis %lld for rank %d", (long long)axis, xs->rank);
  }
  if (axis < 0) axis += xs->rank;
  a.axis = (int)axis;
  const int n_out = (int)n->n_output;
  if (n_out < 1) return ep_imp_bad(c, "no outputs");
  if (n_out > EP_MAX_SPLIT) return ep_imp_unsupported(c, "%d outputs (at most %d)", n_out, EP_MAX_SPLIT);
  int64_t sizes[EP_MAX_SPLIT];
  int count;
  if (c->opset >= 13) {
    st = const_ints(c, n, 1, "split", sizes, EP_MAX_SPLIT, &count);
  } else {
    st = ep_onnx_attr_ints(c, n, "split", sizes, EP_MAX_SPLIT, &count);
  }
  if (st != EP_OK) return st;
  const int64_t dim = xs->dims[axis];
  if (count >= 0) {
    if (count != n_out) return ep_imp_bad(c, "%d split sizes for %d outputs", count, n_out);
  } else {
    int64_t parts = ep_onnx_attr_int(n, "num_outputs", n_out);
    if (parts != n_out) {
      return ep_imp_bad(c, "num_outputs %lld but %d outputs", (long long)parts, n_out);
    }
    /* Equal parts; with num_outputs (opset 18) the last may be smaller. */
    const bool uneven = ep_onnx_attr_find(n, "num_outputs") != NULL;
    if (!uneven && dim % n_out != 0) {
      return ep_imp_bad(c, "dim %lld does not split into %d equal parts", (long long)dim, n_out);
    }
    const int64_t part = (dim + n_out - 1) / n_out;
    for (int i = 0; i < n_out; i++) {
      sizes[i] = dim - part * i < part ? dim - part * i : part;
    }
  }
  for (int i = 0; i < n_out; i++) {
    if (sizes[i] < 1) return ep_imp_unsupported(c, "an empty output (split size %lld)", (long long)sizes[i]);
    if (sizes[i] > dim) return ep_imp_bad(c, "split size %lld above the dim %lld", (long long)sizes[i], (long long)dim);
    a.split[i] = (int)sizes[i];
  }
  return emit_outputs(c, n, EP_OP_SPLIT, &a, &x, 1, n_out);
}

ep_status ep_onnx_import_tile(onnx_imp* c, const Onnx__NodeProto* n) {
  if (c->opset < 6) return ep_imp_unsupported(c, "Tile before opset 6 (tiles and axis inputs)");
  int x;
  ep_status st = ep_imp_tensor(c, n, 0, &x);
  if (st != EP_OK) return st;
  const ep_shape* xs = ep_imp_shape(c, x);
  int64_t reps[EP_MAX_RANK];
  int count;
  st = const_ints(c, n, 1, "repeats", reps, EP_MAX_RANK, &count);
  if (st != EP_OK) return st;
  if (count != xs->rank) return ep_imp_bad(c, "%d repeats for rank %d", count, xs->rank);
  ep_attrs a = ep_attrs_default(EP_OP_TILE);
  for (int d = 0; d < count; d++) {
    if (reps[d] < 1) return ep_imp_unsupported(c, "repeats %lld (an empty output)", (long long)reps[d]);
    if (reps[d] > 1 << 20) return ep_imp_bad(c, "repeats %lld", (long long)reps[d]);
    a.repeats[d] = (int)reps[d];
  }
  const char* y = out_name(n, 0);
  if (y == NULL) return EP_OK;
  return ep_imp_emit(c, EP_OP_TILE, ep_imp_node_name(n), &a, &x, 1, y, y, NULL);
}

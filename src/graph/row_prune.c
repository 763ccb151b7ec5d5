/* Dead-row pruning (EP_PASS_PRUNE_ROWS): compute only the rows that some reader needs.
 *
 * A ViT classifies from its class token alone: the last block's output goes through the final
 * LayerNorm and then x[:, 0] (a Gather, a Slice or a Split's first output) before the head, so of
 * the last block's attention output projection, residual Adds, LayerNorms and MLP only token 0's
 * rows are read, and of the attention only token 0's query rows (its keys and values still need
 * every token). ViT-B/16: 6% of its multiply-adds go to rows nobody reads.
 *
 * A backward walk (nodes in reverse order) gives each tensor its demand: the rows [lo, hi) along
 * one axis that its readers need, their union, or "all" (a graph output, a reader that is not
 * row-wise, readers on different axes). A node whose output is wanted on part of an axis only and
 * that computes each row along that axis from the same rows of its inputs (element-wise ops with
 * broadcasting, MatMul / Gemm / FullyConnected rows, LayerNorm, Softmax and reductions over other
 * axes, Transpose, a Reshape that keeps the axis, a Slice of other axes) is narrowed: it computes
 * those rows alone and asks its inputs for the corresponding rows. Where a narrowed tensor meets
 * a reader that wants fewer rows, or a tensor computed whole meets a narrowed reader, a Slice
 * takes the rows. The readers that start a demand (a Gather of one constant index, a Slice of one
 * axis with step 1, a Split with unread outputs) read the narrowed tensor at shifted positions.
 *
 * Each row is computed by the same op on the same values, so the result is the unpruned graph's
 * up to the kernels' own choices for a smaller M (a GEMV instead of a GEMM tile): within float
 * rounding, and bit for bit for the element-wise ops, LayerNorm and Softmax. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_internal.h"

typedef struct rows {
  int axis; /* -1: unread (no demand yet); -2: every element */
  int64_t lo, hi;
} rows;

enum { UNREAD = -1, ALL = -2 };

typedef struct pruner {
  const ep_graph* g;
  rows* demand;   /* per tensor: the union of its readers' demands */
  rows* narrow;   /* per tensor: the rows the new graph holds (axis < 0: all of it) */
  bool* narrowed; /* per node: computes part of its output's rows */
  int* map;       /* per source tensor: its id in the new graph */
  ep_graph* dst;
  int n_made; /* Slices and constants added, for unique names */
} pruner;

static void demand_all(pruner* p, int t) {
  if (t >= 0) p->demand[t].axis = ALL;
}

/* Adds the demand of rows [lo, hi) along `axis` of tensor t to its union. */
static void demand_rows(pruner* p, int t, int axis, int64_t lo, int64_t hi) {
  if (t < 0) return;
  rows* d = &p->demand[t];
  if (lo <= 0 && hi >= p->g->tensors[t].shape.dims[axis]) {
    d->axis = ALL;
  } else if (d->axis == UNREAD) {
    *d = (rows){axis, lo, hi};
  } else if (d->axis == axis) {
    if (lo < d->lo) d->lo = lo;
    if (hi > d->hi) d->hi = hi;
    /* readers of every part (q, k and v Slices of one projection) read it all */
    if (d->lo <= 0 && d->hi >= p->g->tensors[t].shape.dims[axis]) d->axis = ALL;
  } else {
    d->axis = ALL;
  }
}

static const ep_shape* shape_of(const pruner* p, int t) { return &p->g->tensors[t].shape; }

/* The input axis of an operand of rank r broadcast into an output of rank rout along `axis`:
 * -1 when the operand does not vary along it (missing or of size 1). */
static int broadcast_axis(const ep_shape* in, int rout, int axis) {
  int a = axis - (rout - in->rank);
  return a >= 0 && in->dims[a] > 1 ? a : -1;
}

/* Reshape x -> y keeps rows along y's `axis` as rows along one axis of x when the dims before
 * them hold as many elements and the axis is as long: that axis, or -1. */
static int reshape_axis(const ep_shape* x, const ep_shape* y, int axis) {
  int64_t outer = 1;
  for (int d = 0; d < axis; d++) outer *= y->dims[d];
  int64_t in_outer = 1;
  for (int a = 0; a < x->rank; a++) {
    if (in_outer == outer && x->dims[a] == y->dims[axis]) return a;
    in_outer *= x->dims[a];
    if (in_outer > outer) break;
  }
  return -1;
}

static bool is_unary_rowwise(ep_op op) {
  switch (op) {
    case EP_OP_RELU: case EP_OP_RELU6: case EP_OP_SIGMOID: case EP_OP_TANH: case EP_OP_LEAKY_RELU:
    case EP_OP_CLIP: case EP_OP_SQRT: case EP_OP_RECIPROCAL: case EP_OP_ERF: case EP_OP_GELU:
    case EP_OP_HARD_SIGMOID: case EP_OP_HARD_SWISH: case EP_OP_MISH: case EP_OP_EXP: case EP_OP_LOG:
    case EP_OP_NEG: case EP_OP_ABS: case EP_OP_SOFTPLUS:
      return true;
    default:
      return false;
  }
}

static bool is_binary_rowwise(ep_op op) {
  return op == EP_OP_ADD || op == EP_OP_SUB || op == EP_OP_MUL || op == EP_OP_DIV ||
         op == EP_OP_POW;
}

static bool is_reduce(ep_op op) {
  return op >= EP_OP_REDUCE_MEAN && op <= EP_OP_REDUCE_LOG_SUM_EXP;
}

/* For node n whose output is wanted on rows [lo, hi) of `axis`: whether it computes them from
 * rows of its inputs alone; if so in_axis[i] is the axis of input i holding the same rows (-1:
 * input i is read whole). */
static bool rowwise(const pruner* p, const ep_node* n, int axis, int* in_axis) {
  if (n->n_outputs != 1) return false;
  const ep_shape* y = shape_of(p, n->outputs[0]);
  for (int i = 0; i < n->n_inputs; i++) in_axis[i] = -1;
  for (int i = 0; i < n->n_inputs; i++) {
    if (n->inputs[i] >= 0 && p->g->tensors[n->inputs[i]].dtype != EP_DTYPE_FLOAT32 &&
        !(n->op == EP_OP_SLICE && i > 0)) {
      return false;
    }
  }
  if (is_unary_rowwise(n->op) && n->n_inputs == 1) {
    in_axis[0] = axis;
    return true;
  }
  if (is_binary_rowwise(n->op) && n->n_inputs == 2) {
    for (int i = 0; i < 2; i++) in_axis[i] = broadcast_axis(shape_of(p, n->inputs[i]), y->rank, axis);
    return true;
  }
  switch (n->op) {
    case EP_OP_MATMUL: {
      if (n->n_inputs != 2) return false;
      const ep_shape* a = shape_of(p, n->inputs[0]);
      const ep_shape* b = shape_of(p, n->inputs[1]);
      if (a->rank < 2 || b->rank < 2 || axis == y->rank - 1) return false;
      if (axis == y->rank - 2) {
        in_axis[0] = a->rank - 2;
        return true;
      }
      /* a batch axis: both operands' matrix dims align at the right like y's */
      in_axis[0] = broadcast_axis(a, y->rank, axis);
      in_axis[1] = broadcast_axis(b, y->rank, axis);
      return true;
    }
    case EP_OP_GEMM:
      if (n->attrs.trans_a || axis != 0) return false;
      in_axis[0] = 0;
      if (n->n_inputs > 2 && n->inputs[2] >= 0) {
        const ep_shape* c = shape_of(p, n->inputs[2]);
        if (c->rank == 2 && c->dims[0] > 1) in_axis[2] = 0;
      }
      return true;
    case EP_OP_FULLY_CONNECTED:
      if (axis != 0) return false;
      in_axis[0] = 0;
      return true;
    case EP_OP_LAYER_NORM:
      if (n->attrs.axis <= axis) return false;
      in_axis[0] = axis;
      return true;
    case EP_OP_SOFTMAX:
    case EP_OP_LOG_SOFTMAX:
      if (n->attrs.softmax_2d ? n->attrs.axis <= axis : n->attrs.axis == axis) return false;
      in_axis[0] = axis;
      return true;
    case EP_OP_TRANSPOSE: {
      bool zeros = true;
      for (int d = 0; d < y->rank; d++) zeros = zeros && n->attrs.perm[d] == 0;
      in_axis[0] = zeros ? y->rank - 1 - axis : n->attrs.perm[axis];
      return true;
    }
    case EP_OP_RESHAPE:
      if (n->n_inputs != 1) return false;
      in_axis[0] = reshape_axis(shape_of(p, n->inputs[0]), y, axis);
      return in_axis[0] >= 0;
    case EP_OP_SLICE: {
      int64_t lo[EP_MAX_RANK], step[EP_MAX_RANK];
      ep_shape out;
      if (ep_graph_slice_params(p->g, n, lo, step, &out) != EP_OK) return false;
      if (lo[axis] != 0 || step[axis] != 1 || out.dims[axis] != shape_of(p, n->inputs[0])->dims[axis]) {
        return false;
      }
      in_axis[0] = axis;
      return true;
    }
    default:
      if (is_reduce(n->op) && n->attrs.keepdims && n->attrs.reduce_axes != 0 &&
          !(n->attrs.reduce_axes & (1u << axis)) && n->n_inputs == 1) {
        in_axis[0] = axis;
        return true;
      }
      return false;
  }
}

/* A reader that starts a demand: rows [lo, hi) along `axis` of its input 0 are all it reads
 * (a Gather of one constant index, a Slice of one axis with step 1, a Split). */
static bool selector(const pruner* p, const ep_node* n, int* axis, int64_t* lo, int64_t* hi) {
  const ep_graph* g = p->g;
  const ep_shape* x = shape_of(p, n->inputs[0]);
  if (n->op == EP_OP_GATHER) {
    const ep_tensor* idx = &g->tensors[n->inputs[1]];
    if (idx->kind != EP_TENSOR_CONSTANT || idx->dtype != EP_DTYPE_INT64 ||
        ep_shape_numel(&idx->shape) != 1) {
      return false;
    }
    int64_t i = idx->data_i64[0];
    if (i < 0) i += x->dims[n->attrs.axis];
    if (i < 0 || i >= x->dims[n->attrs.axis]) return false;
    *axis = n->attrs.axis, *lo = i, *hi = i + 1;
    return true;
  }
  if (n->op == EP_OP_SLICE) {
    /* replaced by a Slice of the narrowed tensor (or that tensor), under another name */
    if (g->tensors[n->outputs[0]].is_output) return false;
    int64_t start[EP_MAX_RANK], step[EP_MAX_RANK];
    ep_shape out;
    if (ep_graph_slice_params(g, n, start, step, &out) != EP_OK) return false;
    int cut = -1;
    for (int d = 0; d < x->rank; d++) {
      if (start[d] == 0 && step[d] == 1 && out.dims[d] == x->dims[d]) continue;
      if (cut >= 0 || step[d] != 1) return false;
      cut = d;
    }
    if (cut < 0 || out.dims[cut] == 0) return false;
    *axis = cut, *lo = start[cut], *hi = start[cut] + out.dims[cut];
    return true;
  }
  if (n->op == EP_OP_SPLIT) {
    int64_t at = 0, first = -1, last = -1;
    for (int o = 0; o < n->n_outputs; o++) {
      int64_t size = n->attrs.split[o];
      if (g->tensors[n->outputs[o]].last_consumer >= 0) {
        if (first < 0) first = at;
        last = at + size;
      }
      at += size;
    }
    if (first < 0) return false;
    *axis = n->attrs.axis, *lo = first, *hi = last;
    return true;
  }
  return false;
}

/* --- the new graph ---------------------------------------------------------------------- */

static ep_status map_input(pruner* p, int t, int* out) {
  if (t < 0) {
    *out = EP_TENSOR_ABSENT;
    return EP_OK;
  }
  if (p->map[t] < 0) {
    const ep_tensor* s = &p->g->tensors[t];
    if (s->kind != EP_TENSOR_CONSTANT) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "prune rows: tensor %s has no producer", s->name);
    }
    ep_status st = ep_graph_add_constant_shared(p->dst, s->name, s->dtype, s->shape, s->raw, &p->map[t]);
    if (st != EP_OK) return st;
  }
  *out = p->map[t];
  return EP_OK;
}

/* A new int64 constant of one value v, shaped `shape` ([1] or a scalar). */
static ep_status new_i64_shaped(pruner* p, const char* base, int64_t v, ep_shape shape, int* out) {
  char name[256];
  do {
    snprintf(name, sizeof name, "%s/pruned_%d", base, p->n_made++);
  } while (ep_graph_find_tensor(p->dst, name) >= 0 || ep_graph_find_tensor(p->g, name) >= 0);
  return ep_graph_add_constant_typed(p->dst, name, EP_DTYPE_INT64, shape, &v, out);
}

static ep_status new_i64(pruner* p, const char* base, int64_t v, int* out) {
  return new_i64_shaped(p, base, v, ep_shape_make(1, (int64_t[]){1}), out);
}

/* Rows [lo, hi) along `axis` of source tensor t, as a tensor of the new graph: t itself when it
 * holds exactly those rows, else a Slice of what it holds. */
static ep_status rows_of(pruner* p, int t, int axis, int64_t lo, int64_t hi, int* out) {
  int id = -1;
  ep_status st = map_input(p, t, &id);
  if (st != EP_OK) return st;
  const rows* have = &p->narrow[t];
  int64_t base = 0, len = shape_of(p, t)->dims[axis];
  if (have->axis >= 0) base = have->lo, len = have->hi - have->lo;
  if (lo - base == 0 && hi - base == len) {
    *out = id;
    return EP_OK;
  }
  const char* name = p->g->tensors[t].name;
  int in[4] = {id, -1, -1, -1};
  st = new_i64(p, name, lo - base, &in[1]);
  if (st == EP_OK) st = new_i64(p, name, hi - base, &in[2]);
  if (st == EP_OK) st = new_i64(p, name, axis, &in[3]);
  if (st != EP_OK) return st;
  char node_name[256];
  snprintf(node_name, sizeof node_name, "%s/pruned_slice_%d", name, p->n_made++);
  ep_attrs a = ep_attrs_default(EP_OP_SLICE);
  return ep_graph_add_node(p->dst, EP_OP_SLICE, node_name, &a, in, 4, 1, NULL, out);
}

static ep_status emit_node(pruner* p, int k) {
  const ep_graph* g = p->g;
  const ep_node* n = &g->nodes[k];
  int in[EP_FUSION_MAX_INPUTS + 8];
  int in_axis[EP_FUSION_MAX_INPUTS + 8];
  const char* names[EP_MAX_SPLIT];
  ep_attrs a = n->attrs;
  ep_status st = EP_OK;
  if (n->n_inputs > (int)(sizeof in / sizeof in[0]) || n->n_outputs > EP_MAX_SPLIT) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "prune rows: node %s has too many inputs", n->name);
  }
  const rows* want = &p->narrow[n->outputs[0]];
  if (p->narrowed[k]) {
    rowwise(p, n, want->axis, in_axis);
    for (int i = 0; i < n->n_inputs; i++) {
      const int t = n->inputs[i];
      if (t >= 0 && in_axis[i] >= 0) {
        /* the same rows along the input's axis; a Reshape or Transpose moved the axis */
        st = rows_of(p, t, in_axis[i], want->lo, want->hi, &in[i]);
      } else {
        st = map_input(p, t, &in[i]);
      }
      if (st != EP_OK) return st;
    }
    if (n->op == EP_OP_RESHAPE) {
      a.shape = *shape_of(p, n->outputs[0]);
      a.shape.dims[want->axis] = want->hi - want->lo;
    }
  } else {
    for (int i = 0; i < n->n_inputs; i++) {
      st = map_input(p, n->inputs[i], &in[i]);
      if (st != EP_OK) return st;
    }
    const rows* src = n->n_inputs > 0 && n->inputs[0] >= 0 ? &p->narrow[n->inputs[0]] : NULL;
    int axis;
    int64_t lo, hi;
    if (src && src->axis >= 0 && selector(p, n, &axis, &lo, &hi)) {
      /* a selector reading a narrowed tensor: its rows start at src->lo now */
      if (n->op == EP_OP_GATHER) {
        const ep_tensor* idx = &g->tensors[n->inputs[1]];
        st = new_i64_shaped(p, idx->name, lo - src->lo, idx->shape, &in[1]);
        if (st != EP_OK) return st;
      } else if (n->op == EP_OP_SLICE) {
        int id;
        st = rows_of(p, n->inputs[0], axis, lo, hi, &id);
        if (st != EP_OK) return st;
        /* the Slice's output is that tensor: later readers map to it */
        p->map[n->outputs[0]] = id;
        return EP_OK;
      } else { /* Split: the read outputs, from the first to the last */
        st = rows_of(p, n->inputs[0], axis, lo, hi, &in[0]);
        if (st != EP_OK) return st;
        int64_t at = 0;
        int n_out = 0, first = -1;
        for (int o = 0; o < n->n_outputs; o++) {
          if (at >= lo && at + n->attrs.split[o] <= hi) {
            if (first < 0) first = o;
            a.split[n_out] = n->attrs.split[o];
            names[n_out++] = g->tensors[n->outputs[o]].name;
          }
          at += n->attrs.split[o];
        }
        int outs[EP_MAX_SPLIT];
        st = ep_graph_add_node(p->dst, n->op, n->name, &a, in, n->n_inputs, n_out, names, outs);
        if (st != EP_OK) return st;
        for (int o = 0; o < n_out; o++) p->map[n->outputs[first + o]] = outs[o];
        return EP_OK;
      }
    }
  }
  int outs[EP_MAX_SPLIT];
  for (int o = 0; o < n->n_outputs; o++) names[o] = g->tensors[n->outputs[o]].name;
  st = ep_graph_add_node(p->dst, n->op, n->name, &a, in, n->n_inputs, n->n_outputs, names, outs);
  if (st != EP_OK) return st;
  for (int o = 0; o < n->n_outputs; o++) p->map[n->outputs[o]] = outs[o];
  return EP_OK;
}

/* The backward walk: demands, then which nodes narrow. True when any does. */
static bool plan_rows(pruner* p) {
  const ep_graph* g = p->g;
  for (int t = 0; t < g->n_tensors; t++) {
    p->demand[t] = (rows){g->tensors[t].is_output ? ALL : UNREAD, 0, 0};
    p->narrow[t] = (rows){ALL, 0, 0};
  }
  bool any = false;
  int in_axis[EP_FUSION_MAX_INPUTS + 8];
  for (int k = g->n_nodes - 1; k >= 0; k--) {
    const ep_node* n = &g->nodes[k];
    p->narrowed[k] = false;
    const rows* d = &p->demand[n->outputs[0]];
    if (n->n_outputs == 1 && d->axis >= 0 && n->n_inputs <= (int)(sizeof in_axis / sizeof in_axis[0]) &&
        rowwise(p, n, d->axis, in_axis)) {
      p->narrowed[k] = true;
      p->narrow[n->outputs[0]] = *d;
      any = true;
      for (int i = 0; i < n->n_inputs; i++) {
        if (in_axis[i] >= 0) {
          demand_rows(p, n->inputs[i], in_axis[i], d->lo, d->hi);
        } else {
          demand_all(p, n->inputs[i]);
        }
      }
      continue;
    }
    int axis;
    int64_t lo, hi;
    if (n->n_inputs > 0 && n->inputs[0] >= 0 &&
        g->tensors[n->inputs[0]].dtype == EP_DTYPE_FLOAT32 && selector(p, n, &axis, &lo, &hi)) {
      demand_rows(p, n->inputs[0], axis, lo, hi);
      for (int i = 1; i < n->n_inputs; i++) demand_all(p, n->inputs[i]);
      continue;
    }
    for (int i = 0; i < n->n_inputs; i++) demand_all(p, n->inputs[i]);
  }
  return any;
}

ep_status ep_graph_prune_rows(const ep_graph* graph, ep_graph** pruned_out) {
  *pruned_out = NULL;
  pruner p = {graph, NULL, NULL, NULL, NULL, NULL, 0};
  size_t nt = (size_t)graph->n_tensors + 1, nn = (size_t)graph->n_nodes + 1;
  p.demand = malloc(nt * sizeof(rows));
  p.narrow = malloc(nt * sizeof(rows));
  p.narrowed = malloc(nn * sizeof(bool));
  p.map = malloc(nt * sizeof(int));
  ep_status st = EP_OK;
  if (!p.demand || !p.narrow || !p.narrowed || !p.map) {
    st = ep_error(EP_ERR_OUT_OF_MEMORY, "prune rows: out of memory");
    goto cleanup;
  }
  if (!plan_rows(&p)) goto cleanup; /* nothing to prune: *pruned_out stays NULL */
  for (size_t i = 0; i < nt; i++) p.map[i] = -1;
  st = ep_graph_create(graph->name, &p.dst);
  if (st != EP_OK) goto cleanup;
  for (int i = 0; i < graph->n_inputs && st == EP_OK; i++) {
    const ep_tensor* t = &graph->tensors[graph->inputs[i]];
    st = ep_graph_add_input_typed(p.dst, t->name, t->dtype, t->shape, &p.map[graph->inputs[i]]);
  }
  for (int k = 0; k < graph->n_nodes && st == EP_OK; k++) st = emit_node(&p, k);
  for (int i = 0; i < graph->n_outputs && st == EP_OK; i++) {
    int id;
    st = map_input(&p, graph->outputs[i], &id);
    if (st == EP_OK) st = ep_graph_mark_output(p.dst, id);
  }
  if (st == EP_OK) st = ep_graph_finalize(p.dst);
  if (st == EP_OK) {
    *pruned_out = p.dst;
    p.dst = NULL;
  }

cleanup:
  ep_graph_destroy(p.dst);
  free(p.demand);
  free(p.narrow);
  free(p.narrowed);
  free(p.map);
  return st;
}

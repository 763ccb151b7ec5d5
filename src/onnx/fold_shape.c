/* Folds of shape computations and data movement: Constant, Shape, Size, Gather, Unsqueeze,
 * Squeeze, Reshape, Flatten, Concat, Expand, ConstantOfShape, Slice, Transpose, Range. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/fold_internal.h"

ep_status ep_fold_constant(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const Onnx__AttributeProto* a;
  if ((a = ep_onnx_attr_find(n, "value")) != NULL && a->t != NULL) {
    ep_status st = ep_onnx_tensor_from_proto(a->t, c->dir, c->label, out);
    if (st == EP_ERR_UNSUPPORTED) return ep_imp_unsupported(c, "%s", ep_last_error());
    return st;
  }
  ep_shape s;
  memset(&s, 0, sizeof s);
  if ((a = ep_onnx_attr_find(n, "value_float")) != NULL && a->has_f) {
    ep_status st = ep_fold_make(c, EP_DTYPE_FLOAT32, &s, out);
    if (st == EP_OK) ((float*)out->data)[0] = a->f;
    return st;
  }
  if ((a = ep_onnx_attr_find(n, "value_int")) != NULL && a->has_i) {
    ep_status st = ep_fold_make(c, EP_DTYPE_INT64, &s, out);
    if (st == EP_OK) ((int64_t*)out->data)[0] = a->i;
    return st;
  }
  if ((a = ep_onnx_attr_find(n, "value_floats")) != NULL) {
    s.rank = 1;
    s.dims[0] = (int64_t)a->n_floats;
    ep_status st = ep_fold_make(c, EP_DTYPE_FLOAT32, &s, out);
    for (size_t i = 0; st == EP_OK && i < a->n_floats; i++) ((float*)out->data)[i] = a->floats[i];
    return st;
  }
  if ((a = ep_onnx_attr_find(n, "value_ints")) != NULL) {
    s.rank = 1;
    s.dims[0] = (int64_t)a->n_ints;
    ep_status st = ep_fold_make(c, EP_DTYPE_INT64, &s, out);
    for (size_t i = 0; st == EP_OK && i < a->n_ints; i++) ((int64_t*)out->data)[i] = a->ints[i];
    return st;
  }
  if (ep_onnx_attr_find(n, "sparse_value") != NULL) return ep_imp_unsupported(c, "a sparse_value constant");
  if (ep_onnx_attr_find(n, "value_string") != NULL || ep_onnx_attr_find(n, "value_strings") != NULL) {
    return ep_imp_unsupported(c, "a string constant");
  }
  return ep_imp_bad(c, "no value attribute");
}

ep_status ep_fold_shape(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_shape* s = ep_fold_input_shape(c, n, 0);
  int64_t start = ep_onnx_attr_int(n, "start", 0), end = ep_onnx_attr_int(n, "end", s->rank);
  if (start < 0) start += s->rank;
  if (end < 0) end += s->rank;
  start = start < 0 ? 0 : start > s->rank ? s->rank : start;
  end = end < 0 ? 0 : end > s->rank ? s->rank : end;
  ep_shape os = ep_shape_make(1, (int64_t[]){end > start ? end - start : 0});
  ep_status st = ep_fold_make(c, EP_DTYPE_INT64, &os, out);
  for (int64_t i = start; st == EP_OK && i < end; i++) ((int64_t*)out->data)[i - start] = s->dims[i];
  return st;
}

ep_status ep_fold_size(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_shape* s = ep_fold_input_shape(c, n, 0);
  ep_shape os;
  memset(&os, 0, sizeof os);
  ep_status st = ep_fold_make(c, EP_DTYPE_INT64, &os, out);
  if (st == EP_OK) ((int64_t*)out->data)[0] = ep_shape_numel(s);
  return st;
}

ep_status ep_fold_gather(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = ep_fold_in(c, n, 0);
  const ep_host_tensor* idx = ep_fold_in(c, n, 1);
  int64_t axis = ep_onnx_attr_int(n, "axis", 0);
  if (!ep_fold_axis(&axis, x->shape.rank)) return ep_imp_bad(c, "axis out of range");
  if (idx->dtype == EP_DTYPE_FLOAT32) return ep_imp_bad(c, "indices must be integers");
  if (x->shape.rank - 1 + idx->shape.rank > EP_MAX_RANK) return ep_imp_unsupported(c, "rank too high");
  ep_shape os;
  memset(&os, 0, sizeof os);
  for (int d = 0; d < axis; d++) os.dims[os.rank++] = x->shape.dims[d];
  for (int d = 0; d < idx->shape.rank; d++) os.dims[os.rank++] = idx->shape.dims[d];
  for (int d = (int)axis + 1; d < x->shape.rank; d++) os.dims[os.rank++] = x->shape.dims[d];
  ep_status st = ep_fold_make(c, x->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t outer = 1, inner = 1, dim = x->shape.dims[axis], k = ep_shape_numel(&idx->shape);
  for (int d = 0; d < axis; d++) outer *= x->shape.dims[d];
  for (int d = (int)axis + 1; d < x->shape.rank; d++) inner *= x->shape.dims[d];
  for (int64_t j = 0; j < k; j++) {
    int64_t v = ep_host_get_i(idx, j);
    if (v < 0) v += dim;
    if (v < 0 || v >= dim) {
      ep_host_tensor_free(out);
      return ep_imp_bad(c, "index %lld out of range [0, %lld)", (long long)ep_host_get_i(idx, j),
                        (long long)dim);
    }
    for (int64_t o = 0; o < outer; o++) {
      for (int64_t i = 0; i < inner; i++) {
        ep_fold_copy(out, (o * k + j) * inner + i, x, (o * dim + v) * inner + i);
      }
    }
  }
  return EP_OK;
}

/* Axes of Squeeze / Unsqueeze: an input from opset 13, an attribute before. */
static ep_status squeeze_axes(onnx_imp* c, const Onnx__NodeProto* n, int64_t* axes, int* count) {
  bool input = c->opset >= 13;
  return ep_fold_int_list(c, n, input ? NULL : "axes", input ? 1 : -1, axes, EP_MAX_RANK, count);
}

static ep_status unsqueeze_shape(onnx_imp* c, const Onnx__NodeProto* n, const ep_shape* x,
                                 ep_shape* os) {
  int64_t axes[EP_MAX_RANK];
  int count;
  ep_status st = squeeze_axes(c, n, axes, &count);
  if (st != EP_OK) return st;
  if (count < 0) return ep_imp_bad(c, "axes are missing");
  int rank = x->rank + count;
  if (rank > EP_MAX_RANK) return ep_imp_unsupported(c, "rank %d is too high", rank);
  bool inserted[EP_MAX_RANK] = {false};
  for (int i = 0; i < count; i++) {
    if (!ep_fold_axis(&axes[i], rank) || inserted[axes[i]]) return ep_imp_bad(c, "bad axes");
    inserted[axes[i]] = true;
  }
  memset(os, 0, sizeof *os);
  os->rank = rank;
  for (int d = 0, k = 0; d < rank; d++) os->dims[d] = inserted[d] ? 1 : x->dims[k++];
  return EP_OK;
}

static ep_status squeeze_shape(onnx_imp* c, const Onnx__NodeProto* n, const ep_shape* x,
                               ep_shape* os) {
  int64_t axes[EP_MAX_RANK];
  int count;
  ep_status st = squeeze_axes(c, n, axes, &count);
  if (st != EP_OK) return st;
  bool drop[EP_MAX_RANK] = {false};
  if (count < 0) {
    for (int d = 0; d < x->rank; d++) drop[d] = x->dims[d] == 1;
  }
  for (int i = 0; i < count; i++) {
    if (!ep_fold_axis(&axes[i], x->rank) || x->dims[axes[i]] != 1) {
      return ep_imp_bad(c, "axis %lld is not a dim of size 1", (long long)axes[i]);
    }
    drop[axes[i]] = true;
  }
  memset(os, 0, sizeof *os);
  for (int d = 0; d < x->rank; d++) {
    if (!drop[d]) os->dims[os->rank++] = x->dims[d];
  }
  return EP_OK;
}

/* Output shape of Reshape: 0 copies the input's dim (unless allowzero), -1 is inferred. */
static ep_status reshape_shape(onnx_imp* c, const Onnx__NodeProto* n, const ep_shape* x,
                               ep_shape* os) {
  ep_status st = ep_fold_shape_input(c, n, 1, os);
  if (st != EP_OK) return st;
  bool allowzero = ep_onnx_attr_int(n, "allowzero", 0) != 0;
  int infer = -1;
  int64_t known = 1;
  for (int d = 0; d < os->rank; d++) {
    int64_t v = os->dims[d];
    if (v == 0 && !allowzero) {
      if (d >= x->rank) return ep_imp_bad(c, "shape copies dim %d of a rank %d input", d, x->rank);
      v = x->dims[d];
    }
    if (v == -1) {
      if (infer >= 0) return ep_imp_bad(c, "two -1 dims in the shape");
      infer = d;
      continue;
    }
    if (v < 0) return ep_imp_bad(c, "negative dim %lld in the shape", (long long)v);
    if (v > 0 && known > ONNX_MAX_NUMEL / v) return ep_imp_bad(c, "shape too large");
    os->dims[d] = v;
    known *= v;
  }
  int64_t numel = ep_shape_numel(x);
  if (infer >= 0) {
    if (known == 0 || numel % known != 0) return ep_imp_bad(c, "cannot infer the -1 dim");
    os->dims[infer] = numel / known;
  } else if (known != numel) {
    return ep_imp_bad(c, "shape has %lld elements, input %lld", (long long)known, (long long)numel);
  }
  return EP_OK;
}

ep_status ep_fold_view(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = ep_fold_in(c, n, 0);
  const char* op = n->op_type;
  ep_shape os;
  ep_status st;
  if (strcmp(op, "Unsqueeze") == 0) {
    st = unsqueeze_shape(c, n, &x->shape, &os);
  } else if (strcmp(op, "Squeeze") == 0) {
    st = squeeze_shape(c, n, &x->shape, &os);
  } else if (strcmp(op, "Flatten") == 0) {
    int64_t axis = ep_onnx_attr_int(n, "axis", 1);
    if (axis < 0) axis += x->shape.rank;
    if (axis < 0 || axis > x->shape.rank) return ep_imp_bad(c, "axis out of range");
    int64_t outer = 1;
    for (int d = 0; d < axis; d++) outer *= x->shape.dims[d];
    int64_t numel = ep_shape_numel(&x->shape);
    os = ep_shape_make(2, (int64_t[]){outer, outer ? numel / outer : 0});
    st = EP_OK;
  } else {
    st = reshape_shape(c, n, &x->shape, &os);
  }
  if (st != EP_OK) return st;
  st = ep_host_tensor_copy(x, out);
  if (st != EP_OK) return st;
  free(out->name);
  out->name = NULL;
  out->shape = os;
  return EP_OK;
}

ep_status ep_fold_concat(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  int k = ep_imp_n_inputs(n);
  const ep_host_tensor* x0 = ep_fold_in(c, n, 0);
  if (x0 == NULL) return ep_imp_bad(c, "no inputs");
  int64_t axis = ep_onnx_attr_int(n, "axis", 0);
  if (!ep_fold_axis(&axis, x0->shape.rank)) return ep_imp_bad(c, "axis out of range");
  ep_shape os = x0->shape;
  os.dims[axis] = 0;
  for (int i = 0; i < k; i++) {
    const ep_host_tensor* x = ep_fold_in(c, n, i);
    if (x == NULL || x->shape.rank != os.rank) return ep_imp_bad(c, "input %d has another rank", i);
    if (x->dtype != x0->dtype) return ep_imp_bad(c, "input %d has another type", i);
    for (int d = 0; d < os.rank; d++) {
      if (d != axis && x->shape.dims[d] != os.dims[d]) return ep_imp_bad(c, "input %d: dims differ", i);
    }
    os.dims[axis] += x->shape.dims[axis];
  }
  ep_status st = ep_fold_make(c, x0->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= os.dims[d];
  for (int d = (int)axis + 1; d < os.rank; d++) inner *= os.dims[d];
  int64_t at = 0;
  for (int64_t o = 0; o < outer; o++) {
    for (int i = 0; i < k; i++) {
      const ep_host_tensor* x = ep_fold_in(c, n, i);
      int64_t chunk = x->shape.dims[axis] * inner;
      for (int64_t j = 0; j < chunk; j++) ep_fold_copy(out, at++, x, o * chunk + j);
    }
  }
  return EP_OK;
}

ep_status ep_fold_expand(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = ep_fold_in(c, n, 0);
  ep_shape target, os;
  ep_status st = ep_fold_shape_input(c, n, 1, &target);
  if (st != EP_OK) return st;
  if (!ep_fold_broadcast(&x->shape, &target, &os)) return ep_imp_bad(c, "shapes do not broadcast");
  st = ep_fold_make(c, x->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t idx[EP_MAX_RANK];
  for (int64_t i = 0; i < ep_shape_numel(&os); i++) {
    ep_fold_unravel(i, &os, idx);
    ep_fold_copy(out, i, x, ep_fold_broadcast_offset(&x->shape, idx, os.rank));
  }
  return EP_OK;
}

ep_status ep_fold_constant_of_shape(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  ep_shape os;
  ep_status st = ep_fold_shape_input(c, n, 0, &os);
  if (st != EP_OK) return st;
  ep_host_tensor value;
  memset(&value, 0, sizeof value);
  const Onnx__AttributeProto* a = ep_onnx_attr_find(n, "value");
  bool has_value = a != NULL && a->t != NULL;
  if (has_value) {
    st = ep_onnx_tensor_from_proto(a->t, NULL, c->label, &value);
    if (st == EP_ERR_UNSUPPORTED) return ep_imp_unsupported(c, "%s", ep_last_error());
    if (st != EP_OK) return st;
    if (ep_shape_numel(&value.shape) != 1) {
      ep_host_tensor_free(&value);
      return ep_imp_bad(c, "value must hold one element");
    }
  }
  st = ep_fold_make(c, has_value ? value.dtype : EP_DTYPE_FLOAT32, &os, out);
  for (int64_t i = 0; st == EP_OK && has_value && i < ep_shape_numel(&os); i++) {
    ep_fold_copy(out, i, &value, 0);
  }
  ep_host_tensor_free(&value);
  return st;
}

ep_status ep_fold_slice(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = ep_fold_in(c, n, 0);
  int64_t starts[EP_MAX_RANK], ends[EP_MAX_RANK], axes[EP_MAX_RANK], steps[EP_MAX_RANK];
  int ns, ne, na, nst;
  bool in = c->opset >= 10; /* inputs from opset 10, attributes before */
  ep_status st = ep_fold_int_list(c, n, in ? NULL : "starts", in ? 1 : -1, starts, EP_MAX_RANK, &ns);
  if (st == EP_OK) st = ep_fold_int_list(c, n, in ? NULL : "ends", in ? 2 : -1, ends, EP_MAX_RANK, &ne);
  if (st == EP_OK) st = ep_fold_int_list(c, n, in ? NULL : "axes", in ? 3 : -1, axes, EP_MAX_RANK, &na);
  if (st == EP_OK) st = ep_fold_int_list(c, n, NULL, in ? 4 : -1, steps, EP_MAX_RANK, &nst);
  if (st != EP_OK) return st;
  if (ns < 0 || ns != ne || (na >= 0 && na != ns) || (nst >= 0 && nst != ns)) {
    return ep_imp_bad(c, "starts, ends, axes and steps differ in length");
  }
  int64_t lo[EP_MAX_RANK], step[EP_MAX_RANK];
  ep_shape os = x->shape;
  for (int d = 0; d < os.rank; d++) {
    lo[d] = 0;
    step[d] = 1;
  }
  bool seen[EP_MAX_RANK] = {false};
  for (int i = 0; i < ns; i++) {
    int64_t axis = na >= 0 ? axes[i] : i;
    if (!ep_fold_axis(&axis, x->shape.rank) || seen[axis]) return ep_imp_bad(c, "bad axes");
    seen[axis] = true;
    int64_t dim = x->shape.dims[axis], s = nst >= 0 ? steps[i] : 1;
    if (s == 0) return ep_imp_bad(c, "step 0");
    /* Negative starts and ends count from the end; then both are clamped ([0, dim] going
     * forward, [-1, dim - 1] going backward), so INT64_MAX and INT64_MIN mean "to the end". */
    int64_t b = starts[i], e = ends[i];
    if (b < 0) b = b < -dim ? -1 : b + dim;
    if (e < 0) e = e < -dim ? -1 : e + dim;
    if (s > 0) {
      b = b < 0 ? 0 : b > dim ? dim : b;
      e = e < 0 ? 0 : e > dim ? dim : e;
      os.dims[axis] = e > b ? (e - b - 1) / s + 1 : 0;
    } else {
      b = b < 0 ? -1 : b > dim - 1 ? dim - 1 : b;
      e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
      os.dims[axis] = b > e ? (b - e - 1) / -s + 1 : 0;
    }
    lo[axis] = b;
    step[axis] = s;
  }
  st = ep_fold_make(c, x->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t idx[EP_MAX_RANK], strides[EP_MAX_RANK];
  ep_fold_strides(&x->shape, strides);
  for (int64_t i = 0; i < ep_shape_numel(&os); i++) {
    ep_fold_unravel(i, &os, idx);
    int64_t off = 0;
    for (int d = 0; d < os.rank; d++) off += (lo[d] + idx[d] * step[d]) * strides[d];
    ep_fold_copy(out, i, x, off);
  }
  return EP_OK;
}

ep_status ep_fold_transpose(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = ep_fold_in(c, n, 0);
  int64_t perm[EP_MAX_RANK];
  int count;
  ep_status st = ep_onnx_attr_ints(c, n, "perm", perm, EP_MAX_RANK, &count);
  if (st != EP_OK) return st;
  int r = x->shape.rank;
  if (count < 0) {
    for (int d = 0; d < r; d++) perm[d] = r - 1 - d;
  } else if (count != r) {
    return ep_imp_bad(c, "perm has %d values for rank %d", count, r);
  }
  bool seen[EP_MAX_RANK] = {false};
  ep_shape os = x->shape;
  for (int d = 0; d < r; d++) {
    if (!ep_fold_axis(&perm[d], r) || seen[perm[d]]) return ep_imp_bad(c, "bad perm");
    seen[perm[d]] = true;
    os.dims[d] = x->shape.dims[perm[d]];
  }
  st = ep_fold_make(c, x->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t idx[EP_MAX_RANK], strides[EP_MAX_RANK];
  ep_fold_strides(&x->shape, strides);
  for (int64_t i = 0; i < ep_shape_numel(&os); i++) {
    ep_fold_unravel(i, &os, idx);
    int64_t off = 0;
    for (int d = 0; d < r; d++) off += idx[d] * strides[perm[d]];
    ep_fold_copy(out, i, x, off);
  }
  return EP_OK;
}

ep_status ep_fold_range(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* t[3];
  for (int i = 0; i < 3; i++) {
    t[i] = ep_fold_in(c, n, i);
    if (ep_shape_numel(&t[i]->shape) != 1) return ep_imp_bad(c, "input %d must be a scalar", i);
    if (t[i]->dtype != t[0]->dtype) return ep_imp_bad(c, "inputs of different types");
  }
  bool is_float = t[0]->dtype == EP_DTYPE_FLOAT32;
  double start = ep_host_get_f(t[0], 0), limit = ep_host_get_f(t[1], 0), delta = ep_host_get_f(t[2], 0);
  if (delta == 0.0 || !isfinite(start) || !isfinite(limit) || !isfinite(delta)) {
    return ep_imp_bad(c, "delta 0 or a start, limit or delta that is not finite");
  }
  int64_t count;
  if (is_float) {
    double k = ceil((limit - start) / delta);
    count = k > 0 ? (k > (double)FOLD_MAX_NUMEL ? FOLD_MAX_NUMEL + 1 : (int64_t)k) : 0;
  } else {
    /* Exact in integers: ceil((limit - start) / delta). */
    int64_t s = ep_host_get_i(t[0], 0), l = ep_host_get_i(t[1], 0), d = ep_host_get_i(t[2], 0);
    double span = (double)l - (double)s;
    if (span / (double)d > (double)FOLD_MAX_NUMEL) {
      count = FOLD_MAX_NUMEL + 1;
    } else if (fabs(span) > 4e18) { /* l - s would overflow: few elements, double is exact enough */
      count = (int64_t)ceil(span / (double)d);
      if (count < 0) count = 0;
    } else {
      int64_t diff = l - s;
      count = diff / d + ((diff % d != 0) && ((diff > 0) == (d > 0)));
      if (count < 0) count = 0;
    }
  }
  ep_shape os = ep_shape_make(1, (int64_t[]){count});
  ep_status st = ep_fold_make(c, t[0]->dtype, &os, out);
  if (st != EP_OK) return st;
  for (int64_t i = 0; i < count; i++) {
    if (is_float) {
      /* As ONNX's reference: start + i * delta in the input type. */
      ((float*)out->data)[i] = (float)start + (float)i * (float)delta;
    } else {
      ep_fold_put_i(out, i, ep_host_get_i(t[0], 0) + i * ep_host_get_i(t[2], 0));
    }
  }
  return EP_OK;
}

/* Constant folding at load: the shape arithmetic exporters emit (Shape -> Gather -> Unsqueeze ->
 * Concat -> Reshape, ...) and anything else computed from constants only, evaluated on int64 and
 * float32 host tensors so that the graph keeps only the layers that run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx/onnx_internal.h"

typedef ep_status (*fold_fn)(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out);

/* --- helpers --------------------------------------------------------------------------------- */

/* Input i, which the caller has checked is a constant. */
static const ep_host_tensor* cin(onnx_imp* c, const Onnx__NodeProto* n, int i) {
  ov* v = ep_imp_input(c, n, i);
  return v != NULL ? &v->value : NULL;
}

static bool norm_axis(int64_t* axis, int rank) {
  int64_t a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a >= rank) return false;
  *axis = a;
  return true;
}

/* An int64 vector input or attribute (axes, shape, starts...): up to `max` values. */
static ep_status int_list(onnx_imp* c, const Onnx__NodeProto* n, const char* attr, int input,
                          int64_t* out, int max, int* count) {
  *count = -1;
  if (input >= 0 && c->opset >= 0 && ep_imp_input(c, n, input) != NULL) {
    const ep_host_tensor* t = cin(c, n, input);
    if (t->dtype != EP_DTYPE_INT64 || t->shape.rank > 1) {
      return ep_imp_bad(c, "input %d must be an int64 vector", input);
    }
    int64_t k = ep_shape_numel(&t->shape);
    if (k > max) return ep_imp_bad(c, "input %d has %lld values (at most %d)", input, (long long)k, max);
    for (int64_t i = 0; i < k; i++) out[i] = ((const int64_t*)t->data)[i];
    *count = (int)k;
    return EP_OK;
  }
  if (attr != NULL) return ep_onnx_attr_ints(c, n, attr, out, max, count);
  return EP_OK;
}

/* Constants computed at load are small in real models (shapes, masks, a few weights). */
#define MAX_FOLD_NUMEL (INT64_C(1) << 24)

static ep_status make(onnx_imp* c, ep_dtype dtype, const ep_shape* shape, ep_host_tensor* out) {
  int64_t n = 1;
  for (int d = 0; d < shape->rank; d++) {
    if (shape->dims[d] < 0 || (shape->dims[d] > 0 && n > MAX_FOLD_NUMEL / shape->dims[d])) {
      return ep_imp_unsupported(c, "a constant of more than 2^24 elements computed at load");
    }
    n *= shape->dims[d];
  }
  ep_status st = ep_host_tensor_alloc(dtype, shape, out);
  if (st != EP_OK) return ep_imp_bad(c, "%s", ep_last_error());
  return EP_OK;
}

static void strides_of(const ep_shape* s, int64_t* strides) {
  int64_t acc = 1;
  for (int d = s->rank - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= s->dims[d];
  }
}

/* numpy broadcasting of two shapes; false when they do not broadcast. */
static bool broadcast_shape(const ep_shape* a, const ep_shape* b, ep_shape* out) {
  memset(out, 0, sizeof *out);
  out->rank = a->rank > b->rank ? a->rank : b->rank;
  for (int d = 0; d < out->rank; d++) {
    int ia = d - (out->rank - a->rank), ib = d - (out->rank - b->rank);
    int64_t da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
    if (da != db && da != 1 && db != 1) return false;
    out->dims[d] = da == 1 ? db : da;
  }
  return true;
}

/* Offset into `src` (of shape s) of the output element at multi-index idx (of rank out_rank). */
static int64_t broadcast_offset(const ep_shape* s, const int64_t* idx, int out_rank) {
  int64_t strides[EP_MAX_RANK];
  strides_of(s, strides);
  int64_t off = 0;
  for (int d = 0; d < s->rank; d++) {
    int od = d + out_rank - s->rank;
    if (s->dims[d] != 1) off += idx[od] * strides[d];
  }
  return off;
}

static void unravel(int64_t i, const ep_shape* s, int64_t* idx) {
  for (int d = s->rank - 1; d >= 0; d--) {
    idx[d] = s->dims[d] ? i % s->dims[d] : 0;
    i = s->dims[d] ? i / s->dims[d] : 0;
  }
}

static void copy_elem(ep_host_tensor* dst, int64_t di, const ep_host_tensor* src, int64_t si) {
  if (dst->dtype == EP_DTYPE_INT64) {
    ((int64_t*)dst->data)[di] = ep_host_get_i(src, si);
  } else {
    ((float*)dst->data)[di] = (float)ep_host_get_f(src, si);
  }
}

/* --- the ops --------------------------------------------------------------------------------- */

static ep_status fold_constant(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const Onnx__AttributeProto* a;
  if ((a = ep_onnx_attr_find(n, "value")) != NULL && a->t != NULL) {
    ep_status st = ep_onnx_tensor_from_proto(a->t, c->dir, c->label, out);
    if (st == EP_ERR_UNSUPPORTED) return ep_imp_unsupported(c, "%s", ep_last_error());
    return st;
  }
  ep_shape s;
  memset(&s, 0, sizeof s);
  if ((a = ep_onnx_attr_find(n, "value_float")) != NULL && a->has_f) {
    ep_status st = make(c, EP_DTYPE_FLOAT32, &s, out);
    if (st == EP_OK) ((float*)out->data)[0] = a->f;
    return st;
  }
  if ((a = ep_onnx_attr_find(n, "value_int")) != NULL && a->has_i) {
    ep_status st = make(c, EP_DTYPE_INT64, &s, out);
    if (st == EP_OK) ((int64_t*)out->data)[0] = a->i;
    return st;
  }
  if ((a = ep_onnx_attr_find(n, "value_floats")) != NULL) {
    s.rank = 1;
    s.dims[0] = (int64_t)a->n_floats;
    ep_status st = make(c, EP_DTYPE_FLOAT32, &s, out);
    for (size_t i = 0; st == EP_OK && i < a->n_floats; i++) ((float*)out->data)[i] = a->floats[i];
    return st;
  }
  if ((a = ep_onnx_attr_find(n, "value_ints")) != NULL) {
    s.rank = 1;
    s.dims[0] = (int64_t)a->n_ints;
    ep_status st = make(c, EP_DTYPE_INT64, &s, out);
    for (size_t i = 0; st == EP_OK && i < a->n_ints; i++) ((int64_t*)out->data)[i] = a->ints[i];
    return st;
  }
  return ep_imp_unsupported(c, "only value, value_float(s) and value_int(s) constants");
}

static ep_status fold_shape(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  ov* x = ep_imp_input(c, n, 0);
  const ep_shape* s = x->kind == OV_DYNAMIC ? ep_imp_shape(c, x->tensor) : &x->value.shape;
  int64_t start = ep_onnx_attr_int(n, "start", 0), end = ep_onnx_attr_int(n, "end", s->rank);
  if (start < 0) start += s->rank;
  if (end < 0) end += s->rank;
  start = start < 0 ? 0 : start > s->rank ? s->rank : start;
  end = end < 0 ? 0 : end > s->rank ? s->rank : end;
  ep_shape os = ep_shape_make(1, (int64_t[]){end > start ? end - start : 0});
  ep_status st = make(c, EP_DTYPE_INT64, &os, out);
  for (int64_t i = start; st == EP_OK && i < end; i++) ((int64_t*)out->data)[i - start] = s->dims[i];
  return st;
}

static ep_status fold_size(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  ov* x = ep_imp_input(c, n, 0);
  const ep_shape* s = x->kind == OV_DYNAMIC ? ep_imp_shape(c, x->tensor) : &x->value.shape;
  ep_shape os;
  memset(&os, 0, sizeof os);
  ep_status st = make(c, EP_DTYPE_INT64, &os, out);
  if (st == EP_OK) ((int64_t*)out->data)[0] = ep_shape_numel(s);
  return st;
}

static ep_status fold_gather(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = cin(c, n, 0);
  const ep_host_tensor* idx = cin(c, n, 1);
  int64_t axis = ep_onnx_attr_int(n, "axis", 0);
  if (!norm_axis(&axis, x->shape.rank)) return ep_imp_bad(c, "axis out of range");
  if (idx->dtype != EP_DTYPE_INT64) return ep_imp_bad(c, "indices must be integers");
  if (x->shape.rank - 1 + idx->shape.rank > EP_MAX_RANK) return ep_imp_unsupported(c, "rank too high");
  ep_shape os;
  memset(&os, 0, sizeof os);
  for (int d = 0; d < axis; d++) os.dims[os.rank++] = x->shape.dims[d];
  for (int d = 0; d < idx->shape.rank; d++) os.dims[os.rank++] = idx->shape.dims[d];
  for (int d = (int)axis + 1; d < x->shape.rank; d++) os.dims[os.rank++] = x->shape.dims[d];
  ep_status st = make(c, x->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t outer = 1, inner = 1, dim = x->shape.dims[axis], k = ep_shape_numel(&idx->shape);
  for (int d = 0; d < axis; d++) outer *= x->shape.dims[d];
  for (int d = (int)axis + 1; d < x->shape.rank; d++) inner *= x->shape.dims[d];
  for (int64_t j = 0; j < k; j++) {
    int64_t v = ((const int64_t*)idx->data)[j];
    if (v < 0) v += dim;
    if (v < 0 || v >= dim) {
      ep_host_tensor_free(out);
      return ep_imp_bad(c, "index %lld out of range [0, %lld)", (long long)v, (long long)dim);
    }
    for (int64_t o = 0; o < outer; o++) {
      for (int64_t i = 0; i < inner; i++) {
        copy_elem(out, (o * k + j) * inner + i, x, (o * dim + v) * inner + i);
      }
    }
  }
  return EP_OK;
}

/* Output shape of Unsqueeze. */
static ep_status unsqueeze_shape(onnx_imp* c, const Onnx__NodeProto* n, const ep_shape* x,
                                 ep_shape* os) {
  int64_t axes[EP_MAX_RANK];
  int count;
  ep_status st = int_list(c, n, c->opset >= 13 ? NULL : "axes", c->opset >= 13 ? 1 : -1, axes,
                          EP_MAX_RANK, &count);
  if (st != EP_OK) return st;
  if (count < 0) return ep_imp_bad(c, "axes are missing");
  int rank = x->rank + count;
  if (rank > EP_MAX_RANK) return ep_imp_unsupported(c, "rank %d is too high", rank);
  bool inserted[EP_MAX_RANK] = {false};
  for (int i = 0; i < count; i++) {
    if (!norm_axis(&axes[i], rank) || inserted[axes[i]]) return ep_imp_bad(c, "bad axes");
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
  ep_status st = int_list(c, n, c->opset >= 13 ? NULL : "axes", c->opset >= 13 ? 1 : -1, axes,
                          EP_MAX_RANK, &count);
  if (st != EP_OK) return st;
  bool drop[EP_MAX_RANK] = {false};
  if (count < 0) {
    for (int d = 0; d < x->rank; d++) drop[d] = x->dims[d] == 1;
  }
  for (int i = 0; i < count; i++) {
    if (!norm_axis(&axes[i], x->rank) || x->dims[axes[i]] != 1) {
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

/* Output shape of Reshape: 0 copies (unless allowzero), -1 is inferred. */
static ep_status reshape_shape(onnx_imp* c, const Onnx__NodeProto* n, const ep_shape* x,
                               ep_shape* os) {
  const ep_host_tensor* t;
  ep_status st = ep_imp_const(c, n, 1, &t);
  if (st != EP_OK) return st;
  if (t->dtype != EP_DTYPE_INT64 || t->shape.rank != 1) return ep_imp_bad(c, "shape must be int64[k]");
  int64_t k = t->shape.dims[0];
  if (k > EP_MAX_RANK) return ep_imp_unsupported(c, "target rank %lld is too high", (long long)k);
  bool allowzero = ep_onnx_attr_int(n, "allowzero", 0) != 0;
  memset(os, 0, sizeof *os);
  os->rank = (int)k;
  int infer = -1;
  int64_t known = 1;
  for (int d = 0; d < k; d++) {
    int64_t v = ((const int64_t*)t->data)[d];
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

static ep_status fold_view(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = cin(c, n, 0);
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

static ep_status fold_concat(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  int k = ep_imp_n_inputs(n);
  const ep_host_tensor* x0 = cin(c, n, 0);
  if (x0 == NULL) return ep_imp_bad(c, "no inputs");
  int64_t axis = ep_onnx_attr_int(n, "axis", 0);
  if (!norm_axis(&axis, x0->shape.rank)) return ep_imp_bad(c, "axis out of range");
  ep_shape os = x0->shape;
  os.dims[axis] = 0;
  for (int i = 0; i < k; i++) {
    const ep_host_tensor* x = cin(c, n, i);
    if (x == NULL || x->shape.rank != os.rank) return ep_imp_bad(c, "input %d has another rank", i);
    for (int d = 0; d < os.rank; d++) {
      if (d != axis && x->shape.dims[d] != os.dims[d]) return ep_imp_bad(c, "input %d: dims differ", i);
    }
    os.dims[axis] += x->shape.dims[axis];
  }
  ep_status st = make(c, x0->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= os.dims[d];
  for (int d = (int)axis + 1; d < os.rank; d++) inner *= os.dims[d];
  int64_t at = 0;
  for (int64_t o = 0; o < outer; o++) {
    for (int i = 0; i < k; i++) {
      const ep_host_tensor* x = cin(c, n, i);
      int64_t chunk = x->shape.dims[axis] * inner;
      for (int64_t j = 0; j < chunk; j++) copy_elem(out, at++, x, o * chunk + j);
    }
  }
  return EP_OK;
}

static ep_status fold_expand(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = cin(c, n, 0);
  const ep_host_tensor* s = cin(c, n, 1);
  if (s->dtype != EP_DTYPE_INT64 || s->shape.rank != 1 || s->shape.dims[0] > EP_MAX_RANK) {
    return ep_imp_bad(c, "shape must be int64[k], k <= %d", EP_MAX_RANK);
  }
  ep_shape target;
  memset(&target, 0, sizeof target);
  target.rank = (int)s->shape.dims[0];
  for (int d = 0; d < target.rank; d++) target.dims[d] = ((const int64_t*)s->data)[d];
  ep_shape os;
  if (!broadcast_shape(&x->shape, &target, &os)) return ep_imp_bad(c, "shapes do not broadcast");
  ep_status st = make(c, x->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t idx[EP_MAX_RANK];
  for (int64_t i = 0; i < ep_shape_numel(&os); i++) {
    unravel(i, &os, idx);
    copy_elem(out, i, x, broadcast_offset(&x->shape, idx, os.rank));
  }
  return EP_OK;
}

static ep_status fold_constant_of_shape(onnx_imp* c, const Onnx__NodeProto* n,
                                        ep_host_tensor* out) {
  const ep_host_tensor* s = cin(c, n, 0);
  if (s->dtype != EP_DTYPE_INT64 || s->shape.rank != 1 || s->shape.dims[0] > EP_MAX_RANK) {
    return ep_imp_bad(c, "shape must be int64[k], k <= %d", EP_MAX_RANK);
  }
  ep_shape os;
  memset(&os, 0, sizeof os);
  os.rank = (int)s->shape.dims[0];
  int64_t numel = 1;
  for (int d = 0; d < os.rank; d++) {
    int64_t v = ((const int64_t*)s->data)[d];
    if (v < 0 || v > ONNX_MAX_NUMEL || (v > 0 && numel > ONNX_MAX_NUMEL / v)) {
      return ep_imp_bad(c, "bad dim %lld", (long long)v);
    }
    numel *= v;
    os.dims[d] = v;
  }
  ep_host_tensor value;
  memset(&value, 0, sizeof value);
  const Onnx__AttributeProto* a = ep_onnx_attr_find(n, "value");
  if (a != NULL && a->t != NULL) {
    ep_status st = ep_onnx_tensor_from_proto(a->t, NULL, c->label, &value);
    if (st != EP_OK) return st;
    if (ep_shape_numel(&value.shape) != 1) {
      ep_host_tensor_free(&value);
      return ep_imp_bad(c, "value must hold one element");
    }
  }
  ep_status st = make(c, a != NULL && a->t != NULL ? value.dtype : EP_DTYPE_FLOAT32, &os, out);
  for (int64_t i = 0; st == EP_OK && value.data != NULL && i < numel; i++) copy_elem(out, i, &value, 0);
  ep_host_tensor_free(&value);
  return st;
}

static ep_status fold_cast(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = cin(c, n, 0);
  int64_t to = ep_onnx_attr_int(n, "to", 0);
  ep_dtype dtype;
  switch (to) {
    case ONNX_FLOAT: case ONNX_DOUBLE: case ONNX_FLOAT16: dtype = EP_DTYPE_FLOAT32; break;
    case ONNX_INT64: case ONNX_INT32: case ONNX_INT16: case ONNX_INT8: case ONNX_UINT8:
    case ONNX_UINT16: case ONNX_UINT32: case ONNX_UINT64: case ONNX_BOOL:
      dtype = EP_DTYPE_INT64;
      break;
    default: return ep_imp_unsupported(c, "cast to type %lld", (long long)to);
  }
  ep_status st = make(c, dtype, &x->shape, out);
  if (st != EP_OK) return st;
  for (int64_t i = 0; i < ep_shape_numel(&x->shape); i++) {
    if (to == ONNX_BOOL) {
      ((int64_t*)out->data)[i] = ep_host_get_f(x, i) != 0.0;
    } else {
      copy_elem(out, i, x, i);
    }
  }
  return EP_OK;
}

static ep_status fold_slice(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = cin(c, n, 0);
  int64_t starts[EP_MAX_RANK], ends[EP_MAX_RANK], axes[EP_MAX_RANK], steps[EP_MAX_RANK];
  int ns, ne, na, nst;
  bool inputs = c->opset >= 10;
  ep_status st = int_list(c, n, inputs ? NULL : "starts", inputs ? 1 : -1, starts, EP_MAX_RANK, &ns);
  if (st == EP_OK) st = int_list(c, n, inputs ? NULL : "ends", inputs ? 2 : -1, ends, EP_MAX_RANK, &ne);
  if (st == EP_OK) st = int_list(c, n, inputs ? NULL : "axes", inputs ? 3 : -1, axes, EP_MAX_RANK, &na);
  if (st == EP_OK) st = int_list(c, n, NULL, inputs ? 4 : -1, steps, EP_MAX_RANK, &nst);
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
    if (!norm_axis(&axis, x->shape.rank) || seen[axis]) return ep_imp_bad(c, "bad axes");
    seen[axis] = true;
    int64_t dim = x->shape.dims[axis], s = nst >= 0 ? steps[i] : 1;
    if (s == 0) return ep_imp_bad(c, "step 0");
    int64_t b = starts[i], e = ends[i];
    if (b < 0) b += dim;
    if (e < 0 && e > INT64_MIN / 2) e += dim;
    if (s > 0) {
      b = b < 0 ? 0 : b > dim ? dim : b;
      e = e < 0 ? 0 : e > dim ? dim : e;
      os.dims[axis] = e > b ? (e - b + s - 1) / s : 0;
    } else {
      b = b < 0 ? -1 : b > dim - 1 ? dim - 1 : b;
      e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
      os.dims[axis] = b > e ? (b - e - s - 1) / -s : 0;
    }
    lo[axis] = b;
    step[axis] = s;
  }
  st = make(c, x->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t idx[EP_MAX_RANK], strides[EP_MAX_RANK];
  strides_of(&x->shape, strides);
  for (int64_t i = 0; i < ep_shape_numel(&os); i++) {
    unravel(i, &os, idx);
    int64_t off = 0;
    for (int d = 0; d < os.rank; d++) off += (lo[d] + idx[d] * step[d]) * strides[d];
    copy_elem(out, i, x, off);
  }
  return EP_OK;
}

static ep_status fold_transpose(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = cin(c, n, 0);
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
    if (!norm_axis(&perm[d], r) || seen[perm[d]]) return ep_imp_bad(c, "bad perm");
    seen[perm[d]] = true;
    os.dims[d] = x->shape.dims[perm[d]];
  }
  st = make(c, x->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t idx[EP_MAX_RANK], strides[EP_MAX_RANK];
  strides_of(&x->shape, strides);
  for (int64_t i = 0; i < ep_shape_numel(&os); i++) {
    unravel(i, &os, idx);
    int64_t off = 0;
    for (int d = 0; d < r; d++) off += idx[d] * strides[perm[d]];
    copy_elem(out, i, x, off);
  }
  return EP_OK;
}

static ep_status fold_binary(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* a = cin(c, n, 0);
  const ep_host_tensor* b = cin(c, n, 1);
  if (a == NULL || b == NULL) return ep_imp_bad(c, "needs two inputs");
  if (a->dtype != b->dtype) return ep_imp_bad(c, "inputs of different types");
  ep_shape os;
  if (!broadcast_shape(&a->shape, &b->shape, &os)) return ep_imp_bad(c, "shapes do not broadcast");
  ep_status st = make(c, a->dtype, &os, out);
  if (st != EP_OK) return st;
  char op = n->op_type[0]; /* Add, Sub, Mul, Div */
  int64_t idx[EP_MAX_RANK];
  for (int64_t i = 0; i < ep_shape_numel(&os); i++) {
    unravel(i, &os, idx);
    int64_t ia = broadcast_offset(&a->shape, idx, os.rank);
    int64_t ib = broadcast_offset(&b->shape, idx, os.rank);
    if (a->dtype == EP_DTYPE_INT64) {
      uint64_t x = (uint64_t)ep_host_get_i(a, ia), y = (uint64_t)ep_host_get_i(b, ib);
      int64_t r;
      switch (op) {
        case 'A': r = (int64_t)(x + y); break; /* wraps instead of overflowing */
        case 'S': r = (int64_t)(x - y); break;
        case 'M': r = (int64_t)(x * y); break;
        default:
          if (y == 0 || ((int64_t)x == INT64_MIN && (int64_t)y == -1)) {
            ep_host_tensor_free(out);
            return ep_imp_bad(c, "integer division by zero");
          }
          r = (int64_t)x / (int64_t)y;
          break;
      }
      ((int64_t*)out->data)[i] = r;
    } else {
      float x = ((const float*)a->data)[ia], y = ((const float*)b->data)[ib];
      ((float*)out->data)[i] = op == 'A' ? x + y : op == 'S' ? x - y : op == 'M' ? x * y : x / y;
    }
  }
  return EP_OK;
}

/* --- table ----------------------------------------------------------------------------------- */

typedef struct fold_entry {
  const char* op;
  fold_fn fn;
  bool only;        /* no run-time importer: only constants */
  bool shape_only;  /* reads only its input's shape */
  int const_inputs; /* inputs that must be constant (-1: all) */
  int required;     /* leading inputs that must be present (-1: all); the rest are optional */
} fold_entry;

static const fold_entry table[] = {
    {"Constant", fold_constant, true, false, -1, 0},
    {"Shape", fold_shape, true, true, 0, 1},
    {"Size", fold_size, true, true, 0, 1},
    {"Gather", fold_gather, true, false, -1, 2},
    {"Unsqueeze", fold_view, false, false, -1, 1},
    {"Squeeze", fold_view, false, false, -1, 1},
    {"Reshape", fold_view, false, false, -1, 2},
    {"Flatten", fold_view, false, false, -1, 1},
    {"Concat", fold_concat, false, false, -1, -1},
    {"Expand", fold_expand, true, false, -1, 2},
    {"ConstantOfShape", fold_constant_of_shape, true, false, -1, 1},
    {"Cast", fold_cast, true, false, -1, 1},
    {"Slice", fold_slice, true, false, -1, 1},
    {"Transpose", fold_transpose, false, false, -1, 1},
    {"Add", fold_binary, false, false, -1, 2},
    {"Sub", fold_binary, false, false, -1, 2},
    {"Mul", fold_binary, false, false, -1, 2},
    {"Div", fold_binary, false, false, -1, 2},
};

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
    return EP_OK;
  }
  if (k == 0 && strcmp(n->op_type, "Constant") != 0) return ep_imp_bad(c, "no inputs");
  ep_host_tensor out;
  memset(&out, 0, sizeof out);
  ep_status st = e->fn(c, n, &out);
  if (st != EP_OK) return st;
  *done = true;
  return ep_imp_set_const(c, n->output[0], &out);
}

/* The helpers of load-time folding: inputs and int lists, result allocation, broadcasting and
 * element access across dtypes. */
#include <string.h>

#include "onnx/fold_internal.h"

const ep_host_tensor* ep_fold_in(onnx_imp* c, const Onnx__NodeProto* n, int i) {
  ov* v = ep_imp_input(c, n, i);
  return v != NULL ? &v->value : NULL;
}

bool ep_fold_axis(int64_t* axis, int rank) {
  int64_t a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a >= rank) return false;
  *axis = a;
  return true;
}

ep_status ep_fold_int_list(onnx_imp* c, const Onnx__NodeProto* n, const char* attr, int input,
                           int64_t* out, int max, int* count) {
  *count = -1;
  if (input >= 0 && ep_imp_input(c, n, input) != NULL) {
    const ep_host_tensor* t = ep_fold_in(c, n, input);
    if (t->dtype == EP_DTYPE_FLOAT32 || t->shape.rank > 1) {
      return ep_imp_bad(c, "input %d must be an integer vector", input);
    }
    int64_t k = ep_shape_numel(&t->shape);
    if (k > max) return ep_imp_bad(c, "input %d has %lld values (at most %d)", input, (long long)k, max);
    for (int64_t i = 0; i < k; i++) out[i] = ep_host_get_i(t, i);
    *count = (int)k;
    return EP_OK;
  }
  if (attr != NULL) return ep_onnx_attr_ints(c, n, attr, out, max, count);
  return EP_OK;
}

ep_status ep_fold_shape_input(onnx_imp* c, const Onnx__NodeProto* n, int input, ep_shape* out) {
  const ep_host_tensor* s = ep_fold_in(c, n, input);
  if (s == NULL || s->dtype == EP_DTYPE_FLOAT32 || s->shape.rank != 1) {
    return ep_imp_bad(c, "input %d (a shape) must be an integer vector", input);
  }
  if (s->shape.dims[0] > EP_MAX_RANK) {
    return ep_imp_unsupported(c, "a shape of rank %lld (at most %d)", (long long)s->shape.dims[0],
                              EP_MAX_RANK);
  }
  memset(out, 0, sizeof *out);
  out->rank = (int)s->shape.dims[0];
  for (int d = 0; d < out->rank; d++) out->dims[d] = ep_host_get_i(s, d);
  return EP_OK;
}

ep_status ep_fold_make(onnx_imp* c, ep_dtype dtype, const ep_shape* shape, ep_host_tensor* out) {
  int64_t n = 1;
  for (int d = 0; d < shape->rank; d++) {
    if (shape->dims[d] < 0) return ep_imp_bad(c, "negative dim %lld", (long long)shape->dims[d]);
    if (shape->dims[d] > 0 && n > FOLD_MAX_NUMEL / shape->dims[d]) {
      return ep_imp_unsupported(c, "a constant of more than 2^24 elements computed at load");
    }
    n *= shape->dims[d];
  }
  ep_status st = ep_host_tensor_alloc(dtype, shape, out);
  if (st != EP_OK) return ep_imp_bad(c, "%s", ep_last_error());
  return EP_OK;
}

void ep_fold_strides(const ep_shape* s, int64_t* strides) {
  int64_t acc = 1;
  for (int d = s->rank - 1; d >= 0; d--) {
    strides[d] = acc;
    acc *= s->dims[d];
  }
}

bool ep_fold_broadcast(const ep_shape* a, const ep_shape* b, ep_shape* out) {
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

int64_t ep_fold_broadcast_offset(const ep_shape* s, const int64_t* idx, int out_rank) {
  int64_t strides[EP_MAX_RANK];
  ep_fold_strides(s, strides);
  int64_t off = 0;
  for (int d = 0; d < s->rank; d++) {
    int od = d + out_rank - s->rank;
    if (s->dims[d] != 1) off += idx[od] * strides[d];
  }
  return off;
}

void ep_fold_unravel(int64_t i, const ep_shape* s, int64_t* idx) {
  for (int d = s->rank - 1; d >= 0; d--) {
    idx[d] = s->dims[d] ? i % s->dims[d] : 0;
    i = s->dims[d] ? i / s->dims[d] : 0;
  }
}

void ep_fold_put_i(ep_host_tensor* dst, int64_t i, int64_t v) {
  if (dst->dtype == EP_DTYPE_FLOAT32) {
    ((float*)dst->data)[i] = (float)v;
  } else if (dst->dtype == EP_DTYPE_INT64) {
    ((int64_t*)dst->data)[i] = v;
  } else { /* bool, one byte */
    ((uint8_t*)dst->data)[i] = v != 0;
  }
}

void ep_fold_put_f(ep_host_tensor* dst, int64_t i, double f) {
  if (dst->dtype == EP_DTYPE_FLOAT32) {
    ((float*)dst->data)[i] = (float)f;
  } else if (dst->dtype == EP_DTYPE_INT64) {
    /* NaN and out of range give 0 rather than undefined behaviour. */
    ((int64_t*)dst->data)[i] = f > -9.2e18 && f < 9.2e18 ? (int64_t)f : 0;
  } else {
    ((uint8_t*)dst->data)[i] = f != 0.0;
  }
}

void ep_fold_copy(ep_host_tensor* dst, int64_t di, const ep_host_tensor* src, int64_t si) {
  if (src->dtype == EP_DTYPE_FLOAT32) {
    ep_fold_put_f(dst, di, ((const float*)src->data)[si]);
  } else {
    ep_fold_put_i(dst, di, ep_host_get_i(src, si));
  }
}

const ep_shape* ep_fold_input_shape(onnx_imp* c, const Onnx__NodeProto* n, int i) {
  ov* x = ep_imp_input(c, n, i);
  if (x == NULL) return NULL;
  return x->kind == OV_DYNAMIC ? ep_imp_shape(c, x->tensor) : &x->value.shape;
}

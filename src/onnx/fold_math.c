/* Folds of arithmetic, comparisons, logic and casts on constants: what exporters write around
 * shapes (Add/Sub/Mul/Div/Mod of int64 dims, Equal/Where of Reshape's -1 ("infer") entries,
 * Cast, Not, Min/Max)
 * and the float constants some graphs compute (a scale 1/sqrt(d), a mask). Float32 arithmetic is
 * done in float32, as a runtime would; int64 arithmetic wraps instead of overflowing. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "onnx/fold_internal.h"

/* --- Cast ------------------------------------------------------------------------------------ */

/* An int64 narrowed to ONNX integer type `to` (two's complement wrap, as numpy's astype). */
static int64_t narrow(int64_t v, int64_t to) {
  switch (to) {
    case ONNX_INT32: return (int32_t)(uint32_t)(uint64_t)v;
    case ONNX_INT16: return (int16_t)(uint16_t)(uint64_t)v;
    case ONNX_INT8: return (int8_t)(uint8_t)(uint64_t)v;
    case ONNX_UINT32: return (uint32_t)(uint64_t)v;
    case ONNX_UINT16: return (uint16_t)(uint64_t)v;
    case ONNX_UINT8: return (uint8_t)(uint64_t)v;
    case ONNX_BOOL: return v != 0;
    default: return v;
  }
}

/* f rounded to the nearest value of a binary float type with `bits` significand bits (the
 * leading one included), smallest normal exponent `emin` and largest finite value `max`: float16
 * (11, -14, 65504) and bfloat16 (8, -126, ~3.39e38), ties to even, overflow to infinity. The
 * value stays in float32, as every float type does at load. */
static float round_to(float f, int bits, int emin, float max) {
  if (!isfinite(f) || f == 0.0f) return f;
  float a = fabsf(f);
  int e;
  frexpf(a, &e); /* a = m 2^e, m in [0.5, 1): the leading bit is 2^(e-1) */
  int quantum = (e - 1 < emin ? emin : e - 1) - (bits - 1);
  float r = ldexpf(nearbyintf(ldexpf(a, -quantum)), quantum);
  /* Past the largest finite value by half a unit or more: infinity. */
  if (r > max) r = INFINITY;
  return copysignf(r, f);
}

ep_status ep_fold_cast(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = ep_fold_in(c, n, 0);
  int64_t to = ep_onnx_attr_int(n, "to", 0);
  ep_dtype dtype;
  switch (to) {
    case ONNX_FLOAT: case ONNX_DOUBLE: case ONNX_FLOAT16: case ONNX_BFLOAT16:
      dtype = EP_DTYPE_FLOAT32;
      break;
    case ONNX_INT64: case ONNX_INT32: case ONNX_INT16: case ONNX_INT8: case ONNX_UINT8:
    case ONNX_UINT16: case ONNX_UINT32: case ONNX_UINT64:
      dtype = EP_DTYPE_INT64;
      break;
    case ONNX_BOOL: dtype = FOLD_BOOL; break;
    default: return ep_imp_unsupported(c, "Cast to ONNX type %lld (float, double, integers, bool)", (long long)to);
  }
  ep_status st = ep_fold_make(c, dtype, &x->shape, out);
  if (st != EP_OK) return st;
  for (int64_t i = 0; i < ep_shape_numel(&x->shape); i++) {
    if (dtype == EP_DTYPE_FLOAT32) {
      ep_fold_copy(out, i, x, i);
      float* v = &((float*)out->data)[i];
      if (to == ONNX_FLOAT16) *v = round_to(*v, 11, -14, 65504.0f);
      if (to == ONNX_BFLOAT16) *v = round_to(*v, 8, -126, FLT_MAX);
    } else if (to == ONNX_BOOL) {
      ep_fold_put_i(out, i, ep_host_get_f(x, i) != 0.0);
    } else {
      ep_fold_put_i(out, i, narrow(ep_host_get_i(x, i), to));
    }
  }
  return EP_OK;
}

/* --- elementwise, with broadcasting ----------------------------------------------------------- */

typedef enum { A_ADD, A_SUB, A_MUL, A_DIV, A_MOD, A_POW, A_MIN, A_MAX } arith_op;
typedef enum { C_EQ, C_LT, C_LE, C_GT, C_GE, C_AND, C_OR, C_XOR } cmp_op;

/* Python's and numpy's integer modulo: the sign of the divisor (fmod 0), or C's (fmod 1). */
static int64_t imod(int64_t a, int64_t b, bool c_fmod) {
  if (b == -1) return 0; /* INT64_MIN % -1 overflows in C */
  int64_t r = a % b;
  if (!c_fmod && r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

static int64_t ipow(int64_t base, int64_t e) {
  if (e < 0) return base == 1 ? 1 : base == -1 ? (e % 2 ? -1 : 1) : 0;
  uint64_t r = 1, b = (uint64_t)base;
  for (; e > 0; e >>= 1, b *= b) {
    if (e & 1) r *= b;
  }
  return (int64_t)r;
}

static ep_status arith_pair(onnx_imp* c, arith_op op, bool c_fmod, const ep_host_tensor* a,
                            const ep_host_tensor* b, ep_host_tensor* out) {
  /* Pow's exponent may have another type than its base; the others take one type. */
  if (a->dtype != b->dtype && op != A_POW) return ep_imp_bad(c, "inputs of different types");
  ep_shape os;
  if (!ep_fold_broadcast(&a->shape, &b->shape, &os)) return ep_imp_bad(c, "shapes do not broadcast");
  ep_status st = ep_fold_make(c, a->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t idx[EP_MAX_RANK];
  for (int64_t i = 0; i < ep_shape_numel(&os); i++) {
    ep_fold_unravel(i, &os, idx);
    int64_t ia = ep_fold_broadcast_offset(&a->shape, idx, os.rank);
    int64_t ib = ep_fold_broadcast_offset(&b->shape, idx, os.rank);
    if (a->dtype == EP_DTYPE_FLOAT32) {
      float x = ((const float*)a->data)[ia], y = (float)ep_host_get_f(b, ib), r;
      switch (op) {
        case A_ADD: r = x + y; break;
        case A_SUB: r = x - y; break;
        case A_MUL: r = x * y; break;
        case A_DIV: r = x / y; break;
        case A_MOD:
          r = fmodf(x, y);
          if (!c_fmod && r != 0.0f && ((r < 0.0f) != (y < 0.0f))) r += y;
          break;
        case A_POW: r = powf(x, y); break;
        case A_MIN: r = isnan(x) || isnan(y) ? NAN : x < y ? x : y; break;
        default: r = isnan(x) || isnan(y) ? NAN : x > y ? x : y; break;
      }
      ((float*)out->data)[i] = r;
      continue;
    }
    int64_t x = ep_host_get_i(a, ia), y = ep_host_get_i(b, ib), r;
    uint64_t ux = (uint64_t)x, uy = (uint64_t)y;
    switch (op) {
      case A_ADD: r = (int64_t)(ux + uy); break;
      case A_SUB: r = (int64_t)(ux - uy); break;
      case A_MUL: r = (int64_t)(ux * uy); break;
      case A_DIV:
      case A_MOD:
        if (y == 0) {
          ep_host_tensor_free(out);
          return ep_imp_bad(c, "integer division by zero");
        }
        r = op == A_MOD ? imod(x, y, c_fmod) : (x == INT64_MIN && y == -1) ? INT64_MIN : x / y;
        break;
      case A_POW:
        r = b->dtype == EP_DTYPE_FLOAT32 ? (int64_t)pow((double)x, ep_host_get_f(b, ib)) : ipow(x, y);
        break;
      case A_MIN: r = x < y ? x : y; break;
      default: r = x > y ? x : y; break;
    }
    ep_fold_put_i(out, i, r);
  }
  return EP_OK;
}

ep_status ep_fold_arith(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  static const struct {
    const char* name;
    arith_op op;
  } ops[] = {{"Add", A_ADD}, {"Sub", A_SUB}, {"Mul", A_MUL}, {"Div", A_DIV}, {"Mod", A_MOD},
             {"Pow", A_POW}, {"Min", A_MIN}, {"Max", A_MAX}, {"Sum", A_ADD}, {"Mean", A_ADD}};
  arith_op op = A_ADD;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (strcmp(ops[i].name, n->op_type) == 0) op = ops[i].op;
  }
  bool c_fmod = ep_onnx_attr_int(n, "fmod", 0) != 0;
  int k = ep_imp_n_inputs(n);
  ep_status st = ep_host_tensor_copy(ep_fold_in(c, n, 0), out);
  if (st != EP_OK) return st;
  for (int i = 1; i < k; i++) {
    ep_host_tensor next;
    memset(&next, 0, sizeof next);
    st = arith_pair(c, op, c_fmod, out, ep_fold_in(c, n, i), &next);
    ep_host_tensor_free(out);
    if (st != EP_OK) return st;
    *out = next;
  }
  if (strcmp(n->op_type, "Mean") == 0) {
    if (out->dtype != EP_DTYPE_FLOAT32) {
      ep_host_tensor_free(out);
      return ep_imp_bad(c, "Mean of integers");
    }
    for (int64_t i = 0; i < ep_shape_numel(&out->shape); i++) ((float*)out->data)[i] /= (float)k;
  }
  return EP_OK;
}

ep_status ep_fold_compare(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  static const struct {
    const char* name;
    cmp_op op;
  } ops[] = {{"Equal", C_EQ},  {"Less", C_LT}, {"LessOrEqual", C_LE}, {"Greater", C_GT},
             {"GreaterOrEqual", C_GE}, {"And", C_AND}, {"Or", C_OR},  {"Xor", C_XOR}};
  cmp_op op = C_EQ;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    if (strcmp(ops[i].name, n->op_type) == 0) op = ops[i].op;
  }
  const ep_host_tensor* a = ep_fold_in(c, n, 0);
  const ep_host_tensor* b = ep_fold_in(c, n, 1);
  if (a->dtype != b->dtype) return ep_imp_bad(c, "inputs of different types");
  ep_shape os;
  if (!ep_fold_broadcast(&a->shape, &b->shape, &os)) return ep_imp_bad(c, "shapes do not broadcast");
  ep_status st = ep_fold_make(c, FOLD_BOOL, &os, out);
  if (st != EP_OK) return st;
  bool is_float = a->dtype == EP_DTYPE_FLOAT32;
  int64_t idx[EP_MAX_RANK];
  for (int64_t i = 0; i < ep_shape_numel(&os); i++) {
    ep_fold_unravel(i, &os, idx);
    int64_t ia = ep_fold_broadcast_offset(&a->shape, idx, os.rank);
    int64_t ib = ep_fold_broadcast_offset(&b->shape, idx, os.rank);
    /* Compared in their own type: int64 beyond 2^53 stays exact, NaN compares false. */
    float fx = is_float ? ((const float*)a->data)[ia] : 0.0f;
    float fy = is_float ? ((const float*)b->data)[ib] : 0.0f;
    int64_t x = is_float ? 0 : ep_host_get_i(a, ia), y = is_float ? 0 : ep_host_get_i(b, ib);
    bool r;
    switch (op) {
      case C_EQ: r = is_float ? fx == fy : x == y; break;
      case C_LT: r = is_float ? fx < fy : x < y; break;
      case C_LE: r = is_float ? fx <= fy : x <= y; break;
      case C_GT: r = is_float ? fx > fy : x > y; break;
      case C_GE: r = is_float ? fx >= fy : x >= y; break;
      case C_AND: r = x != 0 && y != 0; break;
      case C_OR: r = x != 0 || y != 0; break;
      default: r = (x != 0) != (y != 0); break;
    }
    ep_fold_put_i(out, i, r);
  }
  return EP_OK;
}

ep_status ep_fold_where(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* cond = ep_fold_in(c, n, 0);
  const ep_host_tensor* x = ep_fold_in(c, n, 1);
  const ep_host_tensor* y = ep_fold_in(c, n, 2);
  if (x->dtype != y->dtype) return ep_imp_bad(c, "X and Y of different types");
  ep_shape xy, os;
  if (!ep_fold_broadcast(&x->shape, &y->shape, &xy) || !ep_fold_broadcast(&cond->shape, &xy, &os)) {
    return ep_imp_bad(c, "shapes do not broadcast");
  }
  ep_status st = ep_fold_make(c, x->dtype, &os, out);
  if (st != EP_OK) return st;
  int64_t idx[EP_MAX_RANK];
  for (int64_t i = 0; i < ep_shape_numel(&os); i++) {
    ep_fold_unravel(i, &os, idx);
    bool take_x = ep_host_get_i(cond, ep_fold_broadcast_offset(&cond->shape, idx, os.rank)) != 0;
    const ep_host_tensor* src = take_x ? x : y;
    ep_fold_copy(out, i, src, ep_fold_broadcast_offset(&src->shape, idx, os.rank));
  }
  return EP_OK;
}

ep_status ep_fold_unary(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* x = ep_fold_in(c, n, 0);
  const char* op = n->op_type;
  bool is_float = x->dtype == EP_DTYPE_FLOAT32;
  bool int_ok = strcmp(op, "Not") == 0 || strcmp(op, "Neg") == 0 || strcmp(op, "Abs") == 0 ||
                strcmp(op, "Sign") == 0;
  if (!is_float && !int_ok) return ep_imp_bad(c, "%s of integers", op);
  if (is_float && strcmp(op, "Not") == 0) return ep_imp_bad(c, "Not of floats");
  ep_status st = ep_fold_make(c, x->dtype, &x->shape, out);
  if (st != EP_OK) return st;
  for (int64_t i = 0; i < ep_shape_numel(&x->shape); i++) {
    if (!is_float) {
      int64_t v = ep_host_get_i(x, i), r;
      if (op[0] == 'N' && op[1] == 'o') {
        r = v == 0;
      } else if (op[0] == 'N') {
        r = (int64_t)(0 - (uint64_t)v);
      } else if (op[0] == 'A') {
        r = v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
      } else {
        r = (v > 0) - (v < 0);
      }
      ep_fold_put_i(out, i, r);
      continue;
    }
    float v = ((const float*)x->data)[i], r;
    if (strcmp(op, "Neg") == 0) {
      r = -v;
    } else if (strcmp(op, "Abs") == 0) {
      r = fabsf(v);
    } else if (strcmp(op, "Sign") == 0) {
      r = isnan(v) ? v : (float)((v > 0) - (v < 0));
    } else if (strcmp(op, "Sqrt") == 0) {
      r = sqrtf(v);
    } else if (strcmp(op, "Reciprocal") == 0) {
      r = 1.0f / v;
    } else if (strcmp(op, "Floor") == 0) {
      r = floorf(v);
    } else if (strcmp(op, "Ceil") == 0) {
      r = ceilf(v);
    } else if (strcmp(op, "Round") == 0) {
      r = nearbyintf(v); /* halves to even in the default rounding mode, as ONNX's Round */
    } else if (strcmp(op, "Exp") == 0) {
      r = expf(v);
    } else {
      r = logf(v);
    }
    ((float*)out->data)[i] = r;
  }
  return EP_OK;
}

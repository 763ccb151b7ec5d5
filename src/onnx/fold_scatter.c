/* Fold of ScatterND at load: Swin's shifted-window attention mask is a zeros constant into which
 * torch.onnx.export writes each region's number with ScatterND (attn_mask[h0:h1, w0:w1] = k), all
 * from constants, so the mask is a constant and nothing of it runs.
 *
 * As the ONNX spec (opsets 11, 13, 16, 18): output = data; then for every index tuple idx of
 * indices.shape[:-1], the slice output[indices[idx]] (indices[idx] names the first k =
 * indices.shape[-1] coordinates, the slice covers data.shape[k:]) becomes updates[idx], or is
 * combined with it by the reduction (add, mul, max, min), in the order of idx. Negative indices
 * count from the end, as numpy's indexing in the spec's reference; out of range is an error. */
#include <stdlib.h>
#include <string.h>

#include "onnx/fold_internal.h"

typedef enum { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN } reduction;

static ep_status read_reduction(onnx_imp* c, const Onnx__NodeProto* n, reduction* out) {
  char name[16];
  ep_onnx_attr_string(n, "reduction", name, sizeof name);
  static const struct {
    const char* name;
    reduction r;
    int since; /* the opset that added it */
  } names[] = {{"", RED_NONE, 11},     {"none", RED_NONE, 11}, {"add", RED_ADD, 16},
               {"mul", RED_MUL, 16},   {"max", RED_MAX, 18},   {"min", RED_MIN, 18}};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
    if (strcmp(name, names[i].name) == 0) {
      if (c->opset < names[i].since) {
        return ep_imp_bad(c, "reduction %s needs opset %d (the model has %d)", name,
                          names[i].since, (int)c->opset);
      }
      *out = names[i].r;
      return EP_OK;
    }
  }
  return ep_imp_bad(c, "unknown reduction '%s' (none, add, mul, max, min)", name);
}

/* out[o] = f(out[o], upd[u]) in the data's type: float32 arithmetic for float32 (as the spec's
 * reference computes), exact int64 otherwise (bools as 0 / 1). */
static void combine(ep_host_tensor* out, int64_t o, const ep_host_tensor* upd, int64_t u,
                    reduction r) {
  if (r == RED_NONE) {
    ep_fold_copy(out, o, upd, u);
  } else if (out->dtype == EP_DTYPE_FLOAT32) {
    float* y = (float*)out->data + o;
    float v = ((const float*)upd->data)[u];
    switch (r) {
      case RED_ADD: *y = *y + v; break;
      case RED_MUL: *y = *y * v; break;
      case RED_MAX: *y = v > *y ? v : *y; break;
      default: *y = v < *y ? v : *y; break;
    }
  } else {
    int64_t y = ep_host_get_i(out, o), v = ep_host_get_i(upd, u);
    switch (r) {
      /* Wrapping as the reference's int64 numpy arithmetic does, without signed overflow. */
      case RED_ADD: y = (int64_t)((uint64_t)y + (uint64_t)v); break;
      case RED_MUL: y = (int64_t)((uint64_t)y * (uint64_t)v); break;
      case RED_MAX: y = v > y ? v : y; break;
      default: y = v < y ? v : y; break;
    }
    ep_fold_put_i(out, o, y);
  }
}

ep_status ep_fold_scatter_nd(onnx_imp* c, const Onnx__NodeProto* n, ep_host_tensor* out) {
  const ep_host_tensor* data = ep_fold_in(c, n, 0);
  const ep_host_tensor* idx = ep_fold_in(c, n, 1);
  const ep_host_tensor* upd = ep_fold_in(c, n, 2);
  reduction red = RED_NONE;
  ep_status st = read_reduction(c, n, &red);
  if (st != EP_OK) return st;
  if (idx->dtype == EP_DTYPE_FLOAT32) return ep_imp_bad(c, "indices must be integers");
  if (upd->dtype != data->dtype) return ep_imp_bad(c, "updates and data have different types");
  int r = data->shape.rank, q = idx->shape.rank;
  if (r < 1 || q < 1) return ep_imp_bad(c, "data and indices must have rank >= 1");
  int64_t k = idx->shape.dims[q - 1];
  if (k < 1 || k > r) {
    return ep_imp_bad(c, "indices.shape[-1] is %lld, must be in [1, %d]", (long long)k, r);
  }
  /* updates.shape == indices.shape[:-1] ++ data.shape[k:] */
  int urank = q - 1 + r - (int)k;
  bool fits = upd->shape.rank == urank;
  for (int d = 0; fits && d < q - 1; d++) fits = upd->shape.dims[d] == idx->shape.dims[d];
  for (int d = 0; fits && d < r - k; d++) fits = upd->shape.dims[q - 1 + d] == data->shape.dims[k + d];
  if (!fits) return ep_imp_bad(c, "updates' shape is not indices.shape[:-1] + data.shape[k:]");
  st = ep_host_tensor_copy(data, out);
  if (st != EP_OK) return ep_imp_bad(c, "%s", ep_last_error());
  free(out->name);
  out->name = NULL;
  int64_t strides[EP_MAX_RANK];
  ep_fold_strides(&data->shape, strides);
  int64_t slice = k < r ? strides[k - 1] : 1; /* elements of data.shape[k:] */
  int64_t tuples = ep_shape_numel(&idx->shape) / k;
  for (int64_t t = 0; t < tuples; t++) {
    int64_t off = 0;
    for (int64_t j = 0; j < k; j++) {
      int64_t dim = data->shape.dims[j], v = ep_host_get_i(idx, t * k + j);
      int64_t w = v < 0 ? v + dim : v;
      if (w < 0 || w >= dim) {
        ep_host_tensor_free(out);
        return ep_imp_bad(c, "index %lld out of range [-%lld, %lld) on axis %lld", (long long)v,
                          (long long)dim, (long long)dim, (long long)j);
      }
      off += w * strides[j];
    }
    for (int64_t e = 0; e < slice; e++) combine(out, off + e, upd, t * slice + e, red);
  }
  return EP_OK;
}

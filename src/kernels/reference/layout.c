/* Reference Transpose and Pad: every output element from its index. */
#include "kernels/tensor_ops.h"

void ep_ref_transpose(const ep_shape* x_shape, const int* perm, const float* x, float* y) {
  const int rank = x_shape->rank;
  int64_t x_strides[EP_MAX_RANK], y_dims[EP_MAX_RANK];
  int64_t stride = 1;
  for (int i = rank - 1; i >= 0; i--) {
    x_strides[i] = stride;
    stride *= x_shape->dims[i];
  }
  for (int i = 0; i < rank; i++) y_dims[i] = x_shape->dims[perm[i]];
  const int64_t total = ep_shape_numel(x_shape);
  for (int64_t index = 0; index < total; index++) {
    int64_t rest = index, from = 0;
    for (int i = rank - 1; i >= 0; i--) {
      from += (rest % y_dims[i]) * x_strides[perm[i]];
      rest /= y_dims[i];
    }
    y[index] = x[from];
  }
}

/* The input coordinate that output coordinate `o` of a dim of size n with `begin` padding reads,
 * or -1 for the constant. */
static int64_t pad_source(int64_t o, int64_t n, int64_t begin, int mode) {
  int64_t i = o - begin;
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case EP_PAD_REFLECT:
      return i < 0 ? -i : 2 * (n - 1) - i;
    case EP_PAD_EDGE:
      return i < 0 ? 0 : n - 1;
    case EP_PAD_WRAP:
      return ((i % n) + n) % n;
    default:
      return -1;
  }
}

void ep_ref_pad(const ep_shape* x_shape, const int* pads, int mode, float value, const float* x,
                float* y) {
  const int rank = x_shape->rank;
  int64_t y_dims[EP_MAX_RANK], total = 1;
  for (int i = 0; i < rank; i++) {
    y_dims[i] = x_shape->dims[i] + pads[i] + pads[rank + i];
    total *= y_dims[i];
  }
  for (int64_t index = 0; index < total; index++) {
    int64_t rest = index, from = 0, stride = 1;
    bool constant = false;
    for (int i = rank - 1; i >= 0; i--) {
      const int64_t s = pad_source(rest % y_dims[i], x_shape->dims[i], pads[i], mode);
      rest /= y_dims[i];
      if (s < 0) constant = true;
      from += s * stride;
      stride *= x_shape->dims[i];
    }
    y[index] = constant ? value : x[from];
  }
}

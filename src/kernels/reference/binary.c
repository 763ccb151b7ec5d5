/* Reference broadcasting binary ops: every output element from its index, in double. */
#include <math.h>

#include "kernels/reference/reference.h"
#include "kernels/tensor_ops.h"

void ep_ref_binary(ep_binary_op op, const ep_broadcast_desc* d, const float* a, const float* b,
                   ep_activation act, float* y) {
  int64_t total = 1;
  for (int i = 0; i < d->rank; i++) total *= d->dims[i];
  for (int64_t index = 0; index < total; index++) {
    int64_t rest = index, ia = 0, ib = 0;
    for (int i = d->rank - 1; i >= 0; i--) {
      const int64_t coord = rest % d->dims[i];
      rest /= d->dims[i];
      ia += coord * d->a_stride[i];
      ib += coord * d->b_stride[i];
    }
    const double va = a[ia], vb = b[ib];
    double v = 0.0;
    switch (op) {
      case EP_BINARY_ADD:
        v = va + vb;
        break;
      case EP_BINARY_SUB:
        v = va - vb;
        break;
      case EP_BINARY_MUL:
        v = va * vb;
        break;
      case EP_BINARY_DIV:
        v = va / vb;
        break;
      case EP_BINARY_POW:
        v = pow(va, vb);
        break;
      case EP_BINARY_MIN:
        v = isnan(va) || isnan(vb) ? NAN : va < vb ? va : vb;
        break;
      case EP_BINARY_MAX:
        v = isnan(va) || isnan(vb) ? NAN : va > vb ? va : vb;
        break;
      case EP_BINARY_FIRST:
        v = va;
        break;
    }
    y[index] = (float)ep_ref_activate(act, v);
  }
}

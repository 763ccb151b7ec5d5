/* Window arithmetic shared by the sliding-window kernels (depthwise convolution, pooling). */
#ifndef EDGEPROF_KERNELS_WINDOW_H
#define EDGEPROF_KERNELS_WINDOW_H

/* Output columns [lo, hi) whose tap at input column ix = ox * stride + offset falls inside
 * [0, in_w); clamped to [0, out_w]. Columns outside need the padding-aware slow path. */
static inline void ep_window_valid_columns(int offset, int stride, int in_w, int out_w, int* lo,
                                           int* hi) {
  int first = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
  int last = in_w - 1 - offset < 0 ? -1 : (in_w - 1 - offset) / stride;
  *lo = first < out_w ? first : out_w;
  *hi = last + 1 < out_w ? last + 1 : out_w;
  if (*hi < *lo) *hi = *lo;
}

#endif /* EDGEPROF_KERNELS_WINDOW_H */

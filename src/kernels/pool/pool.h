/* Vector pooling planes (internal): the geometry pool.c prepares once per call for the
 * per-ISA plane functions of pool-impl.h. */
#ifndef EDGEPROF_KERNELS_POOL_POOL_H
#define EDGEPROF_KERNELS_POOL_POOL_H

#include <stdbool.h>
#include <stddef.h>

/* Widths the stack buffers hold; wider planes take the scalar path. */
#define EP_POOL_MAX_ROW 2048
#define EP_POOL_MAX_KERNEL 64

typedef struct ep_pool_plane {
  int in_h, in_w, out_h, out_w;
  int kernel_h, kernel_w, stride_h, stride_w; /* stride_w 1 or 2 */
  int pad_top, pad_left;
  /* Row buffer: pad_left fill values, in_w inputs, fill up to row_floats (at least every tap
   * of the last output column, plus vector overreach). */
  size_t row_floats;
  /* Max: outputs [first_col, end_col) have at least one input column; the others are 0. */
  int first_col, end_col;
  /* Average: output (oy, ox) = sum * row_scale[valid rows] * col_scale[ox]. */
  const float* row_scale; /* [kernel_h + 1] */
  const float* col_scale; /* [out_w] */
} ep_pool_plane;

/* x: one input plane; y: its output plane; row: row_floats of scratch. */
typedef void (*ep_pool_plane_fn)(const ep_pool_plane* plane, bool max, const float* x, float* y,
                                 float* row);

#endif /* EDGEPROF_KERNELS_POOL_POOL_H */

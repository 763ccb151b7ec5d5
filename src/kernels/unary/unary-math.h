/* Element-wise math of modern networks (internal): Sqrt, Reciprocal, Erf, Gelu (both ONNX
 * approximations), HardSigmoid, HardSwish, Mish, Exp, Log, Neg, Abs, Softplus, and Pow's constant
 * exponents (x^2, x^3, x^0.5).
 *
 * One template (unary-impl.h) over the vector shims, a file per ISA level (the scalar level
 * included, over simd/vec-scalar.h), chosen by the kernel configuration (kernel-config.c: the
 * `unary` entry); the reference (reference/unary-math.c) computes each in double with libm.
 *
 * Accuracy against the reference (tests/kernels/test_unary_math.c checks it at every level):
 * Sqrt, Reciprocal, Neg, Abs, HardSigmoid, HardSwish and x^2 exact or within 1 ulp; Exp and Log
 * about 1 ulp over the whole float range (inf, subnormal results, -inf at 0, NaN below);
 * Erf and Gelu ("none") within 1e-6 relative, tails included (erfc in relative precision);
 * Gelu "tanh", Mish and Softplus within 1e-6 relative where |x| <= 8 (further out the float
 * rounding of their inner argument dominates). NaN in gives NaN out. */
#ifndef EDGEPROF_KERNELS_UNARY_UNARY_MATH_H
#define EDGEPROF_KERNELS_UNARY_UNARY_MATH_H

#include <stddef.h>

#include "core/threadpool.h"

typedef enum ep_unary_op {
  EP_UNARY_SQRT,
  EP_UNARY_RECIPROCAL,
  EP_UNARY_ERF,
  EP_UNARY_GELU,      /* x Phi(x): ONNX Gelu, approximate "none" */
  EP_UNARY_GELU_TANH, /* ONNX Gelu, approximate "tanh" */
  EP_UNARY_HARD_SIGMOID,
  EP_UNARY_HARD_SWISH,
  EP_UNARY_MISH,
  EP_UNARY_EXP,
  EP_UNARY_LOG,
  EP_UNARY_NEG,
  EP_UNARY_ABS,
  EP_UNARY_SOFTPLUS,
  EP_UNARY_SQUARE,   /* Pow(x, 2) */
  EP_UNARY_CUBE,     /* Pow(x, 3) */
  EP_UNARY_POW_HALF, /* Pow(x, 0.5): sqrt with pow's -0 -> +0 and -inf -> +inf */
  EP_UNARY_COUNT
} ep_unary_op;

/* HardSigmoid's max(0, min(1, alpha x + beta)); the other ops ignore them. */
typedef struct ep_unary_params {
  float alpha, beta;
} ep_unary_params;

/* y[i] = op(x[i]) for n values; y may alias x. */
typedef void (*ep_unary_fn)(size_t n, const float* x, float* y, const ep_unary_params* p);

/* One ISA level's kernels, indexed by ep_unary_op. */
typedef struct ep_unary_kernels {
  ep_unary_fn fn[EP_UNARY_COUNT];
} ep_unary_kernels;

/* The kernels of the active level, split over the pool in chunks; y may alias x. */
void ep_unary_run(ep_unary_op op, const ep_unary_params* p, size_t n, const float* x, float* y,
                  ep_threadpool* pool);
/* The naive reference: libm in double. */
double ep_ref_unary_value(ep_unary_op op, const ep_unary_params* p, double x);
void ep_ref_unary(ep_unary_op op, const ep_unary_params* p, size_t n, const float* x, float* y);

#endif /* EDGEPROF_KERNELS_UNARY_UNARY_MATH_H */

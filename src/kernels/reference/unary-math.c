/* Reference element-wise math: libm in double, from the ONNX definitions. */
#include "kernels/unary/unary-math.h"

#include <math.h>

double ep_ref_unary_value(ep_unary_op op, const ep_unary_params* p, double x) {
  switch (op) {
    case EP_UNARY_SQRT:
      return sqrt(x);
    case EP_UNARY_RECIPROCAL:
      return 1.0 / x;
    case EP_UNARY_ERF:
      return erf(x);
    case EP_UNARY_GELU:
      return x * 0.5 * erfc(-x / sqrt(2.0));
    case EP_UNARY_GELU_TANH:
      /* 0.5 x (1 + tanh u) = x / (1 + exp(-2u)): the same, without 1 + tanh's cancellation. */
      return x / (1.0 + exp(-2.0 * sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
    case EP_UNARY_HARD_SIGMOID: {
      const double v = (double)p->alpha * x + (double)p->beta;
      return isnan(v) ? v : v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
    }
    case EP_UNARY_HARD_SWISH: {
      const double v = x / 6.0 + 0.5;
      return isnan(v) ? v : x * (v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v);
    }
    case EP_UNARY_MISH:
      return x * tanh(log1p(exp(x)));
    case EP_UNARY_EXP:
      return exp(x);
    case EP_UNARY_LOG:
      return log(x);
    case EP_UNARY_NEG:
      return -x;
    case EP_UNARY_ABS:
      return fabs(x);
    case EP_UNARY_SOFTPLUS:
      return x > 0.0 ? x + log1p(exp(-x)) : log1p(exp(x));
    case EP_UNARY_SQUARE:
      return pow(x, 2.0);
    case EP_UNARY_CUBE:
      return pow(x, 3.0);
    case EP_UNARY_POW_HALF:
      return pow(x, 0.5);
    case EP_UNARY_COUNT:
      break;
  }
  return NAN;
}

void ep_ref_unary(ep_unary_op op, const ep_unary_params* p, size_t n, const float* x, float* y) {
  static const ep_unary_params none = {0.0f, 0.0f};
  for (size_t i = 0; i < n; i++) {
    y[i] = (float)ep_ref_unary_value(op, p != NULL ? p : &none, (double)x[i]);
  }
}

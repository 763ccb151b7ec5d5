/* LSTM cell, portable C (8 units, the scalar GEMM's nr). */
#include "kernels/simd/vec-scalar.h"

#define EP_LC_NV 8
#define EP_LC_KU 1
#define EP_LC_NAME ep_lstm_cell__scalar
#include "kernels/lstm/lstm-cell-impl.h"

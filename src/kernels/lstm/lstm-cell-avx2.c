/* LSTM cell, AVX2 + FMA (16 units: two vectors per gate, 8 accumulators). */
#include "kernels/simd/vec-avx2.h"

#define EP_LC_NV 2
#define EP_LC_KU 1
#define EP_LC_NAME ep_lstm_cell__avx2
#include "kernels/lstm/lstm-cell-impl.h"

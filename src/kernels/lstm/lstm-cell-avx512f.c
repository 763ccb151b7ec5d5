/* LSTM cell, AVX-512F (16 units: one vector per gate, two k steps in flight). */
#include "kernels/simd/vec-avx512f.h"

#define EP_LC_NV 1
#define EP_LC_KU 2
#define EP_LC_NAME ep_lstm_cell__avx512f
#include "kernels/lstm/lstm-cell-impl.h"

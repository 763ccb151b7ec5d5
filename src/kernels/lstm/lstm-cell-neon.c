/* LSTM cell, AArch64 NEON (8 units: two vectors per gate, two k steps in flight). */
#include "kernels/simd/vec-neon.h"

#define EP_LC_NV 2
#define EP_LC_KU 2
#define EP_LC_NAME ep_lstm_cell__neon
#include "kernels/lstm/lstm-cell-impl.h"

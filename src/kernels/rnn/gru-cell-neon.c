/* GRU cell, AArch64 NEON (8 units: two vectors per gate, two k steps in flight). */
#include "kernels/simd/vec-neon.h"

#define EP_GC_NV 2
#define EP_GC_KU 2
#define EP_GC_NAME ep_gru_cell__neon
#include "kernels/rnn/gru-cell-impl.h"

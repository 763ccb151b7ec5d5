/* GRU cell, AVX-512F (16 units: one vector per gate, two k steps in flight). */
#include "kernels/simd/vec-avx512f.h"

#define EP_GC_NV 1
#define EP_GC_KU 2
#define EP_GC_NAME ep_gru_cell__avx512f
#include "kernels/rnn/gru-cell-impl.h"

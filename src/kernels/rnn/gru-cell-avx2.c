/* GRU cell, AVX2 + FMA (16 units: two vectors per gate). */
#include "kernels/simd/vec-avx2.h"

#define EP_GC_NV 2
#define EP_GC_KU 1
#define EP_GC_NAME ep_gru_cell__avx2
#include "kernels/rnn/gru-cell-impl.h"

/* GRU cell, portable C (8 units, the scalar GEMM's nr). */
#include "kernels/simd/vec-scalar.h"

#define EP_GC_NV 8
#define EP_GC_KU 1
#define EP_GC_NAME ep_gru_cell__scalar
#include "kernels/rnn/gru-cell-impl.h"

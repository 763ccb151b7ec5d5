/* The GRU cell (linear_before_reset 1, PyTorch's) of one step over one block of units
 * (internal): the three recurrent products, the gate nonlinearities and the state update in one
 * pass, as kernels/lstm/lstm-cell.h does for the LSTM. */
#ifndef EDGEPROF_KERNELS_RNN_GRU_CELL_H
#define EDGEPROF_KERNELS_RNN_GRU_CELL_H

#include <stddef.h>

/* One batch row, one block of NR units (NR: the gemm nr of the variant's ISA level, which packed
 * the weights; units <= NR of them are real):
 *   g:  the input projection with its biases, gates z, r, n of the block side by side [3][NR]
 *       (z and r with both biases, n with W's only);
 *   r:  the block's recurrent panel, kc rows of [3][NR]; rbias: n's recurrent bias [NR];
 *   h:  the previous state row [kc] (its units [j0, j0 + units) are at h_block);
 *   z = sigmoid(g_z + h R_z), r = sigmoid(g_r + h R_r), n = tanh(g_n + r (h R_n + rbias)),
 *   h_out [units] = (1 - z) n + z h_block. h_out must not overlap h. */
typedef void (*ep_gru_cell_fn)(size_t units, size_t kc, const float* h, const float* h_block,
                               const float* r, const float* g, const float* rbias, float* h_out);

#endif /* EDGEPROF_KERNELS_RNN_GRU_CELL_H */

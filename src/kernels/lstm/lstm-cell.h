/* The LSTM cell of one step over one block of units (internal): the recurrent product, the gate
 * nonlinearities and the state update in one pass, each gate in registers from its first FMA to
 * the stored h, so a step costs its stream of recurrent weights and nothing per gate. */
#ifndef EDGEPROF_KERNELS_LSTM_LSTM_CELL_H
#define EDGEPROF_KERNELS_LSTM_LSTM_CELL_H

#include <stddef.h>

/* One batch row, one block of NR units (NR: the gemm nr of the variant's ISA level, which packed
 * the weights; units <= NR of them are real):
 *   pre [4][NR] = g + h [kc] x r, gates i, o, f, c (ONNX order);
 *   g:  the input projection with its bias, the four gates of the block side by side [4][NR];
 *   r:  the block's recurrent panel, kc rows of [4][NR] (row k: unit columns of R's column k);
 *   h:  the previous step's output row, or NULL at the first step (zero state: r is not read);
 *   c:  the block's cell state [NR], updated: c = sigmoid(f) c + sigmoid(i) tanh(c~);
 *   h_out: units values, sigmoid(o) tanh(c). h_out must not overlap h. */
typedef void (*ep_lstm_cell_fn)(size_t units, size_t kc, const float* h, const float* r,
                                const float* g, float* c, float* h_out);

#endif /* EDGEPROF_KERNELS_LSTM_LSTM_CELL_H */

/* The layout of every tensor of a session: plain NCHW, or the blocked NCHW8c of the f32-nchwc
 * kernels (kernels/f32-nchwc/nchwc.h).
 *
 * A tensor is blocked only where no packing is needed around it and blocking pays: an
 * activation produced by a convolution or by a pool the NCHW8c kernel runs
 * (ep_op_pool_blockable), with a channel count a multiple of EP_NCHWC_BLOCK, read only as input
 * 0 of convolutions, of such pools or of global average pooling or as a convolution's residual
 * (input 3) or as any input of a concatenation along channels whose inputs all hold whole
 * blocks (the same bytes in either layout), and produced or read by a depthwise convolution, read
 * by a global average pool or as a residual, or linked to such a tensor along a chain of
 * convolutions, pools and such concatenations (input 0 to output 0, any input to the output of
 * a concatenation, either way).
 * Then every convolution touching a blocked tensor must be one that ep_conv2d_layouts_supported,
 * with its residual laid out as its output, and every pool and every such concatenation must read
 * and write one layout; where one is not, the plan unblocks its tensors and repeats until nothing
 * changes. Last, a pointwise convolution that reads NCHW writes NCHW where global average pools
 * are all that read its output (SqueezeNet's classifier: the GEMM beats the blocked cell on a
 * plain input by more than the blocked pool gains). A pointwise convolution runs with either
 * layout on either side, so a chain ends at one. Graph inputs, outputs and constants are always
 * NCHW, and so is every
 * view, so a caller only sees a blocked tensor in the middle of a run (see ep_session_run_range
 * for the tensors at a range's ends).
 *
 * EDGEPROF_LAYOUT in the environment, read on each call (at session creation): `nchw` keeps
 * every tensor NCHW; `blocked` counts every candidate as paying (block wherever the kernels
 * allow); `auto` and any other value block where the above allows. Unset, the level's
 * configuration decides (blocked_by_default: auto on avx2 and avx512, NCHW on neon, where the
 * blocked kernels run but do not pay).
 * Everything stays NCHW where the blocked kernels are not available at the active ISA level
 * (ep_nchwc_available). */
#ifndef EDGEPROF_BACKENDS_CPU_LAYOUT_PLAN_H
#define EDGEPROF_BACKENDS_CPU_LAYOUT_PLAN_H

#include "edgeprof/graph.h"
#include "edgeprof/status.h"
#include "kernels/kernels.h"

/* Fills tensor_layout[t] for every tensor t of the finalized graph (ep_graph_tensor_count
 * entries). owned[i] says whether node i runs on the CPU backend (NULL: every node): tensors
 * that other backends' nodes read or write stay NCHW. Fails only when out of memory;
 * tensor_layout is then all NCHW. */
ep_status ep_layout_plan(const ep_graph* graph, const bool* owned, ep_layout* tensor_layout);

#endif /* EDGEPROF_BACKENDS_CPU_LAYOUT_PLAN_H */

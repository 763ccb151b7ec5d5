/* The CPU backend's binding of graph nodes to kernels: one op_kernel per ep_op (op_table.c),
 * behind the backend interface (runtime/backend.h) in cpu_backend.c.
 *
 * prepare runs once per session: it validates what the kernel needs, packs weights and reports
 * the per-thread scratch the node needs. It gets the session's layout of every tensor
 * (backends/cpu/layout_plan.h): only convolutions, pools and channel-scale Muls ever see a blocked
 * one.
 * run executes the node with the session's buffers and pool; it cannot fail. */
#ifndef EDGEPROF_BACKENDS_CPU_OPS_H
#define EDGEPROF_BACKENDS_CPU_OPS_H

#include <stddef.h>

#include "edgeprof/graph.h"
#include "core/aligned_alloc.h"
#include "runtime/backend.h"
#include "kernels/kernels.h"
#include "core/threadpool.h"

typedef struct op_kernel {
  /* layouts: one per tensor of the graph, indexed by tensor id */
  ep_status (*prepare)(const ep_graph* graph, const ep_node* node, const ep_layout* layouts,
                       ep_node_prepared* prepared);
  void (*run)(const void* state, const ep_node* node, const ep_graph* graph, const ep_node_io* io);
  void (*destroy)(void* state); /* optional: NULL means free(state) */
  /* True when the output is a view of input 0 (reshape, flatten): no copy, no run. */
  int is_view;
} op_kernel;

/* The kernel for an op; NULL if the CPU backend has none. */
const op_kernel* ep_op_kernel(ep_op op);

/* Shape helpers shared by the op bindings. */
const ep_shape* ep_node_input_shape(const ep_graph* graph, const ep_node* node, int i);
const ep_shape* ep_node_output_shape(const ep_graph* graph, const ep_node* node, int i);

/* The kernel descriptor of a convolution node (4-D input), with x's and y's layouts taken from
 * `layouts` (per tensor; NULL means all NCHW). Shared by the conv binding and the layout plan. */
ep_conv_desc ep_op_conv_desc(const ep_graph* graph, const ep_node* node, const ep_layout* layouts);
/* Whether a MaxPool / AveragePool node can run on NCHW8c (input and output both): a 2-D window
 * without dilation that the plane kernels run, on a multiple of 8 channels. */
bool ep_op_pool_blockable(const ep_graph* graph, const ep_node* node);
/* For a Mul of x [N, C, H, W] by s [N, C, 1, 1] (either order) into y shaped as x, float: which
 * input is x (0 or 1); else -1. Squeeze-and-excitation's scale, which runs on NCHW8c too. */
int ep_op_channel_scale_input(const ep_graph* graph, const ep_node* node);

#endif /* EDGEPROF_BACKENDS_CPU_OPS_H */

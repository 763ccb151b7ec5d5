/* Transpose and Pad. */
#include "kernels/tensor_ops.h"
#include "backends/cpu/ops.h"

static ep_status layout_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                                ep_node_prepared* p) {
  (void)layouts;
  (void)g;
  (void)node;
  p->state = NULL;
  return EP_OK;
}

static void transpose_run(const void* state, const ep_node* node, const ep_graph* g,
                          const ep_node_io* io) {
  (void)state;
  ep_transpose_run(ep_node_input_shape(g, node, 0), node->attrs.perm, io->in[0], io->out[0],
                   io->pool);
}

static void pad_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  (void)state;
  const ep_attrs* a = &node->attrs;
  ep_pad_run(ep_node_input_shape(g, node, 0), a->pads, a->pad_mode, a->pad_value, io->in[0],
             io->out[0], io->pool);
}

const op_kernel ep_op_transpose = {layout_prepare, transpose_run, NULL, 0};
const op_kernel ep_op_pad = {layout_prepare, pad_run, NULL, 0};

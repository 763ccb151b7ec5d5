/* LeakyRelu and Clip: element-wise with their attributes. */
#include "kernels/tensor_ops.h"
#include "backends/cpu/ops.h"

static ep_status unary_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                               ep_node_prepared* p) {
  (void)layouts;
  (void)g;
  (void)node;
  p->state = NULL;
  return EP_OK;
}

static void leaky_relu_run(const void* state, const ep_node* node, const ep_graph* g,
                           const ep_node_io* io) {
  (void)state;
  size_t n = (size_t)ep_shape_numel(ep_node_output_shape(g, node, 0));
  ep_leaky_relu_run(n, node->attrs.alpha, io->in[0], io->out[0], io->pool);
}

static void clip_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  (void)state;
  size_t n = (size_t)ep_shape_numel(ep_node_output_shape(g, node, 0));
  ep_clip_run(n, node->attrs.clip_min, node->attrs.clip_max, io->in[0], io->out[0], io->pool);
}

const op_kernel ep_op_leaky_relu = {unary_prepare, leaky_relu_run, NULL, 0};
const op_kernel ep_op_clip = {unary_prepare, clip_run, NULL, 0};

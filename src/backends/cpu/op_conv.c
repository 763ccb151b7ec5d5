/* Convolution and fully connected layers: descriptors from the graph, weights packed once. */
#include <stdlib.h>

#include "kernels/f32-nchwc/nchwc.h"
#include "kernels/kernels.h"
#include "backends/cpu/ops.h"

static int attr_or_one(int v) { return v > 0 ? v : 1; }

/* Input 2 is the bias; it may be absent (EP_TENSOR_ABSENT) when a residual follows it. */
static bool has_input(const ep_node* node, int i) {
  return node->n_inputs > i && node->inputs[i] != EP_TENSOR_ABSENT;
}

ep_conv_desc ep_op_conv_desc(const ep_graph* g, const ep_node* node, const ep_layout* layouts) {
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  const ep_shape* y = ep_node_output_shape(g, node, 0);
  const ep_attrs* a = &node->attrs;
  ep_conv_desc d = {
      .batch = (int)x->dims[0],
      .in_channels = (int)x->dims[1],
      .in_h = (int)x->dims[2],
      .in_w = (int)x->dims[3],
      .out_channels = (int)y->dims[1],
      .out_h = (int)y->dims[2],
      .out_w = (int)y->dims[3],
      .kernel_h = a->kernel[0],
      .kernel_w = a->kernel[1],
      .stride_h = attr_or_one(a->stride[0]),
      .stride_w = attr_or_one(a->stride[1]),
      .dilation_h = attr_or_one(a->dilation[0]),
      .dilation_w = attr_or_one(a->dilation[1]),
      .pad_top = a->pad[0],
      .pad_left = a->pad[1],
      .groups = attr_or_one(a->group),
      .has_bias = has_input(node, 2),
      .act = a->act,
      .in_layout = layouts != NULL ? layouts[node->inputs[0]] : EP_LAYOUT_NCHW,
      .out_layout = layouts != NULL ? layouts[node->outputs[0]] : EP_LAYOUT_NCHW,
      .has_input_affine = has_input(node, 4),
      .in_act = has_input(node, 4) ? a->in_act : EP_ACT_NONE,
  };
  return d;
}

typedef struct conv_state {
  ep_conv_desc desc;
  float* packed;
  bool as_fc;     /* run as the fully connected layer it is (see conv_as_fc) */
  ep_fc_desc fc;
} conv_state;

/* A 1x1 convolution of a 1x1 map without groups or residual (squeeze-and-excitation's two convs
 * after the global pool) is a fully connected layer: x [N, C, 1, 1] is x [N, C], W [Cout, C, 1, 1]
 * is W [Cout, C]. The convolution's GEMM computes a whole panel of pixels for its one pixel; the
 * FC's GEMV streams the weights once (MobileNetV3-Large's 16 SE convs: 0.85 -> 0.41 ms per run,
 * -small's 18: 0.27 -> 0.11 ms, sums of per-node medians at one thread). A blocked [N, C, 1, 1]
 * tensor (C a multiple of the block) is the same memory as its NCHW form. */
static bool conv_as_fc(const ep_node* node, const ep_conv_desc* d) {
  const bool same_memory =
      (d->in_layout == EP_LAYOUT_NCHW || d->in_channels % EP_NCHWC_BLOCK == 0) &&
      (d->out_layout == EP_LAYOUT_NCHW || d->out_channels % EP_NCHWC_BLOCK == 0);
  return node->n_inputs <= 3 && d->groups == 1 && d->kernel_h == 1 && d->kernel_w == 1 &&
         d->in_h == 1 && d->in_w == 1 && d->out_h == 1 && d->out_w == 1 && d->pad_top == 0 &&
         d->pad_left == 0 && same_memory;
}

static ep_status conv_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                              ep_node_prepared* p) {
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  if (x->rank != 4) {
    return ep_error(EP_ERR_UNSUPPORTED, "node %s: only 2-D convolutions (4-D input) are supported",
                    node->name);
  }
  conv_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->desc = ep_op_conv_desc(g, node, layouts);
  s->as_fc = conv_as_fc(node, &s->desc);
  s->fc = (ep_fc_desc){
      .n = s->desc.batch,
      .k = s->desc.in_channels,
      .m = s->desc.out_channels,
      .has_bias = s->desc.has_bias,
      .act = s->desc.act,
  };
  size_t floats = s->as_fc ? ep_fc_packed_size(&s->fc) : ep_conv2d_packed_size(&s->desc);
  s->packed = ep_aligned_alloc(floats * sizeof(float));
  if (s->packed == NULL) {
    free(s);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory packing weights", node->name);
  }
  const float* w = ep_graph_tensor(g, node->inputs[1])->data;
  const float* b = has_input(node, 2) ? ep_graph_tensor(g, node->inputs[2])->data : NULL;
  if (s->as_fc) {
    ep_fc_pack(&s->fc, w, b, s->packed);
  } else {
    ep_conv2d_pack(&s->desc, w, b, s->packed);
  }
  if (s->desc.has_input_affine) { /* never as_fc: that takes at most 3 inputs */
    ep_conv2d_pack_input(&s->desc, ep_graph_tensor(g, node->inputs[4])->data,
                         ep_graph_tensor(g, node->inputs[5])->data, s->packed);
  }
  p->state = s;
  p->packed_inputs = 1u << 1 | 1u << 2; /* w and b live in `packed` only */
  p->packed_bytes = floats * sizeof(float);
  p->workspace_floats =
      s->as_fc ? ep_fc_workspace_size(&s->fc) : ep_conv2d_workspace_size(&s->desc);
  return EP_OK;
}

/* The residual (input 3, a fused Add) never shares memory with y, as the kernel requires: it is
 * an input of this node, so its buffer is live at this step, and the session's arena gives
 * buffers live at the same step disjoint ranges (views share their root's range and lifetime). */
static void conv_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  (void)g;
  const conv_state* s = state;
  if (s->as_fc) {
    ep_fc_run(&s->fc, s->packed, io->in[0], io->out[0], io->workspace, io->workspace_stride,
              io->pool);
    return;
  }
  const float* residual = node->n_inputs > 3 ? io->in[3] : NULL;
  ep_conv2d_run(&s->desc, s->packed, io->in[0], residual, io->out[0], io->workspace,
                io->workspace_stride, io->pool);
}

typedef struct fc_state {
  ep_fc_desc desc;
  float* packed;
} fc_state;

static ep_status fc_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                            ep_node_prepared* p) {
  (void)layouts;
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  const ep_shape* w = ep_node_input_shape(g, node, 1);
  fc_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->desc = (ep_fc_desc){
      .n = (int)(ep_shape_numel(x) / x->dims[x->rank - 1]),
      .k = (int)w->dims[1],
      .m = (int)w->dims[0],
      .has_bias = node->n_inputs > 2,
      .act = node->attrs.act,
  };
  size_t floats = ep_fc_packed_size(&s->desc);
  s->packed = ep_aligned_alloc(floats * sizeof(float));
  if (s->packed == NULL) {
    free(s);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory packing weights", node->name);
  }
  const float* wd = ep_graph_tensor(g, node->inputs[1])->data;
  const float* b = node->n_inputs > 2 ? ep_graph_tensor(g, node->inputs[2])->data : NULL;
  ep_fc_pack(&s->desc, wd, b, s->packed);
  p->state = s;
  p->packed_inputs = 1u << 1 | 1u << 2; /* w and b live in `packed` only */
  p->packed_bytes = floats * sizeof(float);
  p->workspace_floats = ep_fc_workspace_size(&s->desc);
  return EP_OK;
}

static void fc_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  (void)node;
  (void)g;
  const fc_state* s = state;
  ep_fc_run(&s->desc, s->packed, io->in[0], io->out[0], io->workspace, io->workspace_stride,
            io->pool);
}

typedef struct lstm_state {
  ep_lstm_desc desc;
  float* packed;
} lstm_state;

static ep_status lstm_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                              ep_node_prepared* p) {
  (void)layouts;
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  lstm_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->desc = (ep_lstm_desc){
      .seq_len = (int)x->dims[0],
      .batch = (int)x->dims[1],
      .input_size = (int)x->dims[2],
      .hidden_size = node->attrs.hidden_size,
      .has_bias = node->n_inputs > 3,
  };
  size_t floats = ep_lstm_packed_size(&s->desc);
  s->packed = ep_aligned_alloc(floats * sizeof(float));
  if (s->packed == NULL) {
    free(s);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory packing weights", node->name);
  }
  const float* w = ep_graph_tensor(g, node->inputs[1])->data;
  const float* r = ep_graph_tensor(g, node->inputs[2])->data;
  const float* b = node->n_inputs > 3 ? ep_graph_tensor(g, node->inputs[3])->data : NULL;
  ep_lstm_pack(&s->desc, w, r, b, s->packed);
  p->state = s;
  p->packed_bytes = floats * sizeof(float);
  p->workspace_floats = ep_lstm_workspace_size(&s->desc);
  return EP_OK;
}

static void lstm_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  (void)node;
  (void)g;
  const lstm_state* s = state;
  ep_lstm_run(&s->desc, s->packed, io->in[0], io->out[0], io->workspace, io->workspace_stride,
              io->pool);
}

/* Every state above starts with its descriptor followed by the packed weights pointer. */
#define DEFINE_DESTROY(type)                \
  static void type##_destroy(void* state) { \
    type* s = state;                        \
    if (s != NULL) free(s->packed);         \
    free(s);                                \
  }
DEFINE_DESTROY(conv_state)
DEFINE_DESTROY(fc_state)
DEFINE_DESTROY(lstm_state)

const op_kernel ep_op_conv = {conv_prepare, conv_run, conv_state_destroy, 0};
const op_kernel ep_op_fully_connected = {fc_prepare, fc_run, fc_state_destroy, 0};
const op_kernel ep_op_lstm = {lstm_prepare, lstm_run, lstm_state_destroy, 0};

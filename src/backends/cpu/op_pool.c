/* MaxPool and AveragePool with ONNX semantics, and GlobalMaxPool. Inside a chain of blocked
 * convolutions (ResNet's stem pool) a plane-kernel pool reads and writes NCHW8c. A window that covers the
 * whole image with no padding (Inception's 7x7 average pool on 7x7) runs as global pooling. The
 * plane pooling kernels (ep_max_pool_run, ep_avg_pool_run) take the common case; dilated windows,
 * and average pooling that counts padding where a ceil-mode window runs past the end padding, take
 * the general window kernel, as do 3-D pools. A 1-D pool (x [N, C, W]) runs as a 2-D pool of
 * height 1. */
#include <stdlib.h>

#include "kernels/f32-nchwc/nchwc.h"
#include "kernels/kernels.h"
#include "kernels/tensor_ops.h"
#include "backends/cpu/ops.h"

typedef struct pool_state {
  bool whole;         /* one window over the whole image: global pooling */
  bool plane_kernels; /* else the plane kernels apply */
  bool blocked;       /* NCHW8c in and out (a plane-kernel case): the f32-nchwc kernel */
  ep_pool_desc plane_desc;
  ep_window_pool_desc desc;
} pool_state;

static int or_one(int v) { return v > 0 ? v : 1; }

/* True when every window lies inside the padded input, so that counting the padding means
 * dividing by the whole kernel. */
static bool windows_inside(int in, int out, int kernel, int stride, int pad_begin, int pad_end) {
  return (int64_t)(out - 1) * stride + kernel <= (int64_t)in + pad_begin + pad_end;
}

/* Fills s from the node: which kernel runs it and its descriptors. */
static void describe(const ep_graph* g, const ep_node* node, pool_state* s) {
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  const ep_shape* y = ep_node_output_shape(g, node, 0);
  const ep_attrs* a = &node->attrs;
  const bool has_h = x->rank >= 4, has_d = x->rank == 5;
  ep_window_pool_desc* d = &s->desc;
  *d = (ep_window_pool_desc){
      .batch = (int)x->dims[0],
      .channels = (int)x->dims[1],
      .in_d = has_d ? (int)x->dims[2] : 1,
      .in_h = has_h ? (int)x->dims[x->rank - 2] : 1,
      .in_w = (int)x->dims[x->rank - 1],
      .out_d = has_d ? (int)y->dims[2] : 1,
      .out_h = has_h ? (int)y->dims[y->rank - 2] : 1,
      .out_w = (int)y->dims[y->rank - 1],
      .kernel_d = has_d ? a->kernel_d : 1,
      .stride_d = has_d ? or_one(a->stride_d) : 1,
      .dilation_d = has_d ? or_one(a->dilation_d) : 1,
      .pad_front = has_d ? a->pad_front : 0,
      .pad_back = has_d ? a->pad_back : 0,
      .kernel_h = a->kernel[0],
      .kernel_w = a->kernel[1],
      .stride_h = or_one(a->stride[0]),
      .stride_w = or_one(a->stride[1]),
      .dilation_h = or_one(a->dilation[0]),
      .dilation_w = or_one(a->dilation[1]),
      .pad_top = a->pad[0],
      .pad_left = a->pad[1],
      .pad_bottom = a->pad[2],
      .pad_right = a->pad[3],
      .count_include_pad = node->op == EP_OP_AVG_POOL && a->count_include_pad,
  };
  s->plane_kernels = !has_d && d->dilation_h == 1 && d->dilation_w == 1;
  s->whole = s->plane_kernels && d->out_h == 1 && d->out_w == 1 && d->kernel_h == d->in_h &&
             d->kernel_w == d->in_w && d->pad_top == 0 && d->pad_left == 0 && d->pad_bottom == 0 &&
             d->pad_right == 0;
  if (d->count_include_pad) {
    s->plane_kernels =
        s->plane_kernels &&
        windows_inside(d->in_h, d->out_h, d->kernel_h, d->stride_h, d->pad_top, d->pad_bottom) &&
        windows_inside(d->in_w, d->out_w, d->kernel_w, d->stride_w, d->pad_left, d->pad_right);
  }
  s->plane_desc = (ep_pool_desc){
      .batch = d->batch,
      .channels = d->channels,
      .in_h = d->in_h,
      .in_w = d->in_w,
      .out_h = d->out_h,
      .out_w = d->out_w,
      .kernel_h = d->kernel_h,
      .kernel_w = d->kernel_w,
      .stride_h = d->stride_h,
      .stride_w = d->stride_w,
      .pad_top = d->pad_top,
      .pad_left = d->pad_left,
      .count_include_pad = d->count_include_pad,
  };
}

bool ep_op_pool_blockable(const ep_graph* g, const ep_node* node) {
  if (node->op != EP_OP_MAX_POOL && node->op != EP_OP_AVG_POOL) return false;
  if (ep_node_input_shape(g, node, 0)->rank != 4) return false;
  pool_state s;
  describe(g, node, &s);
  return s.plane_kernels && !s.whole && s.desc.channels % EP_NCHWC_BLOCK == 0;
}

static ep_status pool_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                              ep_node_prepared* p) {
  pool_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  describe(g, node, s);
  /* The plan blocks a pool's input and output together, and only where ep_op_pool_blockable. */
  s->blocked = layouts != NULL && layouts[node->inputs[0]] == EP_LAYOUT_NCHW8C;
  p->state = s;
  return EP_OK;
}

static void pool_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  (void)g;
  const pool_state* s = state;
  const bool max = node->op == EP_OP_MAX_POOL;
  const size_t planes = (size_t)s->desc.batch * (size_t)s->desc.channels;
  if (s->blocked) {
    ep_nchwc_pool_run(&s->plane_desc, max, io->in[0], io->out[0], io->pool);
  } else if (s->whole && max) {
    ep_global_max_pool_run(planes, (size_t)s->desc.in_h * (size_t)s->desc.in_w, io->in[0],
                           io->out[0], io->pool);
  } else if (s->whole) {
    ep_global_avg_pool_run(s->desc.batch, s->desc.channels, s->desc.in_h * s->desc.in_w, io->in[0],
                           io->out[0], io->pool);
  } else if (!s->plane_kernels) {
    ep_window_pool_run(&s->desc, max, io->in[0], io->out[0], io->pool);
  } else if (max) {
    ep_max_pool_run(&s->plane_desc, io->in[0], io->out[0], io->pool);
  } else {
    ep_avg_pool_run(&s->plane_desc, io->in[0], io->out[0], io->pool);
  }
}

static ep_status global_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                                ep_node_prepared* p) {
  (void)layouts;
  (void)g;
  (void)node;
  p->state = NULL;
  return EP_OK;
}

static void global_max_pool_run(const void* state, const ep_node* node, const ep_graph* g,
                                const ep_node_io* io) {
  (void)state;
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  size_t hw = 1;
  for (int i = 2; i < x->rank; i++) hw *= (size_t)x->dims[i];
  ep_global_max_pool_run((size_t)x->dims[0] * (size_t)x->dims[1], hw, io->in[0], io->out[0],
                         io->pool);
}

const op_kernel ep_op_window_pool = {pool_prepare, pool_run, NULL, 0};
const op_kernel ep_op_global_max_pool = {global_prepare, global_max_pool_run, NULL, 0};

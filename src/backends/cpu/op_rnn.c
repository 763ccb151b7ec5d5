/* LSTM and GRU. A zoo LSTM (W rank 2) keeps its dedicated kernel (op_conv.c); ONNX-layout LSTM
 * and GRU run the general recurrent kernel, with weights packed once when W, R, B and P are
 * constants and into the workspace on every run otherwise. */
#include <stdlib.h>

#include "kernels/tensor_ops.h"
#include "backends/cpu/ops.h"

extern const op_kernel ep_op_lstm; /* the zoo layout */

enum { IN_X, IN_W, IN_R, IN_B, IN_SEQ_LENS, IN_H0, IN_C0, IN_P };

typedef struct rnn_state {
  void* zoo; /* the zoo LSTM's state, or NULL */
  ep_rnn_desc desc;
  float* packed;      /* NULL: packed into the workspace by each run */
  size_t pack_offset; /* where in the workspace, when packed per run */
} rnn_state;

static void rnn_destroy(void* state) {
  rnn_state* s = state;
  if (s == NULL) return;
  if (s->zoo != NULL) {
    if (ep_op_lstm.destroy != NULL) {
      ep_op_lstm.destroy(s->zoo);
    } else {
      free(s->zoo);
    }
  }
  free(s->packed);
  free(s);
}

static const float* input(const ep_node_io* io, const ep_node* node, int i) {
  return i < node->n_inputs ? io->in[i] : NULL; /* NULL when absent too */
}

static ep_status rnn_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                             ep_node_prepared* p) {
  rnn_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  const ep_shape* w = ep_node_input_shape(g, node, IN_W);
  if (node->op == EP_OP_LSTM && w->rank == 2) {
    ep_node_prepared inner = {0};
    ep_status status = ep_op_lstm.prepare(g, node, layouts, &inner);
    if (status != EP_OK) {
      free(s);
      return status;
    }
    s->zoo = inner.state;
    p->packed_bytes = inner.packed_bytes;
    p->workspace_floats = inner.workspace_floats;
    p->state = s;
    return EP_OK;
  }
  const ep_shape* x = ep_node_input_shape(g, node, IN_X);
  const ep_attrs* a = &node->attrs;
  const int layout = a->rnn_layout;
  bool present[8] = {false};
  bool constants = true;
  for (int i = 0; i < node->n_inputs && i < 8; i++) {
    present[i] = node->inputs[i] >= 0;
    const bool weight =
        i == IN_W || i == IN_R || i == IN_B || (i == IN_P && node->op == EP_OP_LSTM);
    if (present[i] && weight) {
      constants = constants && ep_graph_tensor(g, node->inputs[i])->kind == EP_TENSOR_CONSTANT;
    }
  }
  s->desc = (ep_rnn_desc){
      .lstm = node->op == EP_OP_LSTM,
      .seq_len = (int)x->dims[layout ? 1 : 0],
      .batch = (int)x->dims[layout ? 0 : 1],
      .input_size = (int)x->dims[2],
      .hidden_size = a->hidden_size,
      .directions = (int)w->dims[0],
      .reverse = a->direction == EP_RNN_REVERSE,
      .layout = layout,
      .linear_before_reset = a->linear_before_reset,
      .clip = a->rnn_clip,
      .has_bias = present[IN_B],
      .has_peepholes = node->op == EP_OP_LSTM && present[IN_P],
  };
  const size_t packed = ep_rnn_packed_size(&s->desc);
  const size_t work = (ep_rnn_workspace_size(&s->desc) + 15) / 16 * 16;
  if (constants) {
    s->packed = ep_aligned_alloc(packed * sizeof(float));
    if (s->packed == NULL) {
      free(s);
      return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory packing weights", node->name);
    }
    const float* data[8] = {NULL};
    for (int i = IN_W; i < node->n_inputs && i < 8; i++) {
      if (present[i]) data[i] = ep_graph_tensor(g, node->inputs[i])->data;
    }
    ep_rnn_pack(&s->desc, data[IN_W], data[IN_R], data[IN_B],
                s->desc.has_peepholes ? data[IN_P] : NULL, s->packed);
    p->packed_bytes = packed * sizeof(float);
    p->workspace_floats = work;
  } else {
    s->pack_offset = work;
    p->workspace_floats = work + packed;
  }
  p->state = s;
  return EP_OK;
}

static void rnn_run(const void* state, const ep_node* node, const ep_graph* g, const ep_node_io* io) {
  const rnn_state* s = state;
  if (s->zoo != NULL) {
    ep_op_lstm.run(s->zoo, node, g, io);
    return;
  }
  const float* packed = s->packed;
  if (packed == NULL) {
    float* into = io->workspace + s->pack_offset;
    ep_rnn_pack(&s->desc, io->in[IN_W], io->in[IN_R], input(io, node, IN_B),
                s->desc.has_peepholes ? input(io, node, IN_P) : NULL, into);
    packed = into;
  }
  ep_rnn_run(&s->desc, packed, io->in[IN_X], input(io, node, IN_SEQ_LENS), input(io, node, IN_H0),
             s->desc.lstm ? input(io, node, IN_C0) : NULL, io->out[0],
             node->n_outputs > 1 ? io->out[1] : NULL, node->n_outputs > 2 ? io->out[2] : NULL,
             io->workspace, io->pool);
}

const op_kernel ep_op_rnn = {rnn_prepare, rnn_run, rnn_destroy, 0};

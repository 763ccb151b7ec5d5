/* LSTM through oneDNN's RNN primitive (dnnl_lstm_forward). The IR's gates are in ONNX's order
 * i, o, f, c; oneDNN's are i, f, c, o: the weights are regrouped once, with the transpose to
 * oneDNN's ldigo, then reordered into the format it chooses. Runs the zoo layout (zero initial
 * state, one output) and ONNX's one-direction LSTM (forward or reverse, initial states, Y_h and
 * Y_c); bidirectional, sequence lengths, peepholes, clipping and the batch-first layout stay on
 * the CPU backend. */
#include <stdlib.h>
#include <string.h>

#include "backends/onednn/onednn_internal.h"

/* oneDNN gate g (i, f, c, o) is the IR's gate gate_of[g] (i, o, f, c). */
static const int gate_of[4] = {0, 2, 3, 1};

enum { IN_X, IN_W, IN_R, IN_B, IN_SEQ_LENS, IN_H0, IN_C0, IN_P };

bool ep_onednn_lstm_supports(const ep_graph* g, const ep_node* node) {
  if (!onednn_is_constant(g, node, IN_W) || !onednn_is_constant(g, node, IN_R)) return false;
  if (onednn_has_input(node, IN_B) && !onednn_is_constant(g, node, IN_B)) return false;
  const ep_shape* w = onednn_in_shape(g, node, IN_W);
  const ep_attrs* a = &node->attrs;
  if (w->rank == 2) return node->n_outputs == 1;
  return w->rank == 3 && w->dims[0] == 1 && a->direction != EP_RNN_BIDIRECTIONAL &&
         a->rnn_layout == 0 && a->rnn_clip == 0.0f && !onednn_has_input(node, IN_SEQ_LENS) &&
         !onednn_has_input(node, IN_P) && node->n_outputs >= 1 && node->n_outputs <= 3;
}

/* A node-owned state of zeros (an initial state the node lacks) or scratch (a final state no
 * one reads). */
static ep_status zero_state(onednn_node* n, const onednn_ctx* ctx, const ep_node* node,
                            const dnnl_memory_desc_t* md, dnnl_memory_t* memory_out) {
  ep_status status = ep_onednn_owned_memory(n, ctx, node, md, memory_out);
  void* data = NULL;
  if (status == EP_OK && dnnl_memory_get_data_handle(*memory_out, &data) == dnnl_success) {
    memset(data, 0, dnnl_memory_desc_get_size(md));
  }
  return status;
}

/* An initial state: the node's input, or zeros. */
static ep_status state_in(onednn_node* n, const onednn_ctx* ctx, const ep_node* node, int input,
                          const dnnl_memory_desc_t* md, dnnl_memory_t* memory_out) {
  if (onednn_has_input(node, input)) {
    return ep_onednn_bind_tensor(n, ctx, node, md, false, input, memory_out);
  }
  return zero_state(n, ctx, node, md, memory_out);
}

/* A final state: the node's output, or scratch. */
static ep_status state_out(onednn_node* n, const onednn_ctx* ctx, const ep_node* node, int output,
                           const dnnl_memory_desc_t* md, dnnl_memory_t* memory_out) {
  if (node->n_outputs > output)
    return ep_onednn_bind_tensor(n, ctx, node, md, true, output, memory_out);
  return zero_state(n, ctx, node, md, memory_out);
}

ep_status ep_onednn_lstm_prepare(const onednn_ctx* ctx, const ep_graph* g, const ep_node* node,
                                 const ep_layout* layouts, onednn_node* n) {
  (void)layouts; /* all plain (onednn_backend.c checks) */
  ep_status status = EP_OK;
  dnnl_status_t s = dnnl_success;
  dnnl_primitive_desc_t pd = NULL;
  float *w_ldigo = NULL, *r_ldigo = NULL, *b_ldgo = NULL;

  const ep_shape* x = onednn_in_shape(g, node, IN_X);
  const ep_shape* r = onednn_in_shape(g, node, IN_R);
  const bool onnx = onednn_in_shape(g, node, IN_W)->rank == 3;
  const int64_t T = x->dims[0], N = x->dims[1], I = x->dims[2], H = r->dims[r->rank - 1];
  const bool has_states = onnx && (onednn_has_input(node, IN_H0) || onednn_has_input(node, IN_C0));
  const bool final_states = onnx && node->n_outputs > 1;
  const dnnl_rnn_direction_t direction = onnx && node->attrs.direction == EP_RNN_REVERSE
                                             ? dnnl_unidirectional_right2left
                                             : dnnl_unidirectional_left2right;

  const float* w = ep_graph_tensor(g, node->inputs[IN_W])->data;
  const float* rw = ep_graph_tensor(g, node->inputs[IN_R])->data;
  const float* b =
      onednn_has_input(node, IN_B) ? ep_graph_tensor(g, node->inputs[IN_B])->data : NULL;
  w_ldigo = malloc((size_t)(I * 4 * H) * sizeof *w_ldigo);
  r_ldigo = malloc((size_t)(H * 4 * H) * sizeof *r_ldigo);
  b_ldgo = calloc((size_t)(4 * H), sizeof *b_ldgo);
  if (w_ldigo == NULL || r_ldigo == NULL || b_ldgo == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
    goto cleanup;
  }
  for (int gate = 0; gate < 4; gate++) {
    const int64_t row0 = gate_of[gate] * H;
    for (int64_t h = 0; h < H; h++) {
      for (int64_t i = 0; i < I; i++) w_ldigo[(i * 4 + gate) * H + h] = w[(row0 + h) * I + i];
      for (int64_t i = 0; i < H; i++) r_ldigo[(i * 4 + gate) * H + h] = rw[(row0 + h) * H + i];
      if (b != NULL) {
        /* zoo: Wb + Rb already summed; ONNX: Wb then Rb. */
        b_ldgo[gate * H + h] = onnx ? b[row0 + h] + b[4 * H + row0 + h] : b[row0 + h];
      }
    }
  }

  const int64_t layer_dims[3] = {T, N, I}, dst_dims[3] = {T, N, H}, iter_dims[4] = {1, 1, N, H};
  const int64_t wl_dims[5] = {1, 1, I, 4, H}, wi_dims[5] = {1, 1, H, 4, H};
  const int64_t b_dims[4] = {1, 1, 4, H};
  dnnl_memory_desc_t src_md, dst_md, iter_md, wl_plain, wi_plain, wl_any, wi_any, b_md;
  s = ep_onednn_plain_md(&src_md, 3, layer_dims);
  if (s == dnnl_success) s = ep_onednn_plain_md(&dst_md, 3, dst_dims);
  if (s == dnnl_success) s = ep_onednn_plain_md(&iter_md, 4, iter_dims);
  if (s == dnnl_success) s = ep_onednn_plain_md(&wl_plain, 5, wl_dims);
  if (s == dnnl_success) s = ep_onednn_plain_md(&wi_plain, 5, wi_dims);
  if (s == dnnl_success) s = ep_onednn_plain_md(&b_md, 4, b_dims);
  if (s == dnnl_success) {
    s = ep_onednn_any_md(&wl_any, 5, wl_dims);
  }
  if (s == dnnl_success) {
    s = ep_onednn_any_md(&wi_any, 5, wi_dims);
  }
  dnnl_rnn_desc_t d;
  if (s == dnnl_success) {
    s = dnnl_lstm_forward_desc_init(
        &d, dnnl_forward_inference, direction, &src_md, has_states ? &iter_md : NULL,
        has_states ? &iter_md : NULL, &wl_any, &wi_any, &b_md, &dst_md,
        final_states ? &iter_md : NULL, final_states ? &iter_md : NULL, 0);
  }
  if (s == dnnl_success) s = dnnl_primitive_desc_create(&pd, &d, NULL, ctx->engine, NULL);
  if (s != dnnl_success) {
    status = ep_onednn_fail(node, "lstm primitive_desc_create", s);
    goto cleanup;
  }

  dnnl_memory_t wl = NULL, wi = NULL, bias = NULL, src = NULL, dst = NULL;
  dnnl_memory_t h0 = NULL, c0 = NULL, hn = NULL, cn = NULL;
  status = ep_onednn_pack_constant(n, ctx, node, &wl_plain, w_ldigo,
                                   dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0), &wl);
  if (status == EP_OK) {
    status =
        ep_onednn_pack_constant(n, ctx, node, &wi_plain, r_ldigo,
                                dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 1), &wi);
  }
  if (status == EP_OK) {
    status =
        ep_onednn_pack_constant(n, ctx, node, &b_md, b_ldgo,
                                dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 2), &bias);
  }
  if (status == EP_OK) status = ep_onednn_bind_tensor(n, ctx, node, &src_md, false, IN_X, &src);
  if (status == EP_OK) status = ep_onednn_bind_tensor(n, ctx, node, &dst_md, true, 0, &dst);
  if (status == EP_OK && has_states) status = state_in(n, ctx, node, IN_H0, &iter_md, &h0);
  if (status == EP_OK && has_states) status = state_in(n, ctx, node, IN_C0, &iter_md, &c0);
  if (status == EP_OK && final_states) status = state_out(n, ctx, node, 1, &iter_md, &hn);
  if (status == EP_OK && final_states) status = state_out(n, ctx, node, 2, &iter_md, &cn);
  onednn_step* step = NULL;
  if (status == EP_OK) status = ep_onednn_add_step(n, node, pd, &step);
  if (status != EP_OK) goto cleanup;
  ep_onednn_arg(step, DNNL_ARG_SRC_LAYER, src);
  ep_onednn_arg(step, DNNL_ARG_WEIGHTS_LAYER, wl);
  ep_onednn_arg(step, DNNL_ARG_WEIGHTS_ITER, wi);
  ep_onednn_arg(step, DNNL_ARG_BIAS, bias);
  ep_onednn_arg(step, DNNL_ARG_DST_LAYER, dst);
  if (has_states) {
    ep_onednn_arg(step, DNNL_ARG_SRC_ITER, h0);
    ep_onednn_arg(step, DNNL_ARG_SRC_ITER_C, c0);
  }
  if (final_states) {
    ep_onednn_arg(step, DNNL_ARG_DST_ITER, hn);
    ep_onednn_arg(step, DNNL_ARG_DST_ITER_C, cn);
  }

cleanup:
  dnnl_primitive_desc_destroy(pd);
  free(w_ldigo);
  free(r_ldigo);
  free(b_ldgo);
  return status;
}

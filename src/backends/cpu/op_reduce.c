/* Reduce*, LayerNormalization, Split and Tile (kernels in kernels/reduce/). */
#include <stdlib.h>
#include <string.h>

#include "kernels/reduce/reduce.h"
#include "backends/cpu/ops.h"

static ep_status reduce_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                                ep_node_prepared* p) {
  (void)layouts;
  ep_reduce_kind kind;
  if (!ep_reduce_kind_of(node->op, &kind)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "node %s: not a reduction", node->name);
  }
  ep_reduce_desc* d = calloc(1, sizeof *d);
  if (d == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  ep_reduce_desc_init(d, kind, ep_node_input_shape(g, node, 0), node->attrs.reduce_axes);
  p->state = d;
  return EP_OK;
}

static void reduce_run(const void* state, const ep_node* node, const ep_graph* g,
                       const ep_node_io* io) {
  (void)node;
  (void)g;
  ep_reduce_run(state, io->in[0], io->out[0], io->pool);
}

/* --- LayerNormalization --------------------------------------------------------------------- */

typedef struct layer_norm_state {
  size_t rows, n;
  /* scale and bias with fewer values than a row (broadcast): expanded to n values each run
   * into worker 0's scratch, which the row kernel does not use. */
  size_t scale_n, bias_n;
} layer_norm_state;

static ep_status layer_norm_prepare(const ep_graph* g, const ep_node* node,
                                    const ep_layout* layouts, ep_node_prepared* p) {
  (void)layouts;
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  layer_norm_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->rows = s->n = 1;
  for (int d = 0; d < x->rank; d++) *(d < node->attrs.axis ? &s->rows : &s->n) *= (size_t)x->dims[d];
  s->scale_n = (size_t)ep_shape_numel(ep_node_input_shape(g, node, 1));
  s->bias_n = node->n_inputs > 2 && node->inputs[2] >= 0
                  ? (size_t)ep_shape_numel(ep_node_input_shape(g, node, 2))
                  : 0;
  if (s->scale_n != s->n || (s->bias_n != 0 && s->bias_n != s->n)) p->workspace_floats = 2 * s->n;
  p->state = s;
  return EP_OK;
}

static const float* expanded(const float* v, size_t have, size_t n, float* buf) {
  if (v == NULL || have == n) return v;
  for (size_t i = 0; i < n; i++) buf[i] = v[i % have];
  return buf;
}

static void layer_norm_run(const void* state, const ep_node* node, const ep_graph* g,
                           const ep_node_io* io) {
  (void)g;
  const layer_norm_state* s = state;
  const float* scale = expanded(io->in[1], s->scale_n, s->n, io->workspace);
  const float* bias = node->n_inputs > 2 && node->inputs[2] >= 0
                          ? expanded(io->in[2], s->bias_n, s->n, io->workspace + s->n)
                          : NULL;
  ep_layer_norm_run(s->rows, s->n, io->in[0], scale, bias, node->attrs.epsilon, io->out[0],
                    node->n_outputs > 1 ? io->out[1] : NULL,
                    node->n_outputs > 2 ? io->out[2] : NULL, io->pool);
}

/* --- Split and Tile ------------------------------------------------------------------------- */

typedef struct split_state {
  size_t outer, inner;
} split_state;

static ep_status split_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                               ep_node_prepared* p) {
  (void)layouts;
  const ep_shape* x = ep_node_input_shape(g, node, 0);
  split_state* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", node->name);
  s->outer = s->inner = 1;
  for (int d = 0; d < x->rank; d++) {
    if (d < node->attrs.axis) s->outer *= (size_t)x->dims[d];
    if (d > node->attrs.axis) s->inner *= (size_t)x->dims[d];
  }
  p->state = s;
  return EP_OK;
}

static void split_run(const void* state, const ep_node* node, const ep_graph* g,
                      const ep_node_io* io) {
  (void)g;
  const split_state* s = state;
  ep_split_run(s->outer, s->inner, node->n_outputs, node->attrs.split, io->in[0], io->out,
               io->pool);
}

static ep_status tile_prepare(const ep_graph* g, const ep_node* node, const ep_layout* layouts,
                              ep_node_prepared* p) {
  (void)g;
  (void)node;
  (void)layouts;
  p->state = NULL;
  return EP_OK;
}

static void tile_run(const void* state, const ep_node* node, const ep_graph* g,
                     const ep_node_io* io) {
  (void)state;
  ep_tile_run(ep_node_input_shape(g, node, 0), node->attrs.repeats, io->in[0], io->out[0],
              io->pool);
}

const op_kernel ep_op_reduce = {reduce_prepare, reduce_run, NULL, 0};
const op_kernel ep_op_layer_norm = {layer_norm_prepare, layer_norm_run, NULL, 0};
const op_kernel ep_op_split = {split_prepare, split_run, NULL, 0};
const op_kernel ep_op_tile = {tile_prepare, tile_run, NULL, 0};

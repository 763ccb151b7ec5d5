/* ShuffleNet's channel shuffle read by Slices, as one Gather of channels per Slice.
 *
 * torch.onnx writes ShuffleNet V2's channel_shuffle(x, G) as Reshape [N, G, C/G, H, W] ->
 * Transpose (0, 2, 1, 3, 4) -> Reshape [N, C, H, W], and the next unit's split in halves as two
 * Slices along channels. Run as written, the Transpose copies all C channel planes and the
 * Slices copy them again. Each Slice takes channels [lo, lo + n) of the shuffled tensor, which
 * are channels idx[k] = (c % G) * (C / G) + c / G (c = lo + k) of x: one Gather along axis 1
 * reads them from x, so every plane is copied once, and the first half, which the next Concat
 * places in its output, is written there directly (runtime/session.c's concat planning). */
#include "graph/graph_internal.h"

/* The node producing tensor t when it has op `op`, is read by `readers` node inputs alone, is no
 * graph output and has one output; else -1. */
static int sole_producer(const ep_graph* g, const int* consumers, int t, int readers, ep_op op) {
  if (t < 0) return -1;
  const ep_tensor* x = &g->tensors[t];
  if (x->producer < 0 || x->is_output || consumers[t] != readers) return -1;
  const ep_node* n = &g->nodes[x->producer];
  return n->op == op && n->n_outputs == 1 && n->attrs.act == EP_ACT_NONE ? x->producer : -1;
}

/* Whether Slice node `i` takes whole dims but channels (dim 1, step 1) of a rank-4 tensor:
 * its first channel and count in *lo and *n. */
static bool channel_slice(const ep_graph* g, const ep_node* s, int64_t* lo, int64_t* n) {
  if (s->op != EP_OP_SLICE || s->n_outputs != 1 || s->inputs[0] < 0) return false;
  const ep_shape* x = &g->tensors[s->inputs[0]].shape;
  if (x->rank != 4 || g->tensors[s->inputs[0]].dtype != EP_DTYPE_FLOAT32) return false;
  int64_t starts[EP_MAX_RANK], steps[EP_MAX_RANK];
  ep_shape y;
  if (ep_graph_slice_params(g, s, starts, steps, &y) != EP_OK || y.rank != 4) return false;
  for (int d = 0; d < 4; d++) {
    if (steps[d] != 1) return false;
    if (d != 1 && (starts[d] != 0 || y.dims[d] != x->dims[d])) return false;
  }
  *lo = starts[1];
  *n = y.dims[1];
  return *n > 0;
}

bool ep_channel_shuffle_slice_match(const ep_graph* g, const int* consumers, int i,
                                    ep_shuffle_slice* out) {
  const ep_node* s = &g->nodes[i];
  int64_t lo, count;
  if (!channel_slice(g, s, &lo, &count)) return false;
  /* The shuffled tensor may feed several Slices (ShuffleNet's two halves); the caller checks
   * that all its readers match before dropping the shuffle. */
  const int shuffled = s->inputs[0];
  const ep_tensor* y = &g->tensors[shuffled];
  if (y->producer < 0 || y->is_output) return false;
  const int r2 = y->producer;
  if (g->nodes[r2].op != EP_OP_RESHAPE || g->nodes[r2].n_outputs != 1) return false;
  const int tr = sole_producer(g, consumers, g->nodes[r2].inputs[0], 1, EP_OP_TRANSPOSE);
  if (tr < 0) return false;
  const int r1 = sole_producer(g, consumers, g->nodes[tr].inputs[0], 1, EP_OP_RESHAPE);
  if (r1 < 0 || g->nodes[r1].inputs[0] < 0) return false;
  const int x = g->nodes[r1].inputs[0];
  const ep_shape* xs = &g->tensors[x].shape;
  const ep_shape* a = &g->tensors[g->nodes[r1].outputs[0]].shape; /* [N, G, C/G, H, W] */
  const ep_shape* b = &g->tensors[g->nodes[tr].outputs[0]].shape; /* [N, C/G, G, H, W] */
  if (!ep_shape_equal(xs, &y->shape) || xs->rank != 4 || a->rank != 5 || b->rank != 5) {
    return false;
  }
  const int* perm = g->nodes[tr].attrs.perm;
  if (perm[0] != 0 || perm[1] != 2 || perm[2] != 1 || perm[3] != 3 || perm[4] != 4) return false;
  if (a->dims[0] != xs->dims[0] || a->dims[1] * a->dims[2] != xs->dims[1] ||
      a->dims[3] != xs->dims[2] || a->dims[4] != xs->dims[3]) {
    return false;
  }
  if (lo < 0 || lo + count > xs->dims[1]) return false;
  out->source = x;
  out->nodes[0] = r1;
  out->nodes[1] = tr;
  out->nodes[2] = r2;
  out->groups = a->dims[1];
  out->first = lo;
  out->count = count;
  return true;
}

void ep_channel_shuffle_indices(const ep_graph* g, const ep_shuffle_slice* m, int64_t* idx) {
  const int64_t channels = g->tensors[m->source].shape.dims[1];
  const int64_t per_group = channels / m->groups;
  for (int64_t k = 0; k < m->count; k++) {
    const int64_t c = m->first + k;
    idx[k] = (c % m->groups) * per_group + c / m->groups;
  }
}

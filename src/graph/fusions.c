/* Pattern fusions: chains of nodes, as exporters write them out, recognized as one operator
 * (attention; the LayerNorm and GELU chains). Each matcher walks backwards from the node that
 * ends its chain and accepts only exact rewrites: every intermediate tensor is read by the chain
 * alone and is no graph output, constants hold the values the pattern needs (scales and epsilons
 * are read from the graph), and shapes do not change along the chain where the fused op would
 * not change them. passes.c decides which matches to apply and emits them. */
#include <math.h>
#include <string.h>

#include "graph/graph_internal.h"

/* The node producing tensor t when t is read by exactly `readers` node inputs and is no graph
 * output, the node is not taken, has op `op`, one output and no fused activation; else -1. */
static int private_producer(const ep_graph* g, const int* consumers, const bool* taken, int t,
                            int readers, ep_op op) {
  if (t < 0) return -1;
  const ep_tensor* x = &g->tensors[t];
  if (x->producer < 0 || x->is_output || consumers[t] != readers || taken[x->producer]) return -1;
  const ep_node* n = &g->nodes[x->producer];
  if (n->op != op || n->n_outputs != 1 || n->attrs.act != EP_ACT_NONE) return -1;
  return x->producer;
}

/* True when t is a constant with exactly one element; its value in *v. */
static bool scalar_constant(const ep_graph* g, int t, float* v) {
  if (t < 0) return false;
  const ep_tensor* x = &g->tensors[t];
  if (x->kind != EP_TENSOR_CONSTANT || ep_shape_numel(&x->shape) != 1 || x->data == NULL) {
    return false;
  }
  *v = x->data[0];
  return true;
}

static const ep_shape* shape_of(const ep_graph* g, int t) { return &g->tensors[t].shape; }

static void add_node(ep_fusion* f, int node) {
  if (f->n_nodes < (int)(sizeof f->nodes / sizeof f->nodes[0])) f->nodes[f->n_nodes++] = node;
}

/* --- attention ---------------------------------------------------------------------------- */

/* True when a Transpose's perm only swaps the last two of `rank` dims. */
static bool swaps_last_two(const int* perm, int rank) {
  if (rank < 2) return false;
  for (int i = 0; i < rank - 2; i++) {
    if (perm[i] != i) return false;
  }
  return perm[rank - 2] == rank - 1 && perm[rank - 1] == rank - 2;
}

/* The scores [..., Sq, Sk] ending at tensor t: MatMul(q, k') [-> Mul / Div by a scalar
 * constant]. Fills q, k, trans_b, alpha and the nodes. */
static bool match_scores(const ep_graph* g, const int* consumers, const bool* taken, int t,
                         ep_fusion* f) {
  int x = t;
  float scale = 1.0f, c;
  int sc = private_producer(g, consumers, taken, t, 1, EP_OP_MUL);
  if (sc >= 0) {
    const ep_node* n = &g->nodes[sc];
    if (scalar_constant(g, n->inputs[1], &c)) {
      x = n->inputs[0];
    } else if (scalar_constant(g, n->inputs[0], &c)) {
      x = n->inputs[1];
    } else {
      return false;
    }
    scale = c;
  } else if ((sc = private_producer(g, consumers, taken, t, 1, EP_OP_DIV)) >= 0) {
    const ep_node* n = &g->nodes[sc];
    if (!scalar_constant(g, n->inputs[1], &c) || c == 0.0f) return false;
    x = n->inputs[0];
    scale = 1.0f / c;
  }
  /* A scalar of higher rank would broadcast the scores up. */
  if (sc >= 0 && !ep_shape_equal(shape_of(g, x), shape_of(g, t))) return false;
  const int mm = private_producer(g, consumers, taken, x, 1, EP_OP_MATMUL);
  if (mm < 0) return false;
  const ep_node* n = &g->nodes[mm];
  f->inputs[0] = n->inputs[0];
  f->inputs[1] = n->inputs[1];
  f->attrs.alpha = scale;
  f->attrs.trans_b = false;
  f->first = mm;
  const int tp = private_producer(g, consumers, taken, n->inputs[1], 1, EP_OP_TRANSPOSE);
  if (tp >= 0 && swaps_last_two(g->nodes[tp].attrs.perm, shape_of(g, n->inputs[1])->rank)) {
    f->inputs[1] = g->nodes[tp].inputs[0];
    f->attrs.trans_b = true;
    add_node(f, tp);
  }
  add_node(f, mm);
  if (sc >= 0) add_node(f, sc);
  return true;
}

bool ep_fusion_match_attention(const ep_graph* g, const int* consumers, const bool* taken, int i,
                               ep_fusion* out) {
  const ep_node* pv = &g->nodes[i];
  if (pv->op != EP_OP_MATMUL || taken[i] || pv->n_inputs != 2 || pv->n_outputs != 1) return false;
  const int sm = private_producer(g, consumers, taken, pv->inputs[0], 1, EP_OP_SOFTMAX);
  if (sm < 0) return false;
  const ep_node* softmax = &g->nodes[sm];
  const int scores = softmax->inputs[0];
  const ep_shape* ss = shape_of(g, scores);
  if (ss->rank < 2 || softmax->attrs.axis != ss->rank - 1) return false;

  ep_fusion f;
  memset(&f, 0, sizeof f);
  f.op = EP_OP_ATTENTION;
  f.attrs = ep_attrs_default(EP_OP_ATTENTION);
  f.last = i;
  int mask = -1;
  const int add = private_producer(g, consumers, taken, scores, 1, EP_OP_ADD);
  if (add >= 0) {
    const ep_node* n = &g->nodes[add];
    for (int k = 0; k < 2 && mask < 0; k++) {
      ep_fusion tried = f;
      if (match_scores(g, consumers, taken, n->inputs[k], &tried)) {
        f = tried;
        mask = n->inputs[1 - k];
        /* The mask broadcasts to the scores and no further. */
        if (!ep_shape_equal(shape_of(g, n->inputs[k]), ss)) return false;
      }
    }
    if (mask < 0) return false;
    add_node(&f, add);
  } else if (!match_scores(g, consumers, taken, scores, &f)) {
    return false;
  }
  add_node(&f, sm);
  add_node(&f, i);

  /* q [..., Sq, D], k' [..., D, Sk] (or k [..., Sk, D]), v [..., Sk, Dv]: one rank, one set of
   * batch dims (a MatMul would broadcast them; the kernel does not). */
  const ep_shape* q = shape_of(g, f.inputs[0]);
  const ep_shape* k = shape_of(g, f.inputs[1]);
  const ep_shape* v = shape_of(g, pv->inputs[1]);
  const int r = q->rank;
  if (r < 2 || k->rank != r || v->rank != r || ss->rank != r) return false;
  for (int d = 0; d < r - 2; d++) {
    if (k->dims[d] != q->dims[d] || v->dims[d] != q->dims[d]) return false;
  }
  f.inputs[2] = pv->inputs[1];
  f.n_inputs = 3;
  if (mask >= 0) f.inputs[f.n_inputs++] = mask;
  *out = f;
  return true;
}

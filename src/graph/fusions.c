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

/* Whether c is 2^e, |e| <= 16 (products with it stay exact for the values attention sees). */
static bool power_of_two(float c) {
  int e;
  return frexpf(c, &e) == 0.5f && e >= -15 && e <= 17;
}

/* Tensor q as the private output of Mul(x, c) or Div(x, c), c a scalar constant whose factor is a
 * power of two, q shaped like x: x, the node and the factor. */
static bool q_power_of_two_scale(const ep_graph* g, const int* consumers, const bool* taken, int q,
                                 int* x_out, int* node_out, float* factor_out) {
  float c;
  int id = private_producer(g, consumers, taken, q, 1, EP_OP_MUL);
  if (id >= 0) {
    const ep_node* n = &g->nodes[id];
    const int k = scalar_constant(g, n->inputs[1], &c) ? 0 : scalar_constant(g, n->inputs[0], &c) ? 1 : -1;
    if (k < 0 || !power_of_two(c) || !ep_shape_equal(shape_of(g, n->inputs[k]), shape_of(g, q))) {
      return false;
    }
    *x_out = n->inputs[k], *node_out = id, *factor_out = c;
    return true;
  }
  id = private_producer(g, consumers, taken, q, 1, EP_OP_DIV);
  if (id < 0) return false;
  const ep_node* n = &g->nodes[id];
  if (!scalar_constant(g, n->inputs[1], &c) || !power_of_two(c) ||
      !ep_shape_equal(shape_of(g, n->inputs[0]), shape_of(g, q))) {
    return false;
  }
  *x_out = n->inputs[0], *node_out = id, *factor_out = 1.0f / c;
  return true;
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
  /* q scaled by a power of two before the product (PyTorch's MultiheadAttention: q / sqrt(d)):
   * (2^e q) k' is 2^e (q k') to the bit, so the scale joins alpha, which the kernel applies to
   * its packed q rows. */
  float qs;
  if (q_power_of_two_scale(g, consumers, taken, f->inputs[0], &x, &sc, &qs)) {
    f->inputs[0] = x;
    f->attrs.alpha *= qs;
    add_node(f, sc);
  }
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

/* --- GELU --------------------------------------------------------------------------------- */

/* A constant within float rounding of `want`. */
static bool near(float v, double want) { return fabs((double)v - want) <= 1e-6 * fabs(want); }

/* When tensor t is the private output of a binary `op` node of which one operand is a scalar
 * constant near `want` (for Div and Sub only the right one) and the output has the other
 * operand's shape: that other operand, the node added to f. Else -1. */
static int scalar_step(const ep_graph* g, const int* consumers, const bool* taken, int t, ep_op op,
                       double want, ep_fusion* f) {
  const int id = private_producer(g, consumers, taken, t, 1, op);
  if (id < 0) return -1;
  const ep_node* n = &g->nodes[id];
  float c;
  int other = -1;
  if (scalar_constant(g, n->inputs[1], &c) && near(c, want)) {
    other = n->inputs[0];
  } else if (op != EP_OP_DIV && op != EP_OP_SUB && scalar_constant(g, n->inputs[0], &c) &&
             near(c, want)) {
    other = n->inputs[1];
  }
  if (other < 0 || !ep_shape_equal(shape_of(g, other), shape_of(g, t))) return -1;
  add_node(f, id);
  return other;
}

/* x^3 ending at tensor t: Pow(x, 3) or Mul(x, Mul(x, x)) in either order. Returns x or -1. */
static int cube_of(const ep_graph* g, const int* consumers, const bool* taken, int t,
                   ep_fusion* f) {
  int x = scalar_step(g, consumers, taken, t, EP_OP_POW, 3.0, f);
  if (x >= 0) return x;
  const int outer = private_producer(g, consumers, taken, t, 1, EP_OP_MUL);
  if (outer < 0) return -1;
  for (int k = 0; k < 2; k++) {
    const int sq = g->nodes[outer].inputs[1 - k];
    x = g->nodes[outer].inputs[k];
    const int inner = private_producer(g, consumers, taken, sq, 1, EP_OP_MUL);
    if (inner >= 0 && g->nodes[inner].inputs[0] == x && g->nodes[inner].inputs[1] == x &&
        ep_shape_equal(shape_of(g, x), shape_of(g, t))) {
      add_node(f, inner);
      add_node(f, outer);
      return x;
    }
  }
  return -1;
}

/* The factor 1 + erf(x / sqrt 2) or 1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)) ending at tensor
 * t. Returns x (and sets f->attrs.gelu_tanh) or -1. */
static int gelu_factor(const ep_graph* g, const int* consumers, const bool* taken, int t,
                       ep_fusion* f) {
  const int e = scalar_step(g, consumers, taken, t, EP_OP_ADD, 1.0, f);
  if (e < 0) return -1;
  int id = private_producer(g, consumers, taken, e, 1, EP_OP_ERF);
  if (id >= 0) {
    add_node(f, id);
    const int u = g->nodes[id].inputs[0];
    int x = scalar_step(g, consumers, taken, u, EP_OP_DIV, sqrt(2.0), f);
    if (x < 0) x = scalar_step(g, consumers, taken, u, EP_OP_MUL, sqrt(0.5), f);
    f->attrs.gelu_tanh = false;
    return x;
  }
  id = private_producer(g, consumers, taken, e, 1, EP_OP_TANH);
  if (id < 0) return -1;
  add_node(f, id);
  const int s = scalar_step(g, consumers, taken, g->nodes[id].inputs[0], EP_OP_MUL,
                            sqrt(2.0 / 3.14159265358979323846), f);
  const int sum = private_producer(g, consumers, taken, s, 1, EP_OP_ADD);
  if (sum < 0) return -1;
  add_node(f, sum);
  for (int k = 0; k < 2; k++) {
    ep_fusion tried = *f;
    const int x = g->nodes[sum].inputs[k];
    const int cube = scalar_step(g, consumers, taken, g->nodes[sum].inputs[1 - k], EP_OP_MUL,
                                 0.044715, &tried);
    if (cube >= 0 && cube_of(g, consumers, taken, cube, &tried) == x &&
        ep_shape_equal(shape_of(g, x), shape_of(g, s))) {
      *f = tried;
      f->attrs.gelu_tanh = true;
      return x;
    }
  }
  return -1;
}

/* True when tensor `factor` is the GELU factor of x (nodes added to f). */
static bool is_factor_of(const ep_graph* g, const int* consumers, const bool* taken, int factor,
                         int x, ep_fusion* f) {
  ep_fusion tried = *f;
  if (gelu_factor(g, consumers, taken, factor, &tried) != x) return false;
  *f = tried;
  return true;
}

bool ep_fusion_match_gelu(const ep_graph* g, const int* consumers, const bool* taken, int i,
                          ep_fusion* out) {
  const ep_node* last = &g->nodes[i];
  if (last->op != EP_OP_MUL || taken[i] || last->n_inputs != 2 || last->n_outputs != 1 ||
      last->attrs.act != EP_ACT_NONE) {
    return false;
  }
  ep_fusion base;
  memset(&base, 0, sizeof base);
  base.op = EP_OP_GELU;
  base.attrs = ep_attrs_default(EP_OP_GELU);
  base.last = i;
  base.n_inputs = 1;
  /* x * 0.5 * factor, in any of the three groupings exporters write. */
  for (int k = 0; k < 2; k++) {
    const int a = last->inputs[k], b = last->inputs[1 - k];
    float c;
    /* (x * factor) * 0.5 */
    const int m1 = private_producer(g, consumers, taken, a, 1, EP_OP_MUL);
    if (scalar_constant(g, b, &c) && c == 0.5f && m1 >= 0) {
      for (int j = 0; j < 2; j++) {
        ep_fusion f = base;
        add_node(&f, m1);
        const int x = g->nodes[m1].inputs[j];
        if (is_factor_of(g, consumers, taken, g->nodes[m1].inputs[1 - j], x, &f)) {
          f.inputs[0] = x;
          *out = f;
          goto found;
        }
      }
    }
    /* (x * 0.5) * factor */
    ep_fusion f = base;
    int x = scalar_step(g, consumers, taken, a, EP_OP_MUL, 0.5, &f);
    if (x >= 0 && is_factor_of(g, consumers, taken, b, x, &f)) {
      f.inputs[0] = x;
      *out = f;
      goto found;
    }
    /* x * (0.5 * factor) */
    f = base;
    const int factor = scalar_step(g, consumers, taken, b, EP_OP_MUL, 0.5, &f);
    if (factor >= 0 && is_factor_of(g, consumers, taken, factor, a, &f)) {
      f.inputs[0] = a;
      *out = f;
      goto found;
    }
  }
  return false;

found:
  if (!ep_shape_equal(shape_of(g, out->inputs[0]), shape_of(g, last->outputs[0]))) return false;
  add_node(out, i);
  out->first = i;
  for (int k = 0; k < out->n_nodes; k++) {
    if (out->nodes[k] < out->first) out->first = out->nodes[k];
  }
  return true;
}

/* --- LayerNorm ---------------------------------------------------------------------------- */

/* The first reduced dim when ReduceMean node n reduces exactly the trailing dims [axis, rank) of
 * its input and keeps them; else -1. */
static int trailing_axis(const ep_graph* g, const ep_node* n) {
  const int rank = shape_of(g, n->inputs[0])->rank;
  if (!n->attrs.keepdims || rank < 1 || rank > 31) return -1;
  const unsigned all = (1u << rank) - 1;
  const unsigned mask = n->attrs.reduce_axes ? n->attrs.reduce_axes : all;
  int axis = rank;
  while (axis > 0 && (mask & (1u << (axis - 1)))) axis--;
  return axis < rank && mask == (all & ~((1u << axis) - 1)) ? axis : -1;
}

/* (x - mean) / sqrt(var + eps) ending at tensor t, mean and var ReduceMeans over the same
 * trailing dims, the square as Pow(d, 2) or Mul(d, d). Returns x; sets axis and epsilon. */
static int normalized(const ep_graph* g, const int* consumers, const bool* taken, int t,
                      ep_fusion* f) {
  const int div = private_producer(g, consumers, taken, t, 1, EP_OP_DIV);
  if (div < 0) return -1;
  const int d = g->nodes[div].inputs[0];
  const int sqrt_node = private_producer(g, consumers, taken, g->nodes[div].inputs[1], 1, EP_OP_SQRT);
  if (sqrt_node < 0) return -1;
  const int add = private_producer(g, consumers, taken, g->nodes[sqrt_node].inputs[0], 1, EP_OP_ADD);
  if (add < 0) return -1;
  float eps = 0.0f;
  int var = -1;
  for (int k = 0; k < 2 && var < 0; k++) {
    if (scalar_constant(g, g->nodes[add].inputs[k], &eps) && eps > 0.0f) {
      var = g->nodes[add].inputs[1 - k];
    }
  }
  if (var < 0 || !ep_shape_equal(shape_of(g, var), shape_of(g, g->nodes[add].outputs[0]))) {
    return -1;
  }
  const int mean2 = private_producer(g, consumers, taken, var, 1, EP_OP_REDUCE_MEAN);
  if (mean2 < 0) return -1;
  const int sq = g->nodes[mean2].inputs[0];
  int square = private_producer(g, consumers, taken, sq, 1, EP_OP_POW);
  int d_readers = 2;
  float two;
  if (square >= 0) {
    const ep_node* n = &g->nodes[square];
    if (n->inputs[0] != d || !scalar_constant(g, n->inputs[1], &two) || two != 2.0f) return -1;
  } else {
    square = private_producer(g, consumers, taken, sq, 1, EP_OP_MUL);
    if (square < 0 || g->nodes[square].inputs[0] != d || g->nodes[square].inputs[1] != d) {
      return -1;
    }
    d_readers = 3;
  }
  const int sub = private_producer(g, consumers, taken, d, d_readers, EP_OP_SUB);
  if (sub < 0) return -1;
  const int x = g->nodes[sub].inputs[0];
  const int mean1 = private_producer(g, consumers, taken, g->nodes[sub].inputs[1], 1,
                                     EP_OP_REDUCE_MEAN);
  if (mean1 < 0 || g->nodes[mean1].inputs[0] != x) return -1;
  const int axis = trailing_axis(g, &g->nodes[mean1]);
  if (axis < 0 || trailing_axis(g, &g->nodes[mean2]) != axis ||
      !ep_shape_equal(shape_of(g, d), shape_of(g, x)) ||
      !ep_shape_equal(shape_of(g, t), shape_of(g, x))) {
    return -1;
  }
  add_node(f, mean1);
  add_node(f, sub);
  add_node(f, square);
  add_node(f, mean2);
  add_node(f, add);
  add_node(f, sqrt_node);
  add_node(f, div);
  f->attrs.axis = axis;
  f->attrs.epsilon = eps;
  return x;
}

/* True when tensor p (gamma or beta) is shaped like the normalized dims of x from `axis` on,
 * or like their last ones (leading 1s allowed): LayerNormalization's scale and bias. */
static bool per_normalized_element(const ep_graph* g, int p, int x, int axis) {
  const ep_shape* ps = shape_of(g, p);
  const ep_shape* xs = shape_of(g, x);
  int lead = 0;
  while (lead < ps->rank && ps->dims[lead] == 1 && ps->rank - lead > xs->rank - axis) lead++;
  const int r = ps->rank - lead;
  if (r > xs->rank - axis) return false;
  for (int k = 0; k < r; k++) {
    if (ps->dims[lead + k] != xs->dims[xs->rank - r + k]) return false;
  }
  return true;
}

bool ep_fusion_match_layer_norm(const ep_graph* g, const int* consumers, const bool* taken, int i,
                                ep_fusion* out) {
  const ep_node* last = &g->nodes[i];
  if (taken[i] || last->n_inputs != 2 || last->n_outputs != 1 || last->attrs.act != EP_ACT_NONE ||
      (last->op != EP_OP_ADD && last->op != EP_OP_MUL)) {
    return false;
  }
  ep_fusion base;
  memset(&base, 0, sizeof base);
  base.op = EP_OP_LAYER_NORM;
  base.attrs = ep_attrs_default(EP_OP_LAYER_NORM);
  base.last = i;
  /* [Add(., beta) after] Mul(normalized, gamma), operands in either order. */
  for (int k = 0; k < 2; k++) {
    int scaled = last->outputs[0], beta = -1, mul = i;
    if (last->op == EP_OP_ADD) {
      scaled = last->inputs[k];
      beta = last->inputs[1 - k];
      mul = private_producer(g, consumers, taken, scaled, 1, EP_OP_MUL);
      if (mul < 0) continue;
    } else if (k > 0) {
      break;
    }
    for (int j = 0; j < 2; j++) {
      ep_fusion f = base;
      const int gamma = g->nodes[mul].inputs[1 - j];
      const int x = normalized(g, consumers, taken, g->nodes[mul].inputs[j], &f);
      if (x < 0 || !per_normalized_element(g, gamma, x, f.attrs.axis) ||
          !ep_shape_equal(shape_of(g, scaled), shape_of(g, x)) ||
          (beta >= 0 && !per_normalized_element(g, beta, x, f.attrs.axis)) ||
          !ep_shape_equal(shape_of(g, last->outputs[0]), shape_of(g, x))) {
        continue;
      }
      if (mul != i) add_node(&f, mul);
      add_node(&f, i);
      f.inputs[0] = x;
      f.inputs[1] = gamma;
      f.n_inputs = 2;
      if (beta >= 0) f.inputs[f.n_inputs++] = beta;
      f.first = f.nodes[0]; /* the first ReduceMean */
      *out = f;
      return true;
    }
  }
  return false;
}

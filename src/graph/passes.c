/* Optimisation passes: pattern fusions (attention, fusions.c), batch norm folding, residual add
 * fusion and activation fusion, producing a new graph.
 *
 * Pattern fusions are planned first: each match replaces a chain of nodes by one node emitted at
 * the chain's last position (where all its inputs are ready) and named after its first node.
 * A first walk, in node order, plans which nodes are absorbed into an earlier one: a batch norm
 * into the conv before it; an add into a conv that produces one of its operands, the other operand
 * becoming the conv's residual input; an activation (relu, relu6, sigmoid, tanh, hard swish, hard
 * sigmoid with alpha 1/6 and beta 1/2) into its conv / fully connected / add producer, and so are
 * the gated forms exporters write: SiLU (Sigmoid(x), then Mul(x, that)) and HardSwish below
 * opset 14 (HardSigmoid(x) with alpha 1/6 and beta 1/2, then Mul(x, that): torch.onnx's
 * hardswish, every activation of torchvision's MobileNetV3), x read by those two alone. A MatMul
 * on constant weights [K, N] (a transformer's Linear layers) takes the Add of a constant bias [N]
 * after it, then an activation, a GELU pattern fusion included (BERT's and ViT's MLP), or a
 * residual Add (the MLP's and the attention output's skip connection), all applied in the GEMM
 * epilogue: ViT-B/16 lost its 97 Adds and 12 Gelu nodes, 2.7% of its time; so does a Gelu node
 * itself (the zoo's models, ONNX's Gelu op) after such a MatMul or a fully connected layer. Each
 * absorption extends the absorbing node's "tail" (the tensor its emitted output stands for), so
 * chains compose: conv -> batch norm -> add -> relu becomes one conv. A second walk emits the
 * surviving nodes into a new graph, each at its own position. An absorbing node's output takes the
 * name of the last absorbed node's output, so graph outputs and the names users see keep working.
 *
 * Then, looking upstream: a batch norm -> relu that feeds a pointwise conv alone (DenseNet's
 * pre-activation over the growing concatenation, which no producer can take: every layer
 * normalizes the concatenation with its own statistics) becomes that conv's input transform
 * (EP_OP_CONV's inputs 4 and 5), applied while the conv packs its input; and a constant Pad of
 * zeros before an AveragePool becomes the pool's own counted padding (EP_PASS_FUSE_PAD).
 *
 * Emitting, a Transpose that only moves dims of size 1 becomes a Reshape (a view), and a channel
 * Slice of ShuffleNet's channel shuffle a Gather of the shuffle's input (channel_shuffle.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph/graph_internal.h"

typedef struct plan {
  int* consumers;   /* per tensor: number of node inputs reading it */
  int* reader;      /* per tensor: the last node reading it (the only one when consumers is 1) */
  int* absorbed_by; /* per node: the node it was merged into, -1 if it survives */
  int* bn_of;       /* per node: the batch norm folded into it, -1 if none */
  int* act_of;      /* per node: the activation fused into it (SiLU, HardSwish: the Mul), -1 if none */
  ep_activation* act_kind; /* per node with act_of: the activation it applies */
  int* add_of;      /* per node (a conv): the add fused into it, -1 if none */
  int* residual_of; /* per node (a conv): the add's other operand, -1 if none */
  int* pre_of;      /* per node (a conv): the batch norm of its fused pre-activation, -1 if none */
  int* bias_of;     /* per node (a MatMul): the constant bias [N] of an Add fused into it, or -1 */
  int* pad_of;      /* per node (an average pool): the Pad it absorbs, -1 if none */
  int* tail;        /* per node: the tensor its emitted output stands for */
  int* fusion_of;   /* per node: the pattern fusion it emits (an index in fusions), -1 if none */
  ep_shuffle_slice* shuffle; /* per node (a Slice): the channel shuffle it gathers through, or
                              * source -1 */
  ep_fusion* fusions;
  int n_fusions;
  unsigned passes;
} plan;

static bool is_constant(const ep_graph* g, int id) {
  return g->tensors[id].kind == EP_TENSOR_CONSTANT;
}

/* True when only node `reader` uses tensor `id` (and it is not a graph output). */
static bool read_only_by_one(const ep_graph* g, const plan* p, int id) {
  return p->consumers[id] == 1 && !g->tensors[id].is_output;
}

/* The fused activation that node n is, or EP_ACT_NONE. HardSigmoid fuses only with PyTorch's
 * alpha 1/6 and beta 1/2 (EP_ACT_HARD_SIGMOID's constants, the form MobileNetV3 uses). */
static ep_activation activation_of(const ep_node* n) {
  switch (n->op) {
    case EP_OP_RELU:
      return EP_ACT_RELU;
    case EP_OP_RELU6:
      return EP_ACT_RELU6;
    case EP_OP_SIGMOID:
      return EP_ACT_SIGMOID;
    case EP_OP_TANH:
      return EP_ACT_TANH;
    case EP_OP_HARD_SWISH:
      return EP_ACT_HARD_SWISH;
    case EP_OP_HARD_SIGMOID:
      return fabsf(n->attrs.alpha - 1.0f / 6.0f) <= 1e-7f && n->attrs.beta == 0.5f
                 ? EP_ACT_HARD_SIGMOID
                 : EP_ACT_NONE;
    default:
      return EP_ACT_NONE;
  }
}

/* The surviving node that will emit tensor `id`, or -1 for graph inputs and constants. */
static int emitter_of(const ep_graph* g, const plan* p, int id) {
  int producer = g->tensors[id].producer;
  if (producer < 0) return -1;
  return p->absorbed_by[producer] >= 0 ? p->absorbed_by[producer] : producer;
}

/* The activation the emitter applies so far: its own or that of an add fused into it. */
static ep_activation planned_act(const ep_graph* g, const plan* p, int emitter) {
  if (p->act_of[emitter] >= 0) return p->act_kind[emitter];
  if (p->add_of[emitter] >= 0) return g->nodes[p->add_of[emitter]].attrs.act;
  return g->nodes[emitter].attrs.act;
}

/* A MatMul on constant weights [K, N] (the packed product whose epilogue takes a bias, a residual
 * and an activation), as it came from the importer: two inputs. */
static bool matmul_on_weights(const ep_graph* g, int i) {
  const ep_node* n = &g->nodes[i];
  if (n->op != EP_OP_MATMUL || n->n_inputs != 2 || n->inputs[0] < 0 || n->inputs[1] < 0) {
    return false;
  }
  const ep_tensor* b = &g->tensors[n->inputs[1]];
  return b->kind == EP_TENSOR_CONSTANT && b->shape.rank == 2 &&
         g->tensors[n->inputs[0]].shape.rank >= 2;
}

/* Plans the fusion of add node `i` into the MatMul on weights producing one operand when the
 * other is a constant [N], one value per column (a Linear layer's bias as PyTorch exports it on
 * 3-D inputs, either operand order). True when planned. */
static bool plan_matmul_bias(const ep_graph* g, plan* p, int i) {
  const ep_node* add = &g->nodes[i];
  if (add->n_inputs != 2 || add->inputs[0] < 0 || add->inputs[1] < 0 ||
      add->attrs.act != EP_ACT_NONE) {
    return false;
  }
  for (int k = 0; k < 2; k++) {
    const int x = add->inputs[k], c = add->inputs[1 - k];
    const int e = emitter_of(g, p, x);
    if (e < 0 || p->tail[e] != x || !read_only_by_one(g, p, x) || !matmul_on_weights(g, e) ||
        p->bias_of[e] >= 0 || p->act_of[e] >= 0 || p->add_of[e] >= 0 || p->fusion_of[e] >= 0) {
      continue;
    }
    const ep_tensor* b = &g->tensors[g->nodes[e].inputs[1]];
    const ep_tensor* bias = &g->tensors[c];
    if (!is_constant(g, c) || bias->dtype != EP_DTYPE_FLOAT32 || bias->shape.rank != 1 ||
        bias->shape.dims[0] != b->shape.dims[1] ||
        !ep_shape_equal(&g->tensors[x].shape, &g->tensors[add->outputs[0]].shape)) {
      continue;
    }
    p->absorbed_by[i] = e;
    p->bias_of[e] = c;
    p->tail[e] = add->outputs[0];
    return true;
  }
  return false;
}

/* Plans a GELU pattern fusion (node `i` its last node) as the activation of the MatMul on
 * weights or fully connected layer emitting its input, when only the pattern reads that input:
 * the chain's nodes are absorbed into the producer instead of becoming a Gelu node. */
static void plan_gelu_epilogue(const ep_graph* g, plan* p, int i) {
  const ep_fusion* f = &p->fusions[p->fusion_of[i]];
  if (f->op != EP_OP_GELU || f->n_inputs != 1) return;
  const int x = f->inputs[0];
  const int e = emitter_of(g, p, x);
  if (e < 0 || p->tail[e] != x || g->tensors[x].is_output || p->fusion_of[e] >= 0) return;
  const ep_node* n = &g->nodes[e];
  if (!(matmul_on_weights(g, e) || n->op == EP_OP_FULLY_CONNECTED) ||
      planned_act(g, p, e) != EP_ACT_NONE) {
    return;
  }
  int readers = 0;
  for (int k = 0; k < f->n_nodes; k++) {
    const ep_node* m = &g->nodes[f->nodes[k]];
    for (int j = 0; j < m->n_inputs; j++) readers += m->inputs[j] == x;
  }
  if (readers != p->consumers[x]) return;
  for (int k = 0; k < f->n_nodes; k++) p->absorbed_by[f->nodes[k]] = e;
  p->fusion_of[i] = -1;
  p->act_of[e] = i;
  p->act_kind[e] = f->attrs.gelu_tanh ? EP_ACT_GELU_TANH : EP_ACT_GELU;
  p->tail[e] = g->nodes[i].outputs[0];
}

/* The conv that add node `i` can be fused into through operand `k`, or -1: operand k is the
 * tail of a conv emitter, read by nothing else, and the conv has no activation or residual yet;
 * the other operand is available when the conv runs (a graph input, a constant, or emitted by an
 * earlier node, and not the conv's own output in the making). */
static int residual_target(const ep_graph* g, const plan* p, int i, int k) {
  const ep_node* add = &g->nodes[i];
  int x = add->inputs[k], other = add->inputs[1 - k];
  int e = emitter_of(g, p, x);
  if (e < 0 || p->tail[e] != x || !read_only_by_one(g, p, x)) return -1;
  const ep_node* conv = &g->nodes[e];
  const bool takes = (conv->op == EP_OP_CONV && conv->n_inputs <= 3) || matmul_on_weights(g, e);
  if (!takes || planned_act(g, p, e) != EP_ACT_NONE || p->add_of[e] >= 0 || p->fusion_of[e] >= 0) {
    return -1;
  }
  int oe = emitter_of(g, p, other);
  if (oe < 0) return e;
  if (oe >= e) return -1;
  /* Of an emitter's chain only the tail is emitted (and a survivor's extra outputs). */
  int producer = g->tensors[other].producer;
  bool emitted = p->tail[oe] == other || (producer == oe && g->nodes[producer].outputs[0] != other);
  return emitted ? e : -1;
}

/* Plans the fusion of add node `i` into a conv producing one of its operands. When both operands
 * come from eligible convs (a projection shortcut and the residual branch), the conv emitted
 * later takes the add, so that the other's output is ready by then. */
static void plan_residual(const ep_graph* g, plan* p, int i) {
  const ep_node* add = &g->nodes[i];
  if (add->n_inputs != 2 || add->inputs[0] < 0 || add->inputs[1] < 0) return;
  const ep_shape* a = &g->tensors[add->inputs[0]].shape;
  const ep_shape* b = &g->tensors[add->inputs[1]].shape;
  if (!ep_shape_equal(a, b) || !ep_shape_equal(a, &g->tensors[add->outputs[0]].shape)) return;
  int best = -1, best_k = -1;
  for (int k = 0; k < 2; k++) {
    int e = residual_target(g, p, i, k);
    if (e > best) {
      best = e;
      best_k = k;
    }
  }
  if (best < 0) return;
  p->absorbed_by[i] = best;
  p->add_of[best] = i;
  p->residual_of[best] = add->inputs[1 - best_k];
  p->tail[best] = add->outputs[0];
}

typedef bool (*fusion_matcher)(const ep_graph* g, const int* consumers, const bool* taken, int i,
                               ep_fusion* out);

/* Plans the pattern fusions the passes ask for; `taken` (per node, all false) keeps matches
 * apart. Matchers anchor at a chain's last node, so walking backwards lets the longest chain
 * win (a LayerNorm with its bias Add before the same one ending at its gamma Mul). */
static void plan_fusions(const ep_graph* g, unsigned passes, plan* p, bool* taken) {
  static const struct {
    unsigned pass;
    fusion_matcher match;
  } matchers[] = {
      {EP_PASS_FUSE_ATTENTION, ep_fusion_match_attention},
      {EP_PASS_FUSE_GELU, ep_fusion_match_gelu},
      {EP_PASS_FUSE_LAYER_NORM, ep_fusion_match_layer_norm},
  };
  for (size_t m = 0; m < sizeof matchers / sizeof matchers[0]; m++) {
    if (!(passes & matchers[m].pass)) continue;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
      ep_fusion f;
      if (taken[i] || !matchers[m].match(g, p->consumers, taken, i, &f)) continue;
      for (int k = 0; k < f.n_nodes; k++) {
        taken[f.nodes[k]] = true;
        if (f.nodes[k] != f.last) p->absorbed_by[f.nodes[k]] = f.last;
      }
      p->fusion_of[f.last] = p->n_fusions;
      p->fusions[p->n_fusions++] = f;
    }
  }
}

/* The Mul that completes a gated activation with gate node `i` (Mul(x, gate(x)) in either order,
 * the gate read by it alone, x by the two alone, neither a graph output), or -1; the activation
 * in *act: SiLU for a Sigmoid gate, HardSwish for a HardSigmoid with alpha 1/6 and beta 1/2
 * (x * clamp(x / 6 + 1/2, 0, 1) is HardSwish's definition; other constants are no HardSwish). */
static int gate_mul(const ep_graph* g, const plan* p, int i, ep_activation* act) {
  const ep_node* s = &g->nodes[i];
  if (s->n_inputs != 1 || s->inputs[0] < 0) return -1;
  if (s->op == EP_OP_SIGMOID) {
    *act = EP_ACT_SILU;
  } else if (activation_of(s) == EP_ACT_HARD_SIGMOID) {
    *act = EP_ACT_HARD_SWISH;
  } else {
    return -1;
  }
  int x = s->inputs[0], sx = s->outputs[0];
  if (p->consumers[x] != 2 || g->tensors[x].is_output || !read_only_by_one(g, p, sx)) return -1;
  int m = p->reader[sx];
  const ep_node* mul = &g->nodes[m];
  if (mul->op != EP_OP_MUL || mul->n_inputs != 2 || mul->attrs.act != EP_ACT_NONE ||
      p->absorbed_by[m] >= 0 || p->fusion_of[m] >= 0) {
    return -1;
  }
  bool pair = (mul->inputs[0] == x && mul->inputs[1] == sx) ||
              (mul->inputs[0] == sx && mul->inputs[1] == x);
  if (!pair || !ep_shape_equal(&g->tensors[x].shape, &g->tensors[mul->outputs[0]].shape)) {
    return -1;
  }
  return m;
}

/* The batch norm node whose output, through a relu, only conv `i` reads, when `i` is a pointwise
 * conv (1x1, stride 1, no padding, one group) that the GEMM path runs and neither of the two was
 * absorbed elsewhere; else -1. */
static int preactivation_bn(const ep_graph* g, const plan* p, int i) {
  const ep_node* conv = &g->nodes[i];
  if (conv->op != EP_OP_CONV || p->absorbed_by[i] >= 0 || p->fusion_of[i] >= 0) return -1;
  const ep_attrs* a = &conv->attrs;
  if (conv->n_inputs > 4 || a->kernel[0] != 1 || a->kernel[1] != 1 || a->group > 1) return -1;
  for (int k = 0; k < 4; k++) {
    if (a->pad[k] != 0) return -1;
  }
  for (int k = 0; k < 2; k++) {
    if (a->stride[k] > 1 || a->dilation[k] > 1) return -1;
  }
  const int r = conv->inputs[0];
  const int j = g->tensors[r].producer;
  if (j < 0 || !read_only_by_one(g, p, r)) return -1;
  const ep_node* relu = &g->nodes[j];
  if (relu->op != EP_OP_RELU || p->absorbed_by[j] >= 0 || p->fusion_of[j] >= 0) return -1;
  const int b = relu->inputs[0];
  const int m = g->tensors[b].producer;
  if (m < 0 || !read_only_by_one(g, p, b)) return -1;
  const ep_node* bn = &g->nodes[m];
  if (bn->op != EP_OP_BATCH_NORM || p->absorbed_by[m] >= 0 || p->fusion_of[m] >= 0 ||
      bn->n_inputs != 5 || p->bn_of[m] >= 0 || p->act_of[m] >= 0) {
    return -1;
  }
  for (int k = 1; k < 5; k++) {
    if (!is_constant(g, bn->inputs[k])) return -1;
  }
  if (g->tensors[bn->inputs[0]].shape.rank != 4) return -1;
  return m;
}

/* The Pad that average pool i absorbs (EP_PASS_FUSE_PAD), or -1: constant zeros on H and W
 * alone, nothing cropped, read by the pool alone, which has no ceil mode (its last window could
 * then start in the padding the Pad adds, and be counted differently) and either no padding of
 * its own or counted padding. */
static int absorbed_pad(const ep_graph* g, const plan* p, int i) {
  const ep_node* pool = &g->nodes[i];
  if (pool->op != EP_OP_AVG_POOL || p->absorbed_by[i] >= 0 || p->fusion_of[i] >= 0) return -1;
  const ep_attrs* a = &pool->attrs;
  if (a->ceil_mode) return -1;
  for (int k = 0; k < 4 && !a->count_include_pad; k++) {
    if (a->pad[k] != 0) return -1;
  }
  const int x = pool->inputs[0];
  const int j = g->tensors[x].producer;
  if (j < 0 || !read_only_by_one(g, p, x)) return -1;
  const ep_node* pad = &g->nodes[j];
  if (pad->op != EP_OP_PAD || p->absorbed_by[j] >= 0 || p->fusion_of[j] >= 0) return -1;
  if (pad->attrs.pad_mode != EP_PAD_CONSTANT || pad->attrs.pad_value != 0.0f) return -1;
  if (g->tensors[pad->inputs[0]].shape.rank != 4) return -1;
  const int* q = pad->attrs.pads; /* begins of N, C, H, W, then ends */
  if (q[0] != 0 || q[1] != 0 || q[4] != 0 || q[5] != 0) return -1;
  if (q[2] < 0 || q[3] < 0 || q[6] < 0 || q[7] < 0) return -1;
  /* Padding within the window, as exporters write it (the pool kernels' usual range). */
  const int k_h = a->kernel[0], k_w = a->kernel[1];
  if (a->pad[0] + q[2] >= k_h || a->pad[2] + q[6] >= k_h || a->pad[1] + q[3] >= k_w ||
      a->pad[3] + q[7] >= k_w) {
    return -1;
  }
  return j;
}

/* Slices of a channel shuffle become Gathers of its input where every reader of the shuffled
 * tensor is such a Slice; the shuffle's three nodes then go (absorbed by the Slices). */
static ep_status plan_shuffle_slices(const ep_graph* g, plan* p, const bool* taken) {
  int* matched = calloc((size_t)g->n_tensors + 1, sizeof *matched);
  if (matched == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "ep_graph_optimize: out of memory");
  for (int i = 0; i < g->n_nodes; i++) {
    ep_shuffle_slice m;
    if (taken[i] || p->absorbed_by[i] >= 0 ||
        !ep_channel_shuffle_slice_match(g, p->consumers, i, &m)) {
      continue;
    }
    bool free_nodes = true;
    for (int k = 0; k < 3; k++) free_nodes = free_nodes && !taken[m.nodes[k]];
    if (!free_nodes) continue;
    p->shuffle[i] = m;
    matched[g->nodes[i].inputs[0]]++;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const ep_shuffle_slice* m = &p->shuffle[i];
    if (m->source < 0) continue;
    const int shuffled = g->nodes[i].inputs[0];
    if (matched[shuffled] != p->consumers[shuffled]) {
      p->shuffle[i].source = -1; /* another reader needs the shuffled tensor: keep it all */
      continue;
    }
    for (int k = 0; k < 3; k++) p->absorbed_by[m->nodes[k]] = i;
  }
  free(matched);
  return EP_OK;
}

static ep_status make_plan(const ep_graph* g, unsigned passes, plan* p, bool* taken) {
  for (int i = 0; i < g->n_nodes; i++) {
    const ep_node* n = &g->nodes[i];
    p->absorbed_by[i] = p->bn_of[i] = p->act_of[i] = p->add_of[i] = p->residual_of[i] = -1;
    p->act_kind[i] = EP_ACT_NONE;
    p->pre_of[i] = p->pad_of[i] = -1;
    p->bias_of[i] = -1;
    p->fusion_of[i] = -1;
    p->tail[i] = n->outputs[0];
    for (int k = 0; k < n->n_inputs; k++) {
      if (n->inputs[k] >= 0) {
        p->consumers[n->inputs[k]]++;
        p->reader[n->inputs[k]] = i;
      }
    }
  }
  plan_fusions(g, passes, p, taken);
  for (int i = 0; i < g->n_nodes; i++) p->shuffle[i].source = -1;
  if (passes & EP_PASS_CHANNEL_SHUFFLE) {
    const ep_status st = plan_shuffle_slices(g, p, taken);
    if (st != EP_OK) return st;
  }
  for (int i = 0; i < g->n_nodes; i++) {
    const ep_node* n = &g->nodes[i];
    /* A GELU fusion after a MatMul or fully connected layer becomes its epilogue. */
    if (p->fusion_of[i] >= 0 && (passes & EP_PASS_FUSE_ACTIVATIONS)) plan_gelu_epilogue(g, p, i);
    /* Absorbed already: a pattern fusion's nodes, a SiLU's or HardSwish's Mul taken with its gate. */
    if (p->absorbed_by[i] >= 0 || p->fusion_of[i] >= 0) continue;
    if (n->op == EP_OP_ADD && (passes & EP_PASS_FUSE_ACTIVATIONS) && plan_matmul_bias(g, p, i)) {
      continue;
    }
    if (n->op == EP_OP_ADD && (passes & EP_PASS_FUSE_RESIDUAL)) {
      plan_residual(g, p, i);
      continue;
    }
    if (n->n_inputs < 1 || n->inputs[0] < 0) continue;
    int x = n->inputs[0];
    ep_activation gated = EP_ACT_NONE;
    int m = (passes & EP_PASS_FUSE_ACTIVATIONS) ? gate_mul(g, p, i, &gated) : -1;
    if (m >= 0) {
      int emitter = emitter_of(g, p, x);
      if (emitter < 0 || p->tail[emitter] != x) continue;
      const ep_node* e = &g->nodes[emitter];
      if ((e->op == EP_OP_CONV || e->op == EP_OP_FULLY_CONNECTED || e->op == EP_OP_ADD) &&
          planned_act(g, p, emitter) == EP_ACT_NONE) {
        p->absorbed_by[i] = p->absorbed_by[m] = emitter;
        p->act_of[emitter] = m;
        p->act_kind[emitter] = gated;
        p->tail[emitter] = g->nodes[m].outputs[0];
      }
      continue;
    }
    /* The node that will emit x: the producer itself or the node that absorbed it. */
    int emitter = emitter_of(g, p, x);
    if (emitter < 0 || !read_only_by_one(g, p, x)) continue;
    const ep_node* e = &g->nodes[emitter];
    /* A fused pattern keeps its own epilogue-free op. */
    if (p->tail[emitter] != x || p->fusion_of[emitter] >= 0) continue;

    if (n->op == EP_OP_BATCH_NORM && (passes & EP_PASS_FOLD_BATCH_NORM)) {
      bool constants = true;
      for (int k = 1; k < 5; k++) constants = constants && is_constant(g, n->inputs[k]);
      for (int k = 1; k < e->n_inputs && k < 3; k++) {
        constants = constants && (e->inputs[k] < 0 || is_constant(g, e->inputs[k]));
      }
      /* Not after a fused add: the batch norm would scale the residual too. */
      if (e->op == EP_OP_CONV && e->n_inputs <= 3 && p->bn_of[emitter] < 0 &&
          p->add_of[emitter] < 0 && planned_act(g, p, emitter) == EP_ACT_NONE && constants) {
        p->absorbed_by[i] = emitter;
        p->bn_of[emitter] = i;
        p->tail[emitter] = n->outputs[0];
      }
    } else if (n->op == EP_OP_GELU && (passes & EP_PASS_FUSE_ACTIVATIONS)) {
      /* A Gelu node (the zoo's BERT and ViT, ONNX's Gelu) goes where a GELU pattern goes: only
       * the GEMM and GEMV epilogues apply it. */
      if ((matmul_on_weights(g, emitter) || e->op == EP_OP_FULLY_CONNECTED) &&
          planned_act(g, p, emitter) == EP_ACT_NONE) {
        p->absorbed_by[i] = emitter;
        p->act_of[emitter] = i;
        p->act_kind[emitter] = n->attrs.gelu_tanh ? EP_ACT_GELU_TANH : EP_ACT_GELU;
        p->tail[emitter] = n->outputs[0];
      }
    } else if (activation_of(n) != EP_ACT_NONE && (passes & EP_PASS_FUSE_ACTIVATIONS)) {
      /* After a fused add the tail is the add's output: the activation follows the sum. */
      if ((e->op == EP_OP_CONV || e->op == EP_OP_FULLY_CONNECTED || e->op == EP_OP_ADD ||
           matmul_on_weights(g, emitter)) &&
          planned_act(g, p, emitter) == EP_ACT_NONE) {
        p->absorbed_by[i] = emitter;
        p->act_of[emitter] = i;
        p->act_kind[emitter] = activation_of(n);
        p->tail[emitter] = n->outputs[0];
      }
    }
  }
  if (passes & EP_PASS_FUSE_PAD) {
    for (int i = 0; i < g->n_nodes; i++) {
      const int m = absorbed_pad(g, p, i);
      if (m < 0) continue;
      p->pad_of[i] = m;
      p->absorbed_by[m] = i;
    }
  }
  const unsigned pre = EP_PASS_FOLD_BATCH_NORM | EP_PASS_FUSE_ACTIVATIONS;
  if ((passes & pre) != pre) return EP_OK;
  for (int i = 0; i < g->n_nodes; i++) {
    const int m = preactivation_bn(g, p, i);
    if (m < 0) continue;
    p->pre_of[i] = m;
    p->absorbed_by[m] = p->absorbed_by[p->reader[g->nodes[m].outputs[0]]] = i;
  }
  return EP_OK;
}

/* A tensor name not yet used in `g`: base, then base_1, base_2, ... */
static void unique_name(const ep_graph* g, const char* base, char* buf, size_t size) {
  snprintf(buf, size, "%s", base);
  for (int i = 1; ep_graph_find_tensor(g, buf) >= 0; i++) snprintf(buf, size, "%s_%d", base, i);
}

/* Maps an old tensor to the new graph, sharing constants' storage on first use. */
static ep_status map_tensor(const ep_graph* src, ep_graph* dst, int* map, int id, int* out) {
  if (id == EP_TENSOR_ABSENT) {
    *out = EP_TENSOR_ABSENT;
    return EP_OK;
  }
  if (map[id] < 0) {
    const ep_tensor* t = &src->tensors[id];
    if (t->kind != EP_TENSOR_CONSTANT) {
      return ep_error(EP_ERR_INVALID_ARGUMENT,
                      "optimize: tensor %s has no producer in the new graph", t->name);
    }
    ep_status st =
        ep_graph_add_constant_shared(dst, t->name, t->dtype, t->shape, t->raw, &map[id]);
    if (st != EP_OK) return st;
  }
  *out = map[id];
  return EP_OK;
}

/* Conv weights and bias with the batch norm folded in: per output channel c,
 * s = gamma / sqrt(var + eps), w' = w * s, b' = (b - mean) * s + beta. */
static ep_status fold_batch_norm(const ep_graph* src, ep_graph* dst, const ep_node* conv,
                                 const ep_node* bn, int* w_out, int* b_out) {
  const ep_tensor* w = &src->tensors[conv->inputs[1]];
  const float* bias =
      conv->n_inputs > 2 && conv->inputs[2] >= 0 ? src->tensors[conv->inputs[2]].data : NULL;
  const float* gamma = src->tensors[bn->inputs[1]].data;
  const float* beta = src->tensors[bn->inputs[2]].data;
  const float* mean = src->tensors[bn->inputs[3]].data;
  const float* var = src->tensors[bn->inputs[4]].data;
  int64_t cout = w->shape.dims[0];
  int64_t per = ep_shape_numel(&w->shape) / cout;
  char name[512], base[480];

  snprintf(base, sizeof base, "%s/folded", w->name);
  unique_name(dst, base, name, sizeof name);
  ep_status st = ep_graph_add_constant(dst, name, w->shape, NULL, w_out);
  if (st != EP_OK) return st;
  float* wf = ep_graph_constant_data(dst, *w_out);
  snprintf(base, sizeof base, "%s/bias_folded", conv->name);
  unique_name(dst, base, name, sizeof name);
  st = ep_graph_add_constant(dst, name, ep_shape_make(1, (int64_t[]){cout}), NULL, b_out);
  if (st != EP_OK) return st;
  float* bf = ep_graph_constant_data(dst, *b_out);

  for (int64_t c = 0; c < cout; c++) {
    double s = gamma[c] / sqrt((double)var[c] + (double)bn->attrs.epsilon);
    for (int64_t k = 0; k < per; k++) wf[c * per + k] = (float)(w->data[c * per + k] * s);
    bf[c] = (float)(((bias ? bias[c] : 0.0) - mean[c]) * s + beta[c]);
  }
  return EP_OK;
}

/* Whether transpose node n only moves dims of size 1: the others keep their order, so that the
 * output has the input's elements in the input's order (a Reshape). */
static bool transpose_is_view(const ep_graph* g, const ep_node* n) {
  if (n->op != EP_OP_TRANSPOSE || n->n_inputs != 1 || n->n_outputs != 1 || n->inputs[0] < 0) {
    return false;
  }
  const ep_shape* x = &g->tensors[n->inputs[0]].shape;
  if (ep_shape_numel(x) == 0) return false;
  int last = -1;
  for (int d = 0; d < x->rank; d++) {
    const int from = n->attrs.perm[d];
    if (from < 0 || from >= x->rank) return false;
    if (x->dims[from] == 1) continue;
    if (from < last) return false;
    last = from;
  }
  return true;
}

/* A pre-activation's batch norm as per-input-channel constants [C, 1, 1]: scale
 * s = gamma / sqrt(var + eps) and shift beta - mean * s, as the unfused batch norm computes them. */
static ep_status preactivation_constants(const ep_graph* src, ep_graph* dst, const ep_node* conv,
                                         const ep_node* bn, int* scale_out, int* shift_out) {
  const float* gamma = src->tensors[bn->inputs[1]].data;
  const float* beta = src->tensors[bn->inputs[2]].data;
  const float* mean = src->tensors[bn->inputs[3]].data;
  const float* var = src->tensors[bn->inputs[4]].data;
  const int64_t c = src->tensors[bn->inputs[0]].shape.dims[1];
  const double eps = bn->attrs.epsilon > 0 ? bn->attrs.epsilon : 1e-5;
  const ep_shape shape = ep_shape_make(3, (int64_t[]){c, 1, 1});
  char name[512], base[480];
  snprintf(base, sizeof base, "%s/in_scale", conv->name);
  unique_name(dst, base, name, sizeof name);
  ep_status st = ep_graph_add_constant(dst, name, shape, NULL, scale_out);
  if (st != EP_OK) return st;
  snprintf(base, sizeof base, "%s/in_shift", conv->name);
  unique_name(dst, base, name, sizeof name);
  st = ep_graph_add_constant(dst, name, shape, NULL, shift_out);
  if (st != EP_OK) return st;
  float* scale = ep_graph_constant_data(dst, *scale_out);
  float* shift = ep_graph_constant_data(dst, *shift_out);
  for (int64_t k = 0; k < c; k++) {
    const double a = gamma[k] / sqrt((double)var[k] + eps);
    scale[k] = (float)a;
    shift[k] = (float)(beta[k] - a * mean[k]);
  }
  return EP_OK;
}

/* The Gather a channel Slice of a shuffle becomes: x and its constant channel indices. */
static ep_status shuffle_gather_inputs(const ep_graph* src, ep_graph* dst, int* map,
                                       const ep_node* slice, const ep_shuffle_slice* m,
                                       int* inputs) {
  ep_status st = map_tensor(src, dst, map, m->source, &inputs[0]);
  if (st != EP_OK) return st;
  int64_t* idx = malloc(sizeof *idx * (size_t)m->count);
  if (idx == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "optimize: out of memory");
  ep_channel_shuffle_indices(src, m, idx);
  char name[512], base[480];
  snprintf(base, sizeof base, "%s/shuffle_channels", slice->name);
  unique_name(dst, base, name, sizeof name);
  st = ep_graph_add_constant_typed(dst, name, EP_DTYPE_INT64, ep_shape_make(1, &m->count), idx,
                                   &inputs[1]);
  free(idx);
  return st;
}

static ep_status emit(const ep_graph* src, ep_graph* dst, const plan* p, int* map) {
  ep_status st = EP_OK;
  int* inputs = NULL;
  int cap = 0;
  for (int i = 0; i < src->n_inputs; i++) {
    const ep_tensor* t = &src->tensors[src->inputs[i]];
    st = ep_graph_add_input_typed(dst, t->name, t->dtype, t->shape, &map[src->inputs[i]]);
    if (st != EP_OK) goto cleanup;
  }
  for (int i = 0; i < src->n_nodes; i++) {
    if (p->absorbed_by[i] >= 0) continue;
    const ep_node* n = &src->nodes[i];
    if (n->n_inputs + EP_FUSION_MAX_INPUTS + 2 > cap) {
      cap = n->n_inputs + EP_FUSION_MAX_INPUTS + 2; /* + a pre-activation's two */
      int* grown = realloc(inputs, sizeof *inputs * (size_t)cap);
      if (!grown) {
        st = ep_error(EP_ERR_OUT_OF_MEMORY, "optimize: out of memory");
        goto cleanup;
      }
      inputs = grown;
    }
    ep_attrs attrs = n->attrs;
    int n_inputs = n->n_inputs;
    ep_op op = n->op;
    const char* node_name = n->name;
    /* A conv with a fused pre-activation reads the batch norm's input, a pool with a fused Pad
     * the Pad's. */
    const int x_src = p->pre_of[i] >= 0   ? src->nodes[p->pre_of[i]].inputs[0]
                      : p->pad_of[i] >= 0 ? src->nodes[p->pad_of[i]].inputs[0]
                                          : n->inputs[0];
    if (p->pad_of[i] >= 0) {
      const int* q = src->nodes[p->pad_of[i]].attrs.pads;
      attrs.pad[0] += q[2]; /* top, left, bottom, right */
      attrs.pad[1] += q[3];
      attrs.pad[2] += q[6];
      attrs.pad[3] += q[7];
      attrs.count_include_pad = true;
    }
    if (p->fusion_of[i] >= 0) {
      const ep_fusion* f = &p->fusions[p->fusion_of[i]];
      for (int k = 0; k < f->n_inputs; k++) {
        st = map_tensor(src, dst, map, f->inputs[k], &inputs[k]);
        if (st != EP_OK) goto cleanup;
      }
      n_inputs = f->n_inputs;
      attrs = f->attrs;
      op = f->op;
      node_name = src->nodes[f->first].name;
    } else if (p->shuffle[i].source >= 0) {
      st = shuffle_gather_inputs(src, dst, map, n, &p->shuffle[i], inputs);
      if (st != EP_OK) goto cleanup;
      n_inputs = 2;
      op = EP_OP_GATHER;
      attrs = ep_attrs_default(EP_OP_GATHER);
      attrs.axis = 1;
    } else if (p->bn_of[i] >= 0) {
      st = map_tensor(src, dst, map, x_src, &inputs[0]);
      if (st != EP_OK) goto cleanup;
      st = fold_batch_norm(src, dst, n, &src->nodes[p->bn_of[i]], &inputs[1], &inputs[2]);
      if (st != EP_OK) goto cleanup;
      n_inputs = 3;
    } else {
      for (int k = 0; k < n->n_inputs; k++) {
        st = map_tensor(src, dst, map, k == 0 ? x_src : n->inputs[k], &inputs[k]);
        if (st != EP_OK) goto cleanup;
      }
    }
    if ((p->passes & EP_PASS_TRANSPOSE_VIEWS) && transpose_is_view(src, n)) {
      op = EP_OP_RESHAPE;
      attrs = ep_attrs_default(EP_OP_RESHAPE);
      attrs.shape = src->tensors[n->outputs[0]].shape;
    }
    if (p->bias_of[i] >= 0) {
      st = map_tensor(src, dst, map, p->bias_of[i], &inputs[2]);
      if (st != EP_OK) goto cleanup;
      n_inputs = 3;
    }
    if (p->add_of[i] >= 0) {
      /* x, w, b (or absent), residual; the add's own fused activation, if any, comes along. */
      if (n_inputs < 3) inputs[2] = EP_TENSOR_ABSENT;
      st = map_tensor(src, dst, map, p->residual_of[i], &inputs[3]);
      if (st != EP_OK) goto cleanup;
      n_inputs = 4;
      attrs.act = src->nodes[p->add_of[i]].attrs.act;
    }
    if (p->act_of[i] >= 0) attrs.act = p->act_kind[i];
    if (p->pre_of[i] >= 0) {
      /* Inputs 2 and 3 absent where the conv has none. */
      const ep_node* bn = &src->nodes[p->pre_of[i]];
      for (int k = n_inputs; k < 4; k++) inputs[k] = EP_TENSOR_ABSENT;
      st = preactivation_constants(src, dst, n, bn, &inputs[4], &inputs[5]);
      if (st != EP_OK) goto cleanup;
      n_inputs = 6;
      attrs.in_act = EP_ACT_RELU;
    }

    const char** names = malloc(sizeof *names * (size_t)n->n_outputs);
    int* outs = malloc(sizeof *outs * (size_t)n->n_outputs);
    if (!names || !outs) {
      free(names);
      free(outs);
      st = ep_error(EP_ERR_OUT_OF_MEMORY, "optimize: out of memory");
      goto cleanup;
    }
    for (int k = 0; k < n->n_outputs; k++) names[k] = src->tensors[n->outputs[k]].name;
    names[0] = src->tensors[p->tail[i]].name;
    st = ep_graph_add_node(dst, op, node_name, &attrs, inputs, n_inputs, n->n_outputs, names, outs);
    if (st == EP_OK) {
      map[p->tail[i]] = outs[0];
      for (int k = 1; k < n->n_outputs; k++) map[n->outputs[k]] = outs[k];
    }
    free(names);
    free(outs);
    if (st != EP_OK) goto cleanup;
  }
  for (int i = 0; i < src->n_outputs; i++) {
    int id = map[src->outputs[i]];
    if (id < 0) {
      st = ep_error(EP_ERR_INVALID_ARGUMENT, "optimize: output %s was lost",
                    src->tensors[src->outputs[i]].name);
      goto cleanup;
    }
    st = ep_graph_mark_output(dst, id);
    if (st != EP_OK) goto cleanup;
  }
  st = ep_graph_finalize(dst);

cleanup:
  free(inputs);
  return st;
}

ep_status ep_graph_optimize(const ep_graph* graph, unsigned passes, ep_graph** optimized_out) {
  if (!graph || !optimized_out) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_graph_optimize: graph or optimized_out is NULL");
  }
  if (!graph->finalized) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_graph_optimize: graph %s is not finalized",
                    graph->name);
  }
  ep_status st = EP_OK;
  ep_graph* dst = NULL;
  ep_graph* pruned = NULL;
  if (passes & EP_PASS_PRUNE_ROWS) {
    st = ep_graph_prune_rows(graph, &pruned);
    if (st != EP_OK) return st;
    if (pruned) graph = pruned;
  }
  plan p;
  size_t nt = (size_t)graph->n_tensors + 1, nn = (size_t)graph->n_nodes + 1;
  p.consumers = calloc(nt, sizeof(int));
  p.reader = calloc(nt, sizeof(int));
  p.absorbed_by = malloc(nn * sizeof(int));
  p.bn_of = malloc(nn * sizeof(int));
  p.act_of = malloc(nn * sizeof(int));
  p.act_kind = malloc(nn * sizeof(ep_activation));
  p.add_of = malloc(nn * sizeof(int));
  p.residual_of = malloc(nn * sizeof(int));
  p.pre_of = malloc(nn * sizeof(int));
  p.bias_of = malloc(nn * sizeof(int));
  p.pad_of = malloc(nn * sizeof(int));
  p.tail = malloc(nn * sizeof(int));
  p.fusion_of = malloc(nn * sizeof(int));
  p.fusions = malloc(nn * sizeof(ep_fusion));
  p.shuffle = malloc(nn * sizeof(ep_shuffle_slice));
  p.n_fusions = 0;
  p.passes = passes;
  bool* taken = calloc(nn, sizeof(bool));
  int* map = malloc(nt * sizeof(int));
  if (!p.consumers || !p.reader || !p.absorbed_by || !p.bn_of || !p.act_of || !p.act_kind ||
      !p.add_of || !p.residual_of || !p.pre_of || !p.bias_of || !p.pad_of || !p.tail ||
      !p.fusion_of || !p.fusions || !p.shuffle || !taken ||
      !map) {
    st = ep_error(EP_ERR_OUT_OF_MEMORY, "ep_graph_optimize: out of memory");
    goto cleanup;
  }
  for (size_t i = 0; i < nt; i++) map[i] = -1;
  st = make_plan(graph, passes, &p, taken);
  if (st != EP_OK) goto cleanup;
  st = ep_graph_create(graph->name, &dst);
  if (st != EP_OK) goto cleanup;
  st = emit(graph, dst, &p, map);
  if (st != EP_OK) goto cleanup;
  *optimized_out = dst;
  dst = NULL;

cleanup:
  ep_graph_destroy(dst);
  ep_graph_destroy(pruned);
  free(p.consumers);
  free(p.reader);
  free(p.absorbed_by);
  free(p.bn_of);
  free(p.act_of);
  free(p.act_kind);
  free(p.add_of);
  free(p.residual_of);
  free(p.pre_of);
  free(p.bias_of);
  free(p.pad_of);
  free(p.tail);
  free(p.fusion_of);
  free(p.fusions);
  free(p.shuffle);
  free(taken);
  free(map);
  return st;
}

/* The graph IR: building, shape inference and its errors, cost, cuts, and the passes (with the
 * batch norm fold checked numerically against a naive conv + batch norm). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/graph.h"
#include "edgeprof/profile.h"
#include "test_support.h"

static ep_attrs no_attrs(void) {
  ep_attrs a;
  memset(&a, 0, sizeof a);
  return a;
}

static ep_shape shape4(int64_t a, int64_t b, int64_t c, int64_t d) {
  return ep_shape_make(4, (int64_t[]){a, b, c, d});
}

static ep_shape shape1(int64_t a) { return ep_shape_make(1, (int64_t[]){a}); }

static bool contains(const char* haystack, const char* needle) {
  return strstr(haystack, needle) != NULL;
}

static void test_shapes_and_names(void) {
  ep_shape s = shape4(1, 3, 224, 224);
  char buf[64];
  EP_CHECK(ep_shape_numel(&s) == 150528);
  EP_CHECK(strcmp(ep_shape_format(&s, buf, sizeof buf), "1x3x224x224") == 0);
  ep_shape scalar = ep_shape_make(0, NULL);
  EP_CHECK(ep_shape_numel(&scalar) == 1);
  EP_CHECK(strcmp(ep_shape_format(&scalar, buf, sizeof buf), "scalar") == 0);
  EP_CHECK(ep_shape_equal(&s, &s));
  ep_shape t = shape4(1, 3, 224, 225);
  EP_CHECK(!ep_shape_equal(&s, &t));
  EP_CHECK(strcmp(ep_op_name(EP_OP_CONV), "Conv") == 0);
  EP_CHECK(strcmp(ep_op_name(EP_OP_FULLY_CONNECTED), "FullyConnected") == 0);
  for (int op = 0; op < EP_OP_COUNT; op++) EP_CHECK(ep_op_name((ep_op)op)[0] != '\0');
  EP_CHECK(strcmp(ep_activation_name(EP_ACT_NONE), "") == 0);
  EP_CHECK(strcmp(ep_activation_name(EP_ACT_RELU6), "Relu6") == 0);
  ep_graph_destroy(NULL); /* a no-op */
}

/* input 1x3x8x8 -> conv 4x3x3x3 /2 (pads 0,0,1,1) -> BN -> relu -> gap -> flatten -> fc 5 ->
 * softmax. */
static void test_small_network(void) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("small", &g));
  int x, w, bn[4], fw, fb;
  EP_CHECK_OK(ep_graph_add_input(g, "input", shape4(1, 3, 8, 8), &x));
  EP_CHECK_OK(ep_graph_add_constant(g, "w", shape4(4, 3, 3, 3), NULL, &w));
  EP_CHECK(ep_graph_constant_data(g, w) != NULL && ep_graph_constant_data(g, w)[5] == 0.0f);
  EP_CHECK(ep_graph_constant_data(g, x) == NULL);
  const char* bn_names[4] = {"gamma", "beta", "mean", "var"};
  for (int i = 0; i < 4; i++) {
    float ones[4] = {1, 1, 1, 1};
    EP_CHECK_OK(ep_graph_add_constant(g, bn_names[i], shape1(4), ones, &bn[i]));
  }
  EP_CHECK_OK(ep_graph_add_constant(g, "fc_w", ep_shape_make(2, (int64_t[]){5, 4}), NULL, &fw));
  EP_CHECK_OK(ep_graph_add_constant(g, "fc_b", shape1(5), NULL, &fb));

  ep_attrs conv = no_attrs();
  conv.stride[0] = conv.stride[1] = 2;
  conv.pad[2] = conv.pad[3] = 1;
  int c, y, r, p, f, o, s;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, "conv", &conv, (int[]){x, w}, 2, 1, NULL, &c));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_BATCH_NORM, "bn", NULL,
                                (int[]){c, bn[0], bn[1], bn[2], bn[3]}, 5, 1, NULL, &y));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_RELU, "relu", NULL, &y, 1, 1, NULL, &r));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_GLOBAL_AVG_POOL, "gap", NULL, &r, 1, 1, NULL, &p));
  ep_attrs flat = no_attrs();
  flat.axis = 1;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_FLATTEN, "flatten", &flat, &p, 1, 1, NULL, &f));
  EP_CHECK_OK(
      ep_graph_add_node(g, EP_OP_FULLY_CONNECTED, "fc", NULL, (int[]){f, fw, fb}, 3, 1, NULL, &o));
  ep_attrs sm = no_attrs();
  sm.axis = -1;
  const char* out_name[1] = {"probs"};
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_SOFTMAX, "softmax", &sm, &o, 1, 1, out_name, &s));
  EP_CHECK(!ep_graph_is_finalized(g));
  EP_CHECK_OK(ep_graph_mark_output(g, s));
  EP_CHECK_OK(ep_graph_finalize(g));
  EP_CHECK(ep_graph_is_finalized(g));

  /* A finalized graph does not change. */
  EP_CHECK(ep_graph_add_input(g, "late", shape1(1), NULL) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_graph_constant_data(g, w) == NULL);
  EP_CHECK(ep_graph_finalize(g) == EP_ERR_INVALID_ARGUMENT);

  char buf[64];
  EP_CHECK(strcmp(ep_graph_name(g), "small") == 0);
  EP_CHECK(ep_graph_node_count(g) == 7);
  EP_CHECK(ep_graph_input_count(g) == 1 && ep_graph_input(g, 0) == x);
  EP_CHECK(ep_graph_output_count(g) == 1 && ep_graph_output(g, 0) == s);
  EP_CHECK(ep_graph_find_tensor(g, "probs") == s);
  EP_CHECK(ep_graph_find_tensor(g, "softmax") == -1);
  EP_CHECK(ep_graph_find_tensor(g, "conv") == c);
  EP_CHECK(ep_graph_node(g, 7) == NULL && ep_graph_tensor(g, -1) == NULL);
  const ep_tensor* ct = ep_graph_tensor(g, c);
  EP_CHECK_MSG(strcmp(ep_shape_format(&ct->shape, buf, sizeof buf), "1x4x4x4") == 0, "%s", buf);
  EP_CHECK(ct->producer == 0 && ct->last_consumer == 1 && ct->kind == EP_TENSOR_ACTIVATION);
  EP_CHECK(ep_graph_tensor(g, x)->producer == -1 && ep_graph_tensor(g, x)->last_consumer == 0);
  EP_CHECK(ep_graph_tensor(g, fw)->last_consumer == 5);
  const ep_tensor* st = ep_graph_tensor(g, s);
  EP_CHECK(st->is_output && st->last_consumer == -1 && st->producer == 6);
  EP_CHECK(strcmp(ep_shape_format(&st->shape, buf, sizeof buf), "1x5") == 0);
  EP_CHECK(ep_graph_node(g, 6)->attrs.axis == 1); /* normalised */
  const ep_node* cn = ep_graph_node(g, 0);
  EP_CHECK(cn->attrs.kernel[0] == 3 && cn->attrs.group == 1 && cn->attrs.dilation[1] == 1);

  /* Costs. */
  EP_CHECK(cn->cost.params == 108);
  EP_CHECK(cn->cost.macs == 64 * 27);
  EP_CHECK(cn->cost.weight_bytes == 4 * 108);
  EP_CHECK(cn->cost.output_bytes == 4 * 64);
  EP_CHECK(ep_graph_node(g, 1)->cost.params == 8 && ep_graph_node(g, 1)->cost.macs == 0);
  EP_CHECK(ep_graph_node(g, 1)->cost.weight_bytes == 4 * 16);
  EP_CHECK(ep_graph_node(g, 5)->cost.params == 25 && ep_graph_node(g, 5)->cost.macs == 20);
  ep_graph_totals t;
  ep_graph_totals_compute(g, &t);
  EP_CHECK(t.params == 108 + 8 + 25);
  EP_CHECK(t.macs == 64 * 27 + 20 && t.flops == 2 * t.macs);
  EP_CHECK(t.nodes == 7 && t.layers == 2);

  /* Cuts: before node 0 the input; before the fc its input; after the end the output. */
  int ids[8];
  EP_CHECK(ep_graph_cut_tensors(g, 0, ids, 8) == 1 && ids[0] == x);
  EP_CHECK(ep_graph_cut_tensors(g, 5, ids, 8) == 1 && ids[0] == f);
  EP_CHECK(ep_graph_cut_tensors(g, 7, ids, 8) == 1 && ids[0] == s);
  EP_CHECK(ep_graph_cut_tensors(g, 5, NULL, 0) == 1);
  ep_graph_destroy(g);
}

/* Naive NCHW conv for one image, no bias. */
static void naive_conv(const float* x, int cin, int h, int w, const float* wt, int cout, int k,
                       int stride, const int pad[4], int oh, int ow, float* y) {
  for (int co = 0; co < cout; co++) {
    for (int i = 0; i < oh; i++) {
      for (int j = 0; j < ow; j++) {
        double s = 0;
        for (int ci = 0; ci < cin; ci++) {
          for (int a = 0; a < k; a++) {
            for (int b = 0; b < k; b++) {
              int ih = i * stride - pad[0] + a, iw = j * stride - pad[1] + b;
              if (ih < 0 || ih >= h || iw < 0 || iw >= w) continue;
              s += x[(ci * h + ih) * w + iw] * wt[((co * cin + ci) * k + a) * k + b];
            }
          }
        }
        y[(co * oh + i) * ow + j] = (float)s;
      }
    }
  }
}

static void test_fold_batch_norm_numerics(void) {
  enum { CIN = 3, COUT = 5, H = 7, K = 3, OH = 4 };
  ep_test_rng rng = {42};
  float x[CIN * H * H], wt[COUT * CIN * K * K], bias[COUT];
  float gamma[COUT], beta[COUT], mean[COUT], var[COUT];
  ep_test_fill(&rng, x, CIN * H * H, -1, 1);
  ep_test_fill(&rng, wt, COUT * CIN * K * K, -0.5f, 0.5f);
  ep_test_fill(&rng, bias, COUT, -0.2f, 0.2f);
  ep_test_fill(&rng, gamma, COUT, 0.5f, 1.5f);
  ep_test_fill(&rng, beta, COUT, -0.5f, 0.5f);
  ep_test_fill(&rng, mean, COUT, -0.5f, 0.5f);
  ep_test_fill(&rng, var, COUT, 0.2f, 2.0f);
  const float eps = 1e-3f;

  ep_graph* g = NULL;
  int in, w, b, bp[4], c, y, r;
  EP_CHECK_OK(ep_graph_create("fold", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "input", shape4(1, CIN, H, H), &in));
  EP_CHECK_OK(ep_graph_add_constant(g, "w", shape4(COUT, CIN, K, K), wt, &w));
  EP_CHECK_OK(ep_graph_add_constant(g, "b", shape1(COUT), bias, &b));
  const float* bn_data[4] = {gamma, beta, mean, var};
  const char* bn_names[4] = {"gamma", "beta", "mean", "var"};
  for (int i = 0; i < 4; i++) {
    EP_CHECK_OK(ep_graph_add_constant(g, bn_names[i], shape1(COUT), bn_data[i], &bp[i]));
  }
  ep_attrs conv = no_attrs();
  conv.stride[0] = conv.stride[1] = 2;
  conv.pad[0] = conv.pad[1] = conv.pad[2] = conv.pad[3] = 1;
  ep_attrs bn = no_attrs();
  bn.epsilon = eps;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, "conv", &conv, (int[]){in, w, b}, 3, 1, NULL, &c));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_BATCH_NORM, "bn", &bn,
                                (int[]){c, bp[0], bp[1], bp[2], bp[3]}, 5, 1, NULL, &y));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_RELU6, "relu6", NULL, &y, 1, 1, NULL, &r));
  EP_CHECK_OK(ep_graph_mark_output(g, r));
  EP_CHECK_OK(ep_graph_finalize(g));

  ep_graph* o = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &o));
  if (!o) {
    ep_graph_destroy(g);
    return;
  }
  EP_CHECK(ep_graph_node_count(o) == 1);
  const ep_node* n = ep_graph_node(o, 0);
  EP_CHECK(n->op == EP_OP_CONV && n->n_inputs == 3 && n->attrs.act == EP_ACT_RELU6);
  EP_CHECK(strcmp(ep_graph_tensor(o, n->outputs[0])->name, "relu6") == 0);
  EP_CHECK(ep_graph_output(o, 0) == n->outputs[0]);
  EP_CHECK(ep_graph_find_tensor(o, "relu6") == n->outputs[0]);

  /* Reference: conv + bias, then batch norm. Folded: conv with the new weights + new bias. */
  int pad[4] = {1, 1, 1, 1};
  float ref[COUT * OH * OH], got[COUT * OH * OH];
  naive_conv(x, CIN, H, H, wt, COUT, K, 2, pad, OH, OH, ref);
  const float* wf = ep_graph_tensor(o, n->inputs[1])->data;
  const float* bf = ep_graph_tensor(o, n->inputs[2])->data;
  naive_conv(x, CIN, H, H, wf, COUT, K, 2, pad, OH, OH, got);
  for (int co = 0; co < COUT; co++) {
    for (int i = 0; i < OH * OH; i++) {
      float v = ref[co * OH * OH + i] + bias[co];
      ref[co * OH * OH + i] = (v - mean[co]) / sqrtf(var[co] + eps) * gamma[co] + beta[co];
      got[co * OH * OH + i] += bf[co];
    }
  }
  double diff = ep_test_max_rel_diff(got, ref, COUT * OH * OH);
  EP_CHECK_MSG(diff < 1e-5, "fold relative error %g", diff);

  /* The source graph is untouched. */
  EP_CHECK(ep_graph_node_count(g) == 3);
  EP_CHECK(ep_graph_tensor(g, w)->data[0] == wt[0]);

  /* Only the fold, no fusion: conv + relu6 stay. */
  ep_graph* o2 = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_FOLD_BATCH_NORM, &o2));
  EP_CHECK(o2 && ep_graph_node_count(o2) == 2);
  if (o2) {
    EP_CHECK(ep_graph_node(o2, 0)->attrs.act == EP_ACT_NONE);
    EP_CHECK(strcmp(ep_graph_tensor(o2, ep_graph_node(o2, 0)->outputs[0])->name, "bn") == 0);
  }
  ep_graph_destroy(o2);
  ep_graph_destroy(o);
  ep_graph_destroy(g);
}

/* A conv whose output is read twice is neither folded nor fused. */
static void test_no_fusion_with_two_readers(void) {
  ep_graph* g = NULL;
  int in, w, c, r, a;
  EP_CHECK_OK(ep_graph_create("shared", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "input", shape4(1, 2, 4, 4), &in));
  EP_CHECK_OK(ep_graph_add_constant(g, "w", shape4(2, 2, 1, 1), NULL, &w));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, "conv", NULL, (int[]){in, w}, 2, 1, NULL, &c));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_RELU, "relu", NULL, &c, 1, 1, NULL, &r));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_ADD, "add", NULL, (int[]){c, r}, 2, 1, NULL, &a));
  EP_CHECK_OK(ep_graph_mark_output(g, a));
  EP_CHECK_OK(ep_graph_finalize(g));
  ep_graph* o = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &o));
  EP_CHECK(o && ep_graph_node_count(o) == 3);
  /* Cut before the add: both the conv and the relu outputs cross. */
  int ids[4];
  EP_CHECK(ep_graph_cut_tensors(g, 2, ids, 4) == 2);
  EP_CHECK(ep_graph_cut_tensors(g, 2, ids, 1) == 2 && ids[0] == c);
  ep_graph_destroy(o);
  ep_graph_destroy(g);
}

/* --- residual fusion -------------------------------------------------------------------- */

/* Adds a 3x3, pad-1 conv with C in and out channels (bias when `bias`) reading x; returns y. */
static int add_conv(ep_graph* g, const char* name, int x, int64_t c, bool bias) {
  char wname[64], bname[64];
  int w, b, y = -1;
  snprintf(wname, sizeof wname, "%s/w", name);
  snprintf(bname, sizeof bname, "%s/b", name);
  EP_CHECK_OK(ep_graph_add_constant(g, wname, shape4(c, c, 3, 3), NULL, &w));
  ep_attrs a = no_attrs();
  a.pad[0] = a.pad[1] = a.pad[2] = a.pad[3] = 1;
  if (bias) {
    EP_CHECK_OK(ep_graph_add_constant(g, bname, shape1(c), NULL, &b));
    EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, name, &a, (int[]){x, w, b}, 3, 1, NULL, &y));
  } else {
    EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, name, &a, (int[]){x, w}, 2, 1, NULL, &y));
  }
  return y;
}

static int add_binary(ep_graph* g, const char* name, int a, int b, ep_activation act) {
  ep_attrs attrs = no_attrs();
  attrs.act = act;
  int y = -1;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_ADD, name, &attrs, (int[]){a, b}, 2, 1, NULL, &y));
  return y;
}

static int add_unary(ep_graph* g, ep_op op, const char* name, int x) {
  int y = -1;
  EP_CHECK_OK(ep_graph_add_node(g, op, name, NULL, &x, 1, 1, NULL, &y));
  return y;
}

/* Optimizes g (destroyed) with `passes`; NULL on failure. */
static ep_graph* optimized(ep_graph* g, unsigned passes) {
  ep_graph* o = NULL;
  EP_CHECK_OK(ep_graph_finalize(g));
  if (ep_graph_is_finalized(g)) EP_CHECK_OK(ep_graph_optimize(g, passes, &o));
  ep_graph_destroy(g);
  return o;
}

static int count_op(const ep_graph* g, ep_op op) {
  int n = 0;
  for (int i = 0; i < ep_graph_node_count(g); i++) n += ep_graph_node(g, i)->op == op;
  return n;
}

static const char* tensor_name(const ep_graph* g, int id) {
  return id < 0 ? "(absent)" : ep_graph_tensor(g, id)->name;
}

/* conv [-> batch norm] -> add(x, .) -> relu: one conv with x as its residual and the relu. */
static void test_fuse_residual(void) {
  for (int with_bn = 0; with_bn < 2; with_bn++) {
    ep_graph* g = NULL;
    int x, c, bp[4];
    EP_CHECK_OK(ep_graph_create("residual", &g));
    EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
    c = add_conv(g, "conv", x, 4, false);
    if (with_bn) {
      const char* names[4] = {"gamma", "beta", "mean", "var"};
      for (int i = 0; i < 4; i++) {
        EP_CHECK_OK(ep_graph_add_constant(g, names[i], shape1(4), NULL, &bp[i]));
      }
      ep_graph_constant_data(g, bp[3])[0] = 1.0f;
      EP_CHECK_OK(ep_graph_add_node(g, EP_OP_BATCH_NORM, "bn", NULL,
                                    (int[]){c, bp[0], bp[1], bp[2], bp[3]}, 5, 1, NULL, &c));
    }
    int y = add_unary(g, EP_OP_RELU, "relu", add_binary(g, "add", x, c, EP_ACT_NONE));
    EP_CHECK_OK(ep_graph_mark_output(g, y));
    ep_graph* o = optimized(g, EP_PASS_ALL);
    if (!o) continue;
    EP_CHECK(ep_graph_node_count(o) == 1);
    const ep_node* n = ep_graph_node(o, 0);
    EP_CHECK(n->op == EP_OP_CONV && n->n_inputs == 4 && n->attrs.act == EP_ACT_RELU);
    /* Folded batch norm: a bias; no batch norm and no bias: input 2 absent. */
    EP_CHECK_MSG(with_bn ? n->inputs[2] >= 0 : n->inputs[2] == EP_TENSOR_ABSENT, "bias %s",
                 tensor_name(o, n->inputs[2]));
    EP_CHECK(n->inputs[3] == ep_graph_input(o, 0));
    EP_CHECK(strcmp(tensor_name(o, n->outputs[0]), "relu") == 0);
    EP_CHECK(ep_graph_output(o, 0) == n->outputs[0]);
    char label[32];
    EP_CHECK(strcmp(ep_node_op_label(n, label, sizeof label), "Conv+Add+Relu") == 0);
    /* The add counts nothing: same parameters and MACs, one node. */
    ep_graph_totals t;
    ep_graph_totals_compute(o, &t);
    EP_CHECK(t.nodes == 1 && t.layers == 1 && t.macs == 4 * 6 * 6 * 4 * 9);
    /* Optimizing again changes nothing: a conv with a residual takes no second add. */
    ep_graph* o2 = NULL;
    EP_CHECK_OK(ep_graph_optimize(o, EP_PASS_ALL, &o2));
    EP_CHECK(o2 && ep_graph_node_count(o2) == 1 && ep_graph_node(o2, 0)->n_inputs == 4);
    ep_graph_destroy(o2);
    ep_graph_destroy(o);
  }

  /* Residual fusion alone: the relu stays, the conv's output takes the add's name. Without it:
   * the add stays and takes the relu. */
  for (int only = 0; only < 2; only++) {
    ep_graph* g = NULL;
    int x;
    EP_CHECK_OK(ep_graph_create("residual", &g));
    EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
    int c = add_conv(g, "conv", x, 4, true);
    int y = add_unary(g, EP_OP_RELU, "relu", add_binary(g, "add", c, x, EP_ACT_NONE));
    EP_CHECK_OK(ep_graph_mark_output(g, y));
    unsigned passes = only ? EP_PASS_FUSE_RESIDUAL : EP_PASS_ALL & ~(unsigned)EP_PASS_FUSE_RESIDUAL;
    ep_graph* o = optimized(g, passes);
    if (!o) continue;
    EP_CHECK(ep_graph_node_count(o) == 2);
    const ep_node* n = ep_graph_node(o, only ? 0 : 1);
    if (only) {
      EP_CHECK(n->op == EP_OP_CONV && n->n_inputs == 4 && n->attrs.act == EP_ACT_NONE);
      EP_CHECK(n->inputs[2] >= 0 && n->inputs[3] == ep_graph_input(o, 0));
      EP_CHECK(strcmp(tensor_name(o, n->outputs[0]), "add") == 0);
      EP_CHECK(ep_graph_node(o, 1)->op == EP_OP_RELU);
    } else {
      EP_CHECK(n->op == EP_OP_ADD && n->attrs.act == EP_ACT_RELU);
      EP_CHECK(ep_graph_node(o, 0)->n_inputs == 3);
    }
    ep_graph_destroy(o);
  }
}

/* An add that already carries an activation gives it to the conv; an activation after it then
 * stays (one activation per node), and so does a batch norm after the fused add. */
static void test_fuse_residual_activation(void) {
  ep_graph* g = NULL;
  int x;
  EP_CHECK_OK(ep_graph_create("act", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
  int c = add_conv(g, "conv", x, 4, true);
  int y = add_unary(g, EP_OP_SIGMOID, "sigmoid", add_binary(g, "add", x, c, EP_ACT_RELU6));
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  ep_graph* o = optimized(g, EP_PASS_ALL);
  if (o) {
    EP_CHECK(ep_graph_node_count(o) == 2);
    const ep_node* n = ep_graph_node(o, 0);
    EP_CHECK(n->op == EP_OP_CONV && n->n_inputs == 4 && n->attrs.act == EP_ACT_RELU6);
    EP_CHECK(strcmp(tensor_name(o, n->outputs[0]), "add") == 0);
    EP_CHECK(ep_graph_node(o, 1)->op == EP_OP_SIGMOID);
  }
  ep_graph_destroy(o);

  int bp[4];
  EP_CHECK_OK(ep_graph_create("bn_after", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
  c = add_conv(g, "conv", x, 4, true);
  int s = add_binary(g, "add", c, x, EP_ACT_NONE);
  const char* names[4] = {"gamma", "beta", "mean", "var"};
  for (int i = 0; i < 4; i++)
    EP_CHECK_OK(ep_graph_add_constant(g, names[i], shape1(4), NULL, &bp[i]));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_BATCH_NORM, "bn", NULL,
                                (int[]){s, bp[0], bp[1], bp[2], bp[3]}, 5, 1, NULL, &y));
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  o = optimized(g, EP_PASS_ALL);
  EP_CHECK(o && ep_graph_node_count(o) == 2 && count_op(o, EP_OP_BATCH_NORM) == 1);
  ep_graph_destroy(o);
}

/* Cases that must not fuse. */
static void test_no_residual_fusion(void) {
  /* Broadcasting: the other operand is [1, 4, 1, 1]. */
  ep_graph* g = NULL;
  int x, b, y;
  EP_CHECK_OK(ep_graph_create("broadcast", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
  EP_CHECK_OK(ep_graph_add_input(g, "b", shape4(1, 4, 1, 1), &b));
  y = add_binary(g, "add", add_conv(g, "conv", x, 4, true), b, EP_ACT_NONE);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  ep_graph* o = optimized(g, EP_PASS_ALL);
  EP_CHECK(o && ep_graph_node_count(o) == 2 && count_op(o, EP_OP_ADD) == 1);
  ep_graph_destroy(o);

  /* The conv's output has another reader. */
  EP_CHECK_OK(ep_graph_create("two_readers", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
  int c = add_conv(g, "conv", x, 4, true);
  int r = add_unary(g, EP_OP_TANH, "tanh", c);
  y = add_binary(g, "add", add_binary(g, "add0", c, x, EP_ACT_NONE), r, EP_ACT_NONE);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  o = optimized(g, EP_PASS_ALL);
  EP_CHECK(o && ep_graph_node_count(o) == 4 && count_op(o, EP_OP_ADD) == 2);
  ep_graph_destroy(o);

  /* The conv's output is a graph output. */
  EP_CHECK_OK(ep_graph_create("output", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
  c = add_conv(g, "conv", x, 4, true);
  y = add_binary(g, "add", c, x, EP_ACT_NONE);
  EP_CHECK_OK(ep_graph_mark_output(g, c));
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  o = optimized(g, EP_PASS_ALL);
  EP_CHECK(o && ep_graph_node_count(o) == 2 && count_op(o, EP_OP_ADD) == 1);
  ep_graph_destroy(o);

  /* The other operand is computed after the conv (a node added later). */
  EP_CHECK_OK(ep_graph_create("late", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
  c = add_conv(g, "conv", x, 4, true);
  r = add_unary(g, EP_OP_TANH, "tanh", x);
  y = add_binary(g, "add", c, r, EP_ACT_NONE);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  o = optimized(g, EP_PASS_ALL);
  EP_CHECK(o && ep_graph_node_count(o) == 3 && count_op(o, EP_OP_ADD) == 1);
  ep_graph_destroy(o);

  /* The conv already has an activation: the add follows it, not the sum. */
  EP_CHECK_OK(ep_graph_create("activated", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
  c = add_unary(g, EP_OP_RELU, "relu", add_conv(g, "conv", x, 4, true));
  y = add_binary(g, "add", c, x, EP_ACT_NONE);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  o = optimized(g, EP_PASS_ALL);
  EP_CHECK(o && ep_graph_node_count(o) == 2 && count_op(o, EP_OP_ADD) == 1);
  if (o) EP_CHECK(ep_graph_node(o, 0)->attrs.act == EP_ACT_RELU);
  ep_graph_destroy(o);

  /* A residual of the wrong shape is refused, naming the node. */
  int w, big;
  EP_CHECK_OK(ep_graph_create("bad_residual", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
  EP_CHECK_OK(ep_graph_add_input(g, "r", shape4(1, 4, 6, 7), &big));
  EP_CHECK_OK(ep_graph_add_constant(g, "w", shape4(4, 4, 1, 1), NULL, &w));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, "fused_conv", NULL,
                                (int[]){x, w, EP_TENSOR_ABSENT, big}, 4, 1, NULL, &y));
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK(ep_graph_finalize(g) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK_MSG(contains(ep_last_error(), "fused_conv") && contains(ep_last_error(), "residual") &&
                   contains(ep_last_error(), "1x4x6x7") && contains(ep_last_error(), "1x4x6x6"),
               "%s", ep_last_error());
  ep_graph_destroy(g);
}

/* ResNet's projection unit: add(shortcut conv, branch conv). The branch conv runs later and
 * takes the add, whichever operand it is; the shortcut's output crosses a cut before it. */
static void test_residual_choice(void) {
  for (int order = 0; order < 2; order++) {
    ep_graph* g = NULL;
    int x;
    EP_CHECK_OK(ep_graph_create("projection", &g));
    EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
    int s = add_conv(g, "shortcut", x, 4, true);
    int c = add_conv(g, "conv1", x, 4, true);
    c = add_conv(g, "conv2", add_unary(g, EP_OP_RELU, "relu1", c), 4, false);
    int sum =
        order ? add_binary(g, "add", c, s, EP_ACT_NONE) : add_binary(g, "add", s, c, EP_ACT_NONE);
    int y = add_unary(g, EP_OP_RELU, "relu", sum);
    EP_CHECK_OK(ep_graph_mark_output(g, y));
    ep_graph* o = optimized(g, EP_PASS_ALL);
    if (!o) continue;
    EP_CHECK(ep_graph_node_count(o) == 3);
    const ep_node* n = ep_graph_node(o, 2);
    EP_CHECK_MSG(strcmp(n->name, "conv2") == 0 && n->n_inputs == 4 && n->inputs[2] < 0 &&
                     strcmp(tensor_name(o, n->inputs[3]), "shortcut") == 0 &&
                     n->attrs.act == EP_ACT_RELU,
                 "order %d: %s takes the add", order, n->name);
    EP_CHECK(ep_graph_node(o, 0)->n_inputs == 3 && ep_graph_node(o, 0)->attrs.act == EP_ACT_NONE);
    /* Cut before conv2: relu1's output and the shortcut both cross. */
    int ids[4];
    EP_CHECK(ep_graph_cut_tensors(o, 2, ids, 4) == 2);
    bool shortcut = false;
    for (int i = 0; i < 2; i++) shortcut |= strcmp(tensor_name(o, ids[i]), "shortcut") == 0;
    EP_CHECK(shortcut);
    ep_graph_destroy(o);
  }

  /* The later conv is not eligible (activation before the add) and the earlier one would need
   * its output: neither fuses. */
  ep_graph* g = NULL;
  int x;
  EP_CHECK_OK(ep_graph_create("neither", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "x", shape4(1, 4, 6, 6), &x));
  int s = add_conv(g, "shortcut", x, 4, true);
  int c = add_unary(g, EP_OP_RELU, "relu1", add_conv(g, "conv1", x, 4, true));
  int y = add_binary(g, "add", s, c, EP_ACT_NONE);
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  ep_graph* o = optimized(g, EP_PASS_ALL);
  EP_CHECK(o && ep_graph_node_count(o) == 3 && count_op(o, EP_OP_ADD) == 1);
  ep_graph_destroy(o);
}

/* Builds input -> one node and finalizes; returns the finalize status. */
static ep_status finalize_one(ep_op op, const ep_attrs* attrs, ep_shape in_shape, int n_consts,
                              const ep_shape* consts, ep_shape* out_shape) {
  ep_graph* g = NULL;
  int ids[8], y = -1;
  ep_status st = ep_graph_create("one", &g);
  if (st == EP_OK) st = ep_graph_add_input(g, "x", in_shape, &ids[0]);
  for (int i = 0; i < n_consts && st == EP_OK; i++) {
    char name[16];
    snprintf(name, sizeof name, "c%d", i);
    st = ep_graph_add_constant(g, name, consts[i], NULL, &ids[1 + i]);
  }
  if (st == EP_OK) st = ep_graph_add_node(g, op, "node", attrs, ids, 1 + n_consts, 1, NULL, &y);
  if (st == EP_OK) st = ep_graph_mark_output(g, y);
  if (st == EP_OK) st = ep_graph_finalize(g);
  if (st == EP_OK && out_shape) *out_shape = ep_graph_tensor(g, y)->shape;
  ep_graph_destroy(g);
  return st;
}

static void check_shape(ep_shape s, const char* expected) {
  char buf[64];
  ep_shape_format(&s, buf, sizeof buf);
  EP_CHECK_MSG(strcmp(buf, expected) == 0, "got %s, expected %s", buf, expected);
}

static void test_shape_inference(void) {
  ep_shape out;
  ep_attrs a = no_attrs();
  a.kernel[0] = a.kernel[1] = 3;
  a.stride[0] = a.stride[1] = 2;
  EP_CHECK_OK(finalize_one(EP_OP_MAX_POOL, &a, shape4(1, 2, 6, 6), 0, NULL, &out));
  check_shape(out, "1x2x2x2");
  a.ceil_mode = true;
  EP_CHECK_OK(finalize_one(EP_OP_MAX_POOL, &a, shape4(1, 2, 6, 6), 0, NULL, &out));
  check_shape(out, "1x2x3x3");
  a.ceil_mode = false;
  a.pad[0] = a.pad[1] = 1;
  a.pad[2] = a.pad[3] = 1;
  EP_CHECK_OK(finalize_one(EP_OP_AVG_POOL, &a, shape4(1, 2, 112, 112), 0, NULL, &out));
  check_shape(out, "1x2x56x56");

  /* Depthwise conv with dilation. */
  ep_attrs dw = no_attrs();
  dw.group = 4;
  dw.dilation[0] = dw.dilation[1] = 2;
  ep_shape w = shape4(8, 1, 3, 3);
  EP_CHECK_OK(finalize_one(EP_OP_CONV, &dw, shape4(1, 4, 9, 9), 1, &w, &out));
  check_shape(out, "1x8x5x5");

  ep_attrs lstm = no_attrs();
  ep_shape lw[3] = {ep_shape_make(2, (int64_t[]){32, 5}), ep_shape_make(2, (int64_t[]){32, 8}),
                    shape1(32)};
  EP_CHECK_OK(finalize_one(EP_OP_LSTM, &lstm, ep_shape_make(3, (int64_t[]){7, 2, 5}), 3, lw, &out));
  check_shape(out, "7x2x8");

  ep_attrs rs = no_attrs();
  rs.shape = ep_shape_make(3, (int64_t[]){0, -1, 2});
  EP_CHECK_OK(finalize_one(EP_OP_RESHAPE, &rs, shape4(3, 4, 5, 2), 0, NULL, &out));
  check_shape(out, "3x20x2");
  ep_attrs fl = no_attrs();
  fl.axis = 2;
  EP_CHECK_OK(finalize_one(EP_OP_FLATTEN, &fl, shape4(3, 4, 5, 2), 0, NULL, &out));
  check_shape(out, "12x10");
}

static void test_errors(void) {
  /* A message that wraps the previous one keeps it whole (formatting into the buffer it reads
   * from garbled "cannot open external data 'x': <reason>"). */
  ep_error(EP_ERR_IO, "cannot read %s: it is a directory", "/tmp/data");
  EP_CHECK(ep_error(EP_ERR_FORMAT, "model.onnx: tensor W: %s", ep_last_error()) == EP_ERR_FORMAT);
  EP_CHECK_MSG(strcmp(ep_last_error(),
                      "model.onnx: tensor W: cannot read /tmp/data: it is a directory") == 0,
               "%s", ep_last_error());
  /* Wrong conv weight shape: 3 input channels, weights expect 2. */
  ep_shape w = shape4(4, 2, 3, 3);
  EP_CHECK(finalize_one(EP_OP_CONV, NULL, shape4(1, 3, 8, 8), 1, &w, NULL) ==
           EP_ERR_INVALID_ARGUMENT);
  EP_CHECK_MSG(contains(ep_last_error(), "node node") && contains(ep_last_error(), "4x2x3x3"), "%s",
               ep_last_error());
  /* Fully connected with a wrong K; reshape to the wrong size; batch norm vectors. */
  ep_shape fw = ep_shape_make(2, (int64_t[]){10, 7});
  EP_CHECK(finalize_one(EP_OP_FULLY_CONNECTED, NULL, ep_shape_make(2, (int64_t[]){1, 8}), 1, &fw,
                        NULL) == EP_ERR_INVALID_ARGUMENT);
  ep_attrs rs = no_attrs();
  rs.shape = ep_shape_make(2, (int64_t[]){7, 7});
  EP_CHECK(finalize_one(EP_OP_RESHAPE, &rs, shape4(1, 2, 3, 4), 0, NULL, NULL) ==
           EP_ERR_INVALID_ARGUMENT);
  ep_shape bnp[4] = {shape1(3), shape1(3), shape1(4), shape1(3)};
  EP_CHECK(finalize_one(EP_OP_BATCH_NORM, NULL, shape4(1, 3, 2, 2), 4, bnp, NULL) ==
           EP_ERR_INVALID_ARGUMENT);
  EP_CHECK_MSG(contains(ep_last_error(), "input 3"), "%s", ep_last_error());
  /* Wrong input count; pool without a kernel. */
  EP_CHECK(finalize_one(EP_OP_ADD, NULL, shape4(1, 3, 2, 2), 0, NULL, NULL) ==
           EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(finalize_one(EP_OP_MAX_POOL, NULL, shape4(1, 3, 2, 2), 0, NULL, NULL) ==
           EP_ERR_INVALID_ARGUMENT);

  /* Mismatched concat. */
  ep_graph* g = NULL;
  int a, b, c, y;
  EP_CHECK_OK(ep_graph_create("bad", &g));
  EP_CHECK_OK(ep_graph_add_input(g, "a", shape4(1, 8, 28, 28), &a));
  EP_CHECK_OK(ep_graph_add_input(g, "b", shape4(1, 4, 28, 28), &b));
  EP_CHECK_OK(ep_graph_add_input(g, "c", shape4(1, 4, 28, 29), &c));
  ep_attrs cat = no_attrs();
  cat.axis = 1;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONCAT, "Mixed_3b/concat", &cat, (int[]){a, b, c}, 3, 1,
                                NULL, &y));
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK(ep_graph_finalize(g) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK_MSG(contains(ep_last_error(), "Mixed_3b/concat") &&
                   contains(ep_last_error(), "input 2") && contains(ep_last_error(), "1x4x28x29") &&
                   contains(ep_last_error(), "1x?x28x28"),
               "%s", ep_last_error());
  EP_CHECK(!ep_graph_is_finalized(g));

  /* Unknown tensor id, duplicate names, constants as outputs. */
  EP_CHECK(ep_graph_add_node(g, EP_OP_RELU, "relu_bad", NULL, (int[]){999}, 1, 1, NULL, NULL) ==
           EP_ERR_INVALID_ARGUMENT);
  EP_CHECK_MSG(contains(ep_last_error(), "relu_bad") && contains(ep_last_error(), "999"), "%s",
               ep_last_error());
  EP_CHECK(ep_graph_add_node(g, EP_OP_RELU, "relu_neg", NULL, (int[]){-1}, 1, 1, NULL, NULL) ==
           EP_ERR_INVALID_ARGUMENT);
  int before = ep_graph_tensor_count(g);
  EP_CHECK(ep_graph_add_node(g, EP_OP_RELU, "a", NULL, &a, 1, 1, NULL, NULL) ==
           EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_graph_add_input(g, "b", shape1(1), NULL) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_graph_tensor_count(g) == before && ep_graph_node_count(g) == 1);
  int k;
  EP_CHECK_OK(ep_graph_add_constant(g, "k", shape1(2), NULL, &k));
  EP_CHECK(ep_graph_mark_output(g, k) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_graph_add_input(g, "zero", shape1(0), NULL) == EP_ERR_INVALID_ARGUMENT);
  ep_graph_destroy(g);

  /* No outputs; optimize of an unfinalized graph. */
  EP_CHECK_OK(ep_graph_create("empty", &g));
  EP_CHECK(ep_graph_finalize(g) == EP_ERR_INVALID_ARGUMENT);
  ep_graph* o = NULL;
  EP_CHECK(ep_graph_optimize(g, EP_PASS_ALL, &o) == EP_ERR_INVALID_ARGUMENT && o == NULL);
  ep_graph_destroy(g);
}

int main(void) {
  test_shapes_and_names();
  test_small_network();
  test_fold_batch_norm_numerics();
  test_no_fusion_with_two_readers();
  test_fuse_residual();
  test_fuse_residual_activation();
  test_no_residual_fusion();
  test_residual_choice();
  test_shape_inference();
  test_errors();
  return ep_test_finish();
}

/* The model zoo: Table I figures (params, MACs, depth, shapes) of every network, seeded
 * weights, and what the passes do to the real networks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/zoo.h"
#include "test_support.h"

typedef struct expected {
  const char* name;
  const char* input;
  const char* output;
  double params_lo, params_hi; /* millions */
  double macs_lo, macs_hi;     /* millions */
  int layers;
} expected;

static const expected models[] = {
    {"inception_v1", "1x3x224x224", "1x1001", 6.5, 6.8, 1400, 1600, 22},
    {"resnet50", "1x3x224x224", "1x1000", 25.55, 25.57, 3840, 3880, 50},
    {"mobilenet_v1", "1x3x224x224", "1x1001", 4.22, 4.24, 566, 572, 28},
    {"lstm", "20x1x200", "20x10000", 2.64, 2.66, 52.7, 52.9, 3},
    {"mlp", "1x784", "1x10", 14.19, 14.21, 14.1, 14.3, 4},
    /* The modern set: 4SD^2 + 2S^2D + 2SDF MACs per encoder layer (S 128 or 197, D 768,
     * F 3072); 6 MatMuls per encoder layer on the longest path. */
    {"bert_base", "1x128x768", "1x128x768", 85.05, 85.07, 11173, 11174, 72},
    {"vit_b16", "1x3x224x224", "1x1000", 86.56, 86.58, 17563, 17564, 74},
    {"mobilenet_v3", "1x3x224x224", "1x1000", 5.48, 5.49, 214, 219, 64},
};

static bool shape_is(const ep_shape* s, const char* expected) {
  char buf[64];
  return strcmp(ep_shape_format(s, buf, sizeof buf), expected) == 0;
}

static void test_table(void) {
  for (int i = 0; i < ep_zoo_count(); i++) {
    const ep_zoo_entry* e = ep_zoo_entry_at(i);
    EP_CHECK(e && e->name && e->description && e->paper_note && e->build && e->paper.name);
    EP_CHECK(e && ep_zoo_find(e->name) == e);
    EP_CHECK(e && e->paper.params && e->paper.flops && e->paper.layers);
    EP_CHECK(e && !strstr(e->paper_note, "\n"));
  }
  EP_CHECK(ep_zoo_entry_at(-1) == NULL && ep_zoo_entry_at(ep_zoo_count()) == NULL);
  EP_CHECK(ep_zoo_find("vgg16") == NULL && ep_zoo_find(NULL) == NULL);
  ep_graph* g = NULL;
  EP_CHECK(ep_zoo_build("vgg16", 1, &g) == EP_ERR_NOT_FOUND && g == NULL);
  EP_CHECK(strstr(ep_last_error(), "vgg16") != NULL);
}

static void test_figures(void) {
  for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
    const expected* m = &models[i];
    const ep_zoo_entry* e = ep_zoo_find(m->name);
    EP_CHECK_MSG(e != NULL, "%s is not in the zoo", m->name);
    if (e != NULL && e->set == EP_ZOO_MODERN && !ep_test_zoo_selected(m->name)) {
      printf("%s: not in EP_TEST_ZOO, figures not checked\n", m->name); /* 340 MB emulated */
      continue;
    }
    ep_graph* g = NULL;
    EP_CHECK_OK(ep_zoo_build(m->name, EP_ZOO_DEFAULT_SEED, &g));
    if (!g) continue;
    ep_graph_totals t;
    ep_graph_totals_compute(g, &t);
    double params = t.params / 1e6, macs = t.macs / 1e6;
    printf("%-13s params %lld macs %lld layers %d nodes %d\n", m->name, (long long)t.params,
           (long long)t.macs, t.layers, t.nodes);
    EP_CHECK_MSG(params >= m->params_lo && params <= m->params_hi, "%s params %.4f M", m->name,
                 params);
    EP_CHECK_MSG(macs >= m->macs_lo && macs <= m->macs_hi, "%s MACs %.2f M", m->name, macs);
    EP_CHECK_MSG(t.layers == m->layers, "%s layers %d", m->name, t.layers);
    EP_CHECK(t.flops == 2 * t.macs);
    EP_CHECK(ep_graph_is_finalized(g) && strcmp(ep_graph_name(g), m->name) == 0);
    EP_CHECK(ep_graph_input_count(g) == 1 && ep_graph_output_count(g) == 1);
    const ep_tensor* in = ep_graph_tensor(g, ep_graph_input(g, 0));
    const ep_tensor* out = ep_graph_tensor(g, ep_graph_output(g, 0));
    EP_CHECK(strcmp(in->name, "input") == 0 && ep_graph_find_tensor(g, "input") == 0);
    EP_CHECK_MSG(shape_is(&in->shape, m->input), "%s input", m->name);
    EP_CHECK_MSG(shape_is(&out->shape, m->output), "%s output", m->name);
    if (strcmp(m->name, "bert_base") != 0) {
      EP_CHECK(ep_graph_node(g, out->producer)->op == EP_OP_SOFTMAX);
    }
    if (strcmp(m->name, "resnet50") == 0) EP_CHECK(t.params == 25557032);
    if (strcmp(m->name, "mlp") == 0) EP_CHECK(t.params == 14205962);
    /* torchvision's parameter counts (sum of p.numel()) and BERT-base's encoder: */
    if (strcmp(m->name, "vit_b16") == 0) EP_CHECK(t.params == 86567656);
    if (strcmp(m->name, "mobilenet_v3") == 0) EP_CHECK(t.params == 5483032);
    if (strcmp(m->name, "bert_base") == 0) EP_CHECK(t.params == 85056000 && t.macs == 11173625856);
    if (strcmp(m->name, "lstm") == 0) EP_CHECK(t.params == 2651600 && t.macs == 52800000);
    ep_graph_destroy(g);
  }
}

/* Every constant of two builds of the same model, equal or not. */
static int compare_weights(const ep_graph* a, const ep_graph* b, int* constants_out) {
  int differing = 0, constants = 0;
  for (int id = 0; id < ep_graph_tensor_count(a); id++) {
    const ep_tensor* ta = ep_graph_tensor(a, id);
    const ep_tensor* tb = ep_graph_tensor(b, id);
    if (ta->kind != EP_TENSOR_CONSTANT) continue;
    constants++;
    size_t n = (size_t)ep_shape_numel(&ta->shape);
    EP_CHECK(tb && strcmp(ta->name, tb->name) == 0);
    if (tb && memcmp(ta->data, tb->data, n * sizeof(float)) != 0) differing++;
  }
  *constants_out = constants;
  return differing;
}

static void test_seeds(void) {
  ep_graph *a = NULL, *b = NULL, *c = NULL;
  EP_CHECK_OK(ep_zoo_build("mobilenet_v1", 7, &a));
  EP_CHECK_OK(ep_zoo_build("mobilenet_v1", 7, &b));
  EP_CHECK_OK(ep_zoo_build("mobilenet_v1", 8, &c));
  if (a && b && c) {
    int constants = 0;
    EP_CHECK(compare_weights(a, b, &constants) == 0);
    EP_CHECK(constants > 100);
    /* Every random constant differs with the seed; only the fixed ones could not. */
    EP_CHECK(compare_weights(a, c, &constants) == constants);
    /* Values are finite and in range: conv weights within He's limit, variances positive. */
    for (int id = 0; id < ep_graph_tensor_count(a); id++) {
      const ep_tensor* t = ep_graph_tensor(a, id);
      if (t->kind != EP_TENSOR_CONSTANT) continue;
      size_t n = (size_t)ep_shape_numel(&t->shape);
      EP_CHECK(ep_test_all_finite(t->data, n));
      if (strstr(t->name, "moving_variance")) {
        for (size_t i = 0; i < n; i++) EP_CHECK(t->data[i] > 0.5f);
      }
    }
  }
  ep_graph_destroy(a);
  ep_graph_destroy(b);
  ep_graph_destroy(c);
}

static bool is_activation(ep_op op) {
  return op == EP_OP_RELU || op == EP_OP_RELU6 || op == EP_OP_SIGMOID || op == EP_OP_TANH;
}

static void test_optimize(void) {
  const char* names[] = {"resnet50", "mobilenet_v1", "inception_v1", "mlp"};
  for (int i = 0; i < 4; i++) {
    ep_graph *g = NULL, *o = NULL;
    EP_CHECK_OK(ep_zoo_build(names[i], EP_ZOO_DEFAULT_SEED, &g));
    if (!g) continue;
    EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &o));
    if (!o) {
      ep_graph_destroy(g);
      continue;
    }
    int bn = 0, loose = 0, fused = 0;
    for (int k = 0; k < ep_graph_node_count(o); k++) {
      const ep_node* n = ep_graph_node(o, k);
      if (n->op == EP_OP_BATCH_NORM) bn++;
      if (n->attrs.act != EP_ACT_NONE) fused++;
      if (is_activation(n->op)) {
        int p = ep_graph_tensor(o, n->inputs[0])->producer;
        ep_op pop = p >= 0 ? ep_graph_node(o, p)->op : EP_OP_COUNT;
        if (pop == EP_OP_CONV || pop == EP_OP_FULLY_CONNECTED || pop == EP_OP_ADD) loose++;
      }
    }
    EP_CHECK_MSG(bn == 0, "%s keeps %d batch norms", names[i], bn);
    EP_CHECK_MSG(loose == 0, "%s keeps %d activations after conv/fc/add", names[i], loose);
    EP_CHECK(fused > 0);
    ep_graph_totals tg, to;
    ep_graph_totals_compute(g, &tg);
    ep_graph_totals_compute(o, &to);
    EP_CHECK(to.macs == tg.macs && to.layers == tg.layers);
    EP_CHECK(to.nodes < tg.nodes);
    const ep_tensor* og = ep_graph_tensor(g, ep_graph_output(g, 0));
    const ep_tensor* oo = ep_graph_tensor(o, ep_graph_output(o, 0));
    EP_CHECK(strcmp(og->name, oo->name) == 0 && ep_shape_equal(&og->shape, &oo->shape));
    EP_CHECK(ep_graph_find_tensor(o, "input") == ep_graph_input(o, 0));
    ep_graph_destroy(o);
    ep_graph_destroy(g);
  }
}

/* Cutting inside an inception module: several tensors cross. */
static void test_cut_inside_module(void) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_zoo_build("inception_v1", EP_ZOO_DEFAULT_SEED, &g));
  if (!g) return;
  int k = -1;
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    if (strcmp(ep_graph_node(g, i)->name, "Mixed_3b/Branch_1/Conv2d_0b_3x3/Conv2D") == 0) k = i;
  }
  EP_CHECK(k > 0);
  int ids[16];
  int n = ep_graph_cut_tensors(g, k, ids, 16);
  EP_CHECK_MSG(n >= 3, "cut at %d: %d tensors", k, n);
  bool has_module_input = false;
  for (int i = 0; i < n && i < 16; i++) {
    const ep_tensor* t = ep_graph_tensor(g, ids[i]);
    if (strcmp(t->name, "MaxPool_3a_3x3") == 0) has_module_input = true;
    EP_CHECK(t->kind != EP_TENSOR_CONSTANT && t->producer < k && t->last_consumer >= k);
  }
  EP_CHECK(has_module_input);
  /* Between two modules only the concat output crosses. */
  int after = -1;
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    if (strcmp(ep_graph_node(g, i)->name, "Mixed_3b/concat") == 0) after = i + 1;
  }
  EP_CHECK(after > 0 && ep_graph_cut_tensors(g, after, ids, 16) == 1);
  EP_CHECK(strcmp(ep_graph_tensor(g, ids[0])->name, "Mixed_3b/concat") == 0);
  ep_graph_destroy(g);
}

/* Selections: names and set words, in the order given, each name once. */
static void test_select(void) {
  const char* names[32];
  int n = -1, n_paper = 0, n_modern = 0;
  for (int i = 0; i < ep_zoo_count(); i++) {
    n_paper += ep_zoo_entry_at(i)->set == EP_ZOO_PAPER;
    n_modern += ep_zoo_entry_at(i)->set == EP_ZOO_MODERN;
  }
  EP_CHECK(n_paper == 5);
  EP_CHECK_OK(ep_zoo_select((const char*[]){"paper"}, 1, names, 32, &n));
  EP_CHECK(n == 5 && strcmp(names[0], "inception_v1") == 0 && strcmp(names[4], "mlp") == 0);
  EP_CHECK_OK(ep_zoo_select((const char*[]){"all"}, 1, names, 32, &n));
  EP_CHECK(n == ep_zoo_count());
  for (int i = 0; i < n && i < ep_zoo_count(); i++) {
    EP_CHECK(strcmp(names[i], ep_zoo_entry_at(i)->name) == 0);
  }
  n = -1;
  if (n_modern > 0) {
    EP_CHECK_OK(ep_zoo_select((const char*[]){"modern"}, 1, names, 32, &n));
    EP_CHECK(n == n_modern);
    for (int i = 0; i < n; i++) EP_CHECK(ep_zoo_find(names[i])->set == EP_ZOO_MODERN);
  }
  EP_CHECK_OK(ep_zoo_select((const char*[]){"mlp", "paper", "lstm"}, 3, names, 32, &n));
  EP_CHECK(n == 5 && strcmp(names[0], "mlp") == 0 && strcmp(names[1], "inception_v1") == 0 &&
           strcmp(names[4], "lstm") == 0);
  /* Failures leave the output alone and name the item. */
  n = -1;
  EP_CHECK(ep_zoo_select((const char*[]){"mlp", "vgg16"}, 2, names, 32, &n) == EP_ERR_NOT_FOUND);
  EP_CHECK(n == -1 && strstr(ep_last_error(), "'vgg16'") && strstr(ep_last_error(), "modern"));
  EP_CHECK(ep_zoo_select((const char*[]){"paper"}, 1, names, 4, &n) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(n == -1);
  EP_CHECK(ep_zoo_select(NULL, 0, names, 4, &n) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(strcmp(ep_zoo_set_name(EP_ZOO_PAPER), "paper") == 0);
  EP_CHECK(strcmp(ep_zoo_set_name(EP_ZOO_MODERN), "modern") == 0);
}

int main(void) {
  test_table();
  test_select();
  test_figures();
  test_seeds();
  test_optimize();
  test_cut_inside_module();
  return ep_test_finish();
}

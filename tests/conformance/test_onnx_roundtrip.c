/* Export every zoo model to ONNX and load it back: the same graph, node for node (names, ops,
 * attributes, inputs and outputs), tensor for tensor (names, kinds, shapes) and weights bit for
 * bit; an optimized zoo graph, loaded back and optimized again, likewise. Also:
 * ep_onnx_shape_parse, and --shape overrides reaching the importer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgeprof/onnx.h"
#include "edgeprof/zoo.h"
#include "test_support.h"

#define SAME(field) (memcmp(&a->field, &b->field, sizeof a->field) == 0)

static bool same_attrs(const ep_attrs* a, const ep_attrs* b) {
  bool same = SAME(kernel) && SAME(stride) && SAME(pad) && SAME(dilation) && SAME(group) &&
              SAME(ceil_mode) && SAME(count_include_pad) && SAME(axis) && SAME(hidden_size) &&
              SAME(epsilon) && SAME(act) && SAME(alpha) && SAME(beta) && SAME(lrn_bias) &&
              SAME(size) && SAME(trans_a) && SAME(trans_b) && SAME(clip_min) && SAME(clip_max) &&
              SAME(softmax_2d) && SAME(perm) && SAME(pads) && SAME(pad_mode) && SAME(pad_value) &&
              SAME(direction) && SAME(linear_before_reset) && SAME(rnn_clip) && SAME(rnn_layout) &&
              SAME(kernel_d) && SAME(stride_d) && SAME(dilation_d) && SAME(pad_front) &&
              SAME(pad_back);
  same = same && a->shape.rank == b->shape.rank;
  for (int i = 0; same && i < a->shape.rank; i++) same = a->shape.dims[i] == b->shape.dims[i];
  return same;
}

static const char* name_of(const ep_graph* g, int id) {
  return id < 0 ? "(absent)" : ep_graph_tensor(g, id)->name;
}

static void compare_tensor(const char* model, const ep_graph* a, int ia, const ep_graph* b, int ib) {
  const ep_tensor* x = ep_graph_tensor(a, ia);
  const ep_tensor* y = ep_graph_tensor(b, ib);
  EP_CHECK_MSG(strcmp(x->name, y->name) == 0, "%s: tensor %s came back as %s", model, x->name, y->name);
  EP_CHECK_MSG(x->kind == y->kind, "%s: tensor %s changed kind", model, x->name);
  EP_CHECK_MSG(ep_shape_equal(&x->shape, &y->shape), "%s: tensor %s changed shape", model, x->name);
  if (x->kind == EP_TENSOR_CONSTANT && ep_shape_equal(&x->shape, &y->shape)) {
    size_t bytes = sizeof(float) * (size_t)ep_shape_numel(&x->shape);
    EP_CHECK_MSG(memcmp(x->data, y->data, bytes) == 0, "%s: weights of %s differ", model, x->name);
  }
}

/* a and b are the same graph: nodes, attributes, tensors, weights, inputs and outputs. */
static void compare_graphs(const char* model, const ep_graph* a, const ep_graph* b) {
  EP_CHECK_MSG(ep_graph_node_count(a) == ep_graph_node_count(b), "%s: %d nodes came back as %d",
               model, ep_graph_node_count(a), ep_graph_node_count(b));
  int n = ep_graph_node_count(a) < ep_graph_node_count(b) ? ep_graph_node_count(a) : ep_graph_node_count(b);
  int bad_nodes = 0;
  for (int i = 0; i < n; i++) {
    const ep_node* x = ep_graph_node(a, i);
    const ep_node* y = ep_graph_node(b, i);
    bool same = strcmp(x->name, y->name) == 0 && x->op == y->op && same_attrs(&x->attrs, &y->attrs) &&
                x->n_inputs == y->n_inputs && x->n_outputs == y->n_outputs;
    if (!same) {
      if (bad_nodes++ < 5) {
        fprintf(stderr, "%s: node %d %s (%s) came back as %s (%s) or with other attributes\n",
                model, i, x->name, ep_op_name(x->op), y->name, ep_op_name(y->op));
      }
      continue;
    }
    for (int k = 0; k < x->n_inputs; k++) {
      if (x->inputs[k] < 0 || y->inputs[k] < 0) {
        EP_CHECK_MSG(x->inputs[k] == y->inputs[k], "%s: node %s input %d", model, x->name, k);
        continue;
      }
      compare_tensor(model, a, x->inputs[k], b, y->inputs[k]);
    }
    for (int k = 0; k < x->n_outputs; k++) compare_tensor(model, a, x->outputs[k], b, y->outputs[k]);
  }
  EP_CHECK_MSG(bad_nodes == 0, "%s: %d nodes differ", model, bad_nodes);
  EP_CHECK(ep_graph_input_count(a) == ep_graph_input_count(b));
  EP_CHECK(ep_graph_output_count(a) == ep_graph_output_count(b));
  for (int i = 0; i < ep_graph_input_count(a) && i < ep_graph_input_count(b); i++) {
    compare_tensor(model, a, ep_graph_input(a, i), b, ep_graph_input(b, i));
  }
  for (int i = 0; i < ep_graph_output_count(a) && i < ep_graph_output_count(b); i++) {
    EP_CHECK_MSG(strcmp(name_of(a, ep_graph_output(a, i)), name_of(b, ep_graph_output(b, i))) == 0,
                 "%s: output %d is %s", model, i, name_of(b, ep_graph_output(b, i)));
  }
}

static void roundtrip(const char* model, const char* dir) {
  ep_graph* a = NULL;
  ep_graph* b = NULL;
  char path[512];
  snprintf(path, sizeof path, "%s/%s.onnx", dir, model);
  EP_CHECK_OK(ep_zoo_build(model, EP_ZOO_DEFAULT_SEED, &a));
  if (a == NULL) return;
  EP_CHECK_OK(ep_onnx_export(a, path));
  EP_CHECK_OK(ep_onnx_load(path, NULL, &b));
  unlink(path);
  if (b != NULL) {
    compare_graphs(model, a, b);
    printf("%s: %d nodes, %d tensors round-trip\n", model, ep_graph_node_count(a),
           ep_graph_tensor_count(a));
  }
  ep_graph_destroy(a);
  ep_graph_destroy(b);
}

static int count_op(const ep_graph* g, ep_op op) {
  int n = 0;
  for (int i = 0; i < ep_graph_node_count(g); i++) n += ep_graph_node(g, i)->op == op;
  return n;
}

/* An optimized graph (folded weights, fused activations and residual adds) exported comes back
 * unfused (Conv, Add, Relu) and optimizing it again gives the same graph. */
static void roundtrip_optimized(const char* model, const char* dir) {
  ep_graph* defined = NULL;
  ep_graph* a = NULL;
  ep_graph* loaded = NULL;
  ep_graph* b = NULL;
  char path[512];
  snprintf(path, sizeof path, "%s/%s_optimized.onnx", dir, model);
  EP_CHECK_OK(ep_zoo_build(model, EP_ZOO_DEFAULT_SEED, &defined));
  if (defined != NULL) EP_CHECK_OK(ep_graph_optimize(defined, EP_PASS_ALL, &a));
  if (a != NULL) {
    EP_CHECK_OK(ep_onnx_export(a, path));
    EP_CHECK_OK(ep_onnx_load(path, NULL, &loaded));
    unlink(path);
  }
  if (loaded != NULL) {
    EP_CHECK_OK(ep_graph_optimize(loaded, EP_PASS_ALL, &b));
    EP_CHECK_MSG(count_op(loaded, EP_OP_ADD) == count_op(defined, EP_OP_ADD),
                 "%s: %d adds exported, %d defined", model, count_op(loaded, EP_OP_ADD),
                 count_op(defined, EP_OP_ADD));
  }
  if (b != NULL) {
    compare_graphs(model, a, b);
    printf("%s: optimized, %d nodes exported as %d, optimized again to %d\n", model,
           ep_graph_node_count(a), ep_graph_node_count(loaded), ep_graph_node_count(b));
  }
  ep_graph_destroy(b);
  ep_graph_destroy(loaded);
  ep_graph_destroy(a);
  ep_graph_destroy(defined);
}

static void shapes(const char* dir) {
  ep_onnx_shape s;
  EP_CHECK_OK(ep_onnx_shape_parse("input=1x3x224x224", &s));
  EP_CHECK(strcmp(s.name, "input") == 0 && s.shape.rank == 4 && s.shape.dims[3] == 224);
  EP_CHECK_OK(ep_onnx_shape_parse("a=b=7", &s));
  EP_CHECK(strcmp(s.name, "a=b") == 0 && s.shape.rank == 1 && s.shape.dims[0] == 7);
  EP_CHECK(ep_onnx_shape_parse("x=0x3", &s) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_onnx_shape_parse("x=", &s) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_onnx_shape_parse("=1x2", &s) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_onnx_shape_parse("x=1x2x", &s) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_onnx_shape_parse("x=1x2x3x4x5x6x7", &s) == EP_ERR_INVALID_ARGUMENT);
  /* The mlp takes [1, 784]: a batch of 4 through an override, an unknown name refused. */
  ep_graph* g = NULL;
  ep_graph* h = NULL;
  char path[512];
  snprintf(path, sizeof path, "%s/mlp_shapes.onnx", dir);
  EP_CHECK_OK(ep_zoo_build("mlp", 1, &g));
  EP_CHECK_OK(ep_onnx_export(g, path));
  ep_onnx_shape over;
  EP_CHECK_OK(ep_onnx_shape_parse("input=4x784", &over));
  ep_onnx_options options = {&over, 1, NULL, 0};
  EP_CHECK_OK(ep_onnx_load(path, &options, &h));
  if (h != NULL) {
    const ep_tensor* y = ep_graph_tensor(h, ep_graph_output(h, 0));
    EP_CHECK_MSG(y->shape.rank == 2 && y->shape.dims[0] == 4, "batch 4 gives output %lld",
                 (long long)y->shape.dims[0]);
  }
  ep_graph_destroy(h);
  h = NULL;
  EP_CHECK_OK(ep_onnx_shape_parse("nosuch=1x784", &over));
  EP_CHECK(ep_onnx_load(path, &options, &h) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(strstr(ep_last_error(), "nosuch") != NULL);
  EP_CHECK(h == NULL);
  unlink(path);
  ep_graph_destroy(g);
}

int main(void) {
  char dir[] = "/tmp/edgeprof-roundtrip.XXXXXX";
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  for (int i = 0; i < ep_zoo_count(); i++) {
    /* The modern set's exports: test_ort_crosscheck_modern.sh (hundreds of MB each). */
    if (ep_zoo_entry_at(i)->set != EP_ZOO_PAPER) continue;
    roundtrip(ep_zoo_entry_at(i)->name, dir);
    roundtrip_optimized(ep_zoo_entry_at(i)->name, dir);
  }
  shapes(dir);
  rmdir(dir);
  return ep_test_finish();
}

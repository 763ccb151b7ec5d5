/* The session runs each op of a one-node graph like the op's reference kernel, on 1 and 2
 * threads, and reports bad calls clearly. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/session.h"
#include "kernels/kernels.h"
#include "test_support.h"

static ep_test_rng rng = {1234};

static int add_random_constant(ep_graph* g, const char* name, ep_shape shape, float lo, float hi) {
  int id = -1;
  EP_CHECK_OK(ep_graph_add_constant(g, name, shape, NULL, &id));
  float* data = ep_graph_constant_data(g, id);
  if (data != NULL) ep_test_fill(&rng, data, (size_t)ep_shape_numel(&shape), lo, hi);
  return id;
}

/* Runs g on `inputs` with `threads` threads and returns output 0 (malloc'd). */
static float* run(const ep_graph* g, int threads, float* const* inputs) {
  ep_session* s = NULL;
  ep_session_options opts = {threads, NULL, 0, NULL};
  EP_CHECK_OK(ep_session_create(g, &opts, &s));
  if (s == NULL) return NULL;
  for (int i = 0; i < ep_graph_input_count(g); i++) {
    size_t n = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_input(g, i))->shape);
    EP_CHECK_OK(ep_session_set_input(s, i, inputs[i], n));
  }
  EP_CHECK_OK(ep_session_run(s));
  size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
  float* out = malloc(n_out * sizeof *out);
  EP_CHECK_OK(ep_session_get_output(s, 0, out, n_out));
  ep_session_destroy(s);
  return out;
}

static void compare(const ep_graph* g, float* const* inputs, const float* expected,
                    const char* what) {
  size_t n_out = (size_t)ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, 0))->shape);
  for (int threads = 1; threads <= 2; threads++) {
    float* out = run(g, threads, inputs);
    if (out == NULL) continue;
    double diff = ep_test_max_rel_diff(out, expected, n_out);
    EP_CHECK_MSG(diff <= 1e-5, "%s on %d threads: relative difference %g", what, threads, diff);
    free(out);
  }
}

static float* random_input(ep_shape shape) {
  size_t n = (size_t)ep_shape_numel(&shape);
  float* x = malloc(n * sizeof *x);
  ep_test_fill(&rng, x, n, -1.0f, 1.0f);
  return x;
}

/* conv -> batch norm -> relu, optimized (folded and fused) and not. */
static void test_conv_bn_relu(void) {
  int64_t xd[] = {1, 5, 11, 9};
  ep_shape xs = ep_shape_make(4, xd);
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("conv_bn_relu", &g));
  int x, w, sc, bi, mu, var, y, z, r;
  EP_CHECK_OK(ep_graph_add_input(g, "x", xs, &x));
  w = add_random_constant(g, "w", ep_shape_make(4, (int64_t[]){7, 5, 3, 3}), -0.3f, 0.3f);
  sc = add_random_constant(g, "scale", ep_shape_make(1, (int64_t[]){7}), 0.5f, 1.5f);
  bi = add_random_constant(g, "bias", ep_shape_make(1, (int64_t[]){7}), -0.2f, 0.2f);
  mu = add_random_constant(g, "mean", ep_shape_make(1, (int64_t[]){7}), -0.2f, 0.2f);
  var = add_random_constant(g, "var", ep_shape_make(1, (int64_t[]){7}), 0.5f, 2.0f);
  ep_attrs conv = {.kernel = {3, 3}, .stride = {2, 1}, .pad = {1, 0, 2, 1}};
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, "conv", &conv, (int[]){x, w}, 2, 1, NULL, &y));
  ep_attrs bn = {.epsilon = 1e-3f};
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_BATCH_NORM, "bn", &bn, (int[]){y, sc, bi, mu, var}, 5,
                                1, NULL, &z));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_RELU, "relu", &(ep_attrs){0}, &z, 1, 1, NULL, &r));
  EP_CHECK_OK(ep_graph_mark_output(g, r));
  EP_CHECK_OK(ep_graph_finalize(g));

  const ep_shape* ys = &ep_graph_tensor(g, y)->shape;
  EP_CHECK(ys->dims[2] == 6 && ys->dims[3] == 8);
  ep_conv_desc d = {1, 5, 11, 9, 7, (int)ys->dims[2], (int)ys->dims[3], 3, 3, 2, 1, 1, 1, 1, 0,
                    1, false, EP_ACT_NONE, EP_LAYOUT_NCHW, EP_LAYOUT_NCHW, false, EP_ACT_NONE};
  float* input = random_input(xs);
  size_t n = (size_t)ep_shape_numel(ys);
  float* expected = malloc(n * sizeof *expected);
  ep_ref_conv2d(&d, input, ep_graph_tensor(g, w)->data, NULL, expected);
  ep_ref_batch_norm(1, 7, n / 7, expected, ep_graph_tensor(g, sc)->data,
                    ep_graph_tensor(g, bi)->data, ep_graph_tensor(g, mu)->data,
                    ep_graph_tensor(g, var)->data, 1e-3f, expected);
  ep_ref_activation(EP_ACT_RELU, n, expected, expected);
  compare(g, &input, expected, "conv+bn+relu as defined");

  ep_graph* opt = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &opt));
  if (opt != NULL) {
    EP_CHECK(ep_graph_node_count(opt) == 1);
    compare(opt, &input, expected, "conv+bn+relu folded");
    ep_graph_destroy(opt);
  }
  free(input);
  free(expected);
  ep_graph_destroy(g);
}

/* Adds a conv node; `bias` adds a random bias. Returns the output tensor. */
static int add_conv(ep_graph* g, const char* name, int x, int cin, int cout, int k, int stride,
                    int group, bool bias) {
  char wname[64], bname[64];
  snprintf(wname, sizeof wname, "%s/w", name);
  snprintf(bname, sizeof bname, "%s/b", name);
  int in[3] = {x,
               add_random_constant(g, wname, ep_shape_make(4, (int64_t[]){cout, cin / group, k, k}),
                                   -0.3f, 0.3f),
               -1};
  if (bias) in[2] = add_random_constant(g, bname, ep_shape_make(1, (int64_t[]){cout}), -0.2f, 0.2f);
  int p = k / 2;
  ep_attrs a = {.stride = {stride, stride}, .pad = {p, p, p, p}, .group = group};
  int y = -1;
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONV, name, &a, in, bias ? 3 : 2, 1, NULL, &y));
  return y;
}

static int add_node1(ep_graph* g, ep_op op, const char* name, const ep_attrs* a, const int* in,
                     int n_in) {
  int y = -1;
  EP_CHECK_OK(ep_graph_add_node(g, op, name, a, in, n_in, 1, NULL, &y));
  return y;
}

/* ResNet-style blocks: a projection unit (1x1/2 shortcut conv + batch norm, 3x3/2 conv + relu,
 * 3x3 conv without bias, add, relu), an identity unit with a depthwise conv and an add that
 * carries its own relu6, and a unit whose residual is a reshape (a view) of its input. Fused
 * (three convs with a residual) and unfused, on 1 and 2 threads, the outputs agree; a residual
 * never shares memory with the conv's output. */
static void test_residual_blocks(void) {
  ep_shape xs = ep_shape_make(4, (int64_t[]){1, 8, 10, 10});
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("residual_blocks", &g));
  int x;
  EP_CHECK_OK(ep_graph_add_input(g, "x", xs, &x));
  int s = add_conv(g, "shortcut", x, 8, 16, 1, 2, 1, false);
  int bn_in[5] = {s};
  const char* bn_names[4] = {"scale", "bias", "mean", "var"};
  for (int i = 0; i < 4; i++) {
    bn_in[1 + i] = add_random_constant(g, bn_names[i], ep_shape_make(1, (int64_t[]){16}),
                                       i == 3 ? 0.5f : -0.5f, i == 3 ? 2.0f : 1.0f);
  }
  ep_attrs none = {0};
  s = add_node1(g, EP_OP_BATCH_NORM, "shortcut_bn", &(ep_attrs){.epsilon = 1e-3f}, bn_in, 5);
  int a = add_conv(g, "conv_a", x, 8, 16, 3, 2, 1, true);
  a = add_node1(g, EP_OP_RELU, "relu_a", &none, &a, 1);
  int b = add_conv(g, "conv_b", a, 16, 16, 3, 1, 1, false);
  int y1 = add_node1(g, EP_OP_ADD, "add1", &none, (int[]){s, b}, 2);
  y1 = add_node1(g, EP_OP_RELU, "relu1", &none, &y1, 1);
  int d = add_conv(g, "conv_dw", y1, 16, 16, 3, 1, 16, true);
  ep_attrs relu6 = {.act = EP_ACT_RELU6};
  int y2 = add_node1(g, EP_OP_ADD, "add2", &relu6, (int[]){d, y1}, 2);
  ep_attrs same = {.shape = ep_shape_make(4, (int64_t[]){0, 0, 0, 0})};
  int v = add_node1(g, EP_OP_RESHAPE, "view", &same, &y2, 1);
  int e = add_conv(g, "conv_e", y2, 16, 16, 1, 1, 1, true);
  int y3 = add_node1(g, EP_OP_ADD, "add3", &none, (int[]){e, v}, 2);
  y3 = add_node1(g, EP_OP_SIGMOID, "sigmoid", &none, &y3, 1);
  EP_CHECK_OK(ep_graph_mark_output(g, y3));
  EP_CHECK_OK(ep_graph_finalize(g));

  float* input = random_input(xs);
  float* expected = run(g, 1, &input);
  ep_graph* opt = NULL;
  EP_CHECK_OK(ep_graph_optimize(g, EP_PASS_ALL, &opt));
  if (opt != NULL && expected != NULL) {
    int fused = 0;
    for (int i = 0; i < ep_graph_node_count(opt); i++) {
      const ep_node* n = ep_graph_node(opt, i);
      fused += n->op == EP_OP_CONV && n->n_inputs == 4;
    }
    EP_CHECK_MSG(ep_graph_node_count(opt) == 6 && fused == 3, "%d nodes, %d fused",
                 ep_graph_node_count(opt), fused);
    compare(opt, &input, expected, "residual blocks fused");
    ep_session* session = NULL;
    EP_CHECK_OK(ep_session_create(opt, NULL, &session));
    for (int i = 0; session != NULL && i < ep_graph_node_count(opt); i++) {
      const ep_node* n = ep_graph_node(opt, i);
      if (n->op != EP_OP_CONV || n->n_inputs < 4) continue;
      size_t len = (size_t)ep_shape_numel(&ep_graph_tensor(opt, n->outputs[0])->shape);
      const float* r = ep_session_tensor_data(session, n->inputs[3]);
      const float* y = ep_session_tensor_data(session, n->outputs[0]);
      EP_CHECK_MSG(r != NULL && y != NULL && (r + len <= y || y + len <= r),
                   "node %s: residual and output overlap", n->name);
    }
    ep_session_destroy(session);
  }
  ep_graph_destroy(opt);
  free(input);
  free(expected);
  ep_graph_destroy(g);
}

/* A small DAG: two pooled branches concatenated, a residual add, flatten, fc, softmax. */
static void test_dag(void) {
  int64_t xd[] = {1, 4, 8, 8};
  ep_shape xs = ep_shape_make(4, xd);
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("dag", &g));
  int x, mp, ap, cat, sum, gap, flat, w, b, fc, sm;
  EP_CHECK_OK(ep_graph_add_input(g, "x", xs, &x));
  ep_attrs pool = {.kernel = {3, 3}, .stride = {1, 1}, .pad = {1, 1, 1, 1}};
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_MAX_POOL, "max", &pool, &x, 1, 1, NULL, &mp));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_AVG_POOL, "avg", &pool, &x, 1, 1, NULL, &ap));
  ep_attrs axis1 = {.axis = 1};
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_CONCAT, "cat", &axis1, (int[]){mp, ap}, 2, 1, NULL, &cat));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_ADD, "add", &(ep_attrs){0}, (int[]){cat, cat}, 2, 1, NULL,
                                &sum));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_GLOBAL_AVG_POOL, "gap", &(ep_attrs){0}, &sum, 1, 1, NULL,
                                &gap));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_FLATTEN, "flat", &axis1, &gap, 1, 1, NULL, &flat));
  w = add_random_constant(g, "w", ep_shape_make(2, (int64_t[]){3, 8}), -1, 1);
  b = add_random_constant(g, "b", ep_shape_make(1, (int64_t[]){3}), -1, 1);
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_FULLY_CONNECTED, "fc", &(ep_attrs){0}, (int[]){flat, w, b},
                                3, 1, NULL, &fc));
  ep_attrs last = {.axis = -1};
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_SOFTMAX, "softmax", &last, &fc, 1, 1, NULL, &sm));
  EP_CHECK_OK(ep_graph_mark_output(g, sm));
  EP_CHECK_OK(ep_graph_finalize(g));

  float* input = random_input(xs);
  float t_max[256], t_avg[256], t_cat[512], t_sum[512], t_gap[8], t_fc[3], expected[3];
  ep_pool_desc pd = {1, 4, 8, 8, 8, 8, 3, 3, 1, 1, 1, 1, false};
  ep_ref_max_pool(&pd, input, t_max);
  ep_ref_avg_pool(&pd, input, t_avg);
  const float* parts[] = {t_max, t_avg};
  size_t inner[] = {256, 256};
  ep_ref_concat(1, 2, parts, inner, t_cat);
  ep_ref_add(512, t_cat, t_cat, EP_ACT_NONE, t_sum);
  ep_ref_global_avg_pool(1, 8, 64, t_sum, t_gap);
  ep_fc_desc fd = {1, 8, 3, true, EP_ACT_NONE};
  ep_ref_fully_connected(&fd, t_gap, ep_graph_tensor(g, w)->data, ep_graph_tensor(g, b)->data, t_fc);
  ep_ref_softmax(1, 3, t_fc, expected);
  compare(g, &input, expected, "dag");
  free(input);
  ep_graph_destroy(g);
}

static void test_lstm(void) {
  const int T = 5, N = 2, I = 6, H = 4;
  ep_shape xs = ep_shape_make(3, (int64_t[]){T, N, I});
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("lstm", &g));
  int x, y;
  EP_CHECK_OK(ep_graph_add_input(g, "x", xs, &x));
  int w = add_random_constant(g, "W", ep_shape_make(2, (int64_t[]){4 * H, I}), -0.5f, 0.5f);
  int r = add_random_constant(g, "R", ep_shape_make(2, (int64_t[]){4 * H, H}), -0.5f, 0.5f);
  int b = add_random_constant(g, "B", ep_shape_make(1, (int64_t[]){4 * H}), -0.5f, 0.5f);
  ep_attrs a = {.hidden_size = H};
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_LSTM, "lstm", &a, (int[]){x, w, r, b}, 4, 1, NULL, &y));
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  EP_CHECK_OK(ep_graph_finalize(g));
  float* input = random_input(xs);
  float expected[5 * 2 * 4];
  ep_lstm_desc d = {T, N, I, H, true};
  ep_ref_lstm(&d, input, ep_graph_tensor(g, w)->data, ep_graph_tensor(g, r)->data,
              ep_graph_tensor(g, b)->data, expected);
  compare(g, &input, expected, "lstm");
  free(input);
  ep_graph_destroy(g);
}

static void test_errors(void) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_graph_create("errors", &g));
  int x, y;
  EP_CHECK_OK(ep_graph_add_input(g, "x", ep_shape_make(2, (int64_t[]){2, 3}), &x));
  EP_CHECK_OK(ep_graph_add_node(g, EP_OP_RELU, "relu", &(ep_attrs){0}, &x, 1, 1, NULL, &y));
  EP_CHECK_OK(ep_graph_mark_output(g, y));
  ep_session* s = NULL;
  EP_CHECK(ep_session_create(g, NULL, &s) == EP_ERR_INVALID_ARGUMENT); /* not finalized */
  EP_CHECK_OK(ep_graph_finalize(g));
  ep_session_options bad_threads = {-1, NULL, 0, NULL};
  EP_CHECK(ep_session_create(g, &bad_threads, &s) == EP_ERR_INVALID_ARGUMENT);
  ep_session_options bad_cpu = {1, (int[]){1000}, 1, NULL};
  EP_CHECK(ep_session_create(g, &bad_cpu, &s) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(strstr(ep_last_error(), "1000") != NULL);
  EP_CHECK_OK(ep_session_create(g, NULL, &s));
  float in[6] = {-1, 2, -3, 4, -5, 6}, out[6];
  EP_CHECK(ep_session_set_input(s, 0, in, 5) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_session_set_input(s, 1, in, 6) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK_OK(ep_session_set_input(s, 0, in, 6));
  EP_CHECK_OK(ep_session_run(s));
  EP_CHECK_OK(ep_session_get_output(s, 0, out, 6));
  EP_CHECK(out[0] == 0 && out[1] == 2 && out[5] == 6);
  EP_CHECK(ep_session_tensor_data(s, 99) == NULL);
  ep_session_memory mem;
  ep_session_memory_get(s, &mem);
  EP_CHECK(mem.arena_bytes >= 2 * 6 * sizeof(float));
  ep_session_destroy(s);
  ep_session_destroy(NULL);
  ep_graph_destroy(g);
}

int main(void) {
  test_conv_bn_relu();
  test_dag();
  test_residual_blocks();
  test_lstm();
  test_errors();
  return ep_test_finish();
}

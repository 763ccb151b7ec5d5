/* The ONNX backend node tests of the onnx wheel (1.23, opsets up to 28), written out by
 * tests/conformance/node_tests.py into BUILD/onnx-node-tests (CTest's "python" fixture; the path
 * comes in EP_NODE_TESTS): every test_<name>/ holds model.onnx and
 * test_data_set_<k>/input_<i>.pb, output_<i>.pb.
 *
 * Each test is loaded with every input bound to its test value (ep_onnx_options.values: inputs
 * that an operator needs as constants, such as Reshape's shape or Pad's pads, are taken from
 * there; data inputs stay graph inputs), run once, and every output is compared with
 * |got - want| <= 1e-5 + 1e-3 |want|. A test the importer refuses (EP_ERR_UNSUPPORTED: an
 * operator, attribute or type edgeprof does not support) is skipped.
 *
 * The test fails when a test made only of the operators edgeprof claims (issue_ops) fails or is
 * skipped without a reason in not_passing below, or when an entry there has become stale. Tests
 * of other operators are counted (most are refused: an operator edgeprof does not have) but do
 * not fail the test.
 *
 * Usage: test_onnx_node_suite [DATA_DIR] [NAME_FILTER] (DATA_DIR defaults to $EP_NODE_TESTS);
 * EP_NODE_VERBOSE=1 prints every skip and listed reason. */
#include <dirent.h>
#include <fnmatch.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/onnx.h"
#include "edgeprof/session.h"
#include "onnx.pb-c.h"

#define MAX_IO 16

/* The operators of the ONNX issue (float32). */
static const char* const issue_ops[] = {
    "Conv", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "LeakyRelu", "Clip", "Sigmoid",
    "Tanh", "Softmax", "LogSoftmax", "MaxPool", "AveragePool", "GlobalAveragePool",
    "GlobalMaxPool", "BatchNormalization", "LRN", "Concat", "Flatten", "Reshape", "Transpose",
    "Squeeze", "Unsqueeze", "Pad", "LSTM", "GRU",
    /* element-wise ops of modern networks (issue 15) */
    "Pow", "Sqrt", "Reciprocal", "Erf", "Gelu", "HardSigmoid", "HardSwish", "Mish", "Exp", "Log",
    "Neg", "Abs", "Softplus", "Min", "Max",
    /* reductions, LayerNormalization, Split, Tile, Einsum */
    "ReduceMean", "ReduceSum", "ReduceMax",
    "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
    "ReduceLogSumExp", "LayerNormalization", "Split", "Tile", "Einsum",
    /* int64 and bool tensors (issue 15) */
    "Gather", "Cast", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or",
    "Xor", "Not", "Where", "Shape", "Size", "Slice", "Expand", "ConstantOfShape", "Range",
    /* removed or folded at load */
    "Identity", "Dropout", "Constant",
};

/* Every test of those operators that does not pass, and why: one list, glob patterns
 * (fnmatch) on the test name. A test of an issue operator that fails or is skipped and matches
 * no entry fails the suite, and so does an entry that no longer matches a test that does not
 * pass (a stale reason), so the list stays exactly what the suite shows. */
static const struct {
  const char* pattern;
  const char* reason;
} not_passing[] = {
    /* Types: edgeprof runs float32, int64 and bool (int32 widened to int64). */
    {"test_*_int8", "int8 tensors: edgeprof runs float32"},
    {"test_*_int16", "int16 tensors: edgeprof runs float32"},
    {"test_*_uint*", "unsigned integer tensors: edgeprof runs float32"},
    {"test_clip_default_int8_*", "int8 tensors: edgeprof runs float32"},
    {"test_edge_pad", "int32 data: edgeprof runs float32"},
    {"test_m??_int32", "int32 tensors: edgeprof runs float32"},
    {"test_m??_int64", "int64 Min / Max: edgeprof runs them on float32"},
    {"test_m??_float16", "float16 tensors: edgeprof runs float32"},
    {"test_m??_float64", "float64 tensors: edgeprof runs float32"},
    {"test_pow_types_int*", "an integer base: edgeprof runs Pow on float32"},
    {"test_reflect_pad", "int32 data: edgeprof runs float32"},
    {"test_wrap_pad", "int32 data: edgeprof runs float32"},
    {"test_*dropout*_mask*", "Dropout's mask output is a bool tensor: edgeprof removes Dropout"},
    {"test_maxpool_with_argmax_*", "MaxPool's Indices output (int64) is not computed"},
    {"test_cast*FLOAT16*", "float16 tensors: edgeprof runs float32, int64 and bool"},
    {"test_cast*DOUBLE*", "float64 tensors: edgeprof runs float32, int64 and bool"},
    {"test_cast*FLOAT8*", "float8 tensors: edgeprof runs float32, int64 and bool"},
    {"test_cast*FLOAT4*", "float4 tensors: edgeprof runs float32, int64 and bool"},
    {"test_cast*INT4*", "4-bit integer tensors: edgeprof runs float32, int64 and bool"},
    {"test_cast*INT2*", "2-bit integer tensors: edgeprof runs float32, int64 and bool"},
    {"test_range_*float16_type_*", "float16 tensors: edgeprof runs float32, int64 and bool"},
    {"test_equal_string*", "string tensors"},
    {"test_flexattention_double_*", "float64 tensors: edgeprof runs float32"},
    {"test_flexattention_fp16_*", "float16 tensors: edgeprof runs float32"},
    {"test_not_?d", "opset 1 (edgeprof reads opsets 7 to 28)"},
    {"test_causal_conv_with_state_*_expanded", "a 1-D convolution (rank-3 input): Conv is 2-D"},
    {"test_rotary_embedding*_expanded", "Split into an empty part (a dim of 0): graph tensors have dims >= 1"},
    {"test_identity_opt", "an optional input: edgeprof reads tensors only"},
    {"test_identity_sequence", "a sequence input: edgeprof reads tensors only"},
    {"test_reduce_*_bool_inputs", "bool tensors: edgeprof runs float32"},
    {"test_reduce_max_empty_set_bool", "bool tensors: edgeprof runs float32"},
    {"test_reduce_*empty_set*", "an empty tensor (a dim of 0): graph tensors have dims >= 1"},
    {"test_split_zero_size_splits_*", "an empty tensor (a dim of 0): graph tensors have dims >= 1"},
    {"test_reduce_log_sum_exp_*", "float64 data: edgeprof runs float32"},
    {"test_einsum_*", "float64 data: edgeprof runs float32 (float32 Einsum: test_ort_graphs.sh)"},
    /* Semantics edgeprof does not have. */
    {"test_batchnorm_*_training_mode", "training mode (running statistics outputs)"},
    {"test_constant", "the graph folds to a constant at load: nothing to run"},
    {"test_shape*", "the shape is known at load: the graph folds to a constant, nothing to run"},
    {"test_size*", "the size is known at load: the graph folds to a constant, nothing to run"},
    {"test_constantofshape_int_shape_zero", "an empty tensor (a dim of 0): graph tensors have dims >= 1"},
    {"test_slice_start_out_of_bounds", "an empty tensor (a dim of 0): graph tensors have dims >= 1"},
    {"test_reshape_allowzero_reordered", "an empty tensor (a dim of 0): graph tensors have dims >= 1"},
    {"test_training_dropout", "training-mode Dropout is random; edgeprof removes Dropout"},
    {"test_training_dropout_default", "training-mode Dropout is random; edgeprof removes Dropout"},
};

#define N_NOT_PASSING (sizeof not_passing / sizeof not_passing[0])
static int not_passing_hits[N_NOT_PASSING]; /* tests each entry explained in this run */

/* The reason a test of an issue operator does not pass, or NULL; counts the entry's hit. */
static const char* not_passing_reason(const char* test) {
  for (size_t i = 0; i < N_NOT_PASSING; i++) {
    if (fnmatch(not_passing[i].pattern, test, 0) == 0) {
      not_passing_hits[i]++;
      return not_passing[i].reason;
    }
  }
  return NULL;
}

static bool issue_op(const char* op) {
  for (size_t i = 0; i < sizeof issue_ops / sizeof issue_ops[0]; i++) {
    if (strcmp(issue_ops[i], op) == 0) return true;
  }
  return false;
}

static uint8_t* read_file(const char* path, size_t* size) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t* d = n >= 0 ? malloc((size_t)n + 1) : NULL;
  if (d != NULL && fread(d, 1, (size_t)n, f) != (size_t)n) {
    free(d);
    d = NULL;
  }
  fclose(f);
  *size = (size_t)n;
  return d;
}

typedef struct model_info {
  char inputs[MAX_IO][256]; /* graph inputs that are not initializers, in order */
  int n_inputs;
  int n_outputs;
  bool in_scope; /* every op is one of the issue's */
  char ops[256];
} model_info;

static bool read_model_info(const char* path, model_info* info) {
  size_t size;
  uint8_t* data = read_file(path, &size);
  memset(info, 0, sizeof *info);
  if (data == NULL) return false;
  Onnx__ModelProto* m = ep_onnx__model_proto__unpack(NULL, size, data);
  free(data);
  if (m == NULL || m->graph == NULL) {
    if (m) ep_onnx__model_proto__free_unpacked(m, NULL);
    return false;
  }
  const Onnx__GraphProto* g = m->graph;
  for (size_t i = 0; i < g->n_input && info->n_inputs < MAX_IO; i++) {
    bool init = false;
    for (size_t k = 0; k < g->n_initializer; k++) {
      init = init || strcmp(g->initializer[k]->name, g->input[i]->name) == 0;
    }
    if (!init) snprintf(info->inputs[info->n_inputs++], 256, "%s", g->input[i]->name);
  }
  info->n_outputs = (int)g->n_output;
  info->in_scope = g->n_node > 0;
  for (size_t i = 0; i < g->n_node; i++) {
    const char* op = g->node[i]->op_type;
    if (!issue_op(op)) info->in_scope = false;
    if (strstr(info->ops, op) == NULL && strlen(info->ops) + strlen(op) + 2 < sizeof info->ops) {
      if (info->ops[0]) strcat(info->ops, ",");
      strcat(info->ops, op);
    }
  }
  ep_onnx__model_proto__free_unpacked(m, NULL);
  return true;
}

static bool close_enough(float got, float want) {
  if (isnan(want)) return isnan(got);
  if (isinf(want)) return got == want;
  return fabsf(got - want) <= 1e-5f + 1e-3f * fabsf(want);
}

typedef enum { R_PASS, R_FAIL, R_SKIP } result;

/* Runs one data set; writes the reason of a failure or skip into why. */
static result run_set(const char* model, const char* set_dir, const model_info* info, char* why,
                      size_t why_size) {
  ep_host_tensor ins[MAX_IO], outs[MAX_IO];
  memset(ins, 0, sizeof ins);
  memset(outs, 0, sizeof outs);
  int n_in = 0, n_out = 0;
  result r = R_PASS;
  ep_graph* g = NULL;
  ep_session* s = NULL;
  float* y = NULL;
  char path[1200];
  for (; n_in < MAX_IO; n_in++) {
    snprintf(path, sizeof path, "%s/input_%d.pb", set_dir, n_in);
    FILE* f = fopen(path, "rb");
    if (f == NULL) break;
    fclose(f);
    if (ep_tensor_file_read(path, &ins[n_in]) != EP_OK) {
      snprintf(why, why_size, "input %d is not a tensor edgeprof reads (sequence, optional, "
               "string): %s", n_in, ep_last_error());
      r = R_SKIP;
      goto done;
    }
    if (n_in < info->n_inputs) {
      free(ins[n_in].name);
      ins[n_in].name = strdup(info->inputs[n_in]);
    }
  }
  for (; n_out < MAX_IO; n_out++) {
    snprintf(path, sizeof path, "%s/output_%d.pb", set_dir, n_out);
    FILE* f = fopen(path, "rb");
    if (f == NULL) break;
    fclose(f);
    size_t size;
    uint8_t* d = read_file(path, &size);
    Onnx__TensorProto* t = d ? ep_onnx__tensor_proto__unpack(NULL, size, d) : NULL;
    free(d);
    /* float32, or the integer types and bool edgeprof runs as int64 and bool (int32 widened) */
    int32_t type = t != NULL ? t->data_type : 0;
    bool known = type == 1 || type == 6 || type == 7 || type == 9;
    if (t) ep_onnx__tensor_proto__free_unpacked(t, NULL);
    if (!known) {
      snprintf(why, why_size, "output %d is not float32, int64, int32 or bool", n_out);
      r = R_SKIP;
      goto done;
    }
    if (ep_tensor_file_read(path, &outs[n_out]) != EP_OK) {
      snprintf(why, why_size, "output %d: %s", n_out, ep_last_error());
      r = R_SKIP;
      goto done;
    }
  }
  ep_onnx_options options = {NULL, 0, ins, n_in};
  ep_status st = ep_onnx_load(model, &options, &g);
  if (st != EP_OK) {
    snprintf(why, why_size, "%s", ep_last_error());
    r = st == EP_ERR_UNSUPPORTED ? R_SKIP : R_FAIL;
    goto done;
  }
  ep_session_options so = {1, NULL, 0, NULL};
  st = ep_session_create(g, &so, &s);
  if (st != EP_OK) {
    snprintf(why, why_size, "session: %s", ep_last_error());
    r = R_FAIL;
    goto done;
  }
  for (int i = 0; i < ep_graph_input_count(g); i++) {
    const ep_tensor* t = ep_graph_tensor(g, ep_graph_input(g, i));
    const ep_host_tensor* x = NULL;
    for (int k = 0; k < n_in; k++) {
      if (ins[k].name != NULL && strcmp(ins[k].name, t->name) == 0) x = &ins[k];
    }
    size_t n = (size_t)ep_shape_numel(&t->shape);
    if (x == NULL || (x->dtype == EP_DTYPE_FLOAT32) != (t->dtype == EP_DTYPE_FLOAT32) ||
        (size_t)ep_shape_numel(&x->shape) != n) {
      snprintf(why, why_size, "no %s data of the right size for input %s",
               ep_dtype_name(t->dtype), t->name);
      r = R_FAIL;
      goto done;
    }
    if (t->dtype == EP_DTYPE_BOOL) { /* the file's bools are read as int64 */
      for (size_t k = 0; k < n; k++) ((uint8_t*)x->data)[k] = ((const int64_t*)x->data)[k] != 0;
    }
    ep_session_set_input_typed(s, i, t->dtype, x->data, n);
  }
  st = ep_session_run(s);
  if (st != EP_OK) {
    snprintf(why, why_size, "run: %s", ep_last_error());
    r = R_FAIL;
    goto done;
  }
  if (ep_graph_output_count(g) != n_out) {
    snprintf(why, why_size, "%d outputs, the test has %d", ep_graph_output_count(g), n_out);
    r = R_FAIL;
    goto done;
  }
  for (int i = 0; i < n_out; i++) {
    const ep_tensor* t = ep_graph_tensor(g, ep_graph_output(g, i));
    char a[96], b[96];
    if (!ep_shape_equal(&t->shape, &outs[i].shape)) {
      snprintf(why, why_size, "output %s: shape %s, expected %s", t->name,
               ep_shape_format(&t->shape, a, sizeof a), ep_shape_format(&outs[i].shape, b, sizeof b));
      r = R_FAIL;
      goto done;
    }
    size_t n = (size_t)ep_shape_numel(&t->shape);
    free(y);
    y = malloc(8 * (n ? n : 1));
    if ((t->dtype == EP_DTYPE_FLOAT32) != (outs[i].dtype == EP_DTYPE_FLOAT32)) {
      snprintf(why, why_size, "output %s is %s, expected %s", t->name, ep_dtype_name(t->dtype),
               outs[i].dtype == EP_DTYPE_FLOAT32 ? "float32" : "an integer or bool tensor");
      r = R_FAIL;
      goto done;
    }
    ep_session_get_output_typed(s, i, t->dtype, y, n);
    if (t->dtype != EP_DTYPE_FLOAT32) { /* exact; the file's integers and bools are int64 */
      const int64_t* want_i = outs[i].data;
      for (size_t k = 0; k < n; k++) {
        int64_t got = t->dtype == EP_DTYPE_BOOL ? ((const uint8_t*)y)[k] : ((const int64_t*)y)[k];
        if (got != want_i[k]) {
          snprintf(why, why_size, "output %s[%zu] = %lld, expected %lld", t->name, k,
                   (long long)got, (long long)want_i[k]);
          r = R_FAIL;
          goto done;
        }
      }
      continue;
    }
    const float* want = outs[i].data;
    for (size_t k = 0; k < n; k++) {
      if (!close_enough(y[k], want[k])) {
        snprintf(why, why_size, "output %s[%zu] = %.7g, expected %.7g", t->name, k, (double)y[k],
                 (double)want[k]);
        r = R_FAIL;
        goto done;
      }
    }
  }

done:
  free(y);
  ep_session_destroy(s);
  ep_graph_destroy(g);
  for (int i = 0; i < MAX_IO; i++) {
    ep_host_tensor_free(&ins[i]);
    ep_host_tensor_free(&outs[i]);
  }
  return r;
}

static int cmp_names(const void* a, const void* b) {
  return strcmp(*(char* const*)a, *(char* const*)b);
}

int main(int argc, char** argv) {
  const char* dir = argc > 1 ? argv[1] : getenv("EP_NODE_TESTS");
  if (dir == NULL) {
    printf("SKIP: no node-test folder (give it as the first argument or in EP_NODE_TESTS)\n");
    return 77;
  }
  const char* filter = argc > 2 ? argv[2] : NULL;
  bool verbose = getenv("EP_NODE_VERBOSE") != NULL;
  setvbuf(stdout, NULL, _IOLBF, 0);
  DIR* d = opendir(dir);
  if (d == NULL) {
    /* CTest's fixture writes it before this test runs: its absence is a failure there. */
    printf("FAIL: %s not found (tests/support/setup_python.sh writes it)\n", dir);
    return 1;
  }
  char** names = NULL;
  size_t n_names = 0, cap = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (strncmp(e->d_name, "test_", 5) != 0) continue;
    if (filter != NULL && strstr(e->d_name, filter) == NULL) continue;
    if (n_names == cap) {
      cap = cap ? cap * 2 : 256;
      names = realloc(names, cap * sizeof(char*));
    }
    names[n_names++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n_names, sizeof(char*), cmp_names);
  int passed = 0, failed = 0, skipped = 0, scope_total = 0, scope_passed = 0, scope_bad = 0,
      excepted = 0;
  for (size_t t = 0; t < n_names; t++) {
    char model[1024], set_dir[1100], why[1024] = "";
    snprintf(model, sizeof model, "%s/%s/model.onnx", dir, names[t]);
    model_info info;
    if (!read_model_info(model, &info)) {
      printf("FAIL %s: model.onnx does not parse\n", names[t]);
      failed++;
      continue;
    }
    result r = R_PASS;
    int sets = 0;
    for (int k = 0; k < 16 && r == R_PASS; k++) {
      snprintf(set_dir, sizeof set_dir, "%s/%s/test_data_set_%d", dir, names[t], k);
      DIR* sd = opendir(set_dir);
      if (sd == NULL) break;
      closedir(sd);
      sets++;
      r = run_set(model, set_dir, &info, why, sizeof why);
    }
    if (sets == 0) continue;
    if (info.in_scope) scope_total++;
    if (r == R_PASS) {
      passed++;
      if (info.in_scope) scope_passed++;
    } else if (r == R_FAIL) {
      failed++;
    } else {
      skipped++;
    }
    const char* reason = r != R_PASS && info.in_scope ? not_passing_reason(names[t]) : NULL;
    const char* what = r == R_FAIL ? "fails" : "skipped";
    if (r != R_PASS && info.in_scope && reason != NULL) {
      excepted++;
      if (verbose) printf("known: %s %s (%s): %s [%s]\n", names[t], what, info.ops, reason, why);
    } else if (r != R_PASS && info.in_scope) {
      scope_bad++;
      printf("FAIL %s (%s): %s%s\n", names[t], info.ops, r == R_SKIP ? "refused: " : "", why);
    } else if (r == R_FAIL) {
      printf("fail %s (%s, not an issue op): %s\n", names[t], info.ops, why);
    } else if (r == R_SKIP && verbose) {
      printf("skip %s (%s): %s\n", names[t], info.ops, why);
    }
    free(names[t]);
  }
  free(names);
  int stale = 0;
  for (size_t i = 0; i < N_NOT_PASSING && filter == NULL; i++) {
    if (not_passing_hits[i] == 0) {
      stale++;
      printf("FAIL stale entry %s (%s): every test it names passes or is gone\n",
             not_passing[i].pattern, not_passing[i].reason);
    }
  }
  printf("issue operators: %d of %d tests passed, %d do not for a listed reason, %d failed or "
         "refused\n", scope_passed, scope_total, excepted, scope_bad);
  printf("all node tests: %d passed, %d failed, %d skipped (EP_NODE_VERBOSE=1 lists why)\n",
         passed, failed, skipped);
  return scope_bad == 0 && stale == 0 ? 0 : 1;
}

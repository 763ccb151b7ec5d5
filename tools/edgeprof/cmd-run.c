/* edgeprof run MODEL: one inference on given (or seeded random) inputs; writes the outputs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "edgeprof/onnx.h"
#include "edgeprof/text.h"

#define MAX_FILES 16

/* Without --input, values of int64 inputs are in [0, N): N is the size of the axis a Gather
 * indexes with the input (token ids into an embedding table), else --int-range. */
#define DEFAULT_INT_RANGE 2

static uint64_t draw(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* From splitmix64, the same inputs for the same seed on every machine (and in
 * tests/conformance/ort_run.py): the top 24 bits u of each draw give a float u / 2^24 * 2 - 1
 * in [-1, 1), an int64 (u * N) >> 24 in [0, N), a bool the same with N = 2. */
static void fill_random(ep_dtype dtype, void* x, size_t n, uint64_t range, uint64_t* state) {
  for (size_t i = 0; i < n; i++) {
    uint64_t u = draw(state) >> 40;
    switch (dtype) {
      case EP_DTYPE_FLOAT32:
        ((float*)x)[i] = (float)((double)u / (double)(1ull << 24) * 2.0 - 1.0);
        break;
      case EP_DTYPE_INT64:
        ((int64_t*)x)[i] = (int64_t)((u * range) >> 24);
        break;
      case EP_DTYPE_BOOL:
        ((uint8_t*)x)[i] = (uint8_t)((u * 2) >> 24);
        break;
    }
  }
}

/* A file's values as the input's dtype: integers feed int64 and bool inputs (nonzero is true);
 * floats only float32 ones. False when they do not fit. */
static bool convert_input(const ep_host_tensor* x, ep_dtype dtype, void** data_out) {
  *data_out = x->data;
  if (x->dtype == dtype) return true;
  if (x->dtype != EP_DTYPE_INT64 || dtype != EP_DTYPE_BOOL) return false;
  size_t n = (size_t)ep_shape_numel(&x->shape);
  uint8_t* b = malloc(n ? n : 1);
  if (b == NULL) return false;
  for (size_t i = 0; i < n; i++) b[i] = ((const int64_t*)x->data)[i] != 0;
  *data_out = b;
  return true;
}

/* Element i as a double, for the summary line. */
static double value_at(ep_dtype dtype, const void* y, size_t i) {
  switch (dtype) {
    case EP_DTYPE_INT64: return (double)((const int64_t*)y)[i];
    case EP_DTYPE_BOOL: return ((const uint8_t*)y)[i];
    case EP_DTYPE_FLOAT32: break;
  }
  return ((const float*)y)[i];
}

/* Top-5 of the first row when the output looks like class scores: [.., C] with C >= 10 and at
 * most 64 rows. */
static void print_top5(const char* name, const ep_shape* s, const float* y) {
  if (s->rank < 1) return;
  int64_t classes = s->dims[s->rank - 1];
  if (classes < 10 || ep_shape_numel(s) / classes > 64) return;
  int best[5];
  int k = 0;
  for (int64_t c = 0; c < classes; c++) {
    int pos = k < 5 ? k++ : 5;
    if (pos == 5 && !(y[c] > y[best[4]])) continue;
    if (pos == 5) pos = 4;
    while (pos > 0 && y[c] > y[best[pos - 1]]) {
      best[pos] = best[pos - 1];
      pos--;
    }
    best[pos] = (int)c;
  }
  char safe[256];
  printf("top-5 of %s (row 0):", ep_text_escape_controls(name, safe, sizeof safe));
  for (int i = 0; i < k; i++) printf("%s %d (%.6g)", i ? "," : "", best[i], (double)y[best[i]]);
  printf("\n");
}

static int run(const cli_args* a, const char** in_files, int n_in, const char** out_files,
               int n_out, int int_range) {
  const char* model = a->positional[0];
  ep_graph* graph = NULL;
  ep_session* session = NULL;
  ep_host_tensor inputs[MAX_FILES];
  ep_output* outs[MAX_FILES] = {NULL};
  void* buf = NULL;
  int rc = CLI_EXIT_OK;
  memset(inputs, 0, sizeof inputs);
  for (int i = 0; i < n_out && rc == CLI_EXIT_OK; i++) rc = cli_output_open("run", out_files[i], &outs[i]);
  for (int i = 0; i < n_in && rc == CLI_EXIT_OK; i++) {
    ep_status st = ep_tensor_file_read(in_files[i], &inputs[i]);
    if (st != EP_OK) rc = cli_fail(CLI_EXIT_USAGE, "run: --input: %s", ep_last_error());
  }
  if (rc != CLI_EXIT_OK) goto cleanup;
  rc = cli_load_model("run", model, a->seed, NULL, &graph);
  if (rc != CLI_EXIT_OK) goto cleanup;
  int gin = ep_graph_input_count(graph), gout = ep_graph_output_count(graph);
  if (n_in > 0 && n_in != gin) {
    rc = cli_fail(CLI_EXIT_USAGE, "run: %s has %d input%s, %d --input given", model, gin,
                  gin == 1 ? "" : "s", n_in);
    goto cleanup;
  }
  if (n_out > gout) {
    rc = cli_fail(CLI_EXIT_USAGE, "run: %s has %d output%s, %d --output given", model, gout,
                  gout == 1 ? "" : "s", n_out);
    goto cleanup;
  }
  ep_session_options options = {a->threads, NULL, 0, a->backend};
  ep_status st = ep_session_create_consuming(graph, &options, &session); /* the graph serves it alone */
  if (st != EP_OK) {
    rc = cli_fail(cli_exit_code(st), "run: %s", ep_last_error());
    goto cleanup;
  }
  uint64_t state = a->seed;
  for (int i = 0; i < gin; i++) {
    const ep_tensor* t = ep_graph_tensor(graph, ep_graph_input(graph, i));
    size_t n = (size_t)ep_shape_numel(&t->shape);
    char want[96], got[96];
    if (n_in == 0) {
      int64_t bound = ep_graph_index_bound(graph, ep_graph_input(graph, i));
      fill_random(t->dtype, ep_session_tensor_data(session, ep_graph_input(graph, i)), n,
                  bound > 0 ? (uint64_t)bound : (uint64_t)int_range, &state);
      continue;
    }
    /* A file that names an input (ONNX .pb) feeds that input; others go in order. */
    const ep_host_tensor* x = &inputs[i];
    for (int k = 0; k < n_in; k++) {
      if (inputs[k].name != NULL && strcmp(inputs[k].name, t->name) == 0) x = &inputs[k];
    }
    void* data = NULL;
    if (!ep_shape_equal(&x->shape, &t->shape) || !convert_input(x, t->dtype, &data)) {
      rc = cli_fail(CLI_EXIT_USAGE, "run: input %s needs %s %s, the file holds %s %s", t->name,
                    ep_dtype_name(t->dtype), ep_shape_format(&t->shape, want, sizeof want),
                    x->dtype == EP_DTYPE_FLOAT32 ? "float32" : "integers",
                    ep_shape_format(&x->shape, got, sizeof got));
      goto cleanup;
    }
    st = ep_session_set_input_typed(session, i, t->dtype, data, n);
    if (data != x->data) free(data);
    if (st != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "run: %s", ep_last_error());
      goto cleanup;
    }
  }
  double t0 = ep_now();
  st = ep_session_run(session);
  double ms = (ep_now() - t0) * 1e3;
  if (st != EP_OK) {
    rc = cli_fail(CLI_EXIT_RUNTIME, "run: %s", ep_last_error());
    goto cleanup;
  }
  printf("%s: ran once in %.3f ms (%s backend, %d thread%s, %s inputs)\n", model, ms,
         ep_session_backend(session), a->threads, a->threads == 1 ? "" : "s",
         n_in ? "given" : "seeded random");
  for (int i = 0; i < gout; i++) {
    const ep_tensor* t = ep_graph_tensor(graph, ep_graph_output(graph, i));
    size_t n = (size_t)ep_shape_numel(&t->shape);
    free(buf);
    buf = malloc(ep_dtype_size(t->dtype) * (n ? n : 1));
    if (buf == NULL) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "run: out of memory");
      goto cleanup;
    }
    st = ep_session_get_output_typed(session, i, t->dtype, buf, n);
    if (st != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "run: %s", ep_last_error());
      goto cleanup;
    }
    char shape[96];
    double sum = 0, amax = 0;
    for (size_t k = 0; k < n; k++) {
      double v = value_at(t->dtype, buf, k);
      sum += v;
      if (fabs(v) > amax) amax = fabs(v);
    }
    char safe[256];
    printf("output %s: %s%s%s, sum %.6g, max |y| %.6g\n",
           ep_text_escape_controls(t->name, safe, sizeof safe),
           t->dtype == EP_DTYPE_FLOAT32 ? "" : ep_dtype_name(t->dtype),
           t->dtype == EP_DTYPE_FLOAT32 ? "" : " ",
           ep_shape_format(&t->shape, shape, sizeof shape), sum, amax);
    if (i == 0 && t->dtype == EP_DTYPE_FLOAT32) print_top5(t->name, &t->shape, buf);
    if (i < n_out) {
      uint8_t* bytes;
      size_t size;
      st = ep_tensor_file_encode_typed(out_files[i], t->name, t->dtype, &t->shape, buf, &bytes,
                                       &size);
      if (st != EP_OK) {
        rc = cli_fail(CLI_EXIT_RUNTIME, "run: %s", ep_last_error());
        goto cleanup;
      }
      size_t written = fwrite(bytes, 1, size, ep_output_stream(outs[i]));
      free(bytes);
      if (written != size) {
        rc = cli_fail(CLI_EXIT_RUNTIME, "run: cannot write %s", out_files[i]);
        goto cleanup;
      }
      rc = cli_output_commit("run", outs[i]);
      outs[i] = NULL;
      if (rc != CLI_EXIT_OK) goto cleanup;
    }
  }

cleanup:
  for (int i = 0; i < MAX_FILES; i++) {
    cli_output_discard(outs[i]);
    ep_host_tensor_free(&inputs[i]);
  }
  free(buf);
  ep_session_destroy(session);
  ep_graph_destroy(graph);
  return rc;
}

int cmd_run(int argc, char** argv) {
  const char* in_files[MAX_FILES];
  const char* out_files[MAX_FILES];
  int n_in = 0, n_out = 0, int_range = DEFAULT_INT_RANGE;
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      {.name = "--input", .kind = CLI_LIST, .target = in_files, .count = &n_in,
       .max_count = MAX_FILES, .metavar = "FILE",
       .help = "a graph input, in order (an ONNX .pb naming an input feeds that input):\n"
               "NumPy .npy (float32, float64, int64, int32 or bool: floats feed float\n"
               "inputs, integers int64 and bool ones) or ONNX TensorProto .pb. Without\n"
               "--input: seeded by --seed, uniform in [-1, 1) for float inputs, in\n"
               "[0, N) for int64 ones (N: see --int-range), 0 or 1 for bool ones"},
      {.name = "--int-range", .kind = CLI_INT, .target = &int_range, .min = 1,
       .max = 1 << 30, .metavar = "N",
       .help = "seeded int64 inputs take values in [0, N) (default 2: masks); an input\n"
               "that a Gather reads as indices takes [0, the gathered axis' size)"},
      {.name = "--output", .kind = CLI_LIST, .target = out_files, .count = &n_out,
       .max_count = MAX_FILES, .metavar = "FILE",
       .help = "where the i-th output goes: .pb gives an ONNX TensorProto, anything\n"
               "else .npy (C order, the output's dtype: float32, int64 or bool)"},
      CLI_OPTION_SHAPE(&args),
      CLI_OPTION_THREADS(&args),
      CLI_OPTION_BACKEND(&args),
      CLI_OPTION_SEED(&args),
      CLI_OPTION_NO_FUSE(&args),
  };
  int rc = cli_parse("run", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE, "run: %s (usage: edgeprof run MODEL [--input FILE ...])",
                    args.n_positional == 0 ? "missing MODEL" : "one MODEL at a time");
  }
  rc = cli_check_backends("run", args.backend, false);
  if (rc != CLI_EXIT_OK) return rc;
  return run(&args, in_files, n_in, out_files, n_out, int_range);
}

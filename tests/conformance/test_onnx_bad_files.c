/* Bad ONNX files: each is written here with the protobuf-c API (or as raw bytes), loaded, and
 * must give the expected status with a message naming the file and the reason; never a crash.
 * With EP_CLI set (ctest sets it), the CLI must exit 2 with one "edgeprof: " line on stderr.
 * Also: external data inside the model's folder loads; tensor files (.npy, .pb) round-trip. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edgeprof/onnx.h"
#include "onnx.pb-c.h"
#include "test_support.h"

static char dir[] = "/tmp/edgeprof-badfiles.XXXXXX";

/* --- building small models ------------------------------------------------------------------ */

typedef struct model {
  Onnx__ModelProto m;
  Onnx__GraphProto g;
  Onnx__OperatorSetIdProto opset;
  Onnx__OperatorSetIdProto* opsets[1];
  Onnx__NodeProto nodes[4];
  Onnx__NodeProto* node_ptrs[4];
  char* node_in[4][3];
  char* node_out[4][1];
  Onnx__TensorProto inits[2];
  Onnx__TensorProto* init_ptrs[2];
  int64_t dims[2][2];
  float w[12], b[3];
  Onnx__ValueInfoProto in, out;
  Onnx__ValueInfoProto* in_ptrs[1];
  Onnx__ValueInfoProto* out_ptrs[1];
  Onnx__TypeProto in_t, out_t;
  Onnx__TypeProto__Tensor in_tt, out_tt;
  Onnx__TensorShapeProto in_s;
  Onnx__TensorShapeProto__Dimension in_d[2];
  Onnx__TensorShapeProto__Dimension* in_dp[2];
  Onnx__AttributeProto trans_b;
  Onnx__AttributeProto* attrs[1];
  Onnx__StringStringEntryProto ext[3];
  Onnx__StringStringEntryProto* ext_ptrs[3];
} model;

static void set_node(model* md, int i, const char* op, const char* a, const char* b,
                     const char* c, const char* y) {
  Onnx__NodeProto* n = &md->nodes[i];
  ep_onnx__node_proto__init(n);
  n->op_type = (char*)op;
  n->name = (char*)y;
  md->node_in[i][0] = (char*)a;
  md->node_in[i][1] = (char*)b;
  md->node_in[i][2] = (char*)c;
  n->input = md->node_in[i];
  n->n_input = c ? 3 : b ? 2 : 1;
  md->node_out[i][0] = (char*)y;
  n->output = md->node_out[i];
  n->n_output = 1;
  md->node_ptrs[i] = n;
}

/* x [1, 4] -> Gemm(W [3, 4], B [3], transB) -> h -> Relu -> y [1, 3]. */
static void base_model(model* md) {
  memset(md, 0, sizeof *md);
  ep_onnx__model_proto__init(&md->m);
  ep_onnx__graph_proto__init(&md->g);
  ep_onnx__operator_set_id_proto__init(&md->opset);
  md->opset.domain = (char*)"";
  md->opset.has_version = true;
  md->opset.version = 13;
  md->opsets[0] = &md->opset;
  md->m.has_ir_version = true;
  md->m.ir_version = 7;
  md->m.opset_import = md->opsets;
  md->m.n_opset_import = 1;
  md->m.graph = &md->g;
  md->g.name = (char*)"bad";
  set_node(md, 0, "Gemm", "x", "W", "B", "h");
  set_node(md, 1, "Relu", "h", NULL, NULL, "y");
  ep_onnx__attribute_proto__init(&md->trans_b);
  md->trans_b.name = (char*)"transB";
  md->trans_b.has_type = true;
  md->trans_b.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  md->trans_b.has_i = true;
  md->trans_b.i = 1;
  md->attrs[0] = &md->trans_b;
  md->nodes[0].attribute = md->attrs;
  md->nodes[0].n_attribute = 1;
  md->g.node = md->node_ptrs;
  md->g.n_node = 2;
  for (int i = 0; i < 12; i++) md->w[i] = (float)i / 10.0f - 0.5f;
  for (int i = 0; i < 3; i++) md->b[i] = (float)i;
  const char* names[2] = {"W", "B"};
  for (int i = 0; i < 2; i++) {
    Onnx__TensorProto* t = &md->inits[i];
    ep_onnx__tensor_proto__init(t);
    t->name = (char*)names[i];
    t->has_data_type = true;
    t->data_type = 1;
    t->dims = md->dims[i];
    t->has_raw_data = true;
    md->init_ptrs[i] = t;
  }
  md->dims[0][0] = 3;
  md->dims[0][1] = 4;
  md->inits[0].n_dims = 2;
  md->inits[0].raw_data.data = (uint8_t*)md->w;
  md->inits[0].raw_data.len = sizeof md->w;
  md->dims[1][0] = 3;
  md->inits[1].n_dims = 1;
  md->inits[1].raw_data.data = (uint8_t*)md->b;
  md->inits[1].raw_data.len = sizeof md->b;
  md->g.initializer = md->init_ptrs;
  md->g.n_initializer = 2;
  /* Input x [batch, 4] with a symbolic batch; output y. */
  ep_onnx__value_info_proto__init(&md->in);
  ep_onnx__type_proto__init(&md->in_t);
  ep_onnx__type_proto__tensor__init(&md->in_tt);
  ep_onnx__tensor_shape_proto__init(&md->in_s);
  for (int d = 0; d < 2; d++) {
    ep_onnx__tensor_shape_proto__dimension__init(&md->in_d[d]);
    md->in_dp[d] = &md->in_d[d];
  }
  md->in_d[0].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
  md->in_d[0].dim_param = (char*)"batch";
  md->in_d[1].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  md->in_d[1].dim_value = 4;
  md->in_s.dim = md->in_dp;
  md->in_s.n_dim = 2;
  md->in_tt.has_elem_type = true;
  md->in_tt.elem_type = 1;
  md->in_tt.shape = &md->in_s;
  md->in_t.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  md->in_t.tensor_type = &md->in_tt;
  md->in.name = (char*)"x";
  md->in.type = &md->in_t;
  md->in_ptrs[0] = &md->in;
  md->g.input = md->in_ptrs;
  md->g.n_input = 1;
  ep_onnx__value_info_proto__init(&md->out);
  md->out.name = (char*)"y";
  md->out_ptrs[0] = &md->out;
  md->g.output = md->out_ptrs;
  md->g.n_output = 1;
}

static void write_bytes(const char* name, const void* data, size_t size) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE* f = fopen(path, "wb");
  if (f == NULL || fwrite(data, 1, size, f) != size) {
    perror(path);
    exit(1);
  }
  fclose(f);
}

static void write_model(const char* name, model* md) {
  size_t size = ep_onnx__model_proto__get_packed_size(&md->m);
  uint8_t* buf = malloc(size);
  ep_onnx__model_proto__pack(&md->m, buf);
  write_bytes(name, buf, size);
  free(buf);
}

/* Moves W (initializer 0) to external data: the keys whose value is not NULL, in the order
 * location, offset, length. */
static void set_external(model* md, const char* location, const char* offset, const char* length) {
  Onnx__TensorProto* t = &md->inits[0];
  t->has_raw_data = false;
  t->has_data_location = true;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  const char* keys[3] = {"location", "offset", "length"};
  const char* values[3] = {location, offset, length};
  size_t n = 0;
  for (int i = 0; i < 3; i++) {
    if (values[i] == NULL) continue;
    ep_onnx__string_string_entry_proto__init(&md->ext[n]);
    md->ext[n].key = (char*)keys[i];
    md->ext[n].value = (char*)values[i];
    md->ext_ptrs[n] = &md->ext[n];
    n++;
  }
  t->external_data = md->ext_ptrs;
  t->n_external_data = n;
}

/* --- checks ---------------------------------------------------------------------------------- */

/* Loads dir/name: expects `want` and a message holding the file name and `phrase`. */
static void expect(const char* name, ep_status want, const char* phrase) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  ep_graph* g = NULL;
  ep_status st = ep_onnx_load(path, NULL, &g);
  const char* msg = ep_last_error();
  EP_CHECK_MSG(st == want, "%s: status %s, expected %s (%s)", name, ep_status_name(st),
               ep_status_name(want), msg);
  if (want != EP_OK) {
    EP_CHECK_MSG(g == NULL, "%s: graph written on failure", name);
    EP_CHECK_MSG(strstr(msg, name) != NULL, "%s: the message does not name the file: %s", name, msg);
    EP_CHECK_MSG(strstr(msg, phrase) != NULL, "%s: the message lacks '%s': %s", name, phrase, msg);
    printf("%-28s %s\n", name, msg);
  }
  ep_graph_destroy(g);
  /* The same bytes from memory (the fuzzer's path). */
  FILE* f = fopen(path, "rb");
  if (f != NULL) {
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    g = NULL;
    st = ep_onnx_load_buffer(buf, n, name, dir, NULL, &g);
    EP_CHECK_MSG(st == want, "%s (from memory): status %s", name, ep_status_name(st));
    ep_graph_destroy(g);
  }
}

/* The CLI on that file: exit 2, one line on stderr. */
static void expect_cli(const char* name) {
  const char* cli = getenv("EP_CLI");
  if (cli == NULL) return;
  char cmd[1400];
  snprintf(cmd, sizeof cmd, "'%s' info '%s/%s' >'%s/stdout' 2>'%s/stderr'", cli, dir, name, dir, dir);
  int rc = system(cmd);
  int code = WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
  char path[600], line[4096];
  snprintf(path, sizeof path, "%s/stderr", dir);
  FILE* f = fopen(path, "r");
  int lines = 0;
  bool prefix = false;
  while (f != NULL && fgets(line, sizeof line, f) != NULL) {
    if (lines++ == 0) prefix = strncmp(line, "edgeprof: ", 10) == 0;
  }
  if (f != NULL) fclose(f);
  EP_CHECK_MSG(code == 2, "edgeprof info %s: exit %d, expected 2", name, code);
  EP_CHECK_MSG(lines == 1 && prefix, "edgeprof info %s: %d lines on stderr", name, lines);
}

int main(void) {
  if (mkdtemp(dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  model md;

  base_model(&md);
  write_model("good.onnx", &md);
  expect("good.onnx", EP_OK, "");

  /* Truncated, empty, random bytes, a directory. */
  {
    size_t size = ep_onnx__model_proto__get_packed_size(&md.m);
    uint8_t* buf = malloc(size);
    ep_onnx__model_proto__pack(&md.m, buf);
    write_bytes("truncated.onnx", buf, size / 2);
    free(buf);
    write_bytes("empty.onnx", "", 0);
    ep_test_rng rng = {2018};
    uint8_t noise[1000];
    for (size_t i = 0; i < sizeof noise; i++) noise[i] = (uint8_t)ep_test_rng_next(&rng);
    write_bytes("random.onnx", noise, sizeof noise);
  }
  expect("truncated.onnx", EP_ERR_FORMAT, "not an ONNX model");
  expect("empty.onnx", EP_ERR_FORMAT, "no graph");
  expect("random.onnx", EP_ERR_FORMAT, "not an ONNX model");

  /* Data shorter than the dims say: raw_data and typed fields. */
  base_model(&md);
  md.inits[0].raw_data.len = 40;
  write_model("short_raw.onnx", &md);
  expect("short_raw.onnx", EP_ERR_FORMAT, "raw_data has 40 bytes");
  base_model(&md);
  md.inits[0].has_raw_data = false;
  md.inits[0].float_data = md.w;
  md.inits[0].n_float_data = 5;
  write_model("short_typed.onnx", &md);
  expect("short_typed.onnx", EP_ERR_FORMAT, "float_data has 5 values");

  /* Negative and overflowing dims. */
  base_model(&md);
  md.dims[0][0] = -3;
  write_model("negative_dim.onnx", &md);
  expect("negative_dim.onnx", EP_ERR_FORMAT, "negative dim");
  base_model(&md);
  md.dims[0][0] = INT64_C(1) << 40;
  md.dims[0][1] = INT64_C(1) << 40;
  write_model("overflow_dims.onnx", &md);
  expect("overflow_dims.onnx", EP_ERR_FORMAT, "overflow");

  /* A cycle: Gemm reads y, which Relu makes from h. */
  base_model(&md);
  md.node_in[0][0] = (char*)"y";
  write_model("cycle.onnx", &md);
  expect("cycle.onnx", EP_ERR_FORMAT, "cycle");

  /* Required inputs given as empty names (found by the fuzzer: Size read a NULL input). */
  base_model(&md);
  set_node(&md, 1, "Size", "", "h", NULL, "y");
  write_model("size_empty_input.onnx", &md);
  expect("size_empty_input.onnx", EP_ERR_FORMAT, "input 0 is missing");
  base_model(&md);
  set_node(&md, 1, "Shape", "", NULL, NULL, "y");
  md.nodes[1].n_input = 1;
  write_model("shape_empty_input.onnx", &md);
  expect("shape_empty_input.onnx", EP_ERR_FORMAT, "Shape needs 1");
  base_model(&md);
  set_node(&md, 1, "Gather", "W", "", NULL, "y");
  write_model("gather_empty_indices.onnx", &md);
  expect("gather_empty_indices.onnx", EP_ERR_FORMAT, "Gather needs 2");

  /* A missing initializer, a missing input. */
  base_model(&md);
  md.g.n_initializer = 1; /* B is gone */
  write_model("missing_initializer.onnx", &md);
  expect("missing_initializer.onnx", EP_ERR_FORMAT, "input B is not");
  base_model(&md);
  md.g.n_input = 0;
  write_model("missing_input.onnx", &md);
  expect("missing_input.onnx", EP_ERR_FORMAT, "input x is not");

  /* External data: outside the folder (.., absolute, a symlink), then inside. */
  {
    char outside[600], link_path[600];
    snprintf(outside, sizeof outside, "%s.outside.bin", dir);
    FILE* f = fopen(outside, "wb");
    fwrite(md.w, 1, sizeof md.w, f);
    fclose(f);
    const char* locations[4] = {NULL, "/etc/passwd", "link.bin", "weights.bin"};
    char up[600];
    const char* base = strrchr(outside, '/') + 1;
    snprintf(up, sizeof up, "../%s", base);
    locations[0] = up;
    snprintf(link_path, sizeof link_path, "%s/link.bin", dir);
    if (symlink(outside, link_path) != 0) perror("symlink");
    float stored[16] = {0};
    memcpy(stored + 4, md.w, sizeof md.w); /* at offset 16 bytes */
    write_bytes("weights.bin", stored, sizeof stored);
    const char* files[4] = {"external_dotdot.onnx", "external_absolute.onnx",
                            "external_symlink.onnx", "external_ok.onnx"};
    for (int i = 0; i < 4; i++) {
      base_model(&md);
      set_external(&md, locations[i], i == 3 ? "16" : "0", NULL);
      write_model(files[i], &md);
    }
    expect("external_dotdot.onnx", EP_ERR_FORMAT, "leaves the model's folder");
    expect("external_absolute.onnx", EP_ERR_FORMAT, "is absolute");
    expect("external_symlink.onnx", EP_ERR_FORMAT, "leaves the model's folder");
    expect("external_ok.onnx", EP_OK, "");
    /* The keys torch and onnx write for a model over 2 GiB: location, offset and length; a
     * file of the data in a subfolder. */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/data", dir);
    if (mkdir(sub, 0700) != 0) perror(sub);
    write_bytes("data/weights.bin", stored, sizeof stored);
    base_model(&md);
    set_external(&md, "data/weights.bin", "16", "48");
    write_model("external_ok_length.onnx", &md);
    expect("external_ok_length.onnx", EP_OK, "");
    const char* loaded[2] = {"external_ok.onnx", "external_ok_length.onnx"};
    for (int i = 0; i < 2; i++) {
      ep_graph* g = NULL;
      char path[600];
      snprintf(path, sizeof path, "%s/%s", dir, loaded[i]);
      if (ep_onnx_load(path, NULL, &g) == EP_OK) {
        const ep_tensor* w = ep_graph_tensor(g, ep_graph_find_tensor(g, "W"));
        EP_CHECK_MSG(w != NULL && memcmp(w->data, md.w, sizeof md.w) == 0, "%s: W differs",
                     loaded[i]);
      }
      ep_graph_destroy(g);
    }
    /* Bad keys: each one clear error naming the model, the tensor and the file. W needs 48
     * bytes; weights.bin holds 64. */
    struct {
      const char *file, *location, *offset, *length, *phrase;
    } bad[] = {
        {"external_missing.onnx", "absent.bin", "0", "48", "external data file 'absent.bin' not found"},
        {"external_no_location.onnx", NULL, "0", "48", "tensor W: external data without a location"},
        {"external_empty_location.onnx", "", "0", NULL, "without a location"},
        {"external_offset_past_end.onnx", "weights.bin", "1000", "48",
         "external data 'weights.bin' holds 64 bytes, the tensor needs 48 at offset 1000"},
        {"external_offset_short.onnx", "weights.bin", "32", NULL,
         "holds 64 bytes, the tensor needs 48 at offset 32"},
        {"external_offset_text.onnx", "weights.bin", "16x", NULL, "external data offset '16x' is not a number"},
        {"external_offset_negative.onnx", "weights.bin", "-16", NULL, "offset '-16' is not a number"},
        {"external_offset_huge.onnx", "weights.bin", "99999999999999999999", NULL, "is not a number"},
        {"external_offset_max.onnx", "weights.bin", "9223372036854775807", NULL,
         "the tensor needs 48 at offset 9223372036854775807"},
        {"external_length_short.onnx", "weights.bin", "16", "40", "external data length 40, but the dims need 48 bytes"},
        {"external_length_long.onnx", "weights.bin", "16", "4096", "external data length 4096"},
        {"external_length_empty.onnx", "weights.bin", "16", "", "length '' is not a number"},
        {"external_directory.onnx", "data", "0", NULL, "external data 'data' is not a regular file"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
      base_model(&md);
      set_external(&md, bad[i].location, bad[i].offset, bad[i].length);
      write_model(bad[i].file, &md);
      expect(bad[i].file, EP_ERR_FORMAT, bad[i].phrase);
    }
    unlink(link_path);
    unlink(outside);
  }

  /* Unsupported nodes: every one is listed, with op type, domain and opset. */
  base_model(&md);
  set_node(&md, 1, "FooBar", "h", NULL, NULL, "z");
  set_node(&md, 2, "Relu", "z", NULL, NULL, "y");
  set_node(&md, 3, "Gelu", "h", NULL, NULL, "unused");
  md.nodes[3].domain = (char*)"com.example";
  md.g.n_node = 4;
  write_model("unsupported.onnx", &md);
  expect("unsupported.onnx", EP_ERR_UNSUPPORTED, "2 unsupported nodes: z (FooBar, ai.onnx, opset 13)");
  expect("unsupported.onnx", EP_ERR_UNSUPPORTED, "unused (Gelu, com.example, opset 13)");
  base_model(&md);
  md.opset.version = 6;
  write_model("opset6.onnx", &md);
  expect("opset6.onnx", EP_ERR_UNSUPPORTED, "opset 6");
  /* The newest opset edgeprof knows loads; the next one is refused, by number. */
  md.opset.version = 28;
  write_model("opset28.onnx", &md);
  expect("opset28.onnx", EP_OK, "");
  md.opset.version = 29;
  write_model("opset29.onnx", &md);
  expect("opset29.onnx", EP_ERR_UNSUPPORTED, "opset 29 is not supported (7 to 28)");

  /* Wrong shapes: the bias does not fit. */
  base_model(&md);
  md.dims[1][0] = 2;
  md.inits[1].raw_data.len = 8;
  write_model("bad_bias.onnx", &md);
  expect("bad_bias.onnx", EP_ERR_FORMAT, "");

  const char* cli_cases[] = {"truncated.onnx", "random.onnx", "short_raw.onnx",
                             "negative_dim.onnx", "overflow_dims.onnx", "cycle.onnx",
                             "missing_initializer.onnx", "external_dotdot.onnx",
                             "external_missing.onnx", "external_offset_past_end.onnx",
                             "unsupported.onnx", "opset6.onnx", "opset29.onnx"};
  for (size_t i = 0; i < sizeof cli_cases / sizeof cli_cases[0]; i++) expect_cli(cli_cases[i]);

  /* Tensor files: .npy and .pb round-trip; bad ones are refused. */
  {
    float x[6] = {1, -2, 3.5f, 4, 5, 6};
    ep_shape s = ep_shape_make(2, (int64_t[]){2, 3});
    const char* names[2] = {"t.npy", "t.pb"};
    for (int i = 0; i < 2; i++) {
      char path[600];
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      EP_CHECK_OK(ep_tensor_file_write(path, "x", &s, x));
      ep_host_tensor t;
      EP_CHECK_OK(ep_tensor_file_read(path, &t));
      EP_CHECK(t.dtype == EP_DTYPE_FLOAT32 && ep_shape_equal(&t.shape, &s) &&
               memcmp(t.data, x, sizeof x) == 0);
      if (i == 1) EP_CHECK(t.name != NULL && strcmp(t.name, "x") == 0);
      ep_host_tensor_free(&t);
    }
    char path[600];
    snprintf(path, sizeof path, "%s/t.npy", dir);
    FILE* f = fopen(path, "r+b");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    EP_CHECK(truncate(path, size - 4) == 0);
    ep_host_tensor t;
    EP_CHECK(ep_tensor_file_read(path, &t) == EP_ERR_FORMAT);
    snprintf(path, sizeof path, "%s/random.onnx", dir);
    EP_CHECK(ep_tensor_file_read(path, &t) != EP_OK);
  }

  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
  return ep_test_finish();
}

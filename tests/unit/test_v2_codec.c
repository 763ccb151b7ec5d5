/* The KServe v2 body codec (src/net/v2_codec.c): requests and responses written and read back bit
 * for bit in JSON and binary (negative zero, denormals, extremes), nested JSON data, and every
 * malformed body refused with a reason, never read past its end (random mutations of valid
 * bodies too; the sanitizer build checks the reads). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/v2_codec.h"
#include "test_support.h"

static const float values[6] = {0.1f, -0.0f, 1e-45f, 3.4028235e38f, -1.17549435e-38f, 42.0f};

static void round_trip(bool request, bool binary) {
  ep_shape shape = {2, {2, 3}};
  v2_out out[2] = {{"a/b", shape, values, binary}, {"second", {1, {6}}, values, !binary}};
  ep_net_buf buf;
  ep_net_buf_init(&buf);
  size_t header = 0;
  char why[300];
  EP_CHECK(ep_v2_write(&buf, request, "m", "id-1", out, 2, binary, &header, why, sizeof why));
  v2_message m;
  bool ok = ep_v2_parse(buf.data, buf.length, header < buf.length ? (long long)header : -1, request,
                        &m, why, sizeof why);
  EP_CHECK_MSG(ok, "%s", why);
  if (ok) {
    EP_CHECK(m.n_tensors == 2 && strcmp(m.id, "id-1") == 0);
    EP_CHECK(strcmp(m.tensors[0].name, "a/b") == 0 && m.tensors[0].numel == 6);
    EP_CHECK(ep_shape_equal(&m.tensors[0].shape, &shape));
    EP_CHECK(memcmp(m.tensors[0].data, values, sizeof values) == 0);
    EP_CHECK(memcmp(m.tensors[1].data, values, sizeof values) == 0);
    if (request) EP_CHECK(m.binary_output == binary);
    if (!request) EP_CHECK(strcmp(m.model_name, "m") == 0);
    ep_v2_message_free(&m);
  }
  ep_net_buf_free(&buf);
}

/* A body that must be refused; `why` must say something. */
static void refused(const char* json, const void* binary, size_t binary_size, long long header) {
  size_t n = strlen(json);
  uint8_t* body = malloc(n + binary_size + 1);
  memcpy(body, json, n);
  if (binary_size > 0) memcpy(body + n, binary, binary_size);
  v2_message m;
  char why[300] = "";
  bool ok = ep_v2_parse(body, n + binary_size, header, true, &m, why, sizeof why);
  EP_CHECK_MSG(!ok && why[0] != '\0', "accepted: %s", json);
  if (ok) ep_v2_message_free(&m);
  free(body);
}

int main(void) {
  for (int request = 0; request < 2; request++) {
    round_trip(request, false);
    round_trip(request, true);
  }
  /* Nested data and a requested output. */
  const char* nested = "{\"inputs\":[{\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"FP32\","
                       "\"data\":[[1,2],[3,4.5]]}],\"outputs\":[{\"name\":\"y\",\"parameters\":"
                       "{\"binary_data\":true}}]}";
  v2_message m;
  char why[300];
  EP_CHECK(ep_v2_parse((const uint8_t*)nested, strlen(nested), -1, true, &m, why, sizeof why));
  EP_CHECK(m.n_tensors == 1 && m.tensors[0].data[3] == 4.5f && m.n_wanted == 1 && m.wanted[0].binary);
  ep_v2_message_free(&m);

  float four[4] = {1, 2, 3, 4};
  const char* bin1 = "{\"inputs\":[{\"name\":\"x\",\"shape\":[4],\"datatype\":\"FP32\","
                     "\"parameters\":{\"binary_data_size\":16}}]}";
  refused("not json", NULL, 0, -1);
  refused("[1,2]", NULL, 0, -1);
  refused("{\"inputs\":[]}", NULL, 0, -1);
  refused("{\"inputs\":[{\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1]}]}", NULL, 0, -1);
  refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT64\",\"data\":[1]}]}", NULL, 0, -1);
  refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[-1],\"datatype\":\"FP32\",\"data\":[]}]}", NULL, 0, -1);
  refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[1.5],\"datatype\":\"FP32\",\"data\":[1]}]}", NULL, 0, -1);
  refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[1,1,1,1,1,1,1],\"datatype\":\"FP32\",\"data\":[1]}]}",
          NULL, 0, -1);
  /* A shape far beyond the body: refused before any allocation. */
  refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[4294967296,4294967296,4294967296],"
          "\"datatype\":\"FP32\",\"data\":[1]}]}", NULL, 0, -1);
  refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[3],\"datatype\":\"FP32\",\"data\":[1,2]}]}", NULL, 0, -1);
  refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":[1,2]}]}", NULL, 0, -1);
  refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[2],\"datatype\":\"FP32\",\"data\":[1,\"2\"]}]}", NULL, 0, -1);
  refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\"}]}", NULL, 0, -1);
  refused(bin1, four, 12, (long long)strlen(bin1));     /* binary cut short */
  refused(bin1, four, 16, (long long)strlen(bin1) + 20); /* header longer than the body */
  float five[5] = {1, 2, 3, 4, 5};
  refused(bin1, five, 20, (long long)strlen(bin1)); /* bytes nobody claims */
  refused("{\"inputs\":[{\"name\":\"x\",\"shape\":[4],\"datatype\":\"FP32\","
          "\"parameters\":{\"binary_data_size\":12}}]}", four, 12, -1); /* size != shape, JSON only */
  /* The binary one read back. */
  size_t n = strlen(bin1);
  uint8_t body[256];
  memcpy(body, bin1, n);
  memcpy(body + n, four, 16); /* little-endian host: the test machine's bytes are the wire's */
  EP_CHECK(ep_v2_parse(body, n + 16, (long long)n, true, &m, why, sizeof why));
  EP_CHECK(m.n_tensors == 1 && memcmp(m.tensors[0].data, four, 16) == 0);
  ep_v2_message_free(&m);

  /* NaN cannot be JSON. */
  float nan_value[1] = {NAN};
  v2_out o = {"x", {1, {1}}, nan_value, false};
  ep_net_buf buf;
  ep_net_buf_init(&buf);
  size_t header = 0;
  EP_CHECK(!ep_v2_write(&buf, false, "m", NULL, &o, 1, false, &header, why, sizeof why));
  o.binary = true;
  EP_CHECK(ep_v2_write(&buf, false, "m", NULL, &o, 1, false, &header, why, sizeof why));

  /* Random mutations of a valid binary request: parsed or refused, never a crash. */
  v2_out two[2] = {{"x", {2, {2, 3}}, values, true}, {"y", {1, {6}}, values, false}};
  EP_CHECK(ep_v2_write(&buf, true, "m", "i", two, 2, true, &header, why, sizeof why));
  ep_test_rng rng = {99};
  uint8_t* copy = malloc(buf.length);
  int accepted = 0;
  for (int i = 0; i < 3000; i++) {
    memcpy(copy, buf.data, buf.length);
    int flips = ep_test_rng_int(&rng, 1, 4);
    for (int f = 0; f < flips; f++) {
      copy[ep_test_rng_int(&rng, 0, (int)buf.length - 1)] = (uint8_t)ep_test_rng_next(&rng);
    }
    size_t length = (size_t)ep_test_rng_int(&rng, (int)buf.length / 2, (int)buf.length);
    if (ep_v2_parse(copy, length, (long long)header, true, &m, why, sizeof why)) {
      accepted++;
      for (int t = 0; t < m.n_tensors; t++) EP_CHECK(m.tensors[t].data != NULL);
      ep_v2_message_free(&m);
    }
  }
  printf("3000 mutated bodies: %d still valid, the rest refused\n", accepted);
  free(copy);
  ep_net_buf_free(&buf);
  return ep_test_finish();
}

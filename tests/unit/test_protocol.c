/* The wire protocol: header layout byte by byte, round trips of every payload, every malformed
 * case the decoders must refuse (short, long, bad fields, lengths that lie, overflowing dims),
 * random and mutated input (no crash, no read past the end under ASan), SHA-256 against the
 * FIPS 180-2 vectors, the constant-time token compare and address parsing. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/net.h"
#include "test_support.h"

static void test_header(void) {
  ep_net_header h = {EP_NET_MAGIC, EP_NET_VERSION,       EP_NET_INFER, 0,
                     0x01020304u,  0x1122334455667788ull};
  uint8_t b[EP_NET_HEADER_SIZE];
  ep_net_header_encode(&h, b);
  const uint8_t want[EP_NET_HEADER_SIZE] = {'E',  'P',  'N',  'F',  1,    0,    5,    0,
                                            0,    0,    0,    0,    4,    3,    2,    1,
                                            0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11};
  EP_CHECK(memcmp(b, want, sizeof want) == 0);
  ep_net_header d;
  EP_CHECK(ep_net_header_decode(b, 0x01020304u, &d) == EP_NET_OK);
  EP_CHECK(d.type == EP_NET_INFER && d.payload_length == 0x01020304u &&
           d.request_id == 0x1122334455667788ull);
  EP_CHECK(ep_net_header_decode(b, 0x01020303u, &d) == EP_NET_E_TOO_LARGE);
  uint8_t c[EP_NET_HEADER_SIZE];
  memcpy(c, b, sizeof c);
  c[0] = 'X';
  EP_CHECK(ep_net_header_decode(c, UINT32_MAX, &d) == EP_NET_E_MALFORMED);
  memcpy(c, b, sizeof c);
  c[4] = 2;
  EP_CHECK(ep_net_header_decode(c, UINT32_MAX, &d) == EP_NET_E_VERSION);
  memcpy(c, b, sizeof c);
  c[6] = 0;
  EP_CHECK(ep_net_header_decode(c, UINT32_MAX, &d) == EP_NET_E_MALFORMED);
  c[6] = EP_NET_TYPE_MAX + 1;
  EP_CHECK(ep_net_header_decode(c, UINT32_MAX, &d) == EP_NET_E_MALFORMED);
  memcpy(c, b, sizeof c);
  c[11] = 0x80;
  EP_CHECK(ep_net_header_decode(c, UINT32_MAX, &d) == EP_NET_E_MALFORMED);
  for (int t = 1; t <= EP_NET_TYPE_MAX; t++) EP_CHECK(strcmp(ep_net_type_name((uint16_t)t), "?"));
  EP_CHECK(strcmp(ep_net_type_name(0), "?") == 0 && strcmp(ep_net_type_name(500), "?") == 0);
  for (uint32_t e = 0; e <= EP_NET_E_SHUTDOWN; e++) {
    EP_CHECK(strcmp(ep_net_error_name(e), "unknown error code") != 0);
  }

  /* A frame's header says how long its payload is. */
  ep_net_buf buf;
  ep_net_buf_init(&buf);
  ep_net_frame_begin(&buf, EP_NET_PONG, 9);
  ep_net_put_pong(&buf, 12345);
  EP_CHECK_OK(ep_net_frame_end(&buf));
  EP_CHECK(buf.length == EP_NET_HEADER_SIZE + 8);
  EP_CHECK(ep_net_header_decode(buf.data, 8, &d) == EP_NET_OK && d.payload_length == 8 &&
           d.type == EP_NET_PONG && d.request_id == 9);
  uint64_t bytes = 0;
  EP_CHECK(ep_net_get_pong(buf.data + EP_NET_HEADER_SIZE, 8, &bytes) == EP_NET_OK &&
           bytes == 12345);
  EP_CHECK(ep_net_get_pong(buf.data + EP_NET_HEADER_SIZE, 7, &bytes) == EP_NET_E_MALFORMED);
  ep_net_buf_free(&buf);
}

/* Every prefix of a valid payload and the payload with one byte more are refused. */
typedef ep_net_error_code (*decode_fn)(const uint8_t* p, size_t n);

static void check_prefixes_and_trailing(const char* what, const uint8_t* p, size_t n,
                                        decode_fn decode) {
  EP_CHECK_MSG(decode(p, n) == EP_NET_OK, "%s: the valid payload is refused", what);
  for (size_t cut = 0; cut < n; cut++) {
    EP_CHECK_MSG(decode(p, cut) == EP_NET_E_MALFORMED, "%s: %zu of %zu bytes accepted", what, cut,
                 n);
  }
  uint8_t* longer = malloc(n + 1);
  memcpy(longer, p, n);
  longer[n] = 0;
  EP_CHECK_MSG(decode(longer, n + 1) == EP_NET_E_MALFORMED, "%s: a trailing byte accepted", what);
  free(longer);
}

static ep_net_error_code decode_hello(const uint8_t* p, size_t n) {
  ep_net_hello h;
  return ep_net_get_hello(p, n, &h);
}
static ep_net_error_code decode_hello_ok(const uint8_t* p, size_t n) {
  ep_net_hello_ok ok;
  return ep_net_get_hello_ok(p, n, &ok);
}
static ep_net_error_code decode_profile(const uint8_t* p, size_t n) {
  double ms[8];
  uint32_t count;
  return ep_net_get_profile(p, n, ms, 8, &count);
}
static ep_net_error_code decode_tensors(const uint8_t* p, size_t n) {
  ep_net_tensor_view v[4];
  uint32_t count;
  return ep_net_get_tensors(p, n, v, 4, &count);
}
static ep_net_error_code decode_result(const uint8_t* p, size_t n) {
  ep_net_tensor_view v[4];
  uint32_t count;
  uint64_t ns;
  return ep_net_get_result(p, n, &ns, v, 4, &count);
}
static ep_net_error_code decode_error(const uint8_t* p, size_t n) {
  uint32_t code;
  char m[64];
  return ep_net_get_error(p, n, &code, m, sizeof m);
}

static const uint8_t* payload(const ep_net_buf* b) { return b->data + EP_NET_HEADER_SIZE; }
static size_t payload_length(const ep_net_buf* b) { return b->length - EP_NET_HEADER_SIZE; }

static void test_hello(void) {
  ep_net_buf b;
  ep_net_buf_init(&b);
  ep_net_hello h;
  memset(&h, 0, sizeof h);
  h.model_kind = EP_NET_MODEL_ZOO;
  strcpy(h.zoo_name, "mobilenet_v1");
  h.seed = 0xfeedfacecafebeefull;
  h.split = 17;
  h.token_length = 5;
  memcpy(h.token, "t\0k\nn", 5);
  ep_net_frame_begin(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, &h);
  EP_CHECK_OK(ep_net_frame_end(&b));
  ep_net_hello d;
  EP_CHECK(ep_net_get_hello(payload(&b), payload_length(&b), &d) == EP_NET_OK);
  EP_CHECK(d.model_kind == EP_NET_MODEL_ZOO && strcmp(d.zoo_name, "mobilenet_v1") == 0 &&
           d.seed == h.seed && d.split == 17 && d.token_length == 5 &&
           memcmp(d.token, h.token, 5) == 0);
  check_prefixes_and_trailing("HELLO", payload(&b), payload_length(&b), decode_hello);

  /* Field checks: a name with a byte outside [A-Za-z0-9_.-], an empty name, an unknown kind,
   * a non-zero reserved byte, a token length over the maximum. */
  uint8_t* p = malloc(payload_length(&b));
  size_t n = payload_length(&b);
  memcpy(p, payload(&b), n);
  p[18] = '/';
  EP_CHECK(ep_net_get_hello(p, n, &d) == EP_NET_E_MALFORMED);
  memcpy(p, payload(&b), n);
  p[0] = 3;
  EP_CHECK(ep_net_get_hello(p, n, &d) == EP_NET_E_MALFORMED);
  memcpy(p, payload(&b), n);
  p[1] = 1;
  EP_CHECK(ep_net_get_hello(p, n, &d) == EP_NET_E_MALFORMED);
  memcpy(p, payload(&b), n);
  p[2] = 0x01;
  p[3] = 0x01; /* token length 257 */
  EP_CHECK(ep_net_get_hello(p, n, &d) == EP_NET_E_MALFORMED);
  free(p);
  h.zoo_name[0] = '\0';
  ep_net_frame_begin(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, &h);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_hello(payload(&b), payload_length(&b), &d) == EP_NET_E_MALFORMED);

  /* By file hash: exactly 32 bytes. */
  h.model_kind = EP_NET_MODEL_SHA256;
  for (int i = 0; i < 32; i++) h.sha256[i] = (uint8_t)(i * 7);
  h.token_length = 0;
  ep_net_frame_begin(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, &h);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_hello(payload(&b), payload_length(&b), &d) == EP_NET_OK);
  EP_CHECK(d.model_kind == EP_NET_MODEL_SHA256 && memcmp(d.sha256, h.sha256, 32) == 0 &&
           d.token_length == 0);
  check_prefixes_and_trailing("HELLO sha256", payload(&b), payload_length(&b), decode_hello);

  ep_net_hello_ok ok = {74, 20, 2, 1}, ok2;
  ep_net_frame_begin(&b, EP_NET_HELLO_OK, 1);
  ep_net_put_hello_ok(&b, &ok);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_hello_ok(payload(&b), payload_length(&b), &ok2) == EP_NET_OK);
  EP_CHECK(ok2.n_nodes == 74 && ok2.split == 20 && ok2.upload_tensors == 2 &&
           ok2.download_tensors == 1);
  check_prefixes_and_trailing("HELLO_OK", payload(&b), payload_length(&b), decode_hello_ok);
  ok.split = 75; /* past the end */
  ep_net_frame_begin(&b, EP_NET_HELLO_OK, 1);
  ep_net_put_hello_ok(&b, &ok);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_hello_ok(payload(&b), payload_length(&b), &ok2) == EP_NET_E_MALFORMED);
  ep_net_buf_free(&b);
}

static void test_profile_error(void) {
  ep_net_buf b;
  ep_net_buf_init(&b);
  double ms[5] = {0, 1.5, 1e-9, 123.25, 7}, got[8];
  uint32_t n = 0;
  ep_net_frame_begin(&b, EP_NET_PROFILE, 1);
  ep_net_put_profile(&b, ms, 5);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_profile(payload(&b), payload_length(&b), got, 8, &n) == EP_NET_OK);
  EP_CHECK(n == 5 && memcmp(got, ms, sizeof ms) == 0);
  EP_CHECK(ep_net_get_profile(payload(&b), payload_length(&b), got, 4, &n) ==
           EP_NET_E_MALFORMED); /* more nodes than the caller has room for */
  check_prefixes_and_trailing("PROFILE", payload(&b), payload_length(&b), decode_profile);
  double bad[2] = {1, NAN};
  ep_net_frame_begin(&b, EP_NET_PROFILE, 1);
  ep_net_put_profile(&b, bad, 2);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_profile(payload(&b), payload_length(&b), got, 8, &n) == EP_NET_E_MALFORMED);
  bad[1] = -1;
  ep_net_frame_begin(&b, EP_NET_PROFILE, 1);
  ep_net_put_profile(&b, bad, 2);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_profile(payload(&b), payload_length(&b), got, 8, &n) == EP_NET_E_MALFORMED);

  ep_net_frame_begin(&b, EP_NET_ERROR, 1);
  ep_net_put_error(&b, EP_NET_E_BAD_SPLIT, "split 99 is outside [0, 5]\n\x01");
  ep_net_frame_end(&b);
  uint32_t code = 0;
  char message[16];
  EP_CHECK(ep_net_get_error(payload(&b), payload_length(&b), &code, message, sizeof message) ==
           EP_NET_OK);
  EP_CHECK(code == EP_NET_E_BAD_SPLIT && strcmp(message, "split 99 is out") == 0);
  check_prefixes_and_trailing("ERROR", payload(&b), payload_length(&b), decode_error);
  char full[64];
  EP_CHECK(ep_net_get_error(payload(&b), payload_length(&b), &code, full, sizeof full) ==
           EP_NET_OK);
  EP_CHECK(strcmp(full, "split 99 is outside [0, 5]??") == 0); /* control bytes replaced */
  ep_net_buf_free(&b);
}

static void test_tensors(void) {
  ep_net_buf b;
  ep_net_buf_init(&b);
  float a[6] = {1.0f, -2.5f, 0.0f, -0.0f, 3.4028235e38f, 1e-45f};
  float c[1] = {42.0f};
  ep_net_tensor_out t[3] = {
      {ep_shape_make(2, (int64_t[]){2, 3}), a},
      {ep_shape_make(0, NULL), c},
      {ep_shape_make(3, (int64_t[]){1, 0, 5}), NULL},
  };
  ep_net_frame_begin(&b, EP_NET_INFER, 1);
  ep_net_put_tensors(&b, t, 3);
  EP_CHECK_OK(ep_net_frame_end(&b));
  EP_CHECK(payload_length(&b) == 4 + (4 + 16 + 24) + 4 + 4 + (4 + 24));
  ep_net_tensor_view v[4];
  uint32_t n = 0;
  EP_CHECK(ep_net_get_tensors(payload(&b), payload_length(&b), v, 4, &n) == EP_NET_OK);
  EP_CHECK(n == 3);
  EP_CHECK(ep_shape_equal(&v[0].shape, &t[0].shape) && v[0].numel == 6);
  EP_CHECK(v[1].shape.rank == 0 && v[1].numel == 1);
  EP_CHECK(v[2].numel == 0);
  float back[6];
  ep_net_tensor_read_f32(&v[0], back);
  EP_CHECK(memcmp(back, a, sizeof a) == 0); /* bit for bit, signed zero and denormal too */
  ep_net_tensor_read_f32(&v[1], back);
  EP_CHECK(back[0] == 42.0f);
  /* Little-endian on the wire: 1.0f is 00 00 80 3f. */
  const uint8_t* first = v[0].data;
  EP_CHECK(first[0] == 0 && first[1] == 0 && first[2] == 0x80 && first[3] == 0x3f);
  EP_CHECK(ep_net_get_tensors(payload(&b), payload_length(&b), v, 2, &n) == EP_NET_E_MALFORMED);
  check_prefixes_and_trailing("INFER", payload(&b), payload_length(&b), decode_tensors);

  ep_net_frame_begin(&b, EP_NET_RESULT, 1);
  ep_net_put_result(&b, 987654321, t, 2);
  ep_net_frame_end(&b);
  uint64_t ns = 0;
  EP_CHECK(ep_net_get_result(payload(&b), payload_length(&b), &ns, v, 4, &n) == EP_NET_OK);
  EP_CHECK(ns == 987654321 && n == 2);
  check_prefixes_and_trailing("RESULT", payload(&b), payload_length(&b), decode_result);

  /* Hand-made lists: dtype, rank, reserved, dims that overflow or promise more data. */
  struct {
    const char* what;
    uint8_t bytes[48];
    size_t n;
  } bad[] = {
      {"dtype 2", {1, 0, 0, 0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, 20},
      {"rank 7", {1, 0, 0, 0, 1, 7, 0, 0}, 8},
      {"reserved", {1, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0}, 12},
      {"dims 2^63", {1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}, 16},
      {"dims product overflows",
       {1, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0x40},
       24},
      {"data short", {1, 0, 0, 0, 1, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4}, 20},
      {"count too large", {0xff, 0xff, 0xff, 0xff}, 4},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    EP_CHECK_MSG(ep_net_get_tensors(bad[i].bytes, bad[i].n, v, 4, &n) == EP_NET_E_MALFORMED,
                 "%s accepted", bad[i].what);
  }
  ep_net_buf_free(&b);
}

/* Random bytes and single-byte mutations of valid payloads: every decoder returns (ASan and
 * UBSan would catch a read past the end), and whatever it accepts re-encodes consistently. */
static void test_random_input(void) {
  ep_test_rng rng = {2024};
  uint8_t buf[512];
  int accepted = 0;
  decode_fn decoders[] = {decode_hello,   decode_hello_ok, decode_profile,
                          decode_tensors, decode_result,   decode_error};
  for (int i = 0; i < 20000; i++) {
    size_t n = (size_t)ep_test_rng_int(&rng, 0, (int)sizeof buf);
    for (size_t j = 0; j < n; j++) buf[j] = (uint8_t)ep_test_rng_next(&rng);
    /* Small counts and lengths make deep parses likely. */
    if (n >= 4 && (i & 1)) buf[1] = buf[2] = buf[3] = 0;
    uint8_t* heap = malloc(n ? n : 1); /* exact size: ASan sees any overread */
    memcpy(heap, buf, n);
    for (size_t d = 0; d < sizeof decoders / sizeof decoders[0]; d++) {
      accepted += decoders[d](heap, n) == EP_NET_OK;
    }
    ep_net_header h;
    if (n >= EP_NET_HEADER_SIZE) ep_net_header_decode(heap, 1u << 20, &h);
    free(heap);
  }
  /* Mutations of a valid INFER payload. */
  ep_net_buf b;
  ep_net_buf_init(&b);
  float data[12] = {0};
  ep_net_tensor_out t[2] = {{ep_shape_make(2, (int64_t[]){3, 2}), data},
                            {ep_shape_make(1, (int64_t[]){6}), data}};
  ep_net_frame_begin(&b, EP_NET_INFER, 1);
  ep_net_put_tensors(&b, t, 2);
  ep_net_frame_end(&b);
  size_t n = payload_length(&b);
  for (int i = 0; i < 5000; i++) {
    uint8_t* m = malloc(n);
    memcpy(m, payload(&b), n);
    m[ep_test_rng_int(&rng, 0, (int)n - 1)] = (uint8_t)ep_test_rng_next(&rng);
    ep_net_tensor_view v[4];
    uint32_t count = 0;
    if (ep_net_get_tensors(m, n, v, 4, &count) == EP_NET_OK) {
      size_t total = 4;
      for (uint32_t j = 0; j < count; j++) {
        total += 4 + 8 * (size_t)v[j].shape.rank + 4 * v[j].numel;
        EP_CHECK(v[j].data >= m && v[j].data + 4 * v[j].numel <= m + n);
      }
      EP_CHECK(total == n);
    }
    free(m);
  }
  ep_net_buf_free(&b);
  printf("random payloads: %d accepted of 120000 decodes\n", accepted);
}

static void test_sha256(void) {
  /* FIPS 180-2 appendix B examples and the empty string. */
  struct {
    const char* text;
    int repeat;
    const char* hex;
  } v[] = {
      {"abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
      {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
      {"a", 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"},
      {"", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
  };
  for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
    ep_sha256 ctx;
    ep_sha256_init(&ctx);
    size_t len = strlen(v[i].text);
    if (v[i].repeat > 1) {
      char block[1000];
      memset(block, 'a', sizeof block);
      for (int r = 0; r < v[i].repeat / 1000; r++) ep_sha256_update(&ctx, block, sizeof block);
    } else {
      /* Byte by byte for the first, whole for the others: block boundaries either way. */
      if (i == 1) {
        for (size_t j = 0; j < len; j++) ep_sha256_update(&ctx, v[i].text + j, 1);
      } else {
        ep_sha256_update(&ctx, v[i].text, len);
      }
    }
    uint8_t digest[32];
    char hex[65];
    ep_sha256_final(&ctx, digest);
    ep_sha256_hex(digest, hex);
    EP_CHECK_MSG(strcmp(hex, v[i].hex) == 0, "vector %zu: %s", i, hex);
  }
  /* A file: the same digest as its bytes. */
  char path[] = "/tmp/ep-sha-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) {
    FILE* f = fdopen(fd, "wb");
    fputs("abc", f);
    fclose(f);
    uint8_t digest[32];
    char hex[65];
    EP_CHECK_OK(ep_sha256_file(path, digest));
    ep_sha256_hex(digest, hex);
    EP_CHECK(strcmp(hex, v[0].hex) == 0);
    remove(path);
  }
  uint8_t digest[32];
  EP_CHECK(ep_sha256_file("/nonexistent/model.onnx", digest) == EP_ERR_IO);
}

static void test_tokens_addresses(void) {
  const uint8_t a[] = "secret";
  EP_CHECK(ep_net_token_equal(a, 6, (const uint8_t*)"secret", 6));
  EP_CHECK(!ep_net_token_equal(a, 6, (const uint8_t*)"secreT", 6));
  EP_CHECK(!ep_net_token_equal(a, 6, (const uint8_t*)"secret!", 7));
  EP_CHECK(!ep_net_token_equal(a, 6, (const uint8_t*)"secre", 5));
  EP_CHECK(!ep_net_token_equal(a, 6, (const uint8_t*)"", 0));
  char host[64];
  int port = 0;
  EP_CHECK_OK(ep_net_parse_address("127.0.0.1:7878", host, sizeof host, &port));
  EP_CHECK(strcmp(host, "127.0.0.1") == 0 && port == 7878);
  EP_CHECK_OK(ep_net_parse_address("[::1]:80", host, sizeof host, &port));
  EP_CHECK(strcmp(host, "::1") == 0 && port == 80);
  EP_CHECK_OK(ep_net_parse_address("localhost:1", host, sizeof host, &port));
  const char* bad[] = {"", "127.0.0.1", ":7878", "host:65536", "host:12x", "[::1:80", "host:-1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    EP_CHECK_MSG(ep_net_parse_address(bad[i], host, sizeof host, &port) == EP_ERR_INVALID_ARGUMENT,
                 "'%s' accepted", bad[i]);
  }
  char path[] = "/tmp/ep-token-XXXXXX";
  int fd = mkstemp(path);
  if (fd >= 0) {
    FILE* f = fdopen(fd, "wb");
    fputs("hunter2\r\n", f);
    fclose(f);
    uint8_t token[EP_NET_MAX_TOKEN];
    size_t len = 0;
    EP_CHECK_OK(ep_net_token_load(path, token, &len));
    EP_CHECK(len == 7 && memcmp(token, "hunter2", 7) == 0);
    f = fopen(path, "wb");
    fputs("\n", f);
    fclose(f);
    EP_CHECK(ep_net_token_load(path, token, &len) == EP_ERR_INVALID_ARGUMENT);
    remove(path);
  }
}

int main(void) {
  test_header();
  test_hello();
  test_profile_error();
  test_tensors();
  test_random_input();
  test_sha256();
  test_tokens_addresses();
  return ep_test_finish();
}

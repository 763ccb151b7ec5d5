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
  ep_net_header h = {EP_NET_MAGIC, 1,                    EP_NET_INFER, 0,
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
  c[4] = EP_NET_VERSION + 1;
  EP_CHECK(ep_net_header_decode(c, UINT32_MAX, &d) == EP_NET_E_VERSION);
  c[4] = 0;
  EP_CHECK(ep_net_header_decode(c, UINT32_MAX, &d) == EP_NET_E_VERSION);
  c[4] = 2;
  EP_CHECK(ep_net_header_decode(c, UINT32_MAX, &d) == EP_NET_OK && d.version == 2);
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
  return ep_net_get_hello(p, n, 1, &h);
}
static ep_net_error_code decode_hello_ok(const uint8_t* p, size_t n) {
  ep_net_hello_ok ok;
  return ep_net_get_hello_ok(p, n, 1, &ok);
}
static ep_net_error_code decode_profile(const uint8_t* p, size_t n) {
  double ms[8];
  uint32_t count;
  return ep_net_get_profile(p, n, ms, 8, &count);
}
static ep_net_error_code decode_tensors(const uint8_t* p, size_t n) {
  ep_net_tensor_view v[4];
  uint32_t count;
  return ep_net_get_tensors(p, n, 1, v, 4, &count);
}
static ep_net_error_code decode_result(const uint8_t* p, size_t n) {
  ep_net_tensor_view v[4];
  uint32_t count;
  uint64_t ns;
  return ep_net_get_result(p, n, 1, &ns, NULL, v, 4, &count);
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
  ep_net_put_hello(&b, 1, &h);
  EP_CHECK_OK(ep_net_frame_end(&b));
  ep_net_hello d;
  EP_CHECK(ep_net_get_hello(payload(&b), payload_length(&b), 1, &d) == EP_NET_OK);
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
  EP_CHECK(ep_net_get_hello(p, n, 1, &d) == EP_NET_E_MALFORMED);
  memcpy(p, payload(&b), n);
  p[0] = 3;
  EP_CHECK(ep_net_get_hello(p, n, 1, &d) == EP_NET_E_MALFORMED);
  memcpy(p, payload(&b), n);
  p[1] = 1;
  EP_CHECK(ep_net_get_hello(p, n, 1, &d) == EP_NET_E_MALFORMED);
  memcpy(p, payload(&b), n);
  p[2] = 0x01;
  p[3] = 0x01; /* token length 257 */
  EP_CHECK(ep_net_get_hello(p, n, 1, &d) == EP_NET_E_MALFORMED);
  free(p);
  h.zoo_name[0] = '\0';
  ep_net_frame_begin(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, 1, &h);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_hello(payload(&b), payload_length(&b), 1, &d) == EP_NET_E_MALFORMED);

  /* By file hash: exactly 32 bytes. */
  h.model_kind = EP_NET_MODEL_SHA256;
  for (int i = 0; i < 32; i++) h.sha256[i] = (uint8_t)(i * 7);
  h.token_length = 0;
  ep_net_frame_begin(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, 1, &h);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_hello(payload(&b), payload_length(&b), 1, &d) == EP_NET_OK);
  EP_CHECK(d.model_kind == EP_NET_MODEL_SHA256 && memcmp(d.sha256, h.sha256, 32) == 0 &&
           d.token_length == 0);
  check_prefixes_and_trailing("HELLO sha256", payload(&b), payload_length(&b), decode_hello);

  ep_net_hello_ok ok = {74, 20, 2, 1, 0, 0}, ok2;
  ep_net_frame_begin(&b, EP_NET_HELLO_OK, 1);
  ep_net_put_hello_ok(&b, 1, &ok);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_hello_ok(payload(&b), payload_length(&b), 1, &ok2) == EP_NET_OK);
  EP_CHECK(ok2.n_nodes == 74 && ok2.split == 20 && ok2.upload_tensors == 2 &&
           ok2.download_tensors == 1);
  check_prefixes_and_trailing("HELLO_OK", payload(&b), payload_length(&b), decode_hello_ok);
  ok.split = 75; /* past the end */
  ep_net_frame_begin(&b, EP_NET_HELLO_OK, 1);
  ep_net_put_hello_ok(&b, 1, &ok);
  ep_net_frame_end(&b);
  EP_CHECK(ep_net_get_hello_ok(payload(&b), payload_length(&b), 1, &ok2) == EP_NET_E_MALFORMED);
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
      {ep_shape_make(2, (int64_t[]){2, 3}), a, 0},
      {ep_shape_make(0, NULL), c, 0},
      {ep_shape_make(3, (int64_t[]){1, 0, 5}), NULL, 0},
  };
  ep_net_frame_begin(&b, EP_NET_INFER, 1);
  ep_net_put_tensors(&b, t, 3);
  EP_CHECK_OK(ep_net_frame_end(&b));
  EP_CHECK(payload_length(&b) == 4 + (4 + 16 + 24) + 4 + 4 + (4 + 24));
  ep_net_tensor_view v[4];
  uint32_t n = 0;
  EP_CHECK(ep_net_get_tensors(payload(&b), payload_length(&b), 1, v, 4, &n) == EP_NET_OK);
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
  EP_CHECK(ep_net_get_tensors(payload(&b), payload_length(&b), 1, v, 2, &n) == EP_NET_E_MALFORMED);
  check_prefixes_and_trailing("INFER", payload(&b), payload_length(&b), decode_tensors);

  ep_net_frame_begin(&b, EP_NET_RESULT, 1);
  ep_net_put_result(&b, 1, 987654321, NULL, t, 2);
  ep_net_frame_end(&b);
  uint64_t ns = 0;
  EP_CHECK(ep_net_get_result(payload(&b), payload_length(&b), 1, &ns, NULL, v, 4, &n) == EP_NET_OK);
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
    EP_CHECK_MSG(ep_net_get_tensors(bad[i].bytes, bad[i].n, 1, v, 4, &n) == EP_NET_E_MALFORMED,
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
  ep_net_tensor_out t[2] = {{ep_shape_make(2, (int64_t[]){3, 2}), data, 0},
                            {ep_shape_make(1, (int64_t[]){6}), data, 0}};
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
    if (ep_net_get_tensors(m, n, 1, v, 4, &count) == EP_NET_OK) {
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
  EP_CHECK(ep_sha256_file("/nonexistent/model.onnx", digest) == EP_ERR_NOT_FOUND);
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

/* Version 2: HELLO with a placement and a cut dtype, HELLO_OK's counts, compressed tensor lists
 * (version 1 refuses them), RESULT's load report; each malformed variant refused. */
static void test_version2(void) {
  ep_net_buf b;
  ep_net_buf_init(&b);
  uint8_t tiers[5] = {0, 1, 1, 2, 2};
  ep_net_hello h;
  memset(&h, 0, sizeof h);
  h.model_kind = EP_NET_MODEL_ZOO;
  snprintf(h.zoo_name, sizeof h.zoo_name, "inception_v1");
  h.cut_dtype = EP_CUT_INT8_CHANNEL;
  h.n_tiers = 5;
  h.tiers = tiers;
  ep_net_frame_begin(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, 2, &h);
  EP_CHECK_OK(ep_net_frame_end(&b));
  ep_net_hello d;
  EP_CHECK(ep_net_get_hello(payload(&b), payload_length(&b), 2, &d) == EP_NET_OK);
  EP_CHECK(d.n_tiers == 5 && memcmp(d.tiers, tiers, 5) == 0 && d.cut_dtype == EP_CUT_INT8_CHANNEL);
  /* The same bytes are a malformed version-1 HELLO (trailing bytes). */
  EP_CHECK(ep_net_get_hello(payload(&b), payload_length(&b), 1, &d) == EP_NET_E_MALFORMED);
  size_t n = payload_length(&b);
  uint8_t* p = malloc(n);
  memcpy(p, payload(&b), n);
  p[n - 1] = EP_NET_MAX_TIER + 1; /* a tier beyond the last */
  EP_CHECK(ep_net_get_hello(p, n, 2, &d) == EP_NET_E_MALFORMED);
  p[n - 1] = 2;
  p[n - 13] = 9; /* the dtype code (before 3 reserved bytes, the count and 5 tiers) */
  EP_CHECK(ep_net_get_hello(p, n, 2, &d) == EP_NET_E_MALFORMED);
  p[n - 13] = 4;
  EP_CHECK(ep_net_get_hello(p, n, 2, &d) == EP_NET_OK);
  p[n - 12] = 1; /* reserved */
  EP_CHECK(ep_net_get_hello(p, n, 2, &d) == EP_NET_E_MALFORMED);
  EP_CHECK(ep_net_get_hello(p, n - 1, 2, &d) == EP_NET_E_MALFORMED); /* a tier short */
  free(p);
  h.split = 3; /* a placement and a split at once */
  ep_net_frame_begin(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, 2, &h);
  EP_CHECK_OK(ep_net_frame_end(&b));
  EP_CHECK(ep_net_get_hello(payload(&b), payload_length(&b), 2, &d) == EP_NET_E_MALFORMED);

  ep_net_hello_ok ok = {74, 0, 3, 1, 60, 2}, ok2;
  ep_net_frame_begin(&b, EP_NET_HELLO_OK, 1);
  ep_net_put_hello_ok(&b, 2, &ok);
  EP_CHECK_OK(ep_net_frame_end(&b));
  EP_CHECK(ep_net_get_hello_ok(payload(&b), payload_length(&b), 2, &ok2) == EP_NET_OK &&
           ok2.server_nodes == 60 && ok2.sessions == 2);
  EP_CHECK(ep_net_get_hello_ok(payload(&b), payload_length(&b), 1, &ok2) == EP_NET_E_MALFORMED);

  /* Compressed tensors: bytes on the wire as the codec counts them, values as it decodes. */
  float x[2 * 3 * 4];
  for (int i = 0; i < 24; i++) x[i] = (float)(i - 11) * 0.37f;
  ep_shape shape = ep_shape_make(3, (int64_t[]){2, 3, 4});
  ep_codec_shape cs = ep_codec_shape_of(3, shape.dims);
  for (int dtype = EP_CUT_FP32; dtype <= EP_CUT_INT8_CHANNEL; dtype++) {
    ep_net_tensor_out t = {shape, x, (uint8_t)dtype};
    ep_net_load load = {1, 2, 1.5, 3.0, 77}, load2;
    ep_net_frame_begin(&b, EP_NET_RESULT, 1);
    ep_net_put_result(&b, 2, 1000, &load, &t, 1);
    EP_CHECK_OK(ep_net_frame_end(&b));
    int64_t data = ep_tensor_encoded_bytes((ep_cut_dtype)dtype, &cs);
    EP_CHECK(payload_length(&b) == 8 + 32 + 4 + 4 + 3 * 8 + (size_t)data);
    ep_net_tensor_view v[2];
    uint32_t count = 0;
    uint64_t ns = 0;
    EP_CHECK(ep_net_get_result(payload(&b), payload_length(&b), 2, &ns, &load2, v, 2, &count) ==
                 EP_NET_OK &&
             count == 1 && ns == 1000 && load2.queued == 1 && load2.running == 2 &&
             load2.slowdown == 1.5 && load2.throttle == 3.0 && load2.forward_ns == 77);
    float y[24], want[24];
    memcpy(want, x, sizeof want);
    ep_tensor_round_trip((ep_cut_dtype)dtype, &cs, want);
    ep_net_tensor_read_f32(&v[0], y);
    EP_CHECK_MSG(memcmp(y, want, sizeof y) == 0, "%s values", ep_cut_dtype_name(dtype));
    /* Version 1 lists are float32 only. */
    ep_net_frame_begin(&b, EP_NET_INFER, 1);
    ep_net_put_tensors(&b, &t, 1);
    EP_CHECK_OK(ep_net_frame_end(&b));
    EP_CHECK((ep_net_get_tensors(payload(&b), payload_length(&b), 1, v, 2, &count) ==
              EP_NET_OK) == (dtype == EP_CUT_FP32));
    if (dtype >= EP_CUT_INT8) { /* a scale that is not finite, or negative */
      uint8_t* q = b.data + EP_NET_HEADER_SIZE + 4 + 4 + 3 * 8;
      float bad[2] = {INFINITY, -1.0f};
      for (int k = 0; k < 2; k++) {
        memcpy(q, &bad[k], 4);
        EP_CHECK(ep_net_get_tensors(payload(&b), payload_length(&b), 2, v, 2, &count) ==
                 EP_NET_E_MALFORMED);
      }
    }
  }
  /* A load report that lies: forward time above the total. */
  ep_net_load lie = {0, 1, 1.0, 1.0, 2000};
  ep_net_frame_begin(&b, EP_NET_RESULT, 1);
  ep_net_put_result(&b, 2, 1000, &lie, NULL, 0);
  EP_CHECK_OK(ep_net_frame_end(&b));
  uint64_t ns = 0;
  uint32_t count = 0;
  ep_net_tensor_view v[1];
  EP_CHECK(ep_net_get_result(payload(&b), payload_length(&b), 2, &ns, NULL, v, 1, &count) ==
           EP_NET_E_MALFORMED);
  /* An empty int8-channel tensor whose channel count could not be paid for. */
  uint8_t huge[4 + 4 + 3 * 8] = {0};
  huge[0] = 1;
  huge[4] = EP_NET_DTYPE_INT8_CHANNEL;
  huge[5] = 3;
  huge[8 + 8 + 7] = 0x40; /* dims[1] = 2^62, dims[0] = dims[2] = 0 */
  EP_CHECK(ep_net_get_tensors(huge, sizeof huge, 2, v, 1, &count) == EP_NET_E_MALFORMED);
  ep_net_buf_free(&b);
}

int main(void) {
  test_header();
  test_hello();
  test_profile_error();
  test_tensors();
  test_version2();
  test_random_input();
  test_sha256();
  test_tokens_addresses();
  return ep_test_finish();
}

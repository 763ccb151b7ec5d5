/* libFuzzer target: the wire protocol's frame parser on arbitrary bytes. The input is read as a
 * stream of frames, as a server reads a connection: first the pre-authentication path (a
 * HELLO-sized limit on the header, then ep_net_preauth_hello, the server's own check), then each
 * header is decoded (1 MiB limit) and its payload handed to the decoder of its type, and to every
 * other decoder as well. Nothing may
 * crash, read out of bounds or hit undefined behaviour (ASan, UBSan), and whatever a decoder
 * accepts must encode back to the same bytes.
 *
 * Build (clang): these few files of the library are all it needs:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude tests/fuzz/fuzz_frame.c \
 *     src/net/protocol.c src/net/preauth.c src/core/tensor_codec.c \
 *     src/core/status.c -lm -o fuzz_frame
 *   ./fuzz_frame -max_total_time=60 -max_len=4096
 * or, in the `make fuzz` build, as a target beside fuzz_onnx_load. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/net.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

enum { MAX_PAYLOAD = 1 << 20, MAX_NODES = 4096, MAX_VIEWS = 64 };

static void check(int condition) {
  if (!condition) abort(); /* a round trip that differs is a bug the fuzzer must report */
}

/* Encodes with `encode` into a fresh frame and checks the payload equals `p`. */
static void same_bytes(const ep_net_buf* b, const uint8_t* p, size_t n) {
  check(!b->failed && b->length == EP_NET_HEADER_SIZE + n);
  check(n == 0 || memcmp(b->data + EP_NET_HEADER_SIZE, p, n) == 0);
}

static void decode_version(const uint8_t* p, size_t n, uint16_t version) {
  static double ms[MAX_NODES];
  static ep_net_tensor_view views[MAX_VIEWS];
  static ep_net_tensor_out outs[MAX_VIEWS];
  static float values[MAX_PAYLOAD];
  ep_net_buf b;
  ep_net_buf_init(&b);

  ep_net_hello hello;
  if (ep_net_get_hello(p, n, version, &hello) == EP_NET_OK) {
    check(hello.tiers == NULL || (hello.tiers >= p && hello.tiers + hello.n_tiers <= p + n));
    ep_net_frame_begin_version(&b, version, EP_NET_HELLO, 0);
    ep_net_put_hello(&b, version, &hello);
    same_bytes(&b, p, n);
  }
  ep_net_hello_ok ok;
  if (ep_net_get_hello_ok(p, n, version, &ok) == EP_NET_OK) {
    check(ok.split <= ok.n_nodes);
    ep_net_frame_begin_version(&b, version, EP_NET_HELLO_OK, 0);
    ep_net_put_hello_ok(&b, version, &ok);
    same_bytes(&b, p, n);
  }
  uint32_t count = 0;
  if (ep_net_get_profile(p, n, ms, MAX_NODES, &count) == EP_NET_OK) {
    ep_net_frame_begin(&b, EP_NET_PROFILE, 0);
    ep_net_put_profile(&b, ms, count);
    same_bytes(&b, p, n);
  }
  uint64_t ns = 0;
  ep_net_load load;
  int is_result = 0;
  if (ep_net_get_tensors(p, n, version, views, MAX_VIEWS, &count) == EP_NET_OK ||
      (is_result = ep_net_get_result(p, n, version, &ns, &load, views, MAX_VIEWS, &count) ==
                   EP_NET_OK)) {
    /* Views lie inside the payload; reading them back and encoding gives the same bytes when
     * they are float32 (a compressed list re-quantizes: decoding must only stay in bounds). */
    size_t used = 0;
    bool all_f32 = true;
    for (uint32_t i = 0; i < count; i++) {
      check(views[i].data >= p && views[i].numel <= n - (size_t)(views[i].data - p));
      ep_net_tensor_read_f32(&views[i], values + used);
      outs[i].shape = views[i].shape;
      outs[i].data = values + used;
      outs[i].dtype = (uint8_t)(views[i].dtype - 1); /* the wire's code is the cut dtype + 1 */
      all_f32 = all_f32 && views[i].dtype == EP_NET_DTYPE_F32;
      used += views[i].numel;
    }
    ep_net_frame_begin_version(&b, version, is_result ? EP_NET_RESULT : EP_NET_INFER, 0);
    if (is_result) {
      ep_net_put_result(&b, version, ns, &load, outs, count);
    } else {
      ep_net_put_tensors(&b, outs, count);
    }
    if (all_f32) same_bytes(&b, p, n);
  }
  uint32_t code = 0;
  char message[64];
  if (ep_net_get_error(p, n, &code, message, sizeof message) == EP_NET_OK) {
    check(strlen(message) < sizeof message);
  }
  uint64_t bytes = 0;
  if (ep_net_get_pong(p, n, &bytes) == EP_NET_OK) check(n == 8);
  ep_net_buf_free(&b);
}

static void decode_all(const uint8_t* p, size_t n, uint16_t type) {
  (void)type;
  for (uint16_t v = EP_NET_VERSION_MIN; v <= EP_NET_VERSION; v++) decode_version(p, n, v);
}

/* The pre-authentication path, as the server runs it on a stranger's first frame: the header
 * with the HELLO-sized limit, then ep_net_preauth_hello with and without a token. Whatever it
 * accepts is a HELLO that carries the token and encodes back to the same bytes. Returns true
 * when the frame authenticated (the server then reads further frames with its full limit). */
static bool preauth(const uint8_t* data, size_t size, size_t* used) {
  static const uint8_t token[] = "fuzz-token";
  ep_net_header h;
  ep_net_error_code e = ep_net_header_decode(data, EP_NET_MAX_HELLO_PAYLOAD, &h);
  *used = EP_NET_HEADER_SIZE;
  if (e != EP_NET_OK) {
    ep_net_header loose;
    /* Refused for its length alone only when the length is over the limit. */
    if (e == EP_NET_E_TOO_LARGE) {
      check(ep_net_header_decode(data, UINT32_MAX, &loose) == EP_NET_OK &&
            loose.payload_length > EP_NET_MAX_HELLO_PAYLOAD);
    }
    return false;
  }
  check(h.payload_length <= EP_NET_MAX_HELLO_PAYLOAD);
  if (h.payload_length > size - EP_NET_HEADER_SIZE) return false; /* cut short: closed */
  uint8_t* payload = malloc(h.payload_length ? h.payload_length : 1);
  if (payload == NULL) return false;
  memcpy(payload, data + EP_NET_HEADER_SIZE, h.payload_length);
  *used += h.payload_length;
  ep_net_hello open_hello, hello;
  ep_net_error_code open_code =
      ep_net_preauth_hello(&h, payload, h.payload_length, NULL, 0, &open_hello);
  ep_net_error_code code = ep_net_preauth_hello(&h, payload, h.payload_length, token,
                                                sizeof token - 1, &hello);
  /* The token check comes after the layout check: a server without a token accepts a superset. */
  check(code != EP_NET_OK || open_code == EP_NET_OK);
  check(h.type == EP_NET_HELLO || (code == EP_NET_E_NOT_READY && open_code == EP_NET_E_NOT_READY));
  if (code == EP_NET_OK) {
    check(hello.token_length == sizeof token - 1 &&
          memcmp(hello.token, token, sizeof token - 1) == 0);
    ep_net_buf b;
    ep_net_buf_init(&b);
    ep_net_frame_begin_version(&b, h.version, EP_NET_HELLO, 0);
    ep_net_put_hello(&b, h.version, &hello);
    same_bytes(&b, payload, h.payload_length);
    ep_net_buf_free(&b);
  }
  free(payload);
  return code == EP_NET_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t pos = 0;
  if (size >= EP_NET_HEADER_SIZE) {
    size_t used = 0;
    /* Only an authenticated stream goes on past its first frame, as on the server; every
     * input is also read below as frames after authentication. */
    if (preauth(data, size, &used)) pos = used;
  }
  while (size - pos >= EP_NET_HEADER_SIZE) {
    ep_net_header h;
    ep_net_error_code e = ep_net_header_decode(data + pos, MAX_PAYLOAD, &h);
    pos += EP_NET_HEADER_SIZE;
    if (e != EP_NET_OK) {
      /* A server answers ERROR and closes; the payloads are still worth decoding as such. */
      decode_all(data + pos, size - pos, 0);
      return 0;
    }
    if (h.payload_length > size - pos) {
      decode_all(data + pos, size - pos, h.type); /* a truncated frame */
      return 0;
    }
    /* An exact-size copy so that ASan sees any read past the payload. */
    uint8_t* payload = malloc(h.payload_length ? h.payload_length : 1);
    if (payload == NULL) return 0;
    memcpy(payload, data + pos, h.payload_length);
    decode_all(payload, h.payload_length, h.type);
    free(payload);
    pos += h.payload_length;
  }
  return 0;
}

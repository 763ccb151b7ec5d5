/* libFuzzer target: the wire protocol's frame parser on arbitrary bytes. The input is read as a
 * stream of frames, as a server reads a connection: each header is decoded (1 MiB limit) and its
 * payload handed to the decoder of its type, and to every other decoder as well. Nothing may
 * crash, read out of bounds or hit undefined behaviour (ASan, UBSan), and whatever a decoder
 * accepts must encode back to the same bytes.
 *
 * Build (clang): the library's src/net/protocol.c and src/platform/status.c are all it needs:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude tests/fuzz/fuzz_frame.c \
 *     src/net/protocol.c src/platform/status.c -lm -o fuzz_frame
 *   ./fuzz_frame -max_total_time=60 -max_len=4096
 * or, in the `make fuzz` build, as a target beside fuzz_onnx_load. */
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

static void decode_all(const uint8_t* p, size_t n, uint16_t type) {
  static double ms[MAX_NODES];
  static ep_net_tensor_view views[MAX_VIEWS];
  static ep_net_tensor_out outs[MAX_VIEWS];
  static float values[MAX_PAYLOAD / 4];
  ep_net_buf b;
  ep_net_buf_init(&b);

  ep_net_hello hello;
  if (ep_net_get_hello(p, n, &hello) == EP_NET_OK) {
    ep_net_frame_begin(&b, EP_NET_HELLO, 0);
    ep_net_put_hello(&b, &hello);
    same_bytes(&b, p, n);
  }
  ep_net_hello_ok ok;
  if (ep_net_get_hello_ok(p, n, &ok) == EP_NET_OK) {
    check(ok.split <= ok.n_nodes);
    ep_net_frame_begin(&b, EP_NET_HELLO_OK, 0);
    ep_net_put_hello_ok(&b, &ok);
    same_bytes(&b, p, n);
  }
  uint32_t count = 0;
  if (ep_net_get_profile(p, n, ms, MAX_NODES, &count) == EP_NET_OK) {
    ep_net_frame_begin(&b, EP_NET_PROFILE, 0);
    ep_net_put_profile(&b, ms, count);
    same_bytes(&b, p, n);
  }
  uint64_t ns = 0;
  int is_result = 0;
  if (ep_net_get_tensors(p, n, views, MAX_VIEWS, &count) == EP_NET_OK ||
      (is_result = ep_net_get_result(p, n, &ns, views, MAX_VIEWS, &count) == EP_NET_OK)) {
    /* Views lie inside the payload; reading them back and encoding gives the same bytes. */
    size_t used = 0;
    for (uint32_t i = 0; i < count; i++) {
      check(views[i].data >= p && views[i].numel <= (n - (size_t)(views[i].data - p)) / 4);
      ep_net_tensor_read_f32(&views[i], values + used);
      outs[i].shape = views[i].shape;
      outs[i].data = values + used;
      used += views[i].numel;
    }
    ep_net_frame_begin(&b, is_result ? EP_NET_RESULT : EP_NET_INFER, 0);
    if (is_result) {
      ep_net_put_result(&b, ns, outs, count);
    } else {
      ep_net_put_tensors(&b, outs, count);
    }
    same_bytes(&b, p, n);
  }
  uint32_t code = 0;
  char message[64];
  if (ep_net_get_error(p, n, &code, message, sizeof message) == EP_NET_OK) {
    check(strlen(message) < sizeof message);
  }
  uint64_t bytes = 0;
  if (ep_net_get_pong(p, n, &bytes) == EP_NET_OK) check(n == 8);
  (void)type;
  ep_net_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t pos = 0;
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

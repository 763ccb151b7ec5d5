/* The server's check of a frame from a client that has not authenticated yet, as one pure
 * function so that the frame fuzzer (tests/fuzz/fuzz_frame.c) runs the very code the server
 * runs on a stranger's bytes. */
#include "edgeprof/net.h"

ep_net_error_code ep_net_preauth_hello(const ep_net_header* header, const uint8_t* payload,
                                       size_t length, const uint8_t* token, size_t token_length,
                                       ep_net_hello* hello_out) {
  if (header->type != EP_NET_HELLO) return EP_NET_E_NOT_READY;
  if (header->payload_length != length || length > EP_NET_MAX_HELLO_PAYLOAD) {
    return EP_NET_E_TOO_LARGE;
  }
  ep_net_hello hello;
  if (ep_net_get_hello(payload, length, header->version, &hello) != EP_NET_OK) {
    return EP_NET_E_MALFORMED;
  }
  if (token != NULL && !ep_net_token_equal(token, token_length, hello.token, hello.token_length)) {
    return EP_NET_E_UNAUTHORIZED;
  }
  *hello_out = hello;
  return EP_NET_OK;
}

/* The edge side of the protocol: one connection, one request at a time. */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/net.h"
#include "edgeprof/platform.h"
#include "net/socket.h"

struct ep_client {
  ep_client_options opt;
  char host[256];
  uint8_t token[EP_NET_MAX_TOKEN];
  char ca_file[4096];
  int fd;
  ep_net_stream stream; /* fd and TLS session; stream.fd == fd */
  uint64_t next_id;
  ep_net_failure failure;
  uint32_t server_error;
  ep_net_buf in, out;
  ep_net_tensor_view* views;
};

const char* ep_net_failure_name(ep_net_failure f) {
  switch (f) {
    case EP_NET_FAIL_NONE:
      return "none";
    case EP_NET_FAIL_UNREACHABLE:
      return "server unreachable";
    case EP_NET_FAIL_BUSY:
      return "server busy";
    case EP_NET_FAIL_TIMEOUT:
      return "server timed out";
    case EP_NET_FAIL_DISCONNECTED:
      return "connection lost";
    case EP_NET_FAIL_REFUSED:
      return "server refused the request";
    case EP_NET_FAIL_PROTOCOL:
      return "protocol error";
    case EP_NET_FAIL_BACKOFF:
      return "backing off";
    case EP_NET_FAIL_UNTRUSTED:
      return "server certificate not trusted";
  }
  return "unknown failure";
}

void ep_client_options_default(ep_client_options* o) {
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->port = EP_NET_DEFAULT_PORT;
  o->connect_timeout_s = 2;
  o->io_timeout_s = 30;
  o->max_payload = EP_NET_DEFAULT_MAX_PAYLOAD;
}

ep_status ep_client_connect(const ep_client_options* options, ep_client** client_out,
                            ep_net_failure* failure_out) {
  if (failure_out != NULL) *failure_out = EP_NET_FAIL_NONE;
  if (options == NULL || options->host == NULL ||
      (options->token != NULL && options->token_length > EP_NET_MAX_TOKEN)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "client: a host and a token of at most %d bytes",
                    EP_NET_MAX_TOKEN);
  }
  ep_client* c = calloc(1, sizeof *c);
  if (c != NULL) c->views = calloc(EP_NET_MAX_TENSORS, sizeof *c->views);
  if (c == NULL || c->views == NULL) {
    if (c != NULL) free(c);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a client");
  }
  c->opt = *options;
  snprintf(c->host, sizeof c->host, "%s", options->host);
  c->opt.host = c->host;
  if (options->token != NULL) memcpy(c->token, options->token, options->token_length);
  c->opt.token = options->token != NULL ? c->token : NULL;
  if (c->opt.connect_timeout_s <= 0) c->opt.connect_timeout_s = 2;
  if (c->opt.io_timeout_s <= 0) c->opt.io_timeout_s = 30;
  if (c->opt.max_payload == 0) c->opt.max_payload = EP_NET_DEFAULT_MAX_PAYLOAD;
  c->next_id = 1;
  ep_net_buf_init(&c->in);
  ep_net_buf_init(&c->out);
  if (options->tls_ca_file != NULL) snprintf(c->ca_file, sizeof c->ca_file, "%s", options->tls_ca_file);
  c->opt.tls_ca_file = options->tls_ca_file != NULL ? c->ca_file : NULL;
  double deadline = ep_now() + c->opt.connect_timeout_s;
  ep_status st = ep_net_connect(c->host, c->opt.port, c->opt.connect_timeout_s, &c->fd);
  c->stream.fd = c->fd;
  if (st != EP_OK) {
    if (failure_out != NULL) *failure_out = EP_NET_FAIL_UNREACHABLE;
    c->fd = c->stream.fd = -1;
    ep_client_destroy(c);
    return st;
  }
  if (c->opt.tls) {
    /* The handshake shares the connect's deadline: a stopped server costs one timeout. */
    ep_net_tls_config* config = NULL;
    st = ep_net_tls_client_config(c->opt.tls_ca_file, &config);
    if (st == EP_OK) st = ep_net_tls_handshake(config, c->fd, c->host, deadline, &c->stream.tls);
    ep_net_tls_config_free(config);
    if (st != EP_OK) {
      if (failure_out != NULL) {
        *failure_out = st == EP_ERR_UNTRUSTED        ? EP_NET_FAIL_UNTRUSTED
                       : ep_now() >= deadline ? EP_NET_FAIL_TIMEOUT
                                              : EP_NET_FAIL_PROTOCOL;
      }
      ep_client_destroy(c);
      return st;
    }
  }
  *client_out = c;
  return EP_OK;
}

void ep_client_destroy(ep_client* c) {
  if (c == NULL) return;
  ep_net_tls_free(c->stream.tls);
  ep_net_close(c->fd);
  ep_net_buf_free(&c->in);
  ep_net_buf_free(&c->out);
  free(c->views);
  free(c);
}

ep_net_failure ep_client_failure(const ep_client* c) { return c->failure; }

bool ep_client_idle_ok(ep_client* c) {
  if (c->fd < 0) return false;
  /* Between requests the server sends nothing: anything readable is a close or an ERROR
   * (an idle timeout, a shutdown). */
  struct pollfd p = {c->fd, POLLIN, 0};
  if (poll(&p, 1, 0) == 0) return true;
  if (c->stream.tls == NULL) return false;
  /* With TLS a readable socket may hold a record that carries no data (a key update). */
  uint8_t byte;
  return ep_net_tls_recv(c->stream.tls, &byte, 1) < 0 && errno == EAGAIN;
}
uint32_t ep_client_server_error(const ep_client* c) { return c->server_error; }

/* Records a failure; the connection is unusable afterwards. */
static ep_status fail(ep_client* c, ep_net_failure f, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
static ep_status fail(ep_client* c, ep_net_failure f, const char* format, ...) {
  char message[400];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  c->failure = f;
  ep_net_tls_free(c->stream.tls);
  c->stream.tls = NULL;
  ep_net_close(c->fd);
  c->fd = c->stream.fd = -1;
  return ep_error(f == EP_NET_FAIL_PROTOCOL ? EP_ERR_FORMAT : EP_ERR_IO, "%s: %s",
                  ep_net_failure_name(f), message);
}

static ep_status send_out(ep_client* c, double* seconds_out) {
  if (c->fd < 0) return fail(c, EP_NET_FAIL_DISCONNECTED, "the connection is closed");
  ep_status st = ep_net_frame_end(&c->out);
  if (st != EP_OK) return st;
  double start = ep_now();
  net_io r = ep_net_write_all(&c->stream, c->out.data, c->out.length, c->opt.io_timeout_s, c->opt.pace_bps);
  if (seconds_out != NULL) *seconds_out = ep_now() - start;
  switch (r) {
    case NET_IO_OK:
      return EP_OK;
    case NET_IO_TIMEOUT:
      return fail(c, EP_NET_FAIL_TIMEOUT, "sending took over %g s", c->opt.io_timeout_s);
    default:
      return fail(c, EP_NET_FAIL_DISCONNECTED, "the server closed the connection");
  }
}

/* Receives the answer to request `id`, which must be of `type`; ERROR and BUSY become
 * failures. */
static ep_status expect(ep_client* c, uint64_t id, ep_net_type type) {
  ep_net_header h;
  ep_net_error_code code = EP_NET_OK;
  net_io r = ep_net_recv_frame(&c->stream, c->opt.max_payload, c->opt.io_timeout_s, c->opt.io_timeout_s, &h,
                            &c->in, &code);
  switch (r) {
    case NET_IO_OK:
      break;
    case NET_IO_TIMEOUT:
      return fail(c, EP_NET_FAIL_TIMEOUT, "no %s within %g s", ep_net_type_name(type),
                  c->opt.io_timeout_s);
    case NET_IO_CLOSED:
      return fail(c, EP_NET_FAIL_DISCONNECTED, "the server closed the connection");
    case NET_IO_PROTOCOL:
      if (code == EP_NET_E_MALFORMED) {
        return fail(c, EP_NET_FAIL_DISCONNECTED, "the connection closed inside a frame");
      }
      return fail(c, EP_NET_FAIL_PROTOCOL, "bad frame from the server: %s",
                  ep_net_error_name(code));
    default:
      return fail(c, EP_NET_FAIL_DISCONNECTED, "the connection broke");
  }
  if (h.type == EP_NET_BUSY) return fail(c, EP_NET_FAIL_BUSY, "too many clients");
  if (h.type == EP_NET_ERROR) {
    uint32_t err = 0;
    char message[EP_NET_MAX_MESSAGE + 1];
    if (ep_net_get_error(c->in.data, c->in.length, &err, message, sizeof message) != EP_NET_OK) {
      return fail(c, EP_NET_FAIL_PROTOCOL, "malformed ERROR frame");
    }
    c->server_error = err;
    if (err == EP_NET_E_VERSION && h.version < EP_NET_VERSION) {
      return fail(c, EP_NET_FAIL_REFUSED,
                  "the server speaks protocol version %u, this client %d (placements, "
                  "compressed tensors and load reports need %d): update the server",
                  h.version, EP_NET_VERSION, EP_NET_VERSION);
    }
    return fail(c, EP_NET_FAIL_REFUSED, "%s: %s", ep_net_error_name(err), message);
  }
  if (h.version != EP_NET_VERSION) {
    return fail(c, EP_NET_FAIL_PROTOCOL, "the server answered in protocol version %u, not %d",
                h.version, EP_NET_VERSION);
  }
  if (h.type != type || h.request_id != id) {
    return fail(c, EP_NET_FAIL_PROTOCOL, "expected %s for request %llu, got %s for %llu",
                ep_net_type_name(type), (unsigned long long)id, ep_net_type_name(h.type),
                (unsigned long long)h.request_id);
  }
  return EP_OK;
}

ep_status ep_client_hello(ep_client* c, const ep_net_hello* hello, ep_net_hello_ok* ok_out) {
  ep_net_hello h = *hello;
  h.token_length = (uint16_t)(c->opt.token != NULL ? c->opt.token_length : 0);
  if (h.token_length > 0) memcpy(h.token, c->token, h.token_length);
  uint64_t id = c->next_id++;
  ep_net_frame_begin(&c->out, EP_NET_HELLO, id);
  ep_net_put_hello(&c->out, EP_NET_VERSION, &h);
  ep_status st = send_out(c, NULL);
  if (st == EP_OK) st = expect(c, id, EP_NET_HELLO_OK);
  if (st != EP_OK) return st;
  ep_net_hello_ok ok;
  if (ep_net_get_hello_ok(c->in.data, c->in.length, EP_NET_VERSION, &ok) != EP_NET_OK ||
      ok.split != h.split) {
    return fail(c, EP_NET_FAIL_PROTOCOL, "malformed HELLO_OK");
  }
  *ok_out = ok;
  return EP_OK;
}

ep_status ep_client_profile(ep_client* c, double* node_ms, uint32_t max_nodes,
                            uint32_t* n_nodes_out) {
  uint64_t id = c->next_id++;
  ep_net_frame_begin(&c->out, EP_NET_PROFILE_REQUEST, id);
  ep_status st = send_out(c, NULL);
  if (st == EP_OK) st = expect(c, id, EP_NET_PROFILE);
  if (st != EP_OK) return st;
  if (ep_net_get_profile(c->in.data, c->in.length, node_ms, max_nodes, n_nodes_out) != EP_NET_OK) {
    return fail(c, EP_NET_FAIL_PROTOCOL, "malformed PROFILE");
  }
  return EP_OK;
}

ep_status ep_client_ping(ep_client* c, size_t payload_bytes, double* seconds_out) {
  if (payload_bytes > c->opt.max_payload) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "a ping of %zu bytes is over the frame limit",
                    payload_bytes);
  }
  uint64_t id = c->next_id++;
  ep_net_frame_begin(&c->out, EP_NET_PING, id);
  /* Bytes that do not compress, should a link compress. */
  uint8_t chunk[4096];
  for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (uint8_t)((i * 2654435761u) >> 13);
  for (size_t done = 0; done < payload_bytes; done += sizeof chunk) {
    size_t n = payload_bytes - done < sizeof chunk ? payload_bytes - done : sizeof chunk;
    ep_net_put_bytes(&c->out, chunk, n);
  }
  double start = ep_now();
  ep_status st = send_out(c, NULL);
  if (st == EP_OK) st = expect(c, id, EP_NET_PONG);
  if (st != EP_OK) return st;
  uint64_t echoed = 0;
  if (ep_net_get_pong(c->in.data, c->in.length, &echoed) != EP_NET_OK || echoed != payload_bytes) {
    return fail(c, EP_NET_FAIL_PROTOCOL, "malformed PONG");
  }
  *seconds_out = ep_now() - start;
  return EP_OK;
}

ep_status ep_client_infer(ep_client* c, const ep_net_tensor_out* inputs, uint32_t n_inputs,
                          const ep_net_tensor_out* outputs, uint32_t n_outputs,
                          ep_client_timing* timing_out) {
  ep_client_timing t;
  memset(&t, 0, sizeof t);
  uint64_t id = c->next_id++;
  double start = ep_now();
  ep_net_frame_begin(&c->out, EP_NET_INFER, id);
  ep_net_put_tensors(&c->out, inputs, n_inputs);
  ep_status st = send_out(c, NULL);
  double sent = ep_now();
  t.upload_s = sent - start;
  t.upload_bytes = (int64_t)c->out.length;
  if (st == EP_OK) st = expect(c, id, EP_NET_RESULT);
  if (st != EP_OK) return st;
  t.wait_s = ep_now() - sent;
  t.download_bytes = (int64_t)(c->in.length + EP_NET_HEADER_SIZE);
  uint64_t ns = 0;
  uint32_t count = 0;
  if (ep_net_get_result(c->in.data, c->in.length, EP_NET_VERSION, &ns, &t.load, c->views,
                        EP_NET_MAX_TENSORS, &count) != EP_NET_OK) {
    return fail(c, EP_NET_FAIL_PROTOCOL, "malformed RESULT");
  }
  if (count != n_outputs) {
    return fail(c, EP_NET_FAIL_PROTOCOL, "RESULT has %u tensors, expected %u", count, n_outputs);
  }
  for (uint32_t i = 0; i < count; i++) {
    if (!ep_shape_equal(&c->views[i].shape, &outputs[i].shape)) {
      return fail(c, EP_NET_FAIL_PROTOCOL, "RESULT tensor %u has the wrong shape", i);
    }
  }
  /* Only now that everything is checked are the caller's buffers written. */
  for (uint32_t i = 0; i < count; i++)
    ep_net_tensor_read_f32(&c->views[i], (float*)outputs[i].data);
  t.server_s = (double)ns * 1e-9;
  if (timing_out != NULL) *timing_out = t;
  return EP_OK;
}

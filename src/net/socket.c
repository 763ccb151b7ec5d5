/* Sockets with deadlines: every wait goes through poll with the time left. */
#include "net/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "edgeprof/platform.h"

static int poll_ms(double deadline) {
  double left = deadline - ep_now();
  if (left <= 0) return 0;
  double ms = ceil(left * 1e3);
  return ms > 2e9 ? 2000000000 : (int)ms;
}

ep_status ep_net_listen(const char* host, int port, int backlog, int* fd_out, int* port_out) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  char port_text[16];
  snprintf(port_text, sizeof port_text, "%d", port);
  int rc = getaddrinfo(host, port_text, &hints, &res);
  if (rc != 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "cannot resolve %s: %s", host, gai_strerror(rc));
  }
  int fd = -1;
  int err = 0;
  for (struct addrinfo* a = res; a != NULL; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, backlog) == 0) break;
    err = errno;
    close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) {
    return ep_error(EP_ERR_SYSTEM, "cannot listen on %s:%d: %s", host, port, strerror(err));
  }
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;
  int bound = port;
  if (getsockname(fd, (struct sockaddr*)&addr, &len) == 0) {
    if (addr.ss_family == AF_INET) bound = ntohs(((struct sockaddr_in*)&addr)->sin_port);
    if (addr.ss_family == AF_INET6) bound = ntohs(((struct sockaddr_in6*)&addr)->sin6_port);
  }
  *fd_out = fd;
  *port_out = bound;
  return EP_OK;
}

static int connect_one(const struct addrinfo* a, double deadline, int* err) {
  int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
  if (fd < 0) {
    *err = errno;
    return -1;
  }
  if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
    if (errno != EINPROGRESS) {
      *err = errno;
      close(fd);
      return -1;
    }
    struct pollfd p = {fd, POLLOUT, 0};
    int n;
    do {
      n = poll(&p, 1, poll_ms(deadline));
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
      *err = n == 0 ? ETIMEDOUT : errno;
      close(fd);
      return -1;
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      *err = so_error;
      close(fd);
      return -1;
    }
  }
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

ep_status ep_net_connect(const char* host, int port, double timeout_s, int* fd_out) {
  struct addrinfo hints, *res = NULL;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  char port_text[16];
  snprintf(port_text, sizeof port_text, "%d", port);
  int rc = getaddrinfo(host, port_text, &hints, &res);
  if (rc != 0) {
    return ep_error(EP_ERR_NOT_FOUND, "cannot resolve %s: %s", host, gai_strerror(rc));
  }
  double deadline = ep_now() + timeout_s;
  int fd = -1, err = ECONNREFUSED;
  for (struct addrinfo* a = res; a != NULL && fd < 0; a = a->ai_next) {
    fd = connect_one(a, deadline, &err);
  }
  freeaddrinfo(res);
  if (fd < 0) {
    return ep_error(EP_ERR_SYSTEM, "cannot connect to %s:%d: %s", host, port, strerror(err));
  }
  *fd_out = fd;
  return EP_OK;
}

static void sleep_s(double s) {
  if (s <= 0) return;
  struct timespec ts = {(time_t)s, (long)((s - floor(s)) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static ssize_t stream_send(ep_net_stream* s, const uint8_t* data, size_t length) {
  if (s->tls != NULL) return ep_net_tls_send(s->tls, data, length);
  return send(s->fd, data, length, MSG_NOSIGNAL | MSG_DONTWAIT);
}

static ssize_t stream_recv(ep_net_stream* s, uint8_t* data, size_t length) {
  if (s->tls != NULL) return ep_net_tls_recv(s->tls, data, length);
  return recv(s->fd, data, length, MSG_DONTWAIT);
}

/* What to poll for after EAGAIN: TLS may need to write to read (and the reverse). */
static short wait_events(ep_net_stream* s, short plain) {
  if (s->tls == NULL) return plain;
  return ep_net_tls_wants_write(s->tls) ? POLLOUT : POLLIN;
}

net_io ep_net_write_all(ep_net_stream* stream, const uint8_t* data, size_t length,
                        double timeout_s, double pace_bps) {
  double start = ep_now();
  double deadline = start + timeout_s;
  size_t sent = 0;
  while (sent < length) {
    size_t chunk = length - sent;
    if (pace_bps > 0) {
      /* Send no more than the link would have carried by now, in chunks of at most 4 KiB. */
      if (chunk > 4096) chunk = 4096;
      double due = start + (double)(sent + chunk) * 8.0 / pace_bps;
      double now = ep_now();
      if (due > deadline) return NET_IO_TIMEOUT;
      if (due > now) sleep_s(due - now);
    }
    ssize_t n = stream_send(stream, data + sent, chunk);
    if (n > 0) {
      sent += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd p = {stream->fd, wait_events(stream, POLLOUT), 0};
      int ms = poll_ms(deadline);
      if (ms == 0) return NET_IO_TIMEOUT;
      int r = poll(&p, 1, ms);
      if (r == 0) return NET_IO_TIMEOUT;
      if (r < 0 && errno != EINTR) return NET_IO_ERROR;
      continue;
    }
    return errno == EPIPE || errno == ECONNRESET ? NET_IO_CLOSED : NET_IO_ERROR;
  }
  return NET_IO_OK;
}

/* Reads exactly `length` bytes before `deadline`; with stop_fd >= 0, gives up with
 * NET_IO_STOPPED if it turns readable before the first byte. */
static net_io read_until(ep_net_stream* stream, uint8_t* data, size_t length, double deadline,
                         int stop_fd) {
  size_t got = 0;
  while (got < length) {
    ssize_t n = stream_recv(stream, data + got, length - got);
    if (n > 0) {
      got += (size_t)n;
      continue;
    }
    if (n == 0) return NET_IO_CLOSED;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (stream->tls != NULL && ep_net_tls_pending(stream->tls)) continue;
      struct pollfd p[2] = {{stream->fd, wait_events(stream, POLLIN), 0}, {stop_fd, POLLIN, 0}};
      int watch = stop_fd >= 0 && got == 0 ? 2 : 1;
      int ms = poll_ms(deadline);
      if (ms == 0) return NET_IO_TIMEOUT;
      int r = poll(p, (nfds_t)watch, ms);
      if (r == 0) return NET_IO_TIMEOUT;
      if (r < 0 && errno != EINTR) return NET_IO_ERROR;
      if (r > 0 && watch == 2 && p[1].revents != 0 && p[0].revents == 0) return NET_IO_STOPPED;
      continue;
    }
    return errno == ECONNRESET ? NET_IO_CLOSED : NET_IO_ERROR;
  }
  return NET_IO_OK;
}

net_io ep_net_read_all(ep_net_stream* stream, uint8_t* data, size_t length, double timeout_s) {
  return read_until(stream, data, length, ep_now() + timeout_s, -1);
}

static double earlier(double a, double b) { return b > 0 && b < a ? b : a; }

net_io ep_net_recv_frame_until(ep_net_stream* stream, uint32_t max_payload, double first_timeout_s,
                               double io_timeout_s, double deadline, int stop_fd,
                               ep_net_header* header_out, ep_net_buf* payload,
                               ep_net_error_code* code_out) {
  uint8_t head[EP_NET_HEADER_SIZE];
  *code_out = EP_NET_OK;
  net_io r = read_until(stream, head, 1, earlier(ep_now() + first_timeout_s, deadline), stop_fd);
  if (r != NET_IO_OK) return r;
  double frame_deadline = earlier(ep_now() + io_timeout_s, deadline);
  r = read_until(stream, head + 1, sizeof head - 1, frame_deadline, -1);
  if (r == NET_IO_CLOSED) {
    *code_out = EP_NET_E_MALFORMED; /* a truncated header */
    return NET_IO_PROTOCOL;
  }
  if (r != NET_IO_OK) return r;
  ep_net_error_code code = ep_net_header_decode(head, max_payload, header_out);
  if (code != EP_NET_OK) {
    *code_out = code;
    return NET_IO_PROTOCOL;
  }
  payload->length = 0;
  payload->failed = false;
  /* The length is within max_payload (checked above). The buffer grows with the bytes that
   * actually arrive, so a peer announcing a large frame and sending nothing costs no memory. */
  size_t want = header_out->payload_length;
  while (payload->length < want) {
    if (payload->capacity <= payload->length) {
      size_t cap = payload->capacity < 65536 ? 65536 : payload->capacity * 2;
      if (cap > want) cap = want;
      uint8_t* grown = realloc(payload->data, cap);
      if (grown == NULL) {
        *code_out = EP_NET_E_INTERNAL;
        return NET_IO_ERROR;
      }
      payload->data = grown;
      payload->capacity = cap;
    }
    size_t end = payload->capacity < want ? payload->capacity : want;
    size_t step = end - payload->length;
    r = read_until(stream, payload->data + payload->length, step, frame_deadline, -1);
    if (r == NET_IO_CLOSED) {
      *code_out = EP_NET_E_MALFORMED; /* a truncated frame */
      return NET_IO_PROTOCOL;
    }
    if (r != NET_IO_OK) return r;
    payload->length += step;
  }
  return NET_IO_OK;
}

net_io ep_net_recv_frame(ep_net_stream* stream, uint32_t max_payload, double first_timeout_s, double io_timeout_s,
                         ep_net_header* header_out, ep_net_buf* payload,
                         ep_net_error_code* code_out) {
  return ep_net_recv_frame_until(stream, max_payload, first_timeout_s, io_timeout_s, 0, -1,
                                 header_out, payload, code_out);
}

void ep_net_close(int fd) {
  if (fd >= 0) close(fd);
}

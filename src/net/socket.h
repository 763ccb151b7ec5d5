/* Sockets for the protocol (internal to src/net): listen, connect with a timeout, and reads and
 * writes bounded by deadlines, so that no peer can hold a thread forever. */
#ifndef EDGEPROF_NET_SOCKET_H
#define EDGEPROF_NET_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "edgeprof/net.h"
#include "net/tls.h"

/* A connection: its socket, and its TLS session when it has one (then every byte goes
 * through it). */
typedef struct ep_net_stream {
  int fd;
  ep_net_tls* tls;
} ep_net_stream;

typedef enum net_io {
  NET_IO_OK,
  NET_IO_CLOSED, /* orderly close (or reset) by the peer */
  NET_IO_TIMEOUT,
  NET_IO_ERROR,    /* any other socket error */
  NET_IO_PROTOCOL, /* a header that fails ep_net_header_decode (code returned beside) */
  NET_IO_STOPPED,  /* the stop descriptor became readable before a frame began */
} net_io;

ep_status ep_net_listen(const char* host, int port, int backlog, int* fd_out, int* port_out);
/* Connects within timeout_s (TCP_NODELAY set). */
ep_status ep_net_connect(const char* host, int port, double timeout_s, int* fd_out);
/* Writes everything before timeout_s elapses; pace_bps > 0 limits the rate (bit/s). */
net_io ep_net_write_all(ep_net_stream* stream, const uint8_t* data, size_t length, double timeout_s, double pace_bps);
/* Reads exactly `length` bytes before timeout_s elapses. */
net_io ep_net_read_all(ep_net_stream* stream, uint8_t* data, size_t length, double timeout_s);
/* Receives one frame: its first byte within first_timeout_s, the rest within io_timeout_s.
 * The payload goes into `payload` (length = payload_length). NET_IO_PROTOCOL sets *code_out. */
net_io ep_net_recv_frame(ep_net_stream* stream, uint32_t max_payload, double first_timeout_s, double io_timeout_s,
                      ep_net_header* header_out, ep_net_buf* payload, ep_net_error_code* code_out);
/* ep_net_recv_frame, and: no byte after `deadline` (ep_now() time; 0: none), and
 * NET_IO_STOPPED when `stop_fd` (>= 0) turns readable while no frame has begun. The header is
 * checked (payload_length against max_payload) before any payload byte is read. */
net_io ep_net_recv_frame_until(ep_net_stream* stream, uint32_t max_payload, double first_timeout_s,
                               double io_timeout_s, double deadline, int stop_fd,
                               ep_net_header* header_out, ep_net_buf* payload,
                               ep_net_error_code* code_out);
void ep_net_close(int fd);

#endif /* EDGEPROF_NET_SOCKET_H */

/* Sockets for the protocol (internal to src/net): listen, connect with a timeout, and reads and
 * writes bounded by deadlines, so that no peer can hold a thread forever. */
#ifndef EDGEPROF_NET_SOCKET_H
#define EDGEPROF_NET_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "edgeprof/net.h"

typedef enum net_io {
  NET_IO_OK,
  NET_IO_CLOSED, /* orderly close (or reset) by the peer */
  NET_IO_TIMEOUT,
  NET_IO_ERROR,    /* any other socket error */
  NET_IO_PROTOCOL, /* a header that fails ep_net_header_decode (code returned beside) */
} net_io;

ep_status ep_net_listen(const char* host, int port, int backlog, int* fd_out, int* port_out);
/* Connects within timeout_s (TCP_NODELAY set). */
ep_status ep_net_connect(const char* host, int port, double timeout_s, int* fd_out);
/* Writes everything before timeout_s elapses; pace_bps > 0 limits the rate (bit/s). */
net_io ep_net_write_all(int fd, const uint8_t* data, size_t length, double timeout_s, double pace_bps);
/* Reads exactly `length` bytes before timeout_s elapses. */
net_io ep_net_read_all(int fd, uint8_t* data, size_t length, double timeout_s);
/* Receives one frame: its first byte within first_timeout_s, the rest within io_timeout_s.
 * The payload goes into `payload` (length = payload_length). NET_IO_PROTOCOL sets *code_out. */
net_io ep_net_recv_frame(int fd, uint32_t max_payload, double first_timeout_s, double io_timeout_s,
                      ep_net_header* header_out, ep_net_buf* payload, ep_net_error_code* code_out);
void ep_net_close(int fd);

#endif /* EDGEPROF_NET_SOCKET_H */

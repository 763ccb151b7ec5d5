/* TLS for the native protocol (internal to src/net), on GnuTLS: the library Debian's
 * libmicrohttpd already uses for HTTPS, so the server carries one TLS stack for both protocols
 * and one certificate format (PEM). Sockets are non-blocking underneath; every wait is the
 * caller's poll, so deadlines and the server's stop pipe work as without TLS (socket.c).
 * Where GnuTLS is not found (a cross build without it) tls_disabled.c answers
 * EP_ERR_UNSUPPORTED and ep_net_tls_available() is false.
 *
 * Thread-safety: a config is read-only once made and may serve many sessions at once; a
 * session is used by one thread at a time. */
#ifndef EDGEPROF_NET_TLS_H
#define EDGEPROF_NET_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "edgeprof/status.h"

typedef struct ep_net_tls_config ep_net_tls_config;
typedef struct ep_net_tls ep_net_tls;

bool ep_net_tls_available(void);
/* A server's certificate chain and private key (PEM files). */
ep_status ep_net_tls_server_config(const char* cert_file, const char* key_file,
                                   ep_net_tls_config** out);
/* A client that trusts the CAs of `ca_file` (PEM), or the system's when NULL, and checks that
 * the server's certificate names the host it connects to. */
ep_status ep_net_tls_client_config(const char* ca_file, ep_net_tls_config** out);
void ep_net_tls_config_free(ep_net_tls_config* config);

/* Handshake on connected socket `fd` (made non-blocking) before `deadline` (ep_now() time).
 * A client checks the certificate against `host`. */
ep_status ep_net_tls_handshake(const ep_net_tls_config* config, int fd, const char* host,
                               double deadline, ep_net_tls** out);
/* Like recv/send: bytes moved; 0 from recv: the peer closed; -1 with errno EAGAIN (wait for
 * ep_net_tls_wants_write() ? POLLOUT : POLLIN), ECONNRESET or EIO. */
ssize_t ep_net_tls_recv(ep_net_tls* tls, void* data, size_t length);
ssize_t ep_net_tls_send(ep_net_tls* tls, const void* data, size_t length);
/* Decrypted bytes already buffered: a read needs no wait. */
bool ep_net_tls_pending(ep_net_tls* tls);
bool ep_net_tls_wants_write(ep_net_tls* tls);
/* Best-effort close_notify (never waits), then frees. NULL is a no-op; the fd stays open. */
void ep_net_tls_free(ep_net_tls* tls);

#endif /* EDGEPROF_NET_TLS_H */

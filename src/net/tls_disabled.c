/* TLS where GnuTLS was not found at build time (see tls.h): every call says so. */
#include <errno.h>

#include "net/tls.h"

bool ep_net_tls_available(void) { return false; }

static ep_status unsupported(void) {
  return ep_error(EP_ERR_UNSUPPORTED,
                  "TLS is not in this build (GnuTLS, libgnutls28-dev, was not found)");
}

ep_status ep_net_tls_server_config(const char* cert_file, const char* key_file,
                                   ep_net_tls_config** out) {
  (void)cert_file, (void)key_file, (void)out;
  return unsupported();
}

ep_status ep_net_tls_client_config(const char* ca_file, ep_net_tls_config** out) {
  (void)ca_file, (void)out;
  return unsupported();
}

void ep_net_tls_config_free(ep_net_tls_config* config) { (void)config; }

ep_status ep_net_tls_handshake(const ep_net_tls_config* config, int fd, const char* host,
                               double deadline, ep_net_tls** out) {
  (void)config, (void)fd, (void)host, (void)deadline, (void)out;
  return unsupported();
}

ssize_t ep_net_tls_recv(ep_net_tls* tls, void* data, size_t length) {
  (void)tls, (void)data, (void)length;
  errno = EIO;
  return -1;
}

ssize_t ep_net_tls_send(ep_net_tls* tls, const void* data, size_t length) {
  (void)tls, (void)data, (void)length;
  errno = EIO;
  return -1;
}

bool ep_net_tls_pending(ep_net_tls* tls) {
  (void)tls;
  return false;
}

bool ep_net_tls_wants_write(ep_net_tls* tls) {
  (void)tls;
  return false;
}

void ep_net_tls_free(ep_net_tls* tls) { (void)tls; }

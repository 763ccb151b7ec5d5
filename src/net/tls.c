/* TLS sessions on GnuTLS (see tls.h). */
#include "net/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "edgeprof/platform.h"

struct ep_net_tls_config {
  gnutls_certificate_credentials_t cred;
  bool server;
};

struct ep_net_tls {
  gnutls_session_t session;
};

bool ep_net_tls_available(void) { return true; }

static ep_status tls_error(const char* what, int rc) {
  return ep_error(EP_ERR_IO, "TLS: %s: %s", what, gnutls_strerror(rc));
}

ep_status ep_net_tls_server_config(const char* cert_file, const char* key_file,
                                   ep_net_tls_config** out) {
  ep_net_tls_config* c = calloc(1, sizeof *c);
  if (c == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for TLS");
  c->server = true;
  int rc = gnutls_certificate_allocate_credentials(&c->cred);
  if (rc == GNUTLS_E_SUCCESS) {
    rc = gnutls_certificate_set_x509_key_file(c->cred, cert_file, key_file, GNUTLS_X509_FMT_PEM);
  }
  if (rc < 0) {
    ep_status st = ep_error(EP_ERR_INVALID_ARGUMENT, "TLS: cannot use %s and %s: %s", cert_file,
                            key_file, gnutls_strerror(rc));
    ep_net_tls_config_free(c);
    return st;
  }
  *out = c;
  return EP_OK;
}

ep_status ep_net_tls_client_config(const char* ca_file, ep_net_tls_config** out) {
  ep_net_tls_config* c = calloc(1, sizeof *c);
  if (c == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for TLS");
  int rc = gnutls_certificate_allocate_credentials(&c->cred);
  if (rc == GNUTLS_E_SUCCESS) {
    rc = ca_file != NULL
             ? gnutls_certificate_set_x509_trust_file(c->cred, ca_file, GNUTLS_X509_FMT_PEM)
             : gnutls_certificate_set_x509_system_trust(c->cred);
    if (rc == 0) rc = GNUTLS_E_NO_CERTIFICATE_FOUND; /* a CA file without a certificate */
  }
  if (rc < 0) {
    ep_status st = ep_error(EP_ERR_INVALID_ARGUMENT, "TLS: cannot read the CA %s: %s",
                            ca_file != NULL ? ca_file : "(system)", gnutls_strerror(rc));
    ep_net_tls_config_free(c);
    return st;
  }
  *out = c;
  return EP_OK;
}

void ep_net_tls_config_free(ep_net_tls_config* c) {
  if (c == NULL) return;
  if (c->cred != NULL) gnutls_certificate_free_credentials(c->cred);
  free(c);
}

static int wait_ms(double deadline) {
  double left = deadline - ep_now();
  return left <= 0 ? 0 : (int)ceil(left * 1e3);
}

/* GnuTLS's own push uses send() without MSG_NOSIGNAL: a peer gone would raise SIGPIPE. */
static ssize_t push(gnutls_transport_ptr_t fd, const void* data, size_t length) {
  return send((int)(intptr_t)fd, data, length, MSG_NOSIGNAL);
}

static bool is_ip(const char* host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

ep_status ep_net_tls_handshake(const ep_net_tls_config* c, int fd, const char* host,
                               double deadline, ep_net_tls** out) {
  ep_net_tls* t = calloc(1, sizeof *t);
  if (t == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for TLS");
  int flags = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  /* No session tickets: connections are long-lived and never resumed, and a ticket arriving
   * between requests would look like an unasked frame to ep_client_idle_ok. */
  int rc = gnutls_init(&t->session, (c->server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NONBLOCK |
                                        GNUTLS_NO_TICKETS);
  if (rc == GNUTLS_E_SUCCESS) rc = gnutls_set_default_priority(t->session);
  if (rc == GNUTLS_E_SUCCESS) {
    rc = gnutls_credentials_set(t->session, GNUTLS_CRD_CERTIFICATE, c->cred);
  }
  if (rc == GNUTLS_E_SUCCESS && !c->server) {
    /* The certificate must name the host (an IP address is checked against its IP SANs). */
    if (!is_ip(host)) rc = gnutls_server_name_set(t->session, GNUTLS_NAME_DNS, host, strlen(host));
    if (rc == GNUTLS_E_SUCCESS) gnutls_session_set_verify_cert(t->session, host, 0);
  }
  if (rc != GNUTLS_E_SUCCESS) {
    ep_status st = tls_error("cannot start a session", rc);
    ep_net_tls_free(t);
    return st;
  }
  gnutls_transport_set_int(t->session, fd);
  gnutls_transport_set_push_function(t->session, push);
  for (;;) {
    rc = gnutls_handshake(t->session);
    if (rc == GNUTLS_E_SUCCESS) break;
    if (rc != GNUTLS_E_AGAIN && rc != GNUTLS_E_INTERRUPTED) {
      ep_status st;
      if (rc == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
        gnutls_datum_t why = {NULL, 0};
        unsigned status = gnutls_session_get_verify_cert_status(t->session);
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0);
        st = ep_error(EP_ERR_UNTRUSTED, "TLS: the server's certificate is not trusted: %s",
                      why.data != NULL ? (const char*)why.data : "?");
        gnutls_free(why.data);
      } else {
        st = tls_error("handshake failed", rc);
      }
      ep_net_tls_free(t);
      return st;
    }
    struct pollfd p = {fd, gnutls_record_get_direction(t->session) ? POLLOUT : POLLIN, 0};
    int ms = wait_ms(deadline);
    if (ms == 0 || poll(&p, 1, ms) == 0) {
      ep_net_tls_free(t);
      return ep_error(EP_ERR_IO, "TLS: no handshake in time");
    }
  }
  *out = t;
  return EP_OK;
}

static ssize_t result(ssize_t rc) {
  if (rc >= 0) return rc;
  if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) {
    errno = EAGAIN;
  } else if (rc == GNUTLS_E_PREMATURE_TERMINATION || rc == GNUTLS_E_PUSH_ERROR ||
             rc == GNUTLS_E_PULL_ERROR) {
    errno = ECONNRESET;
  } else {
    errno = EIO;
  }
  return -1;
}

ssize_t ep_net_tls_recv(ep_net_tls* t, void* data, size_t length) {
  return result(gnutls_record_recv(t->session, data, length));
}

ssize_t ep_net_tls_send(ep_net_tls* t, const void* data, size_t length) {
  return result(gnutls_record_send(t->session, data, length));
}

bool ep_net_tls_pending(ep_net_tls* t) { return gnutls_record_check_pending(t->session) > 0; }

bool ep_net_tls_wants_write(ep_net_tls* t) { return gnutls_record_get_direction(t->session) == 1; }

void ep_net_tls_free(ep_net_tls* t) {
  if (t == NULL) return;
  if (t->session != NULL) {
    gnutls_bye(t->session, GNUTLS_SHUT_WR); /* non-blocking: one try */
    gnutls_deinit(t->session);
  }
  free(t);
}

/* Builds without libmicrohttpd or libcurl (CMake's EP_HAVE_HTTP off): the HTTP server and client
 * say so instead of existing. */
#include "edgeprof/http.h"
#include "net/v2_client.h"

#include <string.h>

#define NOT_BUILT "KServe v2 over HTTP is not in this build (libmicrohttpd-dev and libcurl-dev were not found)"

bool ep_http_available(void) { return false; }

void ep_http_server_options_default(ep_http_server_options* o) { memset(o, 0, sizeof *o); }
ep_status ep_http_server_create(const ep_http_server_options* o, ep_http_server** out) {
  (void)o;
  (void)out;
  return ep_error(EP_ERR_UNSUPPORTED, NOT_BUILT);
}
int ep_http_server_port(const ep_http_server* s) {
  (void)s;
  return 0;
}
ep_status ep_http_server_run(ep_http_server* s) {
  (void)s;
  return ep_error(EP_ERR_UNSUPPORTED, NOT_BUILT);
}
void ep_http_server_stop(ep_http_server* s) { (void)s; }
void ep_http_server_destroy(ep_http_server* s) { (void)s; }
void ep_http_server_stats_get(ep_http_server* s, ep_http_server_stats* out) {
  (void)s;
  memset(out, 0, sizeof *out);
}

void ep_v2_client_options_default(ep_v2_client_options* o) { memset(o, 0, sizeof *o); }
void ep_v2_metadata_free(ep_v2_metadata* m) { (void)m; }
ep_status ep_v2_client_create(const ep_v2_client_options* o, v2_client** out) {
  (void)o;
  (void)out;
  return ep_error(EP_ERR_UNSUPPORTED, NOT_BUILT);
}
void ep_v2_client_destroy(v2_client* c) { (void)c; }
long ep_v2_client_last_status(const v2_client* c) {
  (void)c;
  return 0;
}
ep_status ep_v2_client_metadata(v2_client* c, const char* model, ep_v2_metadata* out,
                             ep_net_failure* failure) {
  (void)c, (void)model, (void)out;
  *failure = EP_NET_FAIL_UNREACHABLE;
  return ep_error(EP_ERR_UNSUPPORTED, NOT_BUILT);
}
ep_status ep_v2_client_infer(v2_client* c, const char* model, const v2_out* inputs, int n_inputs,
                          const v2_out* outputs, int n_outputs, ep_client_timing* timing,
                          ep_net_failure* failure) {
  (void)c, (void)model, (void)inputs, (void)n_inputs, (void)outputs, (void)n_outputs, (void)timing;
  *failure = EP_NET_FAIL_UNREACHABLE;
  return ep_error(EP_ERR_UNSUPPORTED, NOT_BUILT);
}

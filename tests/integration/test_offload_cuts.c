/* Loopback: every cut of mlp, lstm and mobilenet_v1 gives the local result bit for bit (the
 * server runs the same kernels on the same machine). */
#include "offload_test_util.h"

static void every_cut(const char* name, int port) {
  test_model m;
  if (test_model_open(&m, name, 7) != 0) {
    EP_CHECK_MSG(0, "cannot open %s: %s", name, ep_last_error());
    test_model_close(&m);
    return;
  }
  ep_offload_options oo;
  test_offload_options(&oo, name, port);
  ep_offload* off = NULL;
  EP_CHECK_OK(ep_offload_create(m.session, &oo, &off));
  int n = ep_graph_node_count(m.graph);
  int remote = 0;
  for (int k = 0; off != NULL && k <= n; k++) {
    ep_offload_run_info info;
    int same = test_offload_once(&m, off, k, &info);
    EP_CHECK_MSG(same, "%s: cut %d differs from the local run", name, k);
    EP_CHECK_MSG(info.remote == (k < n), "%s: cut %d: remote=%d (%s)", name, k, info.remote,
                 info.reason);
    remote += info.remote;
  }
  printf("%s: %d cuts, %d run on the server\n", name, n + 1, remote);
  ep_offload_destroy(off);
  test_model_close(&m);
}

int main(void) {
  test_server ts;
  if (test_server_start(&ts, NULL) != 0) {
    EP_CHECK_MSG(0, "cannot start a loopback server");
    return ep_test_finish();
  }
  every_cut("mlp", ts.port);
  every_cut("lstm", ts.port);
  every_cut("mobilenet_v1", ts.port);
  test_server_stop(&ts);
  return ep_test_finish();
}

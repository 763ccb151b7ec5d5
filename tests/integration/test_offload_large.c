/* Loopback: a sample of cuts of resnet50 and inception_v1 (the ends, quarters and, for
 * Inception, the widest cut inside a block) gives the local result bit for bit. */
#include "edgeprof/plan.h"
#include "offload_test_util.h"

static void sample_cuts(const char* name, int port) {
  test_model m;
  if (test_model_open(&m, name, 11) != 0) {
    EP_CHECK_MSG(0, "cannot open %s: %s", name, ep_last_error());
    test_model_close(&m);
    return;
  }
  int n = ep_graph_node_count(m.graph);
  int widest = 0, widest_count = 0;
  for (int k = 0; k <= n; k++) {
    int count = ep_plan_upload_tensors(m.graph, k, NULL, 0);
    if (count > widest_count) {
      widest_count = count;
      widest = k;
    }
  }
  int cuts[] = {0, n / 4, n / 2, widest, 3 * n / 4, n - 1};
  ep_offload_options oo;
  test_offload_options(&oo, name, port);
  ep_offload* off = NULL;
  EP_CHECK_OK(ep_offload_create(m.session, &oo, &off));
  for (size_t i = 0; off != NULL && i < sizeof cuts / sizeof cuts[0]; i++) {
    ep_offload_run_info info;
    int same = test_offload_once(&m, off, cuts[i], &info);
    EP_CHECK_MSG(same, "%s: cut %d differs from the local run", name, cuts[i]);
    EP_CHECK_MSG(info.remote, "%s: cut %d ran locally (%s)", name, cuts[i], info.reason);
    printf("%s: cut %d of %d (%d tensors up, %lld bytes): %s\n", name, cuts[i], n,
           ep_plan_upload_tensors(m.graph, cuts[i], NULL, 0), (long long)info.upload_bytes,
           same ? "same result" : "DIFFERENT");
  }
  ep_offload_destroy(off);
  test_model_close(&m);
}

int main(void) {
  test_server ts;
  if (test_server_start(&ts, NULL) != 0) {
    EP_CHECK_MSG(0, "cannot start a loopback server");
    return ep_test_finish();
  }
  sample_cuts("resnet50", ts.port);
  sample_cuts("inception_v1", ts.port);
  test_server_stop(&ts);
  return ep_test_finish();
}

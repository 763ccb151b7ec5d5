/* Loopback: 16 clients x 50 requests each at once (mlp and lstm, a random cut each time): every
 * result equals the local one and every request is answered by the server, none lost. */
#include "offload_test_util.h"

enum { CLIENTS = 16, REQUESTS = 50 };

typedef struct worker {
  int index;
  int port;
  int same, remote, done;
  char error[300];
} worker;

static void* worker_main(void* arg) {
  worker* w = arg;
  const char* name = w->index % 2 == 0 ? "mlp" : "lstm";
  test_model m;
  if (test_model_open(&m, name, 100 + (uint64_t)w->index) != 0) {
    snprintf(w->error, sizeof w->error, "cannot open %s: %s", name, ep_last_error());
    test_model_close(&m);
    return NULL;
  }
  ep_offload_options oo;
  test_offload_options(&oo, name, w->port);
  ep_offload* off = NULL;
  if (ep_offload_create(m.session, &oo, &off) != EP_OK) {
    snprintf(w->error, sizeof w->error, "%s", ep_last_error());
    test_model_close(&m);
    return NULL;
  }
  ep_test_rng rng = {(uint64_t)w->index * 7919 + 1};
  int n = ep_graph_node_count(m.graph);
  for (int r = 0; r < REQUESTS; r++) {
    ep_offload_run_info info;
    int k = ep_test_rng_int(&rng, 0, n - 1);
    w->same += test_offload_once(&m, off, k, &info);
    w->remote += info.remote;
    if (!info.remote && w->error[0] == '\0') {
      snprintf(w->error, sizeof w->error, "request %d (k=%d) ran locally: %s", r, k, info.reason);
    }
    w->done++;
  }
  ep_offload_destroy(off);
  test_model_close(&m);
  return NULL;
}

int main(void) {
  ep_server_options so;
  ep_server_options_default(&so);
  so.max_clients = CLIENTS;
  test_server ts;
  if (test_server_start(&ts, &so) != 0) {
    EP_CHECK_MSG(0, "cannot start a loopback server");
    return ep_test_finish();
  }
  worker w[CLIENTS];
  pthread_t t[CLIENTS];
  memset(w, 0, sizeof w);
  for (int i = 0; i < CLIENTS; i++) {
    w[i].index = i;
    w[i].port = ts.port;
    EP_CHECK(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
  }
  int same = 0, remote = 0, done = 0;
  for (int i = 0; i < CLIENTS; i++) {
    pthread_join(t[i], NULL);
    EP_CHECK_MSG(w[i].error[0] == '\0', "client %d: %s", i, w[i].error);
    same += w[i].same;
    remote += w[i].remote;
    done += w[i].done;
  }
  ep_server_stats stats;
  ep_server_stats_get(ts.server, &stats);
  printf("%d requests: %d correct, %d answered by the server (server counted %llu, %llu busy)\n",
         done, same, remote, (unsigned long long)stats.requests, (unsigned long long)stats.busy);
  EP_CHECK(done == CLIENTS * REQUESTS);
  EP_CHECK(same == CLIENTS * REQUESTS);
  EP_CHECK(remote == CLIENTS * REQUESTS);
  EP_CHECK(stats.requests == (uint64_t)(CLIENTS * REQUESTS) && stats.busy == 0);
  test_server_stop(&ts);
  return ep_test_finish();
}

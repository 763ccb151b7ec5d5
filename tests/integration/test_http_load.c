/* Loopback load through KServe v2 over HTTP: 64 clients at once, each with its own kept
 * connection (libcurl), 10 requests each to the tail mlp_from2 with its own random input (binary
 * tensors, every 5th in JSON): every request answered 200 by the server, every result equal bit
 * for bit to the same tail run here, and the server's counters agree: nothing lost or wrong. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/http.h"
#include "edgeprof/model.h"
#include "edgeprof/plan.h"
#include "net/v2_client.h"
#include "test_support.h"

enum { CLIENTS = 64, REQUESTS = 10, SPLIT = 2 };

typedef struct shared {
  const ep_graph* graph;
  ep_session* reference; /* the tail run here, under the lock */
  pthread_mutex_t lock;
  int in_id, out_id;
  size_t in_n, out_n;
  char url[64];
} shared;

typedef struct worker {
  shared* sh;
  int index;
  int answered, same;
  char error[300];
} worker;

static void* worker_main(void* arg) {
  worker* w = arg;
  shared* sh = w->sh;
  float* x = malloc(sh->in_n * sizeof *x);
  float* y = malloc(sh->out_n * sizeof *y);
  float* want = malloc(sh->out_n * sizeof *want);
  v2_client* c[2] = {NULL, NULL};
  ep_v2_client_options o;
  ep_v2_client_options_default(&o);
  o.url = sh->url;
  o.timeout_s = 60;
  o.connect_timeout_s = 10;
  if (x == NULL || y == NULL || want == NULL || ep_v2_client_create(&o, &c[0]) != EP_OK) {
    snprintf(w->error, sizeof w->error, "setup: %s", ep_last_error());
    goto done;
  }
  o.json_tensors = true;
  if (ep_v2_client_create(&o, &c[1]) != EP_OK) {
    snprintf(w->error, sizeof w->error, "setup: %s", ep_last_error());
    goto done;
  }
  ep_test_rng rng = {(uint64_t)w->index * 104729 + 7};
  const ep_tensor* in = ep_graph_tensor(sh->graph, sh->in_id);
  const ep_tensor* out = ep_graph_tensor(sh->graph, sh->out_id);
  for (int r = 0; r < REQUESTS; r++) {
    ep_test_fill(&rng, x, sh->in_n, 0.0f, 1.0f);
    pthread_mutex_lock(&sh->lock);
    memcpy(ep_session_tensor_data(sh->reference, sh->in_id), x, sh->in_n * sizeof *x);
    ep_status st = ep_session_run_range(sh->reference, SPLIT, ep_graph_node_count(sh->graph));
    memcpy(want, ep_session_tensor_data(sh->reference, sh->out_id), sh->out_n * sizeof *want);
    pthread_mutex_unlock(&sh->lock);
    if (st != EP_OK) {
      snprintf(w->error, sizeof w->error, "local run: %s", ep_last_error());
      break;
    }
    v2_out input = {in->name, in->shape, x, true};
    v2_out output = {out->name, out->shape, y, true};
    ep_client_timing t;
    ep_net_failure failure;
    memset(y, 0, sh->out_n * sizeof *y);
    if (ep_v2_client_infer(c[r % 5 == 4], "mlp_from2", &input, 1, &output, 1, &t, &failure) != EP_OK) {
      if (w->error[0] == '\0') {
        snprintf(w->error, sizeof w->error, "request %d: %s (%s)", r, ep_last_error(),
                 ep_net_failure_name(failure));
      }
      continue;
    }
    w->answered++;
    w->same += memcmp(y, want, sh->out_n * sizeof *y) == 0;
  }
done:
  ep_v2_client_destroy(c[0]);
  ep_v2_client_destroy(c[1]);
  free(x);
  free(y);
  free(want);
  return NULL;
}

static void* server_main(void* arg) {
  ep_http_server_run(arg);
  return NULL;
}

int main(void) {
  if (!ep_http_available()) {
    printf("skip: no KServe v2 over HTTP in this build\n");
    return 77;
  }
  shared sh;
  memset(&sh, 0, sizeof sh);
  pthread_mutex_init(&sh.lock, NULL);
  ep_graph* graph = NULL;
  EP_CHECK(ep_model_load("mlp", 2018, NULL, &graph) == EP_OK);
  if (graph == NULL) return ep_test_finish();
  sh.graph = graph;
  int ids[4];
  EP_CHECK(ep_plan_upload_tensors(graph, SPLIT, ids, 4) == 1);
  sh.in_id = ids[0];
  EP_CHECK(ep_plan_download_tensors(graph, SPLIT, ids, 4) == 1);
  sh.out_id = ids[0];
  sh.in_n = (size_t)ep_shape_numel(&ep_graph_tensor(graph, sh.in_id)->shape);
  sh.out_n = (size_t)ep_shape_numel(&ep_graph_tensor(graph, sh.out_id)->shape);
  ep_session_options so = {1, NULL, 0, NULL};
  EP_CHECK(ep_session_create(graph, &so, &sh.reference) == EP_OK);

  ep_http_server_options ho;
  ep_http_server_options_default(&ho);
  ho.port = 0;
  ho.seed = 2018;
  ho.max_clients = CLIENTS + 8;
  ho.max_per_address = CLIENTS + 8; /* every client is on 127.0.0.1 */
  ep_http_server* server = NULL;
  EP_CHECK(ep_http_server_create(&ho, &server) == EP_OK);
  if (server == NULL || sh.reference == NULL) {
    ep_session_destroy(sh.reference);
    ep_graph_destroy(graph);
    return ep_test_finish();
  }
  snprintf(sh.url, sizeof sh.url, "http://127.0.0.1:%d", ep_http_server_port(server));
  pthread_t st;
  EP_CHECK(pthread_create(&st, NULL, server_main, server) == 0);

  worker w[CLIENTS];
  pthread_t t[CLIENTS];
  memset(w, 0, sizeof w);
  for (int i = 0; i < CLIENTS; i++) {
    w[i].sh = &sh;
    w[i].index = i;
    EP_CHECK(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
  }
  int answered = 0, same = 0;
  for (int i = 0; i < CLIENTS; i++) {
    pthread_join(t[i], NULL);
    EP_CHECK_MSG(w[i].error[0] == '\0', "client %d: %s", i, w[i].error);
    answered += w[i].answered;
    same += w[i].same;
  }
  ep_http_server_stats stats;
  ep_http_server_stats_get(server, &stats);
  printf("%d clients x %d requests: %d answered, %d equal to the local tail; the server counted "
         "%llu inferences, %llu errors\n",
         CLIENTS, REQUESTS, answered, same, (unsigned long long)stats.inferences,
         (unsigned long long)stats.errors);
  EP_CHECK(answered == CLIENTS * REQUESTS);
  EP_CHECK(same == CLIENTS * REQUESTS);
  EP_CHECK(stats.inferences == (uint64_t)(CLIENTS * REQUESTS) && stats.errors == 0);
  ep_http_server_stop(server);
  pthread_join(st, NULL);
  ep_http_server_destroy(server);
  ep_session_destroy(sh.reference);
  ep_graph_destroy(graph);
  pthread_mutex_destroy(&sh.lock);
  return ep_test_finish();
}

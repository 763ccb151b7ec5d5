/* Load benchmark of the split-inference server (not a test): N clients each send R requests of
 * one model at one split, over loopback, to an in-process server (or to --server HOST:PORT or
 * http://HOST:PORT), through the native protocol or KServe v2 over HTTP (--protocol), and the
 * program prints the throughput and the p50 / p90 / p99 / max request latency.
 *
 * Build and run against a build folder: bench/net_load.sh does both, for both protocols.
 *   ./net_load --clients 8 --requests 200 --model mlp --split 2 --protocol http */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/bench.h"
#include "edgeprof/http.h"
#include "edgeprof/model.h"
#include "edgeprof/net.h"
#include "edgeprof/platform.h"
#include "edgeprof/zoo.h"

typedef struct config {
  int clients, requests, split, server_threads;
  const char* model;
  char host[256];
  int port;
  bool http;
  char url[300];        /* http: the server */
  char remote[300];     /* http: MODEL_from<split> */
} config;

typedef struct worker {
  const config* cfg;
  double* latency_ms; /* [requests] */
  int remote, failed;
} worker;

static void* worker_main(void* arg) {
  worker* w = arg;
  const config* c = w->cfg;
  ep_graph* graph = NULL;
  ep_session* session = NULL;
  ep_offload* off = NULL;
  ep_v2_offload* v2 = NULL;
  if (ep_model_load(c->model, EP_ZOO_DEFAULT_SEED, NULL, &graph) != EP_OK) goto done;
  ep_session_options so = {1, NULL, 0, NULL};
  if (ep_session_create(graph, &so, &session) != EP_OK) goto done;
  if (c->http) {
    ep_v2_offload_options vo;
    memset(&vo, 0, sizeof vo);
    ep_v2_client_options_default(&vo.client);
    vo.client.url = c->url;
    vo.client.timeout_s = 120;
    vo.model = c->remote;
    if (ep_v2_offload_create(session, &vo, &v2) != EP_OK) goto done;
  }
  ep_offload_options oo;
  memset(&oo, 0, sizeof oo);
  ep_client_options_default(&oo.client);
  oo.client.host = c->host;
  oo.client.port = c->port;
  oo.model.model_kind = EP_NET_MODEL_ZOO;
  snprintf(oo.model.zoo_name, sizeof oo.model.zoo_name, "%s", c->model);
  oo.model.seed = EP_ZOO_DEFAULT_SEED;
  if (!c->http && ep_offload_create(session, &oo, &off) != EP_OK) goto done;
  int input = ep_graph_input(graph, 0);
  size_t n = (size_t)ep_shape_numel(&ep_graph_tensor(graph, input)->shape);
  float* x = ep_session_tensor_data(session, input);
  for (size_t i = 0; i < n; i++) x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
  for (int r = 0; r < c->requests; r++) {
    ep_offload_run_info info;
    ep_status st = c->http ? ep_v2_offload_run(v2, c->split, &info)
                           : ep_offload_run(off, c->split, &info);
    if (st != EP_OK) {
      w->failed++;
      continue;
    }
    w->latency_ms[r] = info.total_ms;
    w->remote += info.remote;
  }
done:
  if (off == NULL && v2 == NULL) w->failed = c->requests;
  ep_offload_destroy(off);
  ep_v2_offload_destroy(v2);
  ep_session_destroy(session);
  ep_graph_destroy(graph);
  return NULL;
}

static void* server_main(void* arg) {
  ep_server_run(arg);
  return NULL;
}

static void* http_server_main(void* arg) {
  ep_http_server_run(arg);
  return NULL;
}

static int usage(void) {
  fprintf(stderr,
          "usage: net_load [--clients N] [--requests R] [--model NAME] [--split K]\n"
          "                [--server HOST:PORT|http://HOST:PORT] [--server-threads N]\n"
          "                [--protocol native|http]\n");
  return 2;
}

int main(int argc, char** argv) {
  config c = {8, 200, -1, 1, "mlp", "127.0.0.1", 0, false, "", ""};
  const char* server = NULL;
  for (int i = 1; i < argc; i++) {
    const char* v = i + 1 < argc ? argv[i + 1] : NULL;
    if (v == NULL) return usage();
    if (strcmp(argv[i], "--clients") == 0) {
      c.clients = atoi(v);
    } else if (strcmp(argv[i], "--requests") == 0) {
      c.requests = atoi(v);
    } else if (strcmp(argv[i], "--model") == 0) {
      c.model = v;
    } else if (strcmp(argv[i], "--split") == 0) {
      c.split = atoi(v);
    } else if (strcmp(argv[i], "--server") == 0) {
      server = v;
    } else if (strcmp(argv[i], "--protocol") == 0) {
      if (strcmp(v, "http") != 0 && strcmp(v, "native") != 0) return usage();
      c.http = strcmp(v, "http") == 0;
    } else if (strcmp(argv[i], "--server-threads") == 0) {
      c.server_threads = atoi(v);
    } else {
      return usage();
    }
    i++;
  }
  if (c.clients < 1 || c.requests < 1 || c.clients > 4096) return usage();
  ep_graph* g = NULL;
  if (ep_model_load(c.model, EP_ZOO_DEFAULT_SEED, NULL, &g) != EP_OK) {
    fprintf(stderr, "net_load: %s\n", ep_last_error());
    return 2;
  }
  int n = ep_graph_node_count(g);
  ep_graph_destroy(g);
  if (c.split < 0) c.split = n / 2;
  if (c.split > n) return usage();

  ep_server* s = NULL;
  ep_http_server* hs = NULL;
  pthread_t st;
  snprintf(c.remote, sizeof c.remote, "%s_from%d", c.model, c.split);
  if (server != NULL && strncmp(server, "http", 4) == 0) {
    c.http = true;
    snprintf(c.url, sizeof c.url, "%s", server);
  } else if (c.http && server == NULL) {
    ep_http_server_options ho;
    ep_http_server_options_default(&ho);
    ho.port = 0;
    ho.max_clients = c.clients + 4;
    ho.max_per_address = c.clients + 4; /* every client connects from loopback */
    ho.threads = c.server_threads;
    ho.seed = EP_ZOO_DEFAULT_SEED;
    if (ep_http_server_create(&ho, &hs) != EP_OK) {
      fprintf(stderr, "net_load: %s\n", ep_last_error());
      return 1;
    }
    c.port = ep_http_server_port(hs);
    snprintf(c.url, sizeof c.url, "http://127.0.0.1:%d", c.port);
    pthread_create(&st, NULL, http_server_main, hs);
  } else if (server != NULL) {
    if (ep_net_parse_address(server, c.host, sizeof c.host, &c.port) != EP_OK) return usage();
  } else {
    ep_server_options so;
    ep_server_options_default(&so);
    so.port = 0;
    so.max_clients = c.clients;
    so.max_pending_per_address = c.clients + 4; /* every client connects at once, from loopback */
    so.max_pending = c.clients + 4;
    so.threads = c.server_threads;
    if (ep_server_create(&so, &s) != EP_OK) {
      fprintf(stderr, "net_load: %s\n", ep_last_error());
      return 1;
    }
    c.port = ep_server_port(s);
    pthread_create(&st, NULL, server_main, s);
  }
  worker* w = calloc((size_t)c.clients, sizeof *w);
  pthread_t* t = calloc((size_t)c.clients, sizeof *t);
  double* all = calloc((size_t)c.clients * (size_t)c.requests, sizeof *all);
  if (w == NULL || t == NULL || all == NULL) return 1;
  double start = ep_now();
  for (int i = 0; i < c.clients; i++) {
    w[i].cfg = &c;
    w[i].latency_ms = all + (size_t)i * (size_t)c.requests;
    pthread_create(&t[i], NULL, worker_main, &w[i]);
  }
  int remote = 0, failed = 0;
  for (int i = 0; i < c.clients; i++) {
    pthread_join(t[i], NULL);
    remote += w[i].remote;
    failed += w[i].failed;
  }
  double seconds = ep_now() - start;
  int total = c.clients * c.requests;
  ep_latency_stats stats;
  ep_latency_stats_compute(all, total, &stats);
  char where[400];
  if (c.http) {
    snprintf(where, sizeof where, "KServe v2 over HTTP, %s model %s", c.url, c.remote);
  } else {
    snprintf(where, sizeof where, "native protocol, %s:%d", c.host, c.port);
  }
  printf("%s split at %d of %d, %d client%s x %d requests, %s\n", c.model, c.split, n, c.clients,
         c.clients == 1 ? "" : "s", c.requests, where);
  printf("%10s %10s %10s %10s %10s %10s %10s %8s %8s\n", "req/s", "p50 ms", "p90 ms", "p99 ms",
         "max ms", "mean ms", "seconds", "remote", "failed");
  printf("%10.1f %10.3f %10.3f %10.3f %10.3f %10.3f %10.2f %8d %8d\n", total / seconds,
         stats.median, stats.p90, stats.p99, stats.max, stats.mean, seconds, remote, failed);
  if (hs != NULL) {
    ep_http_server_stop(hs);
    pthread_join(st, NULL);
    ep_http_server_destroy(hs);
  }
  if (s != NULL) {
    ep_server_stop(s);
    pthread_join(st, NULL);
    ep_server_destroy(s);
  }
  free(w);
  free(t);
  free(all);
  return failed == 0 ? 0 : 1;
}

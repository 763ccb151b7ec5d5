/* Shared by the loopback offload tests (header only): a server on 127.0.0.1 and a free port in a
 * thread of the test, models with a seeded input, and a local reference result. */
#ifndef EDGEPROF_OFFLOAD_TEST_UTIL_H
#define EDGEPROF_OFFLOAD_TEST_UTIL_H

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/model.h"
#include "edgeprof/net.h"
#include "edgeprof/session.h"
#include "edgeprof/zoo.h"
#include "test_support.h"

typedef struct test_server {
  ep_server* server;
  pthread_t thread;
  int port;
} test_server;

static inline void* test_server_main(void* arg) {
  ep_server_run(((test_server*)arg)->server);
  return NULL;
}

/* Starts a loopback server; `opt` may be NULL (defaults). Returns 0 on success. */
static inline int test_server_start(test_server* ts, const ep_server_options* opt) {
  ep_server_options o;
  if (opt != NULL) {
    o = *opt;
  } else {
    ep_server_options_default(&o);
  }
  o.host = "127.0.0.1";
  o.port = 0;
  if (ep_server_create(&o, &ts->server) != EP_OK) {
    fprintf(stderr, "server: %s\n", ep_last_error());
    return -1;
  }
  ts->port = ep_server_port(ts->server);
  if (pthread_create(&ts->thread, NULL, test_server_main, ts) != 0) {
    ep_server_destroy(ts->server);
    return -1;
  }
  return 0;
}

static inline void test_server_stop(test_server* ts) {
  ep_server_stop(ts->server);
  pthread_join(ts->thread, NULL);
  ep_server_destroy(ts->server);
}

/* A model ready to run on the edge: optimized graph, session, seeded input, local output. */
typedef struct test_model {
  const char* name;
  ep_graph* graph;
  ep_session* session;
  float* input;
  size_t input_count;
  float* expected; /* output 0 of a whole local run */
  float* got;
  size_t output_count;
} test_model;

static inline int test_model_open(test_model* m, const char* name, uint64_t input_seed) {
  memset(m, 0, sizeof *m);
  m->name = name;
  if (ep_model_load(name, EP_ZOO_DEFAULT_SEED, NULL, &m->graph) != EP_OK) return -1;
  ep_session_options so = {1, NULL, 0, NULL};
  if (ep_session_create(m->graph, &so, &m->session) != EP_OK) return -1;
  const ep_tensor* in = ep_graph_tensor(m->graph, ep_graph_input(m->graph, 0));
  const ep_tensor* out = ep_graph_tensor(m->graph, ep_graph_output(m->graph, 0));
  m->input_count = (size_t)ep_shape_numel(&in->shape);
  m->output_count = (size_t)ep_shape_numel(&out->shape);
  m->input = malloc(m->input_count * sizeof(float));
  m->expected = malloc(m->output_count * sizeof(float));
  m->got = malloc(m->output_count * sizeof(float));
  if (m->input == NULL || m->expected == NULL || m->got == NULL) return -1;
  ep_test_rng rng = {input_seed};
  ep_test_fill(&rng, m->input, m->input_count, -1.0f, 1.0f);
  if (ep_session_set_input(m->session, 0, m->input, m->input_count) != EP_OK) return -1;
  if (ep_session_run(m->session) != EP_OK) return -1;
  return ep_session_get_output(m->session, 0, m->expected, m->output_count) == EP_OK ? 0 : -1;
}

static inline void test_model_close(test_model* m) {
  ep_session_destroy(m->session);
  ep_graph_destroy(m->graph);
  free(m->input);
  free(m->expected);
  free(m->got);
}

/* How much slower than native this run is allowed to be: EP_TEST_TIME_SCALE (make test-arm64
 * sets it for qemu, where a loaded 2-core host made 20 s RESULT waits of mobilenet_v1 time out).
 * Timeouts and time limits of the network tests are multiplied by it; 1 when unset or invalid. */
static inline double test_time_scale(void) {
  const char* v = getenv("EP_TEST_TIME_SCALE");
  double s = v ? strtod(v, NULL) : 1.0;
  return s >= 1.0 && s <= 1000.0 ? s : 1.0;
}

static inline void test_offload_options(ep_offload_options* o, const char* model, int port) {
  memset(o, 0, sizeof *o);
  ep_client_options_default(&o->client);
  o->client.host = "127.0.0.1";
  o->client.port = port;
  o->client.io_timeout_s = 20 * test_time_scale();
  o->model.model_kind = EP_NET_MODEL_ZOO;
  snprintf(o->model.zoo_name, sizeof o->model.zoo_name, "%s", model);
  o->model.seed = EP_ZOO_DEFAULT_SEED;
}

/* Runs split k; returns 1 when the output equals the local result bit for bit. */
static inline int test_offload_once(test_model* m, ep_offload* off, int k,
                                    ep_offload_run_info* info) {
  if (ep_session_set_input(m->session, 0, m->input, m->input_count) != EP_OK) return 0;
  if (ep_offload_run(off, k, info) != EP_OK) {
    fprintf(stderr, "%s k=%d: %s\n", m->name, k, ep_last_error());
    return 0;
  }
  if (ep_session_get_output(m->session, 0, m->got, m->output_count) != EP_OK) return 0;
  return memcmp(m->got, m->expected, m->output_count * sizeof(float)) == 0;
}

#endif /* EDGEPROF_OFFLOAD_TEST_UTIL_H */

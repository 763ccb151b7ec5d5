/* A split run against any KServe v2 server: nodes [0, k) here, the remote model (nodes [k, n),
 * the tensors crossing the cut as its inputs) there, and the rest here whenever the server
 * cannot answer, so that no request is lost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/http.h"
#include "edgeprof/plan.h"
#include "edgeprof/platform.h"
#include "net/v2_client.h"

struct ep_v2_offload {
  ep_session* session;
  const ep_graph* graph;
  int n;
  ep_v2_client_options client_options;
  char* url;
  char* ca_file;
  char* model;
  uint8_t token[EP_NET_MAX_TOKEN];
  v2_client* client;
  double backoff_s;
  double backoff_until; /* ep_now() before which the server is not asked */
  bool backoff_timeout; /* the failure that started it: a timeout (else unreachable) */
  int* ids;
  v2_out* tensors;
  int max_tensors;
};

static char* copy(const char* s) { return s != NULL ? strdup(s) : NULL; }

ep_status ep_v2_offload_create(ep_session* session, const ep_v2_offload_options* options,
                               ep_v2_offload** out) {
  if (session == NULL || options == NULL || options->model == NULL || options->client.url == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "v2 offload: a session, a server URL and a model are required");
  }
  if (options->client.token != NULL && options->client.token_length > EP_NET_MAX_TOKEN) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "a token holds at most %d bytes", EP_NET_MAX_TOKEN);
  }
  ep_v2_offload* o = calloc(1, sizeof *o);
  if (o == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an offload");
  o->session = session;
  o->graph = ep_session_graph(session);
  o->n = ep_graph_node_count(o->graph);
  o->client_options = options->client;
  o->backoff_s = options->backoff_s;
  o->url = copy(options->client.url);
  o->ca_file = copy(options->client.ca_file);
  o->model = copy(options->model);
  o->client_options.url = o->url;
  o->client_options.ca_file = o->ca_file;
  if (options->client.token != NULL) {
    memcpy(o->token, options->client.token, options->client.token_length);
    o->client_options.token = o->token;
  }
  o->max_tensors = ep_graph_tensor_count(o->graph) + 1;
  o->ids = calloc((size_t)o->max_tensors, sizeof *o->ids);
  o->tensors = calloc((size_t)o->max_tensors, sizeof *o->tensors);
  if (o->url == NULL || o->model == NULL || (options->client.ca_file != NULL && o->ca_file == NULL) ||
      o->ids == NULL || o->tensors == NULL) {
    ep_v2_offload_destroy(o);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an offload");
  }
  /* The URL is checked now (the server is reached on first use). */
  ep_status st = ep_v2_client_create(&o->client_options, &o->client);
  if (st != EP_OK) {
    ep_v2_offload_destroy(o);
    return st;
  }
  *out = o;
  return EP_OK;
}

void ep_v2_offload_destroy(ep_v2_offload* o) {
  if (o == NULL) return;
  ep_v2_client_destroy(o->client);
  free(o->url);
  free(o->ca_file);
  free(o->model);
  free(o->ids);
  free(o->tensors);
  free(o);
}

/* Whether the tensors `ids` are exactly those of `list` (by name, in any order, same shapes). */
static bool same_tensors(const ep_graph* g, const int* ids, int n, const ep_v2_tensor_info* list,
                         int n_list) {
  if (n != n_list) return false;
  for (int i = 0; i < n; i++) {
    const ep_tensor* t = ep_graph_tensor(g, ids[i]);
    bool found = false;
    for (int j = 0; j < n_list && !found; j++) {
      found = strcmp(list[j].name, t->name) == 0 && ep_shape_equal(&list[j].shape, &t->shape);
    }
    if (!found) return false;
  }
  return true;
}

ep_status ep_v2_offload_remote_split(ep_v2_offload* o, int* k_out) {
  ep_v2_metadata m;
  ep_net_failure failure;
  ep_status st = ep_v2_client_metadata(o->client, o->model, &m, &failure);
  if (st != EP_OK) return ep_error(EP_ERR_NOT_FOUND, "%s", ep_last_error());
  int found = -1;
  for (int k = 0; k < o->n && found < 0; k++) {
    int up = ep_plan_upload_tensors(o->graph, k, o->ids, o->max_tensors);
    if (!same_tensors(o->graph, o->ids, up, m.inputs, m.n_inputs)) continue;
    int down = ep_plan_download_tensors(o->graph, k, o->ids, o->max_tensors);
    if (same_tensors(o->graph, o->ids, down, m.outputs, m.n_outputs)) found = k;
  }
  ep_v2_metadata_free(&m);
  if (found < 0) {
    return ep_error(EP_ERR_NOT_FOUND,
                    "model '%s' on the server takes no cut of %s: its inputs and outputs are not "
                    "the tensors crossing any cut (another model, or another version of it?)",
                    o->model, ep_graph_name(o->graph));
  }
  *k_out = found;
  return EP_OK;
}

ep_status ep_v2_offload_run(ep_v2_offload* o, int k, ep_offload_run_info* info_out) {
  ep_offload_run_info info;
  memset(&info, 0, sizeof info);
  info.k = k;
  if (k < 0 || k > o->n) return ep_error(EP_ERR_INVALID_ARGUMENT, "split %d is outside [0, %d]", k, o->n);
  double start = ep_now();
  ep_status st = ep_session_run_range(o->session, 0, k);
  if (st != EP_OK) return st;
  info.edge_ms = (ep_now() - start) * 1e3;
  if (k < o->n) {
    int n_up = ep_plan_upload_tensors(o->graph, k, o->ids, o->max_tensors);
    int n_down = ep_plan_download_tensors(o->graph, k, o->ids + n_up, o->max_tensors - n_up);
    for (int i = 0; i < n_up + n_down; i++) {
      const ep_tensor* t = ep_graph_tensor(o->graph, o->ids[i]);
      o->tensors[i].name = t->name;
      o->tensors[i].shape = t->shape;
      o->tensors[i].data = ep_session_tensor_data(o->session, o->ids[i]);
    }
    ep_client_timing t;
    ep_net_failure failure = EP_NET_FAIL_NONE;
    double left = o->backoff_until - ep_now();
    if (left > 0) {
      /* A stopped or gone server costs one timeout, then requests run here without asking. */
      failure = o->backoff_timeout ? EP_NET_FAIL_TIMEOUT : EP_NET_FAIL_UNREACHABLE;
      st = ep_error(EP_ERR_IO, "backing off: the server %s; not asked again for %.1f s",
                    o->backoff_timeout ? "timed out" : "was unreachable", left);
    } else {
      /* The request is encoded before any output is written: the lists may share storage. */
      st = ep_v2_client_infer(o->client, o->model, o->tensors, n_up, o->tensors + n_up, n_down,
                              &t, &failure);
      if (st != EP_OK && o->backoff_s > 0 &&
          (failure == EP_NET_FAIL_TIMEOUT || failure == EP_NET_FAIL_UNREACHABLE)) {
        o->backoff_until = ep_now() + o->backoff_s;
        o->backoff_timeout = failure == EP_NET_FAIL_TIMEOUT;
      }
    }
    if (st == EP_OK) {
      info.remote = true;
      info.upload_bytes = t.upload_bytes;
      info.download_bytes = t.download_bytes;
      info.upload_ms = t.upload_s * 1e3;
      info.download_ms = t.wait_s * 1e3; /* v2 does not say the server's compute time */
    } else {
      info.failure = failure != EP_NET_FAIL_NONE ? failure : EP_NET_FAIL_PROTOCOL;
      /* As the native protocol's ERROR UNAUTHORIZED: a token to fix, not a failed link. */
      if (ep_v2_client_last_status(o->client) == 401) info.server_error = EP_NET_E_UNAUTHORIZED;
      snprintf(info.reason, sizeof info.reason, "%s", ep_last_error());
      double tail = ep_now();
      st = ep_session_run_range(o->session, k, o->n);
      if (st != EP_OK) return st;
      info.local_tail_ms = (ep_now() - tail) * 1e3;
    }
  }
  info.total_ms = (ep_now() - start) * 1e3;
  if (info_out != NULL) *info_out = info;
  return EP_OK;
}

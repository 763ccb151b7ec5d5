/* A split run: nodes [0, k) here, [k, n) on the server, and the rest here whenever the server
 * cannot answer, so that no request is lost. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/net.h"
#include "edgeprof/plan.h"
#include "edgeprof/platform.h"

struct ep_offload {
  ep_session* session;
  const ep_graph* graph;
  int n;
  ep_offload_options opt;
  uint8_t token[EP_NET_MAX_TOKEN];
  ep_client* client;
  int hello_split; /* split of the connection's last HELLO_OK, -1 if none */
  int* ids;
  ep_net_tensor_out* tensors;
  int max_tensors;
};

ep_status ep_offload_create(ep_session* session, const ep_offload_options* options,
                            ep_offload** offload_out) {
  if (session == NULL || options == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "offload: a session and options are required");
  }
  ep_offload* o = calloc(1, sizeof *o);
  if (o == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an offload");
  o->session = session;
  o->graph = ep_session_graph(session);
  o->n = ep_graph_node_count(o->graph);
  o->opt = *options;
  if (options->client.token != NULL) {
    if (options->client.token_length > EP_NET_MAX_TOKEN) {
      free(o);
      return ep_error(EP_ERR_INVALID_ARGUMENT, "a token holds at most %d bytes", EP_NET_MAX_TOKEN);
    }
    memcpy(o->token, options->client.token, options->client.token_length);
    o->opt.client.token = o->token;
  }
  o->hello_split = -1;
  o->max_tensors = ep_graph_tensor_count(o->graph) + 1;
  o->ids = calloc((size_t)o->max_tensors, sizeof *o->ids);
  o->tensors = calloc((size_t)o->max_tensors, sizeof *o->tensors);
  if (o->ids == NULL || o->tensors == NULL) {
    ep_offload_destroy(o);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an offload");
  }
  *offload_out = o;
  return EP_OK;
}

void ep_offload_destroy(ep_offload* o) {
  if (o == NULL) return;
  ep_client_destroy(o->client);
  free(o->ids);
  free(o->tensors);
  free(o);
}

static void drop_connection(ep_offload* o) {
  ep_client_destroy(o->client);
  o->client = NULL;
  o->hello_split = -1;
}

/* A connection whose HELLO names split k. On failure *failure says why. */
static ep_status connect_for(ep_offload* o, int k, ep_net_failure* failure) {
  *failure = EP_NET_FAIL_NONE;
  if (o->client != NULL && !ep_client_idle_ok(o->client)) drop_connection(o);
  if (o->client != NULL && o->hello_split == k) return EP_OK;
  if (o->client == NULL) {
    ep_status st = ep_client_connect(&o->opt.client, &o->client, failure);
    if (st != EP_OK) return st;
  }
  ep_net_hello hello = o->opt.model;
  hello.split = (uint32_t)k;
  ep_net_hello_ok ok;
  ep_status st = ep_client_hello(o->client, &hello, &ok);
  if (st != EP_OK) {
    *failure = ep_client_failure(o->client);
    drop_connection(o);
    return st;
  }
  int up = ep_plan_upload_tensors(o->graph, k, NULL, 0);
  int down = ep_plan_download_tensors(o->graph, k, NULL, 0);
  if (ok.n_nodes != (uint32_t)o->n || ok.upload_tensors != (uint32_t)up ||
      ok.download_tensors != (uint32_t)down) {
    *failure = EP_NET_FAIL_REFUSED;
    drop_connection(o);
    return ep_error(EP_ERR_FORMAT,
                    "the server's graph differs from ours (%u nodes, %u/%u "
                    "tensors at the cut; here %d nodes, %d/%d): another model version?",
                    ok.n_nodes, ok.upload_tensors, ok.download_tensors, o->n, up, down);
  }
  o->hello_split = k;
  return EP_OK;
}

static void fill_tensors(ep_offload* o, int count) {
  for (int i = 0; i < count; i++) {
    o->tensors[i].shape = ep_graph_tensor(o->graph, o->ids[i])->shape;
    o->tensors[i].data = ep_session_tensor_data(o->session, o->ids[i]);
  }
}

ep_status ep_offload_run(ep_offload* o, int k, ep_offload_run_info* info_out) {
  ep_offload_run_info info;
  memset(&info, 0, sizeof info);
  info.k = k;
  if (k < 0 || k > o->n) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "split %d is outside [0, %d]", k, o->n);
  }
  double start = ep_now();
  ep_status st = ep_session_run_range(o->session, 0, k);
  if (st != EP_OK) return st;
  double edge_done = ep_now();
  info.edge_ms = (edge_done - start) * 1e3;
  if (k < o->n) {
    ep_net_failure failure = EP_NET_FAIL_NONE;
    st = connect_for(o, k, &failure);
    if (st == EP_OK) {
      int n_up = ep_plan_upload_tensors(o->graph, k, o->ids, o->max_tensors);
      fill_tensors(o, n_up);
      /* The inputs are copied into the frame before the outputs are written: the two lists
       * may share storage in the session's arena. */
      ep_net_tensor_out* outs = o->tensors + n_up;
      int n_down = ep_plan_download_tensors(o->graph, k, o->ids + n_up, o->max_tensors - n_up);
      for (int i = 0; i < n_down; i++) {
        outs[i].shape = ep_graph_tensor(o->graph, o->ids[n_up + i])->shape;
        outs[i].data = ep_session_tensor_data(o->session, o->ids[n_up + i]);
      }
      ep_client_timing t;
      st = ep_client_infer(o->client, o->tensors, (uint32_t)n_up, outs, (uint32_t)n_down, &t);
      if (st == EP_OK) {
        info.remote = true;
        info.upload_bytes = t.upload_bytes;
        info.download_bytes = t.download_bytes;
        info.upload_ms = t.upload_s * 1e3;
        info.server_ms = t.server_s * 1e3;
        info.download_ms = (t.wait_s - t.server_s) * 1e3;
        if (info.download_ms < 0) info.download_ms = 0;
      } else {
        failure = ep_client_failure(o->client);
        drop_connection(o);
      }
    }
    if (st != EP_OK) {
      info.failure = failure != EP_NET_FAIL_NONE ? failure : EP_NET_FAIL_PROTOCOL;
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

ep_status ep_offload_server_profile(ep_offload* o, double* node_ms, int n_nodes) {
  ep_net_failure failure;
  ep_status st = connect_for(o, o->hello_split >= 0 ? o->hello_split : o->n, &failure);
  if (st != EP_OK) return st;
  uint32_t n = 0;
  st = ep_client_profile(o->client, node_ms, (uint32_t)n_nodes, &n);
  if (st != EP_OK) {
    drop_connection(o);
    return st;
  }
  if (n != (uint32_t)n_nodes) {
    return ep_error(EP_ERR_FORMAT, "the server's profile has %u nodes, ours %d", n, n_nodes);
  }
  return EP_OK;
}

ep_status ep_offload_measure_link(ep_offload* o, int pings, size_t probe_bytes, double* rtt_s_out,
                                  double* bps_out) {
  ep_net_failure failure;
  ep_status st = connect_for(o, o->hello_split >= 0 ? o->hello_split : o->n, &failure);
  if (st != EP_OK) return st;
  double rtt = 1e30;
  for (int i = 0; i < (pings > 0 ? pings : 1); i++) {
    double s = 0;
    st = ep_client_ping(o->client, 0, &s);
    if (st != EP_OK) {
      drop_connection(o);
      return st;
    }
    if (s < rtt) rtt = s;
  }
  double s = 0;
  st = ep_client_ping(o->client, probe_bytes, &s);
  if (st != EP_OK) {
    drop_connection(o);
    return st;
  }
  /* The probe's time is one RTT plus its transfer; a floor keeps loopback finite. */
  double transfer = s - rtt;
  if (transfer < 1e-6) transfer = 1e-6;
  *rtt_s_out = rtt;
  *bps_out = (double)(probe_bytes + 2 * EP_NET_HEADER_SIZE) * 8.0 / transfer;
  return EP_OK;
}

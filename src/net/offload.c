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
  bool hello_done;     /* the connection's last HELLO_OK was for hello_tiers */
  uint8_t* hello_tiers; /* placement of that HELLO */
  uint8_t* tiers;       /* the placement being run */
  int* ids;
  ep_net_tensor_out* tensors;
  int max_tensors;
  float** buf;           /* per tensor id: a tier-0 tensor copied out to be sent */
  const float** in_ptr;
  uint32_t server_error; /* the ERROR code of the last refusal */
  double backoff_until;  /* ep_now() before which the server is not asked */
  char backoff_why[120];
};

ep_status ep_offload_create(ep_session* session, const ep_offload_options* options,
                            ep_offload** offload_out) {
  if (session == NULL || options == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "offload: a session and options are required");
  }
  const ep_graph* graph = ep_session_graph(session);
  int non_float = ep_graph_first_non_float(graph);
  if (non_float >= 0) {
    const ep_tensor* t = ep_graph_tensor(graph, non_float);
    return ep_error(EP_ERR_UNSUPPORTED,
                    "%s has %s tensor %s: the split protocol carries float32 tensors",
                    ep_graph_name(graph), ep_dtype_name(t->dtype), t->name);
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
  o->max_tensors = ep_graph_tensor_count(o->graph) + 1;
  o->ids = calloc((size_t)o->max_tensors, sizeof *o->ids);
  o->tensors = calloc((size_t)o->max_tensors, sizeof *o->tensors);
  o->buf = calloc((size_t)o->max_tensors, sizeof *o->buf);
  o->in_ptr = calloc((size_t)o->max_tensors, sizeof *o->in_ptr);
  o->hello_tiers = calloc((size_t)o->n + 1, 1);
  o->tiers = calloc((size_t)o->n + 1, 1);
  if (o->ids == NULL || o->tensors == NULL || o->buf == NULL || o->in_ptr == NULL ||
      o->hello_tiers == NULL || o->tiers == NULL) {
    ep_offload_destroy(o);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an offload");
  }
  *offload_out = o;
  return EP_OK;
}

void ep_offload_destroy(ep_offload* o) {
  if (o == NULL) return;
  ep_client_destroy(o->client);
  for (int i = 0; o->buf != NULL && i < o->max_tensors; i++) free(o->buf[i]);
  free(o->buf);
  free(o->in_ptr);
  free(o->hello_tiers);
  free(o->tiers);
  free(o->ids);
  free(o->tensors);
  free(o);
}

/* A failure to reach the server or to hear from it in time starts the back-off: a server that
 * is stopped (SIGSTOP) or gone costs one timeout, then requests run here without asking. */
static void note_failure(ep_offload* o, ep_net_failure failure) {
  if (o->client != NULL && failure == EP_NET_FAIL_REFUSED) {
    o->server_error = ep_client_server_error(o->client);
  }
  if (o->opt.backoff_s > 0 &&
      (failure == EP_NET_FAIL_UNREACHABLE || failure == EP_NET_FAIL_TIMEOUT)) {
    o->backoff_until = ep_now() + o->opt.backoff_s;
    snprintf(o->backoff_why, sizeof o->backoff_why, "%s", ep_net_failure_name(failure));
  }
}

/* True (with an error set) while backing off. */
static bool backing_off(ep_offload* o) {
  double left = o->backoff_until - ep_now();
  if (left <= 0) return false;
  ep_error(EP_ERR_IO, "backing off: the server %s; not asked again for %.1f s",
           strcmp(o->backoff_why, "server unreachable") == 0 ? "was unreachable" : "timed out",
           left);
  return true;
}

static void drop_connection(ep_offload* o) {
  ep_client_destroy(o->client);
  o->client = NULL;
  o->hello_done = false;
}

/* A connection whose HELLO names placement `tier`. On failure *failure says why. */
static ep_status connect_for(ep_offload* o, const uint8_t* tier, ep_net_failure* failure) {
  *failure = EP_NET_FAIL_NONE;
  o->server_error = 0;
  if (backing_off(o)) {
    *failure = EP_NET_FAIL_BACKOFF;
    return EP_ERR_IO;
  }
  if (o->client != NULL && !ep_client_idle_ok(o->client)) drop_connection(o);
  if (o->client != NULL && o->hello_done && memcmp(o->hello_tiers, tier, (size_t)o->n) == 0) {
    return EP_OK;
  }
  if (o->client == NULL) {
    ep_status st = ep_client_connect(&o->opt.client, &o->client, failure);
    if (st != EP_OK) {
      note_failure(o, *failure);
      return st;
    }
  }
  ep_net_hello hello = o->opt.model;
  /* A prefix split travels as its k; any other placement as one tier byte per node. */
  int k = ep_net_placement_as_split(o->graph, tier);
  hello.split = k >= 0 ? (uint32_t)k : 0;
  hello.n_tiers = k >= 0 ? 0 : (uint32_t)o->n;
  hello.tiers = k >= 0 ? NULL : tier;
  hello.cut_dtype = (uint8_t)o->opt.cut_dtype;
  ep_net_hello_ok ok;
  ep_status st = ep_client_hello(o->client, &hello, &ok);
  if (st != EP_OK) {
    *failure = ep_client_failure(o->client);
    note_failure(o, *failure);
    drop_connection(o);
    return st;
  }
  int up = ep_net_placement_upload(o->graph, tier, 1, NULL, 0);
  int down = ep_net_placement_download(o->graph, tier, 1, NULL, 0);
  if (ok.n_nodes != (uint32_t)o->n || ok.upload_tensors != (uint32_t)up ||
      ok.download_tensors != (uint32_t)down ||
      ok.server_nodes != (uint32_t)ep_net_placement_nodes(o->graph, tier, 1, 255)) {
    *failure = EP_NET_FAIL_REFUSED;
    drop_connection(o);
    return ep_error(EP_ERR_FORMAT,
                    "the server's graph differs from ours (%u nodes, %u/%u "
                    "tensors at the cut; here %d nodes, %d/%d): another model version?",
                    ok.n_nodes, ok.upload_tensors, ok.download_tensors, o->n, up, down);
  }
  memcpy(o->hello_tiers, tier, (size_t)o->n);
  o->hello_done = true;
  return EP_OK;
}

/* The values of upload tensor ids[i]: graph inputs stay in the session for the whole run, the
 * rest are copied out as they are made (later edge nodes may reuse their buffers). */
static ep_status upload_buffers(ep_offload* o, int n_up) {
  for (int i = 0; i < n_up; i++) {
    int id = o->ids[i];
    const ep_tensor* t = ep_graph_tensor(o->graph, id);
    if (t->kind == EP_TENSOR_INPUT) {
      o->in_ptr[i] = ep_session_tensor_data(o->session, id);
      continue;
    }
    if (o->buf[id] == NULL) {
      o->buf[id] = malloc((size_t)ep_shape_numel(&t->shape) * sizeof(float) + 1);
      if (o->buf[id] == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a cut tensor");
    }
    o->in_ptr[i] = o->buf[id];
  }
  return EP_OK;
}

ep_status ep_offload_run_placement(ep_offload* o, const uint8_t* tier,
                                   ep_offload_run_info* info_out) {
  ep_offload_run_info info;
  memset(&info, 0, sizeof info);
  ep_status st = ep_net_placement_check(o->graph, tier, EP_NET_MAX_TIER);
  if (st != EP_OK) return st;
  if (tier != o->tiers) memcpy(o->tiers, tier, (size_t)o->n);
  info.k = ep_net_placement_as_split(o->graph, o->tiers);
  info.edge_nodes = ep_net_placement_nodes(o->graph, o->tiers, 0, 0);
  int n_up = ep_net_placement_upload(o->graph, o->tiers, 1, o->ids, o->max_tensors);
  st = upload_buffers(o, n_up);
  if (st != EP_OK) return st;
  /* The outputs of the edge part go into the upload buffers; graph inputs need no copy. */
  double start = ep_now();
  st = ep_net_placement_run(o->session, o->tiers, 0, 0, NULL, NULL, 0, o->ids,
                            (float* const*)o->in_ptr, n_up, ep_offload_edge_slowdown(o));
  if (st != EP_OK) return st;
  double edge_done = ep_now();
  info.edge_ms = (edge_done - start) * 1e3;
  if (info.edge_nodes < o->n) {
    ep_net_failure failure = EP_NET_FAIL_NONE;
    st = connect_for(o, o->tiers, &failure);
    if (st == EP_OK) {
      ep_cut_dtype dtype = o->opt.cut_dtype;
      for (int i = 0; i < n_up; i++) {
        o->tensors[i].shape = ep_graph_tensor(o->graph, o->ids[i])->shape;
        o->tensors[i].data = o->in_ptr[i];
        o->tensors[i].dtype = (uint8_t)dtype;
      }
      /* The inputs are copied into the frame before the outputs are written: the two lists
       * may share storage in the session's arena. */
      ep_net_tensor_out* outs = o->tensors + n_up;
      int* down_ids = o->ids + n_up;
      int n_down =
          ep_net_placement_download(o->graph, o->tiers, 1, down_ids, o->max_tensors - n_up);
      for (int i = 0; i < n_down; i++) {
        outs[i].shape = ep_graph_tensor(o->graph, down_ids[i])->shape;
        outs[i].data = ep_session_tensor_data(o->session, down_ids[i]);
        outs[i].dtype = EP_CUT_FP32;
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
        info.load = t.load;
      } else {
        failure = ep_client_failure(o->client);
        note_failure(o, failure);
        drop_connection(o);
      }
    }
    if (st != EP_OK) {
      info.failure = failure != EP_NET_FAIL_NONE ? failure : EP_NET_FAIL_PROTOCOL;
      info.server_error = info.failure == EP_NET_FAIL_REFUSED ? o->server_error : 0;
      snprintf(info.reason, sizeof info.reason, "%s", ep_last_error());
      double tail = ep_now();
      st = ep_net_placement_run(o->session, o->tiers, 1, 255, o->ids, o->in_ptr, n_up, NULL,
                                NULL, 0, ep_offload_edge_slowdown(o));
      if (st != EP_OK) return st;
      info.local_tail_ms = (ep_now() - tail) * 1e3;
    }
  }
  info.total_ms = (ep_now() - start) * 1e3;
  if (info_out != NULL) *info_out = info;
  return EP_OK;
}

double ep_offload_edge_slowdown(const ep_offload* o) {
  return o->opt.edge_slowdown > 1 ? o->opt.edge_slowdown : 1;
}

void ep_offload_set_cut_dtype(ep_offload* o, ep_cut_dtype dtype) {
  o->opt.cut_dtype = dtype;
  o->hello_done = false; /* the server forwards in the HELLO's dtype: say hello again */
}

ep_status ep_offload_run(ep_offload* o, int k, ep_offload_run_info* info_out) {
  if (k < 0 || k > o->n) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "split %d is outside [0, %d]", k, o->n);
  }
  ep_net_placement_from_split(o->graph, k, o->tiers);
  ep_offload_run_info info;
  ep_status st = ep_offload_run_placement(o, o->tiers, &info);
  if (st != EP_OK) return st;
  info.k = k;
  if (info_out != NULL) *info_out = info;
  return EP_OK;
}

/* The last HELLO's placement, or everything on the edge (a HELLO any server accepts) if none. */
static const uint8_t* current_placement(ep_offload* o) {
  if (o->client != NULL && o->hello_done) return o->hello_tiers;
  ep_net_placement_from_split(o->graph, o->n, o->tiers);
  return o->tiers;
}

ep_status ep_offload_server_profile(ep_offload* o, double* node_ms, int n_nodes) {
  ep_net_failure failure;
  ep_status st = connect_for(o, current_placement(o), &failure);
  if (st != EP_OK) return st;
  uint32_t n = 0;
  st = ep_client_profile(o->client, node_ms, (uint32_t)n_nodes, &n);
  if (st != EP_OK) {
    note_failure(o, ep_client_failure(o->client));
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
  ep_status st = connect_for(o, current_placement(o), &failure);
  if (st != EP_OK) return st;
  double rtt = 1e30;
  for (int i = 0; i < (pings > 0 ? pings : 1); i++) {
    double s = 0;
    st = ep_client_ping(o->client, 0, &s);
    if (st != EP_OK) {
      note_failure(o, ep_client_failure(o->client));
      drop_connection(o);
      return st;
    }
    if (s < rtt) rtt = s;
  }
  double s = 0;
  st = ep_client_ping(o->client, probe_bytes, &s);
  if (st != EP_OK) {
    note_failure(o, ep_client_failure(o->client));
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

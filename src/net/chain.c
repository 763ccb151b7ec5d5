/* A server connection's part of a placement: it receives the tensors entering hop 1, runs the
 * tier-1 nodes, forwards what enters hop 2 to the next server (a client of it, in the cut dtype
 * the HELLO asked for) and returns the graph outputs made from hop 1 on. When the next server
 * cannot answer, the nodes beyond run here: the result is the same, only slower. */
#include "net/chain.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/platform.h"

#define SLOWDOWN_WEIGHT 0.5 /* of the newest request in the reported moving average */

struct ep_net_chain {
  const ep_graph* graph;
  int n, n_tensors;
  uint8_t* tiers;
  uint8_t* next_tiers; /* the placement as the next server sees it: one hop down */
  bool beyond;         /* nodes lie beyond this server */
  uint8_t cut_dtype;
  int *up, *down, *fwd, *back; /* ids entering hop 1, leaving it, entering hop 2, leaving it */
  int n_up, n_down, n_fwd, n_back;
  float** buf; /* per tensor id: received or copied-out values */
  const float** in_ptr;
  float** out_ptr;
  ep_net_tensor_out* fwd_out;
  ep_net_tensor_out* back_out;
  ep_net_chain_next next;
  char next_host[256];
  uint8_t next_token[EP_NET_MAX_TOKEN];
  ep_client* client;
  ep_net_hello next_hello;
  double slowdown;
};

ep_net_chain* ep_net_chain_create(void) { return calloc(1, sizeof(ep_net_chain)); }

static void reset(ep_net_chain* c) {
  ep_client_destroy(c->client);
  c->client = NULL;
  for (int i = 0; c->buf != NULL && i < c->n_tensors; i++) free(c->buf[i]);
  free(c->buf);
  free(c->tiers);
  free(c->next_tiers);
  free(c->up);
  free(c->down);
  free(c->fwd);
  free(c->back);
  free(c->in_ptr);
  free(c->out_ptr);
  free(c->fwd_out);
  free(c->back_out);
  ep_net_chain saved = *c;
  memset(c, 0, sizeof *c);
  c->slowdown = saved.slowdown;
}

void ep_net_chain_destroy(ep_net_chain* c) {
  if (c == NULL) return;
  reset(c);
  free(c);
}

static void say(char* why, size_t size, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
static void say(char* why, size_t size, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(why, size, format, args);
  va_end(args);
}

static void log_next(ep_net_chain* c, const char* what) {
  if (c->next.log == NULL) return;
  char line[600];
  snprintf(line, sizeof line, "next server %s:%d: %s; its nodes run here", c->next_host,
           c->next.port, what);
  c->next.log(c->next.log_user, line);
}

/* Connects to the next server and says hello; on failure the nodes beyond run here. */
static void connect_next(ep_net_chain* c) {
  if (c->client != NULL && ep_client_idle_ok(c->client)) return;
  ep_client_destroy(c->client);
  c->client = NULL;
  if (c->next.host == NULL) return;
  ep_client_options o;
  ep_client_options_default(&o);
  o.host = c->next_host;
  o.port = c->next.port;
  o.token = c->next.token_length > 0 ? c->next_token : NULL;
  o.token_length = c->next.token_length;
  if (c->next.io_timeout_s > 0) o.io_timeout_s = c->next.io_timeout_s;
  ep_net_hello_ok ok;
  if (ep_client_connect(&o, &c->client, NULL) != EP_OK ||
      ep_client_hello(c->client, &c->next_hello, &ok) != EP_OK) {
    log_next(c, ep_last_error());
    ep_client_destroy(c->client);
    c->client = NULL;
    return;
  }
  if (ok.n_nodes != (uint32_t)c->n || ok.upload_tensors != (uint32_t)c->n_fwd ||
      ok.download_tensors != (uint32_t)c->n_back) {
    log_next(c, "its graph differs from ours (another model version?)");
    ep_client_destroy(c->client);
    c->client = NULL;
  }
}

static int* ids_of(const ep_graph* g, const uint8_t* tiers, int hop, bool upload, int* count) {
  int n = upload ? ep_net_placement_upload(g, tiers, hop, NULL, 0)
                 : ep_net_placement_download(g, tiers, hop, NULL, 0);
  int* ids = malloc((size_t)n * sizeof *ids + 1);
  if (ids == NULL) return NULL;
  *count = upload ? ep_net_placement_upload(g, tiers, hop, ids, n)
                  : ep_net_placement_download(g, tiers, hop, ids, n);
  return ids;
}

uint32_t ep_net_chain_hello(ep_net_chain* c, const ep_graph* g, const ep_net_hello* hello,
                            const ep_net_chain_next* next, int sessions, ep_net_hello_ok* ok,
                            char* why, size_t why_size) {
  reset(c);
  int n = ep_graph_node_count(g);
  c->graph = g;
  c->n = n;
  c->n_tensors = ep_graph_tensor_count(g);
  c->cut_dtype = hello->cut_dtype;
  c->tiers = malloc((size_t)n + 1);
  c->next_tiers = malloc((size_t)n + 1);
  c->buf = calloc((size_t)c->n_tensors + 1, sizeof *c->buf);
  if (c->tiers == NULL || c->next_tiers == NULL || c->buf == NULL) {
    say(why, why_size, "out of memory");
    return EP_NET_E_INTERNAL;
  }
  if (hello->n_tiers == 0) {
    if (hello->split > (uint32_t)n) {
      say(why, why_size, "split %u is outside [0, %d]", hello->split, n);
      return EP_NET_E_BAD_SPLIT;
    }
    ep_net_placement_from_split(g, (int)hello->split, c->tiers);
  } else {
    if (hello->n_tiers != (uint32_t)n) {
      say(why, why_size, "the placement names %u nodes, the model has %d", hello->n_tiers, n);
      return EP_NET_E_BAD_SPLIT;
    }
    memcpy(c->tiers, hello->tiers, (size_t)n);
    bool has_next = next != NULL && next->host != NULL;
    if (ep_net_placement_check(g, c->tiers, has_next ? EP_NET_MAX_TIER : 1) != EP_OK) {
      say(why, why_size, "%s%s", ep_last_error(),
          has_next ? "" : " (this server has no --next server)");
      return EP_NET_E_BAD_SPLIT;
    }
  }
  for (int i = 0; i < n; i++) {
    c->next_tiers[i] = c->tiers[i] > 0 ? (uint8_t)(c->tiers[i] - 1) : 0;
    if (c->tiers[i] >= 2) c->beyond = true;
  }
  c->up = ids_of(g, c->tiers, 1, true, &c->n_up);
  c->down = ids_of(g, c->tiers, 1, false, &c->n_down);
  c->fwd = ids_of(g, c->tiers, 2, true, &c->n_fwd);
  c->back = ids_of(g, c->tiers, 2, false, &c->n_back);
  c->in_ptr = calloc((size_t)c->n_up + (size_t)c->n_fwd + 1, sizeof *c->in_ptr);
  c->out_ptr = calloc((size_t)c->n_fwd + 1, sizeof *c->out_ptr);
  c->fwd_out = calloc((size_t)c->n_fwd + 1, sizeof *c->fwd_out);
  c->back_out = calloc((size_t)c->n_back + 1, sizeof *c->back_out);
  if (c->up == NULL || c->down == NULL || c->fwd == NULL || c->back == NULL ||
      c->in_ptr == NULL || c->out_ptr == NULL || c->fwd_out == NULL || c->back_out == NULL) {
    say(why, why_size, "out of memory");
    return EP_NET_E_INTERNAL;
  }
  if (c->n_up > EP_NET_MAX_TENSORS || c->n_down > EP_NET_MAX_TENSORS ||
      c->n_fwd > EP_NET_MAX_TENSORS) {
    say(why, why_size, "more than %d tensors cross this placement", EP_NET_MAX_TENSORS);
    return EP_NET_E_BAD_SPLIT;
  }
  /* Buffers for everything received or forwarded, allocated once per HELLO. */
  for (int pass = 0; pass < 2; pass++) {
    const int* ids = pass == 0 ? c->up : c->fwd;
    int count = pass == 0 ? c->n_up : c->n_fwd;
    for (int i = 0; i < count; i++) {
      if (c->buf[ids[i]] != NULL) continue;
      size_t numel = (size_t)ep_shape_numel(&ep_graph_tensor(g, ids[i])->shape);
      c->buf[ids[i]] = malloc(numel * sizeof(float) + 1);
      if (c->buf[ids[i]] == NULL) {
        say(why, why_size, "out of memory");
        return EP_NET_E_INTERNAL;
      }
    }
  }
  if (c->beyond && next != NULL && next->host != NULL) {
    c->next = *next;
    snprintf(c->next_host, sizeof c->next_host, "%s", next->host);
    c->next.host = c->next_host;
    if (next->token_length > 0 && next->token_length <= EP_NET_MAX_TOKEN) {
      memcpy(c->next_token, next->token, next->token_length);
    } else {
      c->next.token_length = 0;
    }
    c->next_hello = *hello;
    c->next_hello.split = 0;
    c->next_hello.n_tiers = (uint32_t)n;
    c->next_hello.tiers = c->next_tiers;
    c->next_hello.cut_dtype = c->cut_dtype;
    connect_next(c);
  }
  memset(ok, 0, sizeof *ok);
  ok->n_nodes = (uint32_t)n;
  ok->split = hello->split;
  ok->upload_tensors = (uint32_t)c->n_up;
  ok->download_tensors = (uint32_t)c->n_down;
  ok->server_nodes = (uint32_t)ep_net_placement_nodes(g, c->tiers, 1, 255);
  ok->sessions = (uint32_t)(sessions > 0 ? sessions : 1);
  return EP_NET_OK;
}

uint32_t ep_net_chain_take(ep_net_chain* c, const ep_net_tensor_view* views, uint32_t count,
                           char* why, size_t why_size) {
  if (count != (uint32_t)c->n_up) {
    say(why, why_size, "the placement takes %d tensors, got %u", c->n_up, count);
    return EP_NET_E_BAD_TENSORS;
  }
  for (int i = 0; i < c->n_up; i++) {
    const ep_tensor* t = ep_graph_tensor(c->graph, c->up[i]);
    if (!ep_shape_equal(&t->shape, &views[i].shape)) {
      char want[64], got[64];
      say(why, why_size, "tensor %d (%s) must be %s, got %s", i, t->name,
          ep_shape_format(&t->shape, want, sizeof want),
          ep_shape_format(&views[i].shape, got, sizeof got));
      return EP_NET_E_BAD_TENSORS;
    }
  }
  for (int i = 0; i < c->n_up; i++) ep_net_tensor_read_f32(&views[i], c->buf[c->up[i]]);
  return EP_NET_OK;
}

/* Tells whether the next server answered; on failure the caller runs the nodes beyond here. */
static bool forward(ep_net_chain* c, ep_session* session) {
  connect_next(c);
  if (c->client == NULL) return false;
  for (int i = 0; i < c->n_fwd; i++) {
    c->fwd_out[i].shape = ep_graph_tensor(c->graph, c->fwd[i])->shape;
    c->fwd_out[i].data = c->buf[c->fwd[i]];
    c->fwd_out[i].dtype = c->cut_dtype;
  }
  /* The next server's outputs are graph outputs: their session buffers live the whole run. */
  for (int i = 0; i < c->n_back; i++) {
    c->back_out[i].shape = ep_graph_tensor(c->graph, c->back[i])->shape;
    c->back_out[i].data = ep_session_tensor_data(session, c->back[i]);
  }
  ep_client_timing t;
  if (ep_client_infer(c->client, c->fwd_out, (uint32_t)c->n_fwd, c->back_out,
                      (uint32_t)c->n_back, &t) != EP_OK) {
    log_next(c, ep_last_error());
    ep_client_destroy(c->client);
    c->client = NULL;
    return false;
  }
  return true;
}

ep_status ep_net_chain_run(ep_net_chain* c, ep_session* session, double throttle,
                           const double* profile_ms, ep_net_tensor_out* outs, uint32_t* n_outs,
                           ep_net_load* load) {
  for (int i = 0; i < c->n_up; i++) c->in_ptr[i] = c->buf[c->up[i]];
  for (int i = 0; i < c->n_fwd; i++) c->out_ptr[i] = c->buf[c->fwd[i]];
  double start = ep_now();
  ep_status st = ep_net_placement_run(session, c->tiers, 1, 1, c->up, c->in_ptr, c->n_up, c->fwd,
                                      c->out_ptr, c->n_fwd, throttle);
  double mine = ep_now() - start;
  if (st != EP_OK) return st;
  if (profile_ms != NULL) {
    double expected = 0;
    for (int i = 0; i < c->n; i++) expected += c->tiers[i] == 1 ? profile_ms[i] : 0;
    if (expected > 1e-6) {
      double sample = mine * 1e3 / expected;
      c->slowdown = c->slowdown > 0
                        ? (1 - SLOWDOWN_WEIGHT) * c->slowdown + SLOWDOWN_WEIGHT * sample
                        : sample;
    }
  }
  load->slowdown = c->slowdown;
  load->throttle = throttle > 1 ? throttle : 1;
  load->forward_ns = 0;
  if (c->beyond) {
    double sent = ep_now();
    if (forward(c, session)) {
      load->forward_ns = (uint64_t)((ep_now() - sent) * 1e9);
    } else {
      for (int i = 0; i < c->n_fwd; i++) c->in_ptr[i] = c->buf[c->fwd[i]];
      st = ep_net_placement_run(session, c->tiers, 2, 255, c->fwd, c->in_ptr, c->n_fwd, NULL,
                                NULL, 0, throttle);
      if (st != EP_OK) return st;
    }
  }
  for (int i = 0; i < c->n_down; i++) {
    outs[i].shape = ep_graph_tensor(c->graph, c->down[i])->shape;
    outs[i].data = ep_session_tensor_data(session, c->down[i]);
    outs[i].dtype = EP_CUT_FP32;
  }
  *n_outs = (uint32_t)c->n_down;
  return EP_OK;
}

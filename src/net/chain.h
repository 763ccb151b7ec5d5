/* A server connection's part of a placement (src/net/chain.c): the nodes this server runs, the
 * tensors it receives and returns, and the forward to the next server of a chain. Internal to
 * the net layer; used by server.c. */
#ifndef EDGEPROF_NET_CHAIN_H
#define EDGEPROF_NET_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "edgeprof/net.h"

typedef struct ep_net_chain ep_net_chain;

/* Where the next server is; host NULL for none. Copied by ep_net_chain_hello. */
typedef struct ep_net_chain_next {
  const char* host;
  int port;
  const uint8_t* token;
  size_t token_length;
  double io_timeout_s;
  void (*log)(void* user, const char* line);
  void* log_user;
} ep_net_chain_next;

ep_net_chain* ep_net_chain_create(void);
void ep_net_chain_destroy(ep_net_chain* chain);

/* Takes the placement of a HELLO for `graph` (a prefix split or tiers), connects to the next
 * server when nodes lie beyond this one, and fills `ok`. On refusal returns the ERROR code and
 * writes why; EP_NET_OK otherwise. */
uint32_t ep_net_chain_hello(ep_net_chain* chain, const ep_graph* graph, const ep_net_hello* hello,
                            const ep_net_chain_next* next, int sessions, ep_net_hello_ok* ok,
                            char* why, size_t why_size);

/* Checks an INFER's tensors against the placement (EP_NET_E_BAD_TENSORS and why if they do not
 * match) and decodes them. */
uint32_t ep_net_chain_take(ep_net_chain* chain, const ep_net_tensor_view* views, uint32_t count,
                           char* why, size_t why_size);

/* Runs this server's nodes in `session`, then those beyond through the next server (or here, if
 * it cannot answer); `profile_ms` (NULL: none yet) gives the slowdown report. Fills outs[] (the
 * RESULT's tensors, pointing into the session) and the load's slowdown, throttle and
 * forward_ns. */
ep_status ep_net_chain_run(ep_net_chain* chain, ep_session* session, double throttle,
                           const double* profile_ms, ep_net_tensor_out* outs, uint32_t* n_outs,
                           ep_net_load* load);

#endif /* EDGEPROF_NET_CHAIN_H */

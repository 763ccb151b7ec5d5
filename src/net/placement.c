/* Placements: which tier of a chain (edge, server, the server's --next, ...) runs each node, what
 * crosses into each hop, and running one tier's nodes in a session that is shared with no other
 * tier's (docs/protocol.md, "Placements"). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgeprof/net.h"
#include "edgeprof/platform.h"

static void sleep_seconds(double s) {
  if (!(s > 0)) return;
  struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

ep_status ep_net_placement_check(const ep_graph* g, const uint8_t* tier, int max_tier) {
  int n = ep_graph_node_count(g);
  for (int i = 0; i < n; i++) {
    if (tier[i] > max_tier) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "node %d (%s) is on tier %d, beyond the last (%d)",
                      i, ep_graph_node(g, i)->name, tier[i], max_tier);
    }
    const ep_node* node = ep_graph_node(g, i);
    for (int j = 0; j < node->n_inputs; j++) {
      if (node->inputs[j] < 0) continue;
      int p = ep_graph_tensor(g, node->inputs[j])->producer;
      if (p >= 0 && tier[p] > tier[i]) {
        return ep_error(EP_ERR_INVALID_ARGUMENT,
                        "node %d (%s) on tier %d reads %s from tier %d: a tensor would cross back "
                        "(a placement must be closed under predecessors on each tier)",
                        i, node->name, tier[i], ep_graph_node(g, p)->name, tier[p]);
      }
    }
  }
  return EP_OK;
}

void ep_net_placement_from_split(const ep_graph* g, int k, uint8_t* tier) {
  int n = ep_graph_node_count(g);
  for (int i = 0; i < n; i++) tier[i] = i < k ? 0 : 1;
}

int ep_net_placement_as_split(const ep_graph* g, const uint8_t* tier) {
  int n = ep_graph_node_count(g), k = 0;
  while (k < n && tier[k] == 0) k++;
  for (int i = k; i < n; i++) {
    if (tier[i] != 1) return -1;
  }
  return k;
}

/* The highest tier of the nodes reading tensor `id` (-1 when none does). */
static int highest_reader(const ep_graph* g, const uint8_t* tier, int id) {
  const ep_tensor* t = ep_graph_tensor(g, id);
  int highest = -1;
  int first = t->producer + 1 > 0 ? t->producer + 1 : 0;
  for (int i = first; i <= t->last_consumer; i++) {
    const ep_node* node = ep_graph_node(g, i);
    for (int j = 0; j < node->n_inputs; j++) {
      if (node->inputs[j] == id && tier[i] > highest) highest = tier[i];
    }
  }
  return highest;
}

int ep_net_placement_upload(const ep_graph* g, const uint8_t* tier, int hop, int* ids, int max) {
  int count = 0;
  for (int id = 0; id < ep_graph_tensor_count(g); id++) {
    const ep_tensor* t = ep_graph_tensor(g, id);
    if (t->kind == EP_TENSOR_CONSTANT) continue;
    int from = t->kind == EP_TENSOR_INPUT ? -1 : tier[t->producer];
    if (from < hop && highest_reader(g, tier, id) >= hop) {
      if (ids != NULL && count < max) ids[count] = id;
      count++;
    }
  }
  return count;
}

int ep_net_placement_download(const ep_graph* g, const uint8_t* tier, int hop, int* ids, int max) {
  int count = 0;
  for (int i = 0; i < ep_graph_output_count(g); i++) {
    int id = ep_graph_output(g, i);
    const ep_tensor* t = ep_graph_tensor(g, id);
    if (t->kind == EP_TENSOR_ACTIVATION && tier[t->producer] >= hop) {
      if (ids != NULL && count < max) ids[count] = id;
      count++;
    }
  }
  return count;
}

int ep_net_placement_nodes(const ep_graph* g, const uint8_t* tier, int lo, int hi) {
  int count = 0;
  for (int i = 0; i < ep_graph_node_count(g); i++) count += tier[i] >= lo && tier[i] <= hi;
  return count;
}

/* Runs the nodes with lo <= tier <= hi in runs of consecutive indices. The session's arena was
 * planned for the whole graph in node order, so a tensor from another tier is written just
 * before the first run that follows its producer (its buffer may serve an earlier, dead tensor
 * until then), and a tensor leaving is copied out right after the run that made it (a later
 * node of this tier may reuse its buffer once the nodes of other tiers that read it have
 * passed in node order). Every such tensor crosses the range boundaries around it, so
 * ep_session_run_range keeps it in the plain layout there. */
ep_status ep_net_placement_run(ep_session* session, const uint8_t* tier, int lo, int hi,
                               const int* in_ids, const float* const* in, int n_in,
                               const int* out_ids, float* const* out, int n_out,
                               double slowdown) {
  const ep_graph* g = ep_session_graph(session);
  int n = ep_graph_node_count(g);
  bool* written = calloc((size_t)n_in + 1, sizeof *written);
  if (written == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to run a placement");
  ep_status st = EP_OK;
  int i = 0;
  while (i < n && st == EP_OK) {
    if (tier[i] < lo || tier[i] > hi) {
      i++;
      continue;
    }
    int end = i;
    while (end < n && tier[end] >= lo && tier[end] <= hi) end++;
    for (int t = 0; t < n_in; t++) {
      if (written[t] || ep_graph_tensor(g, in_ids[t])->producer >= i) continue;
      const ep_tensor* tensor = ep_graph_tensor(g, in_ids[t]);
      float* dst = ep_session_tensor_data(session, in_ids[t]);
      if (dst != in[t]) memcpy(dst, in[t], (size_t)ep_shape_numel(&tensor->shape) * sizeof *dst);
      written[t] = true;
    }
    double start = ep_now();
    st = ep_session_run_range(session, i, end);
    if (st == EP_OK && slowdown > 1) sleep_seconds((slowdown - 1) * (ep_now() - start));
    for (int t = 0; t < n_out && st == EP_OK; t++) {
      int p = ep_graph_tensor(g, out_ids[t])->producer;
      if (p < i || p >= end) continue;
      const ep_tensor* tensor = ep_graph_tensor(g, out_ids[t]);
      memcpy(out[t], ep_session_tensor_data(session, out_ids[t]),
             (size_t)ep_shape_numel(&tensor->shape) * sizeof(float));
    }
    i = end;
  }
  free(written);
  return st;
}

/* The best partition: every prefix cut (Neurosurgeon) or the exact optimum over the whole DAG by
 * minimum cut (DADS; layered for three tiers), round trips handled by trying each chain of
 * tiers. The construction and why it is exact: docs/plan.md, "DAG partitions". */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plan/partition_internal.h"

/* a better than b: lower by more than a rounding error. */
static bool better(double a, double b) { return a < b - 1e-9 * fmax(1.0, fabs(b)); }

/* Weight of a millisecond of each kind under the objective: latency counts every ms; energy
 * what the device spends meanwhile (docs/plan.md, "Formulas"). */
static double compute_weight(const ep_plan_request* r, int tier) {
  if (r->objective != EP_PLAN_ENERGY) return 1.0;
  return tier == EP_TIER_DEVICE ? r->power.compute_w : r->power.idle_w;
}

static double hop_weight(const ep_plan_request* r, int hop) {
  if (r->objective != EP_PLAN_ENERGY) return 1.0;
  return hop == 0 ? r->power.radio_w : r->power.idle_w;
}

static int link_of(int from, int to) {
  if (from == EP_TIER_DEVICE && to == EP_TIER_FOG) return EP_LINK_DEVICE_FOG;
  if (from == EP_TIER_FOG && to == EP_TIER_SERVER) return EP_LINK_FOG_SERVER;
  return EP_LINK_DEVICE_SERVER;
}

ep_status ep_plan_dag_min_cut(const ep_plan_request* r, const int* chain_tiers, int n_positions,
                           bool back_and_forth, int* tier_out, double* value_out,
                           int* back_tensors_out) {
  const ep_graph* g = r->graph;
  int n = ep_graph_node_count(g);
  int layers = n_positions - 1;
  if (layers <= 0) {
    double v = 0;
    for (int i = 0; i < n; i++) {
      tier_out[i] = EP_TIER_DEVICE;
      v += compute_weight(r, EP_TIER_DEVICE) * r->node_ms[EP_TIER_DEVICE][i];
    }
    *value_out = v;
    if (back_tensors_out != NULL) *back_tensors_out = 0;
    return EP_OK;
  }
  if (back_and_forth && layers != 1) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "plan: back-and-forth only between two tiers");
  }
  int n_tensors = ep_graph_tensor_count(g);
  /* Vertex s = 0, t = 1, then node i at layer j (1-based) = 2 + (j - 1) n + i: on the sink side
   * when the node runs at chain position >= j. */
  ep_plan_flow* f = ep_plan_flow_create(2 + layers * n);
  int* readers = calloc((size_t)n + 1, sizeof *readers);
  bool* sink = NULL;
  ep_status status = EP_OK;
  if (f == NULL || readers == NULL) goto oom;
  const int s = 0, t = 1;
#define V(i, j) (2 + ((j) - 1) * n + (i))
#define ADD(a, b, c)                                       \
  do {                                                     \
    if (ep_plan_flow_add_edge(f, (a), (b), (c)) != 0) goto oom; \
  } while (0)
  double constant = 0;
  for (int i = 0; i < n; i++) {
    double prev = compute_weight(r, chain_tiers[0]) * r->node_ms[chain_tiers[0]][i];
    constant += prev;
    for (int j = 1; j <= layers; j++) {
      double c = compute_weight(r, chain_tiers[j]) * r->node_ms[chain_tiers[j]][i];
      double a = c - prev; /* paid when the node moves from position j - 1 to j */
      if (a >= 0) {
        ADD(s, V(i, j), a);
      } else {
        constant += a;
        ADD(V(i, j), t, -a);
      }
      prev = c;
      if (j < layers) ADD(V(i, j), V(i, j + 1), INFINITY); /* position >= j+1 implies >= j */
    }
  }
  for (int id = 0; id < n_tensors; id++) {
    const ep_tensor* tensor = ep_graph_tensor(g, id);
    if (tensor->kind == EP_TENSOR_CONSTANT) continue;
    int p = tensor->kind == EP_TENSOR_ACTIVATION ? tensor->producer : -1;
    int n_readers = 0;
    for (int i = p + 1; i <= tensor->last_consumer && i < n; i++) {
      const ep_node* node = ep_graph_node(g, i);
      for (int k = 0; k < node->n_inputs; k++) {
        if (node->inputs[k] == id) {
          readers[n_readers++] = i;
          break;
        }
      }
    }
    for (int j = 1; j <= layers; j++) {
      int from = chain_tiers[j - 1], to = chain_tiers[j];
      const ep_network* net = &r->link[link_of(from, to)];
      double w = hop_weight(r, j - 1);
      /* Forward: paid when the producer (the source for a graph input) is before position j
       * and a reader at or beyond it. */
      if (n_readers > 0) {
        double up = w * 1e3 * 8.0 * (double)ep_plan_tensor_bytes(g, id, r->dtype) / net->uplink_bps;
        int from_v = p >= 0 ? V(p, j) : s;
        if (n_readers == 1) {
          ADD(from_v, V(readers[0], j), up);
        } else {
          int a = ep_plan_flow_add_vertex(f);
          if (a < 0) goto oom;
          ADD(from_v, a, up);
          for (int k = 0; k < n_readers; k++) ADD(a, V(readers[k], j), INFINITY);
        }
        for (int k = 0; p >= 0 && k < n_readers; k++) {
          if (!back_and_forth) {
            ADD(V(readers[k], j), V(p, j), INFINITY); /* monotone: reader not before producer */
          }
        }
        if (back_and_forth && p >= 0) {
          /* Back: paid when the producer is on the server and a reader on the device. */
          double down =
              w * 1e3 * 8.0 * (double)ep_plan_tensor_bytes(g, id, r->dtype) / net->downlink_bps;
          int a = ep_plan_flow_add_vertex(f);
          if (a < 0) goto oom;
          for (int k = 0; k < n_readers; k++) ADD(V(readers[k], j), a, INFINITY);
          ADD(a, V(p, j), down);
        }
      }
      /* Results: a graph output produced at position >= j comes back over hop j. */
      if (tensor->is_output && p >= 0) {
        double down = w * 1e3 * 8.0 * (double)ep_plan_tensor_bytes(g, id, EP_CUT_FP32) /
                      net->downlink_bps;
        ADD(s, V(p, j), down);
      }
    }
  }
  double cut = ep_plan_flow_run(f, s, t);
  if (isnan(cut)) goto oom;
  sink = calloc((size_t)ep_plan_flow_vertex_count(f) + 1, sizeof *sink);
  if (sink == NULL) goto oom;
  ep_plan_flow_sink_side(f, t, sink);
  for (int i = 0; i < n; i++) {
    int position = 0;
    for (int j = 1; j <= layers; j++) position += sink[V(i, j)] ? 1 : 0;
    tier_out[i] = chain_tiers[position];
  }
  if (back_tensors_out != NULL) {
    int back = 0;
    for (int id = 0; back_and_forth && id < n_tensors; id++) {
      const ep_tensor* tensor = ep_graph_tensor(g, id);
      if (tensor->kind != EP_TENSOR_ACTIVATION || tier_out[tensor->producer] == EP_TIER_DEVICE) {
        continue;
      }
      bool read_on_device = false;
      for (int i = tensor->producer + 1; i <= tensor->last_consumer; i++) {
        const ep_node* node = ep_graph_node(g, i);
        for (int k = 0; k < node->n_inputs; k++) {
          read_on_device |= node->inputs[k] == id && tier_out[i] == EP_TIER_DEVICE;
        }
      }
      back += read_on_device;
    }
    *back_tensors_out = back;
  }
  *value_out = cut + constant;
  goto cleanup;
#undef ADD
#undef V
oom:
  status = ep_error(EP_ERR_OUT_OF_MEMORY, "plan: no memory for the min-cut graph of %d nodes", n);
cleanup:
  free(sink);
  free(readers);
  ep_plan_flow_destroy(f);
  return status;
}

/* Keeps `candidate` in *best when it is strictly better (earlier candidates win ties). */
static void keep_better(ep_plan_partition** best, ep_plan_partition* candidate) {
  if (*best == NULL || better(candidate->objective_value, (*best)->objective_value)) {
    ep_plan_partition_destroy(*best);
    *best = candidate;
  } else {
    ep_plan_partition_destroy(candidate);
  }
}

static ep_status solve_prefix(const ep_plan_request* r, ep_plan_partition** best_out) {
  int n = ep_graph_node_count(r->graph);
  int* tier = calloc((size_t)n + 1, sizeof *tier);
  if (tier == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "plan: no memory");
  ep_plan_partition* best = NULL;
  ep_status status = EP_OK;
  /* Direct cuts from k = n (all on the device) down: ties keep the larger k. */
  for (int k = n; status == EP_OK && k >= 0; k--) {
    for (int i = 0; i < n; i++) tier[i] = i < k ? EP_TIER_DEVICE : EP_TIER_SERVER;
    ep_plan_partition* p = NULL;
    status = ep_plan_partition_evaluate(r, tier, false, &p);
    if (status == EP_OK) keep_better(&best, p);
  }
  /* Through the fog: device [0, k1), fog [k1, k2), server [k2, n). */
  for (int k1 = n; ep_plan_has_fog(r) && status == EP_OK && k1 >= 0; k1--) {
    for (int k2 = n; status == EP_OK && k2 >= k1; k2--) {
      if (k1 == n && k2 == n) continue; /* all on the device: done above */
      for (int i = 0; i < n; i++) {
        tier[i] = i < k1 ? EP_TIER_DEVICE : i < k2 ? EP_TIER_FOG : EP_TIER_SERVER;
      }
      ep_plan_partition* p = NULL;
      status = ep_plan_partition_evaluate(r, tier, true, &p);
      if (status == EP_OK) keep_better(&best, p);
    }
  }
  free(tier);
  if (status != EP_OK) {
    ep_plan_partition_destroy(best);
    return status;
  }
  best->cuts = EP_PLAN_CUTS_PREFIX;
  best->best_prefix_value = best->objective_value;
  *best_out = best;
  return EP_OK;
}

static ep_status solve_dag(const ep_plan_request* r, ep_plan_partition** best_out) {
  int n = ep_graph_node_count(r->graph);
  int* tier = calloc((size_t)n + 1, sizeof *tier);
  if (tier == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "plan: no memory");
  /* Each chain of tiers the partition may use: the min cut is exact without round trips, and
   * a chain's round trips are paid by any partition that reaches its last tier, so the best of
   * the chains, each costed in full, is the optimum (docs/plan.md). */
  static const int chains[4][3] = {{EP_TIER_DEVICE},
                                   {EP_TIER_DEVICE, EP_TIER_FOG},
                                   {EP_TIER_DEVICE, EP_TIER_SERVER},
                                   {EP_TIER_DEVICE, EP_TIER_FOG, EP_TIER_SERVER}};
  static const int lengths[4] = {1, 2, 2, 3};
  static const bool through_fog[4] = {false, true, false, true};
  ep_plan_partition* best = NULL;
  ep_status status = EP_OK;
  for (int c = 0; status == EP_OK && c < 4; c++) {
    if (through_fog[c] && !ep_plan_has_fog(r)) continue;
    double value = 0;
    status = ep_plan_dag_min_cut(r, chains[c], lengths[c], false, tier, &value, NULL);
    ep_plan_partition* p = NULL;
    if (status == EP_OK) status = ep_plan_partition_evaluate(r, tier, through_fog[c], &p);
    if (status == EP_OK) keep_better(&best, p);
  }
  if (status == EP_OK && !ep_plan_has_fog(r)) {
    /* Without the one-crossing constraint (a lower bound: one round trip counted). */
    double value = 0;
    int back = 0;
    status = ep_plan_dag_min_cut(r, chains[2], 2, true, tier, &value, &back);
    if (status == EP_OK) {
      bool any_server = false;
      for (int i = 0; i < n; i++) any_server |= tier[i] == EP_TIER_SERVER;
      double rtt = any_server ? 1e3 * r->link[EP_LINK_DEVICE_SERVER].rtt_s * hop_weight(r, 0) : 0;
      /* As for the constrained optimum: the cut leaves the round trip out, so all on the device
       * may still be better. */
      double all_device = 0;
      for (int i = 0; i < n; i++) {
        all_device += compute_weight(r, EP_TIER_DEVICE) * r->node_ms[EP_TIER_DEVICE][i];
      }
      bool device_wins = !better(value + rtt, all_device);
      best->unconstrained_value = device_wins ? all_device : value + rtt;
      best->unconstrained_back_tensors = device_wins ? 0 : back;
    }
  }
  free(tier);
  if (status != EP_OK) {
    ep_plan_partition_destroy(best);
    return status;
  }
  best->cuts = EP_PLAN_CUTS_DAG;
  *best_out = best;
  return EP_OK;
}

ep_status ep_plan_solve(const ep_plan_request* r, ep_plan_partition** partition_out) {
  ep_status status = ep_plan_check_request(r);
  if (status != EP_OK) return status;
  ep_plan_partition* prefix = NULL;
  status = solve_prefix(r, &prefix);
  if (status != EP_OK || r->cuts == EP_PLAN_CUTS_PREFIX) {
    if (status == EP_OK) *partition_out = prefix;
    return status;
  }
  ep_plan_partition* dag = NULL;
  status = solve_dag(r, &dag);
  if (status == EP_OK) {
    dag->best_prefix_value = prefix->objective_value;
    /* The min cut is exact; a prefix cut is one of the partitions it ranges over, so it can only
     * win by a rounding error: keep the prefix one then (the simpler to run). */
    if (!better(dag->objective_value, prefix->objective_value)) {
      prefix->cuts = EP_PLAN_CUTS_DAG;
      prefix->unconstrained_value = dag->unconstrained_value;
      prefix->unconstrained_back_tensors = dag->unconstrained_back_tensors;
      ep_plan_partition_destroy(dag);
      dag = prefix;
      prefix = NULL;
    }
    *partition_out = dag;
  }
  ep_plan_partition_destroy(prefix);
  return status;
}

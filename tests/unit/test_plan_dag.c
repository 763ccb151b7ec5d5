/* DAG partitions: on random small DAGs (many seeds, both objectives, two and three tiers, every
 * cut dtype) the min-cut optimum equals brute force over every monotone assignment and is never
 * worse than the best prefix cut; without the one-crossing constraint it equals brute force over
 * every assignment; the reordered graph computes what the original does (also through
 * ep_plan_cut_error_measure on inception_v1, cut inside a block: fp32 exact, int8 close); the plan JSON's
 * partition reads back; non-monotone assignments and bad documents are refused. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/model.h"
#include "edgeprof/plan.h"
#include "edgeprof/session.h"
#include "test_support.h"

static uint64_t rng_state;
static uint32_t next_u32(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng_state >> 33);
}
static int uniform_int(int lo, int hi) { return lo + (int)(next_u32() % (uint32_t)(hi - lo + 1)); }
static double uniform01(void) { return (next_u32() >> 8) / 16777216.0; }

/* A random DAG of n nodes over [1, W] tensors: fully connected nodes (one input, a random width)
 * and concats (2 or 3 inputs), reading graph inputs or any earlier output; 1 or 2 graph inputs,
 * the last node and sometimes another one as outputs. */
static ep_graph* random_dag(int n) {
  ep_graph* g = NULL;
  if (ep_graph_create("random", &g) != EP_OK) return NULL;
  int tensors[64], widths[64], count = 0;
  int n_inputs = uniform_int(1, 2);
  for (int i = 0; i < n_inputs; i++) {
    char name[16];
    snprintf(name, sizeof name, "in%d", i);
    widths[count] = uniform_int(4, 300);
    ep_graph_add_input(g, name, ep_shape_make(2, (int64_t[]){1, widths[count]}), &tensors[count]);
    count++;
  }
  for (int i = 0; i < n; i++) {
    char name[16], wname[16];
    snprintf(name, sizeof name, "n%d", i);
    bool concat = count >= 2 && uniform_int(0, 2) == 0;
    int out = -1;
    if (concat) {
      int k = uniform_int(2, count >= 3 ? 3 : 2), in[3], width = 0;
      for (int j = 0; j < k; j++) {
        int pick = uniform_int(0, count - 1);
        in[j] = tensors[pick];
        width += widths[pick];
      }
      ep_attrs a = ep_attrs_default(EP_OP_CONCAT);
      a.axis = 1;
      ep_graph_add_node(g, EP_OP_CONCAT, name, &a, in, k, 1, NULL, &out);
      widths[count] = width;
    } else {
      /* Mostly the latest tensors, so that chains form as well as branches. */
      int pick = count - 1 - uniform_int(0, count - 1) / uniform_int(1, 3);
      int m = uniform_int(1, 400), w;
      snprintf(wname, sizeof wname, "w%d", i);
      ep_graph_add_constant(g, wname, ep_shape_make(2, (int64_t[]){m, widths[pick]}), NULL, &w);
      float* data = ep_graph_constant_data(g, w);
      for (int64_t q = 0; data != NULL && q < (int64_t)m * widths[pick]; q++) {
        data[q] = (float)(uniform01() - 0.5) * 0.2f;
      }
      ep_attrs a = ep_attrs_default(EP_OP_FULLY_CONNECTED);
      ep_graph_add_node(g, EP_OP_FULLY_CONNECTED, name, &a, (int[]){tensors[pick], w}, 2, 1, NULL,
                        &out);
      widths[count] = m;
    }
    tensors[count++] = out;
  }
  ep_graph_mark_output(g, tensors[count - 1]);
  if (n >= 3 && uniform_int(0, 1) == 0) ep_graph_mark_output(g, tensors[count - 1 - uniform_int(1, 2)]);
  if (ep_graph_finalize(g) != EP_OK) {
    fprintf(stderr, "random_dag: %s\n", ep_last_error());
    ep_graph_destroy(g);
    return NULL;
  }
  return g;
}

static ep_network random_link(void) {
  ep_network l;
  l.uplink_bps = pow(10, 4 + 4 * uniform01());
  l.downlink_bps = l.uplink_bps * (0.5 + 2 * uniform01());
  l.rtt_s = uniform_int(0, 2) == 0 ? 0 : 0.05 * uniform01();
  return l;
}

static bool near(double a, double b) { return fabs(a - b) <= 1e-7 * fmax(1.0, fabs(b)); }

/* Every monotone assignment (tiers from `allowed`), costed by ep_plan_partition_evaluate, in
 * both hop modes where the fog is known: the lowest objective value. */
static double brute_force(const ep_plan_request* r, int n, bool three) {
  int tier[16];
  int base = three ? 3 : 2;
  long total = 1;
  for (int i = 0; i < n; i++) total *= base;
  double best = INFINITY;
  for (long code = 0; code < total; code++) {
    long c = code;
    for (int i = 0; i < n; i++) {
      int digit = (int)(c % base);
      c /= base;
      tier[i] = three ? digit : (digit == 0 ? EP_TIER_DEVICE : EP_TIER_SERVER);
    }
    for (int mode = 0; mode < (three ? 2 : 1); mode++) {
      ep_plan_partition* p = NULL;
      if (ep_plan_partition_evaluate(r, tier, mode == 1, &p) != EP_OK) continue; /* not monotone */
      if (p->objective_value < best) best = p->objective_value;
      ep_plan_partition_destroy(p);
    }
  }
  return best;
}

/* Every assignment with tensors allowed to go back to the device: the test's own cost model. */
static double unconstrained_cost(const ep_plan_request* r, int n, long code);
static double brute_force_unconstrained(const ep_plan_request* r, int n) {
  double best = INFINITY;
  for (long code = 0; code < (1L << n); code++) {
    double c = unconstrained_cost(r, n, code);
    if (c < best) best = c;
  }
  return best;
}
/* Node i on the server when bit i of `code` is set. */
static double unconstrained_cost(const ep_plan_request* r, int n, long code) {
  const ep_graph* g = r->graph;
  const ep_network* l = &r->link[EP_LINK_DEVICE_SERVER];
  bool energy = r->objective == EP_PLAN_ENERGY;
  {
    double cost = 0, transfer = 0;
    bool any_server = false;
    for (int i = 0; i < n; i++) {
      bool server = (code >> i) & 1;
      any_server |= server;
      cost += server ? r->node_ms[EP_TIER_SERVER][i] * (energy ? r->power.idle_w : 1)
                     : r->node_ms[EP_TIER_DEVICE][i] * (energy ? r->power.compute_w : 1);
    }
    for (int id = 0; id < ep_graph_tensor_count(g); id++) {
      const ep_tensor* t = ep_graph_tensor(g, id);
      if (t->kind == EP_TENSOR_CONSTANT) continue;
      bool made_on_server = t->kind == EP_TENSOR_ACTIVATION && ((code >> t->producer) & 1);
      bool read_elsewhere = false;
      for (int i = 0; i < n; i++) {
        const ep_node* node = ep_graph_node(g, i);
        for (int k = 0; k < node->n_inputs; k++) {
          if (node->inputs[k] == id && (((code >> i) & 1) != 0) != made_on_server) {
            read_elsewhere = true;
          }
        }
      }
      double bits = 8.0 * (double)(4 * ep_shape_numel(&t->shape));
      ep_codec_shape cs = ep_codec_shape_of(t->shape.rank, t->shape.dims);
      double enc_bits = 8.0 * (double)ep_tensor_encoded_bytes(r->dtype, &cs);
      if (read_elsewhere) {
        transfer += 1e3 * enc_bits / (made_on_server ? l->downlink_bps : l->uplink_bps);
      }
      if (t->is_output && made_on_server) transfer += 1e3 * bits / l->downlink_bps;
    }
    if (any_server) transfer += 1e3 * l->rtt_s;
    cost += transfer * (energy ? r->power.radio_w : 1);
    return cost;
  }
}

static void test_random_dags(void) {
  int cases = 0, dag_wins = 0, back_and_forth = 0;
  for (int seed = 1; seed <= 300; seed++) {
    rng_state = (uint64_t)seed * 0x9E3779B97F4A7C15ull;
    bool three = seed % 3 == 0;
    int n = three ? uniform_int(2, 7) : uniform_int(2, 11);
    ep_graph* g = random_dag(n);
    EP_CHECK(g != NULL);
    if (g == NULL) continue;
    double ms[3][16];
    for (int t = 0; t < 3; t++) {
      double speed = t == 0 ? 1 : t == 1 ? 0.2 + uniform01() : 0.02 + 0.3 * uniform01();
      for (int i = 0; i < n; i++) ms[t][i] = speed * 20 * uniform01() * uniform01();
    }
    ep_plan_request r = {0};
    r.graph = g;
    r.node_ms[EP_TIER_DEVICE] = ms[0];
    r.node_ms[EP_TIER_FOG] = three ? ms[1] : NULL;
    r.node_ms[EP_TIER_SERVER] = ms[2];
    for (int l = 0; l < EP_LINK_COUNT; l++) r.link[l] = random_link();
    r.power = (ep_power_model){0.5 + 3 * uniform01(), 0.1 + 0.5 * uniform01(), 0.5 + 2 * uniform01()};
    r.dtype = (ep_cut_dtype)uniform_int(0, 3);
    for (int objective = 0; objective < 2; objective++) {
      r.objective = objective == 0 ? EP_PLAN_LATENCY : EP_PLAN_ENERGY;
      r.cuts = EP_PLAN_CUTS_DAG;
      ep_plan_partition* dag = NULL;
      ep_plan_partition* prefix = NULL;
      EP_CHECK_OK(ep_plan_solve(&r, &dag));
      r.cuts = EP_PLAN_CUTS_PREFIX;
      EP_CHECK_OK(ep_plan_solve(&r, &prefix));
      if (dag == NULL || prefix == NULL) {
        ep_plan_partition_destroy(dag);
        ep_plan_partition_destroy(prefix);
        continue;
      }
      double brute = brute_force(&r, n, three);
      EP_CHECK_MSG(near(dag->objective_value, brute),
                   "seed %d (%d nodes, %s, %s, %s): min cut %.9g, brute force %.9g", seed, n,
                   three ? "3 tiers" : "2 tiers", ep_plan_objective_name(r.objective),
                   ep_cut_dtype_name(r.dtype), dag->objective_value, brute);
      EP_CHECK(dag->objective_value <= prefix->objective_value * (1 + 1e-9) + 1e-12);
      EP_CHECK(near(dag->best_prefix_value, prefix->objective_value));
      /* The partition the solver returns costs what it says. */
      ep_plan_partition* again = NULL;
      EP_CHECK_OK(ep_plan_partition_evaluate(&r, dag->tier, dag->chain, &again));
      if (again != NULL) EP_CHECK(near(again->objective_value, dag->objective_value));
      ep_plan_partition_destroy(again);
      if (!three) {
        double free_best = brute_force_unconstrained(&r, n);
        EP_CHECK_MSG(near(dag->unconstrained_value, free_best),
                     "seed %d: unconstrained min cut %.9g, brute force %.9g", seed,
                     dag->unconstrained_value, free_best);
        if (dag->unconstrained_value < dag->objective_value * (1 - 1e-9)) back_and_forth++;
      }
      if (dag->objective_value < prefix->objective_value * (1 - 1e-9)) dag_wins++;
      cases++;
      ep_plan_partition_destroy(dag);
      ep_plan_partition_destroy(prefix);
    }
    ep_graph_destroy(g);
  }
  printf("%d cases: the DAG optimum beat the best prefix cut in %d, back-and-forth would gain in "
         "%d\n", cases, dag_wins, back_and_forth);
  /* The generator must produce cases where the DAG matters, or the test proves little. */
  EP_CHECK_MSG(dag_wins >= 5, "only %d cases where the DAG optimum beats prefix cuts", dag_wins);
  EP_CHECK_MSG(back_and_forth >= 3, "only %d back-and-forth cases", back_and_forth);
}

/* The reordered graph computes the same outputs; the JSON partition reads back. */
static void test_reorder_and_json(void) {
  rng_state = 777;
  int n = 10;
  ep_graph* g = random_dag(n);
  EP_CHECK(g != NULL);
  if (g == NULL) return;
  double ms[3][16];
  for (int t = 0; t < 3; t++) {
    for (int i = 0; i < n; i++) ms[t][i] = (t == 0 ? 5.0 : t == 1 ? 2.0 : 0.5) * (1 + i % 3);
  }
  ep_plan_request r = {0};
  r.graph = g;
  r.node_ms[0] = ms[0];
  r.node_ms[1] = ms[1];
  r.node_ms[2] = ms[2];
  for (int l = 0; l < EP_LINK_COUNT; l++) r.link[l] = (ep_network){1e8, 1e8, 0.001};
  r.cuts = EP_PLAN_CUTS_DAG;
  r.dtype = EP_CUT_INT8;
  ep_power_model_default(&r.power);
  /* A hand-made monotone assignment over all three tiers. */
  int tier[16];
  for (int i = 0; i < n; i++) tier[i] = i < 3 ? EP_TIER_DEVICE : i < 6 ? EP_TIER_FOG : EP_TIER_SERVER;
  ep_plan_partition* p = NULL;
  EP_CHECK_OK(ep_plan_partition_evaluate(&r, tier, true, &p));
  if (p == NULL) {
    ep_graph_destroy(g);
    return;
  }
  EP_CHECK(p->n_hops == 2 && p->hops[0].from_tier == EP_TIER_DEVICE &&
           p->hops[1].to_tier == EP_TIER_SERVER);
  EP_CHECK(p->hops[0].up_bytes < p->hops[0].up_fp32_bytes);
  ep_graph* re = NULL;
  int first[4];
  EP_CHECK_OK(ep_plan_partition_graph(g, p, &re, first));
  if (re != NULL) {
    EP_CHECK(first[0] == 0 && first[1] == 3 && first[2] == 6 && first[3] == n);
    ep_session *a = NULL, *b = NULL;
    EP_CHECK_OK(ep_session_create(g, NULL, &a));
    EP_CHECK_OK(ep_session_create(re, NULL, &b));
    for (int i = 0; a != NULL && b != NULL && i < ep_graph_input_count(g); i++) {
      int64_t count = ep_shape_numel(&ep_graph_tensor(g, ep_graph_input(g, i))->shape);
      float* x = malloc((size_t)count * sizeof *x);
      for (int64_t q = 0; x != NULL && q < count; q++) x[q] = (float)uniform01();
      if (x != NULL) {
        EP_CHECK_OK(ep_session_set_input(a, i, x, (size_t)count));
        EP_CHECK_OK(ep_session_set_input(b, i, x, (size_t)count));
      }
      free(x);
    }
    if (a != NULL && b != NULL) {
      EP_CHECK_OK(ep_session_run(a));
      for (int t = 0; t < 3; t++) EP_CHECK_OK(ep_session_run_range(b, first[t], first[t + 1]));
      for (int o = 0; o < ep_graph_output_count(g); o++) {
        int64_t count = ep_shape_numel(&ep_graph_tensor(g, ep_graph_output(g, o))->shape);
        float* ya = calloc((size_t)count, sizeof *ya);
        float* yb = calloc((size_t)count, sizeof *yb);
        if (ya != NULL && yb != NULL) {
          ep_session_get_output(a, o, ya, (size_t)count);
          ep_session_get_output(b, o, yb, (size_t)count);
          EP_CHECK_MSG(memcmp(ya, yb, (size_t)count * sizeof *ya) == 0,
                       "output %d of the reordered graph differs", o);
        }
        free(ya);
        free(yb);
      }
    }
    /* What crosses at each tier boundary of the reordered graph is what the hops send. */
    EP_CHECK(ep_plan_upload_tensors(re, first[1], NULL, 0) == p->hops[0].n_up);
    EP_CHECK(ep_plan_upload_tensors(re, first[2], NULL, 0) == p->hops[1].n_up);
    ep_session_destroy(a);
    ep_session_destroy(b);
  }
  ep_graph_destroy(re);
  /* JSON round trip. */
  char* text = NULL;
  size_t size = 0;
  FILE* f = open_memstream(&text, &size);
  ep_plan* plan = NULL;
  EP_CHECK_OK(ep_plan_compute(g, ms[0], ms[2], &r.link[2], &r.power, EP_PLAN_LATENCY, &plan));
  if (f != NULL && plan != NULL) {
    EP_CHECK_OK(ep_plan_json("random", g, plan, "e.json", "f.json", "s.json", NULL, 0, p, f));
  }
  if (f != NULL) fclose(f);
  int back[16];
  bool chain = false;
  ep_cut_dtype dtype = EP_CUT_FP32;
  if (text != NULL) {
    EP_CHECK_OK(ep_plan_partition_parse(text, size, "plan.json", "random", g, back, &chain, &dtype));
    EP_CHECK(memcmp(back, tier, (size_t)n * sizeof *tier) == 0 && chain && dtype == EP_CUT_INT8);
    EP_CHECK(ep_plan_partition_parse(text, size, "plan.json", "mlp", g, back, &chain, &dtype) ==
             EP_ERR_FORMAT);
    EP_CHECK(strstr(ep_last_error(), "plan.json") != NULL);
    /* A non-monotone partition in the file is refused. */
    char* bad = strdup(text);
    char* first_tier = bad != NULL ? strstr(bad, "\"tier\":\t\"device\"") : NULL;
    if (first_tier != NULL) {
      memcpy(strstr(first_tier, "device"), "server", 6);
      EP_CHECK(ep_plan_partition_parse(bad, strlen(bad), "bad.json", "random", g, back, &chain,
                                       &dtype) == EP_ERR_FORMAT);
    } else {
      EP_CHECK(!"the plan JSON has no device node");
    }
    free(bad);
  }
  free(text);
  ep_plan_destroy(plan);
  /* A non-monotone assignment is refused with the node's name: a server node's reader moved to
   * the device. */
  int moved = -1;
  for (int i = 0; i < n && moved < 0; i++) {
    const ep_node* node = ep_graph_node(g, i);
    for (int k = 0; k < node->n_inputs; k++) {
      const ep_tensor* t = ep_graph_tensor(g, node->inputs[k]);
      if (t->kind == EP_TENSOR_ACTIVATION && tier[t->producer] > EP_TIER_DEVICE) moved = i;
    }
  }
  EP_CHECK(moved >= 0);
  if (moved >= 0) tier[moved] = EP_TIER_DEVICE;
  ep_plan_partition* q = NULL;
  EP_CHECK(ep_plan_partition_evaluate(&r, tier, true, &q) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(strstr(ep_last_error(), "back towards the device") != NULL);
  ep_plan_partition_destroy(p);
  ep_graph_destroy(g);
}

/* inception_v1 cut inside Mixed_4b: the device runs everything before the block and its branch 1
 * (not a prefix of the node order). fp32 through the reordered graph is bit for bit the plain
 * run; int8 moves the output a little and keeps the top-1. */
static void test_cut_error_inception(void) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_model_load("inception_v1", 2018, NULL, &g));
  if (g == NULL) return;
  int n = ep_graph_node_count(g);
  int* tier = calloc((size_t)n, sizeof *tier);
  double* ms = calloc((size_t)n, sizeof *ms);
  int target = -1;
  for (int i = 0; i < n; i++) {
    if (strcmp(ep_graph_node(g, i)->name, "Mixed_4b/Branch_1/Conv2d_0b_3x3/Conv2D") == 0) target = i;
  }
  EP_CHECK(target > 0 && tier != NULL && ms != NULL);
  if (target <= 0 || tier == NULL || ms == NULL) goto done;
  /* The closure of target under predecessors on the device, everything else on the server. */
  for (int i = 0; i < n; i++) tier[i] = EP_TIER_SERVER;
  tier[target] = EP_TIER_DEVICE;
  for (int i = target; i >= 0; i--) {
    if (tier[i] != EP_TIER_DEVICE) continue;
    const ep_node* node = ep_graph_node(g, i);
    for (int k = 0; k < node->n_inputs; k++) {
      const ep_tensor* t = node->inputs[k] >= 0 ? ep_graph_tensor(g, node->inputs[k]) : NULL;
      if (t != NULL && t->kind == EP_TENSOR_ACTIVATION) tier[t->producer] = EP_TIER_DEVICE;
    }
  }
  bool prefix = true;
  for (int i = 1; i < n; i++) prefix &= !(tier[i] == EP_TIER_DEVICE && tier[i - 1] != EP_TIER_DEVICE);
  EP_CHECK_MSG(!prefix, "the test partition should not be a prefix");
  ep_plan_request r = {0};
  r.graph = g;
  r.node_ms[EP_TIER_DEVICE] = ms;
  r.node_ms[EP_TIER_SERVER] = ms;
  r.link[EP_LINK_DEVICE_SERVER] = (ep_network){1e7, 1e7, 0.01};
  ep_power_model_default(&r.power);
  for (int d = 0; d < 3; d++) {
    r.dtype = d == 0 ? EP_CUT_FP32 : d == 1 ? EP_CUT_INT8 : EP_CUT_INT8_CHANNEL;
    ep_plan_partition* p = NULL;
    EP_CHECK_OK(ep_plan_partition_evaluate(&r, tier, false, &p));
    if (p == NULL) continue;
    EP_CHECK(p->n_hops == 1 && p->hops[0].n_up >= 2);
    ep_plan_cut_error e = {0};
    EP_CHECK_OK(ep_plan_cut_error_measure(g, p, NULL, 2018, &e));
    EP_CHECK(e.rows == 1 && e.rows_agree == 1 && e.max_ref > 0);
    if (d == 0) {
      EP_CHECK_MSG(e.max_abs == 0, "fp32 through the reordered graph differs by %g", e.max_abs);
    } else {
      EP_CHECK_MSG(e.relative > 0 && e.relative < 0.05, "%s: relative error %g",
                   ep_cut_dtype_name(r.dtype), e.relative);
      EP_CHECK(p->hops[0].up_bytes * 3 < p->hops[0].up_fp32_bytes);
    }
    ep_plan_partition_destroy(p);
  }
done:
  free(tier);
  free(ms);
  ep_graph_destroy(g);
}

int main(void) {
  test_random_dags();
  test_cut_error_inception();
  test_reorder_and_json();
  return ep_test_finish();
}

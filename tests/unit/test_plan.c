/* The planner: every column's arithmetic on a hand-made DAG and hand-made times, the best cut for
 * latency and for energy, ties, profile files (and refusing another model's), parsing of rates,
 * durations and power models, and the bytes crossing every cut of inception_v1. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/model.h"
#include "edgeprof/plan.h"
#include "edgeprof/zoo.h"
#include "test_support.h"

static bool near(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)); }

/* x [1,100] -> A = fc(x) [1,200]; B = fc(x) [1,50]; C = concat(A, B) [1,250]; D = fc(C) [1,10].
 * Nodes in order: A, B, C, D. Crossing bytes per cut: k=0 x (400); k=1 x + A (1200);
 * k=2 A + B (1000); k=3 C (1000); k=4 nothing. The result D (40 bytes) comes back for k < 4. */
static ep_graph* diamond(void) {
  ep_graph* g = NULL;
  int x, wa, wb, wd, a, b, c, d;
  ep_attrs fc = ep_attrs_default(EP_OP_FULLY_CONNECTED);
  ep_attrs cat = ep_attrs_default(EP_OP_CONCAT);
  cat.axis = 1;
  if (ep_graph_create("diamond", &g) != EP_OK) return NULL;
  ep_graph_add_input(g, "x", ep_shape_make(2, (int64_t[]){1, 100}), &x);
  ep_graph_add_constant(g, "wa", ep_shape_make(2, (int64_t[]){200, 100}), NULL, &wa);
  ep_graph_add_constant(g, "wb", ep_shape_make(2, (int64_t[]){50, 100}), NULL, &wb);
  ep_graph_add_constant(g, "wd", ep_shape_make(2, (int64_t[]){10, 250}), NULL, &wd);
  ep_graph_add_node(g, EP_OP_FULLY_CONNECTED, "A", &fc, (int[]){x, wa}, 2, 1, NULL, &a);
  ep_graph_add_node(g, EP_OP_FULLY_CONNECTED, "B", &fc, (int[]){x, wb}, 2, 1, NULL, &b);
  ep_graph_add_node(g, EP_OP_CONCAT, "C", &cat, (int[]){a, b}, 2, 1, NULL, &c);
  ep_graph_add_node(g, EP_OP_FULLY_CONNECTED, "D", &fc, (int[]){c, wd}, 2, 1, NULL, &d);
  ep_graph_mark_output(g, d);
  if (ep_graph_finalize(g) != EP_OK) {
    fprintf(stderr, "diamond: %s\n", ep_last_error());
    ep_graph_destroy(g);
    return NULL;
  }
  return g;
}

static void test_cut_tensors(const ep_graph* g) {
  const int64_t up[] = {400, 1200, 1000, 1000, 0};
  const int count[] = {1, 2, 2, 1, 0};
  for (int k = 0; k <= 4; k++) {
    EP_CHECK_MSG(ep_plan_upload_bytes(g, k) == up[k], "k=%d: %lld bytes", k,
                 (long long)ep_plan_upload_bytes(g, k));
    EP_CHECK(ep_plan_upload_tensors(g, k, NULL, 0) == count[k]);
    EP_CHECK(ep_plan_download_bytes(g, k) == (k < 4 ? 40 : 0));
    EP_CHECK(ep_plan_download_tensors(g, k, NULL, 0) == (k < 4 ? 1 : 0));
  }
  int ids[4];
  EP_CHECK(ep_plan_upload_tensors(g, 1, ids, 4) == 2);
  EP_CHECK(strcmp(ep_graph_tensor(g, ids[0])->name, "x") == 0);
  EP_CHECK(strcmp(ep_graph_tensor(g, ids[1])->name, "A") == 0);
  EP_CHECK(ep_plan_upload_tensors(g, -1, ids, 4) == 0 && ep_plan_upload_tensors(g, 5, ids, 4) == 0);
}

/* 1 byte = 1 ms up (8000 bit/s), 40 bytes down = 4 ms (80 kbit/s), RTT 50 ms. */
static void test_arithmetic(const ep_graph* g) {
  const double edge[] = {1, 2, 3, 4}, server[] = {0.1, 0.2, 0.3, 0.4};
  ep_network net = {8000, 80000, 0.05};
  ep_power_model power = {2.0, 0.5, 1.0};
  ep_plan* p = NULL;
  EP_CHECK_OK(ep_plan_compute(g, edge, server, &net, &power, EP_PLAN_LATENCY, &p));
  if (p == NULL) return;
  EP_CHECK(p->n_nodes == 4 && p->n_cuts == 5);
  /* k, edge, up, rtt, server, down, total, energy (by hand) */
  const double want[5][8] = {
      {0, 0, 400, 50, 1.0, 4, 455.0, 454.5},
      {1, 1, 1200, 50, 0.9, 4, 1255.9, 2 + 1254 + 0.45},
      {2, 3, 1000, 50, 0.7, 4, 1057.7, 6 + 1054 + 0.35},
      {3, 6, 1000, 50, 0.4, 4, 1060.4, 12 + 1054 + 0.2},
      {4, 10, 0, 0, 0, 0, 10, 20},
  };
  for (int k = 0; k <= 4; k++) {
    const ep_plan_cut* c = &p->cuts[k];
    EP_CHECK(c->k == k);
    EP_CHECK_MSG(near(c->edge_ms, want[k][1]), "k=%d edge %g", k, c->edge_ms);
    EP_CHECK_MSG(near(c->upload_ms, want[k][2]), "k=%d up %g", k, c->upload_ms);
    EP_CHECK_MSG(near(c->rtt_ms, want[k][3]), "k=%d rtt %g", k, c->rtt_ms);
    EP_CHECK_MSG(near(c->server_ms, want[k][4]), "k=%d server %g", k, c->server_ms);
    EP_CHECK_MSG(near(c->download_ms, want[k][5]), "k=%d down %g", k, c->download_ms);
    EP_CHECK_MSG(near(c->total_ms, want[k][6]), "k=%d total %g", k, c->total_ms);
    EP_CHECK_MSG(near(c->energy_mj, want[k][7]), "k=%d energy %g", k, c->energy_mj);
  }
  EP_CHECK(p->best_latency == 4 && p->best_energy == 4 && p->best == 4);
  ep_plan_destroy(p);

  /* A fast link and a server slow on the first node only: the split after A wins latency;
   * with only compute power counted, sending everything away wins energy. */
  const double server2[] = {100, 0.2, 0.3, 0.4}, edge2[] = {1, 1, 1, 100};
  ep_network fast = {8e6, 8e6, 0.05};
  ep_power_model compute_only = {1.0, 0.0, 0.0};
  EP_CHECK_OK(ep_plan_compute(g, edge2, server2, &fast, &compute_only, EP_PLAN_ENERGY, &p));
  if (p == NULL) return;
  EP_CHECK_MSG(p->best_latency == 1, "best latency %d", p->best_latency);
  EP_CHECK(near(p->cuts[1].total_ms, 1 + 1.2 + 50 + 0.9 + 0.04));
  EP_CHECK_MSG(p->best_energy == 0 && p->best == 0, "best energy %d", p->best_energy);
  ep_plan_destroy(p);

  /* Ties go to the larger k (less data leaves the device). */
  const double zero[] = {0, 0, 0, 0};
  ep_network free_link = {1e300, 1e300, 0};
  EP_CHECK_OK(ep_plan_compute(g, zero, zero, &free_link, &power, EP_PLAN_LATENCY, &p));
  if (p != NULL) EP_CHECK(p->best_latency == 4 && p->best_energy == 4);
  ep_plan_destroy(p);

  /* Bad inputs are refused, not computed. */
  const double negative[] = {1, -1, 1, 1};
  ep_network no_link = {0, 1, 0};
  p = NULL;
  EP_CHECK(ep_plan_compute(g, negative, server, &net, &power, EP_PLAN_LATENCY, &p) ==
               EP_ERR_INVALID_ARGUMENT &&
           p == NULL);
  EP_CHECK(ep_plan_compute(g, edge, server, &no_link, &power, EP_PLAN_LATENCY, &p) ==
               EP_ERR_INVALID_ARGUMENT &&
           p == NULL);

  /* The sweep: slow links keep everything on the edge, fast ones split after A. */
  ep_plan_sweep_point pts[9];
  EP_CHECK_OK(
      ep_plan_sweep(g, edge2, server2, &fast, 0, &power, EP_PLAN_LATENCY, EP_CUT_FP32, 1e3, 1e11, 9, pts));
  EP_CHECK(near(pts[0].uplink_bps, 1e3) && near(pts[8].uplink_bps, 1e11));
  EP_CHECK_MSG(pts[0].best == 4, "at 1 kbit/s: %d", pts[0].best);
  EP_CHECK_MSG(pts[8].best == 1, "at 100 Gbit/s: %d", pts[8].best);
  EP_CHECK(ep_plan_sweep(g, edge2, server2, &fast, 0, &power, EP_PLAN_LATENCY, EP_CUT_FP32, 1e3, 1e3, 9, pts) ==
           EP_ERR_INVALID_ARGUMENT);

  /* JSON and SVG writers produce complete documents. */
  EP_CHECK_OK(ep_plan_compute(g, edge2, server2, &fast, &power, EP_PLAN_LATENCY, &p));
  FILE* f = tmpfile();
  if (p != NULL && f != NULL) {
    EP_CHECK_OK(ep_plan_json("diamond", g, p, "e.json", NULL, "s.json", pts, 9, NULL, f));
    long size = ftell(f);
    char* text = calloc((size_t)size + 1, 1);
    rewind(f);
    if (text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size) {
      cJSON* doc = cJSON_Parse(text);
      EP_CHECK(doc != NULL);
      const cJSON* best = cJSON_GetObjectItem(doc, "best");
      const cJSON* cuts = cJSON_GetObjectItem(doc, "cuts");
      EP_CHECK(cJSON_IsNumber(best) && best->valueint == 1);
      EP_CHECK(cJSON_GetArraySize(cuts) == 5);
      EP_CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(doc, "sweep")) == 9);
      cJSON_Delete(doc);
    }
    free(text);
    fclose(f);
  }
  f = tmpfile();
  if (f != NULL) {
    EP_CHECK_OK(ep_plan_sweep_svg("diamond", g, EP_PLAN_LATENCY, pts, 9, f));
    long size = ftell(f);
    char* text = calloc((size_t)size + 1, 1);
    rewind(f);
    if (text != NULL && fread(text, 1, (size_t)size, f) == (size_t)size) {
      EP_CHECK(strncmp(text, "<svg", 4) == 0 && strstr(text, "</svg>") != NULL);
      EP_CHECK(strstr(text, "polyline") != NULL);
    }
    free(text);
    fclose(f);
  }
  ep_plan_destroy(p);
}

static void test_profile_files(const ep_graph* g) {
  double ms[4];
  const char* good =
      "{\"schema_version\":1,\"model\":\"diamond\",\"nodes\":[{\"name\":\"A\",\"avg_ms\":1.5},{\"name\":\"B\","
      "\"avg_ms\":2},{\"name\":\"C\",\"avg_ms\":0},{\"name\":\"D\",\"avg_ms\":4.25}]}";
  EP_CHECK_OK(ep_plan_times_parse(good, strlen(good), "good.json", "diamond", g, ms));
  EP_CHECK(ms[0] == 1.5 && ms[1] == 2 && ms[2] == 0 && ms[3] == 4.25);
  /* Out of order is fine: nodes are matched by name. */
  const char* shuffled =
      "{\"schema_version\":1,\"model\":\"diamond\",\"nodes\":[{\"name\":\"D\",\"avg_ms\":4},{\"name\":\"B\","
      "\"avg_ms\":2},{\"name\":\"C\",\"avg_ms\":3},{\"name\":\"A\",\"avg_ms\":1}]}";
  EP_CHECK_OK(ep_plan_times_parse(shuffled, strlen(shuffled), "s.json", "diamond", g, ms));
  EP_CHECK(ms[0] == 1 && ms[3] == 4);
  const char* bad[] = {
      "not json",
      "[1,2]",
      "{\"schema_version\":1,\"model\":\"mlp\",\"nodes\":[]}",
      "{\"schema_version\":1,\"model\":\"diamond\",\"nodes\":[{\"name\":\"A\",\"avg_ms\":1}]}",
      "{\"schema_version\":1,\"model\":\"diamond\",\"nodes\":[{\"name\":\"A\",\"avg_ms\":1},{\"name\":\"B\","
      "\"avg_ms\":2},{\"name\":\"C\",\"avg_ms\":0},{\"name\":\"E\",\"avg_ms\":4}]}",
      "{\"schema_version\":1,\"model\":\"diamond\",\"nodes\":[{\"name\":\"A\",\"avg_ms\":1},{\"name\":\"A\","
      "\"avg_ms\":2},{\"name\":\"C\",\"avg_ms\":0},{\"name\":\"D\",\"avg_ms\":4}]}",
      "{\"schema_version\":1,\"model\":\"diamond\",\"nodes\":[{\"name\":\"A\",\"avg_ms\":-1},{\"name\":\"B\","
      "\"avg_ms\":2},{\"name\":\"C\",\"avg_ms\":0},{\"name\":\"D\",\"avg_ms\":4}]}",
      "{\"schema_version\":1,\"model\":\"diamond\"}",
      /* Unknown or missing schema versions, another kind of document, absurd times. */
      "{\"schema_version\":2,\"model\":\"diamond\",\"nodes\":[{\"name\":\"A\",\"avg_ms\":1},"
      "{\"name\":\"B\",\"avg_ms\":2},{\"name\":\"C\",\"avg_ms\":0},{\"name\":\"D\",\"avg_ms\":4}]}",
      "{\"model\":\"diamond\",\"nodes\":[{\"name\":\"A\",\"avg_ms\":1},"
      "{\"name\":\"B\",\"avg_ms\":2},{\"name\":\"C\",\"avg_ms\":0},{\"name\":\"D\",\"avg_ms\":4}]}",
      "{\"schema_version\":1,\"kind\":\"bench\",\"model\":\"diamond\",\"nodes\":[{\"name\":\"A\","
      "\"avg_ms\":1},{\"name\":\"B\",\"avg_ms\":2},{\"name\":\"C\",\"avg_ms\":0},{\"name\":\"D\","
      "\"avg_ms\":4}]}",
      "{\"schema_version\":1,\"model\":\"diamond\",\"nodes\":[{\"name\":\"A\",\"avg_ms\":1e9},"
      "{\"name\":\"B\",\"avg_ms\":2},{\"name\":\"C\",\"avg_ms\":0},{\"name\":\"D\",\"avg_ms\":4}]}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ms[0] = 99;
    ep_status st = ep_plan_times_parse(bad[i], strlen(bad[i]), "bad.json", "diamond", g, ms);
    EP_CHECK_MSG(st == EP_ERR_FORMAT, "bad profile %zu accepted", i);
    EP_CHECK(ms[0] == 99); /* nothing written on failure */
    EP_CHECK(strstr(ep_last_error(), "bad.json") != NULL);
  }
  EP_CHECK(ep_plan_times_load("/nonexistent/p.json", "diamond", g, ms) == EP_ERR_NOT_FOUND);
}

static void test_parsing(void) {
  double v = 0;
  EP_CHECK_OK(ep_parse_bitrate("5.85Mbit", &v));
  EP_CHECK(near(v, 5.85e6));
  EP_CHECK_OK(ep_parse_bitrate("500kbit", &v));
  EP_CHECK(near(v, 5e5));
  EP_CHECK_OK(ep_parse_bitrate("1Gbit/s", &v));
  EP_CHECK(near(v, 1e9));
  EP_CHECK_OK(ep_parse_bitrate("18.88Mbps", &v));
  EP_CHECK(near(v, 18.88e6));
  EP_CHECK_OK(ep_parse_bitrate("2e6", &v));
  EP_CHECK(near(v, 2e6));
  const char* bad_rates[] = {"", "fast", "0", "-1Mbit", "5MB", "nan", "1e999Mbit", "5 Mbitx"};
  for (size_t i = 0; i < sizeof bad_rates / sizeof bad_rates[0]; i++) {
    EP_CHECK_MSG(ep_parse_bitrate(bad_rates[i], &v) == EP_ERR_INVALID_ARGUMENT, "'%s'",
                 bad_rates[i]);
  }
  EP_CHECK_OK(ep_parse_duration("40ms", &v));
  EP_CHECK(near(v, 0.04));
  EP_CHECK_OK(ep_parse_duration("0.1s", &v));
  EP_CHECK(near(v, 0.1));
  EP_CHECK_OK(ep_parse_duration("500us", &v));
  EP_CHECK(near(v, 5e-4));
  EP_CHECK_OK(ep_parse_duration("0ms", &v));
  EP_CHECK(v == 0);
  const char* bad_times[] = {"40", "-1ms", "ms", "4h", ""};
  for (size_t i = 0; i < sizeof bad_times / sizeof bad_times[0]; i++) {
    EP_CHECK_MSG(ep_parse_duration(bad_times[i], &v) == EP_ERR_INVALID_ARGUMENT, "'%s'",
                 bad_times[i]);
  }
  ep_power_model p;
  ep_power_model_default(&p);
  EP_CHECK(p.compute_w == EP_POWER_DEFAULT_COMPUTE_W && p.idle_w == EP_POWER_DEFAULT_IDLE_W &&
           p.radio_w == EP_POWER_DEFAULT_RADIO_W);
  EP_CHECK_OK(ep_power_model_parse("radio=0.8,compute=3W", &p));
  EP_CHECK(p.compute_w == 3 && p.radio_w == 0.8 && p.idle_w == EP_POWER_DEFAULT_IDLE_W);
  const char* bad_power[] = {
      "", "compute=-1", "foo=1", "compute=", "compute", "compute=1,,", "idle=nan"};
  for (size_t i = 0; i < sizeof bad_power / sizeof bad_power[0]; i++) {
    ep_power_model q = p;
    EP_CHECK_MSG(ep_power_model_parse(bad_power[i], &q) == EP_ERR_INVALID_ARGUMENT, "'%s'",
                 bad_power[i]);
    EP_CHECK(q.compute_w == p.compute_w && q.idle_w == p.idle_w && q.radio_w == p.radio_w);
  }
  ep_network net;
  EP_CHECK_OK(ep_network_preset_find("lte", &net));
  EP_CHECK(net.uplink_bps == 5.85e6 && net.downlink_bps == 5.85e6 && net.rtt_s > 0);
  EP_CHECK_OK(ep_network_preset_find("3g", &net));
  EP_CHECK(net.uplink_bps == 1.1e6);
  EP_CHECK_OK(ep_network_preset_find("wifi", &net));
  EP_CHECK(net.uplink_bps == 18.88e6);
  EP_CHECK(ep_network_preset_find("5g", &net) == EP_ERR_NOT_FOUND);
  ep_plan_objective o;
  EP_CHECK_OK(ep_plan_objective_parse("energy", &o));
  EP_CHECK(o == EP_PLAN_ENERGY);
  EP_CHECK(ep_plan_objective_parse("speed", &o) == EP_ERR_INVALID_ARGUMENT);
}

/* Inception's DAG: at every cut, the uploaded tensors are exactly those the server needs:
 * each is produced before k (or is an input) and read at or after k, and every input of a
 * node at or after k that comes from before k is among them. Cuts inside a block carry several
 * branches at once. */
static void test_inception_cuts(void) {
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_model_load("inception_v1", EP_ZOO_DEFAULT_SEED, NULL, &g));
  if (g == NULL) return;
  int n = ep_graph_node_count(g);
  int* ids = malloc((size_t)ep_graph_tensor_count(g) * sizeof *ids);
  int most = 0;
  for (int k = 0; ids != NULL && k <= n; k++) {
    int count = ep_plan_upload_tensors(g, k, ids, ep_graph_tensor_count(g));
    int64_t bytes = 0;
    for (int i = 0; i < count; i++) {
      const ep_tensor* t = ep_graph_tensor(g, ids[i]);
      bytes += 4 * ep_shape_numel(&t->shape);
      EP_CHECK(t->kind == EP_TENSOR_INPUT || t->producer < k);
      EP_CHECK(t->last_consumer >= k);
    }
    EP_CHECK(bytes == ep_plan_upload_bytes(g, k));
    for (int j = k; j < n; j++) {
      const ep_node* node = ep_graph_node(g, j);
      for (int i = 0; i < node->n_inputs; i++) {
        int id = node->inputs[i];
        if (id < 0) continue;
        const ep_tensor* t = ep_graph_tensor(g, id);
        if (t->kind == EP_TENSOR_CONSTANT) continue;
        if (t->kind == EP_TENSOR_ACTIVATION && t->producer >= k) continue;
        bool found = false;
        for (int q = 0; q < count; q++) found |= ids[q] == id;
        EP_CHECK_MSG(found, "cut %d: %s (read by %s) is not uploaded", k, t->name, node->name);
      }
    }
    if (count > most) most = count;
  }
  EP_CHECK_MSG(most >= 4, "the widest cut of inception_v1 carries %d tensors", most);
  EP_CHECK(ep_plan_upload_bytes(g, 0) == 4 * 3 * 224 * 224);
  EP_CHECK(ep_plan_download_bytes(g, 0) == 4 * 1001);
  free(ids);
  ep_graph_destroy(g);
}

int main(void) {
  ep_graph* g = diamond();
  EP_CHECK(g != NULL);
  if (g != NULL) {
    test_cut_tensors(g);
    test_arithmetic(g);
    test_profile_files(g);
  }
  ep_graph_destroy(g);
  test_parsing();
  test_inception_cuts();
  return ep_test_finish();
}

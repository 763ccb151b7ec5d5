/* The latency predictor without timing anything: the tree ensemble recovers a known function
 * (inside and beyond its training range), the device file round-trips byte for byte with the
 * same predictions, and damaged device files are refused with a message naming the file. Also
 * the class of every zoo node, and probe generation for every family. (predict-fit's measuring
 * and the accuracy on a real network are tests/integration/test_predict.sh.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/model.h"
#include "edgeprof/predict.h"
#include "predict/predict_internal.h"
#include "test_support.h"

/* A made-up device: 1e-6 ms per MAC, 3x3 kernels twice as fast, a blocked input 20% slower, plus
 * a constant; the same for every class. */
static double truth(const float* f, double macs) {
  double ms = 1e-6 * macs * (f[9] == 3.0f ? 0.5 : 1.0) * (f[16] > 0.5f ? 1.2 : 1.0) + 0.01;
  return ms;
}

static void draw(ep_test_rng* rng, float* f, double* macs, double* bytes, double max_macs) {
  memset(f, 0, EP_PF_COUNT * sizeof *f);
  double u = (double)(ep_test_rng_next(rng) >> 11) / 9007199254740992.0;
  *macs = exp(log(1e4) + u * (log(max_macs) - log(1e4)));
  *bytes = *macs / 10.0;
  f[1] = (float)log2(*macs + 1);
  f[9] = (float)(ep_test_rng_int(rng, 0, 1) ? 3 : 1);
  f[10] = f[9];
  f[16] = (float)ep_test_rng_int(rng, 0, 1);
  f[5] = (float)ep_test_rng_int(rng, 16, 512);
}

static double median_error(const ep_class_model* m, ep_test_rng* rng, double max_macs) {
  enum { N = 201 };
  double err[N];
  for (int i = 0; i < N; i++) {
    float f[EP_PF_COUNT];
    double macs, bytes;
    draw(rng, f, &macs, &bytes, max_macs);
    err[i] = fabs(ep_gbdt_predict(m, f, macs, bytes) / truth(f, macs) - 1.0);
  }
  for (int i = 1; i < N; i++) { /* insertion sort: small */
    double v = err[i];
    int j = i - 1;
    for (; j >= 0 && err[j] > v; j--) err[j + 1] = err[j];
    err[j + 1] = v;
  }
  return err[N / 2];
}

static void test_gbdt(ep_predict_device* d) {
  enum { N = 400 };
  static float x[N * EP_PF_COUNT];
  double macs[N], bytes[N], ms[N];
  ep_test_rng rng = {42};
  for (int i = 0; i < N; i++) {
    draw(&rng, x + i * EP_PF_COUNT, &macs[i], &bytes[i], 1e8);
    ms[i] = truth(x + i * EP_PF_COUNT, macs[i]);
  }
  ep_gbdt_params p = {120, 4, 3, 0.1};
  d->n_configs = 2;
  d->configs[0].threads = 1;
  d->configs[1].threads = 2;
  for (int c = 0; c < 2; c++) {
    for (int k = 0; k < EP_PREDICT_CLASS_COUNT; k++) {
      if (k == EP_PREDICT_VIEW) continue;
      EP_CHECK_OK(ep_gbdt_fit(x, macs, bytes, ms, N, &p, &d->configs[c].models[k]));
    }
  }
  const ep_class_model* m = &d->configs[0].models[EP_PREDICT_CONV];
  EP_CHECK(m->present && m->samples == N && m->n_trees == 120);
  EP_CHECK_MSG(m->train_median_error < 0.03, "training error %.3f", m->train_median_error);
  ep_test_rng held_out = {7};
  double inside = median_error(m, &held_out, 1e8);
  EP_CHECK_MSG(inside < 0.05, "held-out error inside the range %.3f", inside);
  /* Ten to a hundred times more MACs than any sample: the baseline carries it. */
  double beyond = median_error(m, &held_out, 1e10);
  EP_CHECK_MSG(beyond < 0.35, "held-out error beyond the range %.3f", beyond);
  d->info.llc_bytes = 32.0 * 1024 * 1024;
  d->info.n_threads = 2;
  d->info.threads[0] = 1;
  d->info.threads[1] = 2;
  snprintf(d->info.cpu, sizeof d->info.cpu, "test \"cpu\"");
  snprintf(d->info.isa, sizeof d->info.isa, "avx2");
  snprintf(d->info.layout, sizeof d->info.layout, "NCHW8c");
}

static char* write_text(const ep_predict_device* d, size_t* len) {
  char* text = NULL;
  FILE* f = open_memstream(&text, len);
  if (f == NULL) return NULL;
  ep_status st = ep_predict_device_write(d, f);
  fclose(f);
  EP_CHECK_OK(st);
  return text;
}

/* text with the first occurrence of `from` replaced by `to` (NULL if absent). */
static char* mutate(const char* text, const char* from, const char* to) {
  const char* at = strstr(text, from);
  if (at == NULL) return NULL;
  size_t a = (size_t)(at - text), fl = strlen(from), tl = strlen(to), n = strlen(text);
  char* out = malloc(n - fl + tl + 1);
  memcpy(out, text, a);
  memcpy(out + a, to, tl);
  memcpy(out + a + tl, at + fl, n - a - fl + 1);
  return out;
}

static void expect_refused(const char* text, const char* what) {
  ep_predict_device* d = NULL;
  ep_status st = ep_predict_device_parse(text, strlen(text), "bad.json", &d);
  EP_CHECK_MSG(st == EP_ERR_FORMAT && d == NULL, "%s: accepted (status %d)", what, (int)st);
  EP_CHECK_MSG(strstr(ep_last_error(), "bad.json") != NULL, "%s: message '%s' names no file", what,
               ep_last_error());
  ep_predict_device_destroy(d);
}

static void test_round_trip_and_refusals(const ep_predict_device* d) {
  size_t len = 0;
  char* text = write_text(d, &len);
  if (text == NULL) return;
  ep_predict_device* back = NULL;
  EP_CHECK_OK(ep_predict_device_parse(text, len, "device.json", &back));
  if (back != NULL) {
    size_t len2 = 0;
    char* again = write_text(back, &len2);
    EP_CHECK_MSG(again != NULL && len2 == len && memcmp(text, again, len) == 0,
                 "the device file does not round-trip");
    free(again);
    ep_graph* g = NULL;
    EP_CHECK_OK(ep_model_load("resnet50", 1, NULL, &g));
    int n = g != NULL ? ep_graph_node_count(g) : 0;
    double* a = calloc((size_t)n + 1, sizeof *a);
    double* b = calloc((size_t)n + 1, sizeof *b);
    EP_CHECK_OK(ep_predict_graph(d, g, 2, a));
    EP_CHECK_OK(ep_predict_graph(back, g, 2, b));
    bool same = true, positive = true;
    for (int i = 0; i < n; i++) {
      same = same && a[i] == b[i];
      bool view = ep_predict_node_class(g, ep_graph_node(g, i)) == EP_PREDICT_VIEW;
      positive = positive && (view ? a[i] == 0.0 : a[i] > 0.0 && isfinite(a[i]));
    }
    EP_CHECK_MSG(same, "predictions differ after a round trip");
    EP_CHECK_MSG(positive, "a prediction is not positive and finite (views: 0)");
    EP_CHECK(ep_predict_graph(back, g, 4, a) == EP_ERR_NOT_FOUND);
    EP_CHECK(strstr(ep_last_error(), "1, 2") != NULL);
    free(a);
    free(b);
    ep_graph_destroy(g);
  }
  ep_predict_device_destroy(back);

  static const struct {
    const char *from, *to, *what;
  } cases[] = {
      {"\"schema_version\": 1", "\"schema_version\": 2", "a newer schema"},
      {"\"schema_version\": 1,", "", "no schema version"},
      {"edgeprof-device", "edgeprof-profile", "another kind"},
      {"\"left\": [1,", "\"left\": [0,", "a child pointing back (a cycle)"},
      {"\"feature\": [", "\"feature\": [99, ", "a feature that does not exist"},
      {"\"cold\"", "\"warm\"", "another feature list"},
      {"\"threads\": 2", "\"threads\": 1", "a thread count listed twice"},
      {"\"threads\": 1", "\"threads\": 0", "zero threads"},
      {"\"baseline\": [", "\"baseline\": [-1, 0, 0], \"x\": [", "a negative baseline"},
      {"\"bias\": ", "\"bias\": \"one\", \"y\": ", "a bias that is not a number"},
      {"\"conv\":", "\"convolution\":", "an unknown class"},
      {"\"value\": [", "\"value\": [1e300, ", "a leaf value out of range and a longer array"},
      {"\"llc_bytes\": ", "\"llc_bytes\": -", "a negative cache size"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char* bad = mutate(text, cases[i].from, cases[i].to);
    EP_CHECK_MSG(bad != NULL, "pattern '%s' not in the device file", cases[i].from);
    if (bad != NULL) expect_refused(bad, cases[i].what);
    free(bad);
  }
  char* cut = strdup(text);
  cut[len / 2] = '\0';
  expect_refused(cut, "a truncated file");
  free(cut);
  expect_refused("", "an empty file");
  expect_refused("[1, 2]", "an array");
  free(text);
}

static void test_classes_and_probes(void) {
  static const char* const zoo[] = {"mobilenet_v1", "resnet50", "inception_v1", "lstm", "mlp"};
  int seen[EP_PREDICT_CLASS_COUNT] = {0};
  for (int z = 0; z < 5; z++) {
    ep_graph* g = NULL;
    EP_CHECK_OK(ep_model_load(zoo[z], 1, NULL, &g));
    for (int i = 0; g != NULL && i < ep_graph_node_count(g); i++) {
      seen[ep_predict_node_class(g, ep_graph_node(g, i))]++;
    }
    ep_graph_destroy(g);
  }
  EP_CHECK(seen[EP_PREDICT_CONV] > 0 && seen[EP_PREDICT_DWCONV] == 13 && seen[EP_PREDICT_FC] > 0 &&
           seen[EP_PREDICT_RNN] == 2 && seen[EP_PREDICT_POOL] > 0 && seen[EP_PREDICT_GPOOL] > 0 &&
           seen[EP_PREDICT_MEMORY] > 0);
  /* Every family builds valid graphs over many draws. */
  uint64_t rng = 1;
  int classes[EP_PREDICT_CLASS_COUNT] = {0};
  for (int f = 0; f < EP_PROBE_FAMILY_COUNT; f++) {
    for (int k = 0; k < 12; k++) {
      ep_graph* g = NULL;
      ep_status st = ep_probe_build(f, &rng, &g);
      EP_CHECK_MSG(st == EP_OK, "family %s: %s", ep_probe_family_name(f), ep_last_error());
      for (int i = 0; g != NULL && i < ep_graph_node_count(g); i++) {
        classes[ep_predict_node_class(g, ep_graph_node(g, i))]++;
      }
      ep_graph_destroy(g);
    }
  }
  for (int c = 0; c < EP_PREDICT_CLASS_COUNT; c++) {
    EP_CHECK_MSG(classes[c] > 0, "no probe makes %s nodes", ep_predict_class_name(c));
  }
}

int main(void) {
  ep_predict_device* d = calloc(1, sizeof *d);
  test_gbdt(d);
  test_round_trip_and_refusals(d);
  /* A device without a class the graph needs says which. */
  ep_class_model_clear(&d->configs[0].models[EP_PREDICT_RNN]);
  ep_graph* g = NULL;
  EP_CHECK_OK(ep_model_load("lstm", 1, NULL, &g));
  double ms[16];
  EP_CHECK(g != NULL && ep_graph_node_count(g) <= 16 &&
           ep_predict_graph(d, g, 1, ms) == EP_ERR_NOT_FOUND &&
           strstr(ep_last_error(), "rnn") != NULL);
  ep_graph_destroy(g);
  ep_predict_device_destroy(d);
  test_classes_and_probes();
  return ep_test_finish();
}

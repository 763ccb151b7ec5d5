/* Inside the predictor: node features, the tree ensembles, the device, and the probe
 * configurations the fit measures. */
#ifndef EDGEPROF_PREDICT_INTERNAL_H
#define EDGEPROF_PREDICT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "edgeprof/graph.h"
#include "edgeprof/predict.h"
#include "edgeprof/status.h"

/* --- features (features.c) ---------------------------------------------------------------- */

enum { EP_PF_COUNT = 21 };
/* The last feature: 1 when the node's weights and input start cold in the caches (measured
 * after the caches were flushed), 0 when warm; ep_pf_compute leaves it 0. */
enum { EP_PF_COLD = 20 };

/* Names in the device file's "features" list, in order. */
const char* ep_pf_name(int feature);

/* The features of node `index` of `graph`; `blocked[t]` says whether tensor t is in the blocked
 * layout (NULL: none is). See features.c for what each one is. */
void ep_pf_compute(const ep_graph* graph, int index, const bool* blocked, float* f);

/* The roofline terms of a node, for the baseline: MACs and bytes moved (activations in and
 * out, weights). */
void ep_pf_work(const ep_graph* graph, const ep_node* node, double* macs, double* bytes);

/* Whether each tensor of `graph` would be blocked in a session on this host (cpu backend).
 * Returns a calloc'd array (free()), NULL when out of memory. */
bool* ep_pf_blocked_tensors(const ep_graph* graph);

/* --- gradient-boosted trees (gbdt.c) ------------------------------------------------------ */

typedef struct ep_tree {
  int n_nodes;
  int* feature;     /* -1: a leaf */
  float* threshold; /* go left when x[feature] <= threshold */
  int* left;
  int* right;
  double* value;    /* leaf values */
} ep_tree;

/* One class's model: ms = baseline(macs, bytes) * exp(bias + sum of tree values). */
typedef struct ep_class_model {
  bool present;
  int samples;
  double train_median_error;
  double baseline[3]; /* ms = b0 + b1 * MACs + b2 * bytes, each >= 0 */
  double bias;
  double learning_rate; /* applied when fitting; the stored leaf values include it */
  int n_trees;
  ep_tree* trees;
} ep_class_model;

typedef struct ep_gbdt_params {
  int n_trees;
  int max_depth;
  int min_leaf;
  double learning_rate;
} ep_gbdt_params;

/* Fits `model` on n samples (features x[i * EP_PF_COUNT + f], work macs[i], bytes[i], times
 * ms[i] > 0). */
ep_status ep_gbdt_fit(const float* x, const double* macs, const double* bytes, const double* ms,
                      int n, const ep_gbdt_params* params, ep_class_model* model);
double ep_gbdt_predict(const ep_class_model* model, const float* x, double macs, double bytes);
void ep_class_model_clear(ep_class_model* model);

/* --- the device (device.c, device_file.c) -------------------------------------------------- */

typedef struct ep_predict_config {
  int threads;
  ep_class_model models[EP_PREDICT_CLASS_COUNT];
} ep_predict_config;

struct ep_predict_device {
  ep_predict_device_info info;
  int n_configs;
  ep_predict_config configs[EP_PREDICT_MAX_THREAD_COUNTS];
};

/* The last-level cache of this machine (bytes; 8 MiB when unknown). */
double ep_predict_llc_bytes(void);

/* --- probes (probes.c) ---------------------------------------------------------------------- */

/* The families of generated configurations; each covers one or more classes. */
enum { EP_PROBE_FAMILY_COUNT = 12 };
const char* ep_probe_family_name(int family);

/* Builds the optimized graph of a random configuration of `family` drawn from *rng. */
ep_status ep_probe_build(int family, uint64_t* rng, ep_graph** graph_out);

uint64_t ep_predict_rng_next(uint64_t* state);
/* Uniform in [0, 1). */
double ep_predict_rng_unit(uint64_t* state);

#endif /* EDGEPROF_PREDICT_INTERNAL_H */

/* One op class's latency model: a roofline-like baseline times a correction learnt by gradient
 * boosting of regression trees on the log of the ratio.
 *
 * Why a baseline: trees predict a constant outside the range they were fitted on, and held-out
 * networks have layers larger than any configuration measured (VGG's 400 MB fully connected
 * layer); ms = b0 + b1 * MACs + b2 * bytes, fitted for the smallest relative error, carries the
 * prediction there, and the trees model what it misses (kernel choice, layout, small-layer
 * overheads) as a factor. Trees on log(ms / baseline) make every error relative, as the
 * accuracy measure is. Trees grow level by level on samples presorted once per feature. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predict/predict_internal.h"

void ep_class_model_clear(ep_class_model* m) {
  if (m == NULL) return;
  for (int t = 0; t < m->n_trees; t++) {
    free(m->trees[t].feature);
    free(m->trees[t].threshold);
    free(m->trees[t].left);
    free(m->trees[t].right);
    free(m->trees[t].value);
  }
  free(m->trees);
  memset(m, 0, sizeof *m);
}

static double baseline(const double b[3], double macs, double bytes) {
  double v = b[0] + b[1] * macs + b[2] * bytes;
  return v > 1e-6 ? v : 1e-6;
}

/* Solves the 3x3 system a x = r restricted to the terms in `use` (Gaussian elimination with
 * partial pivoting). Returns false when singular. */
static bool solve3(double a[3][3], double r[3], const bool use[3], double x[3]) {
  int idx[3], k = 0;
  for (int i = 0; i < 3; i++) {
    if (use[i]) idx[k++] = i;
  }
  double m[3][4];
  for (int i = 0; i < k; i++) {
    for (int j = 0; j < k; j++) m[i][j] = a[idx[i]][idx[j]];
    m[i][k] = r[idx[i]];
  }
  for (int c = 0; c < k; c++) {
    int p = c;
    for (int i = c + 1; i < k; i++) {
      if (fabs(m[i][c]) > fabs(m[p][c])) p = i;
    }
    if (fabs(m[p][c]) < 1e-12) return false;
    for (int j = 0; j <= k; j++) {
      double t = m[c][j];
      m[c][j] = m[p][j];
      m[p][j] = t;
    }
    for (int i = 0; i < k; i++) {
      if (i == c) continue;
      double f = m[i][c] / m[c][c];
      for (int j = c; j <= k; j++) m[i][j] -= f * m[c][j];
    }
  }
  x[0] = x[1] = x[2] = 0.0;
  for (int i = 0; i < k; i++) x[idx[i]] = m[i][k] / m[i][i];
  return true;
}

/* b0 + b1 * macs + b2 * bytes minimizing the sum of squared relative errors, b >= 0: terms
 * that come out negative are dropped and the rest refitted. Columns are scaled by their mean
 * so that the system is well conditioned. */
static void fit_baseline(const double* macs, const double* bytes, const double* ms, int n,
                         double b[3]) {
  double scale[3] = {1.0, 0.0, 0.0};
  for (int i = 0; i < n; i++) {
    scale[1] += macs[i] / n;
    scale[2] += bytes[i] / n;
  }
  for (int j = 1; j < 3; j++) scale[j] = scale[j] > 0 ? scale[j] : 1.0;
  bool use[3] = {true, scale[1] > 1.0, true};
  for (int attempt = 0; attempt < 3; attempt++) {
    double a[3][3] = {{0}}, r[3] = {0}, x[3];
    for (int i = 0; i < n; i++) {
      double v[3] = {1.0 / ms[i], macs[i] / scale[1] / ms[i], bytes[i] / scale[2] / ms[i]};
      for (int p = 0; p < 3; p++) {
        r[p] += v[p];
        for (int q = 0; q < 3; q++) a[p][q] += v[p] * v[q];
      }
    }
    if (!solve3(a, r, use, x)) break;
    bool negative = false;
    for (int j = 0; j < 3; j++) {
      if (use[j] && x[j] < 0) {
        use[j] = false;
        negative = true;
      }
    }
    if (!negative) {
      for (int j = 0; j < 3; j++) b[j] = x[j] / scale[j];
      return;
    }
  }
  /* Fallback: a constant, the geometric mean. */
  double s = 0.0;
  for (int i = 0; i < n; i++) s += log(ms[i]);
  b[0] = exp(s / n);
  b[1] = b[2] = 0.0;
}

typedef struct sort_key {
  float v;
  int i;
} sort_key;

static int cmp_key(const void* a, const void* b) {
  const sort_key* x = a;
  const sort_key* y = b;
  if (x->v != y->v) return x->v < y->v ? -1 : 1;
  return x->i - y->i;
}

typedef struct leaf_acc {
  double sum, left_sum, best_gain;
  int count, left_count, best_feature;
  float last, best_threshold;
} leaf_acc;

/* Grows one tree on residuals r (level by level), adds its leaf values (times the learning
 * rate) to `pred`. */
static ep_status grow_tree(const float* x, const int* order, const double* r, int n,
                           const ep_gbdt_params* p, int* node_of, leaf_acc* acc, ep_tree* t,
                           double* pred) {
  int cap = (1 << (p->max_depth + 1)) - 1;
  t->feature = malloc((size_t)cap * sizeof *t->feature);
  t->threshold = malloc((size_t)cap * sizeof *t->threshold);
  t->left = malloc((size_t)cap * sizeof *t->left);
  t->right = malloc((size_t)cap * sizeof *t->right);
  t->value = malloc((size_t)cap * sizeof *t->value);
  if (!t->feature || !t->threshold || !t->left || !t->right || !t->value) {
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a tree");
  }
  t->n_nodes = 1;
  t->feature[0] = -1;
  t->left[0] = t->right[0] = -1;
  t->threshold[0] = 0.0f;
  t->value[0] = 0.0;
  for (int i = 0; i < n; i++) node_of[i] = 0;
  int level_begin = 0, level_end = 1;
  for (int depth = 0; depth < p->max_depth; depth++) {
    for (int l = level_begin; l < level_end; l++) {
      memset(&acc[l], 0, sizeof acc[l]);
      acc[l].best_feature = -1;
    }
    for (int i = 0; i < n; i++) {
      acc[node_of[i]].sum += r[i];
      acc[node_of[i]].count++;
    }
    for (int f = 0; f < EP_PF_COUNT; f++) {
      for (int l = level_begin; l < level_end; l++) {
        acc[l].left_sum = 0.0;
        acc[l].left_count = 0;
      }
      const int* ord = order + (size_t)f * n;
      for (int k = 0; k < n; k++) {
        int i = ord[k];
        int l = node_of[i];
        if (l < level_begin) continue; /* a leaf of an earlier level */
        leaf_acc* a = &acc[l];
        float v = x[(size_t)i * EP_PF_COUNT + f];
        int right_count = a->count - a->left_count;
        if (a->left_count >= p->min_leaf && right_count >= p->min_leaf && v > a->last) {
          double rs = a->sum - a->left_sum;
          double gain = a->left_sum * a->left_sum / a->left_count + rs * rs / right_count -
                        a->sum * a->sum / a->count;
          if (gain > a->best_gain + 1e-12) {
            a->best_gain = gain;
            a->best_feature = f;
            a->best_threshold = 0.5f * (a->last + v);
            if (!(a->best_threshold < v)) a->best_threshold = a->last;
          }
        }
        a->left_sum += r[i];
        a->left_count++;
        a->last = v;
      }
    }
    int next_begin = t->n_nodes;
    for (int l = level_begin; l < level_end; l++) {
      if (acc[l].best_feature < 0) continue;
      t->feature[l] = acc[l].best_feature;
      t->threshold[l] = acc[l].best_threshold;
      for (int c = 0; c < 2; c++) {
        int id = t->n_nodes++;
        t->feature[id] = -1;
        t->left[id] = t->right[id] = -1;
        t->threshold[id] = 0.0f;
        t->value[id] = 0.0;
        if (c == 0) t->left[l] = id;
        else t->right[l] = id;
      }
    }
    if (t->n_nodes == next_begin) break;
    for (int i = 0; i < n; i++) {
      int l = node_of[i];
      if (t->feature[l] < 0) continue;
      node_of[i] = x[(size_t)i * EP_PF_COUNT + t->feature[l]] <= t->threshold[l] ? t->left[l]
                                                                                : t->right[l];
    }
    level_begin = next_begin;
    level_end = t->n_nodes;
  }
  /* Leaf values: the learning rate times the mean residual. */
  for (int l = 0; l < t->n_nodes; l++) {
    acc[l].sum = 0.0;
    acc[l].count = 0;
  }
  for (int i = 0; i < n; i++) {
    acc[node_of[i]].sum += r[i];
    acc[node_of[i]].count++;
  }
  for (int l = 0; l < t->n_nodes; l++) {
    if (t->feature[l] < 0 && acc[l].count > 0) {
      t->value[l] = p->learning_rate * acc[l].sum / acc[l].count;
    }
  }
  for (int i = 0; i < n; i++) pred[i] += t->value[node_of[i]];
  return EP_OK;
}

static double tree_value(const ep_tree* t, const float* x) {
  int l = 0;
  while (t->feature[l] >= 0) l = x[t->feature[l]] <= t->threshold[l] ? t->left[l] : t->right[l];
  return t->value[l];
}

double ep_gbdt_predict(const ep_class_model* m, const float* x, double macs, double bytes) {
  double s = m->bias;
  for (int t = 0; t < m->n_trees; t++) s += tree_value(&m->trees[t], x);
  return baseline(m->baseline, macs, bytes) * exp(s);
}

static int cmp_double(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

ep_status ep_gbdt_fit(const float* x, const double* macs, const double* bytes, const double* ms,
                      int n, const ep_gbdt_params* p, ep_class_model* m) {
  if (n < 1) return ep_error(EP_ERR_INVALID_ARGUMENT, "no samples to fit");
  ep_status status = EP_OK;
  memset(m, 0, sizeof *m);
  int cap = (1 << (p->max_depth + 1)) - 1;
  int* order = malloc((size_t)n * EP_PF_COUNT * sizeof *order);
  sort_key* keys = malloc((size_t)n * sizeof *keys);
  double* r = malloc((size_t)n * sizeof *r);
  double* pred = calloc((size_t)n, sizeof *pred);
  double* err = malloc((size_t)n * sizeof *err);
  int* node_of = malloc((size_t)n * sizeof *node_of);
  leaf_acc* acc = malloc((size_t)cap * sizeof *acc);
  m->trees = calloc((size_t)p->n_trees, sizeof *m->trees);
  if (!order || !keys || !r || !pred || !err || !node_of || !acc || !m->trees) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to fit %d samples", n);
    goto cleanup;
  }
  for (int f = 0; f < EP_PF_COUNT; f++) {
    for (int i = 0; i < n; i++) {
      keys[i].v = x[(size_t)i * EP_PF_COUNT + f];
      keys[i].i = i;
    }
    qsort(keys, (size_t)n, sizeof *keys, cmp_key);
    for (int i = 0; i < n; i++) order[(size_t)f * n + i] = keys[i].i;
  }
  fit_baseline(macs, bytes, ms, n, m->baseline);
  double* target = err; /* log(ms / baseline), reused below for the errors */
  double mean = 0.0;
  for (int i = 0; i < n; i++) {
    target[i] = log(ms[i] / baseline(m->baseline, macs[i], bytes[i]));
    mean += target[i] / n;
  }
  m->bias = mean;
  m->learning_rate = p->learning_rate;
  for (int i = 0; i < n; i++) pred[i] = mean;
  for (int t = 0; t < p->n_trees; t++) {
    for (int i = 0; i < n; i++) r[i] = target[i] - pred[i];
    status = grow_tree(x, order, r, n, p, node_of, acc, &m->trees[t], pred);
    m->n_trees = t + 1;
    if (status != EP_OK) goto cleanup;
  }
  for (int i = 0; i < n; i++) err[i] = fabs(exp(pred[i] - target[i]) - 1.0);
  qsort(err, (size_t)n, sizeof *err, cmp_double);
  m->train_median_error = err[n / 2];
  m->samples = n;
  m->present = true;

cleanup:
  free(order);
  free(keys);
  free(r);
  free(pred);
  free(err);
  free(node_of);
  free(acc);
  if (status != EP_OK) ep_class_model_clear(m);
  return status;
}

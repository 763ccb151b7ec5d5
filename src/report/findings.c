/* The paper's findings, recomputed as sentences from one machine's numbers (and compared across
 * machines). Nothing here is written in advance: a statement appears only when the
 * measurements it needs exist, and says what they show, agreeing with the paper or not. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/report.h"

/* The latency budget of the "fits on this machine" finding: 10 inferences per second. */
#define INTERACTIVE_BUDGET_MS 100.0

typedef struct text {
  char buf[EP_FINDING_MAX];
  size_t len;
} text;

static void put(text* t, const char* format, ...) __attribute__((format(printf, 2, 3)));
static void put(text* t, const char* format, ...) {
  if (t->len >= sizeof t->buf - 1) return;
  va_list args;
  va_start(args, format);
  int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, format, args);
  va_end(args);
  if (n > 0) t->len += (size_t)n;
  if (t->len >= sizeof t->buf) t->len = sizeof t->buf - 1;
}

static void add(ep_findings* f, const text* t) {
  if (f->n < EP_FINDINGS_MAX && t->len > 0) {
    snprintf(f->lines[f->n++], sizeof f->lines[0], "%s", t->buf);
  }
}

char* ep_format_ms(double ms, char* buf, size_t size) {
  if (!isfinite(ms)) {
    snprintf(buf, size, "?");
  } else if (ms >= 100.0) {
    snprintf(buf, size, "%.0f", ms);
  } else if (ms >= 10.0) {
    snprintf(buf, size, "%.1f", ms);
  } else if (ms >= 1.0) {
    snprintf(buf, size, "%.2f", ms);
  } else {
    snprintf(buf, size, "%.3f", ms);
  }
  return buf;
}

/* "a", "a and b", "a, b and c". */
static void put_list(text* t, const char* const* names, int n) {
  for (int i = 0; i < n; i++) {
    put(t, "%s%s", i == 0 ? "" : i == n - 1 ? " and " : ", ", names[i]);
  }
}

static const ep_results_set* find_set(const ep_results* r, const char* name) {
  for (int i = 0; i < r->n_sets; i++) {
    if (strcmp(r->sets[i].name, name) == 0) return &r->sets[i];
  }
  return NULL;
}

static bool set_measured(const ep_results* r, const char* set) {
  for (int i = 0; i < r->n_models; i++) {
    for (int k = 0; k < r->models[i].n_measurements; k++) {
      if (strcmp(r->models[i].measurements[k].core_set, set) == 0) return true;
    }
  }
  return false;
}

static const ep_results_measurement* best_on(const ep_results_model* m, const char* set,
                                             int max_threads) {
  const ep_results_measurement* best = NULL;
  for (int k = 0; k < m->n_measurements; k++) {
    const ep_results_measurement* x = &m->measurements[k];
    if (strcmp(x->core_set, set) != 0 || (max_threads > 0 && x->threads > max_threads)) continue;
    if (best == NULL || x->figure_ms < best->figure_ms) best = x;
  }
  return best;
}

static double geomean(const double* v, int n) {
  double s = 0.0;
  for (int i = 0; i < n; i++) s += log(v[i]);
  return n > 0 ? exp(s / n) : 0.0;
}

/* Gains from 1 to `t` threads on `set`, CNNs against the rest (the paper's comparison; the
 * transformers, which the paper did not have, in a clause of their own after it). Returns false
 * if unmeasured. */
static bool scaling_sentence(const ep_results* r, const char* set, int threads, text* t,
                             double* cnn_gain, double* other_gain, int* n_cnn, int* n_other) {
  const char* cnn_names[64];
  const char* other_names[64];
  const char* transformer_names[64];
  double cnn[64], other[64], transformer[64];
  int n_transformer = 0;
  *n_cnn = *n_other = 0;
  for (int i = 0; i < r->n_models && i < 64; i++) {
    const ep_results_model* m = &r->models[i];
    const ep_results_measurement* a = ep_results_point(m, set, 1);
    const ep_results_measurement* b = ep_results_point(m, set, threads);
    if (a == NULL || b == NULL) continue;
    double gain = a->figure_ms / b->figure_ms;
    if (strcmp(m->family, "cnn") == 0) {
      cnn_names[*n_cnn] = m->name;
      cnn[(*n_cnn)++] = gain;
    } else if (strcmp(m->family, "transformer") == 0) {
      transformer_names[n_transformer] = m->name;
      transformer[n_transformer++] = gain;
    } else {
      other_names[*n_other] = m->name;
      other[(*n_other)++] = gain;
    }
  }
  if (*n_cnn + *n_other + n_transformer == 0) return false;
  *cnn_gain = geomean(cnn, *n_cnn);
  *other_gain = geomean(other, *n_other);
  const ep_results_set* s = find_set(r, set);
  put(t, "From 1 to %d threads on core set '%s'", threads, set);
  if (s != NULL) {
    put(t, " (%d CPU%s: %s%s)", s->size, s->size == 1 ? "" : "s", s->cpus,
        threads > s->size ? "; oversubscribed" : "");
  }
  put(t, ", ");
  bool first = true;
  for (int g = 0; g < 3; g++) {
    int n = g == 0 ? *n_cnn : g == 1 ? *n_other : n_transformer;
    const char* const* names = g == 0 ? cnn_names : g == 1 ? other_names : transformer_names;
    const double* gains = g == 0 ? cnn : g == 1 ? other : transformer;
    if (n == 0) continue;
    if (!first) put(t, "; ");
    first = false;
    if (n == 1) {
      put(t, "%s %s %.2f×", names[0], gains[0] >= 1.0 ? "gains" : "changes by", gains[0]);
      continue;
    }
    if (g == 0) {
      put(t, "the CNNs gain %.2f× (", *cnn_gain);
    } else if (g == 2) {
      put(t, "the transformers gain %.2f× (", geomean(transformer, n_transformer));
    } else {
      put_list(t, names, n);
      put(t, " gain %.2f× (", *other_gain);
    }
    for (int i = 0; i < n; i++) put(t, "%s%s %.2f×", i ? ", " : "", names[i], gains[i]);
    put(t, ")");
  }
  put(t, " (geometric means; below 1× is slower).");
  return true;
}

static void thread_scaling(const ep_results* r, ep_findings* f) {
  const char* set = set_measured(r, "big") ? "big" : set_measured(r, "all") ? "all" : NULL;
  if (set == NULL && r->n_models > 0 && r->models[0].n_measurements > 0) {
    set = r->models[0].measurements[0].core_set;
  }
  if (set == NULL) return;
  text t = {"", 0};
  double cnn_gain = 0, other_gain = 0;
  int n_cnn = 0, n_other = 0;
  if (!scaling_sentence(r, set, 2, &t, &cnn_gain, &other_gain, &n_cnn, &n_other)) return;
  if (n_cnn > 0 && n_other > 0) {
    if (cnn_gain >= 1.3 && other_gain <= 1.2) {
      put(&t, " As in the paper, the CNNs scale with threads while the others benefit little.");
    } else if (cnn_gain >= 1.3 && other_gain > 1.2) {
      put(&t, " Unlike the paper, the non-CNN networks scale with threads here too.");
    } else if (cnn_gain < 1.0) {
      put(&t, " Unlike the paper, a second thread makes the CNNs slower here.");
    } else if (cnn_gain < 1.3) {
      put(&t, " Unlike the paper, the CNNs gain little from a second thread here.");
    }
  }
  add(f, &t);
  /* The largest thread count that still has one CPU per thread, when above 2. */
  const ep_results_set* s = find_set(r, set);
  int top = 0;
  for (int i = 0; i < r->n_models; i++) {
    for (int k = 0; k < r->models[i].n_measurements; k++) {
      const ep_results_measurement* x = &r->models[i].measurements[k];
      if (strcmp(x->core_set, set) == 0 && !x->oversubscribed && x->threads > top) top = x->threads;
    }
  }
  if (s != NULL && top > 2) {
    text u = {"", 0};
    if (scaling_sentence(r, set, top, &u, &cnn_gain, &other_gain, &n_cnn, &n_other)) add(f, &u);
  }
}

/* Faster / slower lists: "a (+12%), b (+3%)". Returns the count. */
static int put_changes(text* t, const char* const* names, const double* change, int n) {
  for (int i = 0; i < n; i++) {
    put(t, "%s%s (%+.0f%%)", i == 0 ? "" : i == n - 1 ? " and " : ", ", names[i],
        100.0 * change[i]);
  }
  return n;
}

/* Paper: big+little (8 threads on 4+4 cores) slower than big alone. Only where both exist. */
static void big_little(const ep_results* r, ep_findings* f) {
  const ep_results_set* big = find_set(r, "big");
  const ep_results_set* all = find_set(r, "all");
  if (big == NULL || all == NULL || all->size <= big->size || !set_measured(r, "big") ||
      !set_measured(r, "all")) {
    return;
  }
  const char* slower[64];
  const char* faster[64];
  double ds[64], df[64];
  int ns = 0, nf = 0, same = 0;
  for (int i = 0; i < r->n_models && i < 64; i++) {
    const ep_results_measurement* b = best_on(&r->models[i], "big", 0);
    const ep_results_measurement* a = best_on(&r->models[i], "all", 0);
    if (a == NULL || b == NULL) continue;
    double change = a->figure_ms / b->figure_ms - 1.0;
    if (change > 0.02) {
      slower[ns] = r->models[i].name;
      ds[ns++] = change;
    } else if (change < -0.02) {
      faster[nf] = r->models[i].name;
      df[nf++] = change;
    } else {
      same++;
    }
  }
  if (ns + nf + same == 0) return;
  text t = {"", 0};
  put(&t, "Big and little cores together ('all', %d CPUs), at their best thread count, against "
          "the big cores alone ('big', %d CPUs): ", all->size, big->size);
  if (ns > 0) {
    put(&t, "slower for ");
    put_changes(&t, slower, ds, ns);
  }
  if (nf > 0) {
    put(&t, "%sfaster for ", ns > 0 ? "; " : "");
    put_changes(&t, faster, df, nf);
  }
  if (same > 0) put(&t, "%swithin 2%% for %d network%s", ns + nf > 0 ? "; " : "", same,
                    same == 1 ? "" : "s");
  put(&t, ".");
  if (ns > 0 && nf == 0) {
    put(&t, " As in the paper, more cores made every network measured slower or no faster.");
  } else if (ns == 0) {
    put(&t, " Unlike the paper, adding the little cores never made a network slower here.");
  }
  add(f, &t);
}

/* More threads than CPUs on the largest measured set: what oversubscription costs. */
static void oversubscription(const ep_results* r, ep_findings* f) {
  const char* set = set_measured(r, "all") ? "all" : NULL;
  const ep_results_set* s = set != NULL ? find_set(r, set) : NULL;
  if (s == NULL) return;
  const char* slower[64];
  const char* faster[64];
  double ds[64], df[64];
  int ns = 0, nf = 0;
  for (int i = 0; i < r->n_models && i < 64; i++) {
    const ep_results_model* m = &r->models[i];
    const ep_results_measurement* fit = best_on(m, set, s->size);
    const ep_results_measurement* over = NULL;
    for (int k = 0; k < m->n_measurements; k++) {
      const ep_results_measurement* x = &m->measurements[k];
      if (strcmp(x->core_set, set) != 0 || x->threads <= s->size) continue;
      if (over == NULL || x->figure_ms < over->figure_ms) over = x;
    }
    if (fit == NULL || over == NULL) continue;
    double change = over->figure_ms / fit->figure_ms - 1.0;
    if (change > 0.02) {
      slower[ns] = m->name;
      ds[ns++] = change;
    } else if (change < -0.02) {
      faster[nf] = m->name;
      df[nf++] = change;
    }
  }
  if (ns + nf == 0) return;
  text t = {"", 0};
  put(&t, "More threads than CPUs on '%s' (%d CPUs), at the best such count, against at most "
          "one thread per CPU: ", set, s->size);
  if (ns > 0) {
    put(&t, "slower for ");
    put_changes(&t, slower, ds, ns);
  }
  if (nf > 0) {
    put(&t, "%sfaster for ", ns > 0 ? "; " : "");
    put_changes(&t, faster, df, nf);
  }
  put(&t, ".");
  add(f, &t);
}

/* Paper: edge CPUs run LSTM, MLP and MobileNet fast enough but not the large CNNs. */
static void fits(const ep_results* r, ep_findings* f) {
  const char* names[64];
  double ms[64];
  int n = 0;
  for (int i = 0; i < r->n_models && n < 64; i++) {
    const ep_results_measurement* b = ep_results_best(&r->models[i], NULL);
    if (b == NULL) continue;
    int k = n++;
    for (; k > 0 && ms[k - 1] > b->figure_ms; k--) {
      ms[k] = ms[k - 1];
      names[k] = names[k - 1];
    }
    ms[k] = b->figure_ms;
    names[k] = r->models[i].name;
  }
  if (n < 2) return;
  int split = 0;
  double ratio = 1.0;
  for (int i = 1; i < n; i++) {
    if (ms[i] / ms[i - 1] > ratio) {
      ratio = ms[i] / ms[i - 1];
      split = i;
    }
  }
  text t = {"", 0};
  char a[32];
  if (ratio >= 3.0) {
    /* A round limit above the fast group, below the slow one. */
    double limit = 0.0;
    for (double decade = 1e-3; decade < 1e7 && limit == 0.0; decade *= 10.0) {
      static const double steps[3] = {1.0, 2.0, 5.0};
      for (int s = 0; s < 3 && limit == 0.0; s++) {
        if (decade * steps[s] > ms[split - 1]) limit = decade * steps[s];
      }
    }
    if (limit >= ms[split]) limit = ms[split - 1];
    put(&t, "This machine runs ");
    for (int i = 0; i < split; i++) {
      put(&t, "%s%s (%s ms)", i == 0 ? "" : i == split - 1 ? " and " : ", ", names[i],
          ep_format_ms(ms[i], a, sizeof a));
    }
    put(&t, " in under %g ms, but ", limit);
    for (int i = split; i < n; i++) {
      put(&t, "%s%s takes %s ms", i == split ? "" : i == n - 1 ? " and " : ", ", names[i],
          ep_format_ms(ms[i], a, sizeof a));
    }
    put(&t, " (best configurations; a %.0f× gap).", ratio);
  } else {
    put(&t, "No large gap between the networks here (each within %.1f× of the next): ", ratio);
    for (int i = 0; i < n; i++) {
      put(&t, "%s%s %s ms", i == 0 ? "" : ", ", names[i], ep_format_ms(ms[i], a, sizeof a));
    }
    put(&t, " at their best configurations (%.0f× from the fastest to the slowest).",
        ms[n - 1] / ms[0]);
  }
  int n_fit = 0;
  for (int i = 0; i < n; i++) n_fit += ms[i] <= INTERACTIVE_BUDGET_MS;
  put(&t, " Against a %.0f ms budget per inference (%.0f inferences/s): ", INTERACTIVE_BUDGET_MS,
      1000.0 / INTERACTIVE_BUDGET_MS);
  if (n_fit == n) {
    put(&t, "all %d fit.", n);
  } else if (n_fit == 0) {
    put(&t, "none fits.");
  } else {
    put_list(&t, names, n_fit);
    put(&t, " fit%s; ", n_fit == 1 ? "s" : "");
    put_list(&t, names + n_fit, n - n_fit);
    put(&t, " do%s not.", n - n_fit == 1 ? "es" : "");
  }
  add(f, &t);
}

static void best_configurations(const ep_results* r, ep_findings* f) {
  text t = {"", 0};
  int n = 0;
  for (int i = 0; i < r->n_models; i++) {
    const ep_results_measurement* b = ep_results_best(&r->models[i], NULL);
    if (b == NULL) continue;
    char ms[32];
    put(&t, "%s%s %s ms with %d thread%s on '%s'%s", n++ == 0 ? "Best configurations: " : "; ",
        r->models[i].name, ep_format_ms(b->figure_ms, ms, sizeof ms), b->threads,
        b->threads == 1 ? "" : "s", b->core_set, b->oversubscribed ? " (oversubscribed)" : "");
  }
  if (n == 0) return;
  put(&t, ".");
  add(f, &t);
}

static void op_types(const ep_results* r, ep_findings* f) {
  text t = {"", 0};
  int n = 0;
  const char* noisy[64];
  int n_noisy = 0;
  for (int i = 0; i < r->n_models; i++) {
    const ep_results_model* m = &r->models[i];
    if (!m->has_profile || m->n_ops == 0) continue;
    if (m->profile_noisy) { /* its shares may be the load's, not the network's */
      if (n_noisy < 64) noisy[n_noisy++] = m->name;
      continue;
    }
    put(&t, "%s%s %.0f%% of %s", n++ == 0 ? "Where the time goes at the best configuration: "
                                          : "; ",
        m->ops[0].op, m->ops[0].percent, m->name);
    if (m->n_ops > 1 && m->ops[1].percent >= 5.0) {
      put(&t, " (then %s %.0f%%)", m->ops[1].op, m->ops[1].percent);
    }
  }
  if (n > 0) put(&t, ".");
  if (n_noisy > 0) {
    put(&t, "%sWhere the time goes is not established for ", n > 0 ? " " : "");
    put_list(&t, noisy, n_noisy);
    put(&t, ": the machine was busy while %s profiled (noise check failed).",
        n_noisy == 1 ? "it was" : "they were");
  }
  add(f, &t);
}

/* Other backends against the CPU, per network, when a machine has several. */
static void backends(const ep_results* r, ep_findings* f) {
  for (int i = 0; i < r->n_models; i++) {
    const ep_results_model* m = &r->models[i];
    const ep_results_measurement* cpu = ep_results_best(m, "cpu");
    for (int k = 0; cpu != NULL && k < m->n_measurements; k++) {
      const char* b = m->measurements[k].backend;
      if (strcmp(b, "cpu") == 0) continue;
      bool first = true;
      for (int j = 0; j < k && first; j++) first = strcmp(m->measurements[j].backend, b) != 0;
      if (!first) continue;
      const ep_results_measurement* other = ep_results_best(m, b);
      text t = {"", 0};
      double ratio = cpu->figure_ms / other->figure_ms;
      put(&t, "%s: backend '%s' is %.1f× %s than the CPU.", m->name, b,
          ratio >= 1.0 ? ratio : 1.0 / ratio, ratio >= 1.0 ? "faster" : "slower");
      add(f, &t);
    }
  }
}

/* Numbers from a busy machine are not the network's alone: say so first. */
static void busy(const ep_results* r, ep_findings* f) {
  if (r->load_average < 0.0 || r->cpus_online <= 0 || r->load_average < 0.5 * r->cpus_online) {
    return;
  }
  text t = {"", 0};
  put(&t, "The machine was not idle: the load average was %.1f on %d CPU%s before the run, so "
          "other work shared the CPUs and these numbers (thread scaling most of all) may not "
          "be what the networks get alone.", r->load_average, r->cpus_online,
      r->cpus_online == 1 ? "" : "s");
  add(f, &t);
}

/* The set the thread-scaling finding reads, as thread_scaling() picks it. */
static const char* scaling_set(const ep_results* r) {
  if (set_measured(r, "big")) return "big";
  if (set_measured(r, "all")) return "all";
  if (r->n_models > 0 && r->models[0].n_measurements > 0) {
    return r->models[0].measurements[0].core_set;
  }
  return NULL;
}

/* What the noisy configurations took away: which they were, and which findings could not be
 * established without them. Returns the count of noisy configurations. */
static int noise_sentence(const ep_results* r, ep_findings* f) {
  int noisy = 0, total = 0;
  for (int i = 0; i < r->n_models; i++) {
    for (int k = 0; k < r->models[i].n_measurements; k++) {
      noisy += r->models[i].measurements[k].noisy;
      total++;
    }
  }
  if (noisy == 0) return 0;
  text t = {"", 0};
  put(&t, "Noise: %d of %d configurations stayed noisy after re-measuring (other processes' CPU "
          "time, steal, run queue, frequency or the spread of the samples above the thresholds "
          "of docs/results.md) and are left out of these findings:", noisy, total);
  int models_named = 0;
  for (int i = 0; i < r->n_models; i++) {
    const ep_results_model* m = &r->models[i];
    const char* set = NULL; /* the set being listed ("on 'all' with 1, 2") */
    for (int k = 0; k < m->n_measurements; k++) {
      const ep_results_measurement* x = &m->measurements[k];
      if (!x->noisy) continue;
      if (set == NULL) put(&t, "%s %s", models_named++ > 0 ? ";" : "", m->name);
      if (set == NULL || strcmp(set, x->core_set) != 0) {
        put(&t, "%s on '%s' with %d", set != NULL ? " and" : "", x->core_set, x->threads);
        set = x->core_set;
      } else {
        put(&t, ", %d", x->threads);
      }
    }
    if (set != NULL) put(&t, " thread(s)");
  }
  put(&t, ".");
  const char* set = scaling_set(r);
  const char* lost_scaling[64];
  const char* lost_best[64];
  int n_scaling = 0, n_best = 0;
  for (int i = 0; i < r->n_models && i < 64; i++) {
    const ep_results_model* m = &r->models[i];
    const ep_results_measurement* a = set != NULL ? ep_results_point(m, set, 1) : NULL;
    const ep_results_measurement* b = set != NULL ? ep_results_point(m, set, 2) : NULL;
    if (a != NULL && b != NULL && (a->noisy || b->noisy)) lost_scaling[n_scaling++] = m->name;
    const ep_results_measurement* best = ep_results_best(m, NULL);
    if (best != NULL && best->noisy) lost_best[n_best++] = m->name;
  }
  if (n_scaling + n_best > 0) {
    put(&t, " Not established:");
    if (n_scaling > 0) {
      put(&t, " the thread scaling of ");
      put_list(&t, lost_scaling, n_scaling);
      put(&t, " on '%s'", set);
    }
    if (n_best > 0) {
      put(&t, "%s the best configuration and latency of ", n_scaling > 0 ? ";" : "");
      put_list(&t, lost_best, n_best);
      put(&t, " (every configuration noisy)");
    }
    put(&t, ". Rerun on a quieter machine, or with more --remeasure rounds.");
  }
  add(f, &t);
  return noisy;
}

/* `r` with only the configurations that passed the noise check; each model's measurements
 * array is allocated (free_passed). */
static ep_results* passed_only(const ep_results* r) {
  ep_results* copy = malloc(sizeof *copy);
  ep_results_model* models = calloc(r->n_models > 0 ? (size_t)r->n_models : 1, sizeof *models);
  if (copy == NULL || models == NULL) {
    free(copy);
    free(models);
    return NULL;
  }
  *copy = *r;
  copy->models = models;
  for (int i = 0; i < r->n_models; i++) {
    const ep_results_model* m = &r->models[i];
    models[i] = *m;
    models[i].measurements = calloc(m->n_measurements > 0 ? (size_t)m->n_measurements : 1,
                                    sizeof *m->measurements);
    models[i].n_measurements = 0;
    models[i].best = -1;
    for (int k = 0; models[i].measurements != NULL && k < m->n_measurements; k++) {
      if (!m->measurements[k].noisy) {
        models[i].measurements[models[i].n_measurements++] = m->measurements[k];
      }
    }
  }
  return copy;
}

static void free_passed(ep_results* copy) {
  if (copy == NULL) return;
  for (int i = 0; i < copy->n_models; i++) free(copy->models[i].measurements);
  free(copy->models);
  free(copy);
}

void ep_findings_compute(const ep_results* r, ep_findings* f) {
  memset(f, 0, sizeof *f);
  busy(r, f);
  if (r->partial) {
    text t = {"", 0};
    put(&t, "This run was interrupted (partial results): only the networks measured before it "
            "stopped are here; `edgeprof characterize ... --resume` completes it.");
    add(f, &t);
  }
  /* Findings come only from configurations that passed the noise check. */
  ep_results* passed = noise_sentence(r, f) > 0 ? passed_only(r) : NULL;
  const ep_results* use = passed != NULL ? passed : r;
  fits(use, f);
  thread_scaling(use, f);
  big_little(use, f);
  oversubscription(use, f);
  backends(use, f);
  op_types(use, f);
  best_configurations(use, f);
  free_passed(passed);
}

/* Results of one host and CPU are runs of one machine: say so before any comparison, so that
 * run-to-run differences are not read as differences between machines. */
static void same_machine(const ep_results* const* machines, int n, ep_findings* f) {
  bool said[64] = {false};
  for (int k = 0; k < n && k < 64; k++) {
    if (said[k]) continue;
    const char* names[64];
    int runs = 0;
    bool labelled = true;
    for (int j = k; j < n && j < 64; j++) {
      if (strcmp(machines[j]->host, machines[k]->host) != 0 ||
          strcmp(machines[j]->cpu_model, machines[k]->cpu_model) != 0) {
        continue;
      }
      names[runs++] = machines[j]->platform_id;
      labelled &= machines[j]->label[0] != '\0';
      said[j] = true;
    }
    if (runs < 2) continue;
    text t = {"", 0};
    put_list(&t, names, runs);
    put(&t, " are %d runs of one machine (host %s, %s)%s: the comparisons below between them "
            "are between runs (their load and settings), not between machines.", runs,
        machines[k]->host, machines[k]->cpu_model,
        labelled ? ", told apart by their labels" : "");
    add(f, &t);
  }
}

void ep_findings_compare(const ep_results* const* machines, int n, ep_findings* f) {
  memset(f, 0, sizeof *f);
  if (n < 2) return;
  same_machine(machines, n, f);
  const char* seen[64];
  int n_seen = 0;
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < machines[k]->n_models; i++) {
      const char* name = machines[k]->models[i].name;
      bool dup = false;
      for (int j = 0; j < n_seen && !dup; j++) dup = strcmp(seen[j], name) == 0;
      if (dup || n_seen == 64) continue;
      seen[n_seen++] = name;
      const ep_results_measurement *fast = NULL, *slow = NULL;
      int fast_k = 0, slow_k = 0, count = 0;
      for (int j = 0; j < n; j++) {
        const ep_results_measurement* b =
            ep_results_best(ep_results_find_model(machines[j], name), NULL);
        if (b == NULL || b->noisy) continue; /* every configuration noisy: no comparison */
        count++;
        if (fast == NULL || b->figure_ms < fast->figure_ms) {
          fast = b;
          fast_k = j;
        }
        if (slow == NULL || b->figure_ms > slow->figure_ms) {
          slow = b;
          slow_k = j;
        }
      }
      if (count < 2) continue;
      text t = {"", 0};
      char a[32], b[32];
      put(&t, "%s: fastest on %s (%s ms, %s, %d thread%s on '%s'), %.1f× faster than on %s "
              "(%s ms)", name, machines[fast_k]->platform_id,
          ep_format_ms(fast->figure_ms, a, sizeof a), fast->backend, fast->threads,
          fast->threads == 1 ? "" : "s", fast->core_set, slow->figure_ms / fast->figure_ms,
          machines[slow_k]->platform_id, ep_format_ms(slow->figure_ms, b, sizeof b));
      if (count < n) put(&t, "; measured on %d of %d machines", count, n);
      put(&t, ".");
      add(f, &t);
    }
  }
}

/* characterize: report.md, the tables of results.json for people, and what they show. */
#include <stdbool.h>
#include <string.h>

#include "edgeprof/report.h"

static const char* or_dash(const char* s) { return s != NULL && s[0] != '\0' ? s : "–"; }

static void table1(const ep_characterize_result* r, FILE* out) {
  fprintf(out, "## Table I: the networks\n\n");
  fprintf(out, "Computed by edgeprof from the graphs as defined (before folding batch norm), "
               "beside the paper's figures. MACs are multiply-accumulates, FLOPs = 2 x MACs.\n\n");
  fprintf(out, "| model | source | input | output | layers | params | MACs | FLOPs |\n");
  fprintf(out, "| --- | --- | --- | --- | ---: | ---: | ---: | ---: |\n");
  for (int i = 0; i < r->n_models; i++) {
    const ep_table1_row* row = &r->models[i].table1;
    const ep_paper_row* p = &row->zoo->paper;
    char params[32], macs[32], flops[32];
    fprintf(out, "| %s | edgeprof | %s | %s | %d | %s | %s | %s |\n", row->zoo->name, row->input,
            row->output, row->totals.layers,
            ep_format_count(row->totals.params, params, sizeof params),
            ep_format_count(row->totals.macs, macs, sizeof macs),
            ep_format_count(row->totals.flops, flops, sizeof flops));
    fprintf(out, "| | paper (%s) | %s | %s | %s | %s | – | %s |\n", or_dash(p->name),
            or_dash(p->input), or_dash(p->output), or_dash(p->layers), or_dash(p->params),
            or_dash(p->flops));
  }
  fprintf(out, "\n");
  for (int i = 0; i < r->n_models; i++) {
    const ep_zoo_entry* z = r->models[i].table1.zoo;
    if (z->paper_note != NULL && z->paper_note[0] != '\0') {
      fprintf(out, "- **%s**: %s\n", z->name, z->paper_note);
    }
  }
  fprintf(out, "\n");
}

static int max_threads(const ep_characterize_result* r) {
  int t = 0;
  for (int i = 0; i < r->n_models; i++) {
    if (r->models[i].n_threads > t) t = r->models[i].n_threads;
  }
  return t;
}

static void thread_header(int threads, FILE* out) {
  fprintf(out, "| model |");
  for (int t = 1; t <= threads; t++) fprintf(out, " %d thread%s |", t, t > 1 ? "s" : "");
  fprintf(out, "\n| --- |");
  for (int t = 1; t <= threads; t++) fprintf(out, " ---: |");
  fprintf(out, "\n");
}

static void latency(const ep_characterize_result* r, FILE* out) {
  int threads = max_threads(r);
  fprintf(out, "## Latency (median ms, batch 1)\n\n");
  thread_header(threads, out);
  for (int i = 0; i < r->n_models; i++) {
    const ep_characterize_model* m = &r->models[i];
    fprintf(out, "| %s |", m->table1.zoo->name);
    for (int t = 1; t <= threads; t++) {
      if (t <= m->n_threads) {
        fprintf(out, " %.3f |", m->latency[t - 1].median);
      } else {
        fprintf(out, " – |");
      }
    }
    fprintf(out, "\n");
  }
  fprintf(out, "\n## Speedup over 1 thread\n\n");
  thread_header(threads, out);
  for (int i = 0; i < r->n_models; i++) {
    const ep_characterize_model* m = &r->models[i];
    fprintf(out, "| %s |", m->table1.zoo->name);
    for (int t = 1; t <= threads; t++) {
      double med = t <= m->n_threads ? m->latency[t - 1].median : 0.0;
      if (med > 0.0) {
        fprintf(out, " %.2f× |", m->latency[0].median / med);
      } else {
        fprintf(out, " – |");
      }
    }
    fprintf(out, "\n");
  }
  fprintf(out, "\n");
}

/* Columns: every op type that takes time in some model, by total share. */
static void op_shares(const ep_characterize_result* r, FILE* out) {
  double share[EP_OP_COUNT] = {0};
  bool used[EP_OP_COUNT] = {false};
  for (int i = 0; i < r->n_models; i++) {
    const ep_profile* p = r->models[i].profile;
    for (int k = 0; p != NULL && k < p->n_op_types; k++) {
      used[p->by_op_type[k].op] = true;
      share[p->by_op_type[k].op] += p->by_op_type[k].percent;
    }
  }
  int order[EP_OP_COUNT], n = 0;
  for (int op = 0; op < EP_OP_COUNT; op++) {
    if (!used[op]) continue;
    int k = n++;
    while (k > 0 && share[order[k - 1]] < share[op]) {
      order[k] = order[k - 1];
      k--;
    }
    order[k] = op;
  }
  fprintf(out, "## Time by op type (%% of the sum of node times, at the highest thread "
               "count)\n\n| model | threads |");
  for (int k = 0; k < n; k++) fprintf(out, " %s |", ep_op_name((ep_op)order[k]));
  fprintf(out, "\n| --- | ---: |");
  for (int k = 0; k < n; k++) fprintf(out, " ---: |");
  fprintf(out, "\n");
  for (int i = 0; i < r->n_models; i++) {
    const ep_characterize_model* m = &r->models[i];
    fprintf(out, "| %s | %d |", m->table1.zoo->name, m->profile_threads);
    for (int k = 0; k < n; k++) {
      double pct = -1.0;
      for (int j = 0; m->profile != NULL && j < m->profile->n_op_types; j++) {
        if ((int)m->profile->by_op_type[j].op == order[k]) pct = m->profile->by_op_type[j].percent;
      }
      if (pct >= 0.0) {
        fprintf(out, " %.1f |", pct);
      } else {
        fprintf(out, " – |");
      }
    }
    fprintf(out, "\n");
  }
  fprintf(out, "\n");
}

/* What the numbers say, computed (never written in advance). */
static void observations(const ep_characterize_result* r, FILE* out) {
  fprintf(out, "## Observations\n\n");
  for (int i = 0; i < r->n_models; i++) {
    const ep_characterize_model* m = &r->models[i];
    int best = 1;
    for (int t = 2; t <= m->n_threads; t++) {
      if (m->latency[t - 1].median < m->latency[best - 1].median) best = t;
    }
    fprintf(out, "- **%s**: best %.3f ms at %d thread%s", m->table1.zoo->name,
            m->latency[best - 1].median, best, best > 1 ? "s" : "");
    if (m->n_threads > 1 && m->latency[m->n_threads - 1].median > 0.0) {
      int t = m->n_threads;
      double speedup = m->latency[0].median / m->latency[t - 1].median;
      double efficiency = speedup / t;
      const char* verdict = efficiency >= 0.75 ? "scales with threads"
                            : speedup >= 1.15  ? "scales partly"
                            : speedup >= 0.95  ? "benefits little from extra threads"
                                               : "is slower with extra threads";
      if (speedup >= 1.0) {
        fprintf(out, "; %.2f× faster on %d threads than on 1 (parallel efficiency %.0f%%): %s",
                speedup, t, 100.0 * efficiency, verdict);
      } else {
        fprintf(out, "; %.2f× slower on %d threads than on 1: %s", 1.0 / speedup, t, verdict);
      }
    }
    if (m->profile != NULL && m->profile->n_op_types > 0) {
      fprintf(out, "; %s takes %.0f%% of the time", ep_op_name(m->profile->by_op_type[0].op),
              m->profile->by_op_type[0].percent);
    }
    fprintf(out, ".\n");
  }
  fprintf(out, "\n");
}

ep_status ep_report_characterize_markdown(const ep_characterize_result* r, FILE* out) {
  char rss[32];
  fprintf(out, "# edgeprof characterization of %s\n\n", r->host);
  fprintf(out, "%s · CPUs %s (%s) · seed %llu · per configuration: %d warm-up run%s, then at "
               "least %d runs and %.2g s (fewer runs, never under 3, when they would take over "
               "%.2g s) · %.1f s in all · peak RSS %s\n\n",
          r->date, r->cpus, r->pinned ? "workers pinned" : "not pinned",
          (unsigned long long)r->seed, r->warmup_runs, r->warmup_runs == 1 ? "" : "s",
          r->min_runs, r->min_seconds, r->budget_seconds, r->elapsed_seconds,
          ep_format_bytes((int64_t)r->peak_rss_bytes, rss, sizeof rss));
  table1(r, out);
  latency(r, out);
  op_shares(r, out);
  observations(r, out);
  if (ferror(out)) return ep_error(EP_ERR_IO, "cannot write the Markdown report");
  return EP_OK;
}

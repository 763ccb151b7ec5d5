/* report.md and report.html: one document, two renderings. The sections are written once against
 * a tiny writer (headings, paragraphs, lists, tables, figures) that emits either Markdown or
 * self-contained HTML (charts inline, styles in the page, no script, nothing fetched). */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "edgeprof/report.h"
#include "report/svg_util.h"

#define MAX_MODELS 64
#define MAX_COLS 72
#define TOP_NODES 10

typedef struct doc {
  FILE* out;
  bool html;
  int n_cols;
  const char* align; /* per column: 'l' or 'r' */
} doc;

static bool word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Markdown text that shows exactly what it quotes (names, labels and CPU strings come from
 * results files): the characters that would start emphasis, code, links, raw HTML, tables or
 * entities are backslash-escaped (CommonMark), an underscore only where it could start or end
 * emphasis (mobilenet_v1 stays readable), control characters written as \xNN, line breaks
 * flattened. */
static void put_markdown(FILE* out, const char* s, const char* specials) {
  for (const char* p = s; *p; p++) {
    unsigned char c = (unsigned char)*p;
    if (c == '\n' || c == '\r') {
      fputc(' ', out);
    } else if (c < 0x20 || c == 0x7f) {
      fprintf(out, "\\x%02x", c);
    } else if (strchr(specials, c) != NULL ||
               (c == '_' && (p == s || !word_char(p[-1]) || !word_char(p[1])))) {
      fputc('\\', out);
      fputc(c, out);
    } else {
      fputc(c, out);
    }
  }
}

/* Text for a Markdown table cell or paragraph, or HTML. */
static void put_text(doc* d, const char* s) {
  if (d->html) {
    ep_svg_escape(d->out, s);
    return;
  }
  put_markdown(d->out, s, "\\`*[]<>|~&#!");
}

static void heading(doc* d, int level, const char* text, const char* id) {
  if (d->html) {
    fprintf(d->out, "<h%d%s%s%s>", level, id ? " id=\"" : "", id ? id : "", id ? "\"" : "");
    put_text(d, text);
    fprintf(d->out, "</h%d>\n", level);
  } else {
    for (int i = 0; i < level; i++) fputc('#', d->out);
    fputc(' ', d->out);
    put_text(d, text);
    fputs("\n\n", d->out);
  }
}

static void para(doc* d, const char* format, ...) __attribute__((format(printf, 2, 3)));
static void para(doc* d, const char* format, ...) {
  char text[4096];
  va_list args;
  va_start(args, format);
  vsnprintf(text, sizeof text, format, args);
  va_end(args);
  fputs(d->html ? "<p>" : "", d->out);
  put_text(d, text);
  fputs(d->html ? "</p>\n" : "\n\n", d->out);
}

static void list(doc* d, const ep_findings* f) {
  if (f->n == 0) return;
  fputs(d->html ? "<ul class=\"findings\">\n" : "", d->out);
  for (int i = 0; i < f->n; i++) {
    fputs(d->html ? "<li>" : "- ", d->out);
    put_text(d, f->lines[i]);
    fputs(d->html ? "</li>\n" : "\n", d->out);
  }
  fputs(d->html ? "</ul>\n" : "\n", d->out);
}

static void table_begin(doc* d, int n_cols, const char* const* headers, const char* align) {
  d->n_cols = n_cols;
  d->align = align;
  if (d->html) {
    fputs("<div class=\"scroll\"><table>\n<thead><tr>", d->out);
    for (int i = 0; i < n_cols; i++) {
      fprintf(d->out, "<th%s>", align[i] == 'r' ? " class=\"num\"" : "");
      put_text(d, headers[i]);
      fputs("</th>", d->out);
    }
    fputs("</tr></thead>\n<tbody>\n", d->out);
    return;
  }
  fputs("|", d->out);
  for (int i = 0; i < n_cols; i++) {
    fputc(' ', d->out);
    put_text(d, headers[i]);
    fputs(" |", d->out);
  }
  fputs("\n|", d->out);
  for (int i = 0; i < n_cols; i++) fputs(align[i] == 'r' ? " ---: |" : " --- |", d->out);
  fputc('\n', d->out);
}

static void table_row(doc* d, const char* const* cells) {
  fputs(d->html ? "<tr>" : "|", d->out);
  for (int i = 0; i < d->n_cols; i++) {
    if (d->html) {
      fprintf(d->out, "<td%s>", d->align[i] == 'r' ? " class=\"num\"" : "");
    } else {
      fputc(' ', d->out);
    }
    put_text(d, cells[i] != NULL && cells[i][0] ? cells[i] : "–");
    fputs(d->html ? "</td>" : " |", d->out);
  }
  fputs("\n", d->out);
  if (d->html) fputs("</tr>\n", d->out);
}

static void table_end(doc* d) { fputs(d->html ? "</tbody></table></div>\n" : "\n", d->out); }

typedef enum { FIG1, FIG2, LAYERS } figure_kind;

static void figure(doc* d, figure_kind kind, const ep_results* const* machines, int n, int i,
                   const char* caption) {
  char file[300];
  if (kind == FIG1) snprintf(file, sizeof file, "fig1.svg");
  if (kind == LAYERS) snprintf(file, sizeof file, "layers.svg");
  if (kind == FIG2) ep_report_fig2_name(machines, n, i, file, sizeof file);
  if (!d->html) {
    fputs("![", d->out);
    put_markdown(d->out, caption, "\\`*[]<>|~&#!");
    fprintf(d->out, "](%s)\n\n", file);
    return;
  }
  fputs("<figure>\n", d->out);
  if (kind == FIG1) ep_report_fig1_svg(machines, n, d->out);
  if (kind == FIG2) ep_report_fig2_svg(machines[i], d->out);
  if (kind == LAYERS) ep_report_layers_svg(machines, n, d->out);
  fputs("<figcaption>", d->out);
  put_text(d, caption);
  fprintf(d->out, " (also in <a href=\"%s\">%s</a>)</figcaption>\n</figure>\n", file, file);
}

/* --- sections --------------------------------------------------------------------------- */

static void platforms(doc* d, const ep_results* const* machines, int n) {
  heading(d, 2, n > 1 ? "Machines" : "Machine", "machines");
  static const char* headers[] = {"platform", "CPU", "ISA", "topology", "CPUs used",
                                  "core sets", "date", "runs per configuration"};
  table_begin(d, 8, headers, "llllllll");
  for (int k = 0; k < n; k++) {
    const ep_results* r = machines[k];
    char cpus[300], sets[1024] = "", runs[160];
    snprintf(cpus, sizeof cpus, "%s of %d", r->cpus_allowed, r->cpus_online);
    for (int s = 0; s < r->n_sets; s++) {
      size_t len = strlen(sets);
      snprintf(sets + len, sizeof sets - len, "%s%s (%s)", s ? ", " : "", r->sets[s].name,
               r->sets[s].cpus);
    }
    snprintf(runs, sizeof runs, "%d warm-up, ≥ %d runs and %.2g s, ≤ %.2g s%s", r->warmup_runs,
             r->min_runs, r->min_seconds, r->budget_seconds, r->quick ? " (--quick)" : "");
    const char* cells[8] = {r->platform_id, r->cpu_model, r->isa, r->topology_kind, cpus, sets,
                            r->date, runs};
    table_row(d, cells);
  }
  table_end(d);
}

static void findings(doc* d, const ep_results* const* machines, int n) {
  heading(d, 2, "Findings", "findings");
  para(d, "Computed from the measurements below (the paper's statements, checked on %s).",
       n > 1 ? "these machines" : "this machine");
  ep_findings f;
  if (n > 1) {
    ep_findings_compare(machines, n, &f);
    heading(d, 3, "Across machines", NULL);
    list(d, &f);
  }
  for (int k = 0; k < n; k++) {
    ep_findings_compute(machines[k], &f);
    if (n > 1) heading(d, 3, machines[k]->platform_id, NULL);
    list(d, &f);
  }
}

/* The mark of a configuration that stayed noisy (edgeprof/noise.h), said under each table. */
static void noise_note(doc* d, const ep_results* const* machines, int n) {
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < machines[k]->n_models; i++) {
      for (int j = 0; j < machines[k]->models[i].n_measurements; j++) {
        if (!machines[k]->models[i].measurements[j].noisy) continue;
        para(d, "‡ noisy: other work on the machine (CPU time of other processes, steal, run "
                "queue, frequency) or the spread of the samples stayed above the thresholds "
                "after re-measuring (results.json: noise); left out of the findings.");
        return;
      }
    }
  }
}

static void fig1(doc* d, const ep_results* const* machines, int n) {
  heading(d, 2, "Fig. 1: latency of each network, best configuration", "fig1");
  figure(d, FIG1, machines, n, 0,
         "Fig. 1: median latency at batch 1 of each network, at the best configuration tried "
         "(backend x core set x threads), log scale; whiskers reach the p90");
  const char* models[MAX_MODELS];
  int n_models = ep_svg_model_names(machines, n, models, MAX_MODELS);
  const char* headers[MAX_COLS];
  char head[MAX_COLS][200];
  char align[MAX_COLS + 1];
  int cols = n + 1 < MAX_COLS ? n + 1 : MAX_COLS;
  headers[0] = "network";
  align[0] = 'l';
  for (int k = 0; k + 1 < cols; k++) {
    snprintf(head[k], sizeof head[k], "%s: median ms (p90) · configuration",
             machines[k]->platform_id);
    headers[k + 1] = head[k];
    align[k + 1] = 'r';
  }
  align[cols] = '\0';
  table_begin(d, cols, headers, align);
  for (int i = 0; i < n_models; i++) {
    char cell[MAX_COLS][200];
    const char* cells[MAX_COLS];
    cells[0] = models[i];
    for (int k = 0; k + 1 < cols; k++) {
      const ep_results_measurement* b =
          ep_results_best(ep_results_find_model(machines[k], models[i]), NULL);
      char med[32], p90[32];
      if (b == NULL) {
        snprintf(cell[k], sizeof cell[k], "not measured");
      } else {
        snprintf(cell[k], sizeof cell[k], "%s (%s)%s · %s, %s, %d thr",
                 ep_format_ms(b->stats.median, med, sizeof med),
                 ep_format_ms(b->stats.p90, p90, sizeof p90), b->noisy ? " ‡" : "", b->backend,
                 b->core_set, b->threads);
      }
      cells[k + 1] = cell[k];
    }
    table_row(d, cells);
  }
  table_end(d);
  noise_note(d, machines, n);
  for (int k = 0; k < n; k++) {
    if (!machines[k]->latency_p90_estimate) continue;
    para(d, "Latency figure of %s: MLPerf's 90th-percentile early-stopping estimate at 99%% "
            "confidence (characterize --latency p90est, at least 64 runs per configuration): it "
            "chose the best configurations and the findings compare it; the charts and tables "
            "show the median and p90 of the samples.", machines[k]->platform_id);
  }
}

static int sorted_threads(const ep_results* r, int* out, int max) {
  int n = 0;
  for (int i = 0; i < r->n_models; i++) {
    for (int k = 0; k < r->models[i].n_measurements; k++) {
      int t = r->models[i].measurements[k].threads;
      bool seen = false;
      for (int j = 0; j < n && !seen; j++) seen = out[j] == t;
      if (!seen && n < max) {
        int j = n++;
        for (; j > 0 && out[j - 1] > t; j--) out[j] = out[j - 1];
        out[j] = t;
      }
    }
  }
  return n;
}

static void sweep_tables(doc* d, const ep_results* r) {
  int threads[MAX_COLS - 1];
  int n_threads = sorted_threads(r, threads, MAX_COLS - 1);
  for (int s = 0; s < r->n_sets; s++) {
    bool any = false;
    for (int i = 0; i < r->n_models && !any; i++) {
      for (int k = 0; k < r->models[i].n_measurements && !any; k++) {
        any = strcmp(r->models[i].measurements[k].core_set, r->sets[s].name) == 0;
      }
    }
    if (!any) continue;
    char title[400];
    snprintf(title, sizeof title, "Core set '%s' (CPUs %s): median ms (p90)", r->sets[s].name,
             r->sets[s].cpus);
    if (d->html) {
      fputs("<p class=\"caption\">", d->out);
      put_text(d, title);
      fputs("</p>\n", d->out);
    } else {
      para(d, "%s", title);
    }
    const char* headers[MAX_COLS];
    char head[MAX_COLS][32];
    char align[MAX_COLS + 1];
    headers[0] = "network";
    align[0] = 'l';
    for (int t = 0; t < n_threads; t++) {
      snprintf(head[t], sizeof head[t], "%d thread%s%s", threads[t], threads[t] == 1 ? "" : "s",
               threads[t] > r->sets[s].size ? " †" : "");
      headers[t + 1] = head[t];
      align[t + 1] = 'r';
    }
    align[n_threads + 1] = '\0';
    table_begin(d, n_threads + 1, headers, align);
    for (int i = 0; i < r->n_models; i++) {
      char cell[MAX_COLS][64];
      const char* cells[MAX_COLS];
      cells[0] = r->models[i].name;
      for (int t = 0; t < n_threads; t++) {
        const ep_results_measurement* p = ep_results_point(&r->models[i], r->sets[s].name,
                                                           threads[t]);
        char med[32], p90[32];
        if (p == NULL) {
          cell[t][0] = '\0';
        } else {
          snprintf(cell[t], sizeof cell[t], "%s (%s)%s", ep_format_ms(p->stats.median, med,
                   sizeof med), ep_format_ms(p->stats.p90, p90, sizeof p90),
                   p->noisy ? " ‡" : "");
        }
        cells[t + 1] = cell[t];
      }
      table_row(d, cells);
    }
    table_end(d);
  }
  para(d, "† oversubscribed: more threads than the core set has CPUs (workers are pinned "
          "round-robin over its CPUs).");
  const ep_results* one[1] = {r};
  noise_note(d, one, 1);
}

static void fig2(doc* d, const ep_results* const* machines, int n) {
  heading(d, 2, "Fig. 2: latency against threads on each core set", "fig2");
  for (int k = 0; k < n; k++) {
    if (n > 1) heading(d, 3, machines[k]->platform_id, NULL);
    char caption[300];
    snprintf(caption, sizeof caption,
             "Fig. 2 on %s: a panel per network, median latency against threads, one line "
             "per core set, whiskers to the p90",
             machines[k]->platform_id);
    figure(d, FIG2, machines, n, k, caption);
    sweep_tables(d, machines[k]);
  }
}

static void layers(doc* d, const ep_results* const* machines, int n) {
  heading(d, 2, "Where the time goes: op types at the best configuration", "layers");
  figure(d, LAYERS, machines, n, 0,
         "Share of the summed node times by op type (fused activations count with their "
         "producer)");
  static const char* headers[] = {"network", "machine", "configuration", "op types by time"};
  table_begin(d, 4, headers, "llll");
  const char* models[MAX_MODELS];
  int n_models = ep_svg_model_names(machines, n, models, MAX_MODELS);
  for (int i = 0; i < n_models; i++) {
    for (int k = 0; k < n; k++) {
      const ep_results_model* m = ep_results_find_model(machines[k], models[i]);
      if (m == NULL || !m->has_profile) continue;
      char config[160], ops[1024] = "";
      snprintf(config, sizeof config, "%s, %s, %d thread%s, %d runs%s", m->profile_backend,
               m->profile_core_set, m->profile_threads, m->profile_threads == 1 ? "" : "s",
               m->profile_runs, m->profile_noisy ? " ‡" : "");
      for (int o = 0; o < m->n_ops; o++) {
        size_t len = strlen(ops);
        snprintf(ops + len, sizeof ops - len, "%s%s %.1f%% (%d)", o ? ", " : "", m->ops[o].op,
                 m->ops[o].percent, m->ops[o].count);
      }
      const char* cells[4] = {m->name, machines[k]->platform_id, config, ops};
      table_row(d, cells);
    }
  }
  table_end(d);
}

/* The node sum beside the whole-network latency of the same profile (its whole runs alternate
 * with the node-timed ones, so both saw the same machine), and why they differ. */
static void profile_gap(doc* d, const ep_results_model* m, const char* where) {
  if (!(m->profile_whole_mean_ms > 0.0)) return;
  char sum[32], whole[32], gap[32], timers[32];
  double diff = m->profile_total_ms - m->profile_whole_mean_ms;
  double pct = 100.0 * diff / m->profile_whole_mean_ms;
  ep_format_ms(m->profile_total_ms, sum, sizeof sum);
  ep_format_ms(m->profile_whole_mean_ms, whole, sizeof whole);
  ep_format_ms(diff < 0 ? -diff : diff, gap, sizeof gap);
  /* Two means of `runs` runs each differ by chance within about 2 standard errors of their
   * difference, sqrt(2) * stddev / sqrt(runs) each. */
  double chance = m->profile_runs > 0
                      ? 2.0 * sqrt(2.0) * m->profile_whole_stddev_ms / sqrt(m->profile_runs)
                      : 0.0;
  const char* why;
  if (m->profile_timer_cost_us < 0.0) {
    why = "not known (this file predates the measured timer cost)";
  } else if (fabs(diff) <= m->profile_timer_overhead_ms + chance + 0.02 * m->profile_whole_mean_ms) {
    why = "the timers' own cost and run-to-run variation (two standard errors, plus 2%): the "
          "profile and the latency agree";
  } else if (diff > 0.0) {
    why = "the node-timed runs were slower than the whole runs beside them by more than the "
          "timers cost and chance explains: load on the machine that hit them more (see the "
          "noise marks of this configuration)";
  } else {
    why = "the whole runs spend time outside every node beyond chance: work between nodes "
          "(views, layout conversions, the run loop) that no node timer sees, or load that "
          "hit the whole runs more";
  }
  ep_format_ms(m->profile_timer_overhead_ms, timers, sizeof timers);
  para(d, "%s%s: the node times sum to %s ms against %s ms for the whole network (mean of the "
          "runs without timers that alternated with the timed ones): %s ms %s (%+.1f%%). The "
          "timers cost %.3f µs per node, %s ms per run over %d nodes. Reason: %s.",
       m->name, where, sum, whole, gap, diff >= 0 ? "more" : "less", pct,
       m->profile_timer_cost_us < 0.0 ? 0.0 : m->profile_timer_cost_us, timers, m->n_nodes,
       why);
}

static void slowest_nodes(doc* d, const ep_results* const* machines, int n) {
  heading(d, 2, "Slowest nodes at the best configuration", "nodes");
  para(d, "The %d nodes that take the most time in each network (all of them: layers.csv).",
       TOP_NODES);
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < machines[k]->n_models; i++) {
      const ep_results_model* m = &machines[k]->models[i];
      if (!m->has_profile || m->n_nodes == 0) continue;
      char title[300], total[32], whole[32];
      snprintf(title, sizeof title, "%s%s%s: %d nodes, %s ms summed (whole network %s ms)",
               m->name, n > 1 ? " on " : "", n > 1 ? machines[k]->platform_id : "", m->n_nodes,
               ep_format_ms(m->profile_total_ms, total, sizeof total),
               m->profile_whole_mean_ms > 0.0
                   ? ep_format_ms(m->profile_whole_mean_ms, whole, sizeof whole) : "?");
      if (d->html) {
        fputs("<details><summary>", d->out);
        put_text(d, title);
        fputs("</summary>\n", d->out);
      } else {
        para(d, "%s", title);
      }
      int order[TOP_NODES], count = 0;
      for (int j = 0; j < m->n_nodes; j++) {
        int pos = count < TOP_NODES ? count++ : TOP_NODES;
        if (pos == TOP_NODES && m->nodes[j].avg_ms <= m->nodes[order[TOP_NODES - 1]].avg_ms) {
          continue;
        }
        if (pos == TOP_NODES) pos = TOP_NODES - 1;
        for (; pos > 0 && m->nodes[order[pos - 1]].avg_ms < m->nodes[j].avg_ms; pos--) {
          order[pos] = order[pos - 1];
        }
        order[pos] = j;
      }
      static const char* headers[] = {"#", "node", "op", "ms", "%", "MACs"};
      table_begin(d, 6, headers, "rllrrr");
      for (int j = 0; j < count; j++) {
        const ep_results_node* x = &m->nodes[order[j]];
        char idx[16], ms[32], pct[16], macs[32];
        snprintf(idx, sizeof idx, "%d", order[j]);
        snprintf(pct, sizeof pct, "%.1f", x->percent);
        const char* cells[6] = {idx, x->name, x->op, ep_format_ms(x->avg_ms, ms, sizeof ms), pct,
                                ep_format_count(x->macs, macs, sizeof macs)};
        table_row(d, cells);
      }
      table_end(d);
      if (d->html) fputs("</details>\n", d->out);
      char where[160] = "";
      if (n > 1) snprintf(where, sizeof where, " on %s", machines[k]->platform_id);
      profile_gap(d, m, where);
    }
  }
}

static void table1(doc* d, const ep_results* const* machines, int n) {
  heading(d, 2, "Table I: the networks", "table1");
  para(d, "Computed by edgeprof from the graphs as defined (before folding batch norm); the "
          "paper's figures in the row below each network (for the modern set, the reference "
          "figures of the literature). MACs are multiply-accumulates, FLOPs = 2 x MACs.");
  static const char* headers[] = {"network", "source", "input", "output", "layers", "params",
                                  "MACs", "FLOPs"};
  table_begin(d, 8, headers, "llllrrrr");
  const char* models[MAX_MODELS];
  int n_models = ep_svg_model_names(machines, n, models, MAX_MODELS);
  for (int i = 0; i < n_models; i++) {
    const ep_results_model* m = NULL;
    for (int k = 0; k < n && m == NULL; k++) m = ep_results_find_model(machines[k], models[i]);
    char layers[16], params[32], macs[32], flops[32];
    snprintf(layers, sizeof layers, "%d", m->layers);
    const char* ours[8] = {m->name, "edgeprof", m->input, m->output, layers,
                           ep_format_count(m->params, params, sizeof params),
                           ep_format_count(m->macs, macs, sizeof macs),
                           ep_format_count(m->flops, flops, sizeof flops)};
    table_row(d, ours);
    char source[80];
    snprintf(source, sizeof source, "%s (%s)",
             strcmp(m->set, "modern") == 0 ? "reference" : "paper",
             m->paper_name[0] ? m->paper_name : "–");
    const char* paper[8] = {"", source, m->paper_input, m->paper_output, m->paper_layers,
                            m->paper_params, m->paper_macs, m->paper_flops};
    table_row(d, paper);
  }
  table_end(d);
  ep_findings notes;
  memset(&notes, 0, sizeof notes);
  for (int i = 0; i < n_models; i++) {
    const ep_results_model* m = NULL;
    for (int k = 0; k < n && m == NULL; k++) m = ep_results_find_model(machines[k], models[i]);
    if (m->note[0] && notes.n < EP_FINDINGS_MAX) {
      snprintf(notes.lines[notes.n++], EP_FINDING_MAX, "%s: %s", m->name, m->note);
    }
  }
  list(d, &notes);
}

static const char* const STYLE =
    "body{font-family:Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px;color:#222;"
    "padding:0 16px;line-height:1.45}"
    "h1{font-size:24px;margin-bottom:4px}h2{font-size:19px;margin-top:32px;border-bottom:1px "
    "solid #ddd;padding-bottom:4px}h3{font-size:16px}"
    "table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}"
    "th,td{border:1px solid #ddd;padding:4px 8px;vertical-align:top}th{background:#f4f4f4;"
    "text-align:left}.num{text-align:right;font-variant-numeric:tabular-nums}"
    ".scroll{overflow-x:auto}figure{margin:12px 0}figcaption{font-size:13px;color:#555}"
    "svg{max-width:100%;height:auto}ul.findings li{margin:6px 0}.caption{font-weight:bold;"
    "margin-bottom:2px}details{margin:6px 0}summary{cursor:pointer}nav a{margin-right:12px}";

static ep_status render(doc* d, const ep_results* const* machines, int n) {
  char title[400];
  if (n == 1) {
    snprintf(title, sizeof title, "edgeprof characterization of %s", machines[0]->platform_id);
  } else {
    snprintf(title, sizeof title, "edgeprof: %d machines compared", n);
  }
  if (d->html) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
          d->out);
    put_text(d, title);
    fprintf(d->out, "</title>\n<style>%s</style>\n</head>\n<body>\n", STYLE);
    heading(d, 1, title, NULL);
    fputs("<nav><a href=\"#findings\">Findings</a><a href=\"#fig1\">Fig. 1</a><a "
          "href=\"#fig2\">Fig. 2</a><a href=\"#layers\">Op types</a><a href=\"#nodes\">Nodes</a>"
          "<a href=\"#table1\">Table I</a></nav>\n", d->out);
  } else {
    heading(d, 1, title, NULL);
  }
  para(d, "The experiments of \"Characterizing DNN Models for Edge-Cloud Computing\" (Xia et "
          "al., IISWC 2018) at batch 1: every network on every configuration (backend x core "
          "set x thread count); its best configuration (Fig. 1), the sweep (Fig. 2), and where "
          "the time goes there. Data: results.json%s, latency.csv, best.csv, layers.csv, "
          "op_types.csv, table1.csv.", n > 1 ? " of each machine" : "");
  platforms(d, machines, n);
  findings(d, machines, n);
  fig1(d, machines, n);
  fig2(d, machines, n);
  layers(d, machines, n);
  slowest_nodes(d, machines, n);
  table1(d, machines, n);
  if (d->html) fputs("</body>\n</html>\n", d->out);
  if (ferror(d->out)) return ep_error(EP_ERR_IO, "cannot write the report");
  return EP_OK;
}

ep_status ep_report_markdown(const ep_results* const* machines, int n, FILE* out) {
  doc d = {out, false, 0, NULL};
  return render(&d, machines, n);
}

ep_status ep_report_html(const ep_results* const* machines, int n, FILE* out) {
  doc d = {out, true, 0, NULL};
  return render(&d, machines, n);
}

char* ep_report_fig2_name(const ep_results* const* machines, int n, int i, char* buf,
                          size_t size) {
  if (n <= 1) {
    snprintf(buf, size, "fig2.svg");
  } else {
    snprintf(buf, size, "fig2-%s.svg", machines[i]->platform_id);
  }
  return buf;
}

/* CSV files of characterization results (one or several machines). */
#include <string.h>

#include "edgeprof/report.h"

/* A field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void field(FILE* out, const char* s, bool last) {
  if (s == NULL) s = "";
  if (strpbrk(s, ",\"\r\n") != NULL) {
    fputc('"', out);
    for (const char* p = s; *p; p++) {
      if (*p == '"') fputc('"', out);
      fputc(*p, out);
    }
    fputc('"', out);
  } else {
    fputs(s, out);
  }
  fputc(last ? '\n' : ',', out);
}

static void latency(const ep_results* const* machines, int n, FILE* out) {
  fputs("platform_id,model,family,backend,core_set,cpus,set_size,threads,oversubscribed,runs,"
        "min_ms,median_ms,mean_ms,p90_ms,p99_ms,max_ms,stddev_ms,noise\n", out);
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < machines[k]->n_models; i++) {
      const ep_results_model* m = &machines[k]->models[i];
      for (int j = 0; j < m->n_measurements; j++) {
        const ep_results_measurement* x = &m->measurements[j];
        field(out, machines[k]->platform_id, false);
        field(out, m->name, false);
        field(out, m->family, false);
        field(out, x->backend, false);
        field(out, x->core_set, false);
        field(out, x->cpus, false);
        fprintf(out, "%d,%d,%s,%d,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%s\n", x->set_size,
                x->threads, x->oversubscribed ? "true" : "false", x->runs, x->stats.min,
                x->stats.median, x->stats.mean, x->stats.p90, x->stats.p99, x->stats.max,
                x->stats.stddev, x->noisy ? "noisy" : "ok");
      }
    }
  }
}

static void best(const ep_results* const* machines, int n, FILE* out) {
  fputs("platform_id,model,backend,core_set,threads,oversubscribed,median_ms,p90_ms,noise\n",
        out);
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < machines[k]->n_models; i++) {
      const ep_results_model* m = &machines[k]->models[i];
      const ep_results_measurement* b = ep_results_best(m, NULL);
      if (b == NULL) continue;
      field(out, machines[k]->platform_id, false);
      field(out, m->name, false);
      field(out, b->backend, false);
      field(out, b->core_set, false);
      fprintf(out, "%d,%s,%.4f,%.4f,%s\n", b->threads, b->oversubscribed ? "true" : "false",
              b->stats.median, b->stats.p90, b->noisy ? "noisy" : "ok");
    }
  }
}

static void layers(const ep_results* const* machines, int n, FILE* out) {
  fputs("platform_id,model,backend,core_set,threads,index,name,op,avg_ms,percent,macs,params,"
        "output_bytes\n", out);
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < machines[k]->n_models; i++) {
      const ep_results_model* m = &machines[k]->models[i];
      if (!m->has_profile) continue;
      for (int j = 0; j < m->n_nodes; j++) {
        const ep_results_node* x = &m->nodes[j];
        field(out, machines[k]->platform_id, false);
        field(out, m->name, false);
        field(out, m->profile_backend, false);
        field(out, m->profile_core_set, false);
        fprintf(out, "%d,%d,", m->profile_threads, j);
        field(out, x->name, false);
        field(out, x->op, false);
        fprintf(out, "%.4f,%.4f,%lld,%lld,%lld\n", x->avg_ms, x->percent, (long long)x->macs,
                (long long)x->params, (long long)x->output_bytes);
      }
    }
  }
}

static void op_types(const ep_results* const* machines, int n, FILE* out) {
  fputs("platform_id,model,backend,core_set,threads,op,count,ms,percent\n", out);
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < machines[k]->n_models; i++) {
      const ep_results_model* m = &machines[k]->models[i];
      if (!m->has_profile) continue;
      for (int j = 0; j < m->n_ops; j++) {
        field(out, machines[k]->platform_id, false);
        field(out, m->name, false);
        field(out, m->profile_backend, false);
        field(out, m->profile_core_set, false);
        fprintf(out, "%d,", m->profile_threads);
        field(out, m->ops[j].op, false);
        fprintf(out, "%d,%.4f,%.4f\n", m->ops[j].count, m->ops[j].ms, m->ops[j].percent);
      }
    }
  }
}

static void table1(const ep_results* const* machines, int n, FILE* out) {
  fputs("model,set,input,output,layers,params,macs,flops,paper_name,paper_input,paper_output,"
        "paper_layers,paper_params,paper_flops,paper_macs,note\n", out);
  const char* seen[64];
  int n_seen = 0;
  for (int k = 0; k < n; k++) {
    for (int i = 0; i < machines[k]->n_models; i++) {
      const ep_results_model* m = &machines[k]->models[i];
      bool dup = false;
      for (int j = 0; j < n_seen && !dup; j++) dup = strcmp(seen[j], m->name) == 0;
      if (dup || n_seen == 64) continue;
      seen[n_seen++] = m->name;
      field(out, m->name, false);
      field(out, m->set, false);
      field(out, m->input, false);
      field(out, m->output, false);
      fprintf(out, "%d,%lld,%lld,%lld,", m->layers, (long long)m->params, (long long)m->macs,
              (long long)m->flops);
      field(out, m->paper_name, false);
      field(out, m->paper_input, false);
      field(out, m->paper_output, false);
      field(out, m->paper_layers, false);
      field(out, m->paper_params, false);
      field(out, m->paper_flops, false);
      field(out, m->paper_macs, false);
      field(out, m->note, true);
    }
  }
}

ep_status ep_report_csv(const ep_results* const* machines, int n, ep_csv_kind kind, FILE* out) {
  switch (kind) {
    case EP_CSV_LATENCY: latency(machines, n, out); break;
    case EP_CSV_BEST: best(machines, n, out); break;
    case EP_CSV_LAYERS: layers(machines, n, out); break;
    case EP_CSV_OP_TYPES: op_types(machines, n, out); break;
    case EP_CSV_TABLE1: table1(machines, n, out); break;
    default: return ep_error(EP_ERR_INVALID_ARGUMENT, "unknown CSV kind %d", (int)kind);
  }
  if (ferror(out)) return ep_error(EP_ERR_IO, "cannot write a CSV file");
  return EP_OK;
}

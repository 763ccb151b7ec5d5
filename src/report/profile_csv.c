/* profile --csv: the per-node table as CSV (what onnxruntime_perf_test and TFLite's benchmark
 * tool give as per-op CSV), for spreadsheets and scripts. */
#include <string.h>

#include "edgeprof/report.h"

/* A field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void field(FILE* out, const char* s) {
  if (strpbrk(s, ",\"\r\n") == NULL) {
    fputs(s, out);
    return;
  }
  fputc('"', out);
  for (const char* p = s; *p; p++) {
    if (*p == '"') fputc('"', out);
    fputc(*p, out);
  }
  fputc('"', out);
}

ep_status ep_report_profile_csv(const ep_profile_report* r, FILE* out) {
  const ep_profile* p = r->profile;
  fputs("index,name,op,backend,avg_ms,percent,cumulative_percent,macs,gflops,params,"
        "output_bytes\n", out);
  double cumulative = 0.0;
  for (int i = 0; i < p->n_nodes; i++) {
    const ep_node* node = ep_graph_node(r->graph, i);
    char op[64];
    double ms = p->node_ms[i];
    double pct = p->total_ms > 0.0 ? 100.0 * ms / p->total_ms : 0.0;
    double gflops = ms > 0.0 ? 2.0 * (double)node->cost.macs / (ms * 1e-3) / 1e9 : 0.0;
    cumulative += pct;
    fprintf(out, "%d,", i);
    field(out, node->name);
    fputc(',', out);
    field(out, ep_node_op_label(node, op, sizeof op));
    fputc(',', out);
    field(out, r->session != NULL ? ep_session_node_backend(r->session, i) : "cpu");
    fprintf(out, ",%.4f,%.4f,%.4f,%lld,%.3f,%lld,%lld\n", ms, pct, cumulative,
            (long long)node->cost.macs, gflops, (long long)node->cost.params,
            (long long)node->cost.output_bytes);
  }
  if (fflush(out) != 0 || ferror(out)) return ep_error(EP_ERR_IO, "cannot write the CSV");
  return EP_OK;
}

/* Core sets from the command line and the report files of characterize / report. */
#include "cli_results.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "edgeprof/text.h"

int cli_topology(const char* command, const char* cpus_text, const char* const* specs,
                 int n_specs, ep_topology** topology_out) {
  static int cpus[EP_MAX_CPUS];
  int n_cpus = 0;
  int rc = cli_resolve_cpus(command, cpus_text, cpus, &n_cpus);
  if (rc != CLI_EXIT_OK) return rc;
  ep_topology* t = NULL;
  ep_status status = ep_topology_detect(NULL, n_cpus > 0 ? cpus : NULL, n_cpus, &t);
  if (status != EP_OK) return cli_fail(cli_exit_code(status), "%s: %s", command, ep_last_error());
  for (int i = 0; i < n_specs; i++) {
    status = ep_topology_define_set(t, specs[i]);
    if (status == EP_OK) {
      const char* eq = strchr(specs[i], '=');
      char name[EP_CORE_SET_NAME_MAX];
      snprintf(name, sizeof name, "%.*s", (int)(eq - specs[i]), specs[i]);
      const ep_core_set* s = ep_topology_find(t, name);
      status = ep_cpus_check(s->cpus, s->n_cpus);
    }
    if (status != EP_OK) {
      ep_topology_destroy(t);
      return cli_fail(CLI_EXIT_USAGE, "%s: --core-set: %s", command, ep_last_error());
    }
  }
  *topology_out = t;
  return CLI_EXIT_OK;
}

int cli_split_names(const char* command, const char* option, char* text, const char** names,
                    int max, int* count_out) {
  int count = 0;
  for (char* p = text;;) {
    char* comma = strchr(p, ',');
    if (comma != NULL) *comma = '\0';
    if (*p == '\0') return cli_fail(CLI_EXIT_USAGE, "%s: %s has an empty name", command, option);
    if (count == max) return cli_fail(CLI_EXIT_USAGE, "%s: %s names more than %d", command,
                                      option, max);
    names[count++] = p;
    if (comma == NULL) break;
    p = comma + 1;
  }
  *count_out = count;
  return CLI_EXIT_OK;
}

typedef enum { OUT_FIG1, OUT_FIG2, OUT_LAYERS, OUT_CSV, OUT_MD, OUT_HTML } out_kind;

typedef struct out_file {
  const char* name;
  out_kind kind;
  ep_csv_kind csv;
} out_file;

static const out_file files[] = {
    {"fig1.svg", OUT_FIG1, 0},
    {NULL, OUT_FIG2, 0}, /* one per machine */
    {"layers.svg", OUT_LAYERS, 0},
    {"latency.csv", OUT_CSV, EP_CSV_LATENCY},
    {"best.csv", OUT_CSV, EP_CSV_BEST},
    {"layers.csv", OUT_CSV, EP_CSV_LAYERS},
    {"op_types.csv", OUT_CSV, EP_CSV_OP_TYPES},
    {"table1.csv", OUT_CSV, EP_CSV_TABLE1},
    {"report.md", OUT_MD, 0},
    {"report.html", OUT_HTML, 0},
};

static int write_one(const char* command, const char* dir, const char* name, const out_file* f,
                     const ep_results* const* machines, int n, int machine) {
  char path[1400];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  ep_output* out = NULL;
  int rc = cli_output_open(command, path, &out);
  if (rc != CLI_EXIT_OK) return rc;
  FILE* s = ep_output_stream(out);
  ep_status status = EP_OK;
  switch (f->kind) {
    case OUT_FIG1: status = ep_report_fig1_svg(machines, n, s); break;
    case OUT_FIG2: status = ep_report_fig2_svg(machines[machine], s); break;
    case OUT_LAYERS: status = ep_report_layers_svg(machines, n, s); break;
    case OUT_CSV: status = ep_report_csv(machines, n, f->csv, s); break;
    case OUT_MD: status = ep_report_markdown(machines, n, s); break;
    case OUT_HTML: status = ep_report_html(machines, n, s); break;
  }
  if (status != EP_OK) {
    cli_output_discard(out);
    return cli_fail(CLI_EXIT_RUNTIME, "%s: %s: %s", command, path, ep_last_error());
  }
  return cli_output_commit(command, out);
}

int cli_write_reports(const char* command, const char* dir, const ep_results* const* machines,
                      int n) {
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    const out_file* f = &files[i];
    int rc = CLI_EXIT_OK;
    if (f->kind == OUT_FIG2) {
      for (int k = 0; k < n && rc == CLI_EXIT_OK; k++) {
        char name[300];
        ep_report_fig2_name(machines, n, k, name, sizeof name);
        rc = write_one(command, dir, name, f, machines, n, k);
      }
    } else {
      rc = write_one(command, dir, f->name, f, machines, n, 0);
    }
    if (rc != CLI_EXIT_OK) return rc;
  }
  return CLI_EXIT_OK;
}

/* Findings quote names from results files, which may come from anywhere: escaped. */
static void print_line(const char* prefix, const char* text, const char* suffix) {
  char safe[2048];
  printf("%s%s%s", prefix, ep_text_escape_controls(text, safe, sizeof safe), suffix);
}

void cli_print_findings(const ep_results* const* machines, int n) {
  ep_findings f;
  if (n > 1) {
    ep_findings_compare(machines, n, &f);
    printf("Across machines:\n");
    for (int i = 0; i < f.n; i++) print_line("- ", f.lines[i], "\n");
  }
  for (int k = 0; k < n; k++) {
    ep_findings_compute(machines[k], &f);
    print_line(n > 1 ? "\n" : "", machines[k]->platform_id, ":\n");
    for (int i = 0; i < f.n; i++) print_line("- ", f.lines[i], "\n");
  }
}

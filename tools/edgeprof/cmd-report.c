/* edgeprof report DIR...: machines side by side, drawn from their results.json files. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "cli_results.h"

#define DEFAULT_OUT "results/report"

/* Platform ids name the Fig. 2 files: make them unique ("vm-amd-epyc", "vm-amd-epyc-2"). Runs
 * told apart by --label already differ; two runs of one machine that do not get a number and
 * a line on stderr, so that nobody takes them for two machines. */
static void unique_ids(ep_results** machines, int n) {
  for (int k = 1; k < n; k++) {
    for (int suffix = 2;; suffix++) {
      int clash = -1;
      for (int j = 0; j < k && clash < 0; j++) {
        if (strcmp(machines[j]->platform_id, machines[k]->platform_id) == 0) clash = j;
      }
      if (clash < 0) break;
      if (suffix == 2) {
        fprintf(stderr, "[report] %s and %s are two runs of one machine (%s) without labels: "
                "shown as %s and %s-2, compared as runs, not machines (characterize --label "
                "NAME names a run)\n", machines[clash]->path, machines[k]->path,
                machines[k]->host, machines[k]->platform_id, machines[k]->platform_id);
      }
      char base[128];
      snprintf(base, sizeof base, "%s", machines[k]->platform_id);
      char* dash = strrchr(base, '-');
      if (suffix > 2 && dash != NULL) *dash = '\0';
      snprintf(machines[k]->platform_id, sizeof machines[k]->platform_id, "%.100s-%d", base,
               suffix);
    }
  }
}

int cmd_report(int argc, char** argv) {
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      {.name = "--out", .kind = CLI_STRING, .target = &args.out, .metavar = "DIR",
       .help = "output folder (default results/report)"},
  };
  int rc = cli_parse("report", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional == 0) {
    return cli_fail(CLI_EXIT_USAGE, "report: no results given (usage: edgeprof report DIR... "
                                    "[--out DIR])");
  }
  int n = args.n_positional;
  ep_results* machines[CLI_MAX_POSITIONAL] = {NULL};
  for (int i = 0; i < n; i++) {
    ep_status status = ep_results_load(args.positional[i], &machines[i]);
    if (status != EP_OK) {
      rc = cli_fail(status == EP_ERR_OUT_OF_MEMORY ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE,
                    "report: %s", ep_last_error());
      goto cleanup;
    }
    if (machines[i]->schema_version < EP_CHARACTERIZE_SCHEMA_VERSION) {
      fprintf(stderr, "[report] %s: schema_version %d (older edgeprof), read as version %d: one "
              "core set 'all', no platform description\n", machines[i]->path,
              machines[i]->schema_version, EP_CHARACTERIZE_SCHEMA_VERSION);
    }
  }
  unique_ids(machines, n);
  char dir[1024];
  snprintf(dir, sizeof dir, "%s", args.out != NULL ? args.out : DEFAULT_OUT);
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0';
  if (ep_make_dirs(dir) != EP_OK) {
    rc = cli_fail(CLI_EXIT_USAGE, "report: %s", ep_last_error());
    goto cleanup;
  }
  const ep_results* list[CLI_MAX_POSITIONAL];
  for (int i = 0; i < n; i++) list[i] = machines[i];
  rc = cli_write_reports("report", dir, list, n);
  if (rc != CLI_EXIT_OK) goto cleanup;
  cli_print_findings(list, n);
  printf("\nReport: %s/report.html (and report.md, fig1.svg, ", dir);
  for (int i = 0; i < n; i++) {
    char name[300];
    printf("%s, ", ep_report_fig2_name(list, n, i, name, sizeof name));
  }
  printf("layers.svg, *.csv)\n");

cleanup:
  for (int i = 0; i < n; i++) ep_results_destroy(machines[i]);
  return rc;
}

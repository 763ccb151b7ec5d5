/* edgeprof characterize: the main job; writes results.json and report.md. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "edgeprof/characterize.h"
#include "edgeprof/zoo.h"

#define MAX_MODELS 32

static void on_progress(void* user, const char* line) {
  (void)user;
  fprintf(stderr, "%s\n", line);
}

/* Splits "a,b" in place into names, each a zoo model. */
static int split_models(char* text, const char** names, int* count_out) {
  int count = 0;
  for (char* p = text;;) {
    char* comma = strchr(p, ',');
    if (comma != NULL) *comma = '\0';
    if (*p == '\0') return cli_fail(CLI_EXIT_USAGE, "characterize: --models has an empty name");
    if (ep_zoo_find(p) == NULL) {
      char known[256] = "";
      for (int i = 0; i < ep_zoo_count(); i++) {
        if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
        strncat(known, ep_zoo_entry_at(i)->name, sizeof known - strlen(known) - 1);
      }
      return cli_fail(CLI_EXIT_USAGE, "characterize: unknown model '%s' (known: %s)", p, known);
    }
    if (count == MAX_MODELS) {
      return cli_fail(CLI_EXIT_USAGE, "characterize: more than %d models", MAX_MODELS);
    }
    names[count++] = p;
    if (comma == NULL) break;
    p = comma + 1;
  }
  *count_out = count;
  return CLI_EXIT_OK;
}

static int write_outputs(const ep_characterize_result* r, ep_output* json, ep_output* md) {
  ep_status status = ep_report_characterize_json(r, ep_output_stream(json));
  if (status == EP_OK) status = ep_report_characterize_markdown(r, ep_output_stream(md));
  if (status != EP_OK) return cli_fail(CLI_EXIT_RUNTIME, "characterize: %s", ep_last_error());
  return CLI_EXIT_OK;
}

int cmd_characterize(int argc, char** argv) {
  cli_args args;
  int rc = cli_parse_command("characterize", argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional > 0) {
    return cli_fail(CLI_EXIT_USAGE, "characterize: unexpected argument '%s'", args.positional[0]);
  }
  static int cpus[EP_MAX_CPUS];
  int n_cpus = 0;
  rc = cli_resolve_cpus("characterize", args.cpus, cpus, &n_cpus);
  if (rc != CLI_EXIT_OK) return rc;
  char models_text[1024];
  const char* names[MAX_MODELS];
  int n_names = 0;
  if (args.models != NULL) {
    if (strlen(args.models) >= sizeof models_text) {
      return cli_fail(CLI_EXIT_USAGE, "characterize: --models is too long");
    }
    strcpy(models_text, args.models);
    rc = split_models(models_text, names, &n_names);
    if (rc != CLI_EXIT_OK) return rc;
  }

  /* The folder and both files first, so that a bad path fails before minutes of measuring. */
  char dir[1024], json_path[1100], md_path[1100], host[256];
  if (args.out != NULL) {
    snprintf(dir, sizeof dir, "%s", args.out);
  } else {
    ep_host_name(host, sizeof host);
    snprintf(dir, sizeof dir, "results/%s", host);
  }
  size_t len = strlen(dir);
  while (len > 1 && dir[len - 1] == '/') dir[--len] = '\0';
  if (ep_make_dirs(dir) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "characterize: %s", ep_last_error());
  }
  snprintf(json_path, sizeof json_path, "%s/results.json", dir);
  snprintf(md_path, sizeof md_path, "%s/report.md", dir);
  ep_output* json = NULL;
  ep_output* md = NULL;
  ep_characterize_result* result = NULL;
  rc = cli_output_open("characterize", json_path, &json);
  if (rc == CLI_EXIT_OK) rc = cli_output_open("characterize", md_path, &md);
  if (rc != CLI_EXIT_OK) goto cleanup;

  ep_characterize_options options;
  ep_characterize_options_default(&options, args.quick);
  options.models = args.models != NULL ? names : NULL;
  options.n_models = n_names;
  options.seed = args.seed;
  options.cpus = n_cpus > 0 ? cpus : NULL;
  options.n_cpus = n_cpus;
  options.progress = on_progress;
  ep_status status = ep_characterize_run(&options, &result);
  if (status != EP_OK) {
    rc = cli_fail(cli_exit_code(status), "characterize: %s", ep_last_error());
    goto cleanup;
  }
  rc = write_outputs(result, json, md);
  if (rc != CLI_EXIT_OK) goto cleanup;
  rc = cli_output_commit("characterize", json);
  json = NULL;
  if (rc == CLI_EXIT_OK) rc = cli_output_commit("characterize", md);
  md = NULL;
  if (rc != CLI_EXIT_OK) goto cleanup;
  fflush(stderr);
  if (ep_report_characterize_markdown(result, stdout) != EP_OK) rc = CLI_EXIT_RUNTIME;
  printf("Results: %s\nReport:  %s\n", json_path, md_path);

cleanup:
  cli_output_discard(json);
  cli_output_discard(md);
  ep_characterize_result_destroy(result);
  return rc;
}

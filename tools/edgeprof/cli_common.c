/* Steps shared by the commands: error lines, CPU lists, model loading, progress. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "edgeprof/model.h"
#include "edgeprof/text.h"

int cli_fail(int code, const char* format, ...) {
  char line[8192];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  /* One line, whatever the message holds; other control characters (a name from a model file
   * may hold any) escaped. */
  for (char* p = line; *p; p++) {
    if (*p == '\n' || *p == '\r') *p = ' ';
  }
  char safe[sizeof line];
  fflush(stdout);
  fprintf(stderr, "edgeprof: %s\n", ep_text_escape_controls(line, safe, sizeof safe));
  return code;
}


int cli_exit_code(ep_status status) {
  switch (status) {
    case EP_OK: return CLI_EXIT_OK;
    case EP_ERR_INVALID_ARGUMENT:
    case EP_ERR_NOT_FOUND: return CLI_EXIT_USAGE;
    default: return CLI_EXIT_RUNTIME;
  }
}

int cli_resolve_cpus(const char* command, const char* text, int* cpus, int* count_out) {
  *count_out = 0;
  if (text == NULL || *text == '\0') return CLI_EXIT_OK;
  int count = 0;
  ep_status status = ep_cpulist_parse(text, cpus, EP_MAX_CPUS, &count);
  if (status == EP_OK) status = ep_cpus_check(cpus, count);
  if (status != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "%s: --cpus: %s", command, ep_last_error());
  }
  *count_out = count;
  return CLI_EXIT_OK;
}

int cli_load_model(const char* command, const char* model, uint64_t seed, ep_graph** defined_out,
                   ep_graph** optimized_out) {
  ep_onnx_shape shapes[CLI_MAX_SHAPES];
  int n_shapes = cli_command_args != NULL ? cli_command_args->n_shapes : 0;
  for (int i = 0; i < n_shapes; i++) {
    if (ep_onnx_shape_parse(cli_command_args->shapes[i], &shapes[i]) != EP_OK) {
      return cli_fail(CLI_EXIT_USAGE, "%s: --shape: %s", command, ep_last_error());
    }
  }
  ep_status status;
  if (optimized_out != NULL && cli_command_args != NULL && cli_command_args->no_fuse) {
    /* --no-fuse: the graph as defined, batch norm folded, nothing else. */
    ep_graph* defined = NULL;
    status = ep_model_load_shapes(model, seed, shapes, n_shapes, &defined, NULL);
    if (status == EP_OK) status = ep_graph_optimize(defined, EP_PASS_FOLD_BATCH_NORM, optimized_out);
    if (status == EP_OK && defined_out != NULL) {
      *defined_out = defined;
    } else {
      ep_graph_destroy(defined);
    }
  } else {
    status = ep_model_load_shapes(model, seed, shapes, n_shapes, defined_out, optimized_out);
  }
  if (status != EP_OK) {
    /* A model that does not load is bad input: a malformed or unsupported file too. */
    int code = status == EP_ERR_OUT_OF_MEMORY || status == EP_ERR_SYSTEM ? CLI_EXIT_RUNTIME
                                                                         : CLI_EXIT_USAGE;
    return cli_fail(code, "%s: %s", command, ep_last_error());
  }
  return CLI_EXIT_OK;
}

void cli_progress_init(cli_progress* progress, const char* label) {
  progress->label = label;
  progress->last = ep_now();
}

void cli_progress_on_run(void* user, int run, double elapsed_seconds) {
  cli_progress* p = user;
  double now = ep_now();
  if (now - p->last < 1.0) return;
  p->last = now;
  fprintf(stderr, "[%s] %d run%s, %.1f s\n", p->label, run, run == 1 ? "" : "s",
          elapsed_seconds);
}

void cli_bench_options(const cli_args* args, cli_progress* progress,
                       ep_bench_options* options_out) {
  ep_bench_options_default(options_out);
  options_out->warmup_runs = args->warmup;
  options_out->min_runs = args->runs;
  options_out->min_seconds = args->min_time;
  options_out->max_seconds = args->max_time;
  options_out->progress = cli_progress_on_run;
  options_out->user = progress;
}

int cli_check_backends(const char* command, const char* names, bool list) {
  if (names == NULL) return CLI_EXIT_OK;
  char copy[256];
  snprintf(copy, sizeof copy, "%s", names);
  char* save = NULL;
  int count = 0;
  for (char* name = strtok_r(copy, ",", &save); name != NULL; name = strtok_r(NULL, ",", &save)) {
    count++;
    char known[128] = "";
    bool in_build = false;
    for (int i = 0; ep_backend_name(i) != NULL; i++) {
      in_build = in_build || strcmp(ep_backend_name(i), name) == 0;
      if (i) strncat(known, ", ", sizeof known - strlen(known) - 1);
      strncat(known, ep_backend_name(i), sizeof known - strlen(known) - 1);
    }
    if (!in_build) {
      return cli_fail(CLI_EXIT_USAGE, "%s: --backend: no backend '%s' in this build (it has: %s)",
                      command, name, known);
    }
    char why[256];
    if (!ep_backend_available(name, why, sizeof why)) {
      return cli_fail(CLI_EXIT_RUNTIME, "%s: --backend %s: not available here: %s", command,
                      name, why);
    }
  }
  if (count == 0 || (!list && count > 1)) {
    return cli_fail(CLI_EXIT_USAGE, "%s: --backend takes %s", command,
                    list ? "a comma-separated list of backends" : "one backend name");
  }
  return CLI_EXIT_OK;
}

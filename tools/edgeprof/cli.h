/* Shared by the edgeprof CLI's commands: the command table entry, exit codes, one-line errors,
 * and the steps every measuring command takes (CPUs, model, output file, session). */
#ifndef EDGEPROF_CLI_H
#define EDGEPROF_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "edgeprof/bench.h"
#include "edgeprof/graph.h"
#include "edgeprof/platform.h"
#include "edgeprof/report.h"
#include "edgeprof/session.h"
#include "edgeprof/status.h"

/* EP_VERSION comes from project(VERSION) in CMakeLists.txt. */
#define EP_CLI_VERSION EP_VERSION

enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_RUNTIME = 1, /* a measurement or a write failed */
  CLI_EXIT_USAGE = 2,   /* bad input: command, flag, number, model, CPU list, output path */
};

typedef struct cli_command {
  const char* name;
  int (*run)(int argc, char** argv); /* argv[0] is the command name */
  const char* summary;               /* one line for `edgeprof --help` */
  const char* usage;                 /* "bench MODEL [options]" */
  const char* help;                  /* paragraphs after the usage line; the options come from
                                        the command's own table (cli_options.h) */
} cli_command;

int cmd_models(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_bench(int argc, char** argv);
int cmd_profile(int argc, char** argv);
int cmd_characterize(int argc, char** argv);
int cmd_sweep(int argc, char** argv);
int cmd_report(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_export(int argc, char** argv);
int cmd_plan(int argc, char** argv);
int cmd_platform(int argc, char** argv);
int cmd_serve(int argc, char** argv);
int cmd_offload(int argc, char** argv);
int cmd_predict_fit(int argc, char** argv);
int cmd_predict(int argc, char** argv);

/* The command `name` (NULL if none). */
const cli_command* cli_find_command(const char* name);

/* Prints "edgeprof: <message>" as one line on stderr and returns `code`. */
int cli_fail(int code, const char* format, ...) __attribute__((format(printf, 2, 3)));
/* Exit code for a library failure: bad input (invalid argument, not found) is 2, else 1. */
int cli_exit_code(ep_status status);

/* Parses and checks a --cpus list (exists, allowed). NULL or "" gives no pinning (count 0).
 * Prints the error line and returns CLI_EXIT_USAGE on failure. */
int cli_resolve_cpus(const char* command, const char* text, int* cpus, int* count_out);

/* Checks every name of a --backend value (one name, or a comma list where `list` is true): each
 * must be a backend of this build (else a usage error naming those it has) that can run here
 * (else a runtime error saying why). NULL is "cpu". */
int cli_check_backends(const char* command, const char* names, bool list);

/* The one place a MODEL argument becomes graphs (zoo name today; model files later). Either out
 * may be NULL. Prints the error line and returns the exit code on failure. */
int cli_load_model(const char* command, const char* model, uint64_t seed, ep_graph** defined_out,
                   ep_graph** optimized_out);

/* Opens an output file early (so that a bad path fails before measuring) and registers its
 * temporary file for removal if the process is interrupted. NULL path: *out = NULL, success. */
int cli_output_open(const char* command, const char* path, ep_output** out);
/* Commits (rename into place); prints the error line and returns CLI_EXIT_RUNTIME on failure. */
int cli_output_commit(const char* command, ep_output* output);
/* Removes the temporary file. NULL is a no-op. */
void cli_output_discard(ep_output* output);
/* True when `path` is "-" (JSON on stdout: the human-readable text is left out). */
bool cli_is_stdout(const char* path);

/* Progress on stderr at most once a second: "[bench] resnet50: 12 runs, 2.0 s". */
typedef struct cli_progress {
  const char* label;
  double last;
} cli_progress;
void cli_progress_init(cli_progress* progress, const char* label);
void cli_progress_on_run(void* user, int run, double elapsed_seconds);

struct cli_args;
/* Benchmark options from --warmup, --runs and --min-time, reporting progress to `progress`. */
void cli_bench_options(const struct cli_args* args, cli_progress* progress,
                       ep_bench_options* options_out);

#endif /* EDGEPROF_CLI_H */

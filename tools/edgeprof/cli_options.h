/* One option table per command, from which both the parser and the "Options:" block of its
 * --help are made, so that the two cannot drift (tests/integration/test_cli_help.sh checks it).
 * A command lists its options in a local array (targets are its own variables), the common
 * ones through the CLI_OPTION_* macros below, and calls cli_parse once:
 *
 *   cli_args args;
 *   cli_args_default(&args);
 *   double budget = 5.0;
 *   const cli_option options[] = {
 *       CLI_OPTION_THREADS(&args), CLI_OPTION_JSON(&args),
 *       {.name = "--budget", .kind = CLI_DURATION, .target = &budget, .max = 86400,
 *        .metavar = "TIME", .help = "give up after TIME (default 5 s; a bare number is seconds)"},
 *   };
 *   int rc = cli_parse("sweep", options, CLI_COUNT(options), argc, argv, &args);
 *   if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
 *
 * Values are checked whole and in range with the grammar of cli_values.h; "--name VALUE" and
 * "--name=VALUE"; "--" ends the options; -h/--help is added to every table. */
#ifndef EDGEPROF_CLI_OPTIONS_H
#define EDGEPROF_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli_args.h"
#include "edgeprof/platform.h"

typedef enum cli_kind {
  CLI_FLAG,     /* bool: no value */
  CLI_INT,      /* int in [min, max] */
  CLI_U64,      /* uint64_t, any */
  CLI_NUMBER,   /* double in [min, max] */
  CLI_DURATION, /* double seconds in [min, max]: 500ms, 1s, 2m; bare = seconds unless unit_required */
  CLI_RATE,     /* double bit/s in [min, max]: 5Mbit, 500kbit/s; a unit is required */
  CLI_SIZE,     /* int64_t bytes in [min, max]: 4096, 64KiB, 16MiB */
  CLI_STRING,   /* const char*, non-empty */
  CLI_LIST,     /* repeatable: const char* target[max_count], *count entries */
} cli_kind;

typedef struct cli_option {
  const char* name;    /* "--threads" */
  const char* alias;   /* "-o", or NULL */
  cli_kind kind;
  void* target;        /* where the value goes (type by kind) */
  const char* metavar; /* "N", "FILE", "TIME"; NULL for a flag */
  const char* help;    /* '\n' continues the text under the help column */
  double min, max;     /* numbers, durations, rates, sizes */
  bool unit_required;  /* CLI_DURATION: refuse a bare number */
  int* count;          /* CLI_LIST */
  int max_count;       /* CLI_LIST */
  bool* given;         /* set when the option appears, if not NULL */
} cli_option;

#define CLI_COUNT(array) ((int)(sizeof(array) / sizeof((array)[0])))

/* Parses argv[1..argc) of `command` with `options`; positional arguments go to args->positional.
 * Fills nothing by default: call cli_args_default(args) and set the targets' defaults first.
 * With --threads (numeric) and --cpus in the table: --cpus without --threads sets the thread
 * count to the number of CPUs listed, and more threads than CPUs gives a warning on stderr.
 * Returns -1 when --help was given (help printed on stdout: exit 0), 0 to go on, 2 after
 * printing one error line. */
int cli_parse(const char* command, const cli_option* options, int n_options, int argc,
              char** argv, cli_args* args);

/* The arguments of this process's command (one per process), for cli_load_model's --shape. */
extern const cli_args* cli_command_args;

/* The command's full help: usage, description (main.c's table), then the options. */
void cli_print_help(const char* command, const cli_option* options, int n_options, FILE* out);

/* The options most commands share. */
#define CLI_OPTION_THREADS(a)                                                                 \
  {.name = "--threads", .kind = CLI_INT, .target = &(a)->threads, .min = 1,                   \
   .max = EP_MAX_CPUS, .metavar = "N", .given = &(a)->threads_given,                          \
   .help = "threads running the network (default: as many as --cpus lists, else 1;\n"         \
           "the calling thread is one of them)"}
#define CLI_OPTION_CPUS(a)                                                                    \
  {.name = "--cpus", .kind = CLI_STRING, .target = &(a)->cpus, .metavar = "LIST",             \
   .help = "pin worker i to the i-th CPU of LIST, e.g. 0-3,6 (default: no pinning)"}
#define CLI_OPTION_SEED(a)                                                                    \
  {.name = "--seed", .kind = CLI_U64, .target = &(a)->seed, .metavar = "N",                   \
   .help = "seed of the generated weights (default 2018)"}
#define CLI_OPTION_JSON(a)                                                                    \
  {.name = "--json", .kind = CLI_STRING, .target = &(a)->json, .metavar = "FILE",             \
   .help = "also write the results as JSON to FILE ('-': only JSON, on stdout)"}
#define CLI_OPTION_RUNS(a)                                                                    \
  {.name = "--runs", .kind = CLI_INT, .target = &(a)->runs, .min = 1, .max = 10000000,        \
   .metavar = "N", .help = "run at least N times (default 50)"}
#define CLI_OPTION_MIN_TIME(a)                                                                \
  {.name = "--min-time", .kind = CLI_DURATION, .target = &(a)->min_time, .min = 0,            \
   .max = 86400, .metavar = "TIME",                                                           \
   .help = "and for at least TIME (default 1s; 500ms, 2m; a bare number is seconds)"}
#define CLI_OPTION_MAX_TIME(a)                                                                \
  {.name = "--max-time", .kind = CLI_DURATION, .target = &(a)->max_time, .min = 0,            \
   .max = 86400, .metavar = "TIME",                                                           \
   .help = "but stop after TIME even before --runs (at least one run; default:\n"            \
           "no limit), as TFLite's --max_secs"}
#define CLI_OPTION_WARMUP(a)                                                                  \
  {.name = "--warmup", .kind = CLI_INT, .target = &(a)->warmup, .min = 0, .max = 1000000,     \
   .metavar = "N", .help = "untimed runs first (default 1)"}
#define CLI_OPTION_SHAPE(a)                                                                   \
  {.name = "--shape", .kind = CLI_LIST, .target = (a)->shapes, .count = &(a)->n_shapes,        \
   .max_count = CLI_MAX_SHAPES, .metavar = "NAME=DxD",                                        \
   .help = "shape of input NAME of a model file, e.g. input=1x3x224x224 (repeatable)"}
#define CLI_OPTION_NO_FUSE(a)                                                                 \
  {.name = "--no-fuse", .kind = CLI_FLAG, .target = &(a)->no_fuse,                            \
   .help = "run the graph without operator fusions (attention, activations, residual\n"       \
           "adds, ...; batch norm is still folded): what the fusions gain"}
#define CLI_OPTION_BACKEND(a)                                                                 \
  {.name = "--backend", .kind = CLI_STRING, .target = &(a)->backend, .metavar = "NAME",       \
   .help = "backend running the network: cpu (default) or one that\n"                         \
           "`edgeprof platform` lists, e.g. onednn (nodes it lacks run on cpu)"}
#define CLI_OPTION_ENERGY(a)                                                                  \
  {.name = "--energy", .kind = CLI_FLAG, .target = &(a)->energy,                              \
   .help = "read the energy meter (RAPL, Jetson INA3221 rails, battery) during\n"             \
           "the timed runs: joules per inference and mean power"}

#endif /* EDGEPROF_CLI_OPTIONS_H */

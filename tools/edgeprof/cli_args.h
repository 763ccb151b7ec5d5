/* Option parsing shared by every command: one table of every flag the CLI knows, each command
 * accepting a subset (a CLI_OPT_* mask). Flags are "--name VALUE" or "--name=VALUE"; "--" ends
 * them. Numbers are checked whole and in range; unknown flags are rejected. */
#ifndef EDGEPROF_CLI_ARGS_H
#define EDGEPROF_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum {
  CLI_OPT_THREADS = 1u << 0,
  CLI_OPT_CPUS = 1u << 1,
  CLI_OPT_SEED = 1u << 2,
  CLI_OPT_JSON = 1u << 3,
  CLI_OPT_RUNS = 1u << 4,
  CLI_OPT_MIN_TIME = 1u << 5,
  CLI_OPT_WARMUP = 1u << 6,
  CLI_OPT_TABLE1 = 1u << 7,
  CLI_OPT_QUICK = 1u << 8,
  CLI_OPT_OUT = 1u << 9,
  CLI_OPT_MODELS = 1u << 10,
  CLI_OPT_HELP = 1u << 11, /* every command takes --help / -h */
  CLI_OPT_SHAPE = 1u << 12, /* --shape NAME=DxD..., repeatable: input shapes of a model file */
  CLI_OPT_BACKEND = 1u << 13, /* --backend NAME: the backend running the network */
  CLI_OPT_ENERGY = 1u << 14,  /* --energy: read the machine's energy meter while timing */
  CLI_OPT_SCENARIO = 1u << 15, /* --scenario, --min-queries, --min-duration (MLPerf LoadGen) */
};

#define CLI_MAX_POSITIONAL 8
#define CLI_MAX_SHAPES 16

typedef struct cli_args {
  int threads;         /* --threads N: 1 */
  const char* cpus;    /* --cpus LIST: NULL (no pinning) */
  uint64_t seed;       /* --seed N: EP_ZOO_DEFAULT_SEED */
  const char* json;    /* --json FILE: NULL ("-": stdout) */
  int runs;            /* --runs N: 50 */
  double min_time;     /* --min-time S: 1.0 */
  int warmup;          /* --warmup N: 1 */
  bool table1;         /* --table1 */
  bool quick;          /* --quick */
  const char* out;     /* --out DIR: NULL */
  const char* models;  /* --models a,b: NULL (all) */
  bool help;           /* --help, -h */
  const char* shapes[CLI_MAX_SHAPES]; /* --shape NAME=DxD... (repeatable) */
  int n_shapes;
  const char* backend; /* --backend NAME: NULL ("cpu") */
  bool energy;         /* --energy */
  const char* scenario; /* --scenario NAME: NULL (none) */
  int min_queries;     /* --min-queries N: -1 (not given; the scenario's default) */
  double min_duration; /* --min-duration S: -1 (not given; the scenario's default) */
  const char* positional[CLI_MAX_POSITIONAL];
  int n_positional;
} cli_args;

/* Fills the defaults above. */
void cli_args_default(cli_args* args);

/* Parses argv[1..argc) of `command` accepting the flags in `accepted`. On bad input prints one
 * line "edgeprof: ..." on stderr and returns 2; 0 on success. */
int cli_args_parse(const char* command, unsigned accepted, int argc, char** argv, cli_args* args);

/* Writes the "Options:" block of a command's help for the flags in `accepted`. */
void cli_args_print_help(unsigned accepted, FILE* out);

#endif /* EDGEPROF_CLI_ARGS_H */

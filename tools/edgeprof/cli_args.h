/* The values most commands share, filled by the option tables of cli_options.h. */
#ifndef EDGEPROF_CLI_ARGS_H
#define EDGEPROF_CLI_ARGS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_MAX_POSITIONAL 8
#define CLI_MAX_SHAPES 16

typedef struct cli_args {
  int threads;         /* --threads N: 1 (cli_parse: the --cpus count when not given) */
  bool threads_given;  /* --threads appeared */
  const char* cpus;    /* --cpus LIST: NULL (no pinning) */
  uint64_t seed;       /* --seed N: EP_ZOO_DEFAULT_SEED */
  const char* json;    /* --json FILE: NULL ("-": stdout) */
  int runs;            /* --runs N: 50 */
  double min_time;     /* --min-time S: 1.0 */
  double max_time;     /* --max-time S: 0 (no limit) */
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
  bool no_fuse;        /* --no-fuse: run the graph with batch norm folded and nothing fused */
  const char* positional[CLI_MAX_POSITIONAL];
  int n_positional;
} cli_args;

/* Fills the defaults above. */
void cli_args_default(cli_args* args);

#endif /* EDGEPROF_CLI_ARGS_H */

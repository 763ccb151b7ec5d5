/* The CLI's flags: one table, parsed and checked the same way for every command. */
#include "cli_args.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "edgeprof/platform.h"
#include "edgeprof/zoo.h"

typedef enum { KIND_INT, KIND_U64, KIND_DOUBLE, KIND_STRING, KIND_FLAG, KIND_SHAPE } kind;

typedef struct option_spec {
  unsigned mask;
  const char* name;  /* "--threads" */
  const char* alias; /* "-h" or NULL */
  kind kind;
  size_t offset;     /* of the field in cli_args */
  double min, max;   /* numbers */
  const char* metavar;
  const char* help;
} option_spec;

#define FIELD(f) offsetof(cli_args, f)

static const option_spec specs[] = {
    {CLI_OPT_THREADS, "--threads", NULL, KIND_INT, FIELD(threads), 1, EP_MAX_CPUS, "N",
     "threads running the network (default 1; the calling thread is one of them)"},
    {CLI_OPT_CPUS, "--cpus", NULL, KIND_STRING, FIELD(cpus), 0, 0, "LIST",
     "pin worker i to the i-th CPU of LIST, e.g. 0-3,6 (default: no pinning)"},
    {CLI_OPT_SEED, "--seed", NULL, KIND_U64, FIELD(seed), 0, 0, "N",
     "seed of the generated weights (default 2018)"},
    {CLI_OPT_JSON, "--json", NULL, KIND_STRING, FIELD(json), 0, 0, "FILE",
     "also write the results as JSON to FILE ('-': only JSON, on stdout)"},
    {CLI_OPT_RUNS, "--runs", NULL, KIND_INT, FIELD(runs), 1, 10000000, "N",
     "run at least N times (default 50)"},
    {CLI_OPT_MIN_TIME, "--min-time", NULL, KIND_DOUBLE, FIELD(min_time), 0, 86400, "S",
     "and for at least S seconds (default 1)"},
    {CLI_OPT_WARMUP, "--warmup", NULL, KIND_INT, FIELD(warmup), 0, 1000000, "N",
     "untimed runs first (default 1)"},
    {CLI_OPT_TABLE1, "--table1", NULL, KIND_FLAG, FIELD(table1), 0, 0, NULL,
     "the paper's Table I beside the computed figures, for every zoo model"},
    {CLI_OPT_QUICK, "--quick", NULL, KIND_FLAG, FIELD(quick), 0, 0, NULL,
     "fewer runs per configuration (5 runs, 0.1 s) for a first look"},
    {CLI_OPT_OUT, "--out", NULL, KIND_STRING, FIELD(out), 0, 0, "DIR",
     "output folder (characterize: results/<platform id>; report: results/report)"},
    {CLI_OPT_MODELS, "--models", NULL, KIND_STRING, FIELD(models), 0, 0, "LIST",
     "comma-separated zoo models (default: all five)"},
    {CLI_OPT_SHAPE, "--shape", NULL, KIND_SHAPE, FIELD(shapes), 0, 0, "NAME=DxD",
     "shape of input NAME of a model file, e.g. input=1x3x224x224 (repeatable)"},
    {CLI_OPT_BACKEND, "--backend", NULL, KIND_STRING, FIELD(backend), 0, 0, "NAME",
     "backend running the network: cpu (default) or one that\n"
     "                     `edgeprof platform` lists, e.g. onednn (nodes it lacks run on cpu)"},
    {CLI_OPT_ENERGY, "--energy", NULL, KIND_FLAG, FIELD(energy), 0, 0, NULL,
     "read the energy meter (RAPL, Jetson INA3221 rails, battery) during\n"
     "                     the timed runs: joules per inference and mean power"},
    {CLI_OPT_SCENARIO, "--scenario", NULL, KIND_STRING, FIELD(scenario), 0, 0, "NAME",
     "singlestream: MLPerf LoadGen's SingleStream rules and result\n"
     "                     (replaces --runs and --min-time by the two below)"},
    {CLI_OPT_SCENARIO, "--min-queries", NULL, KIND_INT, FIELD(min_queries), 1, 10000000, "N",
     "with --scenario: run at least N queries (default 64, as the rules)"},
    {CLI_OPT_SCENARIO, "--min-duration", NULL, KIND_DOUBLE, FIELD(min_duration), 0, 86400, "S",
     "with --scenario: and for at least S seconds (default 600, as the rules)"},
    {CLI_OPT_HELP, "--help", "-h", KIND_FLAG, FIELD(help), 0, 0, NULL, "show this help"},
};

#define N_SPECS (sizeof specs / sizeof specs[0])

void cli_args_default(cli_args* args) {
  memset(args, 0, sizeof *args);
  args->threads = 1;
  args->seed = EP_ZOO_DEFAULT_SEED;
  args->runs = 50;
  args->min_time = 1.0;
  args->warmup = 1;
  args->min_queries = -1;
  args->min_duration = -1.0;
}

/* The spec a flag names ("--threads" or "--threads=4"), NULL if none. */
static const option_spec* find_spec(const char* arg, const char** inline_value) {
  *inline_value = NULL;
  const char* eq = strchr(arg, '=');
  size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
  for (size_t i = 0; i < N_SPECS; i++) {
    const option_spec* s = &specs[i];
    if ((strlen(s->name) == len && strncmp(arg, s->name, len) == 0) ||
        (s->alias != NULL && strlen(s->alias) == len && strncmp(arg, s->alias, len) == 0)) {
      if (eq != NULL) *inline_value = eq + 1;
      return s;
    }
  }
  return NULL;
}

static int set_value(const char* command, const option_spec* s, const char* text,
                     cli_args* args) {
  void* field = (char*)args + s->offset;
  char* end = NULL;
  errno = 0;
  switch (s->kind) {
    case KIND_INT: {
      long v = strtol(text, &end, 10);
      if (*text == '\0' || *end != '\0' || errno != 0 || v < s->min || v > s->max) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s must be an integer from %.0f to %.0f, got '%s'",
                        command, s->name, s->min, s->max, text);
      }
      *(int*)field = (int)v;
      return 0;
    }
    case KIND_U64: {
      unsigned long long v = strtoull(text, &end, 10);
      if (*text < '0' || *text > '9' || *end != '\0' || errno != 0) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s must be a non-negative integer, got '%s'",
                        command, s->name, text);
      }
      *(uint64_t*)field = (uint64_t)v;
      return 0;
    }
    case KIND_DOUBLE: {
      double v = strtod(text, &end);
      if (*text == '\0' || *end != '\0' || errno != 0 || !isfinite(v) || v < s->min ||
          v > s->max) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s must be a number from %g to %g, got '%s'",
                        command, s->name, s->min, s->max, text);
      }
      *(double*)field = v;
      return 0;
    }
    case KIND_STRING:
      if (*text == '\0') {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s needs a non-empty %s", command, s->name,
                        s->metavar);
      }
      *(const char**)field = text;
      return 0;
    case KIND_FLAG:
      *(bool*)field = true;
      return 0;
    case KIND_SHAPE:
      if (strchr(text, '=') == NULL || text[0] == '=') {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s must be NAME=DxDx..., got '%s'", command, s->name,
                        text);
      }
      if (args->n_shapes == CLI_MAX_SHAPES) {
        return cli_fail(CLI_EXIT_USAGE, "%s: at most %d %s options", command, CLI_MAX_SHAPES,
                        s->name);
      }
      args->shapes[args->n_shapes++] = text;
      return 0;
  }
  return 0;
}

int cli_args_parse(const char* command, unsigned accepted, int argc, char** argv,
                   cli_args* args) {
  accepted |= CLI_OPT_HELP;
  bool options_done = false;
  for (int i = 1; i < argc; i++) {
    const char* arg = argv[i];
    if (!options_done && strcmp(arg, "--") == 0) {
      options_done = true;
      continue;
    }
    if (options_done || arg[0] != '-' || strcmp(arg, "-") == 0) {
      if (args->n_positional == CLI_MAX_POSITIONAL) {
        return cli_fail(CLI_EXIT_USAGE, "%s: too many arguments", command);
      }
      args->positional[args->n_positional++] = arg;
      continue;
    }
    const char* value = NULL;
    const option_spec* s = find_spec(arg, &value);
    if (s == NULL || !(s->mask & accepted)) {
      return cli_fail(CLI_EXIT_USAGE, "%s: unknown option '%s' (see 'edgeprof %s --help')",
                      command, arg, command);
    }
    if (s->kind == KIND_FLAG) {
      if (value != NULL) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s takes no value", command, s->name);
      }
      set_value(command, s, "", args);
      continue;
    }
    if (value == NULL) {
      if (i + 1 >= argc) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s needs a value (%s)", command, s->name,
                        s->metavar);
      }
      value = argv[++i];
    }
    int rc = set_value(command, s, value, args);
    if (rc != 0) return rc;
  }
  return 0;
}

void cli_args_print_help(unsigned accepted, FILE* out) {
  accepted |= CLI_OPT_HELP;
  fprintf(out, "Options:\n");
  for (size_t i = 0; i < N_SPECS; i++) {
    const option_spec* s = &specs[i];
    if (!(s->mask & accepted)) continue;
    char left[40];
    if (s->alias != NULL) {
      snprintf(left, sizeof left, "%s, %s", s->alias, s->name);
    } else {
      snprintf(left, sizeof left, "%s%s%s", s->name, s->metavar ? " " : "",
               s->metavar ? s->metavar : "");
    }
    fprintf(out, "  %-18s %s\n", left, s->help);
  }
}

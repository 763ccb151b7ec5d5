/* The option-table parser and the help generated from the same table (cli_options.h). */
#include "cli_options.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_values.h"

#define HELP_COLUMN 24

/* Set by cli_parse for cli_load_model (one command per process). */
const cli_args* cli_command_args;

static int matches(const char* arg, size_t len, const char* name) {
  return name != NULL && strlen(name) == len && strncmp(arg, name, len) == 0;
}

/* The option a flag names ("--threads" or "--threads=4"), NULL if none. */
static const cli_option* find(const cli_option* options, int n, const char* arg,
                              const char** inline_value) {
  const char* eq = strchr(arg, '=');
  size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
  *inline_value = eq != NULL ? eq + 1 : NULL;
  for (int i = 0; i < n; i++) {
    if (matches(arg, len, options[i].name) || matches(arg, len, options[i].alias)) {
      return &options[i];
    }
  }
  return NULL;
}

static int out_of_range(const char* command, const cli_option* o, const char* text,
                        const char* what) {
  return cli_fail(CLI_EXIT_USAGE, "%s: %s must be %s from %g to %g, got '%s'", command, o->name,
                  what, o->min, o->max, text);
}

static int set_value(const char* command, const cli_option* o, const char* text) {
  char why[160];
  char* end = NULL;
  errno = 0;
  switch (o->kind) {
    case CLI_FLAG:
      *(bool*)o->target = true;
      return 0;
    case CLI_INT: {
      long v = strtol(text, &end, 10);
      if (*text == '\0' || *end != '\0' || errno != 0 || v < o->min || v > o->max) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s must be an integer from %.0f to %.0f, got '%s'",
                        command, o->name, o->min, o->max, text);
      }
      *(int*)o->target = (int)v;
      return 0;
    }
    case CLI_U64: {
      unsigned long long v = strtoull(text, &end, 10);
      if (*text < '0' || *text > '9' || *end != '\0' || errno != 0) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s must be a non-negative integer, got '%s'",
                        command, o->name, text);
      }
      *(uint64_t*)o->target = (uint64_t)v;
      return 0;
    }
    case CLI_NUMBER: {
      double v = strtod(text, &end);
      if (*text == '\0' || *end != '\0' || errno != 0 || !isfinite(v) || v < o->min ||
          v > o->max) {
        return out_of_range(command, o, text, "a number");
      }
      *(double*)o->target = v;
      return 0;
    }
    case CLI_DURATION: {
      double v;
      if (cli_value_duration(text, !o->unit_required, &v, why, sizeof why) != 0) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s needs %s, got '%s'", command, o->name, why, text);
      }
      if (v < o->min || v > o->max) return out_of_range(command, o, text, "a duration in seconds");
      *(double*)o->target = v;
      return 0;
    }
    case CLI_RATE: {
      double v;
      if (cli_value_rate(text, &v, why, sizeof why) != 0) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s needs %s, got '%s'", command, o->name, why, text);
      }
      if (v < o->min || v > o->max) return out_of_range(command, o, text, "a rate in bit/s");
      *(double*)o->target = v;
      return 0;
    }
    case CLI_SIZE: {
      int64_t v;
      if (cli_value_size(text, &v, why, sizeof why) != 0) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s needs %s, got '%s'", command, o->name, why, text);
      }
      if ((double)v < o->min || (double)v > o->max) {
        return out_of_range(command, o, text, "a size in bytes");
      }
      *(int64_t*)o->target = v;
      return 0;
    }
    case CLI_STRING:
      *(const char**)o->target = text;
      return 0;
    case CLI_LIST:
      if (*o->count >= o->max_count) {
        return cli_fail(CLI_EXIT_USAGE, "%s: at most %d %s options", command, o->max_count,
                        o->name);
      }
      ((const char**)o->target)[(*o->count)++] = text;
      return 0;
  }
  return 0;
}

/* --cpus LIST without --threads: one thread per listed CPU; more threads than CPUs: a warning.
 * A list that does not parse is left for cli_resolve_cpus to refuse with its reason. */
static void threads_from_cpus(const char* command, const cli_option* options, int n,
                              cli_args* args) {
  bool has_threads = false, has_cpus = false;
  for (int i = 0; i < n; i++) {
    has_threads = has_threads || options[i].target == &args->threads;
    has_cpus = has_cpus || options[i].target == &args->cpus;
  }
  if (!has_threads || !has_cpus || args->cpus == NULL) return;
  static int cpus[EP_MAX_CPUS];
  int count = 0;
  if (ep_cpulist_parse(args->cpus, cpus, EP_MAX_CPUS, &count) != EP_OK || count == 0) return;
  if (!args->threads_given) {
    args->threads = count;
  } else if (args->threads > count) {
    fprintf(stderr,
            "edgeprof: %s: warning: %d threads on %d CPU%s (--cpus %s): workers share CPUs\n",
            command, args->threads, count, count == 1 ? "" : "s", args->cpus);
  }
}

int cli_parse(const char* command, const cli_option* options, int n_options, int argc,
              char** argv, cli_args* args) {
  cli_command_args = args;
  /* A table naming one option twice is a bug that the help test must see, not a silent
   * first-one-wins. */
  for (int i = 0; i < n_options; i++) {
    for (int k = 0; k < i; k++) {
      if (strcmp(options[i].name, options[k].name) == 0) {
        return cli_fail(CLI_EXIT_RUNTIME, "%s: option table lists %s twice", command,
                        options[i].name);
      }
    }
  }
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
    if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
      args->help = true;
      continue;
    }
    const char* value = NULL;
    const cli_option* o = find(options, n_options, arg, &value);
    if (o == NULL) {
      if (strncmp(arg, "--help=", 7) == 0) {
        return cli_fail(CLI_EXIT_USAGE, "%s: --help takes no value", command);
      }
      return cli_fail(CLI_EXIT_USAGE, "%s: unknown option '%s' (see 'edgeprof %s --help')",
                      command, arg, command);
    }
    if (o->given != NULL) *o->given = true;
    if (o->kind == CLI_FLAG) {
      if (value != NULL) return cli_fail(CLI_EXIT_USAGE, "%s: %s takes no value", command, o->name);
      set_value(command, o, "");
      continue;
    }
    if (value == NULL) {
      if (i + 1 >= argc) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s needs a value (%s)", command, o->name,
                        o->metavar);
      }
      value = argv[++i];
    }
    if (*value == '\0') {
      return cli_fail(CLI_EXIT_USAGE, "%s: %s needs a non-empty %s", command, o->name,
                      o->metavar);
    }
    int rc = set_value(command, o, value);
    if (rc != 0) return rc;
  }
  if (args->help) {
    cli_print_help(command, options, n_options, stdout);
    return -1;
  }
  threads_from_cpus(command, options, n_options, args);
  return 0;
}

static void print_option(const char* name, const char* alias, const char* metavar,
                         const char* help, FILE* out) {
  char left[64];
  snprintf(left, sizeof left, "%s%s%s%s%s", alias ? alias : "", alias ? ", " : "", name,
           metavar ? " " : "", metavar ? metavar : "");
  int len = (int)strlen(left);
  if (len > HELP_COLUMN - 3) {
    fprintf(out, "  %s\n%*s", left, HELP_COLUMN, "");
  } else {
    fprintf(out, "  %-*s", HELP_COLUMN - 2, left);
  }
  for (const char* p = help; *p; p++) {
    fputc(*p, out);
    if (*p == '\n' && p[1] != '\0') fprintf(out, "%*s", HELP_COLUMN, "");
  }
  fputc('\n', out);
}

void cli_print_help(const char* command, const cli_option* options, int n_options, FILE* out) {
  const cli_command* c = cli_find_command(command);
  if (c != NULL) {
    fprintf(out, "Usage: edgeprof %s\n\n%s.\n\n%s\n", c->usage, c->summary, c->help);
  }
  fprintf(out, "Options:\n");
  for (int i = 0; i < n_options; i++) {
    print_option(options[i].name, options[i].alias, options[i].metavar, options[i].help, out);
  }
  print_option("--help", "-h", NULL, "show this help", out);
  fprintf(out, "\nExit status: 0 success, 1 a measurement or a write failed, 2 bad input.\n");
}

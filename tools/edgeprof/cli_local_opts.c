/* Command-specific options, taken out of argv before the shared parser runs. */
#include "cli_local_opts.h"

#include <string.h>

#include "cli.h"

static const cli_local_opt* find(const cli_local_opt* opts, int n, const char* arg,
                                 const char** inline_value) {
  const char* eq = strchr(arg, '=');
  size_t len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
  *inline_value = eq != NULL ? eq + 1 : NULL;
  for (int i = 0; i < n; i++) {
    if (strlen(opts[i].name) == len && strncmp(opts[i].name, arg, len) == 0) return &opts[i];
  }
  return NULL;
}

int cli_local_extract(const char* command, const cli_local_opt* opts, int n_opts, int* argc,
                      char** argv) {
  int out = 1;
  int i = 1;
  for (; i < *argc; i++) {
    const char* arg = argv[i];
    if (strcmp(arg, "--") == 0) break;
    const char* value = NULL;
    const cli_local_opt* o = arg[0] == '-' ? find(opts, n_opts, arg, &value) : NULL;
    if (o == NULL) {
      argv[out++] = argv[i];
      continue;
    }
    if (o->flag != NULL) {
      if (value != NULL) return cli_fail(CLI_EXIT_USAGE, "%s: %s takes no value", command, o->name);
      *o->flag = true;
      continue;
    }
    if (value == NULL) {
      if (i + 1 >= *argc) {
        return cli_fail(CLI_EXIT_USAGE, "%s: %s needs a value", command, o->name);
      }
      value = argv[++i];
    }
    if (*value == '\0')
      return cli_fail(CLI_EXIT_USAGE, "%s: %s needs a non-empty value", command, o->name);
    *o->value = value;
  }
  for (; i < *argc; i++) argv[out++] = argv[i];
  *argc = out;
  return 0;
}

int cli_local_extract_list(const char* command, const char* name, const char** list, int* count,
                           int max, int* argc, char** argv) {
  const char* unused = NULL;
  const cli_local_opt one = {name, &unused, NULL};
  int out = 1, i = 1;
  for (; i < *argc; i++) {
    const char* arg = argv[i];
    if (strcmp(arg, "--") == 0) break;
    const char* value = NULL;
    if (arg[0] != '-' || find(&one, 1, arg, &value) == NULL) {
      argv[out++] = argv[i];
      continue;
    }
    if (value == NULL) {
      if (i + 1 >= *argc) return cli_fail(CLI_EXIT_USAGE, "%s: %s needs a value", command, name);
      value = argv[++i];
    }
    if (*value == '\0') {
      return cli_fail(CLI_EXIT_USAGE, "%s: %s needs a non-empty value", command, name);
    }
    if (*count >= max) {
      return cli_fail(CLI_EXIT_USAGE, "%s: at most %d %s options", command, max, name);
    }
    list[(*count)++] = value;
  }
  for (; i < *argc; i++) argv[out++] = argv[i];
  *argc = out;
  return 0;
}

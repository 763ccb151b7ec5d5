/* Options that only one command knows (plan, serve, offload): taken out of argv before the
 * shared parser (cli_args.h) sees the rest, so that the shared table stays the common flags.
 * Values are kept as strings; the command checks them. */
#ifndef EDGEPROF_CLI_LOCAL_OPTS_H
#define EDGEPROF_CLI_LOCAL_OPTS_H

#include <stdbool.h>

typedef struct cli_local_opt {
  const char* name;   /* "--edge" */
  const char** value; /* set for an option with a value ("--edge F" or "--edge=F"), else NULL */
  bool* flag;         /* set for a flag without value, else NULL */
} cli_local_opt;

/* Removes the listed options from argv[1..*argc) (up to a "--"), storing their values; the rest
 * keeps its order. Prints one error line and returns 2 for a missing or empty value or a value
 * given to a flag; 0 otherwise. */
int cli_local_extract(const char* command, const cli_local_opt* opts, int n_opts, int* argc,
                      char** argv);
/* The same for one repeatable option ("--input A --input B"): values appended to list[max]. */
int cli_local_extract_list(const char* command, const char* name, const char** list, int* count,
                           int max, int* argc, char** argv);

#endif /* EDGEPROF_CLI_LOCAL_OPTS_H */

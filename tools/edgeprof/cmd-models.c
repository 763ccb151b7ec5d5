/* edgeprof models: the zoo, one line each, with its set (paper or modern). */
#include <stdio.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "edgeprof/characterize.h"
#include "edgeprof/zoo.h"

int cmd_models(int argc, char** argv) {
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      CLI_OPTION_SEED(&args),
  };
  int rc = cli_parse("models", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional > 0) {
    return cli_fail(CLI_EXIT_USAGE, "models: unexpected argument '%s'", args.positional[0]);
  }
  printf("%-13s %-26s %9s %9s  %-6s  %s\n", "model", "input -> output", "params", "MACs", "set",
         "description");
  for (int i = 0; i < ep_zoo_count(); i++) {
    const ep_zoo_entry* z = ep_zoo_entry_at(i);
    ep_table1_row row;
    ep_status status = ep_table1_row_compute(z->name, args.seed, &row);
    if (status != EP_OK) return cli_fail(CLI_EXIT_RUNTIME, "models: %s", ep_last_error());
    char io[160], params[32], macs[32];
    snprintf(io, sizeof io, "%s -> %s", row.input, row.output);
    printf("%-13s %-26s %9s %9s  %-6s  %s\n", z->name, io,
           ep_format_count(row.totals.params, params, sizeof params),
           ep_format_count(row.totals.macs, macs, sizeof macs), ep_zoo_set_name(z->set),
           z->description);
  }
  return CLI_EXIT_OK;
}

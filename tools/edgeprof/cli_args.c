/* Defaults of the values most commands share (cli_args.h). */
#include "cli_args.h"

#include <string.h>

#include "edgeprof/zoo.h"

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


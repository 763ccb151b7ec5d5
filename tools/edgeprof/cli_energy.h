/* --energy for the measuring commands: the machine's meter around the timed runs, one line when
 * there is none, and the figures beside the latency. */
#ifndef EDGEPROF_CLI_ENERGY_H
#define EDGEPROF_CLI_ENERGY_H

#include <stdbool.h>
#include <stdio.h>

#include "edgeprof/energy.h"

/* The sysfs root meters are read under: $EDGEPROF_SYSFS_ROOT (a recorded tree such as
 * tests/fixtures/jetson-tx2/sys, to see what edgeprof makes of a board), else "/sys". */
const char* cli_sysfs_root(void);

typedef struct cli_energy {
  ep_energy_meter* meter; /* NULL: not asked for, or no meter here */
  char why[640];          /* why there is none, when asked for */
  bool measured;
  ep_energy_result result;
} cli_energy;

/* Looks for the meter when `asked`; never fails (no meter: meter NULL and `why` set). */
void cli_energy_open(bool asked, cli_energy* energy);
/* Starts the meter, if any. False (with the reason in `why`) if it cannot be read. */
bool cli_energy_start(cli_energy* energy);
/* Stops it and fills `result` for `inferences` runs. */
void cli_energy_stop(cli_energy* energy, int inferences);
/* The result for a report, NULL when nothing was measured. */
const ep_energy_result* cli_energy_result(const cli_energy* energy);
/* The human-readable lines ("  energy      0.512 mJ per inference, 12.3 W mean (RAPL ...)")
 * or "energy: no meter here (...)"; nothing when not asked. */
void cli_energy_print(const cli_energy* energy, FILE* out);
void cli_energy_close(cli_energy* energy);

#endif /* EDGEPROF_CLI_ENERGY_H */

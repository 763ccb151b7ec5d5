/* Shared by characterize, sweep and report: core sets from the command line, name lists, and
 * writing every report file of a set of results. */
#ifndef EDGEPROF_CLI_RESULTS_H
#define EDGEPROF_CLI_RESULTS_H

#include <stdbool.h>

#include "edgeprof/report.h"
#include "edgeprof/results.h"
#include "edgeprof/topology.h"

#define CLI_MAX_CORE_SET_SPECS 16

/* The machine's topology from /sys for the CPUs this process may use, or only those of
 * `cpus_text` (--cpus, checked to exist and be allowed), with the --core-set NAME=LIST specs
 * applied (each CPU checked with ep_cpus_check too). Prints the error line and returns the exit
 * code on failure. */
int cli_topology(const char* command, const char* cpus_text, const char* const* specs,
                 int n_specs, ep_topology** topology_out);

/* Splits "a,b,c" in place into at most `max` non-empty names. Prints the error line on failure
 * ("<command>: <option> has an empty name"). */
int cli_split_names(const char* command, const char* option, char* text, const char** names,
                    int max, int* count_out);

/* Writes fig1.svg, fig2*.svg, layers.svg, latency.csv, best.csv, layers.csv, op_types.csv,
 * table1.csv, report.md and report.html into `dir`, each atomically (a temporary file renamed
 * into place; an interruption leaves no partial file). Prints the error line on failure. */
int cli_write_reports(const char* command, const char* dir, const ep_results* const* machines,
                      int n);

/* The findings (across machines, then per machine) as "- ..." lines on stdout. */
void cli_print_findings(const ep_results* const* machines, int n);

#endif /* EDGEPROF_CLI_RESULTS_H */

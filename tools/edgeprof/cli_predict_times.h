/* The hook through which `plan` takes a predicted profile where it takes a measured one:
 * `--edge-device FILE` / `--server-device FILE` (a `predict-fit` device file) instead of
 * `--edge` / `--server` (a `profile --json` file). docs/predict.md. */
#ifndef EDGEPROF_CLI_PREDICT_TIMES_H
#define EDGEPROF_CLI_PREDICT_TIMES_H

#include "edgeprof/graph.h"

/* Writes the predicted time (ms) of every node of `graph` into ms_out[n] from the device file
 * `device_path`, for `threads` threads (0: the first thread count the device was fitted for).
 * On failure prints one line "edgeprof: COMMAND: ..." and returns the exit code (2 for a bad
 * file, a thread count or class the device lacks); CLI_EXIT_OK on success. */
int cli_predicted_node_ms(const char* command, const char* device_path, int threads,
                          const ep_graph* graph, double* ms_out);

#endif /* EDGEPROF_CLI_PREDICT_TIMES_H */

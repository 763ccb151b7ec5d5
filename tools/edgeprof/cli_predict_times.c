/* Predicted node times for commands that take a measured profile (plan). */
#include "cli_predict_times.h"

#include "cli.h"
#include "edgeprof/predict.h"

int cli_predicted_node_ms(const char* command, const char* device_path, int threads,
                          const ep_graph* graph, double* ms_out) {
  ep_predict_device* device = NULL;
  ep_status status = ep_predict_device_load(device_path, &device);
  if (status != EP_OK) {
    return cli_fail(status == EP_ERR_OUT_OF_MEMORY ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE, "%s: %s",
                    command, ep_last_error());
  }
  if (threads <= 0) {
    ep_predict_device_info info;
    ep_predict_device_info_get(device, &info);
    threads = info.threads[0];
  }
  status = ep_predict_graph(device, graph, threads, ms_out);
  ep_predict_device_destroy(device);
  if (status != EP_OK) {
    return cli_fail(status == EP_ERR_OUT_OF_MEMORY ? CLI_EXIT_RUNTIME : CLI_EXIT_USAGE,
                    "%s: %s: %s", command, device_path, ep_last_error());
  }
  return CLI_EXIT_OK;
}

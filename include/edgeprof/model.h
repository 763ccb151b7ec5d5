/* Loading a model by name: the one place that turns a MODEL argument into graphs.
 * A MODEL is a zoo name or the path of an ONNX file. */
#ifndef EDGEPROF_MODEL_H
#define EDGEPROF_MODEL_H

#include <stdint.h>

#include "edgeprof/graph.h"
#include "edgeprof/onnx.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Builds the model named `name_or_path` with weights from `seed`. `defined_out` receives the
 * graph as the network is defined (cost figures of the model), `optimized_out` the graph after
 * ep_graph_optimize(EP_PASS_ALL), the one sessions run. Either may be NULL when not wanted;
 * both are written only on success and freed with ep_graph_destroy.
 * EP_ERR_NOT_FOUND for an unknown name; the message lists the known ones. */
ep_status ep_model_load(const char* name_or_path, uint64_t seed, ep_graph** defined_out,
                        ep_graph** optimized_out);

/* ep_model_load with input shapes for a model file (`shapes` may be NULL when n_shapes is 0).
 * A name that is not a zoo model is a path: an existing file, or any name ending in ".onnx", is
 * loaded with ep_onnx_load (`seed` is then unused). Zoo models take no shapes. */
ep_status ep_model_load_shapes(const char* name_or_path, uint64_t seed,
                               const ep_onnx_shape* shapes, int n_shapes, ep_graph** defined_out,
                               ep_graph** optimized_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_MODEL_H */

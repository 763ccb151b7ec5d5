/* MODEL argument -> graph as defined and optimized graph. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "edgeprof/model.h"
#include "edgeprof/zoo.h"

static void known_names(char* buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < ep_zoo_count(); i++) {
    int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", ep_zoo_entry_at(i)->name);
    if (n < 0 || (size_t)n >= size - used) break;
    used += (size_t)n;
  }
}

/* A MODEL that names a file: one that exists, or any name ending in ".onnx". */
static bool is_model_file(const char* name) {
  struct stat sb;
  size_t n = strlen(name);
  return stat(name, &sb) == 0 || (n > 5 && strcmp(name + n - 5, ".onnx") == 0);
}

ep_status ep_model_load(const char* name_or_path, uint64_t seed, ep_graph** defined_out,
                        ep_graph** optimized_out) {
  return ep_model_load_shapes(name_or_path, seed, NULL, 0, defined_out, optimized_out);
}

ep_status ep_model_load_shapes(const char* name_or_path, uint64_t seed,
                               const ep_onnx_shape* shapes, int n_shapes, ep_graph** defined_out,
                               ep_graph** optimized_out) {
  if (name_or_path == NULL || *name_or_path == '\0') {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "no model given");
  }
  bool zoo = ep_zoo_find(name_or_path) != NULL;
  if (!zoo && !is_model_file(name_or_path)) {
    char names[256];
    known_names(names, sizeof names);
    return ep_error(EP_ERR_NOT_FOUND, "unknown model '%s' (known: %s; or the path of an .onnx file)",
                    name_or_path, names);
  }
  if (zoo && n_shapes > 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "--shape applies to model files, not to zoo model '%s'",
                    name_or_path);
  }
  ep_graph* defined = NULL;
  ep_graph* optimized = NULL;
  ep_status status;
  if (zoo) {
    status = ep_zoo_build(name_or_path, seed, &defined);
  } else {
    ep_onnx_options options = {shapes, n_shapes, NULL, 0};
    status = ep_onnx_load(name_or_path, &options, &defined);
  }
  if (status != EP_OK) goto cleanup;
  if (optimized_out != NULL) {
    status = ep_graph_optimize(defined, EP_PASS_ALL, &optimized);
    if (status != EP_OK) goto cleanup;
  }

cleanup:
  if (status != EP_OK) {
    ep_graph_destroy(optimized);
    ep_graph_destroy(defined);
    return status;
  }
  if (defined_out != NULL) {
    *defined_out = defined;
  } else {
    ep_graph_destroy(defined);
  }
  if (optimized_out != NULL) *optimized_out = optimized;
  return EP_OK;
}

/* Table I rows: the paper's figures beside those computed from the graph as defined. */
#include <stdio.h>
#include <string.h>

#include "edgeprof/characterize.h"
#include "edgeprof/model.h"

static void join_shapes(const ep_graph* g, int count, int (*tensor_at)(const ep_graph*, int),
                        char* buf, size_t size) {
  size_t used = 0;
  buf[0] = '\0';
  for (int i = 0; i < count; i++) {
    char shape[64];
    const ep_tensor* t = ep_graph_tensor(g, tensor_at(g, i));
    ep_shape_format(&t->shape, shape, sizeof shape);
    int n = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", shape);
    if (n < 0 || (size_t)n >= size - used) break;
    used += (size_t)n;
  }
}

void ep_table1_row_from_graph(const ep_zoo_entry* zoo, const ep_graph* defined,
                              ep_table1_row* row_out) {
  memset(row_out, 0, sizeof *row_out);
  row_out->zoo = zoo;
  join_shapes(defined, ep_graph_input_count(defined), ep_graph_input, row_out->input,
              sizeof row_out->input);
  join_shapes(defined, ep_graph_output_count(defined), ep_graph_output, row_out->output,
              sizeof row_out->output);
  ep_graph_totals_compute(defined, &row_out->totals);
}

ep_status ep_table1_row_compute(const char* name, uint64_t seed, ep_table1_row* row_out) {
  const ep_zoo_entry* zoo = ep_zoo_find(name);
  ep_graph* defined = NULL;
  ep_status status = ep_model_load(name, seed, &defined, NULL);
  if (status != EP_OK) return status;
  if (zoo == NULL) {
    ep_graph_destroy(defined);
    return ep_error(EP_ERR_NOT_FOUND, "'%s' is not a zoo model: no Table I row", name);
  }
  ep_table1_row_from_graph(zoo, defined, row_out);
  ep_graph_destroy(defined);
  return EP_OK;
}

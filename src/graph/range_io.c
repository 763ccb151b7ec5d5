/* What a contiguous node range [first, end) reads from outside and hands on: the inputs and
 * outputs of that range run as a model of its own (a split's tail served elsewhere, an exported
 * part of a network). */
#include <stdbool.h>

#include "edgeprof/graph.h"

static bool read_in_range(const ep_graph* g, int id, int first, int end) {
  for (int i = first; i < end; i++) {
    const ep_node* n = ep_graph_node(g, i);
    for (int k = 0; k < n->n_inputs; k++) {
      if (n->inputs[k] == id) return true;
    }
  }
  return false;
}

int ep_graph_range_inputs(const ep_graph* g, int first, int end, int* ids, int max) {
  if (g == NULL) return 0;
  int count = 0;
  for (int id = 0; id < ep_graph_tensor_count(g); id++) {
    const ep_tensor* t = ep_graph_tensor(g, id);
    if (t->kind == EP_TENSOR_CONSTANT) continue;
    bool before = t->kind == EP_TENSOR_INPUT || t->producer < first;
    if (!before || t->last_consumer < first || !read_in_range(g, id, first, end)) continue;
    if (ids != NULL && count < max) ids[count] = id;
    count++;
  }
  return count;
}

int ep_graph_range_outputs(const ep_graph* g, int first, int end, int* ids, int max) {
  if (g == NULL) return 0;
  int count = 0;
  for (int id = 0; id < ep_graph_tensor_count(g); id++) {
    const ep_tensor* t = ep_graph_tensor(g, id);
    if (t->kind == EP_TENSOR_CONSTANT || t->producer < first || t->producer >= end) continue;
    if (!t->is_output && t->last_consumer < end) continue;
    if (ids != NULL && count < max) ids[count] = id;
    count++;
  }
  return count;
}

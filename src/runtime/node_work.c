/* A node's work at one thread, from the cost model (src/graph/cost.c). */
#include "runtime/node_work.h"

#include <stdbool.h>

/* Rates of the layers this estimate is about (the small ones), measured at one thread on the
 * 2-core Zen 4 of docs/performance.md: shufflenet_v2_x0_5's 1x1 and depthwise convs run at
 * 20-30 G multiply-adds/s, its Transpose and Slice nodes move 50-70 bytes/ns. The lower ends,
 * so that a node is rather counted too big than too small. */
enum { MACS_PER_NS = 20, BYTES_PER_NS = 50 };

static double tensor_bytes(const ep_graph* graph, int id) {
  if (id < 0) return 0.0;
  const ep_tensor* t = ep_graph_tensor(graph, id);
  return (double)ep_dtype_size(t->dtype) * (double)ep_shape_numel(&t->shape);
}

/* Whether the node reads only the part of its input 0 that it writes out: a Gather (BERT's word
 * embeddings: 128 rows of a 30522-row table, 0.4 of 94 MB) or a Slice (ShuffleNet's halves). */
static bool reads_what_it_writes(const ep_node* node) {
  return node->op == EP_OP_GATHER || node->op == EP_OP_SLICE;
}

double ep_node_work_ns(const ep_graph* graph, const ep_node* node) {
  double bytes = 0.0;
  const bool partial = reads_what_it_writes(node);
  for (int i = partial ? 1 : 0; i < node->n_inputs; i++) {
    bytes += tensor_bytes(graph, node->inputs[i]);
  }
  for (int i = 0; i < node->n_outputs; i++) {
    bytes += (partial ? 2.0 : 1.0) * tensor_bytes(graph, node->outputs[i]);
  }
  return (double)node->cost.macs / MACS_PER_NS + bytes / BYTES_PER_NS;
}

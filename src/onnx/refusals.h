/* The list of what stops a model from loading, collected over the whole import and given to the
 * user in one error (issue 15 item 5): every unsupported node once, with its reason. Nodes with
 * the same op type, domain and reason are grouped, "a, b, c (Slice, ai.onnx, opset 13): reason",
 * so that a transformer's hundred refusals still fit one message; if it still does not fit, the
 * message says how many were left out. */
#ifndef EDGEPROF_ONNX_REFUSALS_H
#define EDGEPROF_ONNX_REFUSALS_H

#include <stddef.h>
#include <stdint.h>

#include "edgeprof/status.h"

typedef struct ep_refusal ep_refusal;

typedef struct ep_refusals {
  ep_refusal* items; /* in order of first appearance */
  int n_items, cap_items;
  int n_nodes; /* nodes and outputs refused, every one counted */
} ep_refusals;

/* Adds node `name` (op type, domain, opset) refused for `reason` ("" for none). */
ep_status ep_refusals_add_node(ep_refusals* r, const char* name, const char* op,
                               const char* domain, int64_t opset, const char* reason);
/* Adds an entry of its own text (a graph output that cannot be produced). */
ep_status ep_refusals_add_text(ep_refusals* r, const char* text);
/* Writes the list, "; "-separated, into buf (always terminated); what does not fit is counted
 * in a closing "... and N more". */
void ep_refusals_format(const ep_refusals* r, char* buf, size_t size);
/* Frees what the list owns and zeroes it; NULL is a no-op. */
void ep_refusals_free(ep_refusals* r);

#endif /* EDGEPROF_ONNX_REFUSALS_H */

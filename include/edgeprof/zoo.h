/* The model zoo: the five networks of the paper's Table I, built in code with seeded weights.
 *
 * Each builder returns a finalized graph as the network is defined (batch norm unfolded,
 * activations separate) so that its cost figures are those of the model; call
 * ep_graph_optimize before running it. Weights depend only on the seed. */
#ifndef EDGEPROF_ZOO_H
#define EDGEPROF_ZOO_H

#include <stdint.h>

#include "edgeprof/graph.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_ZOO_DEFAULT_SEED 2018u

/* The paper's Table I row for a network, verbatim ("" where the paper left a cell empty). */
typedef struct ep_paper_row {
  const char* name;
  const char* input;
  const char* output;
  const char* layers;
  const char* params;
  const char* flops;
} ep_paper_row;

typedef struct ep_zoo_entry {
  const char* name;        /* "resnet50" */
  const char* description; /* one line */
  ep_paper_row paper;
  /* One line on why computed figures differ from the paper's, "" where they agree. */
  const char* paper_note;
  ep_status (*build)(uint64_t seed, ep_graph** graph_out);
} ep_zoo_entry;

int ep_zoo_count(void);
const ep_zoo_entry* ep_zoo_entry_at(int index);
/* NULL if no model has that name. */
const ep_zoo_entry* ep_zoo_find(const char* name);
/* Builds the named model (EP_ERR_NOT_FOUND for an unknown name). */
ep_status ep_zoo_build(const char* name, uint64_t seed, ep_graph** graph_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_ZOO_H */

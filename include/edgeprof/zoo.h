/* The model zoo, built in code with seeded weights: the five networks of the paper's Table I
 * (the "paper" set) and a modern set beside them (the "modern" set: a BERT-base encoder, ViT-B/16
 * and MobileNetV3-Large).
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

/* Which set a network belongs to. */
typedef enum ep_zoo_set {
  EP_ZOO_PAPER,  /* the paper's Table I: what characterize measures by default */
  EP_ZOO_MODERN, /* networks users deploy today, beside the paper's */
} ep_zoo_set;

/* The paper's Table I row for a network, verbatim ("" where the paper left a cell empty). For
 * the modern set: the reference figures of the literature, the source in `name`, the published
 * multiply-accumulates in `macs` (the paper's rows leave it NULL: it has a FLOPs column only). */
typedef struct ep_paper_row {
  const char* name;
  const char* input;
  const char* output;
  const char* layers;
  const char* params;
  const char* flops;
  const char* macs;
} ep_paper_row;

typedef struct ep_zoo_entry {
  const char* name;        /* "resnet50" */
  const char* description; /* one line */
  ep_paper_row paper;
  /* One line on why computed figures differ from the paper's (or the reference's), "" where
   * they agree. */
  const char* paper_note;
  ep_status (*build)(uint64_t seed, ep_graph** graph_out);
  ep_zoo_set set;
} ep_zoo_entry;

int ep_zoo_count(void);
const ep_zoo_entry* ep_zoo_entry_at(int index);
/* NULL if no model has that name. */
const ep_zoo_entry* ep_zoo_find(const char* name);
/* Builds the named model (EP_ERR_NOT_FOUND for an unknown name). */
ep_status ep_zoo_build(const char* name, uint64_t seed, ep_graph** graph_out);

/* "paper" or "modern". */
const char* ep_zoo_set_name(ep_zoo_set set);

/* Expands a model selection into zoo names, in the order given, each once: an item is a zoo
 * name or a set word, "paper" (the paper's five), "modern" or "all" (every zoo model, zoo
 * order). Writes at most `max` names (pointers into the zoo table) to names_out and their count
 * to *n_out, on success only. EP_ERR_NOT_FOUND names an unknown item (and the known ones),
 * EP_ERR_INVALID_ARGUMENT more than `max` names or no item. */
ep_status ep_zoo_select(const char* const* items, int n_items, const char** names_out, int max,
                        int* n_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_ZOO_H */

/* The zoo's network builders, one file each; listed in zoo.c. */
#ifndef EDGEPROF_MODELS_MODELS_H
#define EDGEPROF_MODELS_MODELS_H

#include <stdint.h>

#include "edgeprof/graph.h"

ep_status ep_model_inception_v1(uint64_t seed, ep_graph** graph_out);
ep_status ep_model_resnet50(uint64_t seed, ep_graph** graph_out);
ep_status ep_model_mobilenet_v1(uint64_t seed, ep_graph** graph_out);
ep_status ep_model_lstm(uint64_t seed, ep_graph** graph_out);
ep_status ep_model_mlp(uint64_t seed, ep_graph** graph_out);
/* The modern set. */
ep_status ep_model_bert_base(uint64_t seed, ep_graph** graph_out);
ep_status ep_model_vit_b16(uint64_t seed, ep_graph** graph_out);
ep_status ep_model_mobilenet_v3(uint64_t seed, ep_graph** graph_out);

#endif /* EDGEPROF_MODELS_MODELS_H */

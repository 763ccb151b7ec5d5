/* The zoo table: the five networks of the paper's Table I, with the paper's row verbatim. */
#include "edgeprof/zoo.h"

#include <stdio.h>
#include <string.h>

#include "models/models.h"

static const ep_zoo_entry entries[] = {
    {"inception_v1",
     "TF-slim InceptionV1: batch norm, 3x3 convs in branch 2, 1001 classes",
     {"Inception V1", "", "", "22", "6.79M", "3.19B"},
     "paper's 3.19B counts FLOPs (2 x MACs: 3.00 G here); its 6.79M params is not reproducible "
     "from TF-slim's graph (6.62 M trained values, 6.63 M with the fixed BN scales)",
     ep_model_inception_v1},
    {"resnet50",
     "ResNet-v1-50: stride in the first 1x1 of a downsampling block, 1000 classes",
     {"ResNet-50", "[224,224,3]", "[1000]", "50", "25.6M", "3.8B"},
     "paper's 3.8B counts multiply-accumulates (3.86 G here), not FLOPs",
     ep_model_resnet50},
    {"mobilenet_v1",
     "MobileNet v1, width 1.0, 224x224, 1001 classes",
     {"MobileNet 1.0", "1", "", "15", "4.2M", "576M"},
     "paper's 576M is not reproducible (568.7 M MACs here); its 15 layers match 1 + 13 + 1 "
     "with a separable block counted once, 28 weight layers here",
     ep_model_mobilenet_v1},
    {"lstm",
     "Zaremba et al. small LM without embedding: 2 x LSTM(200), 20 steps, softmax 10000",
     {"LSTM", "[20, 200]", "[20,10000]", "2", "2.65M", "14.8M"},
     "paper's 14.8M FLOPs is not reproducible: the two LSTMs alone take 12.8 M MACs and the "
     "softmax layer 40 M more; its 2 layers count the LSTMs only",
     ep_model_lstm},
    {"mlp",
     "dlbench FCN-5: 784-2048-4096-1024-10, sigmoid hidden layers",
     {"MLP", "[784]", "[10]", "5", "13.9M", "13.9M"},
     "paper's 13.9M params is not reproducible for 784-2048-4096-1024-10 (14.21 M); its 5 "
     "layers are FCN-5's neuron layers (4 weight layers); its FLOPs = params, like MACs here",
     ep_model_mlp},
};

enum { ZOO_COUNT = (int)(sizeof entries / sizeof entries[0]) };

int ep_zoo_count(void) { return ZOO_COUNT; }

const ep_zoo_entry* ep_zoo_entry_at(int index) {
  if (index < 0 || index >= ZOO_COUNT) return NULL;
  return &entries[index];
}

const ep_zoo_entry* ep_zoo_find(const char* name) {
  if (!name) return NULL;
  for (int i = 0; i < ZOO_COUNT; i++) {
    if (strcmp(entries[i].name, name) == 0) return &entries[i];
  }
  return NULL;
}

ep_status ep_zoo_build(const char* name, uint64_t seed, ep_graph** graph_out) {
  if (!graph_out) return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_zoo_build: graph_out is NULL");
  const ep_zoo_entry* e = ep_zoo_find(name);
  if (!e) {
    char known[256] = "";
    size_t used = 0;
    for (int i = 0; i < ZOO_COUNT && used < sizeof known; i++) {
      int n = snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", entries[i].name);
      if (n < 0) break;
      used += (size_t)n;
    }
    return ep_error(EP_ERR_NOT_FOUND, "unknown model '%s' (zoo: %s)", name ? name : "(null)",
                    known);
  }
  return e->build(seed, graph_out);
}

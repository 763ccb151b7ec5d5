/* The zoo table: the five networks of the paper's Table I, with the paper's row verbatim, then
 * the modern set with the reference figures of the literature. */
#include "edgeprof/zoo.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "models/models.h"

static const ep_zoo_entry entries[] = {
    {.name = "inception_v1",
     .description = "TF-slim InceptionV1: batch norm, 3x3 convs in branch 2, 1001 classes",
     .paper = {"Inception V1", "", "", "22", "6.79M", "3.19B", NULL},
     .paper_note =
         "paper's 3.19B counts FLOPs (2 x MACs: 3.00 G here); its 6.79M params is not reproducible "
         "from TF-slim's graph (6.62 M trained values, 6.63 M with the fixed BN scales)",
     .build = ep_model_inception_v1},
    {.name = "resnet50",
     .description = "ResNet-v1-50: stride in the first 1x1 of a downsampling block, 1000 classes",
     .paper = {"ResNet-50", "[224,224,3]", "[1000]", "50", "25.6M", "3.8B", NULL},
     .paper_note = "paper's 3.8B counts multiply-accumulates (3.86 G here), not FLOPs",
     .build = ep_model_resnet50},
    {.name = "mobilenet_v1",
     .description = "MobileNet v1, width 1.0, 224x224, 1001 classes",
     .paper = {"MobileNet 1.0", "1", "", "15", "4.2M", "576M", NULL},
     .paper_note =
         "paper's 576M is not reproducible (568.7 M MACs here); its 15 layers match 1 + 13 + 1 "
         "with a separable block counted once, 28 weight layers here",
     .build = ep_model_mobilenet_v1},
    {.name = "lstm",
     .description =
         "Zaremba et al. small LM without embedding: 2 x LSTM(200), 20 steps, softmax 10000",
     .paper = {"LSTM", "[20, 200]", "[20,10000]", "2", "2.65M", "14.8M", NULL},
     .paper_note =
         "paper's 14.8M FLOPs is not reproducible: the two LSTMs alone take 12.8 M MACs and the "
         "softmax layer 40 M more; its 2 layers count the LSTMs only",
     .build = ep_model_lstm},
    {.name = "mlp",
     .description = "dlbench FCN-5: 784-2048-4096-1024-10, sigmoid hidden layers",
     .paper = {"MLP", "[784]", "[10]", "5", "13.9M", "13.9M", NULL},
     .paper_note =
         "paper's 13.9M params is not reproducible for 784-2048-4096-1024-10 (14.21 M); its 5 "
         "layers are FCN-5's neuron layers (4 weight layers); its FLOPs = params, like MACs here",
     .build = ep_model_mlp},
    /* The modern set: reference figures from the literature, MACs as their sources count
     * them (one per multiply-add). */
    {.name = "bert_base",
     .description = "BERT-base encoder: 12 layers, hidden 768, 12 heads, FFN 3072, GELU, "
                    "sequence 128; input: the summed embeddings (floats)",
     .paper = {"BERT-base (Devlin 2019)", "[1,128]", "[1,128,768]", "12", "110M", "", ""},
     .paper_note = "reference 110M counts the 23.8 M embedding tables and the 0.6 M pooler: the "
                   "encoder is 85.06 M with its embedding LayerNorm; no published MACs: 11.17 G "
                   "here at sequence 128 (4SD^2 + 2S^2D + 2SDF per layer); 72 layers: 6 MatMuls "
                   "per encoder layer on the longest path",
     .build = ep_model_bert_base,
     .set = EP_ZOO_MODERN},
    {.name = "vit_b16",
     .description = "ViT-B/16 (torchvision vit_b_16): 16x16 patches, class token, 12 layers, "
                    "hidden 768, 12 heads, MLP 3072, 1000 classes",
     .paper = {"ViT-B/16 (torchvision)", "[224,224,3]", "[1000]", "12", "86.6M", "", "17.6G"},
     .paper_note = "torchvision's 17.56 GFLOPS count multiply-adds (17.56 G MACs here); its "
                   "86.6M params agree (86,567,656); layers here are the MatMuls on the longest "
                   "path (6 per encoder layer), the paper counts encoder layers",
     .build = ep_model_vit_b16,
     .set = EP_ZOO_MODERN},
    {.name = "mobilenet_v3",
     .description = "MobileNetV3-Large (torchvision mobilenet_v3_large): HardSwish, SE with "
                    "HardSigmoid, 3x3/5x5 depthwise, 1000 classes",
     .paper = {"MobileNetV3-L (Howard 2019)", "[224,224,3]", "[1000]", "", "5.4M", "", "219M"},
     .paper_note = "5.48 M params here, torchvision's 5,483,032 (the paper rounds to 5.4M); "
                   "216.6 M MACs (torchvision: 0.22 G); 64 layers: each SE block's two 1x1 "
                   "convs lie on the longest path",
     .build = ep_model_mobilenet_v3,
     .set = EP_ZOO_MODERN},
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

const char* ep_zoo_set_name(ep_zoo_set set) { return set == EP_ZOO_MODERN ? "modern" : "paper"; }

static void known_items(char* buf, size_t size) {
  size_t used = (size_t)snprintf(buf, size, "paper, modern, all");
  for (int i = 0; i < ZOO_COUNT && used < size; i++) {
    int n = snprintf(buf + used, size - used, ", %s", entries[i].name);
    if (n < 0) break;
    used += (size_t)n;
  }
}

/* Appends a name unless it is there already; false when that would pass `max`. */
static bool add_name(const char** names, int* n, int max, const char* name) {
  for (int i = 0; i < *n; i++) {
    if (strcmp(names[i], name) == 0) return true;
  }
  if (*n >= max) return false;
  names[(*n)++] = name;
  return true;
}

ep_status ep_zoo_select(const char* const* items, int n_items, const char** names_out, int max,
                        int* n_out) {
  if (items == NULL || names_out == NULL || n_out == NULL || n_items <= 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "no models selected");
  }
  const char* names[ZOO_COUNT];
  int n = 0;
  for (int i = 0; i < n_items; i++) {
    const char* item = items[i] != NULL ? items[i] : "(null)";
    bool all = strcmp(item, "all") == 0;
    bool set_word = all || strcmp(item, "paper") == 0 || strcmp(item, "modern") == 0;
    if (set_word) {
      for (int k = 0; k < ZOO_COUNT; k++) {
        if (all || strcmp(item, ep_zoo_set_name(entries[k].set)) == 0) {
          add_name(names, &n, ZOO_COUNT, entries[k].name);
        }
      }
      continue;
    }
    const ep_zoo_entry* e = ep_zoo_find(item);
    if (e == NULL) {
      char known[512];
      known_items(known, sizeof known);
      return ep_error(EP_ERR_NOT_FOUND, "unknown model '%s' (known: %s)", item, known);
    }
    add_name(names, &n, ZOO_COUNT, e->name);
  }
  if (n > max) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "%d models selected, at most %d", n, max);
  }
  for (int i = 0; i < n; i++) names_out[i] = names[i];
  *n_out = n;
  return EP_OK;
}

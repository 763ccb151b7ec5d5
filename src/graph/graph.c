/* The graph IR: building, storage, finalisation and read access. */
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/text.h"
#include "graph/graph_internal.h"

/* --- constant storage ------------------------------------------------------------------ */

/* The header sits just before the data; `base` is what calloc returned. */
typedef struct storage_header {
  void* base;
  atomic_size_t refs;
} storage_header;

enum { STORAGE_ALIGN = 64 };

void* ep_graph_storage_alloc(size_t bytes) {
  if (bytes < 8) bytes = 8; /* a scalar of any dtype can be read as its widest type */
  if (bytes > SIZE_MAX - sizeof(storage_header) - 2 * STORAGE_ALIGN) return NULL;
  /* calloc: large blocks come zeroed from the kernel, touched only when written. */
  uint8_t* base = calloc(1, bytes + sizeof(storage_header) + STORAGE_ALIGN);
  if (base == NULL) return NULL;
  uintptr_t at = ((uintptr_t)base + sizeof(storage_header) + STORAGE_ALIGN - 1) &
                 ~(uintptr_t)(STORAGE_ALIGN - 1);
  storage_header* h = (storage_header*)(at - sizeof(storage_header));
  h->base = base;
  atomic_init(&h->refs, 1);
  return (void*)at;
}

static storage_header* header_of(const void* storage) {
  return (storage_header*)((uintptr_t)storage - sizeof(storage_header));
}

void ep_graph_storage_retain(const void* storage) {
  if (storage != NULL) atomic_fetch_add_explicit(&header_of(storage)->refs, 1, memory_order_relaxed);
}

void ep_graph_storage_release(const void* storage) {
  if (storage == NULL) return;
  storage_header* h = header_of(storage);
  if (atomic_fetch_sub_explicit(&h->refs, 1, memory_order_acq_rel) == 1) free(h->base);
}

/* --- shapes ----------------------------------------------------------------------------- */

int64_t ep_shape_numel(const ep_shape* shape) {
  int64_t n = 1;
  for (int i = 0; i < shape->rank; i++) n *= shape->dims[i];
  return n;
}

ep_shape ep_shape_make(int rank, const int64_t* dims) {
  ep_shape s;
  memset(&s, 0, sizeof s);
  if (rank < 0) rank = 0;
  if (rank > EP_MAX_RANK) rank = EP_MAX_RANK;
  s.rank = rank;
  for (int i = 0; i < rank; i++) s.dims[i] = dims[i];
  return s;
}

char* ep_shape_format(const ep_shape* shape, char* buf, size_t size) {
  if (size == 0) return buf;
  buf[0] = '\0';
  if (shape->rank == 0) {
    snprintf(buf, size, "scalar");
    return buf;
  }
  size_t used = 0;
  for (int i = 0; i < shape->rank && used < size; i++) {
    int n = snprintf(buf + used, size - used, i == 0 ? "%" PRId64 : "x%" PRId64, shape->dims[i]);
    if (n < 0) break;
    used += (size_t)n;
  }
  return buf;
}

bool ep_shape_equal(const ep_shape* a, const ep_shape* b) {
  if (a->rank != b->rank) return false;
  for (int i = 0; i < a->rank; i++) {
    if (a->dims[i] != b->dims[i]) return false;
  }
  return true;
}

/* --- element types ---------------------------------------------------------------------- */

size_t ep_dtype_size(ep_dtype dtype) {
  switch (dtype) {
    case EP_DTYPE_FLOAT32: return 4;
    case EP_DTYPE_INT64: return 8;
    case EP_DTYPE_BOOL: return 1;
  }
  return 0;
}

const char* ep_dtype_name(ep_dtype dtype) {
  switch (dtype) {
    case EP_DTYPE_FLOAT32: return "float32";
    case EP_DTYPE_INT64: return "int64";
    case EP_DTYPE_BOOL: return "bool";
  }
  return "unknown";
}

/* --- names ------------------------------------------------------------------------------ */

const char* ep_op_name(ep_op op) {
  static const char* const names[EP_OP_COUNT] = {
      [EP_OP_CONV] = "Conv",
      [EP_OP_FULLY_CONNECTED] = "FullyConnected",
      [EP_OP_LSTM] = "LSTM",
      [EP_OP_MAX_POOL] = "MaxPool",
      [EP_OP_AVG_POOL] = "AveragePool",
      [EP_OP_GLOBAL_AVG_POOL] = "GlobalAveragePool",
      [EP_OP_BATCH_NORM] = "BatchNormalization",
      [EP_OP_CONCAT] = "Concat",
      [EP_OP_ADD] = "Add",
      [EP_OP_RELU] = "Relu",
      [EP_OP_RELU6] = "Relu6",
      [EP_OP_SIGMOID] = "Sigmoid",
      [EP_OP_TANH] = "Tanh",
      [EP_OP_SOFTMAX] = "Softmax",
      [EP_OP_FLATTEN] = "Flatten",
      [EP_OP_RESHAPE] = "Reshape",
      [EP_OP_GEMM] = "Gemm",
      [EP_OP_MATMUL] = "MatMul",
      [EP_OP_SUB] = "Sub",
      [EP_OP_MUL] = "Mul",
      [EP_OP_DIV] = "Div",
      [EP_OP_LEAKY_RELU] = "LeakyRelu",
      [EP_OP_CLIP] = "Clip",
      [EP_OP_LOG_SOFTMAX] = "LogSoftmax",
      [EP_OP_GLOBAL_MAX_POOL] = "GlobalMaxPool",
      [EP_OP_LRN] = "LRN",
      [EP_OP_TRANSPOSE] = "Transpose",
      [EP_OP_PAD] = "Pad",
      [EP_OP_GRU] = "GRU",
      [EP_OP_ATTENTION] = "Attention",
      [EP_OP_POW] = "Pow",
      [EP_OP_SQRT] = "Sqrt",
      [EP_OP_RECIPROCAL] = "Reciprocal",
      [EP_OP_ERF] = "Erf",
      [EP_OP_GELU] = "Gelu",
      [EP_OP_HARD_SIGMOID] = "HardSigmoid",
      [EP_OP_HARD_SWISH] = "HardSwish",
      [EP_OP_MISH] = "Mish",
      [EP_OP_EXP] = "Exp",
      [EP_OP_LOG] = "Log",
      [EP_OP_NEG] = "Neg",
      [EP_OP_ABS] = "Abs",
      [EP_OP_SOFTPLUS] = "Softplus",
      [EP_OP_MIN] = "Min",
      [EP_OP_MAX] = "Max",
      [EP_OP_GATHER] = "Gather",
      [EP_OP_CAST] = "Cast",
      [EP_OP_EQUAL] = "Equal",
      [EP_OP_LESS] = "Less",
      [EP_OP_GREATER] = "Greater",
      [EP_OP_LESS_OR_EQUAL] = "LessOrEqual",
      [EP_OP_GREATER_OR_EQUAL] = "GreaterOrEqual",
      [EP_OP_AND] = "And",
      [EP_OP_OR] = "Or",
      [EP_OP_XOR] = "Xor",
      [EP_OP_NOT] = "Not",
      [EP_OP_WHERE] = "Where",
      [EP_OP_SHAPE] = "Shape",
      [EP_OP_SIZE] = "Size",
      [EP_OP_SLICE] = "Slice",
      [EP_OP_EXPAND] = "Expand",
      [EP_OP_CONSTANT_OF_SHAPE] = "ConstantOfShape",
      [EP_OP_RANGE] = "Range",
      [EP_OP_REDUCE_MEAN] = "ReduceMean",
      [EP_OP_REDUCE_SUM] = "ReduceSum",
      [EP_OP_REDUCE_MAX] = "ReduceMax",
      [EP_OP_REDUCE_MIN] = "ReduceMin",
      [EP_OP_REDUCE_PROD] = "ReduceProd",
      [EP_OP_REDUCE_L1] = "ReduceL1",
      [EP_OP_REDUCE_L2] = "ReduceL2",
      [EP_OP_REDUCE_SUM_SQUARE] = "ReduceSumSquare",
      [EP_OP_REDUCE_LOG_SUM] = "ReduceLogSum",
      [EP_OP_REDUCE_LOG_SUM_EXP] = "ReduceLogSumExp",
      [EP_OP_LAYER_NORM] = "LayerNormalization",
      [EP_OP_SPLIT] = "Split",
      [EP_OP_TILE] = "Tile",
  };
  if ((int)op < 0 || op >= EP_OP_COUNT) return "Unknown";
  return names[op];
}

ep_attrs ep_attrs_default(ep_op op) {
  ep_attrs a;
  memset(&a, 0, sizeof a);
  switch (op) {
    case EP_OP_GEMM:
      a.alpha = 1.0f;
      a.beta = 1.0f;
      break;
    case EP_OP_LEAKY_RELU:
      a.alpha = 0.01f;
      break;
    case EP_OP_HARD_SIGMOID:
      a.alpha = 0.2f;
      a.beta = 0.5f;
      break;
    case EP_OP_CLIP:
      a.clip_min = -INFINITY;
      a.clip_max = INFINITY;
      break;
    case EP_OP_LRN:
      a.alpha = 1e-4f;
      a.beta = 0.75f;
      a.lrn_bias = 1.0f;
      break;
    case EP_OP_SOFTMAX:
    case EP_OP_LOG_SOFTMAX:
      a.axis = -1;
      break;
    case EP_OP_FLATTEN:
      a.axis = 1;
      break;
    case EP_OP_BATCH_NORM:
      a.epsilon = 1e-5f;
      break;
    case EP_OP_ATTENTION:
      a.alpha = 1.0f;
      break;
    case EP_OP_REDUCE_MEAN:
    case EP_OP_REDUCE_SUM:
    case EP_OP_REDUCE_MAX:
    case EP_OP_REDUCE_MIN:
    case EP_OP_REDUCE_PROD:
    case EP_OP_REDUCE_L1:
    case EP_OP_REDUCE_L2:
    case EP_OP_REDUCE_SUM_SQUARE:
    case EP_OP_REDUCE_LOG_SUM:
    case EP_OP_REDUCE_LOG_SUM_EXP:
      a.keepdims = true;
      break;
    case EP_OP_LAYER_NORM:
      a.axis = -1;
      a.epsilon = 1e-5f;
      break;
    case EP_OP_TILE:
      for (int i = 0; i < EP_MAX_RANK; i++) a.repeats[i] = 1;
      break;
    default:
      break;
  }
  return a;
}

const char* ep_activation_name(ep_activation act) {
  switch (act) {
    case EP_ACT_NONE:
      return "";
    case EP_ACT_RELU:
      return "Relu";
    case EP_ACT_RELU6:
      return "Relu6";
    case EP_ACT_SIGMOID:
      return "Sigmoid";
    case EP_ACT_TANH:
      return "Tanh";
    case EP_ACT_SILU:
      return "SiLU";
    case EP_ACT_HARD_SWISH:
      return "HardSwish";
    case EP_ACT_HARD_SIGMOID:
      return "HardSigmoid";
    case EP_ACT_GELU:
      return "Gelu";
    case EP_ACT_GELU_TANH:
      return "GeluTanh";
  }
  return "Unknown";
}

bool ep_op_is_weight_layer(ep_op op) {
  return op == EP_OP_CONV || op == EP_OP_FULLY_CONNECTED || op == EP_OP_LSTM ||
         op == EP_OP_GEMM || op == EP_OP_MATMUL || op == EP_OP_GRU;
}

/* --- storage ---------------------------------------------------------------------------- */

static uint64_t hash_name(const char* s) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

static int name_lookup(const ep_graph* g, const char* name) {
  if (g->n_name_slots == 0) return -1;
  size_t mask = (size_t)g->n_name_slots - 1;
  for (size_t i = hash_name(name) & mask;; i = (i + 1) & mask) {
    int id = g->name_slots[i];
    if (id < 0) return -1;
    if (strcmp(g->tensors[id].name, name) == 0) return id;
  }
}

static void name_insert(ep_graph* g, int id) {
  size_t mask = (size_t)g->n_name_slots - 1;
  size_t i = hash_name(g->tensors[id].name) & mask;
  while (g->name_slots[i] >= 0) i = (i + 1) & mask;
  g->name_slots[i] = id;
}

/* Keeps the name table at most half full for one more tensor. */
static ep_status name_reserve(ep_graph* g) {
  if (2 * (g->n_tensors + 1) <= g->n_name_slots) return EP_OK;
  int n = g->n_name_slots ? 2 * g->n_name_slots : 64;
  int* slots = malloc(sizeof *slots * (size_t)n);
  if (!slots) return ep_error(EP_ERR_OUT_OF_MEMORY, "graph: out of memory for the name table");
  free(g->name_slots);
  g->name_slots = slots;
  g->n_name_slots = n;
  for (int i = 0; i < n; i++) slots[i] = -1;
  for (int id = 0; id < g->n_tensors; id++) name_insert(g, id);
  return EP_OK;
}

static ep_status grow(void** items, int* cap, int need, size_t item_size) {
  if (need <= *cap) return EP_OK;
  int n = *cap ? *cap : 16;
  while (n < need) n *= 2;
  void* p = realloc(*items, item_size * (size_t)n);
  if (!p) return ep_error(EP_ERR_OUT_OF_MEMORY, "graph: out of memory");
  *items = p;
  *cap = n;
  return EP_OK;
}

static char* dup_string(const char* s) {
  size_t n = strlen(s) + 1;
  char* d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static ep_status check_building(const ep_graph* g, const char* what) {
  if (!g) return ep_error(EP_ERR_INVALID_ARGUMENT, "%s: graph is NULL", what);
  if (g->finalized) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "%s: graph %s is finalized and cannot change", what,
                    g->name);
  }
  return EP_OK;
}

/* Appends a tensor (name copied); on failure nothing changes. */
static ep_status add_tensor(ep_graph* g, const char* name, ep_shape shape, ep_tensor_kind kind,
                            int* id_out) {
  if (!name || !name[0]) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "graph %s: empty tensor name", g->name);
  }
  if (name_lookup(g, name) >= 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "graph %s: tensor name '%s' is already used", g->name,
                    name);
  }
  ep_status st = grow((void**)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof(ep_tensor));
  if (st != EP_OK) return st;
  st = name_reserve(g);
  if (st != EP_OK) return st;
  char* copy = dup_string(name);
  if (!copy) return ep_error(EP_ERR_OUT_OF_MEMORY, "graph: out of memory");
  ep_tensor* t = &g->tensors[g->n_tensors];
  memset(t, 0, sizeof *t);
  t->name = copy;
  t->shape = shape;
  t->kind = kind;
  t->producer = -1;
  t->last_consumer = -1;
  int id = g->n_tensors++;
  name_insert(g, id);
  *id_out = id;
  return EP_OK;
}

static ep_status check_shape(const ep_graph* g, const char* name, const ep_shape* shape) {
  if (shape->rank < 0 || shape->rank > EP_MAX_RANK) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "graph %s: tensor %s has rank %d (at most %d)",
                    g->name, name, shape->rank, EP_MAX_RANK);
  }
  for (int i = 0; i < shape->rank; i++) {
    if (shape->dims[i] <= 0 || shape->dims[i] > (INT64_C(1) << 40)) {
      char buf[128];
      return ep_error(EP_ERR_INVALID_ARGUMENT, "graph %s: tensor %s has invalid shape %s", g->name,
                      name, ep_shape_format(shape, buf, sizeof buf));
    }
  }
  return EP_OK;
}

/* --- building --------------------------------------------------------------------------- */

ep_status ep_graph_create(const char* name, ep_graph** graph_out) {
  if (!graph_out) return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_graph_create: graph_out is NULL");
  ep_graph* g = calloc(1, sizeof *g);
  if (!g) return ep_error(EP_ERR_OUT_OF_MEMORY, "ep_graph_create: out of memory");
  g->name = dup_string(name && name[0] ? name : "graph");
  if (!g->name) {
    free(g);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "ep_graph_create: out of memory");
  }
  *graph_out = g;
  return EP_OK;
}

void ep_graph_destroy(ep_graph* graph) {
  if (!graph) return;
  for (int i = 0; i < graph->n_tensors; i++) {
    free(graph->tensors[i].name);
    ep_graph_storage_release(graph->tensors[i].raw);
  }
  for (int i = 0; i < graph->n_nodes; i++) {
    free(graph->nodes[i].name);
    free(graph->nodes[i].inputs);
    free(graph->nodes[i].outputs);
  }
  free(graph->tensors);
  free(graph->nodes);
  free(graph->inputs);
  free(graph->outputs);
  free(graph->name_slots);
  free(graph->name);
  free(graph);
}

static ep_status check_dtype(const ep_graph* g, const char* name, ep_dtype dtype) {
  if (ep_dtype_size(dtype) == 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "graph %s: tensor %s has unknown dtype %d", g->name,
                    name, (int)dtype);
  }
  return EP_OK;
}

ep_status ep_graph_add_input_typed(ep_graph* graph, const char* name, ep_dtype dtype,
                                   ep_shape shape, int* tensor_out) {
  ep_status st = check_building(graph, "ep_graph_add_input");
  if (st != EP_OK) return st;
  st = check_shape(graph, name ? name : "(null)", &shape);
  if (st != EP_OK) return st;
  st = check_dtype(graph, name ? name : "(null)", dtype);
  if (st != EP_OK) return st;
  st = grow((void**)&graph->inputs, &graph->cap_inputs, graph->n_inputs + 1, sizeof(int));
  if (st != EP_OK) return st;
  int id;
  st = add_tensor(graph, name, shape, EP_TENSOR_INPUT, &id);
  if (st != EP_OK) return st;
  graph->tensors[id].dtype = dtype;
  graph->inputs[graph->n_inputs++] = id;
  if (tensor_out) *tensor_out = id;
  return EP_OK;
}

ep_status ep_graph_add_input(ep_graph* graph, const char* name, ep_shape shape, int* tensor_out) {
  return ep_graph_add_input_typed(graph, name, EP_DTYPE_FLOAT32, shape, tensor_out);
}

/* Adds constant `name` holding `storage` (a reference the graph now owns). */
static ep_status add_constant_storage(ep_graph* graph, const char* name, ep_dtype dtype,
                                      ep_shape shape, void* storage, int* tensor_out) {
  int id;
  ep_status st = add_tensor(graph, name, shape, EP_TENSOR_CONSTANT, &id);
  if (st != EP_OK) {
    ep_graph_storage_release(storage);
    return st;
  }
  graph->tensors[id].raw = storage;
  graph->tensors[id].dtype = dtype;
  if (tensor_out) *tensor_out = id;
  return EP_OK;
}

static ep_status check_constant(ep_graph* graph, const char* name, ep_dtype dtype,
                                const ep_shape* shape) {
  ep_status st = check_building(graph, "ep_graph_add_constant");
  if (st != EP_OK) return st;
  st = check_shape(graph, name ? name : "(null)", shape);
  if (st != EP_OK) return st;
  return check_dtype(graph, name ? name : "(null)", dtype);
}

ep_status ep_graph_add_constant_typed(ep_graph* graph, const char* name, ep_dtype dtype,
                                      ep_shape shape, const void* data, int* tensor_out) {
  ep_status st = check_constant(graph, name, dtype, &shape);
  if (st != EP_OK) return st;
  size_t n = (size_t)ep_shape_numel(&shape), size = ep_dtype_size(dtype);
  void* copy = ep_graph_storage_alloc(n * size);
  if (!copy) {
    return ep_error(EP_ERR_OUT_OF_MEMORY, "graph %s: out of memory for constant %s", graph->name,
                    name ? name : "(null)");
  }
  if (data) memcpy(copy, data, n * size);
  if (data && dtype == EP_DTYPE_BOOL) {
    uint8_t* b = copy;
    for (size_t i = 0; i < n; i++) b[i] = b[i] != 0;
  }
  return add_constant_storage(graph, name, dtype, shape, copy, tensor_out);
}

ep_status ep_graph_add_constant_shared(ep_graph* graph, const char* name, ep_dtype dtype,
                                       ep_shape shape, const void* storage, int* tensor_out) {
  if (storage == NULL || dtype == EP_DTYPE_BOOL) {
    return ep_graph_add_constant_typed(graph, name, dtype, shape, storage, tensor_out);
  }
  ep_status st = check_constant(graph, name, dtype, &shape);
  if (st != EP_OK) return st;
  ep_graph_storage_retain(storage);
  return add_constant_storage(graph, name, dtype, shape, (void*)storage, tensor_out);
}

ep_status ep_graph_add_constant(ep_graph* graph, const char* name, ep_shape shape,
                                const float* data, int* tensor_out) {
  return ep_graph_add_constant_typed(graph, name, EP_DTYPE_FLOAT32, shape, data, tensor_out);
}

void ep_graph_release_constant(ep_graph* graph, int tensor) {
  if (!graph || tensor < 0 || tensor >= graph->n_tensors) return;
  if (graph->tensors[tensor].kind != EP_TENSOR_CONSTANT) return;
  ep_graph_storage_release(graph->tensors[tensor].raw);
  graph->tensors[tensor].raw = NULL;
}

float* ep_graph_constant_data(ep_graph* graph, int tensor) {
  if (!graph || graph->finalized || tensor < 0 || tensor >= graph->n_tensors) return NULL;
  if (graph->tensors[tensor].kind != EP_TENSOR_CONSTANT) return NULL;
  return graph->tensors[tensor].data;
}

ep_status ep_graph_add_node(ep_graph* graph, ep_op op, const char* name, const ep_attrs* attrs,
                            const int* inputs, int n_inputs, int n_outputs,
                            const char* const* output_names, int* outputs_out) {
  ep_status st = check_building(graph, "ep_graph_add_node");
  if (st != EP_OK) return st;
  char auto_name[48];
  if (!name || !name[0]) {
    snprintf(auto_name, sizeof auto_name, "%s_%d", ep_op_name(op), graph->n_nodes);
    name = auto_name;
  }
  if ((int)op < 0 || op >= EP_OP_COUNT) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "node %s: unknown op %d", name, (int)op);
  }
  if (n_inputs < 0 || (n_inputs > 0 && !inputs)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "node %s: bad input list", name);
  }
  if (n_outputs < 1) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "node %s: needs at least one output", name);
  }
  for (int i = 0; i < n_inputs; i++) {
    if (inputs[i] == EP_TENSOR_ABSENT && ep_op_input_optional(op, i)) continue;
    if (inputs[i] < 0 || inputs[i] >= graph->n_tensors) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "node %s: input %d is unknown tensor id %d", name, i,
                      inputs[i]);
    }
  }
  st = grow((void**)&graph->nodes, &graph->cap_nodes, graph->n_nodes + 1, sizeof(ep_node));
  if (st != EP_OK) return st;

  ep_node node;
  memset(&node, 0, sizeof node);
  node.op = op;
  if (attrs) node.attrs = *attrs;
  node.n_inputs = n_inputs;
  node.n_outputs = n_outputs;
  /* A node name is only ever shown (tensor names are the keys): control characters from a
   * model file are escaped once here, for every table, JSON, chart and report. */
  node.name = ep_text_escape_controls_dup(name);
  node.inputs = malloc(sizeof(int) * (size_t)(n_inputs ? n_inputs : 1));
  node.outputs = malloc(sizeof(int) * (size_t)n_outputs);
  if (!node.name || !node.inputs || !node.outputs) {
    st = ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", name);
    goto fail;
  }
  if (n_inputs) memcpy(node.inputs, inputs, sizeof(int) * (size_t)n_inputs);

  /* Names are checked first so that only running out of memory can fail half-way. */
  char** out_names = calloc((size_t)n_outputs, sizeof(char*));
  if (!out_names) {
    st = ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", name);
    goto fail;
  }
  for (int i = 0; i < n_outputs && st == EP_OK; i++) {
    char buf[512];
    const char* out_name = output_names && output_names[i] ? output_names[i] : NULL;
    if (!out_name) {
      if (n_outputs == 1) {
        out_name = name;
      } else {
        snprintf(buf, sizeof buf, "%s:%d", name, i);
        out_name = buf;
      }
    }
    out_names[i] = dup_string(out_name);
    if (!out_names[i]) {
      st = ep_error(EP_ERR_OUT_OF_MEMORY, "node %s: out of memory", name);
    } else if (!out_name[0] || name_lookup(graph, out_name) >= 0) {
      st = ep_error(EP_ERR_INVALID_ARGUMENT, "node %s: output tensor name '%s' is %s", name,
                    out_name, out_name[0] ? "already used" : "empty");
    }
    for (int j = 0; j < i && st == EP_OK; j++) {
      if (strcmp(out_names[j], out_name) == 0) {
        st = ep_error(EP_ERR_INVALID_ARGUMENT, "node %s: two outputs are named '%s'", name,
                      out_name);
      }
    }
  }
  int first_new = graph->n_tensors;
  for (int i = 0; i < n_outputs && st == EP_OK; i++) {
    ep_shape empty;
    memset(&empty, 0, sizeof empty);
    st = add_tensor(graph, out_names[i], empty, EP_TENSOR_ACTIVATION, &node.outputs[i]);
    if (st == EP_OK) graph->tensors[node.outputs[i]].producer = graph->n_nodes;
  }
  if (st != EP_OK && graph->n_tensors > first_new) {
    /* Out of memory half-way: take the new outputs back so that the graph is unchanged. */
    while (graph->n_tensors > first_new) free(graph->tensors[--graph->n_tensors].name);
    for (int s = 0; s < graph->n_name_slots; s++) graph->name_slots[s] = -1;
    for (int id = 0; id < graph->n_tensors; id++) name_insert(graph, id);
  }
  for (int i = 0; i < n_outputs; i++) free(out_names[i]);
  free(out_names);
  if (st != EP_OK) goto fail;
  graph->nodes[graph->n_nodes] = node;
  if (outputs_out) memcpy(outputs_out, node.outputs, sizeof(int) * (size_t)n_outputs);
  graph->n_nodes++;
  return EP_OK;

fail:
  free(node.name);
  free(node.inputs);
  free(node.outputs);
  return st;
}

ep_status ep_graph_mark_output(ep_graph* graph, int tensor) {
  ep_status st = check_building(graph, "ep_graph_mark_output");
  if (st != EP_OK) return st;
  if (tensor < 0 || tensor >= graph->n_tensors) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "graph %s: output is unknown tensor id %d",
                    graph->name, tensor);
  }
  ep_tensor* t = &graph->tensors[tensor];
  if (t->kind == EP_TENSOR_CONSTANT) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "graph %s: constant %s cannot be a graph output",
                    graph->name, t->name);
  }
  if (t->is_output) return EP_OK;
  st = grow((void**)&graph->outputs, &graph->cap_outputs, graph->n_outputs + 1, sizeof(int));
  if (st != EP_OK) return st;
  graph->outputs[graph->n_outputs++] = tensor;
  t->is_output = true;
  return EP_OK;
}

ep_status ep_graph_finalize(ep_graph* graph) {
  ep_status st = check_building(graph, "ep_graph_finalize");
  if (st != EP_OK) return st;
  if (graph->n_outputs == 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "graph %s has no outputs (ep_graph_mark_output)",
                    graph->name);
  }
  for (int i = 0; i < graph->n_tensors; i++) graph->tensors[i].last_consumer = -1;
  for (int i = 0; i < graph->n_nodes; i++) {
    const ep_node* node = &graph->nodes[i];
    /* Nodes are added in order and read only existing tensors, so an input produced by a
     * later node cannot happen; a node reading its own output can't either. */
    st = ep_graph_infer_node(graph, i);
    if (st != EP_OK) return st;
    ep_graph_compute_node_cost(graph, i);
    for (int k = 0; k < node->n_inputs; k++) {
      if (node->inputs[k] >= 0) graph->tensors[node->inputs[k]].last_consumer = i;
    }
  }
  graph->finalized = true;
  return EP_OK;
}

/* --- reading ---------------------------------------------------------------------------- */

const char* ep_graph_name(const ep_graph* graph) { return graph ? graph->name : ""; }

bool ep_graph_is_finalized(const ep_graph* graph) { return graph && graph->finalized; }

int ep_graph_node_count(const ep_graph* graph) { return graph ? graph->n_nodes : 0; }

const ep_node* ep_graph_node(const ep_graph* graph, int index) {
  if (!graph || index < 0 || index >= graph->n_nodes) return NULL;
  return &graph->nodes[index];
}

int ep_graph_tensor_count(const ep_graph* graph) { return graph ? graph->n_tensors : 0; }

const ep_tensor* ep_graph_tensor(const ep_graph* graph, int id) {
  if (!graph || id < 0 || id >= graph->n_tensors) return NULL;
  return &graph->tensors[id];
}

int ep_graph_find_tensor(const ep_graph* graph, const char* name) {
  if (!graph || !name) return -1;
  return name_lookup(graph, name);
}

int ep_graph_input_count(const ep_graph* graph) { return graph ? graph->n_inputs : 0; }

int ep_graph_input(const ep_graph* graph, int index) {
  if (!graph || index < 0 || index >= graph->n_inputs) return -1;
  return graph->inputs[index];
}

int ep_graph_output_count(const ep_graph* graph) { return graph ? graph->n_outputs : 0; }

int ep_graph_output(const ep_graph* graph, int index) {
  if (!graph || index < 0 || index >= graph->n_outputs) return -1;
  return graph->outputs[index];
}

int64_t ep_graph_index_bound(const ep_graph* graph, int tensor) {
  int64_t bound = 0;
  for (int i = 0; graph && i < graph->n_nodes; i++) {
    const ep_node* n = &graph->nodes[i];
    if (n->op != EP_OP_GATHER || n->n_inputs < 2 || n->inputs[1] != tensor) continue;
    const ep_shape* x = &graph->tensors[n->inputs[0]].shape;
    int axis = n->attrs.axis < 0 ? n->attrs.axis + x->rank : n->attrs.axis;
    if (axis < 0 || axis >= x->rank) continue;
    if (bound == 0 || x->dims[axis] < bound) bound = x->dims[axis];
  }
  return bound;
}

int ep_graph_first_non_float(const ep_graph* graph) {
  for (int id = 0; graph && id < graph->n_tensors; id++) {
    const ep_tensor* t = &graph->tensors[id];
    if (t->kind != EP_TENSOR_CONSTANT && t->dtype != EP_DTYPE_FLOAT32) return id;
  }
  return -1;
}

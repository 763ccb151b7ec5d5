/* Inside the ONNX importer and exporter: the value table shared by the files of src/onnx.
 *
 * The importer walks the ONNX nodes in topological order. Every ONNX value name maps to one
 * `ov`: a dynamic float32 tensor of the graph being built (a graph input or a node's output),
 * a constant known at load (an initializer, a Constant node, or anything computed from
 * constants: the shape arithmetic exporters emit), or an input bound to a value by the caller.
 * Constants become graph constants only when a node reads them as data. */
#ifndef EDGEPROF_ONNX_INTERNAL_H
#define EDGEPROF_ONNX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/graph.h"
#include "edgeprof/onnx.h"
#include "onnx.pb-c.h"

/* ONNX TensorProto data types the importer knows. */
enum {
  ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3, ONNX_UINT16 = 4, ONNX_INT16 = 5,
  ONNX_INT32 = 6, ONNX_INT64 = 7, ONNX_STRING = 8, ONNX_BOOL = 9, ONNX_FLOAT16 = 10,
  ONNX_DOUBLE = 11, ONNX_UINT32 = 12, ONNX_UINT64 = 13, ONNX_BFLOAT16 = 16,
};

/* Largest tensor the importer accepts, in elements (4 TiB of floats would not load anyway). */
#define ONNX_MAX_NUMEL (INT64_C(1) << 36)

typedef enum ov_kind {
  OV_DYNAMIC, /* float32 tensor of the graph: `tensor` */
  OV_CONST,   /* known at load: `value` */
  OV_BOUND,   /* graph input with a value given by the caller: constant where one is needed */
  OV_POISON,  /* produced by an unsupported node: anything reading it is skipped */
} ov_kind;

typedef struct ov {
  char* name;
  ov_kind kind;
  bool runtime;         /* OV_POISON: would have been computed at run time (not a constant) */
  int tensor;           /* graph tensor id (-1 until a constant or bound input is materialized) */
  ep_host_tensor value; /* OV_CONST, OV_BOUND (owned) */
  /* OV_CONST, OV_BOUND: the file says bool (host tensors hold bools as int64 0 / 1), so the
   * graph tensor made of it is bool. */
  bool is_bool;
} ov;

typedef struct onnx_imp {
  const char* label; /* the file, for messages */
  const char* dir;   /* external data folder, NULL if none */
  const ep_onnx_options* options;
  int64_t opset;
  ep_graph* g;
  ov* values;
  int n_values, cap_values;
  int* slots; /* open addressing: name hash -> value index, -1 empty */
  int n_slots;
  const Onnx__GraphProto* graph;
  const Onnx__NodeProto* node; /* the node being imported */
  bool* absorbed;              /* per node: taken by an earlier node's importer (lookahead) */
  int* order;                  /* topological order of graph->node */
  int order_pos;               /* position of the node being imported in `order` */
  char reason[384];            /* why the current node is unsupported */
} onnx_imp;

/* --- value table (import.c) ---------------------------------------------------------------- */

ov* ep_imp_find(onnx_imp* c, const char* name);
/* Defines `name` as a graph tensor; a second definition of a name is a format error. */
ep_status ep_imp_set_tensor(onnx_imp* c, const char* name, int tensor);
/* Defines `name` as a constant; takes ownership of `value` (freed on failure too). */
ep_status ep_imp_set_const(onnx_imp* c, const char* name, ep_host_tensor* value);

/* Inputs of the current node: the count without trailing empty names; input i or NULL when
 * absent (empty name or past the end). */
int ep_imp_n_inputs(const Onnx__NodeProto* n);
ov* ep_imp_input(onnx_imp* c, const Onnx__NodeProto* n, int i);
/* Input i as a graph tensor (constants become graph constants named after the value, of the
 * value's dtype: float32, int64, or bool where the file says bool). Missing input: EP_ERR_FORMAT. */
ep_status ep_imp_tensor(onnx_imp* c, const Onnx__NodeProto* n, int i, int* tensor_out);
/* The same, where the op needs a dtype: a constant or bound value of another integer type is
 * made one of `dtype` (int64 <-> bool, as the host tensors hold bools as int64); a tensor
 * computed at run time is returned as it is (shape inference checks its dtype). */
ep_status ep_imp_tensor_as(onnx_imp* c, const Onnx__NodeProto* n, int i, ep_dtype dtype,
                           int* tensor_out);
/* Input i as a graph constant (weights that kernels pack at session creation): a constant or a
 * bound input; EP_ERR_UNSUPPORTED when computed at run time. */
ep_status ep_imp_weight(onnx_imp* c, const Onnx__NodeProto* n, int i, int* tensor_out);
/* Input i as a load-time constant (a constant or a bound input). EP_ERR_UNSUPPORTED with the
 * reason when it is computed at run time. */
ep_status ep_imp_const(onnx_imp* c, const Onnx__NodeProto* n, int i, const ep_host_tensor** out);
/* Adds a graph constant named after `base` (made unique) from float data. */
/* The same sharing `storage` (from ep_graph_storage_alloc: a host tensor's data) instead of
 * copying it; it must not change afterwards. */
ep_status ep_imp_add_constant_shared(onnx_imp* c, const char* base, ep_dtype dtype,
                                     ep_shape shape, const void* storage, int* tensor_out);
ep_status ep_imp_add_constant(onnx_imp* c, const char* base, ep_shape shape, const float* data,
                           int* tensor_out);
/* The same from data of any dtype. */
ep_status ep_imp_add_constant_typed(onnx_imp* c, const char* base, ep_dtype dtype, ep_shape shape,
                                    const void* data, int* tensor_out);
/* Adds a node of one output named `out_name` (or a unique name made from `node_name` when
 * NULL), infers its shape at once, and (when `onnx_out` is not NULL) defines that ONNX value. */
ep_status ep_imp_emit(onnx_imp* c, ep_op op, const char* node_name, const ep_attrs* attrs,
                   const int* inputs, int n_inputs, const char* out_name, const char* onnx_out,
                   int* tensor_out);
/* EP_ERR_FORMAT when a tensor's inferred shape holds more than ONNX_MAX_NUMEL elements. */
ep_status ep_imp_check_size(onnx_imp* c, int tensor);
/* Shape of a graph tensor. */
const ep_shape* ep_imp_shape(onnx_imp* c, int tensor);
/* A tensor name not used yet: "base/suffix", then "base/suffix_2", ... */
void ep_imp_unique_name(onnx_imp* c, const char* base, const char* suffix, char* buf, size_t size);
/* The ep node name for an ONNX node: its name, else its first output's. */
const char* ep_imp_node_name(const Onnx__NodeProto* n);
/* Records why the current node is unsupported and returns EP_ERR_UNSUPPORTED. */
ep_status ep_imp_unsupported(onnx_imp* c, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefixes the last error with the file (and `what` when not NULL), keeping `status`. */
ep_status ep_imp_wrap(ep_status status, const char* label, const char* what);
/* A malformed node: EP_ERR_FORMAT with "<file>: node <name> (<op>): <reason>". */
ep_status ep_imp_bad(onnx_imp* c, const char* format, ...) __attribute__((format(printf, 2, 3)));
/* Nodes after the current one in topological order that read `value`; writes up to `max`
 * indices into graph->node. */
int ep_imp_readers(onnx_imp* c, const char* value, int* nodes, int max);
/* True when `value` is one of the graph's outputs. */
bool ep_imp_is_graph_output(onnx_imp* c, const char* value);

/* --- attributes (import.c) ------------------------------------------------------------------ */

const Onnx__AttributeProto* ep_onnx_attr_find(const Onnx__NodeProto* n, const char* name);
int64_t ep_onnx_attr_int(const Onnx__NodeProto* n, const char* name, int64_t fallback);
float ep_onnx_attr_float(const Onnx__NodeProto* n, const char* name, float fallback);
/* Copies the string attribute into buf ("" when missing). */
const char* ep_onnx_attr_string(const Onnx__NodeProto* n, const char* name, char* buf, size_t size);
/* Integer list: the count (-1 when absent); EP_ERR_FORMAT via ep_imp_bad when longer than max. */
ep_status ep_onnx_attr_ints(onnx_imp* c, const Onnx__NodeProto* n, const char* name, int64_t* out,
                    int max, int* count_out);

/* --- tensors (tensor_proto.c) --------------------------------------------------------------- */

/* Converts a TensorProto to a host tensor (float types to float32, integer types and bool to
 * int64). `dir` is the folder of external data (NULL refuses it); `label` names the file in
 * messages. Checks dims, data lengths and external paths. */
/* The model in file `fd` (`size` bytes) parsed with its initializers read one at a time from a
 * mapping of the file (model_stream.c): NULL when the file cannot be mapped or its layout is
 * not the plain one (the caller then reads and parses it whole, which reports what is wrong). */
Onnx__ModelProto* ep_onnx_unpack_streamed(int fd, size_t size);

ep_status ep_onnx_tensor_from_proto(const Onnx__TensorProto* t, const char* dir, const char* label,
                                 ep_host_tensor* out);
/* Deep copy. */
ep_status ep_host_tensor_copy(const ep_host_tensor* src, ep_host_tensor* dst);
/* Allocates a tensor of shape and dtype (zeroed). */
ep_status ep_host_tensor_alloc(ep_dtype dtype, const ep_shape* shape, ep_host_tensor* out);
/* Element i as double / int64 whatever the dtype. */
double ep_host_get_f(const ep_host_tensor* t, int64_t i);
int64_t ep_host_get_i(const ep_host_tensor* t, int64_t i);

/* --- constant folding (shape_fold.c) -------------------------------------------------------- */

/* True for op types the constant evaluator knows. */
bool ep_onnx_fold_known(const char* op_type);
/* Ops that only make sense on constants here (Shape, Gather, ConstantOfShape, ...). */
bool ep_onnx_fold_only(const char* op_type);
/* Refuses the current node, a fold-only op (no run-time importer) whose input `input` is
 * computed at run time; EP_ERR_UNSUPPORTED. */
ep_status ep_onnx_fold_refuse_runtime(onnx_imp* c, const Onnx__NodeProto* n, int input);
/* Ops that read only their input's shape (Shape, Size): constant whenever the shape is known. */
bool ep_onnx_fold_shape_only(const char* op_type);
/* Evaluates the current node when it can be: every input it reads is a constant (Shape and
 * Size only need the input's shape). *done tells whether it did. */
ep_status ep_onnx_fold_node(onnx_imp* c, const Onnx__NodeProto* n, bool* done);

/* --- operators (op_import.c) ---------------------------------------------------------------- */

typedef ep_status (*onnx_import_fn)(onnx_imp* c, const Onnx__NodeProto* n);

/* --- reductions, LayerNormalization, Split, Tile (op_import_reduce.c), Einsum (einsum.c) ---- */

ep_status ep_onnx_import_reduce(onnx_imp* c, const Onnx__NodeProto* n);
ep_status ep_onnx_import_layer_norm(onnx_imp* c, const Onnx__NodeProto* n);
ep_status ep_onnx_import_split(onnx_imp* c, const Onnx__NodeProto* n);
ep_status ep_onnx_import_tile(onnx_imp* c, const Onnx__NodeProto* n);
ep_status ep_onnx_import_einsum(onnx_imp* c, const Onnx__NodeProto* n);
/* The importer of an op type of the default domain, NULL if none. */
onnx_import_fn ep_onnx_op_importer(const char* op_type);
/* The int64 and bool ops' importers (op_import_index.c), NULL for another op type. */
onnx_import_fn ep_onnx_index_importer(const char* op_type);

#endif /* EDGEPROF_ONNX_INTERNAL_H */

/* ONNX files: import a model into a graph, export a graph with its weights, and read and write
 * tensors (NumPy .npy and ONNX TensorProto .pb, the format of the ONNX test data).
 *
 * Import (opsets 7 to 21; float32, int64 and bool tensors, int32 inputs widened to int64): initializers in raw_data or typed fields, external
 * data files inside the model's folder, symbolic input dims (the first becomes 1; others need an
 * override), shape arithmetic (Shape, Gather, Squeeze, Concat, ...) folded to constants, Dropout
 * and Identity removed. A model with unsupported nodes is refused with EP_ERR_UNSUPPORTED and a
 * message listing every one (name, op type, domain, opset). Malformed files give EP_ERR_FORMAT and
 * a message naming the file, the node or tensor and the reason; no input makes the loader read
 * out of bounds.
 *
 * Thread-safety: every function here may be called from several threads at once on distinct
 * arguments. Errors leave a message for ep_last_error(). */
#ifndef EDGEPROF_ONNX_H
#define EDGEPROF_ONNX_H

#include <stddef.h>
#include <stdint.h>

#include "edgeprof/graph.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A tensor in host memory, as read from a file: owns `name` (may be NULL) and `data`
 * (ep_shape_numel(&shape) elements of dtype; dims may be 0, then data may be NULL). */
typedef struct ep_host_tensor {
  char* name;
  ep_dtype dtype;
  ep_shape shape;
  void* data;
} ep_host_tensor;

/* Frees what the tensor owns and zeroes it. NULL is a no-op. */
void ep_host_tensor_free(ep_host_tensor* tensor);

/* An input shape given by the user: replaces the file's (symbolic or fixed) dims. */
typedef struct ep_onnx_shape {
  char name[256];
  ep_shape shape;
} ep_onnx_shape;

/* Parses "name=1x3x224x224" (a scalar: "name=scalar"). EP_ERR_INVALID_ARGUMENT with a message
 * on bad text (no '=', a dim that is not a positive integer, rank over EP_MAX_RANK). */
ep_status ep_onnx_shape_parse(const char* text, ep_onnx_shape* shape_out);

typedef struct ep_onnx_options {
  const ep_onnx_shape* shapes; /* input shape overrides; an unknown name is an error */
  int n_shapes;
  /* Values of graph inputs known at load time. A bound input is used as a constant where an
   * operator needs one (Reshape's shape, Pad's pads, Squeeze's axes...) and stays a graph input
   * where it carries data. The ONNX test runner binds every input from its test data. */
  const ep_host_tensor* values;
  int n_values;
} ep_onnx_options;

/* Imports the model in the file at `path` (options may be NULL) into a finalized graph named
 * after the file (or the ONNX graph's name). Written only on success. */
ep_status ep_onnx_load(const char* path, const ep_onnx_options* options, ep_graph** graph_out);

/* The same from memory: `label` names the model in messages; external data files are looked up
 * in `dir` (NULL: external data is refused). */
ep_status ep_onnx_load_buffer(const void* data, size_t size, const char* label, const char* dir,
                              const ep_onnx_options* options, ep_graph** graph_out);

/* Writes a finalized graph as an ONNX model (opset 13, IR version 7) with its weights inline,
 * written atomically (a temporary file renamed over `path`). Every node maps to standard ONNX
 * ops; ep_onnx_load gives back the same graph: nodes, names, attributes, shapes and weights
 * bit for bit. Fused ops of an optimized graph come back unfused: a fused activation becomes a
 * separate node, a conv with a residual a Conv then an Add (then the activation); optimizing
 * the loaded graph fuses them again. */
ep_status ep_onnx_export(const ep_graph* graph, const char* path);
/* The nodes [first, end) alone, as a model whose inputs and outputs are
 * ep_graph_range_inputs/outputs (the tensors crossing the cuts, named as in the graph), and only
 * the weights those nodes read. `name` names the ONNX graph (NULL: the graph's name). */
ep_status ep_onnx_export_range(const ep_graph* graph, int first, int end, const char* name,
                               const char* path);

/* Reads a tensor file: NumPy .npy (format 1.0, 2.0 or 3.0; '<f4', '<f8', '<i8', '<i4', '|b1'
 * in C order: f8 becomes float32, integers and bools int64) or ONNX TensorProto .pb (FLOAT, DOUBLE, INT64,
 * INT32 and smaller integers, BOOL). The format is chosen by the file's first bytes. */
ep_status ep_tensor_file_read(const char* path, ep_host_tensor* tensor_out);

/* Writes float32 data of `shape` as .npy, or as a TensorProto .pb named `name` when `path`
 * ends in ".pb". Atomic like ep_onnx_export. */
ep_status ep_tensor_file_write(const char* path, const char* name, const ep_shape* shape,
                               const float* data);
/* The bytes ep_tensor_file_write would write to `path` (its extension picks the format), in a
 * buffer to free() with free(); for callers that write through their own (atomic) file. */
ep_status ep_tensor_file_encode(const char* path, const char* name, const ep_shape* shape,
                                const float* data, uint8_t** bytes_out, size_t* size_out);
/* The same for any dtype: int64 as '<i8' / INT64, bool (bytes 0 or 1) as '|b1' / BOOL. */
ep_status ep_tensor_file_write_typed(const char* path, const char* name, ep_dtype dtype,
                                     const ep_shape* shape, const void* data);
ep_status ep_tensor_file_encode_typed(const char* path, const char* name, ep_dtype dtype,
                                      const ep_shape* shape, const void* data, uint8_t** bytes_out,
                                      size_t* size_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_ONNX_H */

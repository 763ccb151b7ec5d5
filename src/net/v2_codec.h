/* The Open Inference Protocol (KServe v2) body codec, internal to src/net: inference requests
 * and responses as JSON, with the binary tensor data extension (a JSON header of
 * Inference-Header-Content-Length bytes, then the raw little-endian tensor bytes in tensor
 * order). Only FP32 tensors: the one type edgeprof's graphs carry between nodes. */
#ifndef EDGEPROF_NET_V2_CODEC_H
#define EDGEPROF_NET_V2_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "edgeprof/graph.h"
#include "edgeprof/net.h"

#define V2_MAX_TENSORS 1024
#define V2_MAX_NAME 255

/* A tensor read from a body: values copied out (owned, free with ep_v2_message_free). */
typedef struct v2_tensor {
  char name[V2_MAX_NAME + 1];
  ep_shape shape;
  size_t numel;
  float* data;
  bool binary; /* an output asked for in binary (request), or sent in binary (response) */
} v2_tensor;

/* A request ("inputs", and the "outputs" asked for) or a response ("outputs"). */
typedef struct v2_message {
  char id[129];
  char model_name[V2_MAX_NAME + 1];
  v2_tensor* tensors; /* the request's inputs, or the response's outputs */
  int n_tensors;
  v2_tensor* wanted; /* request only: the outputs asked for by name (no data) */
  int n_wanted;
  bool binary_output; /* request: "binary_data_output" for every output */
} v2_message;

/* A tensor to write. */
typedef struct v2_out {
  const char* name;
  ep_shape shape;
  const float* data;
  bool binary;
} v2_out;

/* Parses a body. header_length: the Inference-Header-Content-Length, or -1 when the whole body
 * is JSON. `request` picks which list is read. On failure returns false with one line in `why`;
 * `out` is then empty. */
bool ep_v2_parse(const uint8_t* body, size_t length, long long header_length, bool request,
              v2_message* out, char* why, size_t why_size);
void ep_v2_message_free(v2_message* message);

/* Writes a body into `buf` (cleared first): a request with `tensors` as inputs (asking for
 * binary outputs when `binary_output`), or a response with them as outputs. Binary tensors go
 * after the JSON; *header_length_out is the JSON's length (the whole body when none is binary).
 * False (out of memory, or a NaN/infinity in a JSON tensor, which JSON cannot hold) with `why`. */
bool ep_v2_write(ep_net_buf* buf, bool request, const char* model_name, const char* id,
              const v2_out* tensors, int n_tensors, bool binary_output, size_t* header_length_out,
              char* why, size_t why_size);

/* Appends a JSON string literal (quoted, escaped). */
void ep_v2_put_json_string(ep_net_buf* buf, const char* text);

#endif /* EDGEPROF_NET_V2_CODEC_H */

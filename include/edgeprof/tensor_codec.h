/* Compressed cut tensors: the encoding a split sends across a link instead of float32, and its
 * inverse. Shared by the planner (which counts the encoded bytes and measures the error the
 * round trip causes) and the network code (which sends the encoded bytes), so both agree on
 * every byte. Formats (all little-endian):
 *
 *   fp32          numel x float32, as is.
 *   fp16          numel x IEEE binary16, round to nearest even; values beyond +-65504 become
 *                 +-inf, as a float32 -> float16 cast does.
 *   int8          one float32 scale, then numel x int8: q = round(x / scale) clamped to
 *                 [-127, 127], scale = max |x| / 127 (symmetric, no zero point); restored as
 *                 q x scale. A tensor of zeros has scale 0.
 *   int8-channel  `channels` float32 scales (one per index of dim 1, the channel of NCHW and
 *                 of [N, C] tensors), then numel x int8, each element with its channel's scale.
 *
 * NaN encodes as 0 in int8 (the scale ignores non-finite values; +-inf saturate to +-127).
 * Pure functions: thread-safe, no allocation. */
#ifndef EDGEPROF_TENSOR_CODEC_H
#define EDGEPROF_TENSOR_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ep_cut_dtype {
  EP_CUT_FP32 = 0,
  EP_CUT_FP16 = 1,
  EP_CUT_INT8 = 2,         /* one scale per tensor */
  EP_CUT_INT8_CHANNEL = 3, /* one scale per channel (dim 1) */
} ep_cut_dtype;

/* "fp32", "fp16", "int8", "int8-channel". */
const char* ep_cut_dtype_name(ep_cut_dtype dtype);
/* The names above; EP_ERR_INVALID_ARGUMENT lists them. */
ep_status ep_cut_dtype_parse(const char* text, ep_cut_dtype* dtype_out);

/* The layout of one tensor for the codec: numel = outer x channels x inner, channels the size of
 * dim 1 (1 for a tensor of rank < 2), outer dim 0, inner the product of the dims after 1. */
typedef struct ep_codec_shape {
  int64_t outer;
  int64_t channels;
  int64_t inner;
} ep_codec_shape;

/* From a tensor's dims (rank 0..6). */
ep_codec_shape ep_codec_shape_of(int rank, const int64_t* dims);

/* Bytes of the encoding of a tensor of that shape (-1 for a negative size). */
int64_t ep_tensor_encoded_bytes(ep_cut_dtype dtype, const ep_codec_shape* shape);

/* Encodes `data` (outer x channels x inner floats) into `out` of `out_size` bytes (at least
 * ep_tensor_encoded_bytes). EP_ERR_INVALID_ARGUMENT when it is too small. */
ep_status ep_tensor_encode(ep_cut_dtype dtype, const ep_codec_shape* shape, const float* data,
                           uint8_t* out, size_t out_size);
/* Decodes `size` bytes (exactly ep_tensor_encoded_bytes) into `data`. EP_ERR_FORMAT for
 * another size or a non-finite or negative scale (a message from a peer is not trusted). */
ep_status ep_tensor_decode(ep_cut_dtype dtype, const ep_codec_shape* shape, const uint8_t* in,
                           size_t size, float* data);

/* Encodes and decodes in place in `data`: what the receiver of the compressed tensor sees. Uses
 * no memory beyond the tensor itself. */
void ep_tensor_round_trip(ep_cut_dtype dtype, const ep_codec_shape* shape, float* data);

/* float32 <-> IEEE binary16 bits (round to nearest even). */
uint16_t ep_f32_to_f16(float value);
float ep_f16_to_f32(uint16_t bits);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_TENSOR_CODEC_H */

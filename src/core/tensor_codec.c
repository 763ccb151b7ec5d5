/* Compressed cut tensors: fp16 and symmetric int8 (per tensor or per channel). */
#include "edgeprof/tensor_codec.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

static const char* const dtype_names[] = {"fp32", "fp16", "int8", "int8-channel"};
#define N_DTYPES (int)(sizeof dtype_names / sizeof dtype_names[0])

const char* ep_cut_dtype_name(ep_cut_dtype dtype) {
  return (int)dtype >= 0 && (int)dtype < N_DTYPES ? dtype_names[dtype] : "unknown";
}

ep_status ep_cut_dtype_parse(const char* text, ep_cut_dtype* dtype_out) {
  for (int i = 0; text != NULL && i < N_DTYPES; i++) {
    if (strcmp(text, dtype_names[i]) == 0) {
      *dtype_out = (ep_cut_dtype)i;
      return EP_OK;
    }
  }
  return ep_error(EP_ERR_INVALID_ARGUMENT,
                  "unknown cut dtype '%s' (fp32, fp16, int8 or int8-channel)",
                  text != NULL ? text : "");
}

ep_codec_shape ep_codec_shape_of(int rank, const int64_t* dims) {
  ep_codec_shape s = {1, 1, 1};
  if (rank >= 1) s.outer = dims[0];
  if (rank >= 2) s.channels = dims[1];
  /* A 0 anywhere makes the tensor empty whatever the other dims hold: their product is never
   * formed (it can overflow; the frame fuzzer found it). */
  for (int i = 0; i < rank; i++) {
    if (dims[i] == 0) return (ep_codec_shape){s.outer, s.channels, 0};
  }
  for (int i = 2; i < rank; i++) s.inner *= dims[i];
  return s;
}

static int64_t numel(const ep_codec_shape* s) {
  if (s->outer == 0 || s->channels == 0 || s->inner == 0) return 0;
  return s->outer * s->channels * s->inner;
}

static int scales_of(ep_cut_dtype dtype, const ep_codec_shape* s) {
  return dtype == EP_CUT_INT8 ? 1 : dtype == EP_CUT_INT8_CHANNEL ? (int)s->channels : 0;
}

int64_t ep_tensor_encoded_bytes(ep_cut_dtype dtype, const ep_codec_shape* shape) {
  if (shape == NULL || shape->outer < 0 || shape->channels < 0 || shape->inner < 0) return -1;
  int64_t n = numel(shape);
  switch (dtype) {
    case EP_CUT_FP32: return 4 * n;
    case EP_CUT_FP16: return 2 * n;
    case EP_CUT_INT8: return 4 + n;
    case EP_CUT_INT8_CHANNEL: return 4 * shape->channels + n;
  }
  return -1;
}

uint16_t ep_f32_to_f16(float value) {
  uint32_t x;
  memcpy(&x, &value, 4);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  uint32_t exp = (x >> 23) & 0xffu;
  uint32_t mant = x & 0x7fffffu;
  if (exp == 0xffu) return (uint16_t)(sign | 0x7c00u | (mant != 0 ? 0x200u : 0u)); /* inf, NaN */
  int e = (int)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00u); /* overflow: inf */
  if (e <= 0) {
    /* Subnormal half (or zero): shift the mantissa with its implicit 1, round to nearest even. */
    if (e < -10) return sign;
    uint32_t m = mant | 0x800000u;
    int shift = 14 - e;
    uint32_t half = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = ((uint32_t)e << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) half++; /* may carry into inf: right */
  return (uint16_t)(sign | half);
}

float ep_f16_to_f32(uint16_t bits) {
  uint32_t sign = (uint32_t)(bits & 0x8000u) << 16;
  uint32_t exp = (bits >> 10) & 0x1fu;
  uint32_t mant = bits & 0x3ffu;
  uint32_t x;
  if (exp == 0x1fu) {
    x = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    x = sign | ((exp - 15 + 127) << 23) | (mant << 13);
  } else if (mant == 0) {
    x = sign;
  } else {
    /* Subnormal: normalize. */
    int e = -1;
    do {
      e++;
      mant <<= 1;
    } while ((mant & 0x400u) == 0);
    x = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
  }
  float f;
  memcpy(&f, &x, 4);
  return f;
}

/* max |x| / 127 over the finite elements of one channel (all of them when channels is 1). */
static float channel_scale(const ep_codec_shape* s, const float* data, int64_t c, bool per_channel) {
  float maxabs = 0.0f;
  int64_t channels = per_channel ? s->channels : 1;
  int64_t inner = per_channel ? s->inner : s->channels * s->inner;
  for (int64_t o = 0; o < s->outer; o++) {
    const float* p = data + (o * channels + c) * inner;
    for (int64_t i = 0; i < inner; i++) {
      float a = fabsf(p[i]);
      if (isfinite(a) && a > maxabs) maxabs = a;
    }
  }
  return maxabs / 127.0f;
}

static int8_t quantize(float x, float scale) {
  if (isnan(x) || scale == 0.0f) return 0;
  float q = nearbyintf(x / scale);
  if (!(q <= 127.0f)) return 127;
  if (!(q >= -127.0f)) return -127;
  return (int8_t)q;
}

/* Calls fn(element index, channel index) in memory order. */
#define FOR_EACH_ELEMENT(s, per_channel, body)                                      \
  do {                                                                              \
    int64_t channels_ = (per_channel) ? (s)->channels : 1;                          \
    int64_t inner_ = (per_channel) ? (s)->inner : (s)->channels * (s)->inner;       \
    for (int64_t o_ = 0; o_ < (s)->outer; o_++)                                     \
      for (int64_t c = 0; c < channels_; c++)                                       \
        for (int64_t i_ = 0; i_ < inner_; i_++) {                                   \
          int64_t idx = (o_ * channels_ + c) * inner_ + i_;                         \
          body;                                                                     \
        }                                                                           \
  } while (0)

ep_status ep_tensor_encode(ep_cut_dtype dtype, const ep_codec_shape* shape, const float* data,
                           uint8_t* out, size_t out_size) {
  int64_t need = ep_tensor_encoded_bytes(dtype, shape);
  if (need < 0 || data == NULL || out == NULL || (uint64_t)need > (uint64_t)out_size) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "tensor encode (%s): %lld bytes needed, %zu given",
                    ep_cut_dtype_name(dtype), (long long)need, out_size);
  }
  int64_t n = numel(shape);
  if (dtype == EP_CUT_FP32) {
    for (int64_t i = 0; i < n; i++) {
      uint32_t x;
      memcpy(&x, &data[i], 4);
      for (int b = 0; b < 4; b++) out[4 * i + b] = (uint8_t)(x >> (8 * b));
    }
  } else if (dtype == EP_CUT_FP16) {
    for (int64_t i = 0; i < n; i++) {
      uint16_t h = ep_f32_to_f16(data[i]);
      out[2 * i] = (uint8_t)h;
      out[2 * i + 1] = (uint8_t)(h >> 8);
    }
  } else {
    bool per_channel = dtype == EP_CUT_INT8_CHANNEL;
    int n_scales = scales_of(dtype, shape);
    for (int c = 0; c < n_scales; c++) {
      float scale = channel_scale(shape, data, c, per_channel);
      uint32_t x;
      memcpy(&x, &scale, 4);
      for (int b = 0; b < 4; b++) out[4 * c + b] = (uint8_t)(x >> (8 * b));
    }
    uint8_t* q = out + 4 * (int64_t)n_scales;
    FOR_EACH_ELEMENT(shape, per_channel, {
      uint32_t x = (uint32_t)out[4 * c] | (uint32_t)out[4 * c + 1] << 8 |
                   (uint32_t)out[4 * c + 2] << 16 | (uint32_t)out[4 * c + 3] << 24;
      float scale;
      memcpy(&scale, &x, 4);
      q[idx] = (uint8_t)quantize(data[idx], scale);
    });
  }
  return EP_OK;
}

static float read_f32(const uint8_t* p) {
  uint32_t x = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
  float f;
  memcpy(&f, &x, 4);
  return f;
}

ep_status ep_tensor_decode(ep_cut_dtype dtype, const ep_codec_shape* shape, const uint8_t* in,
                           size_t size, float* data) {
  int64_t need = ep_tensor_encoded_bytes(dtype, shape);
  if (need < 0 || in == NULL || data == NULL || (uint64_t)need != (uint64_t)size) {
    return ep_error(EP_ERR_FORMAT, "tensor decode (%s): %zu bytes, expected %lld",
                    ep_cut_dtype_name(dtype), size, (long long)need);
  }
  int64_t n = numel(shape);
  if (dtype == EP_CUT_FP32) {
    for (int64_t i = 0; i < n; i++) data[i] = read_f32(in + 4 * i);
  } else if (dtype == EP_CUT_FP16) {
    for (int64_t i = 0; i < n; i++) {
      data[i] = ep_f16_to_f32((uint16_t)(in[2 * i] | in[2 * i + 1] << 8));
    }
  } else {
    bool per_channel = dtype == EP_CUT_INT8_CHANNEL;
    int n_scales = scales_of(dtype, shape);
    for (int c = 0; c < n_scales; c++) {
      float scale = read_f32(in + 4 * c);
      if (!isfinite(scale) || scale < 0) {
        return ep_error(EP_ERR_FORMAT, "tensor decode (%s): scale %d is %g", ep_cut_dtype_name(dtype),
                        c, (double)scale);
      }
    }
    const int8_t* q = (const int8_t*)(in + 4 * (int64_t)n_scales);
    FOR_EACH_ELEMENT(shape, per_channel, { data[idx] = (float)q[idx] * read_f32(in + 4 * c); });
  }
  return EP_OK;
}

void ep_tensor_round_trip(ep_cut_dtype dtype, const ep_codec_shape* shape, float* data) {
  if (shape == NULL || data == NULL || ep_tensor_encoded_bytes(dtype, shape) < 0) return;
  int64_t n = numel(shape);
  if (dtype == EP_CUT_FP16) {
    for (int64_t i = 0; i < n; i++) data[i] = ep_f16_to_f32(ep_f32_to_f16(data[i]));
  } else if (dtype == EP_CUT_INT8 || dtype == EP_CUT_INT8_CHANNEL) {
    bool per_channel = dtype == EP_CUT_INT8_CHANNEL;
    int n_scales = scales_of(dtype, shape);
    for (int c = 0; c < n_scales; c++) {
      float scale = channel_scale(shape, data, c, per_channel);
      int64_t channels = per_channel ? shape->channels : 1;
      int64_t inner = per_channel ? shape->inner : shape->channels * shape->inner;
      for (int64_t o = 0; o < shape->outer; o++) {
        float* p = data + (o * channels + c) * inner;
        for (int64_t i = 0; i < inner; i++) p[i] = (float)quantize(p[i], scale) * scale;
      }
    }
  }
}

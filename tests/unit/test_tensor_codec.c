/* The cut-tensor codec: sizes of every format, fp16 conversion against known bit patterns
 * (normal, subnormal, ties to even, overflow, inf, NaN), int8 round trips within half a step of
 * the scale, per-channel scales, encode/decode equal to the in-place round trip, and decode
 * refusing a wrong size or a bad scale. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/tensor_codec.h"
#include "test_support.h"

static void test_names_and_sizes(void) {
  ep_cut_dtype d;
  const char* names[] = {"fp32", "fp16", "int8", "int8-channel"};
  for (int i = 0; i < 4; i++) {
    EP_CHECK_OK(ep_cut_dtype_parse(names[i], &d));
    EP_CHECK((int)d == i && strcmp(ep_cut_dtype_name(d), names[i]) == 0);
  }
  EP_CHECK(ep_cut_dtype_parse("bf16", &d) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(strstr(ep_last_error(), "int8-channel") != NULL);
  ep_codec_shape s = ep_codec_shape_of(4, (int64_t[]){1, 64, 56, 56});
  EP_CHECK(s.outer == 1 && s.channels == 64 && s.inner == 56 * 56);
  int64_t n = 64 * 56 * 56;
  EP_CHECK(ep_tensor_encoded_bytes(EP_CUT_FP32, &s) == 4 * n);
  EP_CHECK(ep_tensor_encoded_bytes(EP_CUT_FP16, &s) == 2 * n);
  EP_CHECK(ep_tensor_encoded_bytes(EP_CUT_INT8, &s) == n + 4);
  EP_CHECK(ep_tensor_encoded_bytes(EP_CUT_INT8_CHANNEL, &s) == n + 4 * 64);
  ep_codec_shape v = ep_codec_shape_of(1, (int64_t[]){10});
  EP_CHECK(v.outer == 10 && v.channels == 1 && v.inner == 1);
  ep_codec_shape sc = ep_codec_shape_of(0, NULL);
  EP_CHECK(ep_tensor_encoded_bytes(EP_CUT_FP32, &sc) == 4);
}

static void test_fp16(void) {
  const struct {
    float f;
    uint16_t h;
  } cases[] = {
      {0.0f, 0x0000},        {-0.0f, 0x8000},        {1.0f, 0x3c00},
      {-2.0f, 0xc000},       {65504.0f, 0x7bff},     {65520.0f, 0x7c00}, /* rounds up to inf */
      {1e6f, 0x7c00},        {5.9604645e-8f, 0x0001}, /* smallest subnormal */
      {6.1035156e-5f, 0x0400}, /* smallest normal */
      {1.0009766f, 0x3c01},  {1.00048828125f, 0x3c00}, /* tie: to even (down) */
      {1.00146484375f, 0x3c02},                         /* tie: to even (up) */
      {2.9802322e-8f, 0x0000},                           /* half the smallest: tie to 0 */
      {0.33325195f, 0x3555},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint16_t h = ep_f32_to_f16(cases[i].f);
    EP_CHECK_MSG(h == cases[i].h, "%.9g -> 0x%04x, expected 0x%04x", (double)cases[i].f, h,
                 cases[i].h);
  }
  EP_CHECK(isinf(ep_f16_to_f32(ep_f32_to_f16(INFINITY))));
  EP_CHECK(isnan(ep_f16_to_f32(ep_f32_to_f16(NAN))));
  /* Every finite half converts to float and back to itself. */
  int bad = 0;
  for (uint32_t h = 0; h < 0x10000u; h++) {
    if ((h & 0x7c00u) == 0x7c00u) continue;
    if (ep_f32_to_f16(ep_f16_to_f32((uint16_t)h)) != h) bad++;
  }
  EP_CHECK_MSG(bad == 0, "%d halves do not survive a round trip", bad);
}

static uint32_t rng = 12345u;
static float uniform(void) {
  rng = rng * 1664525u + 1013904223u;
  return (float)(rng >> 8) / 16777216.0f * 2.0f - 1.0f;
}

static void test_int8(void) {
  enum { C = 5, INNER = 37 };
  ep_codec_shape s = {2, C, INNER};
  int64_t n = 2 * C * INNER;
  float* x = malloc((size_t)n * sizeof *x);
  float* y = malloc((size_t)n * sizeof *y);
  float* z = malloc((size_t)n * sizeof *z);
  uint8_t* buf = malloc((size_t)n * 4 + 64);
  if (x == NULL || y == NULL || z == NULL || buf == NULL) {
    EP_CHECK(!"no memory");
    goto done;
  }
  /* Channel c spans +-10^(c-2): per-channel scales matter. */
  for (int64_t i = 0; i < n; i++) {
    int64_t c = (i / INNER) % C;
    x[i] = uniform() * powf(10.0f, (float)c - 2.0f);
  }
  for (int dt = 0; dt < 4; dt++) {
    ep_cut_dtype d = (ep_cut_dtype)dt;
    int64_t bytes = ep_tensor_encoded_bytes(d, &s);
    EP_CHECK_OK(ep_tensor_encode(d, &s, x, buf, (size_t)bytes));
    EP_CHECK_OK(ep_tensor_decode(d, &s, buf, (size_t)bytes, y));
    memcpy(z, x, (size_t)n * sizeof *z);
    ep_tensor_round_trip(d, &s, z);
    EP_CHECK_MSG(memcmp(y, z, (size_t)n * sizeof *y) == 0, "%s: decode(encode) != round trip",
                 ep_cut_dtype_name(d));
    double worst = 0, worst_rel_channel0 = 0;
    for (int64_t i = 0; i < n; i++) {
      int64_t c = (i / INNER) % C;
      double tol = d == EP_CUT_FP32   ? 0
                   : d == EP_CUT_FP16 ? fabs(x[i]) * 0x1p-11 + 0x1p-25
                   : d == EP_CUT_INT8 ? 100.0 / 127 / 2 * 1.0001
                                      : pow(10.0, (double)c - 2) / 127 / 2 * 1.0001;
      double err = fabs((double)y[i] - x[i]);
      if (err > tol) worst = fmax(worst, err - tol);
      if (c == 0) worst_rel_channel0 = fmax(worst_rel_channel0, err);
    }
    EP_CHECK_MSG(worst == 0, "%s: an element is off by %g beyond half a step",
                 ep_cut_dtype_name(d), worst);
    if (d == EP_CUT_INT8_CHANNEL) EP_CHECK(worst_rel_channel0 <= 0.01 / 254 * 1.0001);
    EP_CHECK(ep_tensor_decode(d, &s, buf, (size_t)bytes - 1, y) == EP_ERR_FORMAT);
    EP_CHECK(ep_tensor_encode(d, &s, x, buf, (size_t)bytes - 1) == EP_ERR_INVALID_ARGUMENT);
  }
  /* The largest magnitude maps to +-127 exactly; zeros give scale 0 and decode to zeros. */
  float big[3] = {-3.0f, 1.5f, 0.0f};
  ep_codec_shape s3 = {3, 1, 1};
  ep_tensor_encode(EP_CUT_INT8, &s3, big, buf, 7);
  EP_CHECK((int8_t)buf[4] == -127 && (int8_t)buf[5] == 64 && buf[6] == 0);
  float zeros[3] = {0, 0, 0};
  ep_tensor_encode(EP_CUT_INT8, &s3, zeros, buf, 7);
  EP_CHECK(buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0);
  EP_CHECK_OK(ep_tensor_decode(EP_CUT_INT8, &s3, buf, 7, y));
  EP_CHECK(y[0] == 0 && y[1] == 0 && y[2] == 0);
  /* Non-finite inputs: NaN -> 0, inf saturates; the scale ignores them. */
  float odd[3] = {NAN, INFINITY, 2.0f};
  ep_tensor_encode(EP_CUT_INT8, &s3, odd, buf, 7);
  EP_CHECK(buf[4] == 0 && (int8_t)buf[5] == 127 && (int8_t)buf[6] == 127);
  /* A bad scale from a peer is refused. */
  float nan_scale = NAN;
  memcpy(buf, &nan_scale, 4);
  EP_CHECK(ep_tensor_decode(EP_CUT_INT8, &s3, buf, 7, y) == EP_ERR_FORMAT);
done:
  free(x);
  free(y);
  free(z);
  free(buf);
}

int main(void) {
  test_names_and_sizes();
  test_fp16();
  test_int8();
  return ep_test_finish();
}

/* The wire protocol: frame header and payloads, explicit little-endian encode and decode.
 * Layouts: docs/protocol.md. Decoders check every length before reading. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "edgeprof/net.h"

/* The header's wire layout, byte arrays only so that the compiler adds no padding: sizes and
 * offsets are checked here and encode/decode go field by field, never through a struct copy. */
typedef struct header_wire {
  uint8_t magic[4];
  uint8_t version[2];
  uint8_t type[2];
  uint8_t flags[4];
  uint8_t payload_length[4];
  uint8_t request_id[8];
} header_wire;

_Static_assert(sizeof(header_wire) == EP_NET_HEADER_SIZE, "frame header is 24 bytes");
_Static_assert(offsetof(header_wire, version) == 4, "version at 4");
_Static_assert(offsetof(header_wire, type) == 6, "type at 6");
_Static_assert(offsetof(header_wire, flags) == 8, "flags at 8");
_Static_assert(offsetof(header_wire, payload_length) == 12, "payload length at 12");
_Static_assert(offsetof(header_wire, request_id) == 16, "request id at 16");
_Static_assert(sizeof(float) == 4 && sizeof(double) == 8, "IEEE 754 binary32 and binary64");

static void le16(uint8_t* p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t rd16(const uint8_t* p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t* p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t rd64(const uint8_t* p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

const char* ep_net_type_name(uint16_t type) {
  static const char* const names[] = {"?",       "HELLO", "HELLO_OK", "PROFILE_REQUEST",
                                      "PROFILE", "INFER", "RESULT",   "ERROR",
                                      "BUSY",    "PING",  "PONG"};
  return type <= EP_NET_TYPE_MAX ? names[type] : "?";
}

const char* ep_net_error_name(uint32_t code) {
  switch (code) {
    case EP_NET_OK:
      return "ok";
    case EP_NET_E_MALFORMED:
      return "malformed frame";
    case EP_NET_E_TOO_LARGE:
      return "frame too large";
    case EP_NET_E_VERSION:
      return "unsupported protocol version";
    case EP_NET_E_UNAUTHORIZED:
      return "unauthorized";
    case EP_NET_E_UNKNOWN_MODEL:
      return "unknown model";
    case EP_NET_E_BAD_SPLIT:
      return "bad split";
    case EP_NET_E_BAD_TENSORS:
      return "tensors do not match the cut";
    case EP_NET_E_NOT_READY:
      return "no HELLO yet";
    case EP_NET_E_UNEXPECTED:
      return "unexpected frame type";
    case EP_NET_E_TIMEOUT:
      return "timeout";
    case EP_NET_E_INTERNAL:
      return "server failure";
    case EP_NET_E_SHUTDOWN:
      return "server shutting down";
  }
  return "unknown error code";
}

void ep_net_header_encode(const ep_net_header* h, uint8_t out[EP_NET_HEADER_SIZE]) {
  header_wire* w = (header_wire*)out;
  le32(w->magic, h->magic);
  le16(w->version, h->version);
  le16(w->type, h->type);
  le32(w->flags, h->flags);
  le32(w->payload_length, h->payload_length);
  le64(w->request_id, h->request_id);
}

ep_net_error_code ep_net_header_decode(const uint8_t in[EP_NET_HEADER_SIZE], uint32_t max_payload,
                                       ep_net_header* out) {
  const header_wire* w = (const header_wire*)in;
  out->magic = rd32(w->magic);
  out->version = rd16(w->version);
  out->type = rd16(w->type);
  out->flags = rd32(w->flags);
  out->payload_length = rd32(w->payload_length);
  out->request_id = rd64(w->request_id);
  if (out->magic != EP_NET_MAGIC) return EP_NET_E_MALFORMED;
  if (out->version < EP_NET_VERSION_MIN || out->version > EP_NET_VERSION) return EP_NET_E_VERSION;
  if (out->type < 1 || out->type > EP_NET_TYPE_MAX || out->flags != 0) return EP_NET_E_MALFORMED;
  if (out->payload_length > max_payload) return EP_NET_E_TOO_LARGE;
  return EP_NET_OK;
}

/* --- buffer ------------------------------------------------------------------------------ */

void ep_net_buf_init(ep_net_buf* buf) { memset(buf, 0, sizeof *buf); }

void ep_net_buf_free(ep_net_buf* buf) {
  free(buf->data);
  ep_net_buf_init(buf);
}

static uint8_t* reserve(ep_net_buf* buf, size_t n) {
  if (buf->failed) return NULL;
  if (n > SIZE_MAX / 2 - buf->length) {
    buf->failed = true;
    return NULL;
  }
  if (buf->length + n > buf->capacity) {
    size_t cap = buf->capacity ? buf->capacity : 256;
    while (cap < buf->length + n) cap *= 2;
    uint8_t* grown = realloc(buf->data, cap);
    if (grown == NULL) {
      buf->failed = true;
      return NULL;
    }
    buf->data = grown;
    buf->capacity = cap;
  }
  uint8_t* p = buf->data + buf->length;
  buf->length += n;
  return p;
}

static void put_u8(ep_net_buf* b, uint8_t v) {
  uint8_t* p = reserve(b, 1);
  if (p) *p = v;
}
static void put_u16(ep_net_buf* b, uint16_t v) {
  uint8_t* p = reserve(b, 2);
  if (p) le16(p, v);
}
static void put_u32(ep_net_buf* b, uint32_t v) {
  uint8_t* p = reserve(b, 4);
  if (p) le32(p, v);
}
static void put_u64(ep_net_buf* b, uint64_t v) {
  uint8_t* p = reserve(b, 8);
  if (p) le64(p, v);
}
void ep_net_put_bytes(ep_net_buf* b, const void* data, size_t n) {
  uint8_t* p = reserve(b, n);
  if (p && n) memcpy(p, data, n);
}
static void put_f64(ep_net_buf* b, double v) {
  uint64_t bits;
  memcpy(&bits, &v, 8);
  put_u64(b, bits);
}

void ep_net_frame_begin_version(ep_net_buf* buf, uint16_t version, ep_net_type type,
                                uint64_t request_id) {
  buf->length = 0;
  buf->failed = false;
  uint8_t* p = reserve(buf, EP_NET_HEADER_SIZE);
  if (p == NULL) return;
  ep_net_header h = {EP_NET_MAGIC, version, (uint16_t)type, 0, 0, request_id};
  ep_net_header_encode(&h, p);
}

void ep_net_frame_begin(ep_net_buf* buf, ep_net_type type, uint64_t request_id) {
  ep_net_frame_begin_version(buf, EP_NET_VERSION, type, request_id);
}

ep_status ep_net_frame_end(ep_net_buf* buf) {
  if (buf->failed || buf->length < EP_NET_HEADER_SIZE) {
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a frame");
  }
  size_t payload = buf->length - EP_NET_HEADER_SIZE;
  if (payload > UINT32_MAX) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "a frame payload of %zu bytes is over 4 GiB", payload);
  }
  le32(((header_wire*)buf->data)->payload_length, (uint32_t)payload);
  return EP_OK;
}

/* --- encoders ------------------------------------------------------------------------------ */

void ep_net_put_hello(ep_net_buf* b, uint16_t version, const ep_net_hello* h) {
  size_t name_len =
      h->model_kind == EP_NET_MODEL_SHA256 ? 32 : strnlen(h->zoo_name, EP_NET_MAX_MODEL_NAME);
  put_u8(b, h->model_kind);
  put_u8(b, 0);
  put_u16(b, h->token_length);
  put_u32(b, h->split);
  put_u64(b, h->seed);
  put_u16(b, (uint16_t)name_len);
  ep_net_put_bytes(
      b, h->model_kind == EP_NET_MODEL_SHA256 ? (const void*)h->sha256 : (const void*)h->zoo_name,
      name_len);
  ep_net_put_bytes(b, h->token, h->token_length <= EP_NET_MAX_TOKEN ? h->token_length : 0);
  if (version < 2) return;
  put_u8(b, (uint8_t)(h->cut_dtype + 1)); /* the wire's dtype code */
  put_u8(b, 0);
  put_u16(b, 0);
  put_u32(b, h->tiers != NULL ? h->n_tiers : 0);
  if (h->tiers != NULL) ep_net_put_bytes(b, h->tiers, h->n_tiers);
}

void ep_net_put_hello_ok(ep_net_buf* b, uint16_t version, const ep_net_hello_ok* ok) {
  put_u32(b, ok->n_nodes);
  put_u32(b, ok->split);
  put_u32(b, ok->upload_tensors);
  put_u32(b, ok->download_tensors);
  if (version < 2) return;
  put_u32(b, ok->server_nodes);
  put_u32(b, ok->sessions);
}

void ep_net_put_profile(ep_net_buf* b, const double* node_ms, uint32_t n) {
  put_u32(b, n);
  for (uint32_t i = 0; i < n; i++) put_f64(b, node_ms[i]);
}

void ep_net_put_tensors(ep_net_buf* b, const ep_net_tensor_out* t, uint32_t count) {
  put_u32(b, count);
  for (uint32_t i = 0; i < count; i++) {
    const ep_shape* s = &t[i].shape;
    ep_cut_dtype dtype = (ep_cut_dtype)t[i].dtype;
    put_u8(b, (uint8_t)(dtype + 1));
    put_u8(b, (uint8_t)s->rank);
    put_u16(b, 0);
    for (int d = 0; d < s->rank; d++) put_u64(b, (uint64_t)s->dims[d]);
    ep_codec_shape cs = ep_codec_shape_of(s->rank, s->dims);
    int64_t bytes = ep_tensor_encoded_bytes(dtype, &cs);
    uint8_t* p = bytes >= 0 && (uint64_t)bytes <= SIZE_MAX / 2 ? reserve(b, (size_t)bytes) : NULL;
    bool empty = cs.outer == 0 || cs.channels == 0 || cs.inner == 0;
    if (p != NULL && empty) memset(p, 0, (size_t)bytes); /* int8 scales of nothing: 0 */
    if (p == NULL || (!empty && ep_tensor_encode(dtype, &cs, t[i].data, p, (size_t)bytes) != EP_OK)) {
      b->failed = true;
      return;
    }
  }
}

void ep_net_put_result(ep_net_buf* b, uint16_t version, uint64_t server_ns,
                       const ep_net_load* load, const ep_net_tensor_out* t, uint32_t count) {
  put_u64(b, server_ns);
  if (version >= 2) {
    ep_net_load none;
    memset(&none, 0, sizeof none);
    if (load == NULL) load = &none;
    put_u32(b, load->queued);
    put_u32(b, load->running);
    put_f64(b, load->slowdown);
    put_f64(b, load->throttle);
    put_u64(b, load->forward_ns);
  }
  ep_net_put_tensors(b, t, count);
}

void ep_net_put_error(ep_net_buf* b, uint32_t code, const char* message) {
  size_t n = message != NULL ? strnlen(message, EP_NET_MAX_MESSAGE) : 0;
  put_u32(b, code);
  put_u16(b, (uint16_t)n);
  ep_net_put_bytes(b, message, n);
}

void ep_net_put_pong(ep_net_buf* b, uint64_t bytes) { put_u64(b, bytes); }

/* --- decoders ------------------------------------------------------------------------------ */

typedef struct reader {
  const uint8_t* p;
  size_t length;
  size_t pos;
  bool failed;
} reader;

static const uint8_t* take(reader* r, size_t n) {
  if (r->failed || n > r->length - r->pos) {
    r->failed = true;
    return NULL;
  }
  const uint8_t* p = r->p + r->pos;
  r->pos += n;
  return p;
}
static uint8_t get_u8(reader* r) {
  const uint8_t* p = take(r, 1);
  return p ? p[0] : 0;
}
static uint16_t get_u16(reader* r) {
  const uint8_t* p = take(r, 2);
  return p ? rd16(p) : 0;
}
static uint32_t get_u32(reader* r) {
  const uint8_t* p = take(r, 4);
  return p ? rd32(p) : 0;
}
static uint64_t get_u64(reader* r) {
  const uint8_t* p = take(r, 8);
  return p ? rd64(p) : 0;
}
/* Everything read and nothing left over. */
static bool done(const reader* r) { return !r->failed && r->pos == r->length; }

static bool name_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

ep_net_error_code ep_net_get_hello(const uint8_t* payload, size_t length, uint16_t version,
                                   ep_net_hello* out) {
  reader r = {payload, length, 0, false};
  ep_net_hello h;
  memset(&h, 0, sizeof h);
  h.model_kind = get_u8(&r);
  uint8_t reserved = get_u8(&r);
  h.token_length = get_u16(&r);
  h.split = get_u32(&r);
  h.seed = get_u64(&r);
  uint16_t name_len = get_u16(&r);
  if (r.failed || reserved != 0 || h.token_length > EP_NET_MAX_TOKEN) return EP_NET_E_MALFORMED;
  const uint8_t* name = take(&r, name_len);
  const uint8_t* token = take(&r, h.token_length);
  if (version >= 2) {
    uint8_t code = get_u8(&r);
    uint8_t reserved8 = get_u8(&r);
    uint16_t reserved16 = get_u16(&r);
    h.n_tiers = get_u32(&r);
    if (r.failed || reserved8 != 0 || reserved16 != 0 || code < EP_NET_DTYPE_F32 ||
        code > EP_NET_DTYPE_INT8_CHANNEL || h.n_tiers > EP_NET_MAX_NODES) {
      return EP_NET_E_MALFORMED;
    }
    h.cut_dtype = (uint8_t)(code - 1);
    h.tiers = h.n_tiers > 0 ? take(&r, h.n_tiers) : NULL;
    for (uint32_t i = 0; h.tiers != NULL && i < h.n_tiers; i++) {
      if (h.tiers[i] > EP_NET_MAX_TIER) return EP_NET_E_MALFORMED;
    }
    /* A placement replaces the split: the field must then be 0. */
    if (h.n_tiers > 0 && h.split != 0) return EP_NET_E_MALFORMED;
  }
  if (!done(&r)) return EP_NET_E_MALFORMED;
  if (h.model_kind == EP_NET_MODEL_ZOO) {
    if (name_len == 0 || name_len > EP_NET_MAX_MODEL_NAME) return EP_NET_E_MALFORMED;
    for (size_t i = 0; i < name_len; i++) {
      if (!name_char_ok((char)name[i])) return EP_NET_E_MALFORMED;
    }
    memcpy(h.zoo_name, name, name_len);
    h.zoo_name[name_len] = '\0';
  } else if (h.model_kind == EP_NET_MODEL_SHA256) {
    if (name_len != 32) return EP_NET_E_MALFORMED;
    memcpy(h.sha256, name, 32);
  } else {
    return EP_NET_E_MALFORMED;
  }
  if (h.token_length > 0) memcpy(h.token, token, h.token_length);
  *out = h;
  return EP_NET_OK;
}

ep_net_error_code ep_net_get_hello_ok(const uint8_t* payload, size_t length, uint16_t version,
                                      ep_net_hello_ok* out) {
  reader r = {payload, length, 0, false};
  ep_net_hello_ok ok;
  memset(&ok, 0, sizeof ok);
  ok.n_nodes = get_u32(&r);
  ok.split = get_u32(&r);
  ok.upload_tensors = get_u32(&r);
  ok.download_tensors = get_u32(&r);
  if (version >= 2) {
    ok.server_nodes = get_u32(&r);
    ok.sessions = get_u32(&r);
  }
  if (!done(&r) || ok.n_nodes > EP_NET_MAX_NODES || ok.split > ok.n_nodes ||
      ok.server_nodes > ok.n_nodes ||
      ok.upload_tensors > EP_NET_MAX_TENSORS || ok.download_tensors > EP_NET_MAX_TENSORS) {
    return EP_NET_E_MALFORMED;
  }
  *out = ok;
  return EP_NET_OK;
}

ep_net_error_code ep_net_get_profile(const uint8_t* payload, size_t length, double* node_ms,
                                     uint32_t max_nodes, uint32_t* n_nodes_out) {
  reader r = {payload, length, 0, false};
  uint32_t n = get_u32(&r);
  if (r.failed || n > max_nodes || n > EP_NET_MAX_NODES) return EP_NET_E_MALFORMED;
  if ((size_t)n * 8 != length - r.pos) return EP_NET_E_MALFORMED;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t bits = get_u64(&r);
    double v;
    memcpy(&v, &bits, 8);
    if (!isfinite(v) || v < 0) return EP_NET_E_MALFORMED;
    node_ms[i] = v;
  }
  if (!done(&r)) return EP_NET_E_MALFORMED;
  *n_nodes_out = n;
  return EP_NET_OK;
}

static ep_net_error_code get_tensor_list(reader* r, uint16_t version, ep_net_tensor_view* views,
                                         uint32_t max_views, uint32_t* count_out) {
  uint32_t count = get_u32(r);
  if (r->failed || count > max_views || count > EP_NET_MAX_TENSORS) return EP_NET_E_MALFORMED;
  for (uint32_t i = 0; i < count; i++) {
    ep_net_tensor_view v;
    memset(&v, 0, sizeof v);
    v.dtype = get_u8(r);
    uint8_t rank = get_u8(r);
    uint16_t reserved = get_u16(r);
    uint8_t max_dtype = version >= 2 ? EP_NET_DTYPE_INT8_CHANNEL : EP_NET_DTYPE_F32;
    if (r->failed || v.dtype < EP_NET_DTYPE_F32 || v.dtype > max_dtype || rank > EP_MAX_RANK ||
        reserved != 0) {
      return EP_NET_E_MALFORMED;
    }
    v.shape.rank = rank;
    /* numel <= what the rest of the payload can hold (at least a byte a value): every product
     * is checked against it before it can overflow. */
    size_t limit = r->length - r->pos;
    size_t numel = 1;
    for (int d = 0; d < rank; d++) {
      uint64_t dim = get_u64(r);
      if (r->failed || dim > (uint64_t)INT64_MAX) return EP_NET_E_MALFORMED;
      v.shape.dims[d] = (int64_t)dim;
      if (dim == 0) {
        numel = 0;
      } else if (numel != 0) {
        if (dim > limit || numel > limit / dim) return EP_NET_E_MALFORMED;
        numel *= (size_t)dim;
      }
    }
    v.numel = numel;
    ep_cut_dtype dtype = (ep_cut_dtype)(v.dtype - 1);
    ep_codec_shape cs = ep_codec_shape_of(rank, v.shape.dims);
    int64_t scales = dtype == EP_CUT_INT8 ? 1 : dtype == EP_CUT_INT8_CHANNEL ? cs.channels : 0;
    /* Checked before the codec multiplies it: channels can be huge in an empty tensor. */
    if ((uint64_t)scales > (r->length - r->pos) / 4) return EP_NET_E_MALFORMED;
    /* An empty tensor is its scales alone (its dims' product may not be formed: one of them can
     * be anything when another is 0). */
    int64_t bytes = numel == 0 ? 4 * scales : ep_tensor_encoded_bytes(dtype, &cs);
    if (bytes < 0 || (uint64_t)bytes > r->length - r->pos) return EP_NET_E_MALFORMED;
    v.data = take(r, (size_t)bytes);
    if (r->failed) return EP_NET_E_MALFORMED;
    /* int8 scales must be finite and not negative: they multiply every value. */
    for (int64_t k = 0; k < scales; k++) {
      uint32_t bits = rd32(v.data + 4 * k);
      float scale;
      memcpy(&scale, &bits, 4);
      if (!isfinite(scale) || scale < 0) return EP_NET_E_MALFORMED;
    }
    views[i] = v;
  }
  *count_out = count;
  return EP_NET_OK;
}

ep_net_error_code ep_net_get_tensors(const uint8_t* payload, size_t length, uint16_t version,
                                     ep_net_tensor_view* views, uint32_t max_views,
                                     uint32_t* count_out) {
  reader r = {payload, length, 0, false};
  uint32_t count = 0;
  ep_net_error_code e = get_tensor_list(&r, version, views, max_views, &count);
  if (e != EP_NET_OK || !done(&r)) return EP_NET_E_MALFORMED;
  *count_out = count;
  return EP_NET_OK;
}

static double get_f64(reader* r) {
  uint64_t bits = get_u64(r);
  double v;
  memcpy(&v, &bits, 8);
  return v;
}

ep_net_error_code ep_net_get_result(const uint8_t* payload, size_t length, uint16_t version,
                                    uint64_t* server_ns_out, ep_net_load* load_out,
                                    ep_net_tensor_view* views, uint32_t max_views,
                                    uint32_t* count_out) {
  reader r = {payload, length, 0, false};
  uint64_t ns = get_u64(&r);
  ep_net_load load;
  memset(&load, 0, sizeof load);
  if (version >= 2) {
    load.queued = get_u32(&r);
    load.running = get_u32(&r);
    load.slowdown = get_f64(&r);
    load.throttle = get_f64(&r);
    load.forward_ns = get_u64(&r);
    if (!isfinite(load.slowdown) || load.slowdown < 0 || !isfinite(load.throttle) ||
        load.throttle < 0 || load.forward_ns > ns) {
      return EP_NET_E_MALFORMED;
    }
  }
  uint32_t count = 0;
  if (r.failed) return EP_NET_E_MALFORMED;
  ep_net_error_code e = get_tensor_list(&r, version, views, max_views, &count);
  if (e != EP_NET_OK || !done(&r)) return EP_NET_E_MALFORMED;
  *server_ns_out = ns;
  if (load_out != NULL) *load_out = load;
  *count_out = count;
  return EP_NET_OK;
}

ep_net_error_code ep_net_get_error(const uint8_t* payload, size_t length, uint32_t* code_out,
                                   char* message, size_t message_size) {
  reader r = {payload, length, 0, false};
  uint32_t code = get_u32(&r);
  uint16_t n = get_u16(&r);
  if (r.failed || n > EP_NET_MAX_MESSAGE) return EP_NET_E_MALFORMED;
  const uint8_t* text = take(&r, n);
  if (!done(&r)) return EP_NET_E_MALFORMED;
  *code_out = code;
  if (message != NULL && message_size > 0) {
    size_t keep = n < message_size - 1 ? n : message_size - 1;
    for (size_t i = 0; i < keep; i++) {
      /* Printable ASCII only: the message ends up on a terminal. */
      message[i] = text[i] >= 0x20 && text[i] < 0x7f ? (char)text[i] : '?';
    }
    message[keep] = '\0';
  }
  return EP_NET_OK;
}

ep_net_error_code ep_net_get_pong(const uint8_t* payload, size_t length, uint64_t* bytes_out) {
  reader r = {payload, length, 0, false};
  uint64_t bytes = get_u64(&r);
  if (!done(&r)) return EP_NET_E_MALFORMED;
  *bytes_out = bytes;
  return EP_NET_OK;
}

void ep_net_tensor_read_f32(const ep_net_tensor_view* v, float* dst) {
  if (v->numel == 0) return;
  ep_cut_dtype dtype = (ep_cut_dtype)(v->dtype - 1);
  ep_codec_shape cs = ep_codec_shape_of(v->shape.rank, v->shape.dims);
  /* The view was checked when decoded: the size and the scales are right. */
  ep_status st = ep_tensor_decode(dtype, &cs, v->data, (size_t)ep_tensor_encoded_bytes(dtype, &cs),
                                  dst);
  (void)st;
}

bool ep_net_token_equal(const uint8_t* a, size_t a_length, const uint8_t* b, size_t b_length) {
  /* Compare over the expected length whatever the other holds, accumulating differences. */
  uint8_t diff = (uint8_t)(a_length != b_length);
  for (size_t i = 0; i < a_length; i++) {
    uint8_t other = i < b_length ? b[i] : 0;
    diff |= (uint8_t)(a[i] ^ other);
  }
  return diff == 0;
}

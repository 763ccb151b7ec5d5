/* KServe v2 inference bodies: JSON through cJSON (parsing), written by hand (a tensor of a
 * million floats is one long array: printing it directly avoids a cJSON node per value), and the
 * binary tensor data extension. Every field is checked before use; nothing trails. */
#include "net/v2_codec.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NESTING 8 /* of a JSON "data" array: rank 6 and some slack */

static bool fail(char* why, size_t size, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
static bool fail(char* why, size_t size, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(why, size, format, args);
  va_end(args);
  return false;
}

void ep_v2_message_free(v2_message* m) {
  if (m == NULL) return;
  for (int i = 0; i < m->n_tensors; i++) free(m->tensors[i].data);
  free(m->tensors);
  free(m->wanted);
  memset(m, 0, sizeof *m);
}

static bool get_name(const cJSON* item, char* dst, const char* what, char* why, size_t why_size) {
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(item, "name");
  if (!cJSON_IsString(name) || name->valuestring[0] == '\0' ||
      strlen(name->valuestring) > V2_MAX_NAME) {
    return fail(why, why_size, "%s needs a \"name\" of 1 to %d characters", what, V2_MAX_NAME);
  }
  strcpy(dst, name->valuestring);
  return true;
}

/* parameters.<key> of an object as a boolean (false when absent). */
static bool param_bool(const cJSON* item, const char* key) {
  const cJSON* p = cJSON_GetObjectItemCaseSensitive(item, "parameters");
  return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, key));
}

/* Copies the numbers of a (possibly nested) "data" array in row-major order. */
static bool flatten(const cJSON* array, float* dst, size_t numel, size_t* count, int depth) {
  if (depth > MAX_NESTING) return false;
  for (const cJSON* v = array->child; v != NULL; v = v->next) {
    if (cJSON_IsArray(v)) {
      if (!flatten(v, dst, numel, count, depth + 1)) return false;
    } else if (cJSON_IsNumber(v) && *count < numel) {
      dst[(*count)++] = (float)v->valuedouble;
    } else {
      return false;
    }
  }
  return true;
}

/* One entry of "inputs" (request) or "outputs" (response). */
static bool parse_tensor(const cJSON* item, v2_tensor* t, size_t body_length, const uint8_t* binary,
                         size_t binary_size, size_t* binary_used, char* why, size_t why_size) {
  if (!cJSON_IsObject(item)) return fail(why, why_size, "a tensor must be a JSON object");
  if (!get_name(item, t->name, "a tensor", why, why_size)) return false;
  const cJSON* type = cJSON_GetObjectItemCaseSensitive(item, "datatype");
  if (!cJSON_IsString(type) || strcmp(type->valuestring, "FP32") != 0) {
    return fail(why, why_size, "tensor '%s': datatype must be \"FP32\"", t->name);
  }
  const cJSON* shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
  int rank = cJSON_GetArraySize(shape);
  if (!cJSON_IsArray(shape) || rank > EP_MAX_RANK) {
    return fail(why, why_size, "tensor '%s': \"shape\" must be an array of at most %d sizes",
                t->name, EP_MAX_RANK);
  }
  /* Bounded by what the body could hold (a value takes 4 bytes in binary, 2 or more in JSON),
   * before any allocation. */
  size_t numel = 1, limit = body_length / 2 + 1;
  t->shape.rank = rank;
  int d = 0;
  for (const cJSON* v = shape->child; v != NULL; v = v->next, d++) {
    double x = cJSON_IsNumber(v) ? v->valuedouble : -1;
    if (!(x >= 0 && x <= 4294967296.0) || x != floor(x)) {
      return fail(why, why_size, "tensor '%s': shape sizes must be integers >= 0", t->name);
    }
    t->shape.dims[d] = (int64_t)x;
    if (x > 0 && numel > limit / (size_t)x) {
      return fail(why, why_size, "tensor '%s': the shape is too large", t->name);
    }
    numel *= (size_t)x;
  }
  t->numel = numel;
  const cJSON* params = cJSON_GetObjectItemCaseSensitive(item, "parameters");
  const cJSON* binary_size_item = cJSON_GetObjectItemCaseSensitive(params, "binary_data_size");
  const cJSON* data = cJSON_GetObjectItemCaseSensitive(item, "data");
  if (binary_size_item != NULL) {
    double bytes = cJSON_IsNumber(binary_size_item) ? binary_size_item->valuedouble : -1;
    if (bytes != (double)numel * 4) {
      return fail(why, why_size, "tensor '%s': binary_data_size must be %zu (4 bytes x %zu)",
                  t->name, numel * 4, numel);
    }
    if (binary_size - *binary_used < numel * 4) {
      return fail(why, why_size, "tensor '%s': the binary data is cut short", t->name);
    }
    t->data = malloc(numel * 4 + 1);
    if (t->data == NULL) return fail(why, why_size, "out of memory");
    const uint8_t* p = binary + *binary_used;
    for (size_t i = 0; i < numel; i++, p += 4) {
      uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                   (uint32_t)p[3] << 24;
      memcpy(&t->data[i], &u, 4);
    }
    *binary_used += numel * 4;
    t->binary = true;
    return true;
  }
  if (!cJSON_IsArray(data)) {
    return fail(why, why_size, "tensor '%s': needs \"data\" or parameters.binary_data_size",
                t->name);
  }
  /* Each JSON number takes at least 2 bytes ("0,"): a count beyond the body is impossible, and
   * flatten() stops at numel anyway. */
  t->data = malloc(numel * 4 + 1);
  if (t->data == NULL) return fail(why, why_size, "out of memory");
  size_t count = 0;
  if (!flatten(data, t->data, numel, &count, 0) || count != numel) {
    return fail(why, why_size, "tensor '%s': \"data\" must hold exactly %zu numbers", t->name,
                numel);
  }
  return true;
}

bool ep_v2_parse(const uint8_t* body, size_t length, long long header_length, bool request,
              v2_message* out, char* why, size_t why_size) {
  memset(out, 0, sizeof *out);
  size_t json_length = length;
  if (header_length >= 0) {
    if ((unsigned long long)header_length > length) {
      return fail(why, why_size, "Inference-Header-Content-Length %lld exceeds the body (%zu bytes)",
                  header_length, length);
    }
    json_length = (size_t)header_length;
  }
  cJSON* root = cJSON_ParseWithLength((const char*)body, json_length);
  if (!cJSON_IsObject(root)) {
    cJSON_Delete(root);
    return fail(why, why_size, "the %s (%zu bytes) is not a JSON object",
                header_length >= 0 ? "JSON header" : "body", json_length);
  }
  bool ok = true;
  const cJSON* id = cJSON_GetObjectItemCaseSensitive(root, "id");
  if (cJSON_IsString(id)) snprintf(out->id, sizeof out->id, "%s", id->valuestring);
  const cJSON* name = cJSON_GetObjectItemCaseSensitive(root, "model_name");
  if (cJSON_IsString(name)) snprintf(out->model_name, sizeof out->model_name, "%s", name->valuestring);
  const cJSON* list = cJSON_GetObjectItemCaseSensitive(root, request ? "inputs" : "outputs");
  int n = cJSON_GetArraySize(list);
  if (!cJSON_IsArray(list) || n < 1 || n > V2_MAX_TENSORS) {
    ok = fail(why, why_size, "\"%s\" must be an array of 1 to %d tensors",
              request ? "inputs" : "outputs", V2_MAX_TENSORS);
  }
  if (ok) {
    out->tensors = calloc((size_t)n, sizeof *out->tensors);
    if (out->tensors == NULL) ok = fail(why, why_size, "out of memory");
  }
  size_t binary_used = 0, binary_size = length - json_length;
  const uint8_t* binary = body + json_length;
  for (const cJSON* t = ok ? list->child : NULL; t != NULL && ok; t = t->next) {
    ok = parse_tensor(t, &out->tensors[out->n_tensors], length, binary, binary_size, &binary_used,
                      why, why_size);
    out->n_tensors++;
  }
  if (ok && binary_used != binary_size) {
    ok = fail(why, why_size, "%zu bytes of binary data are not claimed by any tensor",
              binary_size - binary_used);
  }
  if (ok && request) {
    out->binary_output = param_bool(root, "binary_data_output");
    const cJSON* wanted = cJSON_GetObjectItemCaseSensitive(root, "outputs");
    int w = cJSON_GetArraySize(wanted);
    if (wanted != NULL && (!cJSON_IsArray(wanted) || w > V2_MAX_TENSORS)) {
      ok = fail(why, why_size, "\"outputs\" must be an array of at most %d tensors", V2_MAX_TENSORS);
    }
    if (ok && w > 0) {
      out->wanted = calloc((size_t)w, sizeof *out->wanted);
      if (out->wanted == NULL) ok = fail(why, why_size, "out of memory");
    }
    for (const cJSON* t = ok && w > 0 ? wanted->child : NULL; t != NULL && ok; t = t->next) {
      v2_tensor* dst = &out->wanted[out->n_wanted++];
      ok = cJSON_IsObject(t) && get_name(t, dst->name, "a requested output", why, why_size);
      if (!cJSON_IsObject(t)) fail(why, why_size, "a requested output must be a JSON object");
      dst->binary = param_bool(t, "binary_data") || out->binary_output;
    }
  }
  cJSON_Delete(root);
  if (!ok) ep_v2_message_free(out);
  return ok;
}

/* --- writing ------------------------------------------------------------------------------ */

static void put_text(ep_net_buf* buf, const char* text) { ep_net_put_bytes(buf, text, strlen(text)); }

static void put_format(ep_net_buf* buf, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
static void put_format(ep_net_buf* buf, const char* format, ...) {
  char text[128];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(text, sizeof text, format, args);
  va_end(args);
  if (n > 0) ep_net_put_bytes(buf, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

void ep_v2_put_json_string(ep_net_buf* buf, const char* text) {
  put_text(buf, "\"");
  for (const unsigned char* p = (const unsigned char*)text; *p != '\0'; p++) {
    if (*p == '"' || *p == '\\') {
      char esc[2] = {'\\', (char)*p};
      ep_net_put_bytes(buf, esc, 2);
    } else if (*p < 0x20) {
      put_format(buf, "\\u%04x", *p);
    } else {
      ep_net_put_bytes(buf, p, 1);
    }
  }
  put_text(buf, "\"");
}

bool ep_v2_write(ep_net_buf* buf, bool request, const char* model_name, const char* id,
              const v2_out* tensors, int n_tensors, bool binary_output, size_t* header_length_out,
              char* why, size_t why_size) {
  buf->length = 0;
  buf->failed = false;
  put_text(buf, "{");
  if (id != NULL && id[0] != '\0') {
    put_text(buf, "\"id\":");
    ep_v2_put_json_string(buf, id);
    put_text(buf, ",");
  }
  if (!request) {
    put_text(buf, "\"model_name\":");
    ep_v2_put_json_string(buf, model_name);
    put_text(buf, ",\"model_version\":\"1\",");
  } else if (binary_output) {
    put_text(buf, "\"parameters\":{\"binary_data_output\":true},");
  }
  put_text(buf, request ? "\"inputs\":[" : "\"outputs\":[");
  bool any_binary = false;
  for (int i = 0; i < n_tensors; i++) {
    const v2_out* t = &tensors[i];
    size_t numel = (size_t)ep_shape_numel(&t->shape);
    put_text(buf, i > 0 ? ",{\"name\":" : "{\"name\":");
    ep_v2_put_json_string(buf, t->name);
    put_text(buf, ",\"datatype\":\"FP32\",\"shape\":[");
    for (int d = 0; d < t->shape.rank; d++) {
      put_format(buf, d > 0 ? ",%lld" : "%lld", (long long)t->shape.dims[d]);
    }
    put_text(buf, "]");
    if (t->binary) {
      put_format(buf, ",\"parameters\":{\"binary_data_size\":%zu}}", numel * 4);
      any_binary = true;
      continue;
    }
    put_text(buf, ",\"data\":[");
    for (size_t j = 0; j < numel; j++) {
      if (!isfinite(t->data[j])) {
        return fail(why, why_size, "tensor '%s' holds %g, which JSON cannot carry: ask for binary data",
                    t->name, (double)t->data[j]);
      }
      /* %.9g: every float32 reads back to the same bits. */
      put_format(buf, j > 0 ? ",%.9g" : "%.9g", (double)t->data[j]);
    }
    put_text(buf, "]}");
  }
  put_text(buf, "]}");
  *header_length_out = buf->length;
  for (int i = 0; any_binary && i < n_tensors; i++) {
    if (!tensors[i].binary) continue;
    size_t numel = (size_t)ep_shape_numel(&tensors[i].shape);
    for (size_t j = 0; j < numel; j++) {
      uint32_t u;
      memcpy(&u, &tensors[i].data[j], 4);
      uint8_t le[4] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16), (uint8_t)(u >> 24)};
      ep_net_put_bytes(buf, le, 4);
    }
  }
  if (buf->failed) return fail(why, why_size, "out of memory for a body");
  return true;
}

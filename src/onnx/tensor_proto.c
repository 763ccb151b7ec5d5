/* ONNX TensorProto -> host tensor: dims and lengths checked, data in raw_data, in the typed
 * fields or in an external file inside the model's folder. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edgeprof/output.h"

#include "onnx/onnx_internal.h"

_Static_assert(sizeof(float) == 4, "float32 expected");

void ep_host_tensor_free(ep_host_tensor* tensor) {
  if (tensor == NULL) return;
  free(tensor->name);
  ep_graph_storage_release(tensor->data);
  memset(tensor, 0, sizeof *tensor);
}

ep_status ep_host_tensor_alloc(ep_dtype dtype, const ep_shape* shape, ep_host_tensor* out) {
  memset(out, 0, sizeof *out);
  int64_t n = ep_shape_numel(shape);
  if (n < 0 || n > ONNX_MAX_NUMEL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "tensor of %lld elements is too large", (long long)n);
  }
  out->dtype = dtype;
  out->shape = *shape;
  /* Graph storage: a graph constant made from this value shares it (no copy). */
  out->data = ep_graph_storage_alloc((size_t)n * ep_dtype_size(dtype));
  if (out->data == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for a tensor");
  return EP_OK;
}

ep_status ep_host_tensor_copy(const ep_host_tensor* src, ep_host_tensor* dst) {
  ep_status st = ep_host_tensor_alloc(src->dtype, &src->shape, dst);
  if (st != EP_OK) return st;
  int64_t n = ep_shape_numel(&src->shape);
  if (n > 0) memcpy(dst->data, src->data, (size_t)n * ep_dtype_size(src->dtype));
  if (src->name != NULL) {
    dst->name = strdup(src->name);
    if (dst->name == NULL) {
      ep_host_tensor_free(dst);
      return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory for a tensor");
    }
  }
  return EP_OK;
}

double ep_host_get_f(const ep_host_tensor* t, int64_t i) {
  if (t->dtype == EP_DTYPE_BOOL) return ((const uint8_t*)t->data)[i] != 0;
  return t->dtype == EP_DTYPE_INT64 ? (double)((const int64_t*)t->data)[i]
                                    : (double)((const float*)t->data)[i];
}

int64_t ep_host_get_i(const ep_host_tensor* t, int64_t i) {
  if (t->dtype == EP_DTYPE_INT64) return ((const int64_t*)t->data)[i];
  if (t->dtype == EP_DTYPE_BOOL) return ((const uint8_t*)t->data)[i] != 0;
  float v = ((const float*)t->data)[i];
  if (!(v > -9.2e18f && v < 9.2e18f)) return 0; /* NaN or out of range: no UB on conversion */
  return (int64_t)v;
}

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { /* subnormal: normalise */
      int e = -1;
      do {
        e++;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static float bfloat_to_float(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

/* Bytes per element of an ONNX type in raw_data; 0 when the importer does not take it. */
static size_t raw_size(int32_t type) {
  switch (type) {
    case ONNX_FLOAT: case ONNX_INT32: case ONNX_UINT32: return 4;
    case ONNX_DOUBLE: case ONNX_INT64: case ONNX_UINT64: return 8;
    case ONNX_FLOAT16: case ONNX_BFLOAT16: case ONNX_INT16: case ONNX_UINT16: return 2;
    case ONNX_INT8: case ONNX_UINT8: case ONNX_BOOL: return 1;
    default: return 0;
  }
}

static bool is_float_type(int32_t type) {
  return type == ONNX_FLOAT || type == ONNX_DOUBLE || type == ONNX_FLOAT16 ||
         type == ONNX_BFLOAT16;
}

static const char* type_name(int32_t type) {
  static const char* const names[] = {"UNDEFINED", "FLOAT",  "UINT8",     "INT8",
                                      "UINT16",    "INT16",  "INT32",     "INT64",
                                      "STRING",    "BOOL",   "FLOAT16",   "DOUBLE",
                                      "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128",
                                      "BFLOAT16"};
  if (type >= 0 && type < (int32_t)(sizeof names / sizeof names[0])) return names[type];
  return "unknown";
}

/* Little-endian element i of raw bytes, converted. (Hosts are little-endian: x86, arm64.) */
static void convert_raw(const uint8_t* raw, int32_t type, int64_t n, ep_host_tensor* out) {
  float* f = out->data;
  int64_t* q = out->data;
  if (type == ONNX_FLOAT || type == ONNX_INT64) { /* the stored type: one copy */
    memcpy(out->data, raw, (size_t)n * raw_size(type));
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    const uint8_t* p = raw + (size_t)i * raw_size(type);
    switch (type) {
      case ONNX_FLOAT: memcpy(&f[i], p, 4); break;
      case ONNX_DOUBLE: { double d; memcpy(&d, p, 8); f[i] = (float)d; break; }
      case ONNX_FLOAT16: { uint16_t h; memcpy(&h, p, 2); f[i] = half_to_float(h); break; }
      case ONNX_BFLOAT16: { uint16_t h; memcpy(&h, p, 2); f[i] = bfloat_to_float(h); break; }
      case ONNX_INT64: memcpy(&q[i], p, 8); break;
      case ONNX_UINT64: { uint64_t u; memcpy(&u, p, 8); q[i] = (int64_t)u; break; }
      case ONNX_INT32: { int32_t v; memcpy(&v, p, 4); q[i] = v; break; }
      case ONNX_UINT32: { uint32_t v; memcpy(&v, p, 4); q[i] = v; break; }
      case ONNX_INT16: { int16_t v; memcpy(&v, p, 2); q[i] = v; break; }
      case ONNX_UINT16: { uint16_t v; memcpy(&v, p, 2); q[i] = v; break; }
      case ONNX_INT8: q[i] = (int8_t)p[0]; break;
      case ONNX_UINT8: q[i] = p[0]; break;
      case ONNX_BOOL: q[i] = p[0] != 0; break;
      default: break;
    }
  }
}

/* Reads [offset, offset + length) of an external data file, after checking that `location`
 * stays inside `dir` once resolved (no absolute path, no "..", no symlink out). */
static ep_status read_external(const Onnx__TensorProto* t, const char* dir, const char* label,
                               const char* tname, size_t want, uint8_t** bytes_out) {
  const char* location = NULL;
  long long offset = 0, length = -1;
  for (size_t i = 0; i < t->n_external_data; i++) {
    const Onnx__StringStringEntryProto* e = t->external_data[i];
    if (e == NULL || e->key == NULL || e->value == NULL) continue;
    char* end = NULL;
    if (strcmp(e->key, "location") == 0) {
      location = e->value;
    } else if (strcmp(e->key, "offset") == 0 || strcmp(e->key, "length") == 0) {
      errno = 0;
      long long v = strtoll(e->value, &end, 10);
      if (e->value[0] == '\0' || *end != '\0' || errno != 0 || v < 0) {
        return ep_error(EP_ERR_FORMAT, "%s: tensor %s: external data %s '%s' is not a number",
                        label, tname, e->key, e->value);
      }
      *(e->key[0] == 'o' ? &offset : &length) = v;
    }
  }
  if (location == NULL || location[0] == '\0') {
    return ep_error(EP_ERR_FORMAT, "%s: tensor %s: external data without a location", label,
                    tname);
  }
  if (dir == NULL) {
    return ep_error(EP_ERR_FORMAT, "%s: tensor %s: external data '%s' but the model is not a file",
                    label, tname, location);
  }
  if (location[0] == '/') {
    return ep_error(EP_ERR_FORMAT, "%s: tensor %s: external data path '%s' is absolute", label,
                    tname, location);
  }
  char dir_real[PATH_MAX], joined[PATH_MAX * 2], file_real[PATH_MAX];
  if (realpath(dir, dir_real) == NULL) {
    return ep_error(EP_ERR_IO, "%s: cannot resolve the model's folder %s", label, dir);
  }
  snprintf(joined, sizeof joined, "%s/%s", dir_real, location);
  if (realpath(joined, file_real) == NULL) {
    return ep_error(EP_ERR_FORMAT, "%s: tensor %s: external data file '%s' not found", label,
                    tname, location);
  }
  size_t dl = strlen(dir_real);
  bool inside = strncmp(file_real, dir_real, dl) == 0 &&
                (file_real[dl] == '/' || (dl == 1 && dir_real[0] == '/'));
  if (!inside) {
    return ep_error(EP_ERR_FORMAT, "%s: tensor %s: external data path '%s' leaves the model's folder",
                    label, tname, location);
  }
  struct stat sb;
  if (stat(file_real, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    return ep_error(EP_ERR_FORMAT, "%s: tensor %s: external data '%s' is not a regular file",
                    label, tname, location);
  }
  FILE* f = NULL;
  if (ep_input_open(file_real, &f) != EP_OK) {
    return ep_error(EP_ERR_IO, "%s: tensor %s: cannot open external data '%s': %s", label, tname,
                    location, ep_last_error());
  }
  ep_status st = EP_OK;
  uint8_t* bytes = NULL;
  if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
    st = ep_error(EP_ERR_FORMAT, "%s: tensor %s: external data '%s' is not a regular file", label,
                  tname, location);
    goto cleanup;
  }
  if (length >= 0 && (unsigned long long)length != (unsigned long long)want) {
    st = ep_error(EP_ERR_FORMAT,
                  "%s: tensor %s: external data length %lld, but the dims need %zu bytes", label,
                  tname, length, want);
    goto cleanup;
  }
  if ((unsigned long long)offset > (unsigned long long)sb.st_size ||
      (unsigned long long)sb.st_size - (unsigned long long)offset < want) {
    st = ep_error(EP_ERR_FORMAT,
                  "%s: tensor %s: external data '%s' holds %lld bytes, the tensor needs %zu at "
                  "offset %lld",
                  label, tname, location, (long long)sb.st_size, want, offset);
    goto cleanup;
  }
  bytes = malloc(want ? want : 1);
  if (bytes == NULL) {
    st = ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory for tensor %s", label, tname);
    goto cleanup;
  }
  if (fseeko(f, (off_t)offset, SEEK_SET) != 0 || fread(bytes, 1, want, f) != want) {
    st = ep_error(EP_ERR_IO, "%s: tensor %s: cannot read external data '%s'", label, tname,
                  location);
    goto cleanup;
  }

cleanup:
  fclose(f);
  if (st != EP_OK) {
    free(bytes);
    return st;
  }
  *bytes_out = bytes;
  return EP_OK;
}

ep_status ep_onnx_tensor_from_proto(const Onnx__TensorProto* t, const char* dir, const char* label,
                                 ep_host_tensor* out) {
  memset(out, 0, sizeof *out);
  const char* tname = t->name != NULL && t->name[0] ? t->name : "(unnamed)";
  if (t->n_dims > EP_MAX_RANK) {
    return ep_error(EP_ERR_UNSUPPORTED, "%s: tensor %s has rank %zu (at most %d)", label, tname,
                    t->n_dims, EP_MAX_RANK);
  }
  ep_shape shape;
  memset(&shape, 0, sizeof shape);
  shape.rank = (int)t->n_dims;
  int64_t n = 1;
  for (size_t i = 0; i < t->n_dims; i++) {
    int64_t d = t->dims[i];
    if (d < 0) {
      return ep_error(EP_ERR_FORMAT, "%s: tensor %s has negative dim %lld", label, tname,
                      (long long)d);
    }
    if (d > ONNX_MAX_NUMEL || (d > 0 && n > ONNX_MAX_NUMEL / d)) {
      return ep_error(EP_ERR_FORMAT, "%s: tensor %s: dims overflow (more than 2^36 elements)",
                      label, tname);
    }
    n *= d;
    shape.dims[i] = d;
  }
  int32_t type = t->data_type;
  size_t esize = raw_size(type);
  if (esize == 0) {
    return ep_error(EP_ERR_UNSUPPORTED, "%s: tensor %s has type %s (float and integer types only)",
                    label, tname, type_name(type));
  }
  ep_dtype dtype = is_float_type(type) ? EP_DTYPE_FLOAT32 : EP_DTYPE_INT64;
  size_t want = (size_t)n * esize;
  bool external = t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  /* Lengths are checked before anything is allocated: a small file cannot ask for much memory. */
  size_t have = 0;
  const char* field = "raw_data";
  if (!external && t->has_raw_data) {
    if (t->raw_data.len != want) {
      return ep_error(EP_ERR_FORMAT, "%s: tensor %s: raw_data has %zu bytes, its dims need %zu",
                      label, tname, t->raw_data.len, want);
    }
  } else if (!external) {
    switch (type) {
      case ONNX_FLOAT: have = t->n_float_data; field = "float_data"; break;
      case ONNX_DOUBLE: have = t->n_double_data; field = "double_data"; break;
      case ONNX_INT64: have = t->n_int64_data; field = "int64_data"; break;
      case ONNX_UINT32: case ONNX_UINT64: have = t->n_uint64_data; field = "uint64_data"; break;
      default: have = t->n_int32_data; field = "int32_data"; break;
    }
    if (have != (size_t)n) {
      return ep_error(EP_ERR_FORMAT, "%s: tensor %s: %s has %zu values, dims say %lld", label,
                      tname, field, have, (long long)n);
    }
  }
  /* External data is read (its file's size checked) before the tensor is allocated, so a small
   * model naming huge dims cannot ask for gigabytes. */
  uint8_t* external_bytes = NULL;
  if (external) {
    ep_status read = read_external(t, dir, label, tname, want, &external_bytes);
    if (read != EP_OK) return read;
  }
  ep_status st = ep_host_tensor_alloc(dtype, &shape, out);
  if (st != EP_OK) {
    free(external_bytes);
    return st;
  }
  if (external) {
    convert_raw(external_bytes, type, n, out);
    free(external_bytes);
    return EP_OK;
  }
  if (t->has_raw_data) {
    if (n > 0) convert_raw(t->raw_data.data, type, n, out);
    return EP_OK;
  }
  /* Typed fields (their count is checked above). */
  float* f = out->data;
  int64_t* q = out->data;
  for (int64_t i = 0; i < n; i++) {
    switch (type) {
      case ONNX_FLOAT: f[i] = t->float_data[i]; break;
      case ONNX_DOUBLE: f[i] = (float)t->double_data[i]; break;
      case ONNX_FLOAT16: f[i] = half_to_float((uint16_t)t->int32_data[i]); break;
      case ONNX_BFLOAT16: f[i] = bfloat_to_float((uint16_t)t->int32_data[i]); break;
      case ONNX_INT64: q[i] = t->int64_data[i]; break;
      case ONNX_UINT32: case ONNX_UINT64: q[i] = (int64_t)t->uint64_data[i]; break;
      case ONNX_BOOL: q[i] = t->int32_data[i] != 0; break;
      default: q[i] = t->int32_data[i]; break;
    }
  }
  return EP_OK;
}

/* Tensor files: NumPy .npy (header parsed by hand: it is a short Python dict literal) and ONNX
 * TensorProto .pb (protobuf-c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "edgeprof/onnx.h"
#include "edgeprof/output.h"
#include "onnx/onnx_internal.h"

#define MAX_TENSOR_FILE (INT64_C(1) << 31)

static ep_status read_all(const char* path, uint8_t** data_out, size_t* size_out) {
  FILE* f = NULL;
  ep_status opened = ep_input_open(path, &f);
  if (opened != EP_OK) return opened;
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode) || (int64_t)sb.st_size > MAX_TENSOR_FILE) {
    fclose(f);
    return ep_error(EP_ERR_INVALID_ARGUMENT, "%s: not a regular file of at most 2 GiB", path);
  }
  size_t size = (size_t)sb.st_size;
  uint8_t* data = malloc(size ? size : 1);
  if (data == NULL) {
    fclose(f);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
  }
  size_t got = fread(data, 1, size, f);
  fclose(f);
  if (got != size) {
    free(data);
    return ep_error(EP_ERR_IO, "%s: read failed", path);
  }
  *data_out = data;
  *size_out = size;
  return EP_OK;
}

/* The value after 'key': in a NumPy header dict (NULL if missing). */
static const char* dict_value(const char* header, const char* key) {
  char quoted[32];
  snprintf(quoted, sizeof quoted, "'%s'", key);
  const char* p = strstr(header, quoted);
  if (p == NULL) return NULL;
  p += strlen(quoted);
  while (*p == ' ') p++;
  if (*p != ':') return NULL;
  p++;
  while (*p == ' ') p++;
  return p;
}

static ep_status parse_npy(const char* path, const uint8_t* d, size_t size, ep_host_tensor* out) {
  if (size < 10) return ep_error(EP_ERR_FORMAT, "%s: truncated .npy header", path);
  int major = d[6];
  size_t hlen, start;
  if (major == 1) {
    hlen = (size_t)d[8] | (size_t)d[9] << 8;
    start = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) return ep_error(EP_ERR_FORMAT, "%s: truncated .npy header", path);
    hlen = (size_t)d[8] | (size_t)d[9] << 8 | (size_t)d[10] << 16 | (size_t)d[11] << 24;
    start = 12;
  } else {
    return ep_error(EP_ERR_FORMAT, "%s: .npy format version %d is unknown", path, major);
  }
  if (hlen > size - start || hlen > 1 << 20) {
    return ep_error(EP_ERR_FORMAT, "%s: .npy header longer than the file", path);
  }
  char* header = malloc(hlen + 1);
  if (header == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
  memcpy(header, d + start, hlen);
  header[hlen] = '\0';
  ep_status st = EP_OK;
  const char* descr = dict_value(header, "descr");
  const char* order = dict_value(header, "fortran_order");
  const char* shape = dict_value(header, "shape");
  if (descr == NULL || order == NULL || shape == NULL || *descr != '\'' || *shape != '(') {
    st = ep_error(EP_ERR_FORMAT, "%s: .npy header lacks descr, fortran_order or shape", path);
    goto done;
  }
  if (strncmp(order, "False", 5) != 0) {
    st = ep_error(EP_ERR_UNSUPPORTED, "%s: Fortran-order arrays are not supported", path);
    goto done;
  }
  char type[8] = {0};
  size_t tl = 0;
  for (const char* p = descr + 1; *p && *p != '\'' && tl < sizeof type - 1; p++) type[tl++] = *p;
  static const struct {
    const char* descr;
    int onnx_type;
  } types[] = {{"<f4", ONNX_FLOAT}, {"=f4", ONNX_FLOAT}, {"<f8", ONNX_DOUBLE},
               {"=f8", ONNX_DOUBLE}, {"<f2", ONNX_FLOAT16}, {"<i8", ONNX_INT64},
               {"=i8", ONNX_INT64}, {"<i4", ONNX_INT32}, {"=i4", ONNX_INT32},
               {"|i1", ONNX_INT8}, {"|u1", ONNX_UINT8}, {"|b1", ONNX_BOOL}};
  int onnx_type = 0;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
    if (strcmp(type, types[i].descr) == 0) onnx_type = types[i].onnx_type;
  }
  if (onnx_type == 0) {
    st = ep_error(EP_ERR_UNSUPPORTED, "%s: dtype '%s' (float32, float64, float16, int64, int32, "
                  "int8, uint8, bool only)", path, type);
    goto done;
  }
  /* shape: "(1, 3, 224, 224)", "(5,)", "()" */
  Onnx__TensorProto t;
  ep_onnx__tensor_proto__init(&t);
  int64_t dims[EP_MAX_RANK + 1];
  size_t rank = 0;
  const char* p = shape + 1;
  while (1) {
    while (*p == ' ' || *p == ',') p++;
    if (*p == ')') break;
    if (*p < '0' || *p > '9' || rank > EP_MAX_RANK) {
      st = ep_error(EP_ERR_FORMAT, "%s: .npy shape is not a tuple of at most %d sizes", path, EP_MAX_RANK);
      goto done;
    }
    char* end;
    unsigned long long v = strtoull(p, &end, 10);
    if (v > (1ull << 40)) {
      st = ep_error(EP_ERR_FORMAT, "%s: .npy dim %llu too large", path, v);
      goto done;
    }
    dims[rank++] = (int64_t)v;
    p = end;
  }
  /* Reuse the TensorProto conversion: it checks dims and lengths the same way. */
  t.name = (char*)"";
  t.has_data_type = true;
  t.data_type = onnx_type;
  t.n_dims = rank;
  t.dims = dims;
  size_t esize = onnx_type == ONNX_FLOAT || onnx_type == ONNX_INT32 ? 4
                 : onnx_type == ONNX_DOUBLE || onnx_type == ONNX_INT64 ? 8
                 : onnx_type == ONNX_FLOAT16 ? 2 : 1;
  size_t body = size - start - hlen;
  int64_t numel = 1;
  for (size_t i = 0; i < rank; i++) {
    if (dims[i] > 0 && numel > ONNX_MAX_NUMEL / dims[i]) {
      st = ep_error(EP_ERR_FORMAT, "%s: .npy dims overflow", path);
      goto done;
    }
    numel *= dims[i];
  }
  /* Exactly the bytes the shape needs: trailing bytes mean the header and the data disagree
   * (a truncated shape, a concatenated file), and reading either way would be a guess. */
  if ((uint64_t)numel * esize != body) {
    st = ep_error(EP_ERR_FORMAT, "%s: .npy data has %zu bytes, the shape needs %llu%s", path, body,
                  (unsigned long long)numel * esize,
                  (uint64_t)numel * esize < body ? " (trailing bytes)" : "");
    goto done;
  }
  t.has_raw_data = true;
  t.raw_data.data = (uint8_t*)d + start + hlen;
  t.raw_data.len = (size_t)numel * esize;
  st = ep_onnx_tensor_from_proto(&t, NULL, path, out);

done:
  free(header);
  return st;
}

ep_status ep_tensor_file_read(const char* path, ep_host_tensor* tensor_out) {
  if (path == NULL || tensor_out == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_tensor_file_read: no path");
  }
  memset(tensor_out, 0, sizeof *tensor_out);
  uint8_t* data = NULL;
  size_t size = 0;
  ep_status st = read_all(path, &data, &size);
  if (st != EP_OK) return st;
  if (size >= 6 && memcmp(data, "\x93NUMPY", 6) == 0) {
    st = parse_npy(path, data, size, tensor_out);
  } else {
    Onnx__TensorProto* t = ep_onnx__tensor_proto__unpack(NULL, size, data);
    if (t == NULL) {
      st = ep_error(EP_ERR_FORMAT, "%s: neither a .npy file nor an ONNX TensorProto", path);
    } else {
      st = ep_onnx_tensor_from_proto(t, NULL, path, tensor_out);
      if (st == EP_OK && t->name != NULL && t->name[0] != '\0') {
        tensor_out->name = strdup(t->name);
        if (tensor_out->name == NULL) {
          ep_host_tensor_free(tensor_out);
          st = ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
        }
      }
      ep_onnx__tensor_proto__free_unpacked(t, NULL);
    }
  }
  free(data);
  return st;
}

static bool ends_with(const char* s, const char* suffix) {
  size_t n = strlen(s), k = strlen(suffix);
  return n >= k && strcmp(s + n - k, suffix) == 0;
}

ep_status ep_tensor_file_encode_typed(const char* path, const char* name, ep_dtype dtype,
                                      const ep_shape* shape, const void* data, uint8_t** bytes_out,
                                      size_t* size_out) {
  if (path == NULL || shape == NULL || (data == NULL && ep_shape_numel(shape) > 0) ||
      ep_dtype_size(dtype) == 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_tensor_file_write: bad arguments");
  }
  size_t numel = (size_t)ep_shape_numel(shape);
  size_t esize = ep_dtype_size(dtype);
  const char* descr = dtype == EP_DTYPE_INT64 ? "<i8" : dtype == EP_DTYPE_BOOL ? "|b1" : "<f4";
  int32_t type = dtype == EP_DTYPE_INT64 ? ONNX_INT64 : dtype == EP_DTYPE_BOOL ? ONNX_BOOL : ONNX_FLOAT;
  uint8_t* buf = NULL;
  size_t size = 0;
  if (ends_with(path, ".pb")) {
    Onnx__TensorProto t;
    ep_onnx__tensor_proto__init(&t);
    int64_t dims[EP_MAX_RANK];
    for (int d = 0; d < shape->rank; d++) dims[d] = shape->dims[d];
    t.name = (char*)(name != NULL ? name : "");
    t.has_data_type = true;
    t.data_type = type;
    t.n_dims = (size_t)shape->rank;
    t.dims = dims;
    t.has_raw_data = true;
    t.raw_data.data = (uint8_t*)data;
    t.raw_data.len = numel * esize;
    size = ep_onnx__tensor_proto__get_packed_size(&t);
    buf = malloc(size ? size : 1);
    if (buf == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    ep_onnx__tensor_proto__pack(&t, buf);
  } else {
    char dict[256], dims[160] = "";
    size_t used = 0;
    for (int d = 0; d < shape->rank; d++) {
      used += (size_t)snprintf(dims + used, sizeof dims - used, "%lld,%s",
                               (long long)shape->dims[d], d + 1 < shape->rank ? " " : "");
      if (used >= sizeof dims) break;
    }
    if (shape->rank > 1) dims[strlen(dims) - 1] = '\0'; /* "(1, 3)" but "(5,)" */
    int n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                     descr, dims);
    size_t hlen = (size_t)n + 1; /* + '\n' */
    size_t total = 10 + hlen;
    size_t padded = (total + 63) / 64 * 64;
    hlen += padded - total;
    size = padded + numel * esize;
    buf = malloc(size);
    if (buf == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (uint8_t)(hlen & 0xff);
    buf[9] = (uint8_t)(hlen >> 8);
    memset(buf + 10, ' ', hlen);
    memcpy(buf + 10, dict, (size_t)n);
    buf[10 + hlen - 1] = '\n';
    if (numel) memcpy(buf + padded, data, numel * esize);
  }
  *bytes_out = buf;
  *size_out = size;
  return EP_OK;
}

ep_status ep_tensor_file_encode(const char* path, const char* name, const ep_shape* shape,
                                const float* data, uint8_t** bytes_out, size_t* size_out) {
  return ep_tensor_file_encode_typed(path, name, EP_DTYPE_FLOAT32, shape, data, bytes_out,
                                     size_out);
}

ep_status ep_tensor_file_write(const char* path, const char* name, const ep_shape* shape,
                               const float* data) {
  return ep_tensor_file_write_typed(path, name, EP_DTYPE_FLOAT32, shape, data);
}

ep_status ep_tensor_file_write_typed(const char* path, const char* name, ep_dtype dtype,
                                     const ep_shape* shape, const void* data) {
  uint8_t* buf;
  size_t size;
  ep_status st = ep_tensor_file_encode_typed(path, name, dtype, shape, data, &buf, &size);
  if (st != EP_OK) return st;
  ep_output* out = NULL;
  st = ep_output_open(path, &out);
  if (st == EP_OK) {
    if (fwrite(buf, 1, size, ep_output_stream(out)) != size) {
      st = ep_error(EP_ERR_IO, "%s: write failed", path);
      ep_output_discard(out);
    } else {
      st = ep_output_commit(out);
    }
  }
  free(buf);
  return st;
}

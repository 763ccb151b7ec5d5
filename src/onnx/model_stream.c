/* A model file parsed with its weights streamed: the file is mapped, the ModelProto is parsed
 * without its initializers (a copy of the file with those fields cut out: graph, nodes and
 * attributes, kilobytes), then each initializer is parsed from the mapping on its own and the
 * mapping's pages behind it are given back. Parsing the whole file at once would hold the
 * weights twice, the file's bytes and protobuf-c's copy of every raw_data (alexnet: 466 MiB
 * for 233 MiB of weights); this holds them once, plus the tensor being read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "onnx/onnx_internal.h"

enum {
  WIRE_VARINT = 0,
  WIRE_I64 = 1,
  WIRE_LEN = 2,
  WIRE_I32 = 5,
  MODEL_GRAPH = 7,       /* ModelProto.graph */
  GRAPH_INITIALIZER = 5, /* GraphProto.initializer */
};

static bool read_varint(const uint8_t* p, size_t n, size_t* pos, uint64_t* out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *pos < n; shift += 7) {
    const uint8_t b = p[(*pos)++];
    v |= (uint64_t)(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = v;
      return true;
    }
  }
  return false;
}

/* One field of a message in p[0, n): its field number, wire type, where it starts and, for a
 * length-delimited one, where its payload starts and its length. False when malformed or a
 * (deprecated) group: the caller parses the plain way then. */
typedef struct field {
  uint64_t number;
  unsigned wire;
  size_t start, len_at, payload, len, end; /* len_at: after the tag */
} field;

static bool next_field(const uint8_t* p, size_t n, size_t* pos, field* f) {
  uint64_t tag;
  f->start = *pos;
  if (!read_varint(p, n, pos, &tag)) return false;
  f->len_at = *pos;
  f->number = tag >> 3;
  f->wire = (unsigned)(tag & 7);
  uint64_t v;
  switch (f->wire) {
    case WIRE_VARINT:
      if (!read_varint(p, n, pos, &v)) return false;
      break;
    case WIRE_I64:
      if (n - *pos < 8) return false;
      *pos += 8;
      break;
    case WIRE_I32:
      if (n - *pos < 4) return false;
      *pos += 4;
      break;
    case WIRE_LEN:
      if (!read_varint(p, n, pos, &v) || v > n - *pos) return false;
      f->payload = *pos;
      f->len = (size_t)v;
      *pos += (size_t)v;
      break;
    default:
      return false;
  }
  f->end = *pos;
  return true;
}

static size_t varint_size(uint64_t v) {
  size_t s = 1;
  while (v >= 0x80) {
    v >>= 7;
    s++;
  }
  return s;
}

static uint8_t* write_varint(uint8_t* out, uint64_t v) {
  while (v >= 0x80) {
    *out++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *out++ = (uint8_t)v;
  return out;
}

typedef struct span {
  size_t start, payload, len, end; /* the field in the model's bytes */
} span;

/* Finds the one graph field and its initializers; false when the layout is not that. */
static bool scan(const uint8_t* p, size_t n, field* graph, span** inits_out, size_t* n_out) {
  size_t pos = 0;
  int graphs = 0;
  field f;
  while (pos < n) {
    if (!next_field(p, n, &pos, &f)) return false;
    if (f.number == MODEL_GRAPH) {
      if (f.wire != WIRE_LEN) return false;
      *graph = f;
      graphs++;
    }
  }
  if (graphs != 1) return false; /* several merge: the plain parser does that */
  span* inits = NULL;
  size_t n_inits = 0, cap = 0;
  const uint8_t* g = p + graph->payload;
  pos = 0;
  while (pos < graph->len) {
    if (!next_field(g, graph->len, &pos, &f)) {
      free(inits);
      return false;
    }
    if (f.number != GRAPH_INITIALIZER || f.wire != WIRE_LEN) continue;
    if (n_inits == cap) {
      cap = cap ? 2 * cap : 64;
      span* grown = realloc(inits, cap * sizeof *grown);
      if (grown == NULL) {
        free(inits);
        return false;
      }
      inits = grown;
    }
    inits[n_inits++] = (span){graph->payload + f.start, graph->payload + f.payload, f.len,
                              graph->payload + f.end};
  }
  *inits_out = inits;
  *n_out = n_inits;
  return true;
}

/* The model's bytes without the graph's initializer fields (the graph's length re-encoded). */
static uint8_t* strip(const uint8_t* p, size_t n, const field* graph, const span* inits,
                      size_t n_inits, size_t* size_out) {
  size_t cut = 0;
  for (size_t i = 0; i < n_inits; i++) cut += inits[i].end - inits[i].start;
  const size_t graph_len = graph->len - cut;
  const size_t len_at = graph->len_at;
  const size_t size = len_at + varint_size(graph_len) + graph_len + (n - graph->end);
  uint8_t* out = malloc(size ? size : 1);
  if (out == NULL) return NULL;
  uint8_t* w = out;
  memcpy(w, p, len_at);
  w += len_at;
  w = write_varint(w, graph_len);
  size_t from = graph->payload;
  for (size_t i = 0; i < n_inits; i++) {
    memcpy(w, p + from, inits[i].start - from);
    w += inits[i].start - from;
    from = inits[i].end;
  }
  memcpy(w, p + from, graph->end - from);
  w += graph->end - from;
  memcpy(w, p + graph->end, n - graph->end);
  w += n - graph->end;
  *size_out = (size_t)(w - out);
  return out;
}

Onnx__ModelProto* ep_onnx_unpack_streamed(int fd, size_t size) {
  if (size == 0) return NULL;
  void* map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) return NULL;
  const uint8_t* p = map;
  Onnx__ModelProto* m = NULL;
  span* inits = NULL;
  size_t n_inits = 0;
  field graph = {0};
  if (!scan(p, size, &graph, &inits, &n_inits)) goto done;
  size_t stripped_size = 0;
  uint8_t* stripped = strip(p, size, &graph, inits, n_inits, &stripped_size);
  if (stripped == NULL) goto done;
  m = ep_onnx__model_proto__unpack(NULL, stripped_size, stripped);
  free(stripped);
  if (m == NULL || m->graph == NULL || m->graph->n_initializer != 0) goto fail;
  m->graph->initializer = calloc(n_inits + 1, sizeof *m->graph->initializer);
  if (m->graph->initializer == NULL) goto fail;
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  size_t given_back = 0;
  for (size_t i = 0; i < n_inits; i++) {
    Onnx__TensorProto* t = ep_onnx__tensor_proto__unpack(NULL, inits[i].len, p + inits[i].payload);
    if (t == NULL) goto fail;
    m->graph->initializer[m->graph->n_initializer++] = t;
    /* The pages read so far are parsed: out of this process's resident set. */
    const size_t upto = inits[i].end / page * page;
    if (upto > given_back) {
      madvise((uint8_t*)map + given_back, upto - given_back, MADV_DONTNEED);
      given_back = upto;
    }
  }
  goto done;

fail:
  if (m != NULL) ep_onnx__model_proto__free_unpacked(m, NULL);
  m = NULL;
done:
  free(inits);
  munmap(map, size);
  return m;
}

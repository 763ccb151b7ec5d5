/* The refusal list of a model load (refusals.h). */
#include "onnx/refusals.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ep_refusal {
  char* key;    /* "(Op, domain, opset N): reason", or the whole text of a text entry */
  char** names; /* the nodes; none for a text entry */
  int n_names, cap_names;
};

static ep_status oom(void) { return ep_error(EP_ERR_OUT_OF_MEMORY, "out of memory listing refusals"); }

static ep_status add(ep_refusals* r, const char* key, const char* name) {
  ep_refusal* item = NULL;
  for (int i = 0; name != NULL && i < r->n_items; i++) {
    if (r->items[i].names != NULL && strcmp(r->items[i].key, key) == 0) item = &r->items[i];
  }
  if (item == NULL) {
    if (r->n_items == r->cap_items) {
      int cap = r->cap_items ? 2 * r->cap_items : 16;
      ep_refusal* grown = realloc(r->items, sizeof *grown * (size_t)cap);
      if (grown == NULL) return oom();
      r->items = grown;
      r->cap_items = cap;
    }
    item = &r->items[r->n_items];
    memset(item, 0, sizeof *item);
    item->key = strdup(key);
    if (item->key == NULL) return oom();
    r->n_items++;
  }
  r->n_nodes++;
  if (name == NULL) return EP_OK;
  if (item->n_names == item->cap_names) {
    int cap = item->cap_names ? 2 * item->cap_names : 4;
    char** grown = realloc(item->names, sizeof *grown * (size_t)cap);
    if (grown == NULL) return oom();
    item->names = grown;
    item->cap_names = cap;
  }
  item->names[item->n_names] = strdup(name);
  if (item->names[item->n_names] == NULL) return oom();
  item->n_names++;
  return EP_OK;
}

ep_status ep_refusals_add_node(ep_refusals* r, const char* name, const char* op,
                               const char* domain, int64_t opset, const char* reason) {
  char key[768];
  snprintf(key, sizeof key, "(%s, %s, opset %lld)%s%s", op, domain, (long long)opset,
           reason[0] ? ": " : "", reason);
  return add(r, key, name);
}

ep_status ep_refusals_add_text(ep_refusals* r, const char* text) { return add(r, text, NULL); }

/* Whether `len` more characters fit, keeping room for the closing count. */
static bool fits(size_t used, size_t len, size_t size) { return used + len + 32 < size; }

static void append(char* buf, size_t* used, const char* s) {
  size_t len = strlen(s);
  memcpy(buf + *used, s, len + 1);
  *used += len;
}

void ep_refusals_format(const ep_refusals* r, char* buf, size_t size) {
  if (size == 0) return;
  buf[0] = '\0';
  size_t used = 0;
  int written = 0; /* nodes and outputs named so far */
  for (int i = 0; i < r->n_items; i++) {
    const ep_refusal* item = &r->items[i];
    const char* sep = i > 0 ? "; " : "";
    size_t key_len = strlen(item->key) + 1;
    if (item->names == NULL) {
      if (!fits(used, strlen(sep) + key_len, size)) break;
      append(buf, &used, sep);
      append(buf, &used, item->key);
      written++;
      continue;
    }
    /* Each group's names, as many as fit with the group's reason after them. */
    if (!fits(used, strlen(sep) + strlen(item->names[0]) + key_len, size)) break;
    append(buf, &used, sep);
    append(buf, &used, item->names[0]);
    written++;
    int k = 1;
    for (; k < item->n_names && fits(used, 2 + strlen(item->names[k]) + key_len, size); k++) {
      append(buf, &used, ", ");
      append(buf, &used, item->names[k]);
      written++;
    }
    append(buf, &used, " ");
    append(buf, &used, item->key);
    if (k < item->n_names) break;
  }
  if (written < r->n_nodes) {
    snprintf(buf + used, size - used, " ... and %d more", r->n_nodes - written);
  }
}

void ep_refusals_free(ep_refusals* r) {
  if (r == NULL) return;
  for (int i = 0; i < r->n_items; i++) {
    for (int k = 0; k < r->items[i].n_names; k++) free(r->items[i].names[k]);
    free(r->items[i].names);
    free(r->items[i].key);
  }
  free(r->items);
  memset(r, 0, sizeof *r);
}

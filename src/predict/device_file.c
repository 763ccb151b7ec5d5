/* The device file: JSON, schema in docs/predict.md. Written with printf (numbers round-trip:
 * %.9g for floats, %.17g for doubles); read with cJSON and checked field by field, so that a
 * damaged or hand-edited file is refused with the reason rather than predicting nonsense. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "predict/predict_internal.h"

static void write_string(FILE* out, const char* s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
    else if (c < 0x20) fprintf(out, "\\u%04x", c);
    else fputc(c, out);
  }
  fputc('"', out);
}

static void write_tree(FILE* out, const ep_tree* t) {
  fprintf(out, "{\"feature\": [");
  for (int i = 0; i < t->n_nodes; i++) fprintf(out, "%s%d", i ? "," : "", t->feature[i]);
  fprintf(out, "], \"threshold\": [");
  for (int i = 0; i < t->n_nodes; i++) fprintf(out, "%s%.9g", i ? "," : "", t->threshold[i]);
  fprintf(out, "], \"left\": [");
  for (int i = 0; i < t->n_nodes; i++) fprintf(out, "%s%d", i ? "," : "", t->left[i]);
  fprintf(out, "], \"right\": [");
  for (int i = 0; i < t->n_nodes; i++) fprintf(out, "%s%d", i ? "," : "", t->right[i]);
  fprintf(out, "], \"value\": [");
  for (int i = 0; i < t->n_nodes; i++) fprintf(out, "%s%.17g", i ? "," : "", t->value[i]);
  fprintf(out, "]}");
}

ep_status ep_predict_device_write(const ep_predict_device* d, FILE* out) {
  if (d == NULL || out == NULL) return ep_error(EP_ERR_INVALID_ARGUMENT, "NULL device or stream");
  const ep_predict_device_info* in = &d->info;
  fprintf(out, "{\n  \"schema_version\": %d,\n  \"kind\": \"edgeprof-device\",\n  \"cpu\": ",
          EP_PREDICT_SCHEMA_VERSION);
  write_string(out, in->cpu);
  fprintf(out, ",\n  \"isa\": ");
  write_string(out, in->isa);
  fprintf(out, ",\n  \"layout\": ");
  write_string(out, in->layout);
  fprintf(out, ",\n  \"cpus\": ");
  write_string(out, in->cpus);
  fprintf(out, ",\n  \"llc_bytes\": %.17g,\n", in->llc_bytes);
  fprintf(out, "  \"fit\": {\"configs\": %d, \"samples\": %d, \"seconds\": %.3f},\n", in->configs,
          in->samples, in->fit_seconds);
  fprintf(out, "  \"features\": [");
  for (int f = 0; f < EP_PF_COUNT; f++) fprintf(out, "%s\"%s\"", f ? ", " : "", ep_pf_name(f));
  fprintf(out, "],\n  \"configs\": [");
  for (int c = 0; c < d->n_configs; c++) {
    const ep_predict_config* cfg = &d->configs[c];
    fprintf(out, "%s\n    {\"threads\": %d, \"models\": {", c ? "," : "", cfg->threads);
    bool first = true;
    for (int k = 0; k < EP_PREDICT_CLASS_COUNT; k++) {
      const ep_class_model* m = &cfg->models[k];
      if (!m->present) continue;
      fprintf(out, "%s\n      \"%s\": {\"samples\": %d, \"train_median_error\": %.6g, "
              "\"baseline\": [%.17g, %.17g, %.17g], \"bias\": %.17g, \"learning_rate\": %.9g,"
              "\n        \"trees\": [",
              first ? "" : ",", ep_predict_class_name((ep_predict_class)k), m->samples,
              m->train_median_error, m->baseline[0], m->baseline[1], m->baseline[2], m->bias,
              m->learning_rate);
      for (int t = 0; t < m->n_trees; t++) {
        fprintf(out, "%s\n          ", t ? "," : "");
        write_tree(out, &m->trees[t]);
      }
      fprintf(out, "]}");
      first = false;
    }
    fprintf(out, "}}");
  }
  fprintf(out, "\n  ]\n}\n");
  return ferror(out) ? ep_error(EP_ERR_IO, "writing the device file failed") : EP_OK;
}

/* --- reading ------------------------------------------------------------------------------ */

typedef struct reader {
  const char* source;
  ep_status status;
} reader;

static bool bad(reader* r, const char* what, const char* where) {
  if (r->status == EP_OK) {
    r->status = ep_error(EP_ERR_FORMAT, "%s: %s%s%s (not a valid edgeprof device file)", r->source,
                         where, where[0] ? ": " : "", what);
  }
  return false;
}

static bool get_number(reader* r, const cJSON* obj, const char* key, double lo, double hi,
                       double* out, const char* where) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
      v->valuedouble > hi) {
    char what[96];
    snprintf(what, sizeof what, "\"%s\" missing or not a number in range", key);
    return bad(r, what, where);
  }
  *out = v->valuedouble;
  return true;
}

static bool get_string(reader* r, const cJSON* obj, const char* key, char* out, size_t size) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsString(v) || strlen(v->valuestring) >= size) {
    char what[96];
    snprintf(what, sizeof what, "\"%s\" missing or not a string", key);
    return bad(r, what, "");
  }
  snprintf(out, size, "%s", v->valuestring);
  return true;
}

static bool read_tree(reader* r, const cJSON* jt, ep_tree* t, const char* where) {
  static const char* const keys[5] = {"feature", "threshold", "left", "right", "value"};
  const cJSON* arr[5];
  int n = -1;
  for (int k = 0; k < 5; k++) {
    arr[k] = cJSON_GetObjectItemCaseSensitive(jt, keys[k]);
    if (!cJSON_IsArray(arr[k])) return bad(r, "a tree lacks one of its arrays", where);
    int len = cJSON_GetArraySize(arr[k]);
    if (n < 0) n = len;
    if (len != n) return bad(r, "a tree's arrays differ in length", where);
  }
  if (n < 1 || n > 1 << 16) return bad(r, "a tree has no nodes or too many", where);
  t->n_nodes = n;
  t->feature = malloc((size_t)n * sizeof *t->feature);
  t->threshold = malloc((size_t)n * sizeof *t->threshold);
  t->left = malloc((size_t)n * sizeof *t->left);
  t->right = malloc((size_t)n * sizeof *t->right);
  t->value = malloc((size_t)n * sizeof *t->value);
  if (!t->feature || !t->threshold || !t->left || !t->right || !t->value) {
    if (r->status == EP_OK) r->status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a tree");
    return false;
  }
  for (int i = 0; i < n; i++) {
    const cJSON* v[5];
    for (int k = 0; k < 5; k++) {
      v[k] = cJSON_GetArrayItem(arr[k], i);
      if (!cJSON_IsNumber(v[k]) || !isfinite(v[k]->valuedouble)) {
        return bad(r, "a tree holds a value that is not a finite number", where);
      }
    }
    double fe = v[0]->valuedouble, le = v[2]->valuedouble, ri = v[3]->valuedouble;
    if (fe != floor(fe) || le != floor(le) || ri != floor(ri)) {
      return bad(r, "a tree's feature or child index is not a whole number", where);
    }
    t->feature[i] = (int)fe;
    t->threshold[i] = (float)v[1]->valuedouble;
    t->left[i] = (int)le;
    t->right[i] = (int)ri;
    t->value[i] = v[4]->valuedouble;
    if (t->feature[i] == -1) {
      if (t->left[i] != -1 || t->right[i] != -1) return bad(r, "a leaf has children", where);
      if (fabs(t->value[i]) > 50) return bad(r, "a leaf value is out of range", where);
    } else if (t->feature[i] < 0 || t->feature[i] >= EP_PF_COUNT) {
      return bad(r, "a tree splits on a feature that does not exist", where);
    } else if (t->left[i] <= i || t->left[i] >= n || t->right[i] <= i || t->right[i] >= n) {
      /* Children after their parent: no cycles, every walk ends at a leaf. */
      return bad(r, "a tree's child index is out of range", where);
    }
  }
  return true;
}

static bool read_model(reader* r, const cJSON* jm, ep_class_model* m, const char* where) {
  double v;
  if (!cJSON_IsObject(jm)) return bad(r, "a model is not an object", where);
  if (!get_number(r, jm, "samples", 1, 1e9, &v, where)) return false;
  m->samples = (int)v;
  if (!get_number(r, jm, "train_median_error", 0, 1e6, &m->train_median_error, where)) return false;
  if (!get_number(r, jm, "bias", -50, 50, &m->bias, where)) return false;
  if (!get_number(r, jm, "learning_rate", 0, 1, &m->learning_rate, where)) return false;
  const cJSON* base = cJSON_GetObjectItemCaseSensitive(jm, "baseline");
  if (!cJSON_IsArray(base) || cJSON_GetArraySize(base) != 3) {
    return bad(r, "\"baseline\" is not an array of 3 numbers", where);
  }
  for (int k = 0; k < 3; k++) {
    const cJSON* b = cJSON_GetArrayItem(base, k);
    if (!cJSON_IsNumber(b) || !isfinite(b->valuedouble) || b->valuedouble < 0) {
      return bad(r, "\"baseline\" holds a negative or non-finite number", where);
    }
    m->baseline[k] = b->valuedouble;
  }
  if (m->baseline[0] + m->baseline[1] + m->baseline[2] <= 0) {
    return bad(r, "\"baseline\" is all zeros", where);
  }
  const cJSON* trees = cJSON_GetObjectItemCaseSensitive(jm, "trees");
  if (!cJSON_IsArray(trees)) return bad(r, "\"trees\" is not an array", where);
  int n = cJSON_GetArraySize(trees);
  if (n > 100000) return bad(r, "too many trees", where);
  m->trees = calloc((size_t)n + 1, sizeof *m->trees);
  if (m->trees == NULL) {
    r->status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for %d trees", n);
    return false;
  }
  const cJSON* jt = NULL;
  cJSON_ArrayForEach(jt, trees) {
    m->n_trees++; /* counted first, so that a half-read tree is freed */
    if (!read_tree(r, jt, &m->trees[m->n_trees - 1], where)) return false;
  }
  m->present = true;
  return true;
}

ep_status ep_predict_device_parse(const char* text, size_t length, const char* source,
                                  ep_predict_device** device_out) {
  reader r = {source, EP_OK};
  ep_predict_device* d = calloc(1, sizeof *d);
  cJSON* doc = cJSON_ParseWithLength(text, length);
  if (d == NULL) {
    cJSON_Delete(doc);
    return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to read %s", source);
  }
  if (doc == NULL || !cJSON_IsObject(doc)) {
    bad(&r, "not a JSON object", "");
    goto cleanup;
  }
  const cJSON* kind = cJSON_GetObjectItemCaseSensitive(doc, "kind");
  if (!cJSON_IsString(kind) || strcmp(kind->valuestring, "edgeprof-device") != 0) {
    bad(&r, "\"kind\" is not \"edgeprof-device\"", "");
    goto cleanup;
  }
  const cJSON* version = cJSON_GetObjectItemCaseSensitive(doc, "schema_version");
  if (!cJSON_IsNumber(version) || version->valuedouble != EP_PREDICT_SCHEMA_VERSION) {
    if (r.status == EP_OK) {
      char got[32] = "missing";
      if (cJSON_IsNumber(version)) snprintf(got, sizeof got, "%g", version->valuedouble);
      r.status = ep_error(EP_ERR_FORMAT, "%s: schema_version %s, this edgeprof reads version %d",
                          source, got, EP_PREDICT_SCHEMA_VERSION);
    }
    goto cleanup;
  }
  ep_predict_device_info* in = &d->info;
  if (!get_string(&r, doc, "cpu", in->cpu, sizeof in->cpu) ||
      !get_string(&r, doc, "isa", in->isa, sizeof in->isa) ||
      !get_string(&r, doc, "layout", in->layout, sizeof in->layout) ||
      !get_string(&r, doc, "cpus", in->cpus, sizeof in->cpus) ||
      !get_number(&r, doc, "llc_bytes", 1024, 1e12, &in->llc_bytes, "")) {
    goto cleanup;
  }
  const cJSON* fit = cJSON_GetObjectItemCaseSensitive(doc, "fit");
  double v;
  if (!cJSON_IsObject(fit)) {
    bad(&r, "\"fit\" is not an object", "");
    goto cleanup;
  }
  if (!get_number(&r, fit, "configs", 0, 1e9, &v, "fit")) goto cleanup;
  in->configs = (int)v;
  if (!get_number(&r, fit, "samples", 0, 1e9, &v, "fit")) goto cleanup;
  in->samples = (int)v;
  if (!get_number(&r, fit, "seconds", 0, 1e9, &in->fit_seconds, "fit")) goto cleanup;
  const cJSON* features = cJSON_GetObjectItemCaseSensitive(doc, "features");
  if (!cJSON_IsArray(features) || cJSON_GetArraySize(features) != EP_PF_COUNT) {
    bad(&r, "\"features\" is not this edgeprof's feature list", "");
    goto cleanup;
  }
  for (int f = 0; f < EP_PF_COUNT; f++) {
    const cJSON* name = cJSON_GetArrayItem(features, f);
    if (!cJSON_IsString(name) || strcmp(name->valuestring, ep_pf_name(f)) != 0) {
      bad(&r, "\"features\" is not this edgeprof's feature list", "");
      goto cleanup;
    }
  }
  const cJSON* configs = cJSON_GetObjectItemCaseSensitive(doc, "configs");
  if (!cJSON_IsArray(configs) || cJSON_GetArraySize(configs) < 1 ||
      cJSON_GetArraySize(configs) > EP_PREDICT_MAX_THREAD_COUNTS) {
    bad(&r, "\"configs\" must list 1 to 8 thread counts", "");
    goto cleanup;
  }
  const cJSON* jc = NULL;
  cJSON_ArrayForEach(jc, configs) {
    ep_predict_config* cfg = &d->configs[d->n_configs];
    char where[64];
    snprintf(where, sizeof where, "configs[%d]", d->n_configs);
    if (!cJSON_IsObject(jc) || !get_number(&r, jc, "threads", 1, 256, &v, where)) {
      bad(&r, "not an object with \"threads\"", where);
      goto cleanup;
    }
    cfg->threads = (int)v;
    for (int c = 0; c < d->n_configs; c++) {
      if (d->configs[c].threads == cfg->threads) {
        bad(&r, "a thread count is listed twice", where);
        goto cleanup;
      }
    }
    d->n_configs++;
    const cJSON* models = cJSON_GetObjectItemCaseSensitive(jc, "models");
    if (!cJSON_IsObject(models)) {
      bad(&r, "\"models\" is not an object", where);
      goto cleanup;
    }
    const cJSON* jm = NULL;
    cJSON_ArrayForEach(jm, models) {
      int k = 0;
      while (k < EP_PREDICT_CLASS_COUNT &&
             strcmp(jm->string, ep_predict_class_name((ep_predict_class)k)) != 0) {
        k++;
      }
      char mwhere[128];
      snprintf(mwhere, sizeof mwhere, "%s.models.%.32s", where, jm->string);
      if (k == EP_PREDICT_CLASS_COUNT || k == EP_PREDICT_VIEW) {
        bad(&r, "not an op class", mwhere);
        goto cleanup;
      }
      if (cfg->models[k].present || cfg->models[k].trees != NULL) {
        bad(&r, "listed twice", mwhere);
        goto cleanup;
      }
      if (!read_model(&r, jm, &cfg->models[k], mwhere)) goto cleanup;
    }
  }
  in->n_threads = d->n_configs;
  for (int c = 0; c < d->n_configs; c++) in->threads[c] = d->configs[c].threads;

cleanup:
  cJSON_Delete(doc);
  if (r.status != EP_OK) {
    ep_predict_device_destroy(d);
    return r.status;
  }
  *device_out = d;
  return EP_OK;
}

ep_status ep_predict_device_load(const char* path, ep_predict_device** device_out) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return ep_error(EP_ERR_IO, "cannot read %s: %s", path, strerror(errno));
  enum { MAX_BYTES = 256 << 20 };
  char* text = NULL;
  size_t used = 0, cap = 0;
  ep_status status = EP_OK;
  for (;;) {
    if (used == cap) {
      if (cap >= MAX_BYTES) {
        status = ep_error(EP_ERR_FORMAT, "%s: larger than 256 MiB, not a device file", path);
        break;
      }
      size_t next = cap ? cap * 2 : 1 << 20;
      char* grown = realloc(text, next + 1);
      if (grown == NULL) {
        status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to read %s", path);
        break;
      }
      text = grown;
      cap = next;
    }
    size_t got = fread(text + used, 1, cap - used, f);
    used += got;
    if (got == 0) break;
  }
  if (status == EP_OK && ferror(f)) status = ep_error(EP_ERR_IO, "cannot read %s", path);
  fclose(f);
  if (status == EP_OK) status = ep_predict_device_parse(text, used, path, device_out);
  free(text);
  return status;
}

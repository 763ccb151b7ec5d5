/* JSON helpers: cJSON allocation hooks that remember failures, common sub-objects. */
#include "report/json_util.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "edgeprof/platform.h"

/* cJSON's Add* calls return NULL on allocation failure and leave the document short; the
 * hooks record it so that a truncated document is never written. */
static _Thread_local bool alloc_failed;
static pthread_once_t hooks_once = PTHREAD_ONCE_INIT;

static void* checked_malloc(size_t size) {
  void* p = malloc(size);
  if (p == NULL) alloc_failed = true;
  return p;
}

static void install_hooks(void) {
  cJSON_Hooks hooks = {checked_malloc, free};
  cJSON_InitHooks(&hooks);
}

cJSON* ep_json_begin(void) {
  pthread_once(&hooks_once, install_hooks);
  alloc_failed = false;
  return cJSON_CreateObject();
}

ep_status ep_json_finish(cJSON* doc, FILE* out) {
  char* text = doc != NULL && !alloc_failed ? cJSON_Print(doc) : NULL;
  cJSON_Delete(doc);
  if (text == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  int failed = fputs(text, out) == EOF || fputc('\n', out) == EOF;
  cJSON_free(text);
  if (failed || ferror(out)) return ep_error(EP_ERR_IO, "cannot write a JSON document");
  return EP_OK;
}

void ep_json_add_environment(cJSON* doc, const char* backend) {
  ep_environment env;
  ep_environment_get(&env);
  cJSON* o = cJSON_AddObjectToObject(doc, "environment");
  if (o == NULL) return;
  cJSON_AddStringToObject(o, "host", env.host);
  cJSON_AddStringToObject(o, "cpu", env.cpu);
  cJSON_AddStringToObject(o, "isa", env.isa);
  if (backend != NULL) {
    cJSON_AddStringToObject(o, "backend", backend);
  } else {
    cJSON_AddNullToObject(o, "backend");
  }
  cJSON_AddStringToObject(o, "edgeprof_version", env.version);
  cJSON_AddStringToObject(o, "git_hash", env.git_hash);
  cJSON_AddStringToObject(o, "date", env.date);
}

void ep_json_add_init(cJSON* doc, double load_ms, double session_ms, double first_inference_ms) {
  if (load_ms >= 0 && session_ms >= 0) {
    cJSON* init = cJSON_AddObjectToObject(doc, "init_ms");
    if (init != NULL) {
      ep_json_add_ms(init, "load", load_ms);
      ep_json_add_ms(init, "session", session_ms);
      ep_json_add_ms(init, "total", load_ms + session_ms);
    }
  } else {
    cJSON_AddNullToObject(doc, "init_ms");
  }
  if (first_inference_ms >= 0) {
    ep_json_add_ms(doc, "first_inference_ms", first_inference_ms);
  } else {
    cJSON_AddNullToObject(doc, "first_inference_ms");
  }
}

double ep_json_ms(double ms) {
  if (!isfinite(ms)) return ms;
  return round(ms * 1e4) / 1e4;
}

void ep_json_add_int(cJSON* obj, const char* key, int64_t value) {
  cJSON_AddNumberToObject(obj, key, (double)value);
}

void ep_json_add_ms(cJSON* obj, const char* key, double ms) {
  cJSON_AddNumberToObject(obj, key, ep_json_ms(ms));
}

void ep_json_add_percent(cJSON* obj, const char* key, double percent) {
  cJSON_AddNumberToObject(obj, key, isfinite(percent) ? round(percent * 1e4) / 1e4 : percent);
}

cJSON* ep_json_latency(const ep_latency_stats* s) {
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  ep_json_add_ms(o, "min", s->min);
  ep_json_add_ms(o, "median", s->median);
  ep_json_add_ms(o, "mean", s->mean);
  ep_json_add_ms(o, "p50", s->median);
  ep_json_add_ms(o, "p90", s->p90);
  ep_json_add_ms(o, "p95", s->p95);
  ep_json_add_ms(o, "p99", s->p99);
  ep_json_add_ms(o, "p999", s->p999);
  ep_json_add_ms(o, "max", s->max);
  ep_json_add_ms(o, "stddev", s->stddev);
  return o;
}

cJSON* ep_json_totals(const ep_graph_totals* t) {
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  ep_json_add_int(o, "params", t->params);
  ep_json_add_int(o, "macs", t->macs);
  ep_json_add_int(o, "flops", t->flops);
  ep_json_add_int(o, "weight_bytes", t->weight_bytes);
  ep_json_add_int(o, "activation_bytes", t->activation_bytes);
  ep_json_add_int(o, "nodes", t->nodes);
  ep_json_add_int(o, "layers", t->layers);
  return o;
}

void ep_json_add_memory(cJSON* obj, const ep_session_memory* m) {
  ep_json_add_int(obj, "weights_packed", (int64_t)m->weight_bytes);
  ep_json_add_int(obj, "activation_arena", (int64_t)m->arena_bytes);
  ep_json_add_int(obj, "scratch", (int64_t)m->scratch_bytes);
}

cJSON* ep_json_table1_row(const ep_table1_row* row) {
  cJSON* o = cJSON_CreateObject();
  if (o == NULL) return NULL;
  const ep_paper_row* p = &row->zoo->paper;
  cJSON_AddStringToObject(o, "name", row->zoo->name);
  cJSON_AddStringToObject(o, "set", ep_zoo_set_name(row->zoo->set));
  cJSON_AddStringToObject(o, "description", row->zoo->description);
  cJSON_AddStringToObject(o, "input", row->input);
  cJSON_AddStringToObject(o, "output", row->output);
  ep_json_add_int(o, "layers", row->totals.layers);
  ep_json_add_int(o, "params", row->totals.params);
  ep_json_add_int(o, "macs", row->totals.macs);
  ep_json_add_int(o, "flops", row->totals.flops);
  cJSON* paper = cJSON_AddObjectToObject(o, "paper");
  if (paper != NULL) {
    cJSON_AddStringToObject(paper, "name", p->name ? p->name : "");
    cJSON_AddStringToObject(paper, "input", p->input ? p->input : "");
    cJSON_AddStringToObject(paper, "output", p->output ? p->output : "");
    cJSON_AddStringToObject(paper, "layers", p->layers ? p->layers : "");
    cJSON_AddStringToObject(paper, "params", p->params ? p->params : "");
    cJSON_AddStringToObject(paper, "flops", p->flops ? p->flops : "");
    cJSON_AddStringToObject(paper, "macs", p->macs ? p->macs : "");
  }
  cJSON_AddStringToObject(o, "note", row->zoo->paper_note ? row->zoo->paper_note : "");
  return o;
}

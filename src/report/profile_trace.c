/* profile --trace: Chrome's Trace Event Format, as onnxruntime_perf_test -p writes it, so that
 * chrome://tracing and Perfetto (ui.perfetto.dev) show each run and each node on a timeline.
 * Complete events ("ph": "X") with ts and dur in microseconds; one process, the calling thread
 * (the one that walks the nodes; workers inside a node are not shown). */
#include <math.h>

#include "edgeprof/profile.h"
#include "edgeprof/report.h"
#include "report/json_util.h"

static double us(double seconds) { return round(seconds * 1e7) / 10.0; } /* 0.1 us */

static cJSON* event(const char* name, const char* cat, double start_s, double dur_s, int tid) {
  cJSON* e = cJSON_CreateObject();
  if (e == NULL) return NULL;
  cJSON_AddStringToObject(e, "name", name);
  cJSON_AddStringToObject(e, "cat", cat);
  cJSON_AddStringToObject(e, "ph", "X");
  cJSON_AddNumberToObject(e, "ts", us(start_s));
  cJSON_AddNumberToObject(e, "dur", us(dur_s));
  cJSON_AddNumberToObject(e, "pid", 1);
  cJSON_AddNumberToObject(e, "tid", tid);
  return e;
}

static cJSON* thread_name(int tid, const char* name) {
  cJSON* m = cJSON_CreateObject();
  if (m == NULL) return NULL;
  cJSON_AddStringToObject(m, "name", "thread_name");
  cJSON_AddStringToObject(m, "ph", "M");
  cJSON_AddNumberToObject(m, "pid", 1);
  cJSON_AddNumberToObject(m, "tid", tid);
  cJSON* args = cJSON_AddObjectToObject(m, "args");
  if (args != NULL) cJSON_AddStringToObject(args, "name", name);
  return m;
}

ep_status ep_report_profile_trace(const ep_profile_report* r, FILE* out) {
  const ep_profile* p = r->profile;
  cJSON* doc = ep_json_begin();
  if (doc == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory to build a JSON document");
  cJSON* events = cJSON_AddArrayToObject(doc, "traceEvents");
  cJSON* meta = cJSON_CreateObject();
  if (meta != NULL) {
    cJSON_AddStringToObject(meta, "name", "process_name");
    cJSON_AddStringToObject(meta, "ph", "M");
    cJSON_AddNumberToObject(meta, "pid", 1);
    cJSON_AddNumberToObject(meta, "tid", 1);
    cJSON* args = cJSON_AddObjectToObject(meta, "args");
    char name[256];
    snprintf(name, sizeof name, "edgeprof profile %s", r->model);
    if (args != NULL) cJSON_AddStringToObject(args, "name", name);
    cJSON_AddItemToArray(events, meta);
  }
  /* Whole runs and node-timed runs alternate in time; two tracks keep them readable. */
  cJSON_AddItemToArray(events, thread_name(1, "runs timed node by node"));
  cJSON_AddItemToArray(events, thread_name(2, "whole runs (no node timers)"));
  for (int i = 0; events != NULL && i < p->n_events; i++) {
    const ep_profile_event* e = &p->events[i];
    char name[160];
    cJSON* x;
    if (e->node >= 0 && e->node < ep_graph_node_count(r->graph)) {
      const ep_node* node = ep_graph_node(r->graph, e->node);
      char op[64];
      x = event(node->name, "node", e->start_s, e->dur_s, 1);
      cJSON* args = x != NULL ? cJSON_AddObjectToObject(x, "args") : NULL;
      if (args != NULL) {
        cJSON_AddNumberToObject(args, "index", e->node);
        cJSON_AddStringToObject(args, "op", ep_node_op_label(node, op, sizeof op));
        cJSON_AddNumberToObject(args, "run", e->run);
      }
    } else {
      bool whole = e->node == EP_PROFILE_RUN_WHOLE;
      snprintf(name, sizeof name, "%s run %d", whole ? "whole" : "timed", e->run);
      x = event(name, "run", e->start_s, e->dur_s, whole ? 2 : 1);
    }
    cJSON_AddItemToArray(events, x);
  }
  cJSON_AddStringToObject(doc, "displayTimeUnit", "ms");
  cJSON* other = cJSON_AddObjectToObject(doc, "otherData");
  if (other != NULL) {
    cJSON_AddNumberToObject(other, "schema_version", EP_RESULTS_SCHEMA_VERSION);
    cJSON_AddStringToObject(other, "kind", "profile_trace");
    cJSON_AddStringToObject(other, "model", r->model);
    ep_json_add_environment(other, r->session != NULL ? ep_session_backend(r->session) : "cpu");
    cJSON_AddNumberToObject(other, "events_dropped", p->events_dropped);
  }
  return ep_json_finish(doc, out);
}

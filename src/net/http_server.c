/* The KServe v2 server over HTTP/1.1 on libmicrohttpd: a thread per connection (a slow client
 * holds its own thread only), HTTPS through the library's GnuTLS, the token on every request.
 * Routes: docs/protocol.md, "KServe v2 over HTTP". */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "edgeprof/http.h"
#include "edgeprof/platform.h"
#include "net/socket.h"
#include "net/v2_codec.h"
#include "net/v2_models.h"

#define MAX_PEM_BYTES (1 << 20)

struct ep_http_server {
  ep_http_server_options opt;
  char host[256];
  uint8_t token[EP_NET_MAX_TOKEN];
  size_t token_length;
  bool has_token;
  char* tls_cert; /* PEM text, kept for the daemon's lifetime */
  char* tls_key;
  int listen_fd;
  int port;
  int wake[2];
  volatile sig_atomic_t stopping;
  struct MHD_Daemon* daemon;
  v2_models* models;
  pthread_mutex_t lock; /* stats */
  ep_http_server_stats stats;
};

/* One request's state across the access handler's calls. */
typedef struct request {
  ep_net_buf body;
  bool refused; /* a response was queued before the body (401, 413) */
} request;

bool ep_http_available(void) { return true; }

static void log_line(ep_http_server* s, const char* format, ...)
    __attribute__((format(printf, 2, 3)));
static void log_line(ep_http_server* s, const char* format, ...) {
  if (s->opt.log == NULL) return;
  char line[600];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  s->opt.log(s->opt.log_user, line);
}

void ep_http_server_options_default(ep_http_server_options* o) {
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->port = 8000;
  o->threads = 1;
  o->max_clients = 64;
  o->max_per_address = 32;
  o->max_body = (size_t)64 << 20;
  o->timeout_s = 60;
}

/* --- responses ------------------------------------------------------------------------------ */

static enum MHD_Result respond(ep_http_server* s, struct MHD_Connection* c, unsigned code,
                               ep_net_buf* body, const char* content_type, long long header_length) {
  /* The buffer moves into the response: MHD frees it once sent. */
  struct MHD_Response* r = MHD_create_response_from_buffer(body->length, body->data,
                                                           MHD_RESPMEM_MUST_FREE);
  if (r == NULL) {
    ep_net_buf_free(body);
    return MHD_NO;
  }
  body->data = NULL;
  body->length = body->capacity = 0;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  if (header_length >= 0) {
    char text[32];
    snprintf(text, sizeof text, "%lld", header_length);
    MHD_add_response_header(r, "Inference-Header-Content-Length", text);
  }
  if (code == 401) MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
  enum MHD_Result result = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  pthread_mutex_lock(&s->lock);
  s->stats.requests++;
  if (code >= 400) s->stats.errors++;
  if (code == 401) s->stats.unauthorized++;
  pthread_mutex_unlock(&s->lock);
  return result;
}

static enum MHD_Result respond_text(ep_http_server* s, struct MHD_Connection* c, unsigned code,
                                    const char* content_type, const char* text) {
  ep_net_buf b;
  ep_net_buf_init(&b);
  ep_net_put_bytes(&b, text, strlen(text));
  if (b.failed) return MHD_NO;
  return respond(s, c, code, &b, content_type, -1);
}

/* {"error": "..."}, the v2 error body. */
static enum MHD_Result respond_error(ep_http_server* s, struct MHD_Connection* c, unsigned code,
                                     const char* format, ...) __attribute__((format(printf, 4, 5)));
static enum MHD_Result respond_error(ep_http_server* s, struct MHD_Connection* c, unsigned code,
                                     const char* format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  ep_net_buf b;
  ep_net_buf_init(&b);
  ep_net_put_bytes(&b, "{\"error\":", 9);
  ep_v2_put_json_string(&b, message);
  ep_net_put_bytes(&b, "}", 1);
  if (b.failed) return MHD_NO;
  if (code >= 500) log_line(s, "%u: %s", code, message);
  return respond(s, c, code, &b, "application/json", -1);
}

/* --- metadata --------------------------------------------------------------------------------- */

static void put_tensor_list(ep_net_buf* b, const ep_graph* g, const int* ids, int n) {
  for (int i = 0; i < n; i++) {
    const ep_tensor* t = ep_graph_tensor(g, ids[i]);
    ep_net_put_bytes(b, i > 0 ? ",{\"name\":" : "{\"name\":", i > 0 ? 9 : 8);
    ep_v2_put_json_string(b, t->name);
    ep_net_put_bytes(b, ",\"datatype\":\"FP32\",\"shape\":[", 28);
    for (int d = 0; d < t->shape.rank; d++) {
      char dim[32];
      int len = snprintf(dim, sizeof dim, d > 0 ? ",%" PRId64 : "%" PRId64, t->shape.dims[d]);
      ep_net_put_bytes(b, dim, (size_t)len);
    }
    ep_net_put_bytes(b, "]}", 2);
  }
}

static enum MHD_Result model_metadata(ep_http_server* s, struct MHD_Connection* c,
                                      const char* name, const v2_target* t) {
  ep_net_buf b;
  ep_net_buf_init(&b);
  ep_net_put_bytes(&b, "{\"name\":", 8);
  ep_v2_put_json_string(&b, name);
  ep_net_put_bytes(&b, ",\"versions\":[\"1\"],\"platform\":\"edgeprof\",\"inputs\":[", 50);
  put_tensor_list(&b, t->graph, t->inputs, t->n_inputs);
  ep_net_put_bytes(&b, "],\"outputs\":[", 13);
  put_tensor_list(&b, t->graph, t->outputs, t->n_outputs);
  ep_net_put_bytes(&b, "]}", 2);
  if (b.failed) return respond_error(s, c, 500, "out of memory");
  return respond(s, c, 200, &b, "application/json", -1);
}

/* --- infer ------------------------------------------------------------------------------------ */

static int find_input(const v2_message* m, const char* name) {
  for (int i = 0; i < m->n_tensors; i++) {
    if (strcmp(m->tensors[i].name, name) == 0) return i;
  }
  return -1;
}

static enum MHD_Result infer(ep_http_server* s, struct MHD_Connection* c, const char* name,
                             const v2_target* t, const ep_net_buf* body) {
  double start = ep_now();
  long long header_length = -1;
  const char* hl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Inference-Header-Content-Length");
  if (hl != NULL) {
    char* end = NULL;
    header_length = strtoll(hl, &end, 10);
    if (*hl == '\0' || *end != '\0' || header_length < 0) {
      ep_v2_model_record(s->models, t->model, false, 0);
      return respond_error(s, c, 400, "Inference-Header-Content-Length must be a byte count");
    }
  }
  v2_message m;
  char why[400];
  if (!ep_v2_parse(body->data, body->length, header_length, true, &m, why, sizeof why)) {
    ep_v2_model_record(s->models, t->model, false, 0);
    return respond_error(s, c, 400, "%s", why);
  }
  unsigned code = 200;
  /* Every input of the range, by name, with its exact shape; nothing else. */
  if (m.n_tensors != t->n_inputs) {
    code = 400;
    snprintf(why, sizeof why, "model '%s' takes %d input%s, got %d", name, t->n_inputs,
             t->n_inputs == 1 ? "" : "s", m.n_tensors);
  }
  for (int i = 0; i < t->n_inputs && code == 200; i++) {
    const ep_tensor* want = ep_graph_tensor(t->graph, t->inputs[i]);
    int k = find_input(&m, want->name);
    char a[64], b[64];
    if (k < 0) {
      code = 400;
      snprintf(why, sizeof why, "input '%.200s' is missing", want->name);
    } else if (!ep_shape_equal(&want->shape, &m.tensors[k].shape)) {
      code = 400;
      snprintf(why, sizeof why, "input '%.200s' must be %s, got %s", want->name,
               ep_shape_format(&want->shape, a, sizeof a),
               ep_shape_format(&m.tensors[k].shape, b, sizeof b));
    }
  }
  /* The outputs: those asked for by name, or all of them. */
  int n_out = m.n_wanted > 0 ? m.n_wanted : t->n_outputs;
  int* out_ids = calloc((size_t)n_out + 1, sizeof *out_ids);
  v2_out* outs = calloc((size_t)n_out + 1, sizeof *outs);
  if (code == 200 && (out_ids == NULL || outs == NULL)) {
    code = 500;
    snprintf(why, sizeof why, "out of memory");
  }
  for (int i = 0; i < n_out && code == 200; i++) {
    if (m.n_wanted == 0) {
      out_ids[i] = t->outputs[i];
      outs[i].binary = m.binary_output;
      continue;
    }
    out_ids[i] = -1;
    for (int j = 0; j < t->n_outputs; j++) {
      if (strcmp(ep_graph_tensor(t->graph, t->outputs[j])->name, m.wanted[i].name) == 0) {
        out_ids[i] = t->outputs[j];
      }
    }
    outs[i].binary = m.wanted[i].binary;
    if (out_ids[i] < 0) {
      code = 400;
      snprintf(why, sizeof why, "model '%.100s' has no output '%.200s'", name, m.wanted[i].name);
    }
  }
  ep_session* session = NULL;
  if (code == 200) {
    bool busy = false;
    session = ep_v2_model_acquire(s->models, t, &busy, why, sizeof why);
    if (session == NULL) code = busy ? 503 : 500;
  }
  ep_net_buf reply;
  ep_net_buf_init(&reply);
  size_t json_length = 0;
  if (session != NULL) {
    for (int i = 0; i < t->n_inputs; i++) {
      const v2_tensor* in = &m.tensors[find_input(&m, ep_graph_tensor(t->graph, t->inputs[i])->name)];
      memcpy(ep_session_tensor_data(session, t->inputs[i]), in->data, in->numel * 4);
    }
    if (ep_session_run_range(session, t->first, t->end) != EP_OK) {
      code = 500;
      snprintf(why, sizeof why, "the run failed: %s", ep_last_error());
    }
    for (int i = 0; i < n_out && code == 200; i++) {
      const ep_tensor* o = ep_graph_tensor(t->graph, out_ids[i]);
      outs[i].name = o->name;
      outs[i].shape = o->shape;
      outs[i].data = ep_session_tensor_data(session, out_ids[i]);
    }
    if (code == 200 && !ep_v2_write(&reply, false, name, m.id, outs, n_out, false, &json_length,
                                 why, sizeof why)) {
      code = 500;
    }
    ep_v2_model_release(s->models, t, session); /* the values are in the reply now */
  }
  bool any_binary = false;
  for (int i = 0; i < n_out && code == 200; i++) any_binary |= outs[i].binary;
  free(out_ids);
  free(outs);
  ep_v2_message_free(&m);
  ep_v2_model_record(s->models, t->model, code == 200, ep_now() - start);
  if (code != 200) {
    ep_net_buf_free(&reply);
    return respond_error(s, c, code, "%s", why);
  }
  pthread_mutex_lock(&s->lock);
  s->stats.inferences++;
  pthread_mutex_unlock(&s->lock);
  return respond(s, c, 200, &reply, any_binary ? "application/octet-stream" : "application/json",
                 any_binary ? (long long)json_length : -1);
}

/* --- /metrics (Prometheus text format 0.0.4) -------------------------------------------------- */

typedef struct model_snapshot {
  char name[256];
  v2_model_stats stats;
} model_snapshot;

typedef struct snapshots {
  model_snapshot* items;
  int n, max;
} snapshots;

static void take_snapshot(void* user, const char* name, const v2_model_stats* stats) {
  snapshots* s = user;
  if (s->n >= s->max) return;
  snprintf(s->items[s->n].name, sizeof s->items[s->n].name, "%s", name);
  s->items[s->n++].stats = *stats;
}

static void put_line(ep_net_buf* b, const char* format, ...) __attribute__((format(printf, 2, 3)));
static void put_line(ep_net_buf* b, const char* format, ...) {
  char line[600];
  va_list args;
  va_start(args, format);
  int n = vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (n > 0) ep_net_put_bytes(b, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

static enum MHD_Result metrics(ep_http_server* s, struct MHD_Connection* c) {
  snapshots snap = {calloc(256, sizeof(model_snapshot)), 0, 256};
  if (snap.items == NULL) return respond_error(s, c, 500, "out of memory");
  ep_v2_models_each(s->models, take_snapshot, &snap);
  ep_http_server_stats st;
  ep_http_server_stats_get(s, &st);
  ep_net_buf b;
  ep_net_buf_init(&b);
  put_line(&b, "# HELP edgeprof_http_requests_total HTTP requests answered (before this one).\n"
               "# TYPE edgeprof_http_requests_total counter\n"
               "edgeprof_http_requests_total %" PRIu64 "\n", st.requests);
  put_line(&b, "# HELP edgeprof_http_errors_total HTTP requests answered 4xx or 5xx.\n"
               "# TYPE edgeprof_http_errors_total counter\n"
               "edgeprof_http_errors_total %" PRIu64 "\n", st.errors);
  ep_model_cache_stats cs;
  ep_v2_models_cache_stats(s->models, &cs);
  put_line(&b, "# HELP edgeprof_models_loaded Models held in memory now.\n"
               "# TYPE edgeprof_models_loaded gauge\nedgeprof_models_loaded %d\n"
               "# HELP edgeprof_model_memory_bytes Bytes of the models held, against the budget.\n"
               "# TYPE edgeprof_model_memory_bytes gauge\nedgeprof_model_memory_bytes %zu\n"
               "# HELP edgeprof_model_memory_budget_bytes The model memory budget.\n"
               "# TYPE edgeprof_model_memory_budget_bytes gauge\n"
               "edgeprof_model_memory_budget_bytes %zu\n"
               "# HELP edgeprof_model_evictions_total Models evicted to make room.\n"
               "# TYPE edgeprof_model_evictions_total counter\n"
               "edgeprof_model_evictions_total %" PRIu64 "\n",
           cs.models, cs.bytes, cs.budget, cs.evictions);
  put_line(&b, "# HELP edgeprof_http_unauthorized_total HTTP requests refused for their token.\n"
               "# TYPE edgeprof_http_unauthorized_total counter\n"
               "edgeprof_http_unauthorized_total %" PRIu64 "\n", st.unauthorized);
  static const struct {
    const char* name;
    const char* type;
    const char* help;
  } families[] = {
      {"edgeprof_inference_requests_total", "counter", "Infer requests to a model (its ranges included)."},
      {"edgeprof_inference_errors_total", "counter", "Infer requests to a model that failed."},
      {"edgeprof_inference_queue_depth", "gauge", "Infer requests waiting for a session of the model."},
      {"edgeprof_inference_running", "gauge", "Infer requests running on a session of the model."},
  };
  for (int f = 0; f < 4; f++) {
    put_line(&b, "# HELP %s %s\n# TYPE %s %s\n", families[f].name, families[f].help,
             families[f].name, families[f].type);
    for (int i = 0; i < snap.n; i++) {
      const v2_model_stats* m = &snap.items[i].stats;
      double v = f == 0 ? (double)m->requests : f == 1 ? (double)m->errors
                 : f == 2 ? m->queued : m->running;
      put_line(&b, "%s{model=\"%s\"} %.0f\n", families[f].name, snap.items[i].name, v);
    }
  }
  put_line(&b, "# HELP edgeprof_inference_latency_seconds Time to answer a successful infer "
               "request, parsing to reply.\n# TYPE edgeprof_inference_latency_seconds histogram\n");
  for (int i = 0; i < snap.n; i++) {
    const v2_model_stats* m = &snap.items[i].stats;
    uint64_t cumulative = 0;
    for (int k = 0; k <= V2_LATENCY_BUCKETS; k++) {
      cumulative += m->latency_counts[k];
      char le[32];
      if (k < V2_LATENCY_BUCKETS) snprintf(le, sizeof le, "%g", ep_v2_latency_bounds_s[k]);
      else snprintf(le, sizeof le, "+Inf");
      put_line(&b, "edgeprof_inference_latency_seconds_bucket{model=\"%s\",le=\"%s\"} %" PRIu64 "\n",
               snap.items[i].name, le, cumulative);
    }
    put_line(&b, "edgeprof_inference_latency_seconds_sum{model=\"%s\"} %.9g\n", snap.items[i].name,
             m->latency_sum_s);
    put_line(&b, "edgeprof_inference_latency_seconds_count{model=\"%s\"} %" PRIu64 "\n",
             snap.items[i].name, cumulative);
  }
  free(snap.items);
  if (b.failed) return respond_error(s, c, 500, "out of memory");
  return respond(s, c, 200, &b, "text/plain; version=0.0.4; charset=utf-8", -1);
}

/* --- routing ---------------------------------------------------------------------------------- */

static bool authorized(ep_http_server* s, struct MHD_Connection* c) {
  if (!s->has_token) return true;
  const char* h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  if (h == NULL || strncmp(h, "Bearer ", 7) != 0) return false;
  const char* token = h + 7;
  size_t length = strlen(token);
  if (length > EP_NET_MAX_TOKEN) length = EP_NET_MAX_TOKEN + 1; /* differs, in constant time */
  return ep_net_token_equal(s->token, s->token_length, (const uint8_t*)token,
                            length > EP_NET_MAX_TOKEN ? 0 : length);
}

/* Splits "/v2/models/NAME[/versions/V][/ACTION]": false if the path is not of that form. */
static bool model_route(const char* url, char* name, size_t name_size, char* action,
                        size_t action_size) {
  const char* p = url + strlen("/v2/models/");
  const char* slash = strchr(p, '/');
  size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
  if (n == 0 || n >= name_size) return false;
  memcpy(name, p, n);
  name[n] = '\0';
  p += n;
  if (strncmp(p, "/versions/", 10) == 0) {
    /* One version per model: "1". */
    if (strncmp(p + 10, "1", 1) != 0 || (p[11] != '\0' && p[11] != '/')) return false;
    p += 11;
  }
  if (*p == '\0') {
    action[0] = '\0';
    return true;
  }
  if (strlen(p + 1) >= action_size || strchr(p + 1, '/') != NULL) return false;
  snprintf(action, action_size, "%s", p + 1);
  return true;
}

static enum MHD_Result route(ep_http_server* s, struct MHD_Connection* c, const char* url,
                             const char* method, const ep_net_buf* body) {
  bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
  if (strcmp(url, "/v2/health/live") == 0) {
    return get ? respond_text(s, c, 200, "application/json", "{\"live\":true}")
               : respond_error(s, c, 405, "use GET");
  }
  if (strcmp(url, "/v2/health/ready") == 0) {
    if (!get) return respond_error(s, c, 405, "use GET");
    return s->stopping ? respond_text(s, c, 503, "application/json", "{\"ready\":false}")
                       : respond_text(s, c, 200, "application/json", "{\"ready\":true}");
  }
  if (strcmp(url, "/v2") == 0 || strcmp(url, "/v2/") == 0) {
    if (!get) return respond_error(s, c, 405, "use GET");
    return respond_text(s, c, 200, "application/json",
                        "{\"name\":\"edgeprof\",\"version\":\"0.1.0\","
                        "\"extensions\":[\"binary_tensor_data\"]}");
  }
  if (strcmp(url, "/metrics") == 0) {
    return get ? metrics(s, c) : respond_error(s, c, 405, "use GET");
  }
  char name[256], action[16];
  if (strncmp(url, "/v2/models/", 11) != 0 ||
      !model_route(url, name, sizeof name, action, sizeof action) ||
      (action[0] != '\0' && strcmp(action, "ready") != 0 && strcmp(action, "infer") != 0)) {
    return respond_error(s, c, 404, "no route %.200s (see docs/protocol.md)", url);
  }
  bool is_infer = strcmp(action, "infer") == 0;
  if (is_infer ? !post : !get) return respond_error(s, c, 405, "use %s", is_infer ? "POST" : "GET");
  v2_target t;
  char why[400];
  int code = ep_v2_models_resolve(s->models, name, &t, why, sizeof why);
  if (code != 200) {
    if (strcmp(action, "ready") == 0 && code == 404) {
      return respond_text(s, c, 404, "application/json", "{\"ready\":false}");
    }
    return respond_error(s, c, (unsigned)code, "%s", why);
  }
  enum MHD_Result r;
  if (is_infer) {
    r = infer(s, c, name, &t, body);
  } else if (action[0] == '\0') {
    r = model_metadata(s, c, name, &t);
  } else {
    r = respond_text(s, c, 200, "application/json", "{\"ready\":true}");
  }
  ep_v2_target_free(s->models, &t);
  return r;
}

static enum MHD_Result on_request(void* cls, struct MHD_Connection* c, const char* url,
                                  const char* method, const char* version, const char* upload_data,
                                  size_t* upload_data_size, void** con_cls) {
  (void)version;
  ep_http_server* s = cls;
  request* r = *con_cls;
  if (r == NULL) {
    /* Headers complete, no body read yet: refuse here what must not cost a body. */
    r = calloc(1, sizeof *r);
    if (r == NULL) return MHD_NO;
    ep_net_buf_init(&r->body);
    *con_cls = r;
    if (!authorized(s, c)) {
      r->refused = true;
      return respond_error(s, c, 401, "a valid \"Authorization: Bearer <token>\" header is required");
    }
    const char* cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl != NULL && strtoull(cl, NULL, 10) > s->opt.max_body) {
      r->refused = true;
      return respond_error(s, c, 413, "the body is over the server's limit of %zu bytes",
                           s->opt.max_body);
    }
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    if (!r->refused) {
      if (r->body.length + *upload_data_size > s->opt.max_body) {
        r->refused = true;
        ep_net_buf_free(&r->body);
        *upload_data_size = 0;
        return respond_error(s, c, 413, "the body is over the server's limit of %zu bytes",
                             s->opt.max_body);
      }
      ep_net_put_bytes(&r->body, upload_data, *upload_data_size);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (r->refused) return MHD_YES;
  if (r->body.failed) return respond_error(s, c, 500, "out of memory for the body");
  return route(s, c, url, method, &r->body);
}

static void on_completed(void* cls, struct MHD_Connection* c, void** con_cls,
                         enum MHD_RequestTerminationCode code) {
  (void)cls;
  (void)c;
  (void)code;
  request* r = *con_cls;
  if (r == NULL) return;
  ep_net_buf_free(&r->body);
  free(r);
  *con_cls = NULL;
}

static void on_mhd_log(void* cls, const char* format, va_list args) {
  ep_http_server* s = cls;
  if (s->opt.log == NULL) return;
  char line[512];
  vsnprintf(line, sizeof line, format, args);
  size_t n = strlen(line);
  while (n > 0 && line[n - 1] == '\n') line[--n] = '\0';
  s->opt.log(s->opt.log_user, line);
}

/* --- lifecycle -------------------------------------------------------------------------------- */

static ep_status read_pem(const char* path, const char* what, char** out) {
  FILE* f = fopen(path, "rb");
  if (f == NULL) return ep_error(EP_ERR_IO, "cannot open the TLS %s %s: %s", what, path, strerror(errno));
  char* text = malloc(MAX_PEM_BYTES + 1);
  size_t n = text != NULL ? fread(text, 1, MAX_PEM_BYTES + 1, f) : 0;
  fclose(f);
  if (text == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a PEM file");
  if (n == 0 || n > MAX_PEM_BYTES || strstr(text, "-----BEGIN") == NULL) {
    free(text);
    return ep_error(EP_ERR_INVALID_ARGUMENT, "the TLS %s %s is not a PEM file of at most 1 MiB", what,
                    path);
  }
  text[n] = '\0';
  *out = text;
  return EP_OK;
}

ep_status ep_http_server_create(const ep_http_server_options* options, ep_http_server** out) {
  ep_http_server_options defaults;
  ep_http_server_options_default(&defaults);
  const ep_http_server_options* o = options != NULL ? options : &defaults;
  if (o->max_clients < 1 || o->max_clients > 4096) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "max clients must be 1 to 4096, got %d", o->max_clients);
  }
  if (o->token != NULL && (o->token_length == 0 || o->token_length > EP_NET_MAX_TOKEN)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "a token holds 1 to %d bytes", EP_NET_MAX_TOKEN);
  }
  for (size_t i = 0; o->token != NULL && i < o->token_length; i++) {
    if (o->token[i] < 0x21 || o->token[i] > 0x7e) {
      return ep_error(EP_ERR_INVALID_ARGUMENT,
                      "an HTTP token is printable ASCII without spaces (it travels in a header)");
    }
  }
  if ((o->tls_cert_file == NULL) != (o->tls_key_file == NULL)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "TLS needs both a certificate and a key");
  }
  if (o->tls_cert_file != NULL && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
    return ep_error(EP_ERR_UNSUPPORTED, "this libmicrohttpd was built without TLS");
  }
  ep_http_server* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a server");
  s->listen_fd = -1;
  s->wake[0] = s->wake[1] = -1;
  pthread_mutex_init(&s->lock, NULL);
  s->opt = *o;
  if (s->opt.max_body == 0) s->opt.max_body = defaults.max_body;
  if (s->opt.timeout_s <= 0) s->opt.timeout_s = defaults.timeout_s;
  snprintf(s->host, sizeof s->host, "%s", o->host != NULL ? o->host : "127.0.0.1");
  s->opt.host = s->host;
  if (o->token != NULL) {
    memcpy(s->token, o->token, o->token_length);
    s->token_length = o->token_length;
    s->has_token = true;
  }
  s->opt.token = NULL;
  s->opt.tls_cert_file = s->opt.tls_key_file = NULL;
  s->opt.model_files = s->opt.model_names = NULL;
  ep_status st = EP_OK;
  if (o->tls_cert_file != NULL) {
    st = read_pem(o->tls_cert_file, "certificate", &s->tls_cert);
    if (st == EP_OK) st = read_pem(o->tls_key_file, "key", &s->tls_key);
  }
  v2_models_options mo;
  memset(&mo, 0, sizeof mo);
  mo.seed = o->seed;
  mo.threads = o->threads;
  mo.cpus = o->cpus;
  mo.n_cpus = o->n_cpus;
  mo.sessions_per_model = o->sessions_per_model;
  mo.memory_budget = o->model_memory;
  mo.max_waiting = o->max_queue > 0 ? o->max_queue : o->max_clients;
  mo.names = o->model_names;
  mo.files = o->model_files;
  mo.n_files = o->n_model_files;
  mo.pinned = o->models;
  mo.n_pinned = o->n_models;
  mo.log = o->log;
  mo.log_user = o->log_user;
  if (st == EP_OK) st = ep_v2_models_create(&mo, &s->models);
  if (st == EP_OK && pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    st = ep_error(EP_ERR_SYSTEM, "cannot create a pipe: %s", strerror(errno));
  }
  if (st == EP_OK) st = ep_net_listen(s->host, o->port, 128, &s->listen_fd, &s->port);
  if (st == EP_OK) {
    int per_address = o->max_per_address > 0 ? o->max_per_address : defaults.max_per_address;
    if (per_address > o->max_clients) per_address = o->max_clients;
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_ERROR_LOG | (s->tls_cert != NULL ? MHD_USE_TLS : 0);
    struct MHD_OptionItem tls[] = {
        {s->tls_cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->tls_cert},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key},
        {MHD_OPTION_END, 0, NULL},
    };
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)s->listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_clients, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
        (unsigned)per_address, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)(s->opt.timeout_s + 0.5), MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (s->daemon == NULL) {
      st = ep_error(EP_ERR_SYSTEM, "cannot start the HTTP server on %s:%d (see the log above)",
                    s->host, s->port);
    } else {
      s->listen_fd = -1; /* the daemon's now */
    }
  }
  if (st != EP_OK) {
    ep_http_server_destroy(s);
    return st;
  }
  *out = s;
  return EP_OK;
}

int ep_http_server_port(const ep_http_server* s) { return s->port; }

ep_status ep_http_server_run(ep_http_server* s) {
  while (!s->stopping) {
    struct pollfd p = {s->wake[0], POLLIN, 0};
    if (poll(&p, 1, 1000) < 0 && errno != EINTR) break;
  }
  return EP_OK;
}

void ep_http_server_stop(ep_http_server* s) {
  if (s == NULL) return;
  s->stopping = 1;
  if (s->wake[1] >= 0) {
    char byte = 1;
    ssize_t ignored = write(s->wake[1], &byte, 1);
    (void)ignored;
  }
}

void ep_http_server_destroy(ep_http_server* s) {
  if (s == NULL) return;
  if (s->daemon != NULL) MHD_stop_daemon(s->daemon); /* joins the connection threads */
  ep_net_close(s->listen_fd);
  ep_net_close(s->wake[0]);
  ep_net_close(s->wake[1]);
  ep_v2_models_destroy(s->models);
  free(s->tls_cert);
  free(s->tls_key);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

void ep_http_server_stats_get(ep_http_server* s, ep_http_server_stats* out) {
  pthread_mutex_lock(&s->lock);
  *out = s->stats;
  pthread_mutex_unlock(&s->lock);
}

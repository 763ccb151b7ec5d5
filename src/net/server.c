/* The inference server: a thread per connection up to max_clients (beyond: BUSY), models
 * loaded once and their sessions pooled, every frame checked before it is used. */
#define _GNU_SOURCE /* accept4, pipe2 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "edgeprof/bench.h"
#include "edgeprof/model.h"
#include "edgeprof/net.h"
#include "edgeprof/plan.h"
#include "edgeprof/platform.h"
#include "edgeprof/profile.h"
#include "edgeprof/zoo.h"
#include "net/socket.h"

enum { MAX_MODELS = 16 }; /* models (name, seed) cached at once: bounds what clients can load */

typedef enum { MODEL_LOADING, MODEL_READY, MODEL_FAILED } model_state;

typedef struct model_entry {
  struct model_entry* next;
  char key[400];
  pthread_mutex_t lock;
  pthread_cond_t cond;
  model_state state;
  char error[256];
  ep_graph* graph;
  ep_session** sessions;
  bool* in_use;
  int n_sessions, creating, max_sessions;
  double* profile_ms; /* the server's per-node times, measured on first request */
} model_entry;

typedef enum { SLOT_FREE, SLOT_RUNNING, SLOT_DONE } slot_state;

typedef struct slot {
  slot_state state;
  pthread_t thread;
  int fd;
  struct ep_server* server;
} slot;

struct ep_server {
  ep_server_options opt;
  char host[256];
  uint8_t token[EP_NET_MAX_TOKEN];
  size_t token_length;
  bool has_token;
  int* cpus;
  int listen_fd;
  int port;
  int wake[2];
  volatile sig_atomic_t stopping;
  pthread_mutex_t lock; /* slots, stats, models list */
  slot* slots;
  ep_server_stats stats;
  model_entry* models;
  int n_models;
  int n_files;
  char** files;
  uint8_t (*file_sha)[32];
};

static void log_line(ep_server* s, const char* format, ...) __attribute__((format(printf, 2, 3)));
static void log_line(ep_server* s, const char* format, ...) {
  if (s->opt.log == NULL) return;
  char line[512];
  va_list args;
  va_start(args, format);
  vsnprintf(line, sizeof line, format, args);
  va_end(args);
  s->opt.log(s->opt.log_user, line);
}

void ep_server_options_default(ep_server_options* o) {
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->port = EP_NET_DEFAULT_PORT;
  o->threads = 1;
  o->max_clients = 8;
  o->idle_timeout_s = 60;
  o->io_timeout_s = 10;
  o->max_payload = EP_NET_DEFAULT_MAX_PAYLOAD;
}

/* --- models and sessions ------------------------------------------------------------------ */

static void model_free(model_entry* m) {
  if (m == NULL) return;
  for (int i = 0; i < m->n_sessions; i++) ep_session_destroy(m->sessions[i]);
  free(m->sessions);
  free(m->in_use);
  free(m->profile_ms);
  ep_graph_destroy(m->graph);
  pthread_mutex_destroy(&m->lock);
  pthread_cond_destroy(&m->cond);
  free(m);
}

/* The model a HELLO names, loaded on first use; NULL with *code and a message on failure. */
static model_entry* model_get(ep_server* s, const ep_net_hello* h, uint32_t* code, char* why,
                              size_t why_size) {
  char key[400];
  const char* path = NULL;
  if (h->model_kind == EP_NET_MODEL_ZOO) {
    if (ep_zoo_find(h->zoo_name) == NULL) {
      *code = EP_NET_E_UNKNOWN_MODEL;
      snprintf(why, why_size, "no zoo model '%s'", h->zoo_name);
      return NULL;
    }
    snprintf(key, sizeof key, "zoo:%s:%llu", h->zoo_name, (unsigned long long)h->seed);
  } else {
    char hex[65];
    ep_sha256_hex(h->sha256, hex);
    for (int i = 0; i < s->n_files && path == NULL; i++) {
      if (memcmp(s->file_sha[i], h->sha256, 32) == 0) path = s->files[i];
    }
    if (path == NULL) {
      *code = EP_NET_E_UNKNOWN_MODEL;
      snprintf(why, why_size, "no served model file has SHA-256 %s", hex);
      return NULL;
    }
    snprintf(key, sizeof key, "sha256:%s", hex);
  }
  pthread_mutex_lock(&s->lock);
  model_entry* m = s->models;
  while (m != NULL && strcmp(m->key, key) != 0) m = m->next;
  bool load = false;
  if (m == NULL) {
    if (s->n_models >= MAX_MODELS) {
      pthread_mutex_unlock(&s->lock);
      *code = EP_NET_E_INTERNAL;
      snprintf(why, why_size, "the server holds %d models already", MAX_MODELS);
      return NULL;
    }
    m = calloc(1, sizeof *m);
    if (m == NULL) {
      pthread_mutex_unlock(&s->lock);
      *code = EP_NET_E_INTERNAL;
      snprintf(why, why_size, "out of memory");
      return NULL;
    }
    snprintf(m->key, sizeof m->key, "%s", key);
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    m->state = MODEL_LOADING;
    m->max_sessions = s->opt.sessions_per_model;
    m->next = s->models;
    s->models = m;
    s->n_models++;
    load = true;
  }
  pthread_mutex_unlock(&s->lock);

  if (load) {
    /* Loaded outside the server lock: other models keep being served meanwhile. */
    ep_graph* graph = NULL;
    ep_status st = ep_model_load(path != NULL ? path : h->zoo_name, h->seed, NULL, &graph);
    pthread_mutex_lock(&m->lock);
    if (st == EP_OK) {
      m->graph = graph;
      m->sessions = calloc((size_t)m->max_sessions + 1, sizeof *m->sessions);
      m->in_use = calloc((size_t)m->max_sessions + 1, sizeof *m->in_use);
      m->profile_ms = NULL;
      m->state = m->sessions != NULL && m->in_use != NULL ? MODEL_READY : MODEL_FAILED;
      if (m->state == MODEL_FAILED) snprintf(m->error, sizeof m->error, "out of memory");
    } else {
      m->state = MODEL_FAILED;
      snprintf(m->error, sizeof m->error, "%s", ep_last_error());
    }
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
    if (m->state == MODEL_READY) log_line(s, "loaded %s", key);
  }
  pthread_mutex_lock(&m->lock);
  while (m->state == MODEL_LOADING) pthread_cond_wait(&m->cond, &m->lock);
  model_state state = m->state;
  if (state == MODEL_FAILED) snprintf(why, why_size, "cannot load the model: %s", m->error);
  pthread_mutex_unlock(&m->lock);
  if (state == MODEL_FAILED) {
    *code = EP_NET_E_INTERNAL;
    return NULL;
  }
  return m;
}

/* A session of the model for this thread alone; NULL with a message on failure. */
static ep_session* session_acquire(ep_server* s, model_entry* m, char* why, size_t why_size) {
  pthread_mutex_lock(&m->lock);
  for (;;) {
    for (int i = 0; i < m->n_sessions; i++) {
      if (!m->in_use[i]) {
        m->in_use[i] = true;
        pthread_mutex_unlock(&m->lock);
        return m->sessions[i];
      }
    }
    if (m->n_sessions + m->creating < m->max_sessions) break;
    pthread_cond_wait(&m->cond, &m->lock);
  }
  m->creating++;
  pthread_mutex_unlock(&m->lock);
  ep_session_options so = {s->opt.threads, s->cpus, s->opt.n_cpus, NULL};
  ep_session* session = NULL;
  ep_status st = ep_session_create(m->graph, &so, &session);
  if (st != EP_OK) snprintf(why, why_size, "cannot create a session: %s", ep_last_error());
  pthread_mutex_lock(&m->lock);
  m->creating--;
  if (session != NULL) {
    m->in_use[m->n_sessions] = true;
    m->sessions[m->n_sessions++] = session;
  }
  pthread_cond_broadcast(&m->cond);
  pthread_mutex_unlock(&m->lock);
  return session;
}

static void session_release(model_entry* m, ep_session* session) {
  pthread_mutex_lock(&m->lock);
  for (int i = 0; i < m->n_sessions; i++) {
    if (m->sessions[i] == session) m->in_use[i] = false;
  }
  pthread_cond_signal(&m->cond);
  pthread_mutex_unlock(&m->lock);
}

/* --- one connection ------------------------------------------------------------------------ */

typedef struct conn {
  ep_server* s;
  int fd;
  char peer[64];
  ep_net_buf in, out;
  ep_net_tensor_view* views;
  ep_net_tensor_out* outs;
  int* ids;
  model_entry* model;
  int split;
  bool ready;
} conn;

static bool send_frame(conn* c) {
  return ep_net_write_all(c->fd, c->out.data, c->out.length, c->s->opt.io_timeout_s, 0) == NET_IO_OK;
}

/* ERROR frame (best effort: the connection closes after it whatever happens). */
static void send_error(conn* c, uint64_t request_id, uint32_t code, const char* format, ...)
    __attribute__((format(printf, 4, 5)));
static void send_error(conn* c, uint64_t request_id, uint32_t code, const char* format, ...) {
  char message[512];
  va_list args;
  va_start(args, format);
  vsnprintf(message, sizeof message, format, args);
  va_end(args);
  ep_net_frame_begin(&c->out, EP_NET_ERROR, request_id);
  ep_net_put_error(&c->out, code, message);
  /* Counted before the send, as answered requests are: the peer may look at the stats as
   * soon as it has the reply. */
  pthread_mutex_lock(&c->s->lock);
  c->s->stats.errors++;
  pthread_mutex_unlock(&c->s->lock);
  if (ep_net_frame_end(&c->out) == EP_OK) send_frame(c);
  log_line(c->s, "%s: error %u (%s): %s", c->peer, code, ep_net_error_name(code), message);
}

static bool on_hello(conn* c, const ep_net_header* h) {
  ep_server* s = c->s;
  ep_net_hello hello;
  if (ep_net_get_hello(c->in.data, c->in.length, &hello) != EP_NET_OK) {
    send_error(c, h->request_id, EP_NET_E_MALFORMED, "malformed HELLO payload");
    return false;
  }
  if (s->has_token &&
      !ep_net_token_equal(s->token, s->token_length, hello.token, hello.token_length)) {
    send_error(c, h->request_id, EP_NET_E_UNAUTHORIZED, "wrong or missing token");
    return false;
  }
  uint32_t code = 0;
  char why[300];
  model_entry* m = model_get(s, &hello, &code, why, sizeof why);
  if (m == NULL) {
    send_error(c, h->request_id, code, "%s", why);
    return false;
  }
  int n = ep_graph_node_count(m->graph);
  if (hello.split > (uint32_t)n) {
    send_error(c, h->request_id, EP_NET_E_BAD_SPLIT, "split %u is outside [0, %d]", hello.split, n);
    return false;
  }
  c->model = m;
  c->split = (int)hello.split;
  c->ready = true;
  ep_net_hello_ok ok = {(uint32_t)n, hello.split,
                        (uint32_t)ep_plan_upload_tensors(m->graph, c->split, NULL, 0),
                        (uint32_t)ep_plan_download_tensors(m->graph, c->split, NULL, 0)};
  ep_net_frame_begin(&c->out, EP_NET_HELLO_OK, h->request_id);
  ep_net_put_hello_ok(&c->out, &ok);
  return ep_net_frame_end(&c->out) == EP_OK && send_frame(c);
}

static bool on_profile(conn* c, const ep_net_header* h) {
  model_entry* m = c->model;
  int n = ep_graph_node_count(m->graph);
  if (c->in.length != 0) {
    send_error(c, h->request_id, EP_NET_E_MALFORMED, "PROFILE_REQUEST carries no payload");
    return false;
  }
  pthread_mutex_lock(&m->lock);
  const double* profile = m->profile_ms; /* written once, under the lock, then never changed */
  pthread_mutex_unlock(&m->lock);
  if (profile == NULL) {
    char why[300];
    ep_session* session = session_acquire(c->s, m, why, sizeof why);
    if (session == NULL) {
      send_error(c, h->request_id, EP_NET_E_INTERNAL, "%s", why);
      return false;
    }
    ep_bench_options bo;
    ep_bench_options_default(&bo);
    bo.warmup_runs = 1;
    bo.min_runs = 3;
    bo.min_seconds = 0;
    bo.max_runs = 3;
    ep_profile* p = NULL;
    ep_status st = ep_profile_run(session, &bo, &p);
    session_release(m, session);
    if (st != EP_OK) {
      send_error(c, h->request_id, EP_NET_E_INTERNAL, "profiling failed: %s", ep_last_error());
      return false;
    }
    double* ms = malloc((size_t)n * sizeof *ms + 1);
    if (ms != NULL) memcpy(ms, p->node_ms, (size_t)n * sizeof *ms);
    ep_profile_destroy(p);
    pthread_mutex_lock(&m->lock);
    if (m->profile_ms == NULL) {
      m->profile_ms = ms;
      ms = NULL;
    }
    profile = m->profile_ms;
    pthread_mutex_unlock(&m->lock);
    free(ms);
    if (profile == NULL) {
      send_error(c, h->request_id, EP_NET_E_INTERNAL, "out of memory");
      return false;
    }
  }
  ep_net_frame_begin(&c->out, EP_NET_PROFILE, h->request_id);
  ep_net_put_profile(&c->out, profile, (uint32_t)n);
  return ep_net_frame_end(&c->out) == EP_OK && send_frame(c);
}

static bool on_infer(conn* c, const ep_net_header* h) {
  ep_server* s = c->s;
  model_entry* m = c->model;
  const ep_graph* g = m->graph;
  int n = ep_graph_node_count(g);
  uint32_t count = 0;
  if (ep_net_get_tensors(c->in.data, c->in.length, c->views, EP_NET_MAX_TENSORS, &count) !=
      EP_NET_OK) {
    send_error(c, h->request_id, EP_NET_E_MALFORMED, "malformed INFER payload");
    return false;
  }
  int n_up = ep_plan_upload_tensors(g, c->split, c->ids, EP_NET_MAX_TENSORS);
  if (n_up > EP_NET_MAX_TENSORS || (uint32_t)n_up != count) {
    send_error(c, h->request_id, EP_NET_E_BAD_TENSORS, "the cut at %d takes %d tensors, got %u",
               c->split, n_up, count);
    return false;
  }
  for (int i = 0; i < n_up; i++) {
    const ep_tensor* t = ep_graph_tensor(g, c->ids[i]);
    if (!ep_shape_equal(&t->shape, &c->views[i].shape)) {
      char want[64], got[64];
      send_error(c, h->request_id, EP_NET_E_BAD_TENSORS, "tensor %d (%s) must be %s, got %s", i,
                 t->name, ep_shape_format(&t->shape, want, sizeof want),
                 ep_shape_format(&c->views[i].shape, got, sizeof got));
      return false;
    }
  }
  if (ep_plan_download_tensors(g, c->split, NULL, 0) > EP_NET_MAX_TENSORS) {
    send_error(c, h->request_id, EP_NET_E_INTERNAL, "the model has more than %d outputs",
               EP_NET_MAX_TENSORS);
    return false;
  }
  char why[300];
  ep_session* session = session_acquire(s, m, why, sizeof why);
  if (session == NULL) {
    send_error(c, h->request_id, EP_NET_E_INTERNAL, "%s", why);
    return false;
  }
  for (int i = 0; i < n_up; i++) {
    ep_net_tensor_read_f32(&c->views[i], ep_session_tensor_data(session, c->ids[i]));
  }
  double start = ep_now();
  ep_status st = ep_session_run_range(session, c->split, n);
  double seconds = ep_now() - start;
  int n_down = ep_plan_download_tensors(g, c->split, c->ids, EP_NET_MAX_TENSORS);
  for (int i = 0; i < n_down && i < EP_NET_MAX_TENSORS; i++) {
    c->outs[i].shape = ep_graph_tensor(g, c->ids[i])->shape;
    c->outs[i].data = ep_session_tensor_data(session, c->ids[i]);
  }
  if (st == EP_OK) {
    ep_net_frame_begin(&c->out, EP_NET_RESULT, h->request_id);
    ep_net_put_result(&c->out, (uint64_t)(seconds * 1e9), c->outs, (uint32_t)n_down);
    st = ep_net_frame_end(&c->out);
  }
  session_release(m, session); /* the result is in the frame buffer now */
  if (st != EP_OK) {
    send_error(c, h->request_id, EP_NET_E_INTERNAL, "%s", ep_last_error());
    return false;
  }
  /* Counted before the send: a client that has its result must find it counted (a reply that
   * then fails to send still closes the connection). */
  pthread_mutex_lock(&s->lock);
  s->stats.requests++;
  pthread_mutex_unlock(&s->lock);
  return send_frame(c);
}

static bool on_ping(conn* c, const ep_net_header* h) {
  ep_net_frame_begin(&c->out, EP_NET_PONG, h->request_id);
  ep_net_put_pong(&c->out, c->in.length);
  return ep_net_frame_end(&c->out) == EP_OK && send_frame(c);
}

static void serve_connection(conn* c) {
  ep_server* s = c->s;
  for (;;) {
    ep_net_header h;
    ep_net_error_code code = EP_NET_OK;
    net_io r = ep_net_recv_frame(c->fd, s->opt.max_payload, s->opt.idle_timeout_s, s->opt.io_timeout_s,
                              &h, &c->in, &code);
    if (r == NET_IO_CLOSED) return;
    if (s->stopping) {
      send_error(c, 0, EP_NET_E_SHUTDOWN, "the server is stopping");
      return;
    }
    if (r == NET_IO_TIMEOUT) {
      send_error(c, 0, EP_NET_E_TIMEOUT, "no complete frame in time");
      return;
    }
    if (r == NET_IO_PROTOCOL) {
      send_error(c, 0, code, "%s%s", ep_net_error_name(code),
                 code == EP_NET_E_TOO_LARGE ? " (payload over the server's limit)" : "");
      return;
    }
    if (r != NET_IO_OK) {
      if (code == EP_NET_E_INTERNAL) send_error(c, 0, code, "out of memory for a frame");
      return;
    }
    if (h.type != EP_NET_HELLO && !c->ready) {
      send_error(c, h.request_id, EP_NET_E_NOT_READY, "%s before a successful HELLO",
                 ep_net_type_name(h.type));
      return;
    }
    bool ok;
    switch (h.type) {
      case EP_NET_HELLO:
        ok = on_hello(c, &h);
        break;
      case EP_NET_PROFILE_REQUEST:
        ok = on_profile(c, &h);
        break;
      case EP_NET_INFER:
        ok = on_infer(c, &h);
        break;
      case EP_NET_PING:
        ok = on_ping(c, &h);
        break;
      default:
        send_error(c, h.request_id, EP_NET_E_UNEXPECTED, "a client does not send %s",
                   ep_net_type_name(h.type));
        ok = false;
    }
    if (!ok) return;
  }
}

/* "127.0.0.1:53412" for the log. */
static void describe_peer(int fd, char* buf, size_t size) {
  struct sockaddr_storage addr;
  socklen_t len = sizeof addr;
  char host[INET6_ADDRSTRLEN] = "?";
  int port = 0;
  if (getpeername(fd, (struct sockaddr*)&addr, &len) == 0) {
    if (addr.ss_family == AF_INET) {
      struct sockaddr_in* a = (struct sockaddr_in*)&addr;
      inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
      port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      struct sockaddr_in6* a = (struct sockaddr_in6*)&addr;
      inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
      port = ntohs(a->sin6_port);
    }
  }
  snprintf(buf, size, "client %s:%d", host, port);
}

static void* connection_main(void* arg) {
  slot* sl = arg;
  ep_server* s = sl->server;
  conn c;
  memset(&c, 0, sizeof c);
  c.s = s;
  c.fd = sl->fd;
  describe_peer(c.fd, c.peer, sizeof c.peer);
  ep_net_buf_init(&c.in);
  ep_net_buf_init(&c.out);
  c.views = calloc(EP_NET_MAX_TENSORS, sizeof *c.views);
  c.outs = calloc(EP_NET_MAX_TENSORS, sizeof *c.outs);
  c.ids = calloc(EP_NET_MAX_TENSORS, sizeof *c.ids);
  if (c.views != NULL && c.outs != NULL && c.ids != NULL) {
    log_line(s, "%s connected", c.peer);
    serve_connection(&c);
    log_line(s, "%s disconnected", c.peer);
  } else {
    send_error(&c, 0, EP_NET_E_INTERNAL, "out of memory");
  }
  free(c.views);
  free(c.outs);
  free(c.ids);
  ep_net_buf_free(&c.in);
  ep_net_buf_free(&c.out);
  pthread_mutex_lock(&s->lock);
  int fd = sl->fd;
  sl->fd = -1; /* no shutdown() on a number that close() may hand out again */
  sl->state = SLOT_DONE;
  pthread_mutex_unlock(&s->lock);
  ep_net_close(fd);
  return NULL;
}

/* --- lifecycle ----------------------------------------------------------------------------- */

ep_status ep_server_create(const ep_server_options* options, ep_server** server_out) {
  ep_server_options defaults;
  ep_server_options_default(&defaults);
  const ep_server_options* o = options != NULL ? options : &defaults;
  if (o->max_clients < 1 || o->max_clients > 4096) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "max clients must be 1 to 4096, got %d",
                    o->max_clients);
  }
  if (o->token != NULL && (o->token_length == 0 || o->token_length > EP_NET_MAX_TOKEN)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "a token holds 1 to %d bytes", EP_NET_MAX_TOKEN);
  }
  ep_status status = EP_OK;
  ep_server* s = calloc(1, sizeof *s);
  if (s == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a server");
  s->listen_fd = -1;
  s->wake[0] = s->wake[1] = -1;
  pthread_mutex_init(&s->lock, NULL);
  s->opt = *o;
  if (s->opt.threads < 1) s->opt.threads = 1;
  if (s->opt.idle_timeout_s <= 0) s->opt.idle_timeout_s = defaults.idle_timeout_s;
  if (s->opt.io_timeout_s <= 0) s->opt.io_timeout_s = defaults.io_timeout_s;
  if (s->opt.max_payload == 0) s->opt.max_payload = defaults.max_payload;
  snprintf(s->host, sizeof s->host, "%s", o->host != NULL ? o->host : "127.0.0.1");
  s->opt.host = s->host;
  if (o->token != NULL) {
    memcpy(s->token, o->token, o->token_length);
    s->token_length = o->token_length;
    s->has_token = true;
  }
  s->opt.token = NULL;
  if (o->n_cpus > 0) {
    s->cpus = malloc((size_t)o->n_cpus * sizeof *s->cpus);
    if (s->cpus == NULL) {
      status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a server");
      goto cleanup;
    }
    memcpy(s->cpus, o->cpus, (size_t)o->n_cpus * sizeof *s->cpus);
  }
  s->opt.cpus = s->cpus;
  if (s->opt.sessions_per_model <= 0) {
    int allowed[EP_MAX_CPUS];
    int n = o->n_cpus > 0 ? o->n_cpus : ep_cpus_allowed(allowed, EP_MAX_CPUS);
    s->opt.sessions_per_model = n / s->opt.threads > 1 ? n / s->opt.threads : 1;
  }
  s->slots = calloc((size_t)s->opt.max_clients, sizeof *s->slots);
  if (o->n_model_files > 0) {
    s->files = calloc((size_t)o->n_model_files, sizeof *s->files);
    s->file_sha = calloc((size_t)o->n_model_files, sizeof *s->file_sha);
  }
  if (s->slots == NULL || (o->n_model_files > 0 && (s->files == NULL || s->file_sha == NULL))) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a server");
    goto cleanup;
  }
  for (int i = 0; i < s->opt.max_clients; i++) s->slots[i].fd = -1;
  for (int i = 0; i < o->n_model_files; i++) {
    s->files[i] = strdup(o->model_files[i]);
    s->n_files = i + 1;
    if (s->files[i] == NULL) {
      status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a server");
      goto cleanup;
    }
    status = ep_sha256_file(s->files[i], s->file_sha[i]);
    if (status != EP_OK) goto cleanup;
  }
  s->opt.model_files = NULL;
  if (pipe2(s->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    status = ep_error(EP_ERR_SYSTEM, "cannot create a pipe: %s", strerror(errno));
    goto cleanup;
  }
  status = ep_net_listen(s->host, o->port, 64, &s->listen_fd, &s->port);
  if (status != EP_OK) goto cleanup;
  *server_out = s;
  return EP_OK;

cleanup:
  ep_server_destroy(s);
  return status;
}

int ep_server_port(const ep_server* s) { return s->port; }

void ep_server_stop(ep_server* s) {
  if (s == NULL) return;
  s->stopping = 1;
  if (s->wake[1] >= 0) {
    char byte = 1;
    ssize_t ignored = write(s->wake[1], &byte, 1);
    (void)ignored;
  }
}

/* Joins finished connection threads; returns the number of slots in use. */
static int reap(ep_server* s) {
  int used = 0;
  for (int i = 0; i < s->opt.max_clients; i++) {
    pthread_mutex_lock(&s->lock);
    slot_state state = s->slots[i].state;
    pthread_mutex_unlock(&s->lock);
    if (state == SLOT_DONE) {
      pthread_join(s->slots[i].thread, NULL);
      pthread_mutex_lock(&s->lock);
      s->slots[i].state = SLOT_FREE;
      pthread_mutex_unlock(&s->lock);
    } else if (state == SLOT_RUNNING) {
      used++;
    }
  }
  return used;
}

/* Tells a client there is no room (best effort, never blocks), then closes without a reset:
 * what the client already sent is drained first. */
static void turn_away(int fd) {
  uint8_t frame[EP_NET_HEADER_SIZE];
  ep_net_header h = {EP_NET_MAGIC, EP_NET_VERSION, EP_NET_BUSY, 0, 0, 0};
  ep_net_header_encode(&h, frame);
  ssize_t ignored = send(fd, frame, sizeof frame, MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
  shutdown(fd, SHUT_WR);
  uint8_t sink[4096];
  for (int i = 0; i < 64 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++) {
  }
  ep_net_close(fd);
}

static void accept_one(ep_server* s) {
  int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  reap(s);
  int free_slot = -1;
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < s->opt.max_clients && free_slot < 0; i++) {
    if (s->slots[i].state == SLOT_FREE) free_slot = i;
  }
  if (free_slot < 0) {
    s->stats.busy++;
    pthread_mutex_unlock(&s->lock);
    log_line(s, "busy: %d clients already, turned one away", s->opt.max_clients);
    turn_away(fd);
    return;
  }
  slot* sl = &s->slots[free_slot];
  sl->state = SLOT_RUNNING;
  sl->fd = fd;
  sl->server = s;
  s->stats.connections++;
  pthread_mutex_unlock(&s->lock);
  if (pthread_create(&sl->thread, NULL, connection_main, sl) != 0) {
    pthread_mutex_lock(&s->lock);
    sl->state = SLOT_FREE;
    sl->fd = -1;
    pthread_mutex_unlock(&s->lock);
    log_line(s, "cannot start a thread for a client: turned it away");
    turn_away(fd);
  }
}

ep_status ep_server_run(ep_server* s) {
  while (!s->stopping) {
    struct pollfd p[2] = {{s->listen_fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};
    int n = poll(p, 2, 1000);
    if (n < 0 && errno != EINTR) {
      ep_server_stop(s);
      break;
    }
    if (n <= 0) {
      reap(s);
      continue;
    }
    if (p[1].revents != 0) break;
    if (p[0].revents & POLLIN) accept_one(s);
  }
  /* Shutting down: no new connections; wake every connection thread and wait for it. */
  ep_net_close(s->listen_fd);
  s->listen_fd = -1;
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < s->opt.max_clients; i++) {
    if (s->slots[i].state == SLOT_RUNNING && s->slots[i].fd >= 0) {
      shutdown(s->slots[i].fd, SHUT_RDWR);
    }
  }
  pthread_mutex_unlock(&s->lock);
  for (int i = 0; i < s->opt.max_clients; i++) {
    pthread_mutex_lock(&s->lock);
    slot_state state = s->slots[i].state;
    pthread_mutex_unlock(&s->lock);
    if (state != SLOT_FREE) {
      pthread_join(s->slots[i].thread, NULL);
      s->slots[i].state = SLOT_FREE;
    }
  }
  return EP_OK;
}

void ep_server_destroy(ep_server* s) {
  if (s == NULL) return;
  ep_net_close(s->listen_fd);
  ep_net_close(s->wake[0]);
  ep_net_close(s->wake[1]);
  while (s->models != NULL) {
    model_entry* next = s->models->next;
    model_free(s->models);
    s->models = next;
  }
  for (int i = 0; i < s->n_files; i++) free(s->files[i]);
  free(s->files);
  free(s->file_sha);
  free(s->slots);
  free(s->cpus);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

void ep_server_stats_get(ep_server* s, ep_server_stats* stats_out) {
  pthread_mutex_lock(&s->lock);
  *stats_out = s->stats;
  pthread_mutex_unlock(&s->lock);
}

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
#include "net/chain.h"
#include "net/model_cache.h"
#include "net/socket.h"

typedef enum { SLOT_FREE, SLOT_PENDING, SLOT_AUTHED, SLOT_DONE } slot_state;

/* A connection's thread and its place in admission: PENDING until its HELLO passed the token
 * check, AUTHED after. Only the accept loop joins threads and reuses slots. */
typedef struct slot {
  slot_state state;
  pthread_t thread;
  int fd;
  char address[INET6_ADDRSTRLEN]; /* the peer's address, without the port */
  uint64_t order;                 /* accept order: the oldest pending one is dropped first */
  bool dropped;                   /* closed by the accept loop to make room */
  double accepted;                /* ep_now() at accept: the handshake deadline runs from it */
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
  pthread_mutex_t lock; /* slots, stats */
  slot* slots;
  int n_slots; /* max_clients + max_pending */
  uint64_t accepted;
  ep_server_stats stats;
  ep_model_cache* models;
  ep_net_tls_config* tls; /* NULL: plain TCP */
  /* Placements (src/net/chain.c): the next server, the throttle and the load report. */
  char next_host[256];
  uint8_t next_token[EP_NET_MAX_TOKEN];
  ep_net_chain_next next;
  double throttle;           /* under lock */
  uint32_t waiting, running; /* INFER requests waiting for a session, running; under lock */
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
  o->handshake_timeout_s = 5;
  o->max_pending = 64;
  o->max_pending_per_address = 32; /* a burst of clients behind one address (NAT, a load test) fits */
  o->drain_timeout_s = 10;
  o->model_memory = EP_MODEL_CACHE_DEFAULT_BUDGET;
  o->models_seed = EP_ZOO_DEFAULT_SEED;
}

/* --- one connection ------------------------------------------------------------------------ */

typedef struct conn {
  ep_server* s;
  slot* sl;
  int fd;
  ep_net_stream stream; /* fd, and the TLS session with TLS */
  char peer[64];
  ep_net_buf in, out;
  ep_net_tensor_view* views;
  ep_net_tensor_out* outs;
  int* ids;
  ep_cached_model* model;
  bool ready;  /* a HELLO was answered HELLO_OK */
  uint16_t version;    /* of the connection's frames: its first frame's */
  ep_net_chain* chain; /* the placement of the last HELLO */
  bool authed; /* the token was checked and the connection holds a served slot */
} conn;

static bool send_frame(conn* c) {
  return ep_net_write_all(&c->stream, c->out.data, c->out.length, c->s->opt.io_timeout_s, 0) ==
         NET_IO_OK;
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
  /* Before a valid first frame, in the oldest version: every client can read that. */
  ep_net_frame_begin_version(&c->out, c->version != 0 ? c->version : EP_NET_VERSION_MIN,
                             EP_NET_ERROR, request_id);
  ep_net_put_error(&c->out, code, message);
  /* Counted before the send, as answered requests are: the peer may look at the stats as
   * soon as it has the reply. */
  pthread_mutex_lock(&c->s->lock);
  c->s->stats.errors++;
  pthread_mutex_unlock(&c->s->lock);
  if (ep_net_frame_end(&c->out) == EP_OK) send_frame(c);
  log_line(c->s, "%s: error %u (%s): %s", c->peer, code, ep_net_error_name(code), message);
}

/* BUSY (best effort); the connection then closes. */
static void send_busy(conn* c, uint64_t request_id, const char* why) {
  pthread_mutex_lock(&c->s->lock);
  c->s->stats.busy++;
  pthread_mutex_unlock(&c->s->lock);
  ep_net_frame_begin_version(&c->out, c->version != 0 ? c->version : EP_NET_VERSION_MIN,
                             EP_NET_BUSY, request_id);
  if (ep_net_frame_end(&c->out) == EP_OK) send_frame(c);
  log_line(c->s, "%s: busy: %s", c->peer, why);
}

/* Moves the connection from PENDING to AUTHED: false when it was dropped meanwhile, or when
 * max_clients authenticated connections are served already (*full). */
static bool promote(conn* c, bool* full) {
  ep_server* s = c->s;
  *full = false;
  pthread_mutex_lock(&s->lock);
  bool ok = !c->sl->dropped;
  if (ok) {
    int authed = 0;
    for (int i = 0; i < s->n_slots; i++) authed += s->slots[i].state == SLOT_AUTHED;
    *full = authed >= s->opt.max_clients;
    ok = !*full;
  }
  if (ok) c->sl->state = SLOT_AUTHED;
  pthread_mutex_unlock(&s->lock);
  return ok;
}

static bool on_hello(conn* c, const ep_net_header* h) {
  ep_server* s = c->s;
  ep_net_hello hello;
  ep_net_error_code check =
      ep_net_preauth_hello(h, c->in.data, c->in.length, s->has_token ? s->token : NULL,
                           s->token_length, &hello);
  if (check != EP_NET_OK) {
    send_error(c, h->request_id, check, "%s",
               check == EP_NET_E_UNAUTHORIZED ? "wrong or missing token"
               : check == EP_NET_E_MALFORMED  ? "malformed HELLO payload"
                                              : "not a HELLO");
    return false;
  }
  /* Authenticated: only now may the client hold a served slot and make the server load. */
  if (!c->authed) {
    bool full = false;
    if (!promote(c, &full)) {
      if (full) send_busy(c, h->request_id, "every client slot is taken");
      return false;
    }
    c->authed = true;
  }
  ep_model_request r;
  memset(&r, 0, sizeof r);
  r.kind = (ep_net_model_kind)hello.model_kind;
  r.zoo_name = hello.zoo_name;
  r.seed = hello.seed;
  memcpy(r.sha256, hello.sha256, sizeof r.sha256);
  char why[400];
  ep_cached_model* m = NULL;
  ep_net_error_code code = ep_model_cache_acquire(s->models, &r, &m, why, sizeof why);
  if (code != EP_NET_OK) {
    send_error(c, h->request_id, code, "%s", why);
    return false;
  }
  ep_net_hello_ok ok;
  code = ep_net_chain_hello(c->chain, ep_cached_model_graph(m), &hello, &s->next,
                            (uint32_t)s->opt.sessions_per_model, &ok, why, sizeof why);
  if (code != EP_NET_OK) {
    ep_model_cache_release(s->models, m);
    ep_model_cache_release(s->models, c->model);
    c->model = NULL;
    c->ready = false;
    send_error(c, h->request_id, code, "%s", why);
    return false;
  }
  ep_model_cache_release(s->models, c->model);
  c->model = m;
  c->ready = true;
  ep_net_frame_begin_version(&c->out, c->version, EP_NET_HELLO_OK, h->request_id);
  ep_net_put_hello_ok(&c->out, c->version, &ok);
  return ep_net_frame_end(&c->out) == EP_OK && send_frame(c);
}

/* A session for this request; false after answering BUSY (queue full) or ERROR. */
static bool take_session(conn* c, const ep_net_header* h, ep_session** session) {
  char why[300];
  bool busy = false;
  if (ep_cached_model_session_acquire(c->s->models, c->model, session, &busy, why, sizeof why) ==
      EP_NET_OK) {
    return true;
  }
  if (busy) {
    send_busy(c, h->request_id, why);
  } else {
    send_error(c, h->request_id, EP_NET_E_INTERNAL, "%s", why);
  }
  return false;
}

static bool on_profile(conn* c, const ep_net_header* h) {
  ep_cached_model* m = c->model;
  int n = ep_graph_node_count(ep_cached_model_graph(m));
  if (c->in.length != 0) {
    send_error(c, h->request_id, EP_NET_E_MALFORMED, "PROFILE_REQUEST carries no payload");
    return false;
  }
  const double* profile = ep_cached_model_profile(m);
  if (profile == NULL) {
    ep_session* session = NULL;
    if (!take_session(c, h, &session)) return false;
    ep_bench_options bo;
    ep_bench_options_default(&bo);
    bo.warmup_runs = 1;
    bo.min_runs = 3;
    bo.min_seconds = 0;
    bo.max_runs = 3;
    ep_profile* p = NULL;
    ep_status st = ep_profile_run(session, &bo, &p);
    ep_cached_model_session_release(m, session);
    if (st != EP_OK) {
      send_error(c, h->request_id, EP_NET_E_INTERNAL, "profiling failed: %s", ep_last_error());
      return false;
    }
    double* ms = malloc((size_t)n * sizeof *ms + 1);
    if (ms != NULL) memcpy(ms, p->node_ms, (size_t)n * sizeof *ms);
    ep_profile_destroy(p);
    if (ms == NULL) {
      send_error(c, h->request_id, EP_NET_E_INTERNAL, "out of memory");
      return false;
    }
    profile = ep_cached_model_set_profile(m, ms);
  }
  ep_net_frame_begin_version(&c->out, c->version, EP_NET_PROFILE, h->request_id);
  ep_net_put_profile(&c->out, profile, (uint32_t)n);
  return ep_net_frame_end(&c->out) == EP_OK && send_frame(c);
}

static bool on_infer(conn* c, const ep_net_header* h) {
  ep_server* s = c->s;
  ep_cached_model* m = c->model;
  uint32_t count = 0;
  if (ep_net_get_tensors(c->in.data, c->in.length, c->version, c->views, EP_NET_MAX_TENSORS,
                         &count) != EP_NET_OK) {
    send_error(c, h->request_id, EP_NET_E_MALFORMED, "malformed INFER payload");
    return false;
  }
  char why[300];
  uint32_t code = ep_net_chain_take(c->chain, c->views, count, why, sizeof why);
  if (code != EP_NET_OK) {
    send_error(c, h->request_id, code, "%s", why);
    return false;
  }
  pthread_mutex_lock(&s->lock);
  s->waiting++;
  pthread_mutex_unlock(&s->lock);
  ep_session* session = NULL;
  bool got = take_session(c, h, &session);
  pthread_mutex_lock(&s->lock);
  s->waiting--;
  s->running += got;
  double throttle = s->throttle;
  pthread_mutex_unlock(&s->lock);
  if (!got) return false;
  const double* profile = ep_cached_model_profile(m);
  ep_net_load load;
  memset(&load, 0, sizeof load);
  uint32_t n_down = 0;
  double start = ep_now();
  ep_status st = ep_net_chain_run(c->chain, session, throttle, profile, c->outs, &n_down, &load);
  double seconds = ep_now() - start;
  pthread_mutex_lock(&s->lock);
  load.queued = s->waiting;
  load.running = s->running;
  pthread_mutex_unlock(&s->lock);
  if (st == EP_OK) {
    ep_net_frame_begin_version(&c->out, c->version, EP_NET_RESULT, h->request_id);
    ep_net_put_result(&c->out, c->version, (uint64_t)(seconds * 1e9), &load, c->outs, n_down);
    st = ep_net_frame_end(&c->out);
  }
  ep_cached_model_session_release(m, session); /* the result is in the frame buffer now */
  pthread_mutex_lock(&s->lock);
  s->running--;
  pthread_mutex_unlock(&s->lock);
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
  ep_net_frame_begin_version(&c->out, c->version, EP_NET_PONG, h->request_id);
  ep_net_put_pong(&c->out, c->in.length);
  return ep_net_frame_end(&c->out) == EP_OK && send_frame(c);
}

static void serve_connection(conn* c) {
  ep_server* s = c->s;
  for (;;) {
    ep_net_header h;
    ep_net_error_code code = EP_NET_OK;
    /* Before authentication: one HELLO-sized frame, within the handshake deadline. */
    net_io r = c->authed
                   ? ep_net_recv_frame_until(&c->stream, s->opt.max_payload, s->opt.idle_timeout_s,
                                             s->opt.io_timeout_s, 0, s->wake[0], &h, &c->in,
                                             &code)
                   : ep_net_recv_frame_until(&c->stream, EP_NET_MAX_HELLO_PAYLOAD,
                                             s->opt.handshake_timeout_s, s->opt.io_timeout_s,
                                             c->sl->accepted + s->opt.handshake_timeout_s,
                                             s->wake[0], &h, &c->in, &code);
    if (r == NET_IO_CLOSED) return;
    if (r == NET_IO_STOPPED) {
      send_error(c, 0, EP_NET_E_SHUTDOWN, "the server is stopping");
      return;
    }
    if (r == NET_IO_TIMEOUT) {
      send_error(c, 0, EP_NET_E_TIMEOUT, "%s",
                 c->authed ? "no complete frame in time" : "no HELLO within the handshake timeout");
      return;
    }
    if (r == NET_IO_PROTOCOL) {
      send_error(c, 0, code, "%s%s", ep_net_error_name(code),
                 code != EP_NET_E_TOO_LARGE ? ""
                 : c->authed               ? " (payload over the server's limit)"
                                           : " (a frame before authentication is a HELLO)");
      return;
    }
    if (r != NET_IO_OK) {
      if (code == EP_NET_E_INTERNAL) send_error(c, 0, code, "out of memory for a frame");
      return;
    }
    /* The first frame sets the connection's protocol version; later ones must keep it. */
    if (c->version == 0) c->version = h.version;
    if (h.version != c->version) {
      send_error(c, h.request_id, EP_NET_E_VERSION, "protocol version %u after %u", h.version,
                 c->version);
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

/* The peer's address (no port) and "client 127.0.0.1:53412" for the log. */
static void describe_peer(int fd, char* address, size_t address_size, char* buf, size_t size) {
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
  snprintf(address, address_size, "%s", host);
  if (buf != NULL) snprintf(buf, size, "client %s:%d", host, port);
}

static void* connection_main(void* arg) {
  slot* sl = arg;
  ep_server* s = sl->server;
  conn c;
  memset(&c, 0, sizeof c);
  c.s = s;
  c.sl = sl;
  c.fd = sl->fd;
  c.stream.fd = c.fd;
  char address[INET6_ADDRSTRLEN];
  describe_peer(c.fd, address, sizeof address, c.peer, sizeof c.peer);
  ep_net_buf_init(&c.in);
  ep_net_buf_init(&c.out);
  c.views = calloc(EP_NET_MAX_TENSORS, sizeof *c.views);
  c.outs = calloc(EP_NET_MAX_TENSORS, sizeof *c.outs);
  c.ids = calloc(EP_NET_MAX_TENSORS, sizeof *c.ids);
  c.chain = ep_net_chain_create();
  c.version = 0;
  bool secured = true;
  if (s->tls != NULL) {
    /* The TLS handshake counts against the handshake timeout, as the HELLO does. */
    secured = ep_net_tls_handshake(s->tls, c.fd, NULL, sl->accepted + s->opt.handshake_timeout_s,
                                   &c.stream.tls) == EP_OK;
    if (!secured) log_line(s, "%s: no TLS: %s", c.peer, ep_last_error());
  }
  if (!secured) {
    /* Nothing can be said to a peer without TLS: just close. */
  } else if (c.views != NULL && c.outs != NULL && c.ids != NULL && c.chain != NULL) {
    log_line(s, "%s connected", c.peer);
    serve_connection(&c);
    log_line(s, "%s disconnected", c.peer);
  } else {
    send_error(&c, 0, EP_NET_E_INTERNAL, "out of memory");
  }
  ep_model_cache_release(s->models, c.model);
  free(c.views);
  free(c.outs);
  free(c.ids);
  ep_net_chain_destroy(c.chain);
  ep_net_tls_free(c.stream.tls);
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
  if (o->max_pending < 0 || o->max_pending > 4096 || o->max_pending_per_address < 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "pending connections must be 1 to 4096");
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
  if (s->opt.handshake_timeout_s <= 0) s->opt.handshake_timeout_s = defaults.handshake_timeout_s;
  if (s->opt.drain_timeout_s < 0) s->opt.drain_timeout_s = defaults.drain_timeout_s;
  if (s->opt.max_pending == 0) s->opt.max_pending = defaults.max_pending;
  if (s->opt.max_pending_per_address == 0) {
    s->opt.max_pending_per_address = defaults.max_pending_per_address;
  }
  if (s->opt.max_queue <= 0) s->opt.max_queue = s->opt.max_clients;
  if (s->opt.max_payload == 0) s->opt.max_payload = defaults.max_payload;
  if (s->opt.max_payload < EP_NET_MAX_HELLO_PAYLOAD) s->opt.max_payload = EP_NET_MAX_HELLO_PAYLOAD;
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
  s->n_slots = s->opt.max_clients + s->opt.max_pending;
  s->slots = calloc((size_t)s->n_slots, sizeof *s->slots);
  if (s->slots == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for a server");
    goto cleanup;
  }
  for (int i = 0; i < s->n_slots; i++) s->slots[i].fd = -1;
  ep_model_cache_options mo;
  memset(&mo, 0, sizeof mo);
  mo.memory_budget = s->opt.model_memory;
  mo.threads = s->opt.threads;
  mo.cpus = s->cpus;
  mo.n_cpus = s->opt.n_cpus;
  mo.sessions_per_model = s->opt.sessions_per_model;
  mo.max_waiting = s->opt.max_queue;
  mo.model_files = o->model_files;
  mo.n_model_files = o->n_model_files;
  mo.pinned = o->models;
  mo.n_pinned = o->n_models;
  mo.pinned_seed = o->models_seed;
  mo.log = o->log;
  mo.log_user = o->log_user;
  status = ep_model_cache_create(&mo, &s->models);
  if (status != EP_OK) goto cleanup;
  if ((o->tls_cert_file == NULL) != (o->tls_key_file == NULL)) {
    status = ep_error(EP_ERR_INVALID_ARGUMENT, "TLS needs both a certificate and a key");
    goto cleanup;
  }
  if (o->tls_cert_file != NULL) {
    status = ep_net_tls_server_config(o->tls_cert_file, o->tls_key_file, &s->tls);
    if (status != EP_OK) goto cleanup;
  }
  s->opt.tls_cert_file = s->opt.tls_key_file = NULL;
  s->opt.model_files = NULL;
  s->opt.models = NULL;
  s->throttle = o->throttle > 1 ? o->throttle : 1;
  if (o->next != NULL) {
    status = ep_net_parse_address(o->next, s->next_host, sizeof s->next_host, &s->next.port);
    if (status == EP_OK && s->next.port == 0) {
      status = ep_error(EP_ERR_INVALID_ARGUMENT, "the next server's port cannot be 0");
    }
    if (status != EP_OK) goto cleanup;
    if (o->next_token != NULL && (o->next_token_length == 0 ||
                                  o->next_token_length > EP_NET_MAX_TOKEN)) {
      status = ep_error(EP_ERR_INVALID_ARGUMENT, "a token holds 1 to %d bytes", EP_NET_MAX_TOKEN);
      goto cleanup;
    }
    s->next.host = s->next_host;
    if (o->next_token != NULL) {
      memcpy(s->next_token, o->next_token, o->next_token_length);
      s->next.token = s->next_token;
      s->next.token_length = o->next_token_length;
    }
    s->next.io_timeout_s = 30;
    s->next.log = o->log;
    s->next.log_user = o->log_user;
  }
  s->opt.next = NULL;
  s->opt.next_token = NULL;
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

void ep_server_set_throttle(ep_server* s, double factor) {
  pthread_mutex_lock(&s->lock);
  s->throttle = factor > 1 ? factor : 1;
  pthread_mutex_unlock(&s->lock);
}

void ep_server_stop(ep_server* s) {
  if (s == NULL) return;
  s->stopping = 1;
  if (s->wake[1] >= 0) {
    /* Never read: the pipe stays readable, which every connection's wait for its next frame
     * watches (ERROR SHUTDOWN, then close). */
    char byte = 1;
    ssize_t ignored = write(s->wake[1], &byte, 1);
    (void)ignored;
  }
}

/* Joins finished connection threads; returns the number of slots in use. Only the thread of
 * ep_server_run calls it. */
static int reap(ep_server* s) {
  int used = 0;
  for (int i = 0; i < s->n_slots; i++) {
    pthread_mutex_lock(&s->lock);
    slot_state state = s->slots[i].state;
    pthread_mutex_unlock(&s->lock);
    if (state == SLOT_DONE) {
      pthread_join(s->slots[i].thread, NULL);
      pthread_mutex_lock(&s->lock);
      s->slots[i].state = SLOT_FREE;
      pthread_mutex_unlock(&s->lock);
    } else if (state != SLOT_FREE) {
      used++;
    }
  }
  return used;
}

/* Tells a client there is no room (best effort, never blocks), then closes without a reset:
 * what the client already sent is drained first. */
static void turn_away(int fd) {
  uint8_t frame[EP_NET_HEADER_SIZE];
  ep_net_header h = {EP_NET_MAGIC, EP_NET_VERSION_MIN, EP_NET_BUSY, 0, 0, 0}; /* any client reads it */
  ep_net_header_encode(&h, frame);
  ssize_t ignored = send(fd, frame, sizeof frame, MSG_NOSIGNAL | MSG_DONTWAIT);
  (void)ignored;
  shutdown(fd, SHUT_WR);
  uint8_t sink[4096];
  for (int i = 0; i < 64 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++) {
  }
  ep_net_close(fd);
}

/* Under the lock: the oldest pending connection (from `address`, or any when NULL); -1 if
 * none. */
static int oldest_pending(ep_server* s, const char* address) {
  int oldest = -1;
  for (int i = 0; i < s->n_slots; i++) {
    slot* sl = &s->slots[i];
    if (sl->state != SLOT_PENDING || sl->dropped) continue;
    if (address != NULL && strcmp(sl->address, address) != 0) continue;
    if (oldest < 0 || sl->order < s->slots[oldest].order) oldest = i;
  }
  return oldest;
}

/* Closes a pending connection to make room: its thread sees the end of its socket and exits;
 * then the slot is free. Returns the slot, or -1 if the connection authenticated meanwhile. */
static int drop(ep_server* s, int i) {
  slot* sl = &s->slots[i];
  pthread_mutex_lock(&s->lock);
  if (sl->state != SLOT_PENDING) {
    pthread_mutex_unlock(&s->lock);
    return -1;
  }
  sl->dropped = true; /* promote() refuses it from now on */
  if (sl->fd >= 0) shutdown(sl->fd, SHUT_RDWR);
  s->stats.dropped++;
  pthread_mutex_unlock(&s->lock);
  log_line(s, "dropped an unauthenticated connection from %s to make room", sl->address);
  pthread_join(sl->thread, NULL); /* prompt: its socket is shut, it loads nothing */
  pthread_mutex_lock(&s->lock);
  sl->state = SLOT_FREE;
  pthread_mutex_unlock(&s->lock);
  return i;
}

/* A slot for a new connection from `address`: a free one, else one freed by dropping the
 * oldest pending connection of that address (over its limit) or of all. Never waits on a
 * client: dropping closes a connection that holds nothing. -1 if every slot is authenticated. */
static int admit_once(ep_server* s, const char* address) {
  reap(s);
  pthread_mutex_lock(&s->lock);
  int from_address = 0, pending = 0, free_slot = -1;
  for (int i = 0; i < s->n_slots; i++) {
    slot* sl = &s->slots[i];
    if (sl->state == SLOT_PENDING && !sl->dropped) {
      pending++;
      from_address += strcmp(sl->address, address) == 0;
    }
    if (sl->state == SLOT_FREE && free_slot < 0) free_slot = i;
  }
  int victim = -1;
  if (from_address >= s->opt.max_pending_per_address) {
    victim = oldest_pending(s, address);
  } else if (pending >= s->opt.max_pending || free_slot < 0) {
    victim = oldest_pending(s, NULL);
  }
  pthread_mutex_unlock(&s->lock);
  if (victim >= 0) {
    int dropped = drop(s, victim);
    if (dropped >= 0) return dropped;
  }
  return free_slot;
}

/* A connection that ends on its own while chosen to be dropped leaves its slot to the next
 * reap: try again (a few times at most). */
static int admit(ep_server* s, const char* address) {
  int i = -1;
  for (int attempt = 0; attempt < 3 && i < 0; attempt++) i = admit_once(s, address);
  return i;
}

static void accept_one(ep_server* s) {
  int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0) return;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  char address[INET6_ADDRSTRLEN];
  describe_peer(fd, address, sizeof address, NULL, 0);
  int i = admit(s, address);
  if (i < 0) {
    pthread_mutex_lock(&s->lock);
    s->stats.busy++;
    pthread_mutex_unlock(&s->lock);
    log_line(s, "busy: every connection slot is taken, turned %s away", address);
    turn_away(fd);
    return;
  }
  slot* sl = &s->slots[i];
  pthread_mutex_lock(&s->lock);
  sl->state = SLOT_PENDING;
  sl->fd = fd;
  sl->server = s;
  sl->dropped = false;
  sl->order = ++s->accepted;
  sl->accepted = ep_now();
  snprintf(sl->address, sizeof sl->address, "%s", address);
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
  /* Draining: no new connections. Every connection waiting for its next frame sees the wake
   * pipe, sends ERROR SHUTDOWN and closes; requests in flight finish first, for up to the
   * drain timeout, after which the remaining sockets are shut. */
  ep_net_close(s->listen_fd);
  s->listen_fd = -1;
  log_line(s, "stopping: draining connections (up to %g s)", s->opt.drain_timeout_s);
  double deadline = ep_now() + s->opt.drain_timeout_s;
  while (reap(s) > 0 && ep_now() < deadline) usleep(10 * 1000);
  pthread_mutex_lock(&s->lock);
  for (int i = 0; i < s->n_slots; i++) {
    if (s->slots[i].state != SLOT_FREE && s->slots[i].fd >= 0) {
      shutdown(s->slots[i].fd, SHUT_RDWR);
    }
  }
  pthread_mutex_unlock(&s->lock);
  for (int i = 0; i < s->n_slots; i++) {
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
  ep_model_cache_destroy(s->models);
  ep_net_tls_config_free(s->tls);
  free(s->slots);
  free(s->cpus);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

void ep_server_stats_get(ep_server* s, ep_server_stats* stats_out) {
  pthread_mutex_lock(&s->lock);
  *stats_out = s->stats;
  pthread_mutex_unlock(&s->lock);
  ep_model_cache_stats m;
  ep_model_cache_stats_get(s->models, &m);
  stats_out->models = m.models;
  stats_out->model_bytes = m.bytes;
  stats_out->model_loads = m.loads;
  stats_out->model_evictions = m.evictions;
}

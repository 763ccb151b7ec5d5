/* The Open Inference Protocol (KServe v2) over HTTP/1.1: a server (libmicrohttpd, TLS through
 * its GnuTLS) and an edge client (libcurl) that runs a split against any v2 server. Specified in
 * docs/protocol.md ("KServe v2 over HTTP") and docs/serving.md.
 *
 * Model names: a zoo name (weights from the server's seed) or the name given to an ONNX file on
 * the server's command line is the whole network; "<name>_from<K>" is its nodes [K, n) and
 * "<name>_from<K>_to<N>" its nodes [K, N), with the tensors crossing the cuts as inputs and
 * outputs (what `edgeprof export --from K --to N` writes as an ONNX model). Node indices are
 * those of the optimized graph, as in `plan` and `offload`.
 *
 * Thread-safety: an ep_http_server is run by one thread (ep_http_server_run) and stopped from
 * any thread or a signal handler (ep_http_server_stop); it serves each connection on a thread
 * of its own. An ep_v2_client and an ep_v2_offload are used by one thread at a time.
 *
 * Builds without libmicrohttpd or libcurl (EP_HAVE_HTTP off) keep these functions, which then
 * fail with EP_ERR_UNSUPPORTED. */
#ifndef EDGEPROF_HTTP_H
#define EDGEPROF_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/net.h"
#include "edgeprof/session.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Whether this build has the HTTP server and client. */
bool ep_http_available(void);

/* --- server -------------------------------------------------------------------------------- */

typedef struct ep_http_server ep_http_server;

typedef struct ep_http_server_options {
  const char* host; /* address to listen on: "127.0.0.1" by default */
  int port;         /* 0: any free port (ep_http_server_port) */
  int threads;      /* per session (default 1) */
  const int* cpus;  /* session workers pinned like ep_session_options; NULL: none */
  int n_cpus;
  int sessions_per_model; /* default: CPUs / threads */
  int max_clients;        /* connections at once (default 64); beyond: closed at once */
  int max_per_address;    /* connections at once from one address (default 32, at most
                           * max_clients): silent connections from one place cannot take every
                           * slot from the clients holding the token */
  const uint8_t* token;   /* required as "Authorization: Bearer <token>"; NULL: none */
  size_t token_length;
  const char* tls_cert_file; /* PEM certificate chain and key: HTTPS; both or neither */
  const char* tls_key_file;
  uint64_t seed;                   /* weights of zoo models */
  const char* const* model_names;  /* names of the ONNX files below */
  const char* const* model_files;
  int n_model_files;
  size_t model_memory; /* budget of the loaded models, LRU eviction (0: 2 GiB) */
  int max_queue;       /* infer requests waiting for a session; beyond: 503 (0: max_clients) */
  const char* const* models; /* non-NULL: preload and pin these (zoo names, file paths), serve
                              * nothing else */
  int n_models;
  size_t max_body;  /* largest request body (default 64 MiB): 413 beyond */
  double timeout_s; /* a connection idle this long is closed (default 60) */
  /* One line per error; NULL: silent. Called from several threads. */
  void (*log)(void* user, const char* line);
  void* log_user;
} ep_http_server_options;

void ep_http_server_options_default(ep_http_server_options* options);
/* Binds and listens (the port is taken when this returns) and starts serving on its threads. */
ep_status ep_http_server_create(const ep_http_server_options* options, ep_http_server** server_out);
int ep_http_server_port(const ep_http_server* server);
/* Waits until ep_http_server_stop. */
ep_status ep_http_server_run(ep_http_server* server);
/* Async-signal-safe and thread-safe. */
void ep_http_server_stop(ep_http_server* server);
/* Stops serving (finishing the requests in progress) and frees. NULL is a no-op. */
void ep_http_server_destroy(ep_http_server* server);

typedef struct ep_http_server_stats {
  uint64_t requests;     /* HTTP requests answered */
  uint64_t inferences;   /* infer requests answered 200 */
  uint64_t errors;       /* answers 4xx and 5xx */
  uint64_t unauthorized; /* 401 */
} ep_http_server_stats;

void ep_http_server_stats_get(ep_http_server* server, ep_http_server_stats* stats_out);

/* --- client -------------------------------------------------------------------------------- */

typedef struct ep_v2_client_options {
  const char* url;      /* "http://host:port" or "https://host:port" (a path after it is ignored) */
  const uint8_t* token; /* sent as "Authorization: Bearer <token>"; NULL: none */
  size_t token_length;
  const char* ca_file;      /* PEM CA bundle to check an https server with; NULL: the system's */
  double connect_timeout_s; /* default 2 */
  double timeout_s;         /* each request, connection included (default 30) */
  bool json_tensors;        /* tensors as JSON numbers instead of the binary extension */
} ep_v2_client_options;

void ep_v2_client_options_default(ep_v2_client_options* options);

/* A tensor of a model's metadata. */
typedef struct ep_v2_tensor_info {
  char name[256];
  ep_shape shape;
} ep_v2_tensor_info;

typedef struct ep_v2_metadata {
  int n_inputs, n_outputs;
  ep_v2_tensor_info* inputs; /* owned: ep_v2_metadata_free */
  ep_v2_tensor_info* outputs;
} ep_v2_metadata;

void ep_v2_metadata_free(ep_v2_metadata* metadata);

/* --- a split run against a v2 server, with local fallback ------------------------------------ */

typedef struct ep_v2_offload ep_v2_offload;

typedef struct ep_v2_offload_options {
  ep_v2_client_options client;
  const char* model; /* the remote model: it must run nodes [k, n) of the session's graph */
  double backoff_s;  /* after a timeout or an unreachable server, do not ask it for this long
                      * (0: ask every time), as ep_offload_options.backoff_s */
} ep_v2_offload_options;

/* `session` is the edge's (it must outlive the offload). Checks nothing remote yet. */
ep_status ep_v2_offload_create(ep_session* session, const ep_v2_offload_options* options,
                               ep_v2_offload** offload_out);
void ep_v2_offload_destroy(ep_v2_offload* offload);
/* Reads the remote model's metadata and finds the cut k whose crossing tensors are its inputs
 * (names and shapes) and whose graph outputs are its outputs. EP_ERR_NOT_FOUND with the reason
 * when the server cannot be asked or no cut fits. */
ep_status ep_v2_offload_remote_split(ep_v2_offload* offload, int* k_out);
/* As ep_offload_run: nodes [0, k) here, [k, n) on the server, the rest here whenever the server
 * cannot answer (info says why). Returns an error only if the local part fails. */
ep_status ep_v2_offload_run(ep_v2_offload* offload, int k, ep_offload_run_info* info_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_HTTP_H */

/* Running a network split between an edge client and a server over TCP.
 *
 * Three layers, specified in docs/protocol.md:
 *  - the wire protocol: a fixed 24-byte little-endian frame header and one payload layout per
 *    frame type; encoders write into a growable buffer, decoders read from bytes and check every
 *    length before use (never a memcpy of a struct);
 *  - the server (ep_server): thread per connection up to a bound, sessions compiled once per
 *    model and reused, optional shared token;
 *  - the edge side (ep_client for frames, ep_offload for a split run that falls back to a local
 *    run whenever the server cannot answer).
 *
 * Thread-safety: protocol functions are pure. An ep_server is driven by one thread
 * (ep_server_run) and stopped from any thread or a signal handler (ep_server_stop). An ep_client
 * and an ep_offload are used by one thread at a time. */
#ifndef EDGEPROF_NET_H
#define EDGEPROF_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgeprof/graph.h"
#include "edgeprof/session.h"
#include "edgeprof/status.h"
#include "edgeprof/tensor_codec.h"

#ifdef __cplusplus
extern "C" {
#endif

/* --- wire protocol --------------------------------------------------------------------- */

#define EP_NET_MAGIC 0x464E5045u /* bytes "EPNF" */
/* The version this build sends; a server answers each connection in the version of its HELLO,
 * any from EP_NET_VERSION_MIN. Version 2 adds placements, compressed tensors and load reports. */
#define EP_NET_VERSION 2
#define EP_NET_VERSION_MIN 1
#define EP_NET_HEADER_SIZE 24
#define EP_NET_DEFAULT_MAX_PAYLOAD (64u << 20) /* 64 MiB */
#define EP_NET_MAX_TENSORS 1024
#define EP_NET_MAX_MODEL_NAME 255
#define EP_NET_MAX_TOKEN 256
#define EP_NET_MAX_MESSAGE 1024
#define EP_NET_MAX_NODES 1000000
#define EP_NET_DEFAULT_PORT 7878
#define EP_NET_MAX_TIER 32 /* tiers of a chain: edge, then up to 32 servers */
/* The limit of a frame before the client is authenticated (a HELLO), checked on the header:
 * a HELLO without a placement takes at most 537 bytes (18 + 8 fixed, a 255-byte name, a
 * 256-byte token); a placement adds a byte per node, so 64 KiB allows 65 000 nodes. */
#define EP_NET_MAX_HELLO_PAYLOAD 65536u

typedef enum ep_net_type {
  EP_NET_HELLO = 1,           /* client: model, seed, split, token */
  EP_NET_HELLO_OK = 2,        /* server: node count, split, tensors up and down */
  EP_NET_PROFILE_REQUEST = 3, /* client: empty */
  EP_NET_PROFILE = 4,         /* server: per-node times (ms) */
  EP_NET_INFER = 5,           /* client: the tensors crossing the cut */
  EP_NET_RESULT = 6,          /* server: compute time (ns) and the output tensors */
  EP_NET_ERROR = 7,           /* server: code and message; the connection then closes */
  EP_NET_BUSY = 8,            /* server: too many clients; the connection then closes */
  EP_NET_PING = 9,            /* client: any bytes (RTT and bandwidth probe) */
  EP_NET_PONG = 10,           /* server: count of bytes the ping carried */
  EP_NET_TYPE_MAX = 10,
} ep_net_type;

/* "HELLO", ... ("?" for an unknown value). */
const char* ep_net_type_name(uint16_t type);

typedef enum ep_net_error_code {
  EP_NET_OK = 0,
  EP_NET_E_MALFORMED = 1,     /* bad magic, unknown type, non-zero flags, bad payload layout */
  EP_NET_E_TOO_LARGE = 2,     /* payload length above the limit */
  EP_NET_E_VERSION = 3,       /* protocol version not spoken */
  EP_NET_E_UNAUTHORIZED = 4,  /* wrong or missing token */
  EP_NET_E_UNKNOWN_MODEL = 5, /* zoo name or file hash the server does not serve */
  EP_NET_E_BAD_SPLIT = 6,     /* split outside [0, n] */
  EP_NET_E_BAD_TENSORS = 7,   /* tensors do not match the cut (count, dtype, dims) */
  EP_NET_E_NOT_READY = 8,     /* a request before a successful HELLO */
  EP_NET_E_UNEXPECTED = 9,    /* a frame type a client does not send */
  EP_NET_E_TIMEOUT = 10,      /* a frame did not arrive in time */
  EP_NET_E_INTERNAL = 11,     /* the server failed (out of memory, model failed to load) */
  EP_NET_E_SHUTDOWN = 12,     /* the server is stopping */
} ep_net_error_code;

const char* ep_net_error_name(uint32_t code);

typedef struct ep_net_header {
  uint32_t magic;
  uint16_t version;
  uint16_t type;
  uint32_t flags; /* none defined in version 1: must be 0 */
  uint32_t payload_length;
  uint64_t request_id;
} ep_net_header;

/* Writes the 24 header bytes. */
void ep_net_header_encode(const ep_net_header* header, uint8_t out[EP_NET_HEADER_SIZE]);
/* Reads and checks a header (magic, version, known type, flags, payload_length <= max_payload).
 * Returns EP_NET_OK or the error code to answer with; *header_out is written either way. */
ep_net_error_code ep_net_header_decode(const uint8_t in[EP_NET_HEADER_SIZE], uint32_t max_payload,
                                       ep_net_header* header_out);

/* A growable byte buffer frames are built in. Allocation failure is remembered (`failed`) and
 * later puts do nothing. */
typedef struct ep_net_buf {
  uint8_t* data;
  size_t length;
  size_t capacity;
  bool failed;
} ep_net_buf;

void ep_net_buf_init(ep_net_buf* buf);
void ep_net_buf_free(ep_net_buf* buf);
/* Starts a frame: clears the buffer and reserves the header (version EP_NET_VERSION). */
void ep_net_frame_begin(ep_net_buf* buf, ep_net_type type, uint64_t request_id);
/* The same in a given protocol version (a server answers in its client's). */
void ep_net_frame_begin_version(ep_net_buf* buf, uint16_t version, ep_net_type type,
                                uint64_t request_id);
/* Fills the header's payload length. EP_ERR_OUT_OF_MEMORY if a put failed, EP_ERR_INVALID_ARGUMENT
 * if the payload exceeds 4 GiB - 1. */
ep_status ep_net_frame_end(ep_net_buf* buf);

typedef enum ep_net_model_kind {
  EP_NET_MODEL_ZOO = 1,    /* by zoo name, weights from the seed */
  EP_NET_MODEL_SHA256 = 2, /* an ONNX file, by the SHA-256 of its bytes */
} ep_net_model_kind;

typedef struct ep_net_hello {
  uint8_t model_kind;                       /* ep_net_model_kind */
  char zoo_name[EP_NET_MAX_MODEL_NAME + 1]; /* kind ZOO: [A-Za-z0-9_.-]+ */
  uint8_t sha256[32];                       /* kind SHA256 */
  uint64_t seed;
  uint32_t split; /* first node the server runs */
  uint16_t token_length;
  uint8_t token[EP_NET_MAX_TOKEN];
  /* Version 2 only. */
  uint8_t cut_dtype;     /* ep_cut_dtype a server forwards crossing tensors in (EP_CUT_FP32) */
  uint32_t n_tiers;      /* 0: the prefix split `split`; else the node count, and: */
  const uint8_t* tiers;  /* tiers[i]: 0 upstream (already run), 1 this server, 2 its --next... */
} ep_net_hello;

typedef struct ep_net_hello_ok {
  uint32_t n_nodes;
  uint32_t split;
  uint32_t upload_tensors;   /* tensors an INFER must carry */
  uint32_t download_tensors; /* tensors a RESULT carries */
  /* Version 2 only. */
  uint32_t server_nodes; /* nodes this server and those after it run */
  uint32_t sessions;     /* requests this server runs at once for the model */
} ep_net_hello_ok;

/* A tensor inside a received payload: dims checked, data not copied (read it with
 * ep_net_tensor_read_f32). */
typedef struct ep_net_tensor_view {
  uint8_t dtype; /* the wire's code: EP_NET_DTYPE_* */
  ep_shape shape;
  size_t numel;
  const uint8_t* data; /* ep_tensor_encoded_bytes of its dtype and shape, little-endian */
} ep_net_tensor_view;

/* dtype codes on the wire: an ep_cut_dtype plus one (float32 is the only one in version 1). */
#define EP_NET_DTYPE_F32 1
#define EP_NET_DTYPE_F16 2
#define EP_NET_DTYPE_INT8 3
#define EP_NET_DTYPE_INT8_CHANNEL 4

/* A tensor to send. */
typedef struct ep_net_tensor_out {
  ep_shape shape;
  const float* data;
  uint8_t dtype; /* ep_cut_dtype to send it in (EP_CUT_FP32 = 0; version 1 sends fp32 only) */
} ep_net_tensor_out;

/* What a version-2 RESULT says about the server's load when it answered. */
typedef struct ep_net_load {
  uint32_t queued;     /* requests waiting for a session (all models) */
  uint32_t running;    /* requests being run, this one included */
  double slowdown;     /* recent (node time / profiled node time), moving average; 0: unknown */
  double throttle;     /* the --throttle factor in force (1: none) */
  uint64_t forward_ns; /* of server_ns, the time spent waiting for the next server */
} ep_net_load;

/* Payload encoders: append to a buffer between ep_net_frame_begin and ep_net_frame_end. */
/* HELLO and HELLO_OK differ by version (docs/protocol.md): encode in the frame's. */
void ep_net_put_hello(ep_net_buf* buf, uint16_t version, const ep_net_hello* hello);
void ep_net_put_hello_ok(ep_net_buf* buf, uint16_t version, const ep_net_hello_ok* ok);
void ep_net_put_profile(ep_net_buf* buf, const double* node_ms, uint32_t n_nodes);
/* INFER payload: the tensor list. RESULT payload: server_ns, then the tensor list. */
void ep_net_put_tensors(ep_net_buf* buf, const ep_net_tensor_out* tensors, uint32_t count);
/* Version 2 adds the load report (`load`, ignored for version 1). */
void ep_net_put_result(ep_net_buf* buf, uint16_t version, uint64_t server_ns,
                       const ep_net_load* load, const ep_net_tensor_out* tensors, uint32_t count);
void ep_net_put_error(ep_net_buf* buf, uint32_t code, const char* message);
void ep_net_put_pong(ep_net_buf* buf, uint64_t bytes);
/* Raw bytes (a PING's payload). */
void ep_net_put_bytes(ep_net_buf* buf, const void* data, size_t length);

/* Payload decoders: check every length and field, and that nothing trails. Return EP_NET_OK or
 * EP_NET_E_MALFORMED; outputs are written only on success. */
/* out->tiers points into the payload. */
ep_net_error_code ep_net_get_hello(const uint8_t* payload, size_t length, uint16_t version,
                                   ep_net_hello* out);
ep_net_error_code ep_net_get_hello_ok(const uint8_t* payload, size_t length, uint16_t version,
                                      ep_net_hello_ok* out);
/* Writes the node count and up to max_nodes times; a count above max_nodes is malformed. */
ep_net_error_code ep_net_get_profile(const uint8_t* payload, size_t length, double* node_ms,
                                     uint32_t max_nodes, uint32_t* n_nodes_out);
/* Version 1 lists hold float32 only; version 2 also fp16 and int8 (with finite scales). */
ep_net_error_code ep_net_get_tensors(const uint8_t* payload, size_t length, uint16_t version,
                                     ep_net_tensor_view* views, uint32_t max_views,
                                     uint32_t* count_out);
/* `load_out` (may be NULL) is zeroed for version 1. */
ep_net_error_code ep_net_get_result(const uint8_t* payload, size_t length, uint16_t version,
                                    uint64_t* server_ns_out, ep_net_load* load_out,
                                    ep_net_tensor_view* views, uint32_t max_views,
                                    uint32_t* count_out);
/* The message is cut to fit `message_size` (always terminated). */
ep_net_error_code ep_net_get_error(const uint8_t* payload, size_t length, uint32_t* code_out,
                                   char* message, size_t message_size);
ep_net_error_code ep_net_get_pong(const uint8_t* payload, size_t length, uint64_t* bytes_out);

/* The server's check of a frame that arrives before authentication (header already decoded
 * with limit EP_NET_MAX_HELLO_PAYLOAD): it must be a HELLO (else NOT_READY), well formed in the
 * header's version (else MALFORMED), with the server's token when `token` is not NULL (else
 * UNAUTHORIZED, compared in constant time). *hello_out (its tiers point into `payload`) is
 * written only on EP_NET_OK. The server uses it for every HELLO. */
ep_net_error_code ep_net_preauth_hello(const ep_net_header* header, const uint8_t* payload,
                                       size_t length, const uint8_t* token, size_t token_length,
                                       ep_net_hello* hello_out);

/* Decodes a view's values into dst[numel] float32 (explicit little-endian decode). */
void ep_net_tensor_read_f32(const ep_net_tensor_view* view, float* dst);

/* --- SHA-256 (FIPS 180-4) ---------------------------------------------------------------- */

typedef struct ep_sha256 {
  uint32_t state[8];
  uint64_t bytes;
  uint8_t block[64];
  size_t used;
} ep_sha256;

void ep_sha256_init(ep_sha256* ctx);
void ep_sha256_update(ep_sha256* ctx, const void* data, size_t length);
void ep_sha256_final(ep_sha256* ctx, uint8_t digest[32]);
/* SHA-256 of a whole file. */
ep_status ep_sha256_file(const char* path, uint8_t digest[32]);
/* 64 lowercase hex digits and a terminator. */
void ep_sha256_hex(const uint8_t digest[32], char hex[65]);

/* Constant-time equality of two byte strings (time depends on the lengths only). */
bool ep_net_token_equal(const uint8_t* a, size_t a_length, const uint8_t* b, size_t b_length);
/* Reads a token file: its bytes without trailing newlines; 1 to EP_NET_MAX_TOKEN bytes. */
ep_status ep_net_token_load(const char* path, uint8_t token[EP_NET_MAX_TOKEN], size_t* length_out);
/* Splits "HOST:PORT" (PORT 0..65535, 0 meaning "any free port" to a server; "[::1]:7878" for
 * IPv6). */
ep_status ep_net_parse_address(const char* text, char* host, size_t host_size, int* port_out);

/* --- placements: which tier of a chain runs each node ------------------------------------- */

/* tier[i] for node i of the optimized graph: 0 the edge (the client), 1 the server it talks to,
 * 2 that server's --next, and so on. A prefix split k is tier 0 for nodes [0, k), 1 after.
 * Valid when no node reads a tensor made on a higher tier (one crossing per hop): each tier's
 * nodes and those below it are closed under predecessors. */
ep_status ep_net_placement_check(const ep_graph* graph, const uint8_t* tier, int max_tier);
void ep_net_placement_from_split(const ep_graph* graph, int k, uint8_t* tier);
/* k when the placement is the prefix split k of two tiers, else -1. */
int ep_net_placement_as_split(const ep_graph* graph, const uint8_t* tier);
/* Tensors entering hop `hop` (>= 1): graph inputs or made on a tier below it, read by a node on
 * it or beyond; ascending ids (the wire's order). Writes up to `max`, returns the count. */
int ep_net_placement_upload(const ep_graph* graph, const uint8_t* tier, int hop, int* ids,
                            int max);
/* Graph outputs made on tier `hop` or beyond, ascending ids. */
int ep_net_placement_download(const ep_graph* graph, const uint8_t* tier, int hop, int* ids,
                              int max);
/* Nodes with lo <= tier <= hi. */
int ep_net_placement_nodes(const ep_graph* graph, const uint8_t* tier, int lo, int hi);
/* Runs the nodes with lo <= tier <= hi in `session` (whose graph is the placement's): in[t]
 * holds tensor in_ids[t] made elsewhere (written into the session when first needed), and each
 * out_ids[t] made by these nodes is copied to out[t] as soon as it exists (later nodes may reuse
 * its buffer). Graph outputs made here stay readable in the session. slowdown > 1 sleeps after
 * each run of consecutive nodes so that it takes that many times as long (serve --throttle). */
ep_status ep_net_placement_run(ep_session* session, const uint8_t* tier, int lo, int hi,
                               const int* in_ids, const float* const* in, int n_in,
                               const int* out_ids, float* const* out, int n_out,
                               double slowdown);

/* --- server -------------------------------------------------------------------------------- */

typedef struct ep_server ep_server;

typedef struct ep_server_options {
  const char* host; /* address to listen on: "127.0.0.1" (loopback) by default */
  int port;         /* 0: any free port (read it with ep_server_port) */
  int threads;      /* per session (default 1) */
  const int* cpus;  /* session workers pinned like ep_session_options; NULL: none */
  int n_cpus;
  int max_clients;        /* connections served at once (default 8); beyond: BUSY and close */
  int sessions_per_model; /* sessions of one model running at once (default: CPUs / threads) */
  const uint8_t* token;   /* shared token, NULL for none */
  size_t token_length;
  double idle_timeout_s;          /* wait for the first byte of the next frame (default 60) */
  double io_timeout_s;            /* rest of a frame once it started, and each write (default 10) */
  uint32_t max_payload;           /* default EP_NET_DEFAULT_MAX_PAYLOAD */
  const char* const* model_files; /* ONNX files served by SHA-256 (loaded on first use) */
  int n_model_files;
  /* One line per connection event and error; NULL: silent. Called from several threads. */
  void (*log)(void* user, const char* line);
  void* log_user;
  /* The next server of a chain ("HOST:PORT"; NULL: none): nodes a HELLO places beyond this
   * server run there, this server acting as its client (with next_token, if any). */
  const char* next;
  const uint8_t* next_token;
  size_t next_token_length;
  double throttle; /* >= 1: each node takes that many times its time (tests); 0 or 1: none */
  /* Admission (docs/protocol.md, "Limits" and "Security model"). A connection is
   * unauthenticated until its HELLO passed the token check: it may then send only that HELLO,
   * of at most EP_NET_MAX_HELLO_PAYLOAD bytes, within handshake_timeout_s of its accept. */
  double handshake_timeout_s;  /* default 5 */
  int max_pending;             /* unauthenticated connections at once (default 64); beyond,
                                * the oldest one is closed */
  int max_pending_per_address; /* unauthenticated connections from one address (default 32);
                                * beyond, that address' oldest one is closed */
  int max_queue;               /* requests waiting for a session (default max_clients); a
                                * request beyond is answered BUSY at once */
  double drain_timeout_s;      /* on stop, time for requests in flight to finish (default 10) */
  size_t model_memory;         /* bytes for loaded models (default 2 GiB), LRU eviction */
  const char* const* models;   /* non-NULL: preload and pin these (zoo names with models_seed,
                                * ONNX paths) and refuse every other model */
  int n_models;
  uint64_t models_seed;
  /* TLS (GnuTLS): both set: every connection starts with a TLS handshake, within the handshake
   * timeout, with this certificate chain and key (PEM files). */
  const char* tls_cert_file;
  const char* tls_key_file;
} ep_server_options;

void ep_server_options_default(ep_server_options* options);
/* Binds and listens (the port is taken when this returns); computes model file hashes. */
ep_status ep_server_create(const ep_server_options* options, ep_server** server_out);
int ep_server_port(const ep_server* server);
/* Serves until ep_server_stop, then closes every connection and waits for their threads. */
ep_status ep_server_run(ep_server* server);
/* Async-signal-safe and thread-safe; ep_server_run returns soon after. */
void ep_server_stop(ep_server* server);
/* Changes the throttle factor (>= 1) while serving; thread-safe. */
void ep_server_set_throttle(ep_server* server, double factor);
/* Call after ep_server_run returned (or if it never ran). NULL is a no-op. */
void ep_server_destroy(ep_server* server);

typedef struct ep_server_stats {
  uint64_t connections; /* accepted and served */
  uint64_t busy;        /* turned away with BUSY */
  uint64_t requests;    /* INFER frames answered with a RESULT */
  uint64_t errors;      /* ERROR frames sent */
  uint64_t dropped;     /* unauthenticated connections closed to make room for new ones */
  int models;           /* models loaded now */
  size_t model_bytes;   /* their memory, as charged to model_memory */
  uint64_t model_loads, model_evictions;
} ep_server_stats;

void ep_server_stats_get(ep_server* server, ep_server_stats* stats_out);

/* --- client -------------------------------------------------------------------------------- */

/* Why a request did not get its answer. */
typedef enum ep_net_failure {
  EP_NET_FAIL_NONE = 0,
  EP_NET_FAIL_UNREACHABLE,  /* connect failed or timed out */
  EP_NET_FAIL_BUSY,         /* the server answered BUSY */
  EP_NET_FAIL_TIMEOUT,      /* no answer in time */
  EP_NET_FAIL_DISCONNECTED, /* the connection closed or broke */
  EP_NET_FAIL_REFUSED,      /* the server answered ERROR (code in ep_client_server_error) */
  EP_NET_FAIL_PROTOCOL,     /* the server sent something malformed or unexpected */
  EP_NET_FAIL_BACKOFF,      /* not asked: backing off after the server timed out or was
                             * unreachable (ep_offload_options.backoff_s) */
  EP_NET_FAIL_UNTRUSTED,    /* TLS: the server's certificate does not chain to the CA */
} ep_net_failure;

const char* ep_net_failure_name(ep_net_failure failure);

typedef struct ep_client_options {
  const char* host;
  int port;
  double connect_timeout_s; /* default 2 */
  double io_timeout_s;      /* each write, and waiting for each answer (default 30) */
  double pace_bps;          /* > 0: send no faster than this (emulates a slower uplink) */
  const uint8_t* token;     /* NULL: none */
  size_t token_length;
  uint32_t max_payload; /* largest answer accepted (default EP_NET_DEFAULT_MAX_PAYLOAD) */
  bool tls;             /* TLS, within connect_timeout_s; the server's certificate must chain to
                         * tls_ca_file (PEM; NULL: the system's CAs) and name `host` */
  const char* tls_ca_file;
} ep_client_options;

typedef struct ep_client ep_client;

void ep_client_options_default(ep_client_options* options);
/* Connects (with the timeout). On failure *failure_out (may be NULL) says why. */
ep_status ep_client_connect(const ep_client_options* options, ep_client** client_out,
                            ep_net_failure* failure_out);
void ep_client_destroy(ep_client* client);
/* The failure of the last failed call, and the server's ERROR code when it is REFUSED. */
ep_net_failure ep_client_failure(const ep_client* client);
uint32_t ep_client_server_error(const ep_client* client);
/* False when the connection cannot carry another request: closed, or the server said something
 * unasked (its idle timeout, a shutdown). A kept connection is checked before reuse. */
bool ep_client_idle_ok(ep_client* client);

/* HELLO (the token comes from the options) and its HELLO_OK. A new HELLO changes the model or
 * split of the connection. */
ep_status ep_client_hello(ep_client* client, const ep_net_hello* hello, ep_net_hello_ok* ok_out);
/* PROFILE_REQUEST: the server's per-node times (ms) into node_ms[max_nodes]. */
ep_status ep_client_profile(ep_client* client, double* node_ms, uint32_t max_nodes,
                            uint32_t* n_nodes_out);
/* PING with `payload_bytes` bytes; seconds from the first byte sent to the PONG. */
ep_status ep_client_ping(ep_client* client, size_t payload_bytes, double* seconds_out);

typedef struct ep_client_timing {
  double upload_s;                      /* encoding and sending the INFER frame (paced) */
  double wait_s;                        /* from the last byte sent to the whole RESULT received */
  double server_s;                      /* the server's compute time, from the RESULT */
  int64_t upload_bytes, download_bytes; /* frame sizes, headers included */
  ep_net_load load;                     /* the server's load report (version 2) */
} ep_client_timing;

/* INFER with `inputs`; the RESULT's tensors must have the shapes of `outputs`, and their values
 * are written to outputs[i].data (cast away: the caller's buffers). */
ep_status ep_client_infer(ep_client* client, const ep_net_tensor_out* inputs, uint32_t n_inputs,
                          const ep_net_tensor_out* outputs, uint32_t n_outputs,
                          ep_client_timing* timing_out);

/* --- a split run with local fallback -------------------------------------------------------- */

typedef struct ep_offload ep_offload;

typedef struct ep_offload_options {
  ep_client_options client;
  ep_net_hello model; /* kind, name or hash, seed (split and token are filled per run) */
  ep_cut_dtype cut_dtype; /* crossing tensors sent as (EP_CUT_FP32 = 0); servers forward in it */
  double edge_slowdown;   /* > 1: the edge's nodes sleep to take that many times as long */
  /* > 0: after the server timed out or was unreachable, do not ask it for this many seconds
   * (everything runs here, failure EP_NET_FAIL_BACKOFF), so that a stopped server costs one
   * timeout, not one per request. 0: ask every time. */
  double backoff_s;
} ep_offload_options;

typedef struct ep_offload_run_info {
  int k;                                /* the split that ran (-1: a placement, not a prefix) */
  bool remote;                          /* the server computed nodes [k, n) */
  ep_net_failure failure;               /* why not, when the server was asked and did not answer */
  char reason[200];                     /* the failure in words, "" if none */
  int64_t upload_bytes, download_bytes; /* frame bytes sent and received */
  double edge_ms;                       /* nodes [0, k) here */
  double upload_ms;                     /* sending the crossing tensors */
  double server_ms;                     /* the server's compute time */
  double download_ms;   /* wait for the result minus the server's time: RTT and transfer */
  double local_tail_ms; /* nodes [k, n) here after a failure */
  double total_ms;
  int edge_nodes;       /* nodes run here before the upload */
  ep_net_load load;     /* the server's report, when it answered */
  uint32_t server_error; /* the ERROR code when failure is EP_NET_FAIL_REFUSED, else 0 */
} ep_offload_run_info;

/* `session` is the edge's session (its graph must be the server's graph of the same model);
 * it must outlive the offload. */
ep_status ep_offload_create(ep_session* session, const ep_offload_options* options,
                            ep_offload** offload_out);
void ep_offload_destroy(ep_offload* offload);
/* Runs the session's network with nodes [k, n) on the server: graph inputs must be set in the
 * session; afterwards the outputs are read from it (ep_session_get_output). If the server cannot
 * answer, the rest runs locally: the result is the same either way and info says what happened.
 * k == n runs locally without the server. Returns an error only if the local part fails. */
ep_status ep_offload_run(ep_offload* offload, int k, ep_offload_run_info* info_out);
/* The same for any valid placement (ep_net_placement_check): tier-0 nodes here, the rest on
 * the server and the servers after it; after a failure every node above tier 0 runs here. */
ep_status ep_offload_run_placement(ep_offload* offload, const uint8_t* tier,
                                   ep_offload_run_info* info_out);
/* The options' edge_slowdown (1 when none). */
double ep_offload_edge_slowdown(const ep_offload* offload);
/* Changes the dtype the crossing tensors are sent in (the next HELLO says it). */
void ep_offload_set_cut_dtype(ep_offload* offload, ep_cut_dtype dtype);
/* The server's per-node profile (connects if needed). */
ep_status ep_offload_server_profile(ep_offload* offload, double* node_ms, int n_nodes);
/* RTT (best of `pings` empty pings) and uplink bit rate (a timed ping of probe_bytes). */
ep_status ep_offload_measure_link(ep_offload* offload, int pings, size_t probe_bytes,
                                  double* rtt_s_out, double* bps_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_NET_H */

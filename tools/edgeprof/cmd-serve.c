/* edgeprof serve: run the server side of split inference until SIGINT or SIGTERM. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "edgeprof/http.h"
#include "edgeprof/net.h"

enum { MAX_MODEL_FILES = 64 };

static ep_server* volatile running;
static ep_http_server* volatile running_http;

static void on_signal(int sig) {
  (void)sig;
  /* async-signal-safe: a flag and a write to a pipe, each */
  ep_server_stop(running);
  ep_http_server_stop(running_http);
}

/* Loopback addresses: the only ones served without a token or TLS unless --insecure. */
static bool is_loopback(const char* host) {
  return strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 ||
         strcmp(host, "::1") == 0;
}

/* ONNX files as NAME=FILE.onnx (the HTTP model name) or FILE.onnx (named after the file). */
static void split_model_files(cli_args* args, const char** names, char (*stems)[256]) {
  for (int i = 0; i < args->n_positional; i++) {
    const char* arg = args->positional[i];
    const char* eq = strchr(arg, '=');
    const char* slash = strchr(arg, '/');
    if (eq != NULL && eq != arg && (slash == NULL || slash > eq)) {
      snprintf(stems[i], sizeof stems[i], "%.*s", (int)(eq - arg), arg);
      args->positional[i] = eq + 1;
    } else {
      snprintf(stems[i], sizeof stems[i], "%s", slash != NULL ? strrchr(arg, '/') + 1 : arg);
      char* dot = strrchr(stems[i], '.');
      if (dot != NULL && dot != stems[i] && strcmp(dot, ".onnx") == 0) *dot = '\0';
    }
    names[i] = stems[i];
  }
}

static void log_to_stderr(void* user, const char* line) {
  (void)user;
  fprintf(stderr, "[serve] %s\n", line);
}

/* --throttle-file: read every 100 ms; a number >= 1 there becomes the throttle factor, so that a
 * test (or a person) can slow the server down and lift it while it serves. */
typedef struct throttle_watch {
  const char* path;
  ep_server* server;
  double factor;
  volatile sig_atomic_t stop;
} throttle_watch;

static void* watch_throttle(void* arg) {
  throttle_watch* w = arg;
  while (!w->stop) {
    FILE* f = fopen(w->path, "r");
    double v = 0;
    if (f != NULL) {
      if (fscanf(f, "%lf", &v) != 1) v = 0;
      fclose(f);
    }
    if (v >= 1 && v <= 1000 && v != w->factor) {
      w->factor = v;
      ep_server_set_throttle(w->server, v);
      fprintf(stderr, "[serve] throttle %g (from %s)\n", v, w->path);
    }
    struct timespec ts = {0, 100 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  return NULL;
}

int cmd_serve(int argc, char** argv) {
  const char* listen = "127.0.0.1:7878";
  const char* token_file = NULL;
  const char* next_token_file = NULL;
  const char* throttle_file = NULL;
  const char* http = NULL;
  const char* tls_cert = NULL;
  const char* tls_key = NULL;
  bool insecure = false, max_clients_given = false, idle_given = false;
  const char* models = NULL;
  ep_server_options so;
  ep_server_options_default(&so);
  int64_t model_memory = (int64_t)so.model_memory;
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      {.name = "--listen", .kind = CLI_STRING, .target = &listen, .metavar = "HOST:PORT",
       .help = "address (default 127.0.0.1:7878: loopback only; port 0: any free)"},
      {.name = "--max-clients", .kind = CLI_INT, .target = &so.max_clients, .min = 1, .max = 4096,
       .metavar = "N", .given = &max_clients_given,
       .help = "connections served at once past the token check (default 8; 64 for\n"
               "--http); more get BUSY and a close (HTTP: a close)"},
      {.name = "--token-file", .kind = CLI_STRING, .target = &token_file, .metavar = "FILE",
       .help = "clients must present this shared token (compared in constant time)"},
      {.name = "--idle-timeout", .kind = CLI_DURATION, .target = &so.idle_timeout_s,
       .min = 0.001, .max = 86400, .metavar = "TIME", .given = &idle_given,
       .help = "close a connection silent for TIME (default 60s; a bare number is seconds)"},
      {.name = "--http", .kind = CLI_STRING, .target = &http, .metavar = "HOST:PORT",
       .help = "also serve KServe v2 over HTTP/1.1 (docs/serving.md): /v2/health/live|ready,\n"
               "/v2/models/NAME[/ready|/infer], /metrics; NAME: a zoo name (weights from\n"
               "--seed), a file's name (NAME=F.onnx, or F without .onnx), NAME_from<K>[_to<N>]\n"
               "for nodes [K, N); a token as \"Authorization: Bearer TOKEN\" on every\n"
               "request. --listen off serves HTTP alone"},
      {.name = "--tls-cert", .kind = CLI_STRING, .target = &tls_cert, .metavar = "PEM",
       .help = "TLS on both listeners (the native protocol, and HTTPS for --http): the\n"
               "certificate chain (with --tls-key)"},
      {.name = "--tls-key", .kind = CLI_STRING, .target = &tls_key, .metavar = "PEM",
       .help = "TLS on both listeners: the private key"},
      {.name = "--insecure", .kind = CLI_FLAG, .target = &insecure,
       .help = "allow a non-loopback address without a token and without TLS"},
      CLI_OPTION_SEED(&args),
      {.name = "--next", .kind = CLI_STRING, .target = &so.next, .metavar = "HOST:PORT",
       .help = "a further server (the cloud behind this fog/edge server): nodes a\n"
               "placement puts beyond this one run there, this server its client"},
      {.name = "--next-token-file", .kind = CLI_STRING, .target = &next_token_file,
       .metavar = "FILE", .help = "the token the --next server wants"},
      {.name = "--throttle", .kind = CLI_NUMBER, .target = &so.throttle, .min = 1, .max = 1000,
       .metavar = "F",
       .help = "sleep so that each node takes F x its time (tests: a slower server)"},
      {.name = "--throttle-file", .kind = CLI_STRING, .target = &throttle_file, .metavar = "FILE",
       .help = "read the throttle factor from FILE every 100 ms while serving\n"
               "(write 20 to slow down, 1 to lift it)"},
      {.name = "--handshake-timeout", .kind = CLI_DURATION, .target = &so.handshake_timeout_s,
       .min = 0.001, .max = 3600, .metavar = "TIME",
       .help = "a new connection must send its HELLO within TIME (default 5s)"},
      {.name = "--max-per-address", .kind = CLI_INT, .target = &so.max_pending_per_address,
       .min = 1, .max = 4096, .metavar = "N",
       .help = "unauthenticated connections from one address (default 32; 64 in all);\n"
               "a new one beyond closes the oldest. HTTP: connections at once from one\n"
               "address (at most --max-clients); beyond, closed at once"},
      {.name = "--queue", .kind = CLI_INT, .target = &so.max_queue, .min = 1, .max = 65536,
       .metavar = "N",
       .help = "requests waiting for a session (default: --max-clients); more get BUSY"},
      {.name = "--drain-timeout", .kind = CLI_DURATION, .target = &so.drain_timeout_s, .min = 0,
       .max = 3600, .metavar = "TIME",
       .help = "on SIGTERM, time for requests in flight (default 10s); idle clients get\n"
               "ERROR SHUTDOWN at once"},
      {.name = "--model-memory", .kind = CLI_SIZE, .target = &model_memory, .min = 1 << 20,
       .max = 1e15, .metavar = "SIZE",
       .help = "memory for loaded models (default 2GiB); the least recently used\n"
               "model no client holds is evicted"},
      {.name = "--models", .kind = CLI_STRING, .target = &models, .metavar = "LIST",
       .help = "preload and pin these zoo models (with --seed) and ONNX files\n"
               "(comma-separated; the FILE arguments join them); refuse others"},
      CLI_OPTION_THREADS(&args),
      CLI_OPTION_CPUS(&args),
  };
  int rc = cli_parse("serve", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;

  char host[256] = "", http_host[256] = "";
  bool native = strcmp(listen, "off") != 0;
  if (!native && http == NULL) {
    return cli_fail(CLI_EXIT_USAGE, "serve: --listen off leaves nothing to serve: add --http HOST:PORT");
  }
  if (native && ep_net_parse_address(listen, host, sizeof host, &so.port) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "serve: --listen: %s", ep_last_error());
  }
  so.host = host;
  ep_http_server_options ho;
  ep_http_server_options_default(&ho);
  if (http != NULL && ep_net_parse_address(http, http_host, sizeof http_host, &ho.port) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "serve: --http: %s", ep_last_error());
  }
  if ((tls_cert == NULL) != (tls_key == NULL)) {
    return cli_fail(CLI_EXIT_USAGE, "serve: --tls-cert and --tls-key go together");
  }
  so.tls_cert_file = native ? tls_cert : NULL;
  so.tls_key_file = native ? tls_key : NULL;
  /* Strangers must not reach an open server: beyond loopback, a token or TLS (or both, best). */
  if (!insecure && token_file == NULL) {
    const char* exposed = native && tls_cert == NULL && !is_loopback(host) ? listen
                          : http != NULL && tls_cert == NULL && !is_loopback(http_host) ? http
                                                                                       : NULL;
    if (exposed != NULL) {
      return cli_fail(CLI_EXIT_USAGE,
                      "serve: %s is reachable from other machines, without a token or TLS: add "
                      "--token-file and/or --tls-cert/--tls-key, or --insecure",
                      exposed);
    }
  }
  if (http != NULL && !ep_http_available()) {
    return cli_fail(CLI_EXIT_USAGE, "serve: --http: KServe v2 over HTTP is not in this build "
                    "(libmicrohttpd-dev and libcurl-dev were not found)");
  }
  uint8_t token[EP_NET_MAX_TOKEN];
  size_t token_length = 0;
  if (token_file != NULL) {
    ep_status st = ep_net_token_load(token_file, token, &token_length);
    if (st != EP_OK) return cli_fail(CLI_EXIT_USAGE, "serve: --token-file: %s", ep_last_error());
    so.token = token;
    so.token_length = token_length;
  }
  uint8_t next_token[EP_NET_MAX_TOKEN];
  size_t next_token_length = 0;
  if (next_token_file != NULL) {
    if (so.next == NULL) {
      return cli_fail(CLI_EXIT_USAGE, "serve: --next-token-file goes with --next HOST:PORT");
    }
    ep_status st = ep_net_token_load(next_token_file, next_token, &next_token_length);
    if (st != EP_OK) {
      return cli_fail(CLI_EXIT_USAGE, "serve: --next-token-file: %s", ep_last_error());
    }
    so.next_token = next_token;
    so.next_token_length = next_token_length;
  }
  static int cpus[EP_MAX_CPUS];
  int n_cpus = 0;
  rc = cli_resolve_cpus("serve", args.cpus, cpus, &n_cpus);
  if (rc != CLI_EXIT_OK) return rc;
  so.threads = args.threads;
  so.cpus = n_cpus > 0 ? cpus : NULL;
  so.n_cpus = n_cpus;
  static const char* names[CLI_MAX_POSITIONAL];
  static char stems[CLI_MAX_POSITIONAL][256];
  split_model_files(&args, names, stems);
  so.model_files = (const char* const*)args.positional;
  so.n_model_files = args.n_positional;
  so.log = log_to_stderr;
  so.model_memory = (size_t)model_memory;
  /* --models a,b,c: the listed zoo models (with --seed) and files, and the positional files. */
  enum { MAX_PINNED = 64 };
  static char models_text[4096];
  static const char* pinned[MAX_PINNED + CLI_MAX_POSITIONAL];
  int n_pinned = 0;
  if (models != NULL) {
    if (strlen(models) >= sizeof models_text) {
      return cli_fail(CLI_EXIT_USAGE, "serve: --models: the list is too long");
    }
    snprintf(models_text, sizeof models_text, "%s", models);
    for (char *save = NULL, *name = strtok_r(models_text, ",", &save); name != NULL;
         name = strtok_r(NULL, ",", &save)) {
      if (n_pinned == MAX_PINNED) {
        return cli_fail(CLI_EXIT_USAGE, "serve: --models: at most %d models", MAX_PINNED);
      }
      pinned[n_pinned++] = name;
    }
    if (n_pinned == 0) return cli_fail(CLI_EXIT_USAGE, "serve: --models: an empty list");
    for (int i = 0; i < args.n_positional; i++) pinned[n_pinned++] = args.positional[i];
    so.models = pinned;
    so.n_models = n_pinned;
    so.models_seed = args.seed;
  }
  ho.host = http_host;
  ho.threads = so.threads;
  ho.cpus = so.cpus;
  ho.n_cpus = so.n_cpus;
  ho.token = so.token;
  ho.token_length = so.token_length;
  ho.tls_cert_file = tls_cert;
  ho.tls_key_file = tls_key;
  ho.seed = args.seed;
  ho.model_names = names;
  ho.model_files = (const char* const*)args.positional;
  ho.n_model_files = args.n_positional;
  if (max_clients_given) ho.max_clients = so.max_clients;
  ho.max_per_address = so.max_pending_per_address;
  if (idle_given) ho.timeout_s = so.idle_timeout_s;
  /* The HTTP listener has a model cache of its own, with the same budget, queue and pins. */
  ho.model_memory = so.model_memory;
  ho.max_queue = so.max_queue;
  ho.models = so.models;
  ho.n_models = so.n_models;
  ho.log = log_to_stderr;

  ep_http_server* http_server = NULL;
  ep_status st = EP_OK;
  if (http != NULL) {
    st = ep_http_server_create(&ho, &http_server);
    if (st != EP_OK) return cli_fail(cli_exit_code(st), "serve: --http: %s", ep_last_error());
  }
  ep_server* server = NULL;
  if (native) st = ep_server_create(&so, &server);
  if (st != EP_OK) {
    ep_http_server_destroy(http_server);
    return cli_fail(cli_exit_code(st), "serve: %s", ep_last_error());
  }
  running = server;
  running_http = http_server;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  if (server != NULL) {
    printf(
        "edgeprof serve: listening on %s:%d (at most %d clients, %d thread%s per session%s%s%s)\n",
        host, ep_server_port(server), so.max_clients, so.threads, so.threads == 1 ? "" : "s",
        tls_cert != NULL ? ", TLS" : "", token_file != NULL ? ", token required" : ", no token",
        is_loopback(host) ? ", loopback only" : "");
  }
  if (http_server != NULL) {
    bool v6 = strchr(http_host, ':') != NULL;
    printf("edgeprof serve: KServe v2 on %s://%s%s%s:%d (at most %d connections%s%s)\n",
           tls_cert != NULL ? "https" : "http", v6 ? "[" : "", http_host, v6 ? "]" : "",
           ep_http_server_port(http_server), ho.max_clients,
           token_file != NULL ? ", bearer token required" : ", no token",
           is_loopback(http_host) ? ", loopback only" : "");
  }
  for (int i = 0; i < args.n_positional; i++) {
    printf("  serving %s%s%s\n", args.positional[i], http_server != NULL ? " as " : "",
           http_server != NULL ? names[i] : "");
  }
  if (so.next != NULL) printf("  nodes beyond this tier go to %s\n", so.next);
  if (so.throttle > 1) printf("  throttled: each node takes %g x its time\n", so.throttle);
  if (models != NULL) {
    printf("Serving only (preloaded, pinned): %s%s\n", models,
           args.n_positional > 0 ? " and the files above" : "");
  } else {
    printf("Zoo models are served by name, loaded on first use within %.0f MiB (LRU eviction).\n",
           (double)so.model_memory / (1 << 20));
  }
  printf("Stop with Ctrl-C (SIGINT) or SIGTERM (drains for up to %g s).\n", so.drain_timeout_s);
  fflush(stdout);
  throttle_watch watch = {throttle_file, server, so.throttle > 1 ? so.throttle : 1, 0};
  pthread_t watcher;
  bool watching = server != NULL && throttle_file != NULL &&
                  pthread_create(&watcher, NULL, watch_throttle, &watch) == 0;
  st = server != NULL ? ep_server_run(server) : ep_http_server_run(http_server);
  if (watching) {
    watch.stop = 1;
    pthread_join(watcher, NULL);
  }
  running = NULL;
  running_http = NULL;
  if (server != NULL) {
    ep_server_stats stats;
    ep_server_stats_get(server, &stats);
    ep_server_destroy(server);
    printf(
        "edgeprof serve: stopped after %llu connections, %llu requests, %llu errors, %llu "
        "turned away busy\n",
        (unsigned long long)stats.connections, (unsigned long long)stats.requests,
        (unsigned long long)stats.errors, (unsigned long long)stats.busy);
  }
  if (http_server != NULL) {
    ep_http_server_stats hs;
    ep_http_server_stop(http_server);
    ep_http_server_stats_get(http_server, &hs);
    ep_http_server_destroy(http_server);
    printf("edgeprof serve: HTTP stopped after %llu requests, %llu inferences, %llu errors "
           "(%llu unauthorized)\n",
           (unsigned long long)hs.requests, (unsigned long long)hs.inferences,
           (unsigned long long)hs.errors, (unsigned long long)hs.unauthorized);
  }
  return st == EP_OK ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}

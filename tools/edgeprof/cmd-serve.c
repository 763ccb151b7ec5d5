/* edgeprof serve: run the server side of split inference until SIGINT or SIGTERM. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_local_opts.h"
#include "edgeprof/net.h"

enum { MAX_MODEL_FILES = 64 };

static ep_server* volatile running;

static void on_signal(int sig) {
  (void)sig;
  ep_server_stop(running); /* async-signal-safe: a flag and a write to a pipe */
}

static void log_to_stderr(void* user, const char* line) {
  (void)user;
  fprintf(stderr, "[serve] %s\n", line);
}

int cmd_serve(int argc, char** argv) {
  const char* listen = "127.0.0.1:7878";
  const char* max_clients = NULL;
  const char* token_file = NULL;
  const char* idle_timeout = NULL;
  const cli_local_opt local[] = {
      {"--listen", &listen, NULL},
      {"--max-clients", &max_clients, NULL},
      {"--token-file", &token_file, NULL},
      {"--idle-timeout", &idle_timeout, NULL},
  };
  int rc = cli_local_extract("serve", local, (int)(sizeof local / sizeof local[0]), &argc, argv);
  if (rc != 0) return rc;
  cli_args args;
  rc = cli_parse_command("serve", argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;

  ep_server_options so;
  ep_server_options_default(&so);
  char host[256];
  if (ep_net_parse_address(listen, host, sizeof host, &so.port) != EP_OK) {
    return cli_fail(CLI_EXIT_USAGE, "serve: --listen: %s", ep_last_error());
  }
  so.host = host;
  if (max_clients != NULL) {
    char* end = NULL;
    long v = strtol(max_clients, &end, 10);
    if (*end != '\0' || v < 1 || v > 4096) {
      return cli_fail(CLI_EXIT_USAGE,
                      "serve: --max-clients must be an integer from 1 to 4096, "
                      "got '%s'",
                      max_clients);
    }
    so.max_clients = (int)v;
  }
  if (idle_timeout != NULL) {
    char* end = NULL;
    double v = strtod(idle_timeout, &end);
    if (*end != '\0' || !(v > 0) || v > 86400) {
      return cli_fail(CLI_EXIT_USAGE,
                      "serve: --idle-timeout must be seconds in (0, 86400], got "
                      "'%s'",
                      idle_timeout);
    }
    so.idle_timeout_s = v;
  }
  uint8_t token[EP_NET_MAX_TOKEN];
  size_t token_length = 0;
  if (token_file != NULL) {
    ep_status st = ep_net_token_load(token_file, token, &token_length);
    if (st != EP_OK) return cli_fail(CLI_EXIT_USAGE, "serve: --token-file: %s", ep_last_error());
    so.token = token;
    so.token_length = token_length;
  }
  static int cpus[EP_MAX_CPUS];
  int n_cpus = 0;
  rc = cli_resolve_cpus("serve", args.cpus, cpus, &n_cpus);
  if (rc != CLI_EXIT_OK) return rc;
  so.threads = args.threads;
  so.cpus = n_cpus > 0 ? cpus : NULL;
  so.n_cpus = n_cpus;
  so.model_files = (const char* const*)args.positional;
  so.n_model_files = args.n_positional;
  so.log = log_to_stderr;

  ep_server* server = NULL;
  ep_status st = ep_server_create(&so, &server);
  if (st != EP_OK) return cli_fail(cli_exit_code(st), "serve: %s", ep_last_error());
  running = server;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  printf(
      "edgeprof serve: listening on %s:%d (at most %d clients, %d thread%s per session%s%s)\n",
      host, ep_server_port(server), so.max_clients, so.threads, so.threads == 1 ? "" : "s",
      token_file != NULL ? ", token required" : ", no token",
      strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 || strcmp(host, "localhost") == 0
          ? ", loopback only"
          : "");
  for (int i = 0; i < args.n_positional; i++) printf("  serving %s\n", args.positional[i]);
  printf("Zoo models are served by name; stop with Ctrl-C (SIGINT) or SIGTERM.\n");
  fflush(stdout);
  st = ep_server_run(server);
  ep_server_stats stats;
  ep_server_stats_get(server, &stats);
  running = NULL;
  ep_server_destroy(server);
  printf(
      "edgeprof serve: stopped after %llu connections, %llu requests, %llu errors, %llu "
      "turned away busy\n",
      (unsigned long long)stats.connections, (unsigned long long)stats.requests,
      (unsigned long long)stats.errors, (unsigned long long)stats.busy);
  return st == EP_OK ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}

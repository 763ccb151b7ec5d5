/* Output files of the CLI: opened before measuring, removed if the process is interrupted. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* Temporary files to remove on SIGINT/SIGTERM/SIGHUP/SIGPIPE (`bench --json p.json | head -1`
 * ends with SIGPIPE when stdout's reader is gone): fixed storage, as the handler may only
 * call async-signal-safe functions. */
#define MAX_PENDING 4
static char pending[MAX_PENDING][4096];
static volatile sig_atomic_t pending_used[MAX_PENDING];

static void on_signal(int sig) {
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending_used[i]) unlink(pending[i]);
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

static void track(const char* tmp) {
  static int handlers_installed;
  if (tmp == NULL) return;
  if (!handlers_installed) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* Only where SIGPIPE would end the process anyway (serve ignores it; sockets use
     * MSG_NOSIGNAL): the handler removes the files, then dies of the signal as before. */
    struct sigaction old;
    if (sigaction(SIGPIPE, NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
      sigaction(SIGPIPE, &sa, NULL);
    }
    handlers_installed = 1;
  }
  for (int i = 0; i < MAX_PENDING; i++) {
    if (!pending_used[i] && strlen(tmp) < sizeof pending[i]) {
      strcpy(pending[i], tmp);
      pending_used[i] = 1;
      return;
    }
  }
}

static void untrack(const char* tmp) {
  if (tmp == NULL) return;
  for (int i = 0; i < MAX_PENDING; i++) {
    if (pending_used[i] && strcmp(pending[i], tmp) == 0) pending_used[i] = 0;
  }
}

bool cli_is_stdout(const char* path) { return path != NULL && strcmp(path, "-") == 0; }

int cli_output_open(const char* command, const char* path, ep_output** out) {
  *out = NULL;
  if (path == NULL) return CLI_EXIT_OK;
  ep_status status = ep_output_open(path, out);
  if (status != EP_OK) return cli_fail(CLI_EXIT_USAGE, "%s: %s", command, ep_last_error());
  track(ep_output_tmp_path(*out));
  return CLI_EXIT_OK;
}

int cli_output_commit(const char* command, ep_output* output) {
  if (output == NULL) return CLI_EXIT_OK;
  const char* tmp = ep_output_tmp_path(output);
  if (tmp != NULL) untrack(tmp);
  ep_status status = ep_output_commit(output);
  if (status != EP_OK) return cli_fail(CLI_EXIT_RUNTIME, "%s: %s", command, ep_last_error());
  return CLI_EXIT_OK;
}

void cli_output_discard(ep_output* output) {
  if (output == NULL) return;
  const char* tmp = ep_output_tmp_path(output);
  if (tmp != NULL) untrack(tmp);
  ep_output_discard(output);
}

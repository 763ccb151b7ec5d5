/* Loopback: the server process is killed (SIGKILL) in the middle of a request; the client
 * finishes the inference locally with the correct result and says so; later requests, with
 * the server gone, also finish locally and correctly. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edgeprof/platform.h"
#include "offload_test_util.h"

static pid_t child;

static void* killer(void* arg) {
  (void)arg;
  usleep(150 * 1000);
  kill(child, SIGKILL);
  return NULL;
}

int main(void) {
  /* The server runs in a child forked before this process starts any thread. */
  int pipefd[2];
  if (pipe(pipefd) != 0) return 1;
  child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    close(pipefd[0]);
    ep_server_options so;
    ep_server_options_default(&so);
    so.port = 0;
    ep_server* s = NULL;
    int port = -1;
    if (ep_server_create(&so, &s) == EP_OK) port = ep_server_port(s);
    if (write(pipefd[1], &port, sizeof port) != (ssize_t)sizeof port) _exit(1);
    close(pipefd[1]);
    if (s != NULL) ep_server_run(s);
    _exit(0);
  }
  close(pipefd[1]);
  int port = -1;
  if (read(pipefd[0], &port, sizeof port) != (ssize_t)sizeof port || port <= 0) {
    EP_CHECK_MSG(0, "the server child did not start");
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return ep_test_finish();
  }
  close(pipefd[0]);

  test_model m;
  if (test_model_open(&m, "mlp", 3) != 0) {
    EP_CHECK_MSG(0, "cannot open mlp: %s", ep_last_error());
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return ep_test_finish();
  }
  ep_offload_options oo;
  test_offload_options(&oo, "mlp", port);
  oo.client.io_timeout_s = 5 * test_time_scale();
  ep_offload* off = NULL;
  EP_CHECK_OK(ep_offload_create(m.session, &oo, &off));
  ep_offload_run_info info;
  EP_CHECK(test_offload_once(&m, off, 0, &info));
  EP_CHECK_MSG(info.remote, "before the kill: %s", info.reason);
  ep_offload_destroy(off);

  /* Paced at 80 kbit/s, the 3 KB input takes about 0.3 s to send: the kill lands inside. */
  oo.client.pace_bps = 80e3;
  off = NULL;
  EP_CHECK_OK(ep_offload_create(m.session, &oo, &off));
  pthread_t t;
  EP_CHECK(pthread_create(&t, NULL, killer, NULL) == 0);
  double start = ep_now();
  EP_CHECK(test_offload_once(&m, off, 0, &info));
  pthread_join(t, NULL);
  printf("killed mid-request: remote=%d, %s (%s), %.0f ms\n", info.remote,
         ep_net_failure_name(info.failure), info.reason, (ep_now() - start) * 1e3);
  EP_CHECK(!info.remote);
  EP_CHECK_MSG(info.failure == EP_NET_FAIL_DISCONNECTED || info.failure == EP_NET_FAIL_TIMEOUT,
               "failure %d", info.failure);
  EP_CHECK(info.local_tail_ms > 0);
  int status = 0;
  waitpid(child, &status, 0);
  EP_CHECK(WIFSIGNALED(status));

  /* The server is gone: every later request is finished locally, correctly. */
  for (int k = 0; k < 5; k++) {
    EP_CHECK(test_offload_once(&m, off, k, &info));
    EP_CHECK(!info.remote && info.failure == EP_NET_FAIL_UNREACHABLE);
  }
  ep_offload_destroy(off);
  test_model_close(&m);
  return ep_test_finish();
}

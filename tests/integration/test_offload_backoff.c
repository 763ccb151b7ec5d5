/* Loopback: a server stopped with SIGSTOP in the middle of a session costs the client its
 * timeout once; the requests after that run here at once (failure "backing off") with correct
 * results; once the back-off period is over the client asks again (one more timeout while the
 * server is still stopped), and after SIGCONT it is served remotely again. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "edgeprof/platform.h"
#include "offload_test_util.h"

/* Native figures; scaled by test_time_scale() under emulation (the local runs that fill the
 * back-off period take ~10x longer under qemu). */
enum { TIMEOUT_MS_NATIVE = 1000, BACKOFF_MS_NATIVE = 2500 };
#define TIMEOUT_MS (TIMEOUT_MS_NATIVE * test_time_scale())
#define BACKOFF_MS (BACKOFF_MS_NATIVE * test_time_scale())

static double run_once(test_model* m, ep_offload* off, ep_offload_run_info* info, int* same) {
  double start = ep_now();
  *same = test_offload_once(m, off, 2, info);
  return ep_now() - start;
}

int main(void) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return 1;
  pid_t child = fork();
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
  if (test_model_open(&m, "mlp", 21) != 0) {
    EP_CHECK_MSG(0, "cannot open mlp: %s", ep_last_error());
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    return ep_test_finish();
  }
  ep_offload_options oo;
  test_offload_options(&oo, "mlp", port);
  /* The server loads the model on the first HELLO: a client with the default timeouts does it
   * first (under emulation the load alone takes longer than TIMEOUT_MS), the model stays cached. */
  ep_offload* warm = NULL;
  EP_CHECK_OK(ep_offload_create(m.session, &oo, &warm));
  ep_offload_run_info warm_info;
  int warm_same = 0;
  run_once(&m, warm, &warm_info, &warm_same);
  EP_CHECK_MSG(warm_same && warm_info.remote, "warm-up: %s", warm_info.reason);
  ep_offload_destroy(warm);
  oo.client.connect_timeout_s = oo.client.io_timeout_s = TIMEOUT_MS / 1e3;
  oo.backoff_s = BACKOFF_MS / 1e3;
  ep_offload* off = NULL;
  EP_CHECK_OK(ep_offload_create(m.session, &oo, &off));
  ep_offload_run_info info;
  int same = 0;
  run_once(&m, off, &info, &same);
  EP_CHECK_MSG(same && info.remote, "before the stop: %s", info.reason);

  kill(child, SIGSTOP);
  int status = 0;
  waitpid(child, &status, WUNTRACED); /* stopped for sure before the next request */
  EP_CHECK(WIFSTOPPED(status));
  double t = run_once(&m, off, &info, &same);
  printf("stopped: %.0f ms, %s (%s)\n", t * 1e3, ep_net_failure_name(info.failure), info.reason);
  EP_CHECK(same && !info.remote && info.failure == EP_NET_FAIL_TIMEOUT);
  EP_CHECK_MSG(t >= 0.9 * TIMEOUT_MS / 1e3 && t < 2.5 * TIMEOUT_MS / 1e3, "%.2f s", t);
  double backed_off = 0;
  for (int i = 0; i < 5; i++) {
    t = run_once(&m, off, &info, &same);
    backed_off += t;
    EP_CHECK_MSG(same && !info.remote && info.failure == EP_NET_FAIL_BACKOFF, "run %d: %d %s", i,
                 info.failure, info.reason);
  }
  printf("5 runs backing off: %.0f ms in all (%s)\n", backed_off * 1e3, info.reason);
  EP_CHECK(backed_off < 1.0 * test_time_scale());

  /* The period over, one more try: still stopped, so one more timeout, then back off again. */
  usleep((useconds_t)(BACKOFF_MS * 1000));
  t = run_once(&m, off, &info, &same);
  EP_CHECK_MSG(same && info.failure == EP_NET_FAIL_TIMEOUT && t < 2.5 * TIMEOUT_MS / 1e3,
               "retry: %d, %.2f s", info.failure, t);
  t = run_once(&m, off, &info, &same);
  EP_CHECK(same && info.failure == EP_NET_FAIL_BACKOFF && t < 0.5 * test_time_scale());

  kill(child, SIGCONT);
  usleep((useconds_t)(BACKOFF_MS * 1000));
  run_once(&m, off, &info, &same);
  EP_CHECK_MSG(same && info.remote, "after SIGCONT: %s", info.reason);
  ep_offload_destroy(off);
  test_model_close(&m);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  return ep_test_finish();
}

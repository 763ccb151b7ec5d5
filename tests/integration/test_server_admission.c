/* Loopback: the attacks of issue 17 against the server's admission, each now failing.
 *  - strangers (wrong token) naming new models make the server load nothing;
 *  - without a token, new seeds cannot grow the models past --model-memory (LRU eviction);
 *  - 40 silent connections and a client with the token stalled inside a frame do not keep
 *    another client with the token out (the oldest unauthenticated connections of an address
 *    are closed to make room, each within the handshake timeout; a stalled frame holds only its
 *    own connection's thread);
 *  - a frame over the HELLO size before authentication is refused on its header, before any of
 *    its payload is read;
 *  - stopping drains: a request in flight gets its RESULT, then ERROR SHUTDOWN; an idle client
 *    gets ERROR SHUTDOWN. */
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "edgeprof/platform.h"
#include "offload_test_util.h"

static const char token[] = "admission-token";

static int raw_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && connect(fd, (struct sockaddr*)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void send_all(int fd, const void* data, size_t n) {
  const uint8_t* p = data;
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

static bool read_exact(int fd, uint8_t* dst, size_t n, double deadline) {
  size_t got = 0;
  while (got < n) {
    struct pollfd p = {fd, POLLIN, 0};
    int ms = (int)((deadline - ep_now()) * 1e3);
    if (ms <= 0 || poll(&p, 1, ms) <= 0) return false;
    ssize_t r = recv(fd, dst + got, n - got, 0);
    if (r <= 0) return false;
    got += (size_t)r;
  }
  return true;
}

/* One frame's type within timeout_s (0: closed or nothing), and an ERROR's code. */
static int read_answer(int fd, double timeout_s, uint32_t* code) {
  double deadline = ep_now() + timeout_s;
  uint8_t head[EP_NET_HEADER_SIZE];
  if (!read_exact(fd, head, sizeof head, deadline)) return 0;
  ep_net_header h;
  if (ep_net_header_decode(head, 64u << 20, &h) != EP_NET_OK) return -1;
  uint8_t* payload = malloc(h.payload_length + 1u);
  if (payload == NULL || !read_exact(fd, payload, h.payload_length, deadline)) {
    free(payload);
    return 0;
  }
  *code = 0;
  if (h.type == EP_NET_ERROR) {
    char message[256];
    if (ep_net_get_error(payload, h.payload_length, code, message, sizeof message) != EP_NET_OK) {
      *code = 0;
    }
  }
  free(payload);
  return h.type;
}

static void hello_frame(ep_net_buf* b, const char* model, uint64_t seed, uint32_t split,
                        const char* tok) {
  ep_net_hello h;
  memset(&h, 0, sizeof h);
  h.model_kind = EP_NET_MODEL_ZOO;
  snprintf(h.zoo_name, sizeof h.zoo_name, "%s", model);
  h.seed = seed;
  h.split = split;
  h.token_length = (uint16_t)strlen(tok);
  memcpy(h.token, tok, h.token_length);
  ep_net_frame_begin(b, EP_NET_HELLO, 1);
  ep_net_put_hello(b, EP_NET_VERSION, &h);
  ep_net_frame_end(b);
}

static void strangers_load_nothing(void) {
  ep_server_options so;
  ep_server_options_default(&so);
  so.token = (const uint8_t*)token;
  so.token_length = strlen(token);
  test_server ts;
  if (test_server_start(&ts, &so) != 0) {
    EP_CHECK_MSG(0, "cannot start a server");
    return;
  }
  ep_net_buf b;
  ep_net_buf_init(&b);
  int refused = 0;
  for (int i = 0; i < 16; i++) {
    hello_frame(&b, "lstm", 1000 + (uint64_t)i, 0, "not-the-token");
    int fd = raw_connect(ts.port);
    send_all(fd, b.data, b.length);
    uint32_t code = 0;
    refused += read_answer(fd, 5, &code) == EP_NET_ERROR && code == EP_NET_E_UNAUTHORIZED;
    close(fd);
  }
  ep_server_stats st;
  ep_server_stats_get(ts.server, &st);
  printf("16 strangers' HELLOs: %d refused, %llu models loaded\n", refused,
         (unsigned long long)st.model_loads);
  EP_CHECK(refused == 16 && st.model_loads == 0 && st.models == 0);
  ep_net_buf_free(&b);
  test_server_stop(&ts);
}

static void memory_stays_in_budget(void) {
  ep_server_options so;
  ep_server_options_default(&so);
  so.model_memory = 50u << 20; /* two lstm models (22 MiB each) */
  so.sessions_per_model = 1;
  test_server ts;
  if (test_server_start(&ts, &so) != 0) {
    EP_CHECK_MSG(0, "cannot start a server");
    return;
  }
  ep_net_buf b;
  ep_net_buf_init(&b);
  size_t most = 0;
  int ok = 0;
  for (int i = 0; i < 6; i++) {
    hello_frame(&b, "lstm", 2000 + (uint64_t)i, 0, "");
    int fd = raw_connect(ts.port);
    send_all(fd, b.data, b.length);
    uint32_t code = 0;
    ok += read_answer(fd, 20, &code) == EP_NET_HELLO_OK;
    close(fd);
    usleep(50 * 1000); /* the connection lets go of its model */
    ep_server_stats st;
    ep_server_stats_get(ts.server, &st);
    if (st.model_bytes > most) most = st.model_bytes;
  }
  ep_server_stats st;
  ep_server_stats_get(ts.server, &st);
  printf("6 seeds in a 50 MiB budget: %d served, %d models held, at most %.1f MiB, %llu "
         "evictions\n",
         ok, st.models, (double)most / (1 << 20), (unsigned long long)st.model_evictions);
  EP_CHECK(ok == 6 && most <= so.model_memory && st.model_evictions >= 4 && st.models <= 2);
  ep_net_buf_free(&b);
  test_server_stop(&ts);
}

static void silent_connections_and_big_frames(void) {
  ep_server_options so;
  ep_server_options_default(&so);
  so.token = (const uint8_t*)token;
  so.token_length = strlen(token);
  so.max_clients = 2;
  so.max_pending = 8;
  so.max_pending_per_address = 4;
  so.handshake_timeout_s = 2;
  test_server ts;
  if (test_server_start(&ts, &so) != 0) {
    EP_CHECK_MSG(0, "cannot start a server");
    return;
  }
  enum { SILENT = 40 };
  int silent[SILENT];
  int slow = -1;
  test_model m;
  if (test_model_open(&m, "mlp", 11) == 0) {
    ep_offload_options oo;
    test_offload_options(&oo, "mlp", ts.port);
    oo.client.token = (const uint8_t*)token;
    oo.client.token_length = strlen(token);
    ep_offload* off = NULL;
    ep_offload_run_info info;
    /* First a request that has the server load the model, on a connection then closed. */
    EP_CHECK_OK(ep_offload_create(m.session, &oo, &off));
    EP_CHECK(test_offload_once(&m, off, 2, &info) && info.remote);
    ep_offload_destroy(off);
    /* A slow client with the token: it sends half of an INFER and stalls (it holds only its
     * own thread; the server never waits on it elsewhere). */
    ep_net_buf slow_frames;
    ep_net_buf_init(&slow_frames);
    hello_frame(&slow_frames, "mlp", EP_ZOO_DEFAULT_SEED, 0, token);
    slow = raw_connect(ts.port);
    send_all(slow, slow_frames.data, slow_frames.length);
    uint32_t slow_code = 0;
    EP_CHECK(read_answer(slow, 10, &slow_code) == EP_NET_HELLO_OK);
    static float input[784];
    ep_net_tensor_out in = {ep_shape_make(2, (int64_t[]){1, 784}), input, 0};
    ep_net_frame_begin(&slow_frames, EP_NET_INFER, 2);
    ep_net_put_tensors(&slow_frames, &in, 1);
    ep_net_frame_end(&slow_frames);
    send_all(slow, slow_frames.data, slow_frames.length / 2);
    ep_net_buf_free(&slow_frames);
    for (int i = 0; i < SILENT; i++) silent[i] = raw_connect(ts.port);
    usleep(100 * 1000);
    EP_CHECK_OK(ep_offload_create(m.session, &oo, &off));
    double start = ep_now();
    EP_CHECK(test_offload_once(&m, off, 2, &info));
    double took = ep_now() - start;
    printf("after %d silent connections and a stalled client: remote=%d in %.0f ms (%s)\n",
           SILENT, info.remote, took * 1e3, info.reason);
    EP_CHECK_MSG(info.remote && took < 1.0, "remote=%d, %.2f s: %s", info.remote, took,
                 info.reason);
    ep_offload_destroy(off);
  } else {
    EP_CHECK_MSG(0, "cannot open mlp: %s", ep_last_error());
    for (int i = 0; i < SILENT; i++) silent[i] = -1;
  }
  test_model_close(&m);
  if (slow >= 0) close(slow);
  ep_server_stats st;
  ep_server_stats_get(ts.server, &st);
  EP_CHECK_MSG(st.dropped >= SILENT - 4, "dropped %llu", (unsigned long long)st.dropped);
  /* The silent ones that kept a slot are closed by the handshake timeout (2 s). */
  int timed_out = 0;
  for (int i = 0; i < SILENT; i++) {
    uint32_t code = 0;
    if (silent[i] < 0) continue;
    timed_out += read_answer(silent[i], 4, &code) == EP_NET_ERROR && code == EP_NET_E_TIMEOUT;
    close(silent[i]);
  }
  printf("silent connections: %llu dropped for room, %d closed by the handshake timeout\n",
         (unsigned long long)st.dropped, timed_out);
  EP_CHECK(timed_out >= 1 && timed_out <= 4);

  /* Before authentication a frame is a HELLO: bigger ones are refused on the header alone. */
  uint32_t lengths[] = {EP_NET_MAX_HELLO_PAYLOAD + 1, 60u << 20};
  for (int i = 0; i < 2; i++) {
    uint8_t head[EP_NET_HEADER_SIZE];
    ep_net_header h = {EP_NET_MAGIC, EP_NET_VERSION, EP_NET_HELLO, 0, lengths[i], 1};
    ep_net_header_encode(&h, head);
    int fd = raw_connect(ts.port);
    send_all(fd, head, sizeof head); /* and no payload at all */
    uint32_t code = 0;
    double start = ep_now();
    int type = read_answer(fd, 3, &code);
    EP_CHECK_MSG(type == EP_NET_ERROR && code == EP_NET_E_TOO_LARGE && ep_now() - start < 1,
                 "a %u-byte HELLO: answer %d code %u", lengths[i], type, code);
    close(fd);
  }
  test_server_stop(&ts);
}

typedef struct stopper {
  ep_server* server;
  int delay_ms;
} stopper;

static void* stop_later(void* arg) {
  stopper* s = arg;
  usleep((useconds_t)s->delay_ms * 1000);
  ep_server_stop(s->server);
  return NULL;
}

static void drain_on_stop(void) {
  ep_server_options so;
  ep_server_options_default(&so);
  so.drain_timeout_s = 10;
  test_server ts;
  if (test_server_start(&ts, &so) != 0) {
    EP_CHECK_MSG(0, "cannot start a server");
    return;
  }
  ep_net_buf b;
  ep_net_buf_init(&b);
  hello_frame(&b, "mlp", EP_ZOO_DEFAULT_SEED, 0, "");
  int idle = raw_connect(ts.port), busy = raw_connect(ts.port);
  uint32_t code = 0;
  send_all(idle, b.data, b.length);
  send_all(busy, b.data, b.length);
  EP_CHECK(read_answer(idle, 20, &code) == EP_NET_HELLO_OK);
  EP_CHECK(read_answer(busy, 20, &code) == EP_NET_HELLO_OK);
  /* A request, and the stop right behind it: the request is answered, then the shutdown. */
  static float input[784];
  ep_net_tensor_out t = {ep_shape_make(2, (int64_t[]){1, 784}), input, 0};
  ep_net_frame_begin(&b, EP_NET_INFER, 2);
  ep_net_put_tensors(&b, &t, 1);
  ep_net_frame_end(&b);
  send_all(busy, b.data, b.length);
  stopper st = {ts.server, 0};
  pthread_t thread;
  EP_CHECK(pthread_create(&thread, NULL, stop_later, &st) == 0);
  int first = read_answer(busy, 10, &code);
  int second = read_answer(busy, 10, &code);
  EP_CHECK_MSG(first == EP_NET_RESULT, "in flight: %d", first);
  EP_CHECK_MSG(second == EP_NET_ERROR && code == EP_NET_E_SHUTDOWN, "then: %d code %u", second,
               code);
  EP_CHECK(read_answer(idle, 10, &code) == EP_NET_ERROR && code == EP_NET_E_SHUTDOWN);
  pthread_join(thread, NULL);
  close(idle);
  close(busy);
  ep_net_buf_free(&b);
  double start = ep_now();
  test_server_stop(&ts);
  EP_CHECK(ep_now() - start < 5);
}

int main(void) {
  strangers_load_nothing();
  memory_stays_in_budget();
  silent_connections_and_big_frames();
  drain_on_stop();
  return ep_test_finish();
}

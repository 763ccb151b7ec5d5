/* Loopback: the server survives random bytes, truncated and stalled frames, oversized lengths,
 * bad versions and types, wrong tokens, malformed payloads and frames out of order; each gets an
 * ERROR frame (or just a close) and the server still answers a good client correctly. A full
 * server answers BUSY and the client finishes locally. */
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "edgeprof/platform.h"
#include "offload_test_util.h"

static const char token[] = "s3cret-token";
static int port;

static int raw_connect(void) {
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

/* Reads one frame within `timeout_s`: its type (0 if the connection closed first) and, for
 * ERROR, its code. */
static int read_answer(int fd, double timeout_s, uint32_t* code) {
  uint8_t head[EP_NET_HEADER_SIZE];
  size_t got = 0;
  double deadline = ep_now() + timeout_s;
  uint8_t payload[2048];
  size_t want = sizeof head;
  uint8_t* dst = head;
  for (int phase = 0; phase < 2; phase++) {
    got = 0;
    while (got < want) {
      struct pollfd p = {fd, POLLIN, 0};
      int ms = (int)((deadline - ep_now()) * 1e3);
      if (ms <= 0 || poll(&p, 1, ms) <= 0) return -1; /* no answer in time */
      ssize_t r = recv(fd, dst + got, want - got, 0);
      if (r <= 0) return 0;
      got += (size_t)r;
    }
    if (phase == 0) {
      ep_net_header h;
      if (ep_net_header_decode(head, sizeof payload, &h) != EP_NET_OK) return -2;
      if (h.payload_length == 0) return h.type;
      want = h.payload_length;
      dst = payload;
      *code = 0;
      if (h.type != EP_NET_ERROR) {
        /* Not an error: drain the payload and report the type. */
      }
    }
  }
  ep_net_header h;
  ep_net_header_decode(head, sizeof payload, &h);
  if (h.type == EP_NET_ERROR) {
    char message[256];
    if (ep_net_get_error(payload, want, code, message, sizeof message) != EP_NET_OK) return -3;
  }
  return h.type;
}

/* After the ERROR, the server closes: the next read sees the end. */
static bool closed_after(int fd) {
  uint8_t b;
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, 3000) <= 0) return false;
  return recv(fd, &b, 1, 0) <= 0;
}

static void frame(ep_net_buf* b, ep_net_type type, uint64_t id) { ep_net_frame_begin(b, type, id); }

static ep_net_hello good_hello(uint32_t split) {
  ep_net_hello h;
  memset(&h, 0, sizeof h);
  h.model_kind = EP_NET_MODEL_ZOO;
  strcpy(h.zoo_name, "mlp");
  h.seed = EP_ZOO_DEFAULT_SEED;
  h.split = split;
  h.token_length = (uint16_t)strlen(token);
  memcpy(h.token, token, h.token_length);
  return h;
}

/* Sends `bytes`, expects an ERROR with `code` (0: any answer or none) and then a close. */
static void expect_error(const char* what, const uint8_t* bytes, size_t n, uint32_t code,
                         double wait_s) {
  int fd = raw_connect();
  EP_CHECK_MSG(fd >= 0, "%s: cannot connect", what);
  if (fd < 0) return;
  send_all(fd, bytes, n);
  uint32_t got = 0;
  int type = read_answer(fd, wait_s, &got);
  if (code != 0) {
    EP_CHECK_MSG(type == EP_NET_ERROR && got == code, "%s: answer type %d code %u, want ERROR %u",
                 what, type, got, code);
    EP_CHECK_MSG(closed_after(fd), "%s: the connection stayed open", what);
  }
  close(fd);
}

/* A good client after each attack: split 2 of mlp, bit-exact and computed remotely. */
static test_model good;
static ep_offload* good_off;

static void good_client_works(const char* after) {
  ep_offload_run_info info;
  int same = test_offload_once(&good, good_off, 2, &info);
  EP_CHECK_MSG(same && info.remote, "after %s: same=%d remote=%d (%s)", after, same, info.remote,
               info.reason);
}

static void attacks(void) {
  ep_net_buf b;
  ep_net_buf_init(&b);
  ep_test_rng rng = {99};

  /* Random bytes (the magic cannot match by chance: the first byte is forced off 'E'). */
  for (int i = 0; i < 20; i++) {
    uint8_t junk[600];
    size_t n = (size_t)ep_test_rng_int(&rng, EP_NET_HEADER_SIZE, (int)sizeof junk);
    for (size_t j = 0; j < n; j++) junk[j] = (uint8_t)ep_test_rng_next(&rng);
    if (junk[0] == 'E') junk[0] = 'X';
    expect_error("random bytes", junk, n, EP_NET_E_MALFORMED, 3);
  }
  good_client_works("random bytes");

  /* A header cut short, then a close; a frame cut short, then a close. */
  frame(&b, EP_NET_PING, 1);
  ep_net_put_bytes(&b, "0123456789", 10);
  ep_net_frame_end(&b);
  expect_error("truncated header", b.data, 10, 0, 0.2);
  expect_error("truncated payload", b.data, b.length - 4, 0, 0.2);
  good_client_works("truncated frames");

  /* A frame that stalls halfway: the server times out (io timeout 0.5 s) and says so. */
  frame(&b, EP_NET_HELLO, 1);
  ep_net_hello h = good_hello(2);
  ep_net_put_hello(&b, EP_NET_VERSION, &h);
  ep_net_frame_end(&b);
  expect_error("stalled frame", b.data, b.length - 3, EP_NET_E_TIMEOUT, 3);

  /* Header checks. */
  uint8_t head[EP_NET_HEADER_SIZE];
  ep_net_header hd = {EP_NET_MAGIC, EP_NET_VERSION, EP_NET_PING, 0, 0xffffffffu, 1};
  ep_net_header_encode(&hd, head);
  expect_error("oversized length", head, sizeof head, EP_NET_E_TOO_LARGE, 3);
  hd.payload_length = (1u << 20) + 1; /* the test server's limit is 1 MiB */
  ep_net_header_encode(&hd, head);
  expect_error("just over the limit", head, sizeof head, EP_NET_E_TOO_LARGE, 3);
  hd.payload_length = 0;
  hd.version = EP_NET_VERSION + 1;
  ep_net_header_encode(&hd, head);
  expect_error("a version from the future", head, sizeof head, EP_NET_E_VERSION, 3);
  hd.version = 0;
  ep_net_header_encode(&hd, head);
  expect_error("version 0", head, sizeof head, EP_NET_E_VERSION, 3);
  hd.version = EP_NET_VERSION;
  hd.flags = 1;
  ep_net_header_encode(&hd, head);
  expect_error("flags", head, sizeof head, EP_NET_E_MALFORMED, 3);
  hd.flags = 0;
  hd.type = 99;
  ep_net_header_encode(&hd, head);
  expect_error("unknown type", head, sizeof head, EP_NET_E_MALFORMED, 3);
  hd.type = 0;
  ep_net_header_encode(&hd, head);
  expect_error("type 0", head, sizeof head, EP_NET_E_MALFORMED, 3);
  good_client_works("bad headers");

  /* Order and authentication. */
  frame(&b, EP_NET_INFER, 1);
  ep_net_put_tensors(&b, NULL, 0);
  ep_net_frame_end(&b);
  expect_error("INFER before HELLO", b.data, b.length, EP_NET_E_NOT_READY, 3);
  frame(&b, EP_NET_PING, 1);
  ep_net_frame_end(&b);
  expect_error("PING before HELLO", b.data, b.length, EP_NET_E_NOT_READY, 3);
  ep_net_hello wrong = good_hello(2);
  wrong.token[0] ^= 1;
  frame(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, EP_NET_VERSION, &wrong);
  ep_net_frame_end(&b);
  expect_error("wrong token", b.data, b.length, EP_NET_E_UNAUTHORIZED, 3);
  wrong = good_hello(2);
  wrong.token_length = 3; /* a prefix of the right token */
  frame(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, EP_NET_VERSION, &wrong);
  ep_net_frame_end(&b);
  expect_error("token prefix", b.data, b.length, EP_NET_E_UNAUTHORIZED, 3);
  wrong.token_length = 0;
  frame(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, EP_NET_VERSION, &wrong);
  ep_net_frame_end(&b);
  expect_error("no token", b.data, b.length, EP_NET_E_UNAUTHORIZED, 3);
  good_client_works("wrong tokens");

  /* Payload checks on HELLO. */
  frame(&b, EP_NET_HELLO, 1);
  h = good_hello(2);
  ep_net_put_hello(&b, EP_NET_VERSION, &h);
  ep_net_frame_end(&b);
  ep_net_buf cut;
  ep_net_buf_init(&cut);
  frame(&cut, EP_NET_HELLO, 1);
  ep_net_put_bytes(&cut, b.data + EP_NET_HEADER_SIZE, b.length - EP_NET_HEADER_SIZE - 1);
  ep_net_frame_end(&cut);
  expect_error("HELLO one byte short", cut.data, cut.length, EP_NET_E_MALFORMED, 3);
  h = good_hello(2);
  strcpy(h.zoo_name, "vgg16");
  frame(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, EP_NET_VERSION, &h);
  ep_net_frame_end(&b);
  expect_error("unknown model", b.data, b.length, EP_NET_E_UNKNOWN_MODEL, 3);
  h = good_hello(6);
  frame(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, EP_NET_VERSION, &h);
  ep_net_frame_end(&b);
  expect_error("split past the end", b.data, b.length, EP_NET_E_BAD_SPLIT, 3);
  h = good_hello(2);
  h.model_kind = EP_NET_MODEL_SHA256;
  frame(&b, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, EP_NET_VERSION, &h);
  ep_net_frame_end(&b);
  expect_error("unknown file hash", b.data, b.length, EP_NET_E_UNKNOWN_MODEL, 3);
  good_client_works("bad HELLOs");

  /* After a good HELLO: tensors that do not fit the cut, malformed lists, a client-only type. */
  ep_net_buf hello;
  ep_net_buf_init(&hello);
  frame(&hello, EP_NET_HELLO, 1);
  h = good_hello(2); /* mlp: the cut at 2 takes one [1, 4096] tensor */
  ep_net_put_hello(&hello, EP_NET_VERSION, &h);
  ep_net_frame_end(&hello);
  float zeros[4096] = {0};
  struct {
    const char* what;
    ep_shape shape;
    int count;
    uint32_t code;
  } tensor_cases[] = {
      {"no tensors", ep_shape_make(2, (int64_t[]){1, 4096}), 0, EP_NET_E_BAD_TENSORS},
      {"two tensors", ep_shape_make(2, (int64_t[]){1, 4096}), 2, EP_NET_E_BAD_TENSORS},
      {"wrong dims", ep_shape_make(2, (int64_t[]){1, 2048}), 1, EP_NET_E_BAD_TENSORS},
      {"wrong rank", ep_shape_make(1, (int64_t[]){4096}), 1, EP_NET_E_BAD_TENSORS},
  };
  for (size_t i = 0; i < sizeof tensor_cases / sizeof tensor_cases[0]; i++) {
    ep_net_tensor_out t[2] = {{tensor_cases[i].shape, zeros, 0}, {tensor_cases[i].shape, zeros, 0}};
    ep_net_buf all;
    ep_net_buf_init(&all);
    ep_net_put_bytes(&all, hello.data, hello.length);
    frame(&b, EP_NET_INFER, 2);
    ep_net_put_tensors(&b, t, (uint32_t)tensor_cases[i].count);
    ep_net_frame_end(&b);
    ep_net_put_bytes(&all, b.data, b.length);
    int fd = raw_connect();
    send_all(fd, all.data, all.length);
    uint32_t code = 0;
    EP_CHECK_MSG(read_answer(fd, 3, &code) == EP_NET_HELLO_OK, "%s: no HELLO_OK",
                 tensor_cases[i].what);
    EP_CHECK_MSG(read_answer(fd, 3, &code) == EP_NET_ERROR && code == tensor_cases[i].code,
                 "%s: code %u", tensor_cases[i].what, code);
    close(fd);
    ep_net_buf_free(&all);
  }
  /* Dims that promise more data than the frame holds, and a rank over the maximum. */
  const uint8_t lies[][24] = {
      {1, 0, 0, 0, 1, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0},
      {1, 0, 0, 0, 1, 7, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
      {1, 0, 0, 0, 2, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
      {1,   0,   0,   0,   1,   2,   0,   0,   255, 255, 255, 255,
       255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255},
  };
  for (size_t i = 0; i < sizeof lies / sizeof lies[0]; i++) {
    int fd = raw_connect();
    send_all(fd, hello.data, hello.length);
    frame(&b, EP_NET_INFER, 2);
    ep_net_put_bytes(&b, lies[i], sizeof lies[i]);
    ep_net_frame_end(&b);
    send_all(fd, b.data, b.length);
    uint32_t code = 0;
    EP_CHECK(read_answer(fd, 3, &code) == EP_NET_HELLO_OK);
    EP_CHECK_MSG(read_answer(fd, 3, &code) == EP_NET_ERROR && code == EP_NET_E_MALFORMED,
                 "lying tensor list %zu: code %u", i, code);
    close(fd);
  }
  {
    int fd = raw_connect();
    send_all(fd, hello.data, hello.length);
    frame(&b, EP_NET_RESULT, 2);
    ep_net_put_result(&b, EP_NET_VERSION, 0, NULL, NULL, 0);
    ep_net_frame_end(&b);
    send_all(fd, b.data, b.length);
    uint32_t code = 0;
    EP_CHECK(read_answer(fd, 3, &code) == EP_NET_HELLO_OK);
    EP_CHECK(read_answer(fd, 3, &code) == EP_NET_ERROR && code == EP_NET_E_UNEXPECTED);
    close(fd);
  }
  good_client_works("bad INFERs");

  /* A client that connects and says nothing is dropped after the handshake timeout (1 s). */
  {
    int fd = raw_connect();
    uint32_t code = 0;
    double start = ep_now();
    EP_CHECK(read_answer(fd, 5, &code) == EP_NET_ERROR && code == EP_NET_E_TIMEOUT);
    EP_CHECK(ep_now() - start < 4);
    close(fd);
  }
  good_client_works("an idle client");
  ep_net_buf_free(&b);
  ep_net_buf_free(&cut);
  ep_net_buf_free(&hello);
}

/* The client's side of refusals: a wrong token and a full server both end in a correct local
 * result that says why. */
static void refusals(test_server* full) {
  ep_offload_options oo;
  test_offload_options(&oo, "mlp", port);
  oo.client.token = (const uint8_t*)"nope";
  oo.client.token_length = 4;
  ep_offload* off = NULL;
  EP_CHECK_OK(ep_offload_create(good.session, &oo, &off));
  ep_offload_run_info info;
  EP_CHECK(test_offload_once(&good, off, 1, &info));
  EP_CHECK_MSG(!info.remote && info.failure == EP_NET_FAIL_REFUSED, "wrong token: %d (%s)",
               info.failure, info.reason);
  ep_offload_destroy(off);

  /* The full server (1 client at most) holds one idle authenticated connection (a silent
   * one holds nothing: it is only pending). */
  int saved = port;
  port = full->port;
  int holder = raw_connect();
  {
    ep_net_buf hb;
    ep_net_buf_init(&hb);
    ep_net_hello h = good_hello(2);
    h.token_length = 0; /* the full server has no token */
    frame(&hb, EP_NET_HELLO, 1);
    ep_net_put_hello(&hb, EP_NET_VERSION, &h);
    ep_net_frame_end(&hb);
    send_all(holder, hb.data, hb.length);
    uint32_t code = 0;
    EP_CHECK_MSG(read_answer(holder, 5, &code) == EP_NET_HELLO_OK, "holder: no HELLO_OK");
    ep_net_buf_free(&hb);
  }
  test_offload_options(&oo, "mlp", full->port);
  off = NULL;
  EP_CHECK_OK(ep_offload_create(good.session, &oo, &off));
  EP_CHECK(test_offload_once(&good, off, 1, &info));
  EP_CHECK_MSG(!info.remote &&
                   (info.failure == EP_NET_FAIL_BUSY || info.failure == EP_NET_FAIL_DISCONNECTED),
               "full server: %d (%s)", info.failure, info.reason);
  EP_CHECK_MSG(info.failure == EP_NET_FAIL_BUSY, "full server: %s", info.reason);
  close(holder);
  usleep(300 * 1000);
  EP_CHECK(test_offload_once(&good, off, 1, &info));
  EP_CHECK_MSG(info.remote, "after the slot freed: %s", info.reason);
  ep_server_stats stats;
  ep_server_stats_get(full->server, &stats);
  EP_CHECK(stats.busy >= 1);
  ep_offload_destroy(off);
  port = saved;
}

int main(void) {
  ep_server_options so;
  ep_server_options_default(&so);
  so.token = (const uint8_t*)token;
  so.token_length = strlen(token);
  so.max_clients = 4;
  so.idle_timeout_s = 1.0;
  so.handshake_timeout_s = 1.0;
  so.io_timeout_s = 0.5;
  so.max_payload = 1u << 20;
  test_server ts, full;
  if (test_server_start(&ts, &so) != 0) {
    EP_CHECK_MSG(0, "cannot start a loopback server");
    return ep_test_finish();
  }
  ep_server_options fo;
  ep_server_options_default(&fo);
  fo.max_clients = 1;
  if (test_server_start(&full, &fo) != 0) {
    EP_CHECK_MSG(0, "cannot start a second loopback server");
    test_server_stop(&ts);
    return ep_test_finish();
  }
  port = ts.port;
  if (test_model_open(&good, "mlp", 5) == 0) {
    ep_offload_options oo;
    test_offload_options(&oo, "mlp", port);
    oo.client.token = (const uint8_t*)token;
    oo.client.token_length = strlen(token);
    EP_CHECK_OK(ep_offload_create(good.session, &oo, &good_off));
    good_client_works("nothing");
    attacks();
    refusals(&full);
    ep_offload_destroy(good_off);
  } else {
    EP_CHECK_MSG(0, "cannot open mlp: %s", ep_last_error());
  }
  test_model_close(&good);
  ep_server_stats stats;
  ep_server_stats_get(ts.server, &stats);
  printf("server: %llu connections, %llu requests, %llu errors\n",
         (unsigned long long)stats.connections, (unsigned long long)stats.requests,
         (unsigned long long)stats.errors);
  test_server_stop(&full);
  test_server_stop(&ts);
  return ep_test_finish();
}

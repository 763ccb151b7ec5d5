/* Loopback: placements that are not prefix cuts. Random valid two-tier placements of branchy
 * networks (inception_v1) give the local result bit for bit; so do
 * three tiers through a server chained to a second one (serve --next), which must really run
 * its nodes (its request count grows and the RESULT reports forward time), and when the second
 * server is gone the first runs them itself, still bit for bit. Invalid placements are refused
 * before anything is sent. A version-1 client is still served, in version 1; a version-1 server
 * gets this client a clear reason and the result from here. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "offload_test_util.h"

/* A random placement closed under predecessors: each node takes the highest tier of its
 * producers, then moves up with probability `up` (capped at max_tier). */
/* The branchy network the placements run on: inception_v1, or mobilenet_v1 where EP_TEST_ZOO
 * leaves inception_v1 out (the arm64 tests under qemu, where its runs take minutes); placements
 * of a chain still cover every tier, the protocol and the forwarding. */
static const char* branchy = "inception_v1";

static void random_placement(const ep_graph* g, ep_test_rng* rng, double up, int max_tier,
                             uint8_t* tier) {
  for (int i = 0; i < ep_graph_node_count(g); i++) {
    const ep_node* node = ep_graph_node(g, i);
    int t = 0;
    for (int j = 0; j < node->n_inputs; j++) {
      if (node->inputs[j] < 0) continue;
      int p = ep_graph_tensor(g, node->inputs[j])->producer;
      if (p >= 0 && tier[p] > t) t = tier[p];
    }
    float r = 0;
    ep_test_fill(rng, &r, 1, 0.0f, 1.0f);
    if (t < max_tier && r < up) t++;
    tier[i] = (uint8_t)t;
  }
}

/* True when some node's outputs are read by two nodes: only then can a one-crossing two-tier
 * placement be something other than a prefix cut. */
static bool has_branch(const ep_graph* g) {
  int n = ep_graph_node_count(g);
  int* readers = calloc((size_t)n, sizeof *readers);
  bool branch = false;
  for (int i = 0; readers != NULL && i < n && !branch; i++) {
    const ep_node* node = ep_graph_node(g, i);
    for (int j = 0; j < node->n_inputs && !branch; j++) {
      if (node->inputs[j] < 0) continue;
      int p = ep_graph_tensor(g, node->inputs[j])->producer;
      if (p >= 0 && ++readers[p] > 1) branch = true;
    }
  }
  free(readers);
  return branch;
}

static void placements(const char* name, int port, int tries, int max_tier, ep_server* second) {
  test_model m;
  if (test_model_open(&m, name, 11) != 0) {
    EP_CHECK_MSG(0, "cannot open %s: %s", name, ep_last_error());
    test_model_close(&m);
    return;
  }
  ep_offload_options oo;
  test_offload_options(&oo, name, port);
  ep_offload* off = NULL;
  EP_CHECK_OK(ep_offload_create(m.session, &oo, &off));
  int n = ep_graph_node_count(m.graph);
  uint8_t* tier = malloc((size_t)n);
  ep_test_rng rng = {1234 + (uint64_t)max_tier};
  int not_prefix = 0, forwarded = 0;
  for (int i = 0; off != NULL && tier != NULL && i < tries; i++) {
    random_placement(m.graph, &rng, 0.04 + 0.02 * i, max_tier, tier);
    EP_CHECK_OK(ep_net_placement_check(m.graph, tier, max_tier));
    not_prefix += ep_net_placement_as_split(m.graph, tier) < 0;
    ep_server_stats before = {0}, after = {0};
    if (second != NULL) ep_server_stats_get(second, &before);
    ep_offload_run_info info;
    EP_CHECK_OK(ep_session_set_input(m.session, 0, m.input, m.input_count));
    EP_CHECK_OK(ep_offload_run_placement(off, tier, &info));
    EP_CHECK_OK(ep_session_get_output(m.session, 0, m.got, m.output_count));
    EP_CHECK_MSG(memcmp(m.got, m.expected, m.output_count * sizeof(float)) == 0,
                 "%s: placement %d (%d edge nodes of %d) differs from the local run", name, i,
                 info.edge_nodes, n);
    bool remote_nodes = ep_net_placement_nodes(m.graph, tier, 1, 255) > 0;
    EP_CHECK_MSG(info.remote == remote_nodes, "%s: placement %d: remote=%d (%s)", name, i,
                 info.remote, info.reason);
    if (second != NULL) {
      ep_server_stats_get(second, &after);
      bool beyond = ep_net_placement_nodes(m.graph, tier, 2, 255) > 0;
      EP_CHECK_MSG((after.requests > before.requests) == beyond,
                   "%s: placement %d: the second server ran %llu requests, tier-2 nodes: %d",
                   name, i, (unsigned long long)(after.requests - before.requests), beyond);
      EP_CHECK_MSG((info.load.forward_ns > 0) == beyond, "%s: forward time %llu ns", name,
                   (unsigned long long)info.load.forward_ns);
      forwarded += beyond;
    }
  }
  if (max_tier > 1 || has_branch(m.graph)) {
    EP_CHECK_MSG(not_prefix > 0, "%s: no placement other than a prefix was tried", name);
  }
  printf("%s: %d placements over %d tiers, %d not a prefix cut, %d through the second server\n",
         name, tries, max_tier + 1, not_prefix, forwarded);
  free(tier);
  ep_offload_destroy(off);
  test_model_close(&m);
}

/* Placements that would send a tensor back are refused here, and by a server without --next
 * when they name a third tier. */
static void refusals(int port) {
  test_model m;
  if (test_model_open(&m, branchy, 3) != 0) {
    EP_CHECK_MSG(0, "cannot open %s", branchy);
    test_model_close(&m);
    return;
  }
  int n = ep_graph_node_count(m.graph);
  uint8_t* tier = calloc((size_t)n, 1);
  tier[0] = 1; /* node 0 on the server, its readers on the edge: backwards */
  EP_CHECK(ep_net_placement_check(m.graph, tier, 1) != EP_OK);
  ep_offload_options oo;
  test_offload_options(&oo, branchy, port);
  ep_offload* off = NULL;
  EP_CHECK_OK(ep_offload_create(m.session, &oo, &off));
  ep_offload_run_info info;
  EP_CHECK(ep_offload_run_placement(off, tier, &info) != EP_OK);
  /* Three tiers against a lone server: refused (BAD_SPLIT), finished here. */
  for (int i = 0; i < n; i++) tier[i] = i < n / 3 ? 0 : i < n - 1 ? 1 : 2;
  EP_CHECK_OK(ep_net_placement_check(m.graph, tier, 2));
  EP_CHECK_OK(ep_session_set_input(m.session, 0, m.input, m.input_count));
  EP_CHECK_OK(ep_offload_run_placement(off, tier, &info));
  EP_CHECK_OK(ep_session_get_output(m.session, 0, m.got, m.output_count));
  EP_CHECK(!info.remote && info.failure == EP_NET_FAIL_REFUSED && strstr(info.reason, "--next"));
  EP_CHECK(memcmp(m.got, m.expected, m.output_count * sizeof(float)) == 0);
  free(tier);
  ep_offload_destroy(off);
  test_model_close(&m);
}

/* A version-1 client, written as one was before version 2 existed: whole frames over a plain
 * socket. Returns the answer's header and payload (malloc'd), or -1. */
static int v1_exchange(int fd, const ep_net_buf* frame, ep_net_header* h, uint8_t** payload) {
  if (send(fd, frame->data, frame->length, MSG_NOSIGNAL) != (ssize_t)frame->length) return -1;
  uint8_t head[EP_NET_HEADER_SIZE];
  size_t got = 0;
  while (got < sizeof head) {
    ssize_t r = recv(fd, head + got, sizeof head - got, 0);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  if (ep_net_header_decode(head, 1u << 24, h) != EP_NET_OK) return -1;
  *payload = malloc(h->payload_length + 1);
  for (got = 0; got < h->payload_length;) {
    ssize_t r = recv(fd, *payload + got, h->payload_length - got, 0);
    if (r <= 0) return -1;
    got += (size_t)r;
  }
  return 0;
}

/* Version-1 clients keep working: answered in version 1 with version-1 layouts, the result equal
 * to the local run; a version-2 frame on that connection is refused (VERSION). */
static void version1_client(int port) {
  test_model m;
  if (test_model_open(&m, "mlp", 5) != 0) {
    EP_CHECK_MSG(0, "cannot open mlp");
    test_model_close(&m);
    return;
  }
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EP_CHECK(connect(fd, (struct sockaddr*)&a, sizeof a) == 0);
  ep_net_buf b;
  ep_net_buf_init(&b);
  ep_net_hello h;
  memset(&h, 0, sizeof h);
  h.model_kind = EP_NET_MODEL_ZOO;
  snprintf(h.zoo_name, sizeof h.zoo_name, "mlp");
  h.seed = EP_ZOO_DEFAULT_SEED;
  h.split = 0;
  ep_net_frame_begin_version(&b, 1, EP_NET_HELLO, 1);
  ep_net_put_hello(&b, 1, &h);
  EP_CHECK_OK(ep_net_frame_end(&b));
  ep_net_header ans;
  uint8_t* p = NULL;
  ep_net_hello_ok ok;
  EP_CHECK(v1_exchange(fd, &b, &ans, &p) == 0 && ans.version == 1 && ans.type == EP_NET_HELLO_OK &&
           ep_net_get_hello_ok(p, ans.payload_length, 1, &ok) == EP_NET_OK &&
           ok.upload_tensors == 1 && ok.download_tensors == 1);
  free(p);
  p = NULL;
  const ep_tensor* in = ep_graph_tensor(m.graph, ep_graph_input(m.graph, 0));
  ep_net_tensor_out t = {in->shape, m.input, EP_CUT_FP32};
  ep_net_frame_begin_version(&b, 1, EP_NET_INFER, 2);
  ep_net_put_tensors(&b, &t, 1);
  EP_CHECK_OK(ep_net_frame_end(&b));
  ep_net_tensor_view v[1];
  uint32_t count = 0;
  uint64_t ns = 0;
  EP_CHECK(v1_exchange(fd, &b, &ans, &p) == 0 && ans.version == 1 && ans.type == EP_NET_RESULT &&
           ep_net_get_result(p, ans.payload_length, 1, &ns, NULL, v, 1, &count) == EP_NET_OK &&
           count == 1 && v[0].numel == m.output_count);
  if (count == 1 && v[0].numel == m.output_count) {
    ep_net_tensor_read_f32(&v[0], m.got);
    EP_CHECK_MSG(memcmp(m.got, m.expected, m.output_count * sizeof(float)) == 0,
                 "a version-1 client's result differs from the local run");
  }
  free(p);
  p = NULL;
  ep_net_frame_begin_version(&b, 2, EP_NET_PING, 3);
  EP_CHECK_OK(ep_net_frame_end(&b));
  uint32_t code = 0;
  char message[128];
  EP_CHECK(v1_exchange(fd, &b, &ans, &p) == 0 && ans.type == EP_NET_ERROR &&
           ep_net_get_error(p, ans.payload_length, &code, message, sizeof message) == EP_NET_OK &&
           code == EP_NET_E_VERSION);
  free(p);
  ep_net_buf_free(&b);
  close(fd);
  test_model_close(&m);
}

/* A server of protocol version 1 only, as edgeprof was before version 2: it answers the first
 * frame, in version 1, with ERROR VERSION and closes. */
typedef struct old_server {
  int listen_fd, port;
  pthread_t thread;
} old_server;

static void* old_server_main(void* arg) {
  old_server* o = arg;
  int fd = accept(o->listen_fd, NULL, NULL);
  if (fd < 0) return NULL;
  uint8_t head[EP_NET_HEADER_SIZE];
  size_t got = 0;
  while (got < sizeof head) {
    ssize_t r = recv(fd, head + got, sizeof head - got, 0);
    if (r <= 0) break;
    got += (size_t)r;
  }
  ep_net_buf b;
  ep_net_buf_init(&b);
  ep_net_frame_begin_version(&b, 1, EP_NET_ERROR, 0);
  ep_net_put_error(&b, EP_NET_E_VERSION, "unsupported protocol version");
  if (ep_net_frame_end(&b) == EP_OK) {
    ssize_t ignored = send(fd, b.data, b.length, MSG_NOSIGNAL);
    (void)ignored;
  }
  ep_net_buf_free(&b);
  close(fd);
  return NULL;
}

/* A version-2 client reaching a version-1 server: one clear reason, finished here, same result. */
static void old_server_refuses(void) {
  old_server o;
  o.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(o.listen_fd, (struct sockaddr*)&a, sizeof a) != 0 || listen(o.listen_fd, 1) != 0 ||
      getsockname(o.listen_fd, (struct sockaddr*)&a, &len) != 0) {
    EP_CHECK_MSG(0, "cannot listen for the old server");
    close(o.listen_fd);
    return;
  }
  o.port = ntohs(a.sin_port);
  pthread_create(&o.thread, NULL, old_server_main, &o);
  test_model m;
  if (test_model_open(&m, "mlp", 9) == 0) {
    ep_offload_options oo;
    test_offload_options(&oo, "mlp", o.port);
    ep_offload* off = NULL;
    EP_CHECK_OK(ep_offload_create(m.session, &oo, &off));
    ep_offload_run_info info;
    EP_CHECK(test_offload_once(&m, off, 2, &info));
    EP_CHECK_MSG(!info.remote && info.failure == EP_NET_FAIL_REFUSED &&
                     strstr(info.reason, "protocol version 1") != NULL &&
                     strstr(info.reason, "update the server") != NULL,
                 "reason: %s", info.reason);
    printf("a version-1 server: %s\n", info.reason);
    ep_offload_destroy(off);
  }
  test_model_close(&m);
  pthread_join(o.thread, NULL);
  close(o.listen_fd);
}

int main(void) {
  if (!ep_test_zoo_selected("inception_v1")) branchy = "mobilenet_v1";
  test_server cloud, fog;
  if (test_server_start(&cloud, NULL) != 0) {
    EP_CHECK_MSG(0, "cannot start a loopback server");
    return ep_test_finish();
  }
  char next[64];
  snprintf(next, sizeof next, "127.0.0.1:%d", cloud.port);
  ep_server_options fo;
  ep_server_options_default(&fo);
  fo.next = next;
  if (test_server_start(&fog, &fo) != 0) {
    EP_CHECK_MSG(0, "cannot start the chained server");
    test_server_stop(&cloud);
    return ep_test_finish();
  }
  placements(branchy, cloud.port, 6, 1, NULL);
  placements(branchy, fog.port, 6, 2, cloud.server);
  placements("mobilenet_v1", fog.port, 3, 2, cloud.server);
  refusals(cloud.port);
  version1_client(cloud.port);
  old_server_refuses();
  /* The second server gone: the first runs the third tier's nodes itself. */
  test_server_stop(&cloud);
  placements(branchy, fog.port, 2, 2, NULL);
  test_server_stop(&fog);
  return ep_test_finish();
}
